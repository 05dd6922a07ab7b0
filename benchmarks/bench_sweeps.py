"""Throughput of hyper-parameter sweeps of npnet's scikit-learn estimators: serial, joblib's processes, Dask.

    python benchmarks/bench_sweeps.py [--quick] [--rounds R] [--repeats K] [--max-iter E] [--modes NAME ...]
                                      [--json FILE]

One sweep is ``GridSearchCV(NPNetClassifier(...), grid, cv=3, refit=False)`` over 8
candidates (24 fits) on the embedded digits (1797 x 64, scaled to [0, 1]). It is run
in several ways on the same machine:

- ``n_jobs=1``: in the process itself, with its BLAS threads as they are (one per core);
- ``n_jobs=1, BLAS 1``: the same under ``threadpool_limits(1)``, to tell what the
  BLAS threads of a single fit give or cost;
- ``loky n_jobs=2``: joblib's default backend, two worker processes; joblib limits
  each worker's BLAS to ``cores // n_jobs`` threads by itself;
- ``loky n_jobs=2, BLAS unlimited``: the same with that limit lifted
  (``parallel_config(inner_max_num_threads=cores)``): what the limit buys;
- ``threading n_jobs=2``: two threads of the process, sharing its BLAS threads;
  ``threading n_jobs=2, BLAS 1``: the same under ``threadpool_limits(1)``;
- ``dask processes``: ``LocalCluster(n_workers=2, threads_per_worker=1, processes=True)``
  through ``joblib.parallel_config(backend="dask")``. Dask's nanny starts each worker
  with ``OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=1`` and
  ``MALLOC_TRIM_THRESHOLD_=65536``; the latter makes glibc map every block of 128 KiB or
  more afresh and unmap it when freed, so each training step's arrays get new pages;
  ``dask processes, no trim``: the same with that variable unset
  (``distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_: None`` in Dask's configuration);
- ``dask threads``: ``LocalCluster(n_workers=1, threads_per_worker=2, processes=False)``,
  two threads of the process, as ``threading``; ``dask threads, BLAS 1``: under
  ``threadpool_limits(1)``, which holds for the whole process and so for its worker threads.

Each mode runs in a new interpreter, so that none inherits what another left (Dask's
nanny writes the variables it starts workers with into its own process's environment).
There it is set up (pool or cluster started), swept once (its time, with the start, is
the "first" column: workers import scikit-learn, npnet and the plugins then), then swept
``--repeats`` times; ``--rounds`` repeats the whole sequence in a rotated order. The table
gives per mode the BLAS threads each worker has (measured in the workers with
threadpoolctl), the workers' ``MALLOC_TRIM_THRESHOLD_``, the first sweep, the median and
range of the timed sweeps, fits per second, the speed-up over ``n_jobs=1``, the CPU time
other processes took meanwhile (in cores: 0 is a quiet machine; the measuring process and
its workers are not counted) and whether the search's scores equal the serial ones exactly.

Dask is optional (``pip install "dask[distributed]"``); without it its rows are skipped
with a note. scikit-learn is required.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple, Optional

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

#: the estimator every sweep tunes, and its grid: 8 candidates
ESTIMATOR = {"max_iter": 15, "random_state": 0}
GRID: Dict[str, List[Any]] = {
    "hidden_layer_sizes": [(64,), (256,)],
    "batch_size": [32, 128],
    "learning_rate_init": [1e-3, 3e-3],
}
QUICK_ESTIMATOR = {"max_iter": 5, "random_state": 0}
FOLDS = 3


# -- CPU accounting -----------------------------------------------------------------


def _ticks_of_tree() -> Optional[Dict[int, float]]:
    """CPU seconds (all threads) of this process and of each process descending from it, by pid, from /proc."""
    try:
        parent: Dict[int, int] = {}
        ticks: Dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                text = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue  # exited meanwhile
            fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) ": state ppid ...
            parent[int(entry)] = int(fields[1])
            ticks[int(entry)] = int(fields[11]) + int(fields[12])  # utime + stime
    except OSError:
        return None
    own, tree = os.getpid(), {}
    for pid, count in ticks.items():
        walk = pid
        while walk > 1 and walk != own:
            walk = parent.get(walk, 0)
        if walk == own:
            tree[pid] = count / os.sysconf("SC_CLK_TCK")
    return tree


def _machine_busy() -> Optional[float]:
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class ForeignLoad:
    """CPU time other processes used while a block ran, in cores; this process and its workers are not counted."""

    cores: Optional[float] = None

    def __enter__(self) -> "ForeignLoad":
        self.wall, self.busy, self.tree = time.perf_counter(), _machine_busy(), _ticks_of_tree()
        return self

    def __exit__(self, *exc: Any) -> None:
        busy, tree, wall = _machine_busy(), _ticks_of_tree(), time.perf_counter() - self.wall
        if busy is not None and tree is not None and self.busy is not None and self.tree is not None:
            # per process, so that a worker exiting meanwhile takes nothing away (its last CPU counts as foreign)
            own = sum(seconds - self.tree.get(pid, 0.0) for pid, seconds in tree.items())
            self.cores = max(0.0, (busy - self.busy) - own) / wall


# -- the modes ----------------------------------------------------------------------


def _blas_threads() -> int:
    """The largest thread count of this process's BLAS libraries, NumPy's among them (run in a worker)."""
    from threadpoolctl import threadpool_info

    return max((pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"), default=1)


def _load_plugins() -> int:
    """Load npnet's plugins in a worker before the first tasks (see docs/scaling.md); return how many."""
    from npnet_core import get_registry

    return len(get_registry().plugins)


class Mode(NamedTuple):
    name: str
    needs: Optional[str]  # a module the mode needs, or None
    #: enter the mode's contexts on the stack; return GridSearchCV's n_jobs
    enter: Callable[[contextlib.ExitStack], int]


def _serial(stack: contextlib.ExitStack) -> int:
    return 1


def _serial_one_thread(stack: contextlib.ExitStack) -> int:
    from threadpoolctl import threadpool_limits

    stack.enter_context(threadpool_limits(1))
    return 1


def _loky(stack: contextlib.ExitStack) -> int:
    import joblib

    stack.enter_context(joblib.parallel_config(backend="loky"))
    return 2


def _loky_unlimited(stack: contextlib.ExitStack) -> int:
    import joblib

    stack.enter_context(joblib.parallel_config(backend="loky", inner_max_num_threads=c.CORES))
    return 2


def _threading(stack: contextlib.ExitStack) -> int:
    import joblib

    stack.enter_context(joblib.parallel_config(backend="threading"))
    return 2


def _threading_one_thread(stack: contextlib.ExitStack) -> int:
    from threadpoolctl import threadpool_limits

    stack.enter_context(threadpool_limits(1))
    return _threading(stack)


def _dask(processes: bool, one_thread: bool = False, trim: bool = True) -> Callable[[contextlib.ExitStack], int]:
    def enter(stack: contextlib.ExitStack) -> int:
        import dask
        import joblib
        from distributed import Client, LocalCluster

        if not trim:  # None unsets one of the variables the nanny starts workers with
            stack.enter_context(dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}))

        if one_thread:  # the limit is the process's: it holds for its worker threads too
            from threadpoolctl import threadpool_limits

            stack.enter_context(threadpool_limits(1))

        workers, threads = (2, 1) if processes else (1, 2)
        cluster = stack.enter_context(
            LocalCluster(n_workers=workers, threads_per_worker=threads, processes=processes, dashboard_address=None)
        )
        client = stack.enter_context(Client(cluster))
        client.run(_load_plugins)
        stack.enter_context(joblib.parallel_config(backend="dask"))
        return 2

    return enter


MODES = [
    Mode("n_jobs=1", None, _serial),
    Mode("n_jobs=1, BLAS 1", None, _serial_one_thread),
    Mode("loky n_jobs=2", None, _loky),
    Mode("loky n_jobs=2, BLAS unlimited", None, _loky_unlimited),
    Mode("threading n_jobs=2", None, _threading),
    Mode("threading n_jobs=2, BLAS 1", None, _threading_one_thread),
    Mode("dask processes", "distributed", _dask(processes=True)),
    Mode("dask processes, no trim", "distributed", _dask(processes=True, trim=False)),
    Mode("dask threads", "distributed", _dask(processes=False)),
    Mode("dask threads, BLAS 1", "distributed", _dask(processes=False, one_thread=True)),
]


# -- machine facts (not _common's: it imports PyTorch, whose thread pools would join this process's) --------


def machine_facts() -> Dict[str, Any]:
    import platform

    import joblib
    import sklearn
    from threadpoolctl import threadpool_info

    facts: Dict[str, Any] = {
        "cpu": c.cpu_model(),
        "cores": c.CORES,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "sklearn": sklearn.__version__,
        "joblib": joblib.__version__,
        "blas_env": {k: v for k, v in os.environ.items() if k.endswith("_NUM_THREADS")} or "not set",
        "threadpools": [
            {k: info.get(k) for k in ("user_api", "internal_api", "version", "architecture", "num_threads")}
            for info in threadpool_info()
        ],
    }
    try:
        import distributed

        facts["distributed"] = distributed.__version__
    except ImportError:
        facts["distributed"] = None
    return facts


def print_facts(facts: Dict[str, Any]) -> None:
    print(f"CPU: {facts['cpu']}, {facts['cores']} cores usable; Python {facts['python']}, numpy {facts['numpy']}")
    print(
        f"scikit-learn {facts['sklearn']}, joblib {facts['joblib']}, "
        f"distributed {facts['distributed'] or 'not installed'}; *_NUM_THREADS: {facts['blas_env']}"
    )
    for pool in facts["threadpools"]:
        kernel = f", kernel {pool['architecture']}" if pool.get("architecture") else ""
        print(f"  {pool['internal_api']} {pool.get('version') or ''}: {pool['num_threads']} threads{kernel}")


# -- the sweep ----------------------------------------------------------------------


def _data():
    from npnet_core.datasets import load_digits

    x, y = load_digits()
    return x / 16.0, y


def sweep(x, y, n_jobs: int, estimator: Dict[str, Any]) -> np.ndarray:
    """One GridSearchCV of NPNetClassifier over GRID; return the mean test score of each candidate."""
    from sklearn.model_selection import GridSearchCV

    from npnet_core.sklearn import NPNetClassifier

    search = GridSearchCV(NPNetClassifier(**estimator), GRID, cv=FOLDS, n_jobs=n_jobs, refit=False, error_score="raise")
    search.fit(x, y)
    return np.asarray(search.cv_results_["mean_test_score"])


def _workers_blas_threads(n_jobs: int) -> List[int]:
    """The BLAS threads of the workers a search with ``n_jobs`` would use (in the mode's context)."""
    if n_jobs == 1:
        return [_blas_threads()]
    import joblib

    return sorted(set(joblib.Parallel(n_jobs=n_jobs)(joblib.delayed(_blas_threads)() for _ in range(2 * n_jobs))))


def _malloc_trim() -> str:
    return os.environ.get("MALLOC_TRIM_THRESHOLD_", "-")


def _workers_malloc_trim(n_jobs: int) -> List[str]:
    """``MALLOC_TRIM_THRESHOLD_`` in the environment of the workers (glibc reads it when a process starts)."""
    if n_jobs == 1:
        return [_malloc_trim()]
    import joblib

    return sorted(set(joblib.Parallel(n_jobs=n_jobs)(joblib.delayed(_malloc_trim)() for _ in range(2 * n_jobs))))


def measure(mode: Mode, x, y, repeats: int, estimator: Dict[str, Any]) -> Dict[str, Any]:
    record: Dict[str, Any] = {"mode": mode.name, "times": [], "foreign": [], "scores": []}
    with contextlib.ExitStack() as stack:
        start = time.perf_counter()
        n_jobs = mode.enter(stack)
        record["scores"].append(sweep(x, y, n_jobs, estimator).tolist())
        record["first"] = time.perf_counter() - start
        record["blas_threads"] = _workers_blas_threads(n_jobs)
        record["malloc_trim"] = _workers_malloc_trim(n_jobs)
        for _ in range(repeats):
            with ForeignLoad() as load:
                began = time.perf_counter()
                scores = sweep(x, y, n_jobs, estimator)
                record["times"].append(time.perf_counter() - began)
            record["foreign"].append(load.cores)
            record["scores"].append(scores.tolist())
    return record


def _measure_in_a_child(mode: Mode, repeats: int, max_iter: int, quick: bool) -> Dict[str, Any]:
    """``measure`` in a new interpreter: a mode cannot leave anything behind for the next one (Dask's nanny
    writes the variables it starts workers with into its own process's environment, whose later children
    inherit them)."""
    command = [sys.executable, __file__, "--child", mode.name, "--repeats", str(repeats), "--max-iter", str(max_iter)]
    result = subprocess.run(command + (["--quick"] if quick else []), capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{mode.name} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- report -------------------------------------------------------------------------


def _table(records: Dict[str, Dict[str, Any]], fits: int) -> List[str]:
    reference = records.get("n_jobs=1")
    ref_median = float(np.median(reference["times"])) if reference else None
    ref_scores = reference["scores"][0] if reference else None
    header = (
        f"{'mode':<30} {'BLAS thr.':>9} {'trim':>6} {'first s':>8} {'median s':>9} {'min-max s':>13} "
        f"{'fits/s':>7} {'speed-up':>8} {'foreign':>8}  same scores"
    )
    lines = [header, "-" * len(header)]
    for name, r in records.items():
        stats = c.summary(r["times"])
        foreign = [f for f in r["foreign"] if f is not None]
        load = f"{np.mean(foreign):.2f}" if foreign else "n/a"
        speedup = f"{ref_median / stats['median']:.2f}" if ref_median else "n/a"
        same = "n/a" if ref_scores is None else str(all(s == ref_scores for s in r["scores"]))
        threads = ",".join(str(t) for t in r["blas_threads"])
        trim = ",".join(r["malloc_trim"])
        lines.append(
            f"{name:<30} {threads:>9} {trim:>6} {c.seconds(r['first']):>8} {c.seconds(stats['median']):>9} "
            f"{c.seconds(stats['min']) + '-' + c.seconds(stats['max']):>13} {fits / stats['median']:>7.2f} "
            f"{speedup:>8} {load:>8}  {same}"
        )
    return lines


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 epochs per fit, 1 round of 1 sweep: indicative only")
    parser.add_argument("--rounds", type=int, help="times the sequence of modes is run (default 2, quick 1)")
    parser.add_argument("--repeats", type=int, help="timed sweeps per mode and round (default 2, quick 1)")
    parser.add_argument("--max-iter", type=int, help="epochs per fit (default 15, quick 5): longer fits, less overhead")
    parser.add_argument("--modes", nargs="+", choices=[m.name for m in MODES], metavar="MODE", help="run only these")
    parser.add_argument("--json", type=Path, help="write every time and statistic to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # measure this one mode, print its record as JSON
    args = parser.parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 2)
    repeats = args.repeats or (1 if args.quick else 2)
    estimator = dict(QUICK_ESTIMATOR if args.quick else ESTIMATOR)
    if args.max_iter:
        estimator["max_iter"] = args.max_iter

    if args.child:
        import sklearn.model_selection  # noqa: F401  (its BLAS and OpenMP libraries load before a mode limits them)

        import npnet_core.sklearn  # noqa: F401

        _load_plugins()  # before fits in threads look components up at once (see docs/scaling.md)
        x, y = _data()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # distributed's notes on ports and memory
            record = measure(next(m for m in MODES if m.name == args.child), x, y, repeats, estimator)
        print(json.dumps(record))
        return 0

    import importlib.util

    if importlib.util.find_spec("sklearn") is None:
        print("bench_sweeps.py needs scikit-learn: pip install npnet-core[sklearn]")
        return 1
    facts = machine_facts()
    print_facts(facts)
    modes = [m for m in MODES if args.modes is None or m.name in args.modes]
    for mode in [m for m in modes if m.needs and importlib.util.find_spec(m.needs) is None]:
        print(f"{mode.name}: skipped, {mode.needs} is not installed (pip install 'dask[distributed]')")
    modes = [m for m in modes if not m.needs or importlib.util.find_spec(m.needs) is not None]

    x, _ = _data()
    candidates = math.prod(len(v) for v in GRID.values())
    fits = candidates * FOLDS
    print(
        f"\nGridSearchCV(NPNetClassifier({', '.join(f'{k}={v!r}' for k, v in estimator.items())}), "
        f"{candidates} candidates, cv={FOLDS}, refit=False): {fits} fits on digits {x.shape}"
    )
    print(f"grid: {GRID}")
    print(f"{rounds} round(s) of {repeats} timed sweep(s) per mode, after one first sweep per mode and round\n")

    records: Dict[str, Dict[str, Any]] = {}
    for round_number in range(rounds):
        order = modes[round_number % len(modes) :] + modes[: round_number % len(modes)]
        for mode in order:
            record = _measure_in_a_child(mode, repeats, estimator["max_iter"], args.quick)
            kept = records.setdefault(mode.name, {**record, "times": [], "foreign": [], "scores": [], "firsts": []})
            kept["times"] += record["times"]
            kept["foreign"] += record["foreign"]
            kept["scores"] += record["scores"]
            kept["firsts"].append(record["first"])
            kept["first"] = float(np.median(kept["firsts"]))
            print(f"  round {round_number + 1}: {mode.name}: {', '.join(c.seconds(t) for t in record['times'])} s")
    ordered = {m.name: records[m.name] for m in modes}
    print()
    for line in _table(ordered, fits):
        print(line)
    print(
        "\nBLAS thr.: the BLAS threads each worker has (threadpoolctl, in the workers); first s: the first sweep "
        "with the pool or cluster start (median over rounds); speed-up: n_jobs=1's median over this mode's; "
        "foreign: other processes' CPU use meanwhile, in cores; same scores: every sweep's mean test scores "
        "equal n_jobs=1's first exactly"
    )
    if args.json:
        args.json.write_text(
            json.dumps({"facts": facts, "estimator": estimator, "grid": GRID, "fits": fits, "modes": ordered}, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
