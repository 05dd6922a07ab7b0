"""Adam's update alone, a batch-64 training step and an epoch: the NumPy path against the fused numba kernel.

    python benchmarks/bench_optimizer_step.py               # both dtypes, 5 rounds (a few minutes)
    python benchmarks/bench_optimizer_step.py --quick       # 2 rounds, fewer repetitions: indicative only
    python benchmarks/bench_optimizer_step.py --threads     # also the threadpoolctl and two-thread variants
    python benchmarks/bench_optimizer_step.py --dtype float64 --rounds 9 --json optimizer.json

npnet-adam's update runs on the NumPy path (about twelve elementwise passes
over the parameters) or, with numba installed (``pip install npnet-adam[fast]``),
as one fused compiled pass; the environment variable ``NPNET_ADAM_NUMBA``
(0 or 1) chooses. Each variant runs in a child process of its own, so that
numba, its threads and OpenBLAS's do not share a process with another variant;
the variants take turns in rounds whose order rotates, so that the noise of a
shared machine falls on all of them alike. Network 784-256-128-10 (235,146
parameters), ReLU, softmax + cross-entropy, Adam with learning rate 1e-3,
10000 synthetic samples. Each child measures, for its variant and dtype:

- ``update warm``: ``Adam.update`` alone on the 235,146-value vectors, repeated
  back to back (the vectors stay in the caches); median over the updates;
- ``update cold``: the same with the caches flushed before each update (a
  64 MiB buffer written, not timed), as inside a training step, where the
  matrix products have evicted the optimizer's vectors;
- ``step``: ``NeuralNetwork._train_step`` on a batch of 64 (forward, backward,
  checks, update: a private method, as ``profile_npnet.py`` uses), median over
  the steps of two passes over the data, after one untimed pass;
- ``epoch``: ``fit`` for one epoch of 10000 samples at batch 64 (157 steps),
  median over the timed epochs, after one warm-up epoch.

The variants (``--threads`` adds the last four):

- ``numpy``: ``NPNET_ADAM_NUMBA=0``;
- ``numba``: ``NPNET_ADAM_NUMBA=1``, the fused kernel of npnet-adam;
- ``numpy+limit``, ``numba+limit``: each update runs inside
  ``threadpoolctl.ThreadpoolController().limit(limits=1, user_api="blas")``, so
  that OpenBLAS is set to one thread during the elementwise work and back to
  its own count for the matrix products (the issue's lever);
- ``numba-2t+limit``: an experimental kernel of this script (not npnet-adam's),
  the same loop over two threads (``numba.prange``), inside the same limit;
- ``numpy-blas1``: the NumPy path in a process started with
  ``OPENBLAS_NUM_THREADS=1``: one BLAS thread throughout, for reference.

Times are medians over the rounds of each child's median; ratios are the
variant's time over ``numpy``'s, median over median, with the range of the
per-round ratios. Every child also reports a digest of its final parameters:
all the variants of one dtype must agree (same updates, same bits; a float32
run with another number of BLAS threads may not, as OpenBLAS then splits the
matrix products' sums differently).

Then, for each dtype, one more child trains two networks of the same start,
one on each path, in turns: a pass of steps and an epoch on one, then on the
other (``numba`` starts no thread, so they may share a process). Its paired
ratios compare measurements seconds apart, which the changing load of a shared
machine disturbs much less than children minutes apart; the two networks must
end with the same parameters.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

LAYERS = [784, 256, 128, 10]
N_SAMPLES = 10000
BATCH = 64
LEARNING_RATE = 1e-3
VARIANTS = ["numpy", "numba"]
THREAD_VARIANTS = ["numpy+limit", "numba+limit", "numba-2t+limit", "numpy-blas1"]
PARTS = ["update warm", "update cold", "step", "epoch"]
FLUSH_BYTES = 64 * 2**20


def n_params(layers):
    return sum(a * b + b for a, b in zip(layers[:-1], layers[1:]))


def environment_of(variant, blas_threads=None):
    """The child's environment: the path of npnet-adam, and OpenBLAS's threads (--blas-threads, numpy-blas1)."""
    env = dict(os.environ)
    env["NPNET_ADAM_NUMBA"] = "0" if variant.startswith("numpy") else "1"
    if variant == "numpy-blas1":
        env["OPENBLAS_NUM_THREADS"] = "1"
    elif blas_threads is not None:
        env["OPENBLAS_NUM_THREADS"] = str(blas_threads)
    return env


# -- the child: one variant, one dtype ------------------------------------------------------------


def make_optimizer(variant):
    """npnet-adam's Adam, or the variants that wrap its update (threadpoolctl) or replace it (two threads)."""
    from npnet_adam import Adam

    if variant in ("numpy", "numba", "numpy-blas1"):
        return Adam(learning_rate=LEARNING_RATE)
    from threadpoolctl import ThreadpoolController

    controller = ThreadpoolController()
    if variant == "numba-2t+limit":
        return TwoThreadAdam(controller)

    class LimitedAdam(Adam):
        """Adam whose update runs with one BLAS thread (the BLAS count is restored on leaving)."""

        def update(self, params, gradient):
            with controller.limit(limits=1, user_api="blas"):
                return super().update(params, gradient)

    return LimitedAdam(learning_rate=LEARNING_RATE)


class TwoThreadAdam:
    """Adam as npnet-adam's fused kernel computes it, split over two threads by numba.prange (an experiment).

    The loop has no reduction, so each element is computed as in the one-thread
    kernel and the results are the same bits; only the scheduling differs.
    """

    name = "adam"

    def __init__(self, controller):
        import numba

        numba.set_num_threads(2)

        @numba.njit(parallel=True, error_model="numpy", cache=False)
        def kernel(params, gradient, m, v, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2, epsilon_c, step):
            for i in numba.prange(params.shape[0]):
                g = gradient[i]
                m_i = m[i] * beta_1 + g * one_minus_beta_1
                m[i] = m_i
                v_i = v[i] * beta_2 + (g * g) * one_minus_beta_2
                v[i] = v_i
                params[i] = params[i] - m_i / (np.sqrt(v_i) + epsilon_c) * step

        self.kernel, self.controller = kernel, controller
        self.learning_rate, self.beta_1, self.beta_2, self.epsilon = LEARNING_RATE, 0.9, 0.999, 1e-8
        self.step, self.m, self.v = 0, None, None

    def update(self, params, gradient):
        if self.m is None:
            self.m, self.v = np.zeros_like(params), np.zeros_like(params)
        self.step += 1
        b1, b2, t, cast = self.beta_1, self.beta_2, self.step, params.dtype.type
        c = (1.0 - b2**t) ** 0.5
        step_size = self.learning_rate * c / (1.0 - b1**t)
        scalars = (cast(b1), cast(1.0 - b1), cast(b2), cast(1.0 - b2), cast(self.epsilon * c), cast(step_size))
        with self.controller.limit(limits=1, user_api="blas"):
            self.kernel(params, gradient, self.m, self.v, *scalars)
        return params

    def get_config(self):
        return {"learning_rate": self.learning_rate}

    def state_dict(self):
        state = {"step": self.step}
        if self.m is not None:
            state.update(m=self.m.copy(), v=self.v.copy())
        return state

    def load_state_dict(self, state):
        self.step, self.m, self.v = state["step"], state.get("m"), state.get("v")
        self.m = None if self.m is None else self.m.copy()
        self.v = None if self.v is None else self.v.copy()


def digest(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]


def child(variant, dtype, updates, epochs):
    """Measure every part for one variant and dtype; print one JSON line."""
    from npnet_core import NeuralNetwork

    clock = time.perf_counter
    result = {"variant": variant, "dtype": dtype}
    size = n_params(LAYERS)

    # the update alone
    rng = np.random.default_rng(0)
    params = rng.normal(size=size).astype(dtype) * 0.05
    grads = [rng.normal(size=size).astype(dtype) * 10.0**k for k in (-3, -2, -1)]
    opt = make_optimizer(variant)
    for i in range(5):  # numba's import and the kernel's compilation or cache load happen here
        opt.update(params, grads[i % 3])
    result["path"] = getattr(opt, "update_path", "two-thread kernel")
    warm = []
    for i in range(updates):
        t = clock()
        opt.update(params, grads[i % 3])
        warm.append(clock() - t)
    flush = np.zeros(FLUSH_BYTES // 8)
    cold = []
    for i in range(updates):
        flush += 1.0  # evicts the optimizer's vectors from every cache level
        t = clock()
        opt.update(params, grads[i % 3])
        cold.append(clock() - t)
    result["update warm"], result["update cold"] = statistics.median(warm), statistics.median(cold)
    result["digest update"] = digest(params)
    del flush

    # one training step, and whole epochs
    data = np.random.default_rng(0)
    x = data.random((N_SAMPLES, LAYERS[0])).astype(dtype)
    y = data.integers(0, LAYERS[-1], N_SAMPLES)
    net = NeuralNetwork(
        LAYERS, "relu", "softmax", "categorical_crossentropy", make_optimizer(variant), dtype=dtype, seed=0
    )
    targets = net._targets_of(y, categorical=True)
    batches = [
        (np.ascontiguousarray(x[i : i + BATCH]), np.ascontiguousarray(targets[i : i + BATCH]))
        for i in range(0, N_SAMPLES, BATCH)
    ]
    steps = []
    for timed in (False, True, True):
        for xb, yb in batches:
            t = clock()
            net._train_step(xb, yb)
            if timed:
                steps.append(clock() - t)
    result["step"] = statistics.median(steps)
    result["digest step"] = digest(net.params)

    net = NeuralNetwork(
        LAYERS, "relu", "softmax", "categorical_crossentropy", make_optimizer(variant), dtype=dtype, seed=0
    )
    net.fit(x, y, BATCH, 1, categorical=True, verbose=0)  # warm-up
    times = []
    for _ in range(epochs):
        t = clock()
        net.fit(x, y, BATCH, 1, categorical=True, verbose=0)
        times.append(clock() - t)
    result["epoch"] = statistics.median(times)
    result["digest epoch"] = digest(net.params)
    print(json.dumps(result))


def alternate(dtype, epochs):
    """Both paths in one process, on two networks of the same start: passes of steps and epochs alternately.

    numba's kernels start no thread, so the two paths can share a process; the
    paired ratios then compare measurements a second apart, which a shared
    machine's changing load disturbs much less than children minutes apart.
    """
    from npnet_core import NeuralNetwork

    clock = time.perf_counter
    data = np.random.default_rng(0)
    x = data.random((N_SAMPLES, LAYERS[0])).astype(dtype)
    y = data.integers(0, LAYERS[-1], N_SAMPLES)
    nets = {
        path: NeuralNetwork(LAYERS, "relu", "softmax", "categorical_crossentropy", "adam", dtype=dtype, seed=0)
        for path in ("numpy", "numba")
    }
    targets = nets["numpy"]._targets_of(y, categorical=True)
    batches = [
        (np.ascontiguousarray(x[i : i + BATCH]), np.ascontiguousarray(targets[i : i + BATCH]))
        for i in range(0, N_SAMPLES, BATCH)
    ]
    steps = {"numpy": [], "numba": []}
    times = {"numpy": [], "numba": []}
    for round_ in range(epochs + 1):  # round 0 is the warm-up
        for path in ("numpy", "numba") if round_ % 2 else ("numba", "numpy"):
            os.environ["NPNET_ADAM_NUMBA"] = "0" if path == "numpy" else "1"
            net, per_step = nets[path], []
            for xb, yb in batches:
                t = clock()
                net._train_step(xb, yb)
                per_step.append(clock() - t)
            t = clock()
            net.fit(x, y, BATCH, 1, categorical=True, verbose=0)
            if round_:
                times[path].append(clock() - t)
                steps[path].append(statistics.median(per_step))
            assert net.optimizer.update_path == path
    same = digest(nets["numpy"].params) == digest(nets["numba"].params)
    print(json.dumps({"step": steps, "epoch": times, "same": same}))


# -- the parent: rounds of children ----------------------------------------------------------------


def run_child(variant, dtype, updates, epochs, blas_threads):
    command = [sys.executable, __file__, "--child", variant, "--dtype", dtype]
    command += ["--updates", str(updates), "--epochs", str(epochs)]
    done = subprocess.run(
        command, capture_output=True, text=True, env=environment_of(variant, blas_threads), timeout=900
    )
    if done.returncode != 0:
        sys.exit(f"the child for {variant} {dtype} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def ms(seconds):
    return f"{seconds * 1e3:8.3f}"


def report(dtype, variants, rounds):
    """Print one dtype's table; return its summary."""
    summary = {}
    base = {part: [r[part] for r in rounds["numpy"]] for part in PARTS}
    print(f"\n== {dtype}: {n_params(LAYERS):,} parameters, batch {BATCH}, {N_SAMPLES} samples per epoch ==")
    print(f"{'variant':<15} {'path':<17}" + "".join(f" {part + ' ms':>14} {'/numpy':>15}" for part in PARTS))
    for variant in variants:
        rows = rounds[variant]
        line = f"{variant:<15} {rows[0]['path']:<17}"
        summary[variant] = {"path": rows[0]["path"]}
        for part in PARTS:
            values = [r[part] for r in rows]
            median = statistics.median(values)
            ratio = median / statistics.median(base[part])
            paired = [a / b for a, b in zip(values, base[part])]
            summary[variant][part] = {"median": median, "ratio": ratio, "paired": [min(paired), max(paired)]}
            shown = "" if variant == "numpy" else f"{ratio:.2f} ({min(paired):.2f}-{max(paired):.2f})"
            line += f" {ms(median):>14} {shown:>15}"
        print(line)
    for what in ("update", "step", "epoch"):
        groups = {}
        for variant in variants:
            for r in rounds[variant]:
                groups.setdefault(r[f"digest {what}"], set()).add(variant)
        if len(groups) == 1:
            print(f"parameters after the {what} part: the same bits in every variant and round")
        else:
            found = "; ".join(", ".join(sorted(names)) for names in groups.values())
            print(f"parameters after the {what} part: {len(groups)} different results, from {found}")
    return summary


def report_alternating(dtype, measured):
    """Print the same-process comparison; return it with its ratios."""
    print(f"-- {dtype}, both paths in one process, a pass of steps and an epoch each in turn:")
    for part in ("step", "epoch"):
        numpy_, numba_ = measured[part]["numpy"], measured[part]["numba"]
        paired = sorted(b / a for a, b in zip(numpy_, numba_))
        ratio = statistics.median(numba_) / statistics.median(numpy_)
        measured[f"{part} ratio"] = ratio
        print(
            f"   {part:<6} numpy {ms(statistics.median(numpy_))} ms, numba {ms(statistics.median(numba_))} ms: "
            f"numba/numpy {ratio:.2f} (pairs {paired[0]:.2f}-{paired[-1]:.2f}, median {statistics.median(paired):.2f})"
        )
    same = "the same bits" if measured["same"] else "DIFFERENT parameters"
    print(f"   parameters of the two networks after training: {same}")
    return measured


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds, 100 updates, 2 epochs: indicative only")
    parser.add_argument("--rounds", type=int, help="children per variant and dtype (default 5, quick 2)")
    parser.add_argument("--dtype", choices=["float64", "float32"], action="append", help="only these (repeatable)")
    parser.add_argument("--threads", action="store_true", help="also the threadpoolctl and two-thread variants")
    parser.add_argument(
        "--blas-threads", type=int, help="OPENBLAS_NUM_THREADS for every child (default: OpenBLAS's own count)"
    )
    parser.add_argument("--json", type=Path, help="write every measurement to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--updates", type=int, default=300, help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, default=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "alternate":
        return alternate(args.dtype[0], args.epochs)
    if args.child:
        return child(args.child, args.dtype[0], args.updates, args.epochs)

    rounds_n = args.rounds or (2 if args.quick else 5)
    updates, epochs = (100, 2) if args.quick else (300, 3)
    variants = VARIANTS + (THREAD_VARIANTS if args.threads else [])
    import npnet_adam

    print(f"Python {sys.version.split()[0]}, numpy {np.__version__}, npnet-adam {npnet_adam.__version__}", end="")
    try:
        import numba

        print(f", numba {numba.__version__}")
    except ImportError:
        sys.exit("\nnumba is not installed: pip install npnet-adam[fast] (the numba variants need it)")
    blas = "OpenBLAS's default" if args.blas_threads is None else f"OPENBLAS_NUM_THREADS={args.blas_threads}"
    print(f"BLAS threads in the children: {blas}; {os.cpu_count()} cores")
    print(f"{rounds_n} rounds; each child: {updates} updates warm and cold, 3 passes of steps, 1 + {epochs} epochs")
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    results = {}
    for dtype in args.dtype or ["float64", "float32"]:
        rounds = {variant: [] for variant in variants}
        for r in range(rounds_n):
            order = variants[r % len(variants) :] + variants[: r % len(variants)]
            for variant in order:
                rounds[variant].append(run_child(variant, dtype, updates, epochs, args.blas_threads))
        results[dtype] = {"summary": report(dtype, variants, rounds), "rounds": rounds}
        results[dtype]["alternating"] = report_alternating(
            dtype, run_child("alternate", dtype, 0, 2 * epochs + 1, args.blas_threads)
        )
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
        print(f"written to {args.json}")


if __name__ == "__main__":
    main()
