"""npnet new-plugin: the names it derives, the files it writes, and that what it writes works.

The generated components are imported from the folder they were written to and
run through the whole contract suite; the generated tests are run by pytest in a
subprocess. Installing a generated plugin for real is tests/test_pip_install.py.
"""

from __future__ import annotations

import fnmatch
import importlib
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from npnet_core import NeuralNetwork, Registry, ValidationError
from npnet_core.cli import main
from npnet_core.kinds import KINDS
from npnet_core.scaffold import _scaffold, new_plugin, plugin_names, render_plugin
from npnet_core.testing import check_registered_name_resolves, checks_for

ROOT = Path(__file__).resolve().parents[1]

#: One generated plugin per kind: (distribution name, kind, component name, class name).
PLUGINS = [
    ("npnet-my-rmsprop", "optimizer", "my_rmsprop", "MyRmsprop"),  # npnet-rmsprop is official
    ("npnet-tanh", "activation", "tanh", "Tanh"),
    ("npnet-logcosh", "loss", "logcosh", "Logcosh"),
    ("npnet-lecun-uniform", "initializer", "lecun_uniform", "LecunUniform"),
    ("npnet-linear-decay", "schedule", "linear_decay", "LinearDecay"),
    ("npnet-gaussian-dropout", "regularizer", "gaussian_dropout", "GaussianDropout"),
    ("npnet-balanced-accuracy", "metric", "balanced_accuracy", "BalancedAccuracy"),
]


def test_every_kind_has_a_generated_plugin_here():
    """The scaffold's tests cover every kind of the kinds table."""
    assert sorted(kind for _, kind, _, _ in PLUGINS) == sorted(KINDS)


def expected_files(package, module):
    return {
        "pyproject.toml",
        "README.md",
        f"{package}/__init__.py",
        f"{package}/plugin.py",
        f"{package}/py.typed",
        f"{package}/{module}.py",
        "tests/test_contract.py",
        f"tests/test_{module}.py",
    }


def load_toml(path):
    tomllib = pytest.importorskip("tomllib", reason="tomllib arrived in Python 3.11")
    with open(path, "rb") as handle:
        return tomllib.load(handle)


@pytest.fixture
def forget_imports(tmp_path):
    """Remove the modules a test imports from generated folders, so that the next test imports its own.

    Only those: a library imported for the first time meanwhile (scikit-learn) stays, as it cannot be imported twice.
    """
    before = set(sys.modules)
    folder = tmp_path.resolve()
    yield
    for name in set(sys.modules) - before:
        path = getattr(sys.modules[name], "__file__", None)
        if path is not None and Path(path).resolve().is_relative_to(folder):
            del sys.modules[name]


def import_generated(plugin, monkeypatch):
    """Import the generated package and its plugin module from the folder they were written to."""
    monkeypatch.syspath_prepend(str(plugin.root))
    package = importlib.import_module(plugin.names.package)
    assert Path(package.__file__).resolve().parent == (plugin.root / plugin.names.package).resolve()
    return package, importlib.import_module(f"{plugin.names.package}.plugin")


# --- names ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, kind, component_name, expected",
    [
        (
            "npnet-my-rmsprop",
            "optimizer",
            None,
            ("npnet_my_rmsprop", "my-rmsprop", "my_rmsprop", "my_rmsprop", "MyRmsprop"),
        ),
        (
            "npnet-leaky-relu",
            "activation",
            None,
            ("npnet_leaky_relu", "leaky-relu", "leaky_relu", "leaky_relu", "LeakyRelu"),
        ),
        ("NPNet_Swish", "activation", None, ("npnet_swish", "swish", "swish", "swish", "Swish")),
        ("npnet.my.opt", "optimizer", None, ("npnet_my_opt", "my-opt", "my_opt", "my_opt", "MyOpt")),
        ("npnet-huber", "loss", "smooth.l1-v2", ("npnet_huber", "huber", "smooth.l1-v2", "smooth_l1_v2", "SmoothL1V2")),
        (
            "npnet-1cycle",
            "optimizer",
            None,
            ("npnet_1cycle", "1cycle", "1cycle", "optimizer_1cycle", "Optimizer1cycle"),
        ),
        ("npnet-plugin", "loss", None, ("npnet_plugin", "plugin", "plugin", "loss_plugin", "LossPlugin")),
        ("npnet-contract", "loss", None, ("npnet_contract", "contract", "contract", "loss_contract", "LossContract")),
        (
            "npnet-lambda",
            "activation",
            None,
            ("npnet_lambda", "lambda", "lambda", "activation_lambda", "ActivationLambda"),
        ),
        ("npnet-mapping", "optimizer", None, ("npnet_mapping", "mapping", "mapping", "mapping", "MappingOptimizer")),
        (
            "npnet-hyperparameters-mixin",
            "schedule",
            None,
            (
                "npnet_hyperparameters_mixin",
                "hyperparameters-mixin",
                "hyperparameters_mixin",
                "hyperparameters_mixin",
                "HyperparametersMixinSchedule",
            ),
        ),
        (
            "npnet-fraction",
            "regularizer",
            None,
            ("npnet_fraction", "fraction", "fraction", "fraction", "FractionRegularizer"),
        ),
    ],
)
def test_names_derived_from_the_distribution_name(name, kind, component_name, expected):
    """Package, entry point, component, module and class follow from NAME (and --component-name)."""
    names = plugin_names(name, kind, component_name)
    assert (names.package, names.entry_point, names.component, names.module, names.class_name) == expected
    assert names.distribution == name and names.kind == kind


@pytest.mark.parametrize(
    "name, component_name, words",
    [
        ("npnet rmsprop", None, ["'npnet rmsprop' is not a valid distribution name", "PEP 508"]),
        ("npnet-", None, ["not a valid distribution name"]),
        ("-npnet-x", None, ["not a valid distribution name"]),
        ("npnet/x", None, ["not a valid distribution name"]),
        ("npnet-ü", None, ["not a valid distribution name"]),
        ("", None, ["not a valid distribution name"]),
        ("npnet-x\n", None, ["not a valid distribution name"]),
        ("npnet-adam", None, ["official npnet distribution"]),
        ("npnet-rmsprop", None, ["official npnet distribution"]),
        ("NPNet_Core", None, ["official npnet distribution"]),
        ("npnet-x", "a:b", ["'a:b' is not a valid component name", "pinning"]),
        ("npnet-x", "", ["'' is not a valid component name"]),
        ("npnet-x", "-x", ["'-x' is not a valid component name"]),
        ("npnet-x", "x\n", ["is not a valid component name"]),
    ],
)
def test_bad_names_are_refused(name, component_name, words):
    """Bad distribution or component names raise ValidationError saying what is wrong."""
    with pytest.raises(ValidationError) as info:
        plugin_names(name, "optimizer", component_name)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize(
    ("name", "proposed"),
    [
        ("foo", "npnet-foo"),
        ("yogi", "npnet-yogi"),
        ("My_Opt.v2", "npnet-my-opt-v2"),
        ("json", "npnet-json"),  # would shadow the standard library's json: the prefix keeps it apart
        ("numpy", "npnet-numpy"),
        ("1cycle", "npnet-1cycle"),  # the package 1cycle would be no identifier
        ("npnetx", "npnet-npnetx"),  # npnet without a separator is no prefix
    ],
)
def test_a_name_without_the_npnet_prefix_is_refused_with_the_name_to_use(name, proposed):
    """Plugin distributions are named npnet-SOMETHING: any other name is refused, proposing npnet-NAME."""
    with pytest.raises(ValidationError) as info:
        plugin_names(name, "optimizer")
    message = str(info.value)
    assert f"{name!r} does not start with 'npnet-'" in message and message.endswith(f"did you mean {proposed}?")
    assert plugin_names(proposed, "optimizer").distribution == proposed  # the proposal is a name that works


def test_unknown_kind_is_refused():
    """An unknown kind is refused with the list of kinds."""
    with pytest.raises(ValidationError, match="activation, loss, optimizer"):
        plugin_names("npnet-accuracy", "no-such-kind")


# --- the files ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, kind, component, class_name", PLUGINS, ids=[p[1] for p in PLUGINS])
def test_each_kind_writes_a_complete_distribution(tmp_path, name, kind, component, class_name):
    """pyproject.toml, README, the package with __version__, py.typed, hook and component, and the tests."""
    plugin = new_plugin(name, kind, tmp_path)
    package = plugin.names.package
    assert plugin.root == tmp_path / name
    written = {path.relative_to(plugin.root).as_posix() for path in plugin.files}
    assert written == expected_files(package, component)
    on_disk = {p.relative_to(plugin.root).as_posix() for p in plugin.root.rglob("*") if p.is_file()}
    assert on_disk == written
    for path in plugin.files:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\{\{\w+\}\}", text), path  # every placeholder filled
        if path.suffix == ".py":
            compile(text, str(path), "exec")
    assert (plugin.root / package / "py.typed").read_text() == ""
    assert '__version__ = "0.1.0"' in (plugin.root / package / "__init__.py").read_text()
    plugin_py = (plugin.root / package / "plugin.py").read_text()
    assert "@hookimpl" in plugin_py and f'register("{component}", {class_name})' in plugin_py
    component_py = (plugin.root / package / f"{component}.py").read_text()
    assert (
        re.search(rf"^class {class_name}[(:]", component_py, re.MULTILINE) and f'name = "{component}"' in component_py
    )
    assert "parametrize_with_checks" in (plugin.root / "tests" / "test_contract.py").read_text()

    readme = (plugin.root / "README.md").read_text()
    for words in [
        f"# {name}",
        f'"{component}"',
        "pip install -e",
        "pytest",
        f"npnet check {component}",
        "twine upload",
    ]:
        assert words in readme


@pytest.mark.parametrize("name, kind, component, class_name", PLUGINS, ids=[p[1] for p in PLUGINS])
def test_pyproject_declares_the_plugin(tmp_path, name, kind, component, class_name):
    """PEP 621 metadata, the setuptools backend, the dependencies, one npnet entry point, py.typed as data."""
    plugin = new_plugin(name, kind, tmp_path)
    package = plugin.names.package
    config = load_toml(plugin.root / "pyproject.toml")
    assert config["build-system"] == {"requires": ["setuptools>=64"], "build-backend": "setuptools.build_meta"}
    project = config["project"]
    assert project["name"] == name
    assert project["dependencies"] == ["npnet-core>=0.1,<0.2", "numpy>=1.22"]
    assert project["requires-python"] == ">=3.9"
    assert project["entry-points"] == {"npnet": {plugin.names.entry_point: f"{package}.plugin"}}
    assert project["dynamic"] == ["version"]
    setuptools = config["tool"]["setuptools"]
    assert setuptools["dynamic"]["version"] == {"attr": f"{package}.__version__"}
    assert setuptools["packages"] == [package]
    assert setuptools["package-data"] == {package: ["py.typed"]}
    assert "--import-mode=importlib" in config["tool"]["pytest"]["ini_options"]["addopts"]


def test_render_writes_nothing_and_matches_the_written_files(tmp_path):
    """render_plugin returns the texts that new_plugin writes."""
    names = plugin_names("npnet-tanh", "activation")
    rendered = render_plugin(names)
    assert not any(tmp_path.iterdir())
    plugin = new_plugin("npnet-tanh", "activation", tmp_path)
    assert {p.relative_to(plugin.root).as_posix(): p.read_text(encoding="utf-8") for p in plugin.files} == rendered


# --- the generated code works ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, kind, component, class_name", PLUGINS, ids=[p[1] for p in PLUGINS])
def test_generated_component_passes_every_contract_check(
    tmp_path, monkeypatch, forget_imports, name, kind, component, class_name
):
    """Imported in-process, the example component passes each check of its kind.

    check_registered_name_resolves runs against a registry holding the generated
    plugin module, registered by hand (installing it is test_pip_install.py).
    """
    plugin = new_plugin(name, kind, tmp_path)
    package, plugin_module = import_generated(plugin, monkeypatch)
    component_object = getattr(package, class_name)()
    assert component_object.name == component

    registry = Registry(autoload=False, blocked=(), strict=False)
    registry.register_plugin(plugin_module, plugin.names.entry_point, distribution=name, version="0.1.0")
    ran = []
    for check in checks_for(component_object, kind):
        if check is check_registered_name_resolves:
            check(component_object, registry=registry)
        else:
            check(component_object)
        ran.append(check.__name__)
    assert [name for name in ran] == list(KINDS[kind].checks) and ran[-1] == "check_registered_name_resolves"


def test_generated_component_with_unusual_names_passes_the_contract_suite(tmp_path, monkeypatch, forget_imports):
    """A component name with '.' and '-' that starts with a digit still gives working code."""
    plugin = new_plugin("NPNet.1Cycle", "optimizer", tmp_path, component_name="1cycle.v2-x")
    package, plugin_module = import_generated(plugin, monkeypatch)
    registry = Registry(autoload=False, blocked=(), strict=False)
    registry.register_plugin(plugin_module, plugin.names.entry_point, distribution="NPNet.1Cycle", version="0.1.0")
    optimizer, spec = registry.create("optimizer", "1cycle.v2-x", {"learning_rate": 0.01})
    assert type(optimizer) is package.Optimizer1cycleV2X and spec.name == "1cycle.v2-x"
    for check in checks_for(optimizer):
        if check is check_registered_name_resolves:
            check(optimizer, registry=registry)
        else:
            check(optimizer)


def test_generated_metric_is_scikit_learns_balanced_accuracy(tmp_path, monkeypatch, forget_imports):
    """The metric kind's example gives sklearn.metrics.balanced_accuracy_score of the argmax (or > 0.5) classes.

    Random outputs and labels of 1 to 5 outputs, with classes absent from y_true (which scikit-learn ignores,
    warning) and imbalanced ones; y_true as labels and as one-hot rows.
    """
    metrics = pytest.importorskip("sklearn.metrics")
    package, _ = import_generated(new_plugin("npnet-balanced-accuracy", "metric", tmp_path), monkeypatch)
    metric = package.BalancedAccuracy()
    rng = np.random.default_rng(0)
    for n_outputs, n_samples, n_present in [(2, 40, 2), (3, 7, 2), (5, 200, 5), (5, 30, 3), (1, 50, 2), (4, 1, 1)]:
        n_classes = max(n_outputs, 2)
        labels = rng.choice(rng.permutation(n_classes)[:n_present], size=n_samples)
        y_pred = rng.random((n_samples, n_outputs))
        predicted = (y_pred[:, 0] > 0.5).astype(int) if n_outputs == 1 else y_pred.argmax(axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "y_pred contains classes not in y_true"
            expected = metrics.balanced_accuracy_score(labels, predicted)
        assert metric.compute(y_pred, labels) == pytest.approx(expected, rel=1e-12)
        if n_outputs > 1:
            assert metric.compute(y_pred, np.eye(n_outputs)[labels]) == pytest.approx(expected, rel=1e-12)


def test_generated_schedule_sets_the_learning_rate_of_a_network(tmp_path, monkeypatch, forget_imports):
    """In a network with SGD, the schedule kind's example sets each update's rate by hand formula, over fit calls.

    100 samples in batches of 25 are 4 updates per epoch; with total_steps = 8 and base 0.1, the last updates
    of epochs 1 and 2 (steps 3 and 7) have the rates 0.1 (1 - 3/8) = 0.0625 and 0.1 (1 - 7/8) = 0.0125. A
    second fit goes on from step 8, where the rate is 0: SGD then leaves the parameters as they are. After
    each fit the optimizer has its own learning rate, 0.1, again.
    """
    package, _ = import_generated(new_plugin("npnet-linear-decay", "schedule", tmp_path), monkeypatch)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(100, 3)), rng.integers(0, 2, size=100)
    net = NeuralNetwork(
        [3, 5, 2],
        "relu",
        "softmax",
        "categorical_crossentropy",
        ("sgd", {"learning_rate": 0.1}),
        seed=0,
        schedule=package.LinearDecay(total_steps=8),
    )
    before = net.params.copy()
    net.fit(x, y, batch_size=25, epochs=2, categorical=True, verbose=0)
    assert net.history["learning_rate"] == pytest.approx([0.0625, 0.0125], rel=1e-12)
    assert net.updates == 8 and net.optimizer.learning_rate == 0.1
    assert not np.array_equal(net.params, before)
    trained = net.params.copy()
    net.fit(x, y, batch_size=25, epochs=1, categorical=True, verbose=0)
    assert net.updates == 12 and net.history["learning_rate"][-1] == 0.0
    np.testing.assert_array_equal(net.params, trained)
    assert net.optimizer.learning_rate == 0.1


def test_generated_metric_is_reported_by_fit_and_score(tmp_path, monkeypatch, forget_imports):
    """fit(metrics=[...]) records the metric kind's example under its name; score(metric=) is sklearn's on predict.

    Three imbalanced classes (about 60 %, 30 % and 10 %), learnt part of the way: the scores lie strictly between
    1/3 (one class predicted for all) and 1, where balanced accuracy and accuracy differ.
    """
    metrics = pytest.importorskip("sklearn.metrics")
    package, _ = import_generated(new_plugin("npnet-balanced-accuracy", "metric", tmp_path), monkeypatch)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 2))
    y = np.digitize(x[:, 0] + 0.3 * rng.normal(size=300), [0.25, 1.3])
    net = NeuralNetwork(
        [2, 8, 3], "relu", "softmax", "categorical_crossentropy", ("adam", {"learning_rate": 0.01}), seed=0
    )
    net.fit(
        x[:200],
        y[:200],
        batch_size=20,
        epochs=10,
        categorical=True,
        verbose=0,
        metrics=[package.BalancedAccuracy()],
        validation_data=(x[200:], y[200:]),
    )
    assert len(net.history["balanced_accuracy"]) == len(net.history["val_balanced_accuracy"]) == 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # sklearn warns when a class is predicted but absent from y
        on_validation = metrics.balanced_accuracy_score(y[200:], net.predict(x[200:], labels=True))
        on_all = metrics.balanced_accuracy_score(y, net.predict(x, labels=True))
    assert 1 / 3 < on_validation < 1 and 1 / 3 < on_all < 1
    assert net.history["val_balanced_accuracy"][-1] == pytest.approx(on_validation, rel=1e-12)
    assert net.score(x, y, metric=package.BalancedAccuracy()) == pytest.approx(on_all, rel=1e-12)


@pytest.mark.parametrize("name, kind, component, class_name", PLUGINS, ids=[p[1] for p in PLUGINS])
def test_generated_tests_pass_before_installation(tmp_path, name, kind, component, class_name):
    """pytest on the generated tests passes, but for the checks that need the plugin installed.

    Not installed, the name cannot resolve and the packaging test skips; with the
    plugin installed, test_pip_install.py runs them all.
    """
    plugin = new_plugin(name, kind, tmp_path)
    paths = [str(plugin.root), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    env.pop("NPNET_STRICT_PLUGINS", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "not check_registered_name_resolves"],
        cwd=plugin.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failed" not in summary and "error" not in summary
    assert "1 skipped" in summary and " deselected" in summary  # the packaging test; the registered-name checks


# --- the command ----------------------------------------------------------------------------------------


def test_command_writes_the_plugin_and_prints_the_next_steps(tmp_path, capsys):
    """npnet new-plugin lists what it wrote and the commands to install, test and check the plugin."""
    assert main(["new-plugin", "npnet-my-rmsprop", "--kind", "optimizer", "--directory", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    root = tmp_path / "npnet-my-rmsprop"
    for relative in expected_files("npnet_my_rmsprop", "my_rmsprop"):
        assert f"  {root / relative}\n" in out
    assert f"  pip install -e {root}\n" in out
    assert f"  pytest {root / 'tests'}\n" in out
    assert "  npnet check my_rmsprop\n" in out
    assert "'my_rmsprop'" in out and "class MyRmsprop" in out


def test_command_writes_into_the_current_directory_by_default(tmp_path, monkeypatch, capsys):
    """Without --directory the plugin goes to ./NAME; --component-name renames the component."""
    monkeypatch.chdir(tmp_path)
    assert main(["new-plugin", "npnet-softsign", "--kind", "activation", "--component-name", "soft_sign"]) == 0
    assert (tmp_path / "npnet-softsign" / "npnet_softsign" / "soft_sign.py").is_file()
    out = capsys.readouterr().out
    assert "  pip install -e npnet-softsign\n" in out and "  npnet check soft_sign\n" in out


def test_command_refuses_to_overwrite_a_non_empty_directory(tmp_path, capsys):
    """A second run exits 1 with a one-line error and leaves the first run's files alone."""
    assert main(["new-plugin", "npnet-tanh", "--kind", "activation", "--directory", str(tmp_path)]) == 0
    component = tmp_path / "npnet-tanh" / "npnet_tanh" / "tanh.py"
    component.write_text("# my own work\n")
    capsys.readouterr()
    assert main(["new-plugin", "npnet-tanh", "--kind", "loss", "--directory", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        captured.err
        == f"npnet: error: {tmp_path / 'npnet-tanh'} already exists and is not empty; choose another --directory or name\n"
    )
    assert component.read_text() == "# my own work\n"


def test_an_empty_directory_is_filled_and_a_file_is_refused(tmp_path, capsys):
    """An existing empty folder is fine; a file in the way is an error."""
    (tmp_path / "npnet-tanh").mkdir()
    assert main(["new-plugin", "npnet-tanh", "--kind", "activation", "--directory", str(tmp_path)]) == 0
    (tmp_path / "npnet-logcosh").write_text("")
    assert main(["new-plugin", "npnet-logcosh", "--kind", "loss", "--directory", str(tmp_path)]) == 1
    assert "already exists and is not a directory" in capsys.readouterr().err


def test_command_reports_a_bad_name_in_one_line(tmp_path, capsys):
    """A bad NAME exits 1 with npnet's message and writes nothing."""
    assert main(["new-plugin", "npnet rmsprop", "--kind", "optimizer", "--directory", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("npnet: error: 'npnet rmsprop' is not a valid distribution name") and err.count("\n") == 1
    assert not any(tmp_path.iterdir())


def test_command_proposes_the_npnet_prefix(tmp_path, capsys):
    """npnet new-plugin foo: one line proposing npnet-foo, exit status 1, nothing written (no question asked)."""
    assert main(["new-plugin", "foo", "--kind", "loss", "--directory", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("npnet: error: 'foo' does not start with 'npnet-'") and err.count("\n") == 1
    assert err.endswith("did you mean npnet-foo?\n") and not any(tmp_path.iterdir())


def test_command_requires_a_known_kind(capsys):
    """--kind is required and must be optimizer, activation or loss (usage error, exit 2)."""
    for argv in (["new-plugin", "npnet-x"], ["new-plugin", "npnet-x", "--kind", "no-such-kind"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
    assert "--kind" in capsys.readouterr().err


@pytest.mark.parametrize("existed", [False, True], ids=["new directory", "empty directory"])
def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch, existed):
    """If writing fails half-way, the files written so far (and a directory it made) are removed."""
    root = tmp_path / "npnet-my-rmsprop"
    if existed:
        root.mkdir()
    calls = []

    def failing_open(path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        return open(path, *args, **kwargs)

    monkeypatch.setattr(_scaffold, "open", failing_open, raising=False)
    with pytest.raises(OSError, match="No space left"):
        new_plugin("npnet-my-rmsprop", "optimizer", tmp_path)
    assert root.is_dir() == existed
    assert not existed or not any(root.iterdir())


# --- packaging of npnet-core itself -------------------------------------------------------------------------


def test_templates_and_subpackages_are_packaged():
    """Every template and data file matches a package-data glob and every subpackage is found by packages.find."""
    config = load_toml(ROOT / "pyproject.toml")
    setuptools = config["tool"]["setuptools"]
    globs = setuptools["package-data"]["npnet_core"]
    templates = [
        p.relative_to(ROOT / "npnet_core").as_posix()
        for folder in ("scaffold/templates", "datasets/data")
        for p in (ROOT / "npnet_core" / folder).rglob("*")
        if p.is_file()
    ]
    assert templates
    for template in templates:
        assert any(fnmatch.fnmatch(template, glob) and template.count("/") == glob.count("/") for glob in globs), (
            template
        )
    include = setuptools["packages"]["find"]["include"]
    for init in (ROOT / "npnet_core").rglob("__init__.py"):
        dotted = ".".join(init.parent.relative_to(ROOT).parts)
        assert any(fnmatch.fnmatch(dotted, pattern) for pattern in include), dotted
