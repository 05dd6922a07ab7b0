"""Export to ONNX (npnet_core.export, NeuralNetwork.to_onnx, npnet export), checked in ONNX Runtime.

ONNX Runtime is the independent reference: the exported file must give what
``predict`` gives (float64 within 1e-12 relative, float32 within 1e-5) and what
``predict(labels=True)`` gives, exactly. The activations' own exports are
tested in their plugins; here the core's part: layers, outputs, labels,
metadata, errors, the command, and a third-party activation plugin that
exports through its ``to_onnx``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from npnet_core import ExportError, InvalidParameterError, NeuralNetwork, hookimpl  # noqa: E402
from npnet_core.cli import main  # noqa: E402
from npnet_core.datasets import load_digits  # noqa: E402
from npnet_core.export import DEFAULT_OPSET, MIN_OPSET  # noqa: E402
from npnet_core.protocols import PROBABILITIES  # noqa: E402

TOLERANCE = {"float64": 1e-12, "float32": 1e-5}


def run_onnx(path: Any, x: np.ndarray) -> Any:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})


def assert_close(actual: np.ndarray, expected: np.ndarray, dtype: str) -> None:
    assert actual.dtype == expected.dtype
    scale = max(float(np.abs(expected).max()), 1.0)  # outputs may be 0: compare at the outputs' scale
    np.testing.assert_allclose(actual, expected, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype] * scale)


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits()
    return x / 16.0, y


class Softsign:
    """A third-party activation, ``z / (1 + |z|)``, that exports itself."""

    name = "softsign"

    def forward(self, z):
        return z / (1 + np.abs(z))

    def backward(self, z, a, grad_a):
        return grad_a / (1 + np.abs(z)) ** 2

    def get_config(self):
        return {}

    def to_onnx(self, graph, x):
        one = graph.constant(1.0)
        return graph.node("Div", [x, graph.node("Add", [one, graph.node("Abs", [x])])])


class Logistic(Softsign):
    """A third-party output activation giving probabilities, exported as ONNX's Sigmoid."""

    name = "my_logistic"
    produces = PROBABILITIES

    def forward(self, z):
        return 1 / (1 + np.exp(-z))

    def backward(self, z, a, grad_a):
        return grad_a * a * (1 - a)

    def to_onnx(self, graph, x):
        return graph.node("Sigmoid", [x])


class NoExport(Softsign):
    name = "no_export"
    to_onnx = None


class third_party:
    """The plugin module of a distribution 'npnet-softsign'."""

    @staticmethod
    @hookimpl
    def npnet_register_activations(register):
        register("softsign", Softsign)
        register("my_logistic", Logistic)
        register("no_export", NoExport)


@pytest.fixture
def registry(registry_of):
    registry = registry_of()
    registry.register_plugin(third_party, "npnet-softsign", distribution="npnet-softsign", version="1.0")
    return registry


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("hidden", [[32], [32, 16, 8]], ids=["one hidden layer", "three hidden layers"])
def test_a_classifier_exports_the_outputs_and_labels_of_predict(tmp_path, digits, dtype, hidden):
    x, y = digits
    net = NeuralNetwork([64, *hidden, 10], "relu", "softmax", "categorical_crossentropy", "adam", seed=0, dtype=dtype)
    net.fit(x, y, 32, 2, categorical=True, verbose=0)
    model = net.to_onnx(tmp_path / "digits.onnx", labels=True)
    outputs, labels = run_onnx(tmp_path / "digits.onnx", x.astype(dtype))
    assert_close(outputs, net.predict(x), dtype)
    np.testing.assert_array_equal(labels, net.predict(x, labels=True))
    assert labels.dtype == np.int64
    assert [o.name for o in model.graph.output] == ["output", "label"]
    assert onnx.load(str(tmp_path / "digits.onnx")) == model


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_regressor_exports_its_raw_outputs(tmp_path, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 5))
    y = np.stack([x.sum(axis=1), x[:, 0] * x[:, 1]], axis=1)
    net = NeuralNetwork([5, 16, 2], "relu", "identity", "mse", "adam", seed=0, dtype=dtype)
    net.fit(x, y, 32, 3, verbose=0)
    net.to_onnx(tmp_path / "r.onnx")
    (outputs,) = run_onnx(tmp_path / "r.onnx", x.astype(dtype))
    assert_close(outputs, net.predict(x), dtype)


@pytest.mark.parametrize("outputs", [1, 3], ids=["binary", "multi-label"])
def test_probability_outputs_give_0_1_labels_as_predict_does(tmp_path, registry, outputs):
    """A third-party activation exports through its to_onnx, hidden (softsign) and as the output (my_logistic)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((200, 4))
    y = (x[:, :outputs] + 0.3 * x[:, 3:4] > 0).astype(float)
    net = NeuralNetwork([4, 8, outputs], "softsign", "my_logistic", "binary_crossentropy", "adam", registry=registry)
    net.fit(x, y[:, 0] if outputs == 1 else y, 16, 3, verbose=0)
    net.to_onnx(tmp_path / "b.onnx", labels=True)
    probabilities, labels = run_onnx(tmp_path / "b.onnx", x)
    assert_close(probabilities, net.predict(x), "float64")
    expected = net.predict(x, labels=True)
    assert labels.shape == expected.shape == ((200,) if outputs == 1 else (200, outputs))
    np.testing.assert_array_equal(labels, expected)


def test_regularizers_act_only_in_training_and_export_as_nothing(tmp_path, digits):
    x, y = digits
    net = NeuralNetwork(
        [64, 32, 10], "relu", "softmax", "categorical_crossentropy", "sgd", seed=0,
        regularizers=["l2", ("dropout", {"rate": 0.3})],
    )  # fmt: skip
    net.fit(x, y, 32, 2, categorical=True, verbose=0)
    model = net.to_onnx(tmp_path / "d.onnx")
    assert sorted({node.op_type for node in model.graph.node}) == ["Add", "Identity", "MatMul", "Relu", "Softmax"]
    assert_close(run_onnx(tmp_path / "d.onnx", x)[0], net.predict(x), "float64")


def test_the_model_says_what_made_it(tmp_path):
    net = NeuralNetwork([3, 4, 2], "relu", "softmax", "categorical_crossentropy", ("adam", {"learning_rate": 0.01}))
    model = net.to_onnx()
    properties = {p.key: p.value for p in model.metadata_props}
    from npnet_core import __version__

    assert properties["npnet_version"] == __version__ == model.producer_version
    assert json.loads(properties["layers"]) == [3, 4, 2] and properties["dtype"] == "float64"
    components = json.loads(properties["components"])
    assert components["hidden_activation"] == {
        "name": "relu",
        "distribution": "npnet-relu-softmax",
        "version": net.component_specs["hidden_activation"].version,
    }
    assert components["optimizer"]["name"] == "adam"
    assert model.opset_import[0].version == DEFAULT_OPSET
    assert model.ir_version == 8  # opset 17's IR version (onnx's versioning table), which older runtimes load
    batch, features = model.graph.input[0].type.tensor_type.shape.dim
    assert batch.dim_param == "batch" and features.dim_value == 3  # any number of rows


def test_the_opset_is_checked_and_honoured(tmp_path, digits):
    x, y = digits
    net = NeuralNetwork([64, 10, 10], "relu", "softmax", "categorical_crossentropy", "sgd", seed=0)
    model = net.to_onnx(tmp_path / "13.onnx", opset=MIN_OPSET, labels=True)
    assert model.opset_import[0].version == MIN_OPSET
    np.testing.assert_array_equal(run_onnx(tmp_path / "13.onnx", x)[1], net.predict(x, labels=True))
    for bad in (12, onnx.defs.onnx_opset_version() + 1, 17.0, True, "17"):
        with pytest.raises(InvalidParameterError, match=f"opset must be an integer from {MIN_OPSET} to"):
            net.to_onnx(opset=bad)


def test_an_activation_without_an_export_is_named_with_its_distribution(tmp_path, registry):
    net = NeuralNetwork([3, 4, 4, 2], ["relu", "no_export"], "softmax", "categorical_crossentropy", "sgd",
                        registry=registry)  # fmt: skip
    with pytest.raises(ExportError) as error:
        net.to_onnx(tmp_path / "m.onnx")
    message = str(error.value)
    assert "the activation 'no_export' of layer 2 (from npnet-softsign) cannot be exported" in message
    assert "to_onnx(graph, x)" in message
    assert not (tmp_path / "m.onnx").exists()


class Broken(Softsign):
    name = "broken"

    def __init__(self, emit):
        self.emit = emit

    def to_onnx(self, graph, x):
        return self.emit(graph, x)


@pytest.mark.parametrize(
    "emit, message",
    [
        (lambda graph, x: graph.node("Softsine", [x]), "ONNX has no operator 'Softsine' at opset 17"),
        (lambda graph, x: graph.node("relu", [x]), "an ONNX operator is named like 'Relu'"),
        (lambda graph, x: graph.node("Relu", ["z"]), r"inputs \['z'\] are not tensors of this graph"),
        (lambda graph, x: None, "to_onnx must return the name of its output tensor, not None"),
        (lambda graph, x: graph.node("Softmax", [x], axis="rows"), "the exported model is not valid ONNX"),
        (lambda graph, x: graph.node("Relu", None), "to_onnx raised TypeError"),
        (lambda graph, x: graph.constant(np.array([object()])), "to_onnx raised"),
        (lambda graph, x: sys.exit(0), "to_onnx raised SystemExit"),
    ],
    ids=[
        "unknown operator",
        "operator name",
        "unknown input",
        "no output",
        "invalid attribute",
        "a plugin's TypeError",
        "an object constant",
        "sys.exit",
    ],
)
def test_an_activation_that_writes_a_bad_graph_gets_an_export_error(tmp_path, emit, message):
    net = NeuralNetwork([3, 4, 2], Broken(emit), "softmax", "categorical_crossentropy", "sgd")
    with pytest.raises(ExportError, match=message):
        net.to_onnx(tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_without_onnx_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx raises ImportError
    net = NeuralNetwork([3, 4, 2], "relu", "softmax", "categorical_crossentropy", "sgd")
    with pytest.raises(ImportError, match=r"pip install npnet-core\[onnx\]"):
        net.to_onnx()


def test_the_exported_file_runs_where_npnet_cannot_be_imported(tmp_path, digits):
    x, y = digits
    net = NeuralNetwork([64, 32, 10], "relu", "softmax", "categorical_crossentropy", "adam", seed=0)
    net.fit(x, y, 32, 2, categorical=True, verbose=0)
    net.to_onnx(tmp_path / "digits.onnx", labels=True)
    np.save(tmp_path / "x.npy", x)
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["npnet_core"] = None  # import npnet_core raises ImportError from here on
        try:
            import npnet_core
        except ImportError:
            pass
        else:
            raise SystemExit("npnet is importable")
        import numpy as np
        import onnxruntime
        session = onnxruntime.InferenceSession({str(tmp_path / "digits.onnx")!r}, providers=["CPUExecutionProvider"])
        outputs, labels = session.run(None, {{"input": np.load({str(tmp_path / "x.npy")!r})}})
        np.save({str(tmp_path / "labels.npy")!r}, labels)
        np.save({str(tmp_path / "outputs.npy")!r}, outputs)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "labels.npy"), net.predict(x, labels=True))
    assert_close(np.load(tmp_path / "outputs.npy"), net.predict(x), "float64")


def test_npnet_export_gives_what_npnet_predict_gives_on_the_test_split(tmp_path, capsys, monkeypatch):
    """The README's digits model: trained and saved by the command, exported, run in ONNX Runtime."""
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--hidden", "32", "--epochs", "5", "--save", "digits.npz"]) == 0
    assert main(["export", "digits.npz", "digits.onnx", "--labels"]) == 0
    out = capsys.readouterr().out
    assert "wrote digits.onnx: ONNX opset 17, input 'input' (batch, 64) float64, outputs 'output', 'label'" in out
    x, _ = load_digits()
    np.save("x.npy", x)
    assert main(["predict", "digits.npz", "--data", "x.npy", "--output", "labels.npy"]) == 0
    assert main(["predict", "digits.npz", "--data", "x.npy", "--outputs", "--output", "outputs.npy"]) == 0
    outputs, labels = run_onnx("digits.onnx", x)
    np.testing.assert_array_equal(labels, np.load("labels.npy"))
    assert_close(outputs, np.load("outputs.npy"), "float64")


def test_npnet_export_refuses_with_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    NeuralNetwork([3, 4, 2], "relu", "softmax", "categorical_crossentropy", "sgd").save("m.npz")
    assert main(["export", "m.npz", "missing/m.onnx"]) == 1
    assert main(["export", "m.npz", "m.onnx", "--opset", "99"]) == 1
    monkeypatch.setitem(sys.modules, "onnx", None)
    assert main(["export", "m.npz", "m.onnx"]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert errors == [
        "npnet: error: ONNX missing/m.onnx: the folder missing does not exist",
        f"npnet: error: opset must be an integer from 13 to {onnx.defs.onnx_opset_version()}, the newest the "
        "installed onnx knows (got 99)",
        errors[2],
    ]
    assert (
        errors[2].startswith("npnet: error: exporting to ONNX needs the onnx package")
        and "npnet-core[onnx]" in errors[2]
    )
    assert not (tmp_path / "m.onnx").exists()


def test_names_a_plugin_chooses_never_collide_with_the_graphs(tmp_path, digits):
    """Constants named like the outputs or like names the graph makes later, and an omitted optional input."""

    def emit(graph, x):
        graph.constant(0.5, name="label")
        graph.constant(0.5, name="output")
        graph.constant(0.5, name="relu_9")
        low = graph.constant(0.0, name="W1")  # taken by the first layer's weights: renamed
        return graph.node("Relu", [graph.node("Clip", [x, low, ""])])  # Clip(x, 0, no max): relu again

    class ClippedRelu(Broken):
        def forward(self, z):
            return np.maximum(z, 0)

        def backward(self, z, a, grad_a):
            return grad_a * (z > 0)

    x, y = digits
    net = NeuralNetwork([64, 16, 10], ClippedRelu(emit), "softmax", "categorical_crossentropy", "sgd", seed=0)
    net.fit(x, y, 32, 1, categorical=True, verbose=0)
    net.to_onnx(tmp_path / "m.onnx", labels=True)
    outputs, labels = run_onnx(tmp_path / "m.onnx", x)
    np.testing.assert_array_equal(labels, net.predict(x, labels=True))
    assert_close(outputs, net.predict(x), "float64")


def test_npnet_export_never_writes_over_the_model(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    NeuralNetwork([3, 4, 2], "relu", "softmax", "categorical_crossentropy", "sgd").save("m.npz")
    saved = (tmp_path / "m.npz").read_bytes()
    (tmp_path / "link.npz").symlink_to(tmp_path / "m.npz")
    assert main(["export", "m.npz", "m.npz"]) == 1
    assert main(["export", "m.npz", "link.npz"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "npnet: error: ONNX m.npz: is the model file itself; give another name, such as model.onnx",
        "npnet: error: ONNX link.npz: is the model file itself; give another name, such as model.onnx",
    ]
    assert (tmp_path / "m.npz").read_bytes() == saved
