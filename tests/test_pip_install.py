"""For real: pip-install npnet into a fresh virtual environment and use plugins through their entry points.

One virtual environment per module (made with ``sys.executable -m venv``) gets
npnet-core, the official plugins (built from this checkout, not editable)
and pytest. Then:

- a plugin written by ``npnet new-plugin`` (an optimizer; an initializer; a schedule, a
  regularizer and a metric) is installed, resolves by name, trains, is listed and checked
  by the CLI, passes its own tests, and is gone after ``pip uninstall``;
- a plugin whose module raises ImportError is reported, and the official
  components keep working, unless ``NPNET_STRICT_PLUGINS=1`` asks for an error;
- the entry points give each official plugin with its distribution and version.

Everything runs in subprocesses with the environment's own interpreter, from
a temporary working directory, so nothing is imported from this checkout.
pip needs a package index (build isolation fetches setuptools, and numpy,
pluggy and pytest come from it): without one these tests fail, with pip's
output; ``NPNET_SKIP_PIP_TESTS=1`` skips them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import List, Optional, Sequence

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
OFFICIAL_PLUGINS = [
    "npnet-relu-softmax",
    "npnet-sgd-momentum",
    "npnet-adam",
    "npnet-initializers",
    "npnet-schedules",
    "npnet-regularizers",
    "npnet-metrics",
    "npnet-sigmoid-tanh",
    "npnet-modern-activations",
    "npnet-regression-losses",
    "npnet-rmsprop",
]
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".ci-venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "tests"
)
#: Variables that would make the subprocesses see something other than the fresh environment.
UNSET = [
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
    "VIRTUAL_ENV",
    "PIP_USER",
    "PIP_TARGET",
    "PIP_PREFIX",
    "PYTEST_ADDOPTS",
    "PYTEST_PLUGINS",
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
    "NPNET_STRICT_PLUGINS",
    "NPNET_DISABLE_PLUGIN_AUTOLOAD",
    "NPNET_BLOCK_PLUGINS",
]


class Venv:
    """A virtual environment and the commands run in it."""

    def __init__(self, root: Path, workdir: Path) -> None:
        self.root = root
        self.workdir = workdir  # a neutral working directory: nothing importable in it
        scripts = root / ("Scripts" if os.name == "nt" else "bin")
        suffix = ".exe" if os.name == "nt" else ""
        self.python = str(scripts / f"python{suffix}")
        self.npnet_script = str(scripts / f"npnet{suffix}")
        self.pytest_script = str(scripts / f"pytest{suffix}")

    def run(self, args: Sequence[str], *, env: Optional[dict] = None, check: bool = True, timeout: float = 300):
        """Run a command; on an unexpected exit status fail with its whole output."""
        environment = {k: v for k, v in os.environ.items() if k not in UNSET}
        environment.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONIOENCODING="utf-8")
        environment.update(env or {})
        result = subprocess.run(
            [str(a) for a in args],
            cwd=self.workdir,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(map(str, args))} exited with {result.returncode}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def pip(self, *args: str):
        result = self.run([self.python, "-m", "pip", *args], check=False, timeout=600)
        if result.returncode != 0:
            raise AssertionError(
                f"pip {' '.join(args)} failed with exit status {result.returncode}. These tests need a package "
                f"index (set NPNET_SKIP_PIP_TESTS=1 to skip them).\n--- stdout\n{result.stdout}\n"
                f"--- stderr\n{result.stderr}"
            )
        return result

    def python_code(self, code: str, *, env: Optional[dict] = None, check: bool = True):
        return self.run([self.python, "-c", textwrap.dedent(code)], env=env, check=check)

    def npnet(self, *args: str, env: Optional[dict] = None, check: bool = True):
        return self.run([self.npnet_script, *args], env=env, check=check)


def copy_sources(destination: Path) -> List[Path]:
    """Copy npnet-core and the official plugins (sources only), so that building leaves the checkout alone."""
    core = destination / "npnet-core"
    core.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, core / name)
    shutil.copytree(ROOT / "npnet_core", core / "npnet_core", ignore=COPY_IGNORE)
    plugins = []
    for name in OFFICIAL_PLUGINS:
        plugins.append(destination / name)
        shutil.copytree(ROOT / "plugins" / name, plugins[-1], ignore=COPY_IGNORE)
    return [core, *plugins]


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Venv:
    """A fresh virtual environment with npnet-core, the official plugins and pytest, installed from this checkout."""
    if os.environ.get("NPNET_SKIP_PIP_TESTS", "").strip().lower() in {"1", "true", "yes", "on"}:
        pytest.skip("NPNET_SKIP_PIP_TESTS is set: not installing into a fresh virtual environment")
    base = tmp_path_factory.mktemp("pip-install")
    workdir = base / "work"
    workdir.mkdir()
    sources = copy_sources(base / "src")
    subprocess.run([sys.executable, "-m", "venv", str(base / "venv")], check=True, capture_output=True, timeout=300)
    env = Venv(base / "venv", workdir)
    env.pip("install", *map(str, sources), "pytest")
    return env


#: Resolve an optimizer by name and train a [4, 8, 3] network with it; print JSON.
TRAIN = """
    import json, sys
    import numpy as np
    from npnet_core import NeuralNetwork, get_registry

    name = sys.argv[1]
    entry = get_registry().lookup("optimizer", name)
    rng = np.random.default_rng(0)
    labels = np.arange(120) % 3
    x = rng.normal(scale=2.0, size=(3, 4))[labels] + rng.normal(size=(120, 4))
    net = NeuralNetwork([4, 8, 3], "relu", "softmax", "categorical_crossentropy", name, seed=0)
    losses = net.fit(x, labels, batch_size=8, epochs=30, categorical=True, verbose=0)
    module = sys.modules[type(net.optimizer).__module__]
    print(json.dumps({
        "distribution": entry.distribution, "version": entry.version, "class": type(net.optimizer).__name__,
        "file": module.__file__, "first": float(losses[0]), "last": float(losses[-1]),
    }))
"""


def test_scaffolded_optimizer_installs_trains_checks_and_uninstalls(venv, tmp_path):
    """npnet new-plugin, pip install, use by name, npnet plugins/check, its own tests, pip uninstall."""
    written = venv.npnet("new-plugin", "npnet-my-rmsprop", "--kind", "optimizer", "--directory", str(tmp_path)).stdout
    root = tmp_path / "npnet-my-rmsprop"
    assert f"pip install -e {root}" in written and "npnet check my_rmsprop" in written
    venv.pip("install", str(root))  # not editable: builds the wheel
    try:
        result = json.loads(venv.run([venv.python, "-c", textwrap.dedent(TRAIN), "my_rmsprop"]).stdout)
        expected = ("npnet-my-rmsprop", "0.1.0", "MyRmsprop")
        assert (result["distribution"], result["version"], result["class"]) == expected
        installed = Path(result["file"]).resolve()
        assert Path(venv.root).resolve() in installed.parents and "site-packages" in installed.parts
        assert result["last"] < 0.75 * result["first"], result

        listing = venv.npnet("plugins").stdout
        assert "my-rmsprop: npnet-my-rmsprop 0.1.0\n  optimizers: my_rmsprop\n" in listing
        assert "rmsprop: npnet-rmsprop 0.1.0\n  optimizers: rmsprop, adagrad\n" in listing
        assert "adam: npnet-adam 0.1.0" in listing and "FAILED" not in listing

        check = venv.npnet("check", "my_rmsprop").stdout
        assert "1 of 1 components pass the contract suite" in check

        tests = venv.run([venv.pytest_script, "-p", "no:cacheprovider", str(root / "tests")])
        summary = tests.stdout.strip().splitlines()[-1]
        assert " passed" in summary and "failed" not in summary and "skipped" not in summary, tests.stdout
    finally:
        uninstalled = venv.pip("uninstall", "-y", "npnet-my-rmsprop").stdout
    assert "Successfully uninstalled npnet-my-rmsprop" in uninstalled

    gone = venv.python_code(
        """
        from npnet_core import ComponentNotFoundError, get_registry
        try:
            get_registry().lookup("optimizer", "my_rmsprop")
        except ComponentNotFoundError as error:
            print(error)
        else:
            raise SystemExit("my_rmsprop still resolves after pip uninstall")
        """
    ).stdout
    assert gone.startswith("no optimizer named 'my_rmsprop'")
    assert (
        "installed optimizers: adagrad (npnet-rmsprop 0.1.0), adam (npnet-adam 0.1.0), adamax (npnet-adam 0.1.0), "
        "adamw (npnet-adam 0.1.0), rmsprop (npnet-rmsprop 0.1.0), sgd (npnet-sgd-momentum 0.1.0)"
    ) in gone


#: A network started by the initializer named in argv[1], from the default registry; print JSON.
INITIALIZE = """
    import json, sys
    import numpy as np
    from npnet_core import NeuralNetwork, get_registry

    entry = get_registry().lookup("initializer", sys.argv[1])
    net = NeuralNetwork([300, 40, 3], "relu", "softmax", "categorical_crossentropy", "sgd", seed=0, initializer=sys.argv[1])
    print(json.dumps({
        "distribution": entry.distribution, "class": type(net.initializer).__name__,
        "largest": float(np.abs(net.weights[0]).max()), "biases": float(np.abs(net.biases[0]).max()),
    }))
"""


def test_scaffolded_initializer_installs_and_starts_networks_by_name(venv, tmp_path):
    """npnet new-plugin --kind initializer, pip install: used by name from Python and npnet train, then uninstalled."""
    venv.npnet("new-plugin", "npnet-lecun-uniform", "--kind", "initializer", "--directory", str(tmp_path))
    venv.pip("install", str(tmp_path / "npnet-lecun-uniform"))
    try:
        result = json.loads(venv.run([venv.python, "-c", textwrap.dedent(INITIALIZE), "lecun_uniform"]).stdout)
        assert (result["distribution"], result["class"]) == ("npnet-lecun-uniform", "LecunUniform")
        assert 0.9 * 0.1 < result["largest"] <= 0.1 and result["biases"] == 0  # U(-r, r), r = sqrt(3 / 300)
        trained = venv.npnet("train", "--epochs", "1", "--initializer", "lecun_uniform").stdout
        assert "initializer lecun_uniform" in trained
    finally:
        venv.pip("uninstall", "-y", "npnet-lecun-uniform")


#: Use the component named in argv[2] of the kind in argv[1] by name in a network; print JSON.
USE_BY_KIND = """
    import json, sys
    import numpy as np
    from npnet_core import NeuralNetwork, get_registry

    kind, name = sys.argv[1], sys.argv[2]
    entry = get_registry().lookup(kind, name)
    rng = np.random.default_rng(0)
    labels = np.arange(90) % 3
    x = rng.normal(scale=2.0, size=(3, 4))[labels] + rng.normal(size=(90, 4))
    given = {"schedule": {"schedule": name}, "regularizer": {"regularizers": [name]}}.get(kind, {})
    net = NeuralNetwork([4, 8, 3], "relu", "softmax", "categorical_crossentropy", "sgd", seed=0, **given)
    metrics = [name] if kind == "metric" else None
    net.fit(x, labels, batch_size=9, epochs=3, categorical=True, verbose=0, metrics=metrics, validation_split=0.2)
    component = {"schedule": net.schedule, "regularizer": (net.regularizers or [None])[0]}.get(kind)
    print(json.dumps({
        "distribution": entry.distribution, "history": sorted(net.history), "updates": net.updates,
        "class": type(component).__name__ if component is not None else None,
        "score": net.score(x, labels, metric=name) if kind == "metric" else None,
    }))
"""


@pytest.mark.parametrize(
    "distribution, kind, name, option",
    [
        ("npnet-linear-decay", "schedule", "linear_decay", "--schedule"),
        ("npnet-gaussian-dropout", "regularizer", "gaussian_dropout", "--regularizer"),
        ("npnet-balanced-accuracy", "metric", "balanced_accuracy", "--metrics"),
    ],
)
def test_scaffolded_plugin_of_each_new_kind_is_used_by_name_from_python_and_the_cli(
    venv, tmp_path, distribution, kind, name, option
):
    """npnet new-plugin --kind schedule|regularizer|metric, pip install: the component works by name, then is gone."""
    venv.npnet("new-plugin", distribution, "--kind", kind, "--directory", str(tmp_path))
    venv.pip("install", str(tmp_path / distribution))
    try:
        result = json.loads(venv.run([venv.python, "-c", textwrap.dedent(USE_BY_KIND), kind, name]).stdout)
        assert result["distribution"] == distribution and result["updates"] == 24
        if kind == "metric":
            assert {name, f"val_{name}"} <= set(result["history"]) and 0 <= result["score"] <= 1
        else:
            assert result["class"] == "".join(part.title() for part in name.split("_"))
        if kind == "schedule":
            assert "learning_rate" in result["history"]
        trained = venv.npnet("train", "--epochs", "1", "--hidden", "16", option, name, "--quiet").stdout
        assert name in trained if kind == "metric" else "test" in trained
        assert "1 of 1 components pass the contract suite" in venv.npnet("check", name).stdout
    finally:
        venv.pip("uninstall", "-y", distribution)
    gone = venv.npnet("train", "--epochs", "1", option, name, "--quiet", check=False)
    assert gone.returncode == 1 and f"no {kind} named {name!r}" in gone.stderr


BROKEN_PYPROJECT = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "npnet-broken"
version = "0.1.0"
dependencies = ["npnet-core"]

[project.entry-points.npnet]
broken = "npnet_broken.plugin"

[tool.setuptools]
packages = ["npnet_broken"]
"""
BROKEN_ERROR = "npnet-broken needs the module 'missing_dependency', which is not installed"
BROKEN_LINE = f"plugin 'broken' from npnet-broken 0.1.0 failed to load: ImportError: {BROKEN_ERROR}"

#: Resolve every official component, and train with each optimizer and both output pairs; print JSON.
OFFICIAL = """
    import json
    import numpy as np
    from npnet_core import NeuralNetwork, get_registry

    registry = get_registry()
    names = {
        "activation": ["relu", "identity", "softmax", "sigmoid", "logistic", "tanh", "gelu"],
        "loss": ["mean_squared_error", "mse", "categorical_crossentropy", "binary_crossentropy", "huber"],
        "optimizer": ["sgd", "adam", "adamw", "adamax", "rmsprop", "adagrad"],
        "initializer": ["glorot_uniform", "he_normal", "article"],
        "schedule": ["cosine", "reduce_on_plateau"],
        "regularizer": ["l2", "dropout"],
        "metric": ["f1", "mae"],
    }
    resolved = {kind: {n: registry.lookup(kind, n).distribution for n in ns} for kind, ns in names.items()}
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4))
    labels = (x[:, 0] + x[:, 1] > 0).astype(int)
    falls = {}
    for output, loss, optimizer in [
        ("softmax", "categorical_crossentropy", "sgd"),
        ("softmax", "categorical_crossentropy", "adam"),
        ("identity", "mse", "adam"),
        ("softmax", "categorical_crossentropy", "rmsprop"),
    ]:
        net = NeuralNetwork([4, 8, 2], "relu", output, loss, (optimizer, {"learning_rate": 0.01}), seed=0)
        losses = net.fit(x, labels, batch_size=10, epochs=20, categorical=True, verbose=0)
        falls[f"{output}/{loss}/{optimizer}"] = bool(losses[-1] < losses[0])
    print(json.dumps({"resolved": resolved, "failures": [f.describe() for f in registry.failures], "falls": falls}))
"""


def test_a_plugin_that_fails_to_import_is_reported_and_the_others_work(venv, tmp_path):
    """A broken plugin warns and is listed as FAILED; the official components resolve and train; strict mode raises."""
    dist = tmp_path / "npnet-broken"
    (dist / "npnet_broken").mkdir(parents=True)
    (dist / "pyproject.toml").write_text(BROKEN_PYPROJECT)
    (dist / "npnet_broken" / "__init__.py").write_text('"""A plugin whose plugin module cannot be imported."""\n')
    (dist / "npnet_broken" / "plugin.py").write_text(f"raise ImportError({BROKEN_ERROR!r})\n")
    venv.pip("install", str(dist))
    try:
        used = venv.python_code(OFFICIAL)
        result = json.loads(used.stdout)
        assert result["resolved"] == {
            "activation": {
                **dict.fromkeys(["relu", "identity", "softmax"], "npnet-relu-softmax"),
                **dict.fromkeys(["sigmoid", "logistic", "tanh"], "npnet-sigmoid-tanh"),
                "gelu": "npnet-modern-activations",
            },
            "loss": {
                **dict.fromkeys(["mean_squared_error", "mse", "categorical_crossentropy"], "npnet-relu-softmax"),
                "binary_crossentropy": "npnet-sigmoid-tanh",
                "huber": "npnet-regression-losses",
            },
            "optimizer": {
                "sgd": "npnet-sgd-momentum",
                **dict.fromkeys(["adam", "adamw", "adamax"], "npnet-adam"),
                **dict.fromkeys(["rmsprop", "adagrad"], "npnet-rmsprop"),
            },
            "initializer": dict.fromkeys(["glorot_uniform", "he_normal", "article"], "npnet-initializers"),
            "schedule": dict.fromkeys(["cosine", "reduce_on_plateau"], "npnet-schedules"),
            "regularizer": dict.fromkeys(["l2", "dropout"], "npnet-regularizers"),
            "metric": dict.fromkeys(["f1", "mae"], "npnet-metrics"),
        }
        assert all(result["falls"].values()), result["falls"]
        assert result["failures"] == [BROKEN_LINE]
        assert "PluginLoadWarning" in used.stderr and BROKEN_LINE in used.stderr

        listing = venv.npnet("plugins")
        assert f"FAILED {BROKEN_LINE}" in listing.stdout.splitlines()
        for line in [
            "adam: npnet-adam 0.1.0",
            "initializers: npnet-initializers 0.1.0",
            "metrics: npnet-metrics 0.1.0",
            "modern-activations: npnet-modern-activations 0.1.0",
            "regression-losses: npnet-regression-losses 0.1.0",
            "regularizers: npnet-regularizers 0.1.0",
            "relu-softmax: npnet-relu-softmax 0.1.0",
            "rmsprop: npnet-rmsprop 0.1.0",
            "schedules: npnet-schedules 0.1.0",
            "sgd-momentum: npnet-sgd-momentum 0.1.0",
            "sigmoid-tanh: npnet-sigmoid-tanh 0.1.0",
        ]:
            assert line in listing.stdout.splitlines()
        assert "PluginLoadWarning" in listing.stderr

        strict = venv.python_code(
            """
            import json
            from npnet_core import PluginLoadError, get_registry
            outcomes = {}
            for kind, name in [("activation", "relu"), ("loss", "mse"), ("optimizer", "sgd"), ("optimizer", "adam")]:
                try:
                    get_registry().lookup(kind, name)  # every look-up fails, not only the first
                except PluginLoadError as error:
                    outcomes[name] = str(error)
                else:
                    outcomes[name] = None
            print(json.dumps(outcomes))
            """,
            env={"NPNET_STRICT_PLUGINS": "1"},
        )
        for name, message in json.loads(strict.stdout).items():
            assert message is not None, f"{name!r} resolved in strict mode"
            assert BROKEN_LINE in message and "strict mode" in message

        refused = venv.npnet("train", "--epochs", "1", env={"NPNET_STRICT_PLUGINS": "1"}, check=False)
        assert refused.returncode == 1
        assert refused.stderr.startswith(f"npnet: error: {BROKEN_LINE} (strict mode")
    finally:
        venv.pip("uninstall", "-y", "npnet-broken")


#: the plugins the fresh environment's default registry loaded from entry points
PLUGINS = """
    import json
    import npnet_core

    registry = npnet_core.get_registry()
    print(json.dumps({
        "found": [[p.name, p.distribution, p.version] for p in registry.plugins],
        "failures": [f.describe() for f in registry.failures],
    }))
"""


def test_entry_points_give_each_plugin_its_distribution_and_version(venv):
    """Installed from wheels, each official plugin is found through its entry point, with its distribution."""
    result = json.loads(venv.python_code(PLUGINS).stdout)
    assert result["failures"] == []
    assert result["found"] == [
        ["adam", "npnet-adam", "0.1.0"],
        ["initializers", "npnet-initializers", "0.1.0"],
        ["metrics", "npnet-metrics", "0.1.0"],
        ["modern-activations", "npnet-modern-activations", "0.1.0"],
        ["regression-losses", "npnet-regression-losses", "0.1.0"],
        ["regularizers", "npnet-regularizers", "0.1.0"],
        ["relu-softmax", "npnet-relu-softmax", "0.1.0"],
        ["rmsprop", "npnet-rmsprop", "0.1.0"],
        ["schedules", "npnet-schedules", "0.1.0"],
        ["sgd-momentum", "npnet-sgd-momentum", "0.1.0"],
        ["sigmoid-tanh", "npnet-sigmoid-tanh", "0.1.0"],
    ]
