"""Prediction throughput, import time, and peak memory of npnet.

    python benchmarks/bench_misc.py [--quick] [--json FILE] [--only predict|import|memory]

- predict: samples per second of npnet's ``predict``, of ``model(x)`` in
  PyTorch under ``no_grad``, of the network exported with ``net.to_onnx()``
  run in ONNX Runtime (one session, CPUExecutionProvider, its default threads)
  and of scikit-learn's ``predict_proba`` on one batch of 10000 rows, both
  dtypes, next to the bare forward GEMMs;
- import: ``import npnet_core`` and resolving every installed component by
  name, without ``import numpy``, in fresh interpreters (median of 10);
- memory: peak memory of one epoch of ``fit`` in a child process (tracemalloc
  peak, and the RSS high-water mark), against the estimate
  1.2 x (data + parameters + optimizer state + one batch of activations) + 50 MiB.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

MIB = 2**20


# -- predict -----------------------------------------------------------------------


def predictors(x):
    """name -> function computing the outputs of the 784-256-128-10 network for all of ``x``."""
    from npnet_core import NeuralNetwork

    net = NeuralNetwork(c.LAYERS, "relu", "softmax", "categorical_crossentropy", "adam", dtype=x.dtype.name, seed=0)
    found = {"npnet predict": lambda: net.predict(x)}
    if c.available("torch"):
        import torch

        torch.set_num_threads(c.CORES)
        model = c.TorchRunner(x[:1], np.zeros(1, int), c.LAYERS, 1, "adam").model.eval()
        tensor = torch.from_numpy(x)

        def torch_forward():
            with torch.no_grad():
                return model(tensor)

        found["torch no_grad"] = torch_forward
    if c.available("onnxruntime") and c.available("onnx"):
        import onnxruntime as ort

        # the same network, weights and all, as npnet's; ONNX Runtime's default thread count
        session = ort.InferenceSession(net.to_onnx().SerializeToString(), providers=["CPUExecutionProvider"])
        tolerance = 1e-4 if x.dtype == np.float32 else 1e-10
        if not np.allclose(session.run(["output"], {"input": x[:100]})[0], net.predict(x[:100]), atol=tolerance):
            raise AssertionError("ONNX Runtime's outputs differ from npnet's: the export is wrong")
        found["onnxruntime"] = lambda: session.run(["output"], {"input": x})[0]
    if c.available("sklearn"):
        sk = c.SklearnRunner(x[:256], np.arange(256) % 10, c.LAYERS, 256, "adam")
        sk.epoch()
        found["sklearn proba"] = lambda: sk.clf.predict_proba(x)
    products, a, rng = [], x, np.random.default_rng(1)
    for fan_in, fan_out in zip(c.LAYERS[:-1], c.LAYERS[1:]):
        out = np.empty((len(x), fan_out), x.dtype)
        products.append((a, rng.random((fan_in, fan_out)).astype(x.dtype), out))
        a = out

    def gemms():
        for a, w, out in products:
            np.matmul(a, w, out=out)

    found["forward GEMMs"] = gemms
    return found


def bench_predict(repeats, rows=10000):
    print(f"\n== predict: one batch of {rows} rows, 784-256-128-10; {repeats} calls each after a warm-up ==")
    print(f"{'dtype':<8} {'runner':<14} {'median samples/s':>16} {'min-max':>19} {'npnet time / runner time':>25}")
    x64 = c.synthetic(rows, seed=1)[0]
    if not (c.available("onnxruntime") and c.available("onnx")):
        print(
            "note: onnx or onnxruntime not installed: the onnxruntime rows are skipped (pip install onnx onnxruntime)"
        )
    results = []
    for dtype in ("float64", "float32"):
        calls = predictors(x64.astype(dtype))
        names = list(calls)
        for name in names:
            calls[name]()
        times = {name: [] for name in names}
        for r in range(repeats):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                started = time.perf_counter()
                calls[name]()
                times[name].append(time.perf_counter() - started)
        ref = c.summary(times["npnet predict"])["median"]
        for name in names:
            s = c.summary(times[name])
            rate = c.summary([rows / t for t in times[name]])
            ratio = ref / s["median"]
            results.append({"dtype": dtype, "runner": name, "samples_per_s": rate, "seconds": s, "npnet_ratio": ratio})
            spread = f"{rate['min']:,.0f}-{rate['max']:,.0f}"
            print(f"{dtype:<8} {name:<14} {rate['median']:>16,.0f} {spread:>19} {ratio:>25.2f}")
    return results


# -- import ------------------------------------------------------------------------

IMPORT_CHILD = """
import json, time
t0 = time.perf_counter()
import numpy
t1 = time.perf_counter()
import npnet_core
t2 = time.perf_counter()
from npnet_core.kinds import KINDS
registry = npnet_core.get_registry()
names = [(kind, name) for kind in KINDS for name in registry.names(kind)]
needed = {"cosine": {"total_steps": 100}, "step": {"step_size": 10}, "exponential": {"gamma": 0.9}}  # no defaults
for kind, name in names:
    registry.create(kind, name, needed.get(name))
t3 = time.perf_counter()
print(json.dumps({"numpy": t1 - t0, "import": t2 - t1, "resolve": t3 - t2, "components": len(names)}))
"""


def _child_env():
    """The environment of the timed interpreters: with bytecode caching, as an installed package has.

    pip compiles a package's modules when it installs it; an editable install, or
    PYTHONDONTWRITEBYTECODE=1, would make every run compile npnet from source.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def bench_import(runs):
    print(f"\n== import: fresh interpreters, median of {runs} (import numpy is timed apart and not counted) ==")
    env = _child_env()
    subprocess.run([sys.executable, "-c", IMPORT_CHILD], capture_output=True, check=True, env=env)  # writes bytecode
    samples = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", IMPORT_CHILD], capture_output=True, text=True, check=True, env=env)
        samples.append(json.loads(out.stdout))
    result = {key: c.summary([s[key] for s in samples]) for key in ("numpy", "import", "resolve")}
    result["npnet"] = c.summary([s["import"] + s["resolve"] for s in samples])
    result["components"] = samples[0]["components"]
    for key, label in (
        ("import", "import npnet_core"),
        ("resolve", f"resolve all {result['components']} component names"),
        ("npnet", "npnet total (import + resolve)"),
        ("numpy", "for scale: import numpy"),
    ):
        s = result[key]
        print(f"{label:<36} {s['median'] * 1e3:7.1f} ms   (min-max {s['min'] * 1e3:.1f}-{s['max'] * 1e3:.1f})")
    # which modules npnet brings in, numpy being imported already: -X importtime, one run
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", IMPORT_CHILD], capture_output=True, text=True, check=True, env=env
    )
    rows, after_numpy = [], False
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)", line)
        if m and after_numpy:
            rows.append((int(m.group(2)), int(m.group(1)), len(m.group(3)) // 2, m.group(4)))
        after_numpy |= bool(m and m.group(4) == "numpy" and not m.group(3))
    rows.sort(reverse=True)
    result["importtime_top"] = [
        {"module": n, "cumulative_us": cu, "self_us": se, "depth": d} for cu, se, d, n in rows[:12]
    ]
    print("largest imports after numpy's (-X importtime, one run; depth 0 = imported directly):")
    for cumulative, own, depth, name in rows[:12]:
        print(f"  {cumulative / 1e3:6.1f} ms cumulative, {own / 1e3:5.1f} ms self, depth {depth}: {name}")
    return result


# -- memory ------------------------------------------------------------------------


def memory_child(dtype, n, batch, trace):
    """Run in a child: one epoch of fit, then print the peaks as JSON."""
    import resource
    import tracemalloc

    from npnet_core import NeuralNetwork

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if trace:
        tracemalloc.start()
    rng = np.random.default_rng(0)
    x = rng.random((n, 784), dtype=np.dtype(dtype))
    y = rng.integers(0, 10, n)
    net = NeuralNetwork(c.LAYERS, "relu", "softmax", "categorical_crossentropy", "adam", dtype=dtype, seed=0)
    net.fit(x, y, batch, 1, categorical=True, verbose=0)
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    status = Path("/proc/self/status")
    hwm = re.search(r"VmHWM:\s+(\d+)", status.read_text()) if status.exists() else None
    result = {"rss_before_data": before, "rss_peak": rss, "vmhwm": int(hwm.group(1)) * 1024 if hwm else None}
    print(json.dumps({"tracemalloc_peak": peak} if trace else result))


# Linux keeps ru_maxrss across execve: a child exec'd straight from this (large)
# process would report this process's peak. A small relay process in between
# hands the measured child its own, small, starting high-water mark.
RELAY = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"


def memory_terms(dtype, n, batch):
    size = np.dtype(dtype).itemsize
    p = c.n_params(c.LAYERS)
    widths = sum(c.LAYERS[1:])
    return {
        "data: x": n * c.LAYERS[0] * size,
        "data: labels (int64)": n * 8,
        "data: one-hot targets made by fit": n * c.LAYERS[-1] * size,
        "parameters": p * size,
        "gradient (same layout)": p * size,
        "optimizer state: Adam m, v and its scratch": 3 * p * size,
        "one batch of activations: x, y, z, a, deltas": batch * size * (c.LAYERS[0] + c.LAYERS[-1] + 4 * widths),
    }


def bench_memory(n, batches=(64,)):
    print(f"\n== memory: one epoch of fit on {n} samples, 784-256-128-10, Adam, each in a fresh child ==")
    results = []
    for dtype in ("float64", "float32"):
        for batch in batches:
            peaks = {}
            for trace in (False, True):
                cmd = [
                    sys.executable,
                    "-c",
                    RELAY,
                    sys.executable,
                    __file__,
                    "--memory-child",
                    dtype,
                    str(n),
                    str(batch),
                    "trace" if trace else "rss",
                ]
                peaks.update(
                    {
                        k: v
                        for k, v in json.loads(
                            subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
                        ).items()
                        if v is not None
                    }
                )
            terms = memory_terms(dtype, n, batch)
            total = sum(terms.values())
            estimate = 1.2 * total + 50 * MIB
            print(f"{dtype}, batch {batch}:")
            for name, value in terms.items():
                print(f"  {name:<46} {value / MIB:9.2f} MiB")
            print(f"  {'sum of the terms':<46} {total / MIB:9.2f} MiB")
            print(f"  {'estimate 1.2 x sum + 50 MiB':<46} {estimate / MIB:9.2f} MiB")
            print(
                f"  {'tracemalloc peak (' + format(peaks['tracemalloc_peak'] / total, '.2f') + ' x the sum)':<46} "
                f"{peaks['tracemalloc_peak'] / MIB:9.2f} MiB"
            )
            print(
                f"  {'RSS high-water (vs estimate: ' + format(peaks['rss_peak'] / estimate, '.2f') + ')':<46} "
                f"{peaks['rss_peak'] / MIB:9.2f} MiB   (after the imports, before the data: {peaks['rss_before_data'] / MIB:.1f} MiB)"
            )
            if peaks.get("vmhwm"):
                print(f"  {'  cross-check: VmHWM in /proc/self/status':<46} {peaks['vmhwm'] / MIB:9.2f} MiB")
            results.append({"dtype": dtype, "batch": batch, "n": n, "terms": terms, "estimate": estimate, **peaks})
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and samples: under a minute")
    parser.add_argument("--only", choices=["predict", "import", "memory"], action="append", help="run only these parts")
    parser.add_argument("--json", type=Path, help="write the results to this file")
    parser.add_argument("--memory-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        dtype, n, batch, mode = args.memory_child
        return memory_child(dtype, int(n), int(batch), mode == "trace")
    parts = args.only or ["predict", "import", "memory"]
    facts = c.machine_facts()
    c.print_facts(facts)
    if args.quick:
        print("QUICK MODE: fewer repeats and samples; indicative figures only")
    for note in c.peers_note():
        print("note:", note)
    results = {"machine": facts, "quick": args.quick}
    if "predict" in parts:
        results["predict"] = bench_predict(5 if args.quick else 15)
    if "import" in parts:
        results["import"] = bench_import(5 if args.quick else 10)
    if "memory" in parts:
        results["memory"] = bench_memory(4000 if args.quick else 20000)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
        print(f"results written to {args.json}")


if __name__ == "__main__":
    main()
