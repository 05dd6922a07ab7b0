"""Where an epoch of npnet's fit spends its time (784-256-128-10, Adam, synthetic data).

    python benchmarks/profile_npnet.py                       # cProfile, float64, batch 64
    python benchmarks/profile_npnet.py --profiler pyinstrument   # needs pip install pyinstrument
    python benchmarks/profile_npnet.py --phases              # time each step of a batch by hand

One warm-up epoch, then the profiled epochs. cProfile does not see the ``@``
operator or ufunc calls as functions: their time counts in the calling
function's own time (so ``_forward`` holds its matrix products). ``--phases``
runs the same step as ``NeuralNetwork._train_step`` spelt out, timing every
part (matrix products, bias, activations, loss, checks, optimizer, batch
gathering); it mirrors npnet's internals as of this version.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402


def make(args):
    from npnet_core import NeuralNetwork

    x, y = c.synthetic(args.n)
    x = x.astype(args.dtype)
    net = NeuralNetwork(c.LAYERS, "relu", "softmax", "categorical_crossentropy", "adam", dtype=args.dtype, seed=0)
    net.fit(x, y, args.batch, 1, categorical=True, verbose=0)  # warm-up
    return net, x, y


def with_cprofile(args, net, x, y):
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.runcall(net.fit, x, y, args.batch, args.epochs, categorical=True, verbose=0)
    wall = time.perf_counter() - started
    stats = pstats.Stats(profile, stream=io.StringIO())
    total = stats.total_tt
    print(f"cProfile: {wall:.2f} s wall under the profiler for {args.epochs} epoch(s), {total:.2f} s profiled")
    print(f"{'own time s':>10} {'share':>6} {'with callees s':>14} {'calls':>8}  function")
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[: args.top]
    for (filename, line, name), (_, calls, own, cumulative, _) in rows:
        where = f"{Path(filename).parent.name}/{Path(filename).name}:{line}" if line else filename
        print(f"{own:>10.3f} {own / total:>6.1%} {cumulative:>14.3f} {calls:>8}  {name} ({where})")


def with_pyinstrument(args, net, x, y):
    try:
        from pyinstrument import Profiler
    except ImportError:
        sys.exit("pyinstrument is not installed: pip install pyinstrument, or use --profiler cprofile")
    profiler = Profiler(interval=0.0005)
    profiler.start()
    net.fit(x, y, args.batch, args.epochs, categorical=True, verbose=0)
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))


def phases(args, net, x, y):
    """Time each part of the training step, spelt out as NeuralNetwork._train_step runs it."""
    from npnet_core._training import iter_batches
    from npnet_core._validation import all_finite

    targets = net._targets_of(np.asarray(y), categorical=True)
    spent = defaultdict(float)
    clock = time.perf_counter
    layers = range(len(net._weights))
    started = clock()
    for _ in range(args.epochs):
        t = clock()
        batches = iter_batches(x, targets, args.batch, net.rng.permutation(len(x)))
        spent["permutation"] += clock() - t
        while True:
            t = clock()
            pair = next(batches, None)
            spent["gather batch (np.take)"] += clock() - t
            if pair is None:
                break
            xb, yb = pair
            with np.errstate(over="ignore", invalid="ignore"):
                zs, acts = [], [xb]
                for i in layers:
                    t = clock()
                    z = acts[-1] @ net._weights[i]
                    spent["GEMM forward"] += (t1 := clock()) - t
                    z += net._biases[i]
                    spent["bias add"] += (t2 := clock()) - t1
                    acts.append(net._activation(i).forward(z))
                    zs.append(z)
                    spent["activation forward"] += clock() - t2
                t = clock()
                loss = float(np.sum(net.loss.forward(acts[-1], yb), dtype=np.float64))
                math.isfinite(loss)
                spent["loss forward"] += (t1 := clock()) - t
                delta = net._output_gradient(acts[-1], yb) * (1.0 / yb.shape[0])
                spent["output gradient"] += clock() - t1
                for i in reversed(layers):
                    t = clock()
                    np.matmul(acts[i].T, delta, out=net._grad_weights[i])
                    spent["GEMM weight gradient"] += (t1 := clock()) - t
                    np.sum(delta, axis=0, out=net._grad_biases[i][0])
                    spent["bias gradient"] += (t2 := clock()) - t1
                    if i:
                        grad_a = delta @ net._weights[i].T
                        spent["GEMM input gradient"] += (t3 := clock()) - t2
                        delta = net._activation(i - 1).backward(zs[i - 1], acts[i], grad_a)
                        spent["activation backward"] += clock() - t3
                t = clock()
                all_finite(net._grad)
                spent["finite checks"] += (t1 := clock()) - t
                net.optimizer.update(net._params, net._grad)
                spent["optimizer update"] += (t2 := clock()) - t1
                all_finite(net._params)
                spent["finite checks"] += (t3 := clock()) - t2
                int(np.count_nonzero(acts[-1].argmax(axis=1) == yb.argmax(axis=1)))
                spent["accuracy count"] += clock() - t3
    wall = clock() - started
    measured = sum(spent.values())
    steps = args.epochs * math.ceil(len(x) / args.batch)
    print(
        f"phases: {wall:.3f} s for {args.epochs} epoch(s), {steps} steps; {wall - measured:.3f} s "
        f"({(wall - measured) / wall:.1%}) outside the timed parts (loop, timers, errstate)"
    )
    print(f"{'part':<26} {'seconds':>8} {'share':>6} {'us/step':>8}")
    for name, value in sorted(spent.items(), key=lambda kv: kv[1], reverse=True):
        print(f"{name:<26} {value:>8.3f} {value / wall:>6.1%} {value / steps * 1e6:>8.1f}")
    gemm = sum(v for k, v in spent.items() if k.startswith("GEMM"))
    print(f"{'all GEMMs':<26} {gemm:>8.3f} {gemm / wall:>6.1%} {gemm / steps * 1e6:>8.1f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=1, help="profiled epochs after the warm-up")
    parser.add_argument("--profiler", default="cprofile", choices=["cprofile", "pyinstrument"])
    parser.add_argument("--phases", action="store_true", help="time the parts of each step by hand instead")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)
    net, x, y = make(args)
    print(f"npnet {'-'.join(map(str, c.LAYERS))}, Adam, {args.dtype}, batch {args.batch}, {args.n} samples")
    if args.phases:
        phases(args, net, x, y)
    elif args.profiler == "pyinstrument":
        with_pyinstrument(args, net, x, y)
    else:
        with_cprofile(args, net, x, y)


if __name__ == "__main__":
    main()
