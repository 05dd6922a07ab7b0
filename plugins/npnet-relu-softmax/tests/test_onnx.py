"""Networks with relu, identity and softmax, exported to ONNX and run in ONNX Runtime, predict what npnet predicts.

The reference is the network's own ``predict`` (NumPy), in the same dtype:
float64 within 1e-12 and float32 within 1e-5, relative to the outputs' scale
(outputs can be 0); labels (the argmax of each row) must be equal.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from npnet_core import NeuralNetwork
from npnet_core.testing import assert_exported_close as assert_close
from npnet_core.testing import run_exported as run

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")
pytest.importorskip("npnet_adam", reason="the networks use adam")

DTYPES = ["float64", "float32"]


def branch_inputs() -> np.ndarray:
    """Both signs of 1e-8 to 1e4 (4 per decade) and 0, in rows of 8 (softmax rows mixing tiny and huge)."""
    magnitudes = np.logspace(-8, 4, 49)
    values = np.concatenate([-magnitudes[::-1], [0.0], magnitudes])
    return np.resize(values, (-(-values.size // 8), 8))


def identity_network(hidden: str, output: str, dtype: str) -> NeuralNetwork:
    """[8, 8, 8] computing ``output(hidden(x))``: both layers' weights the identity."""
    net = NeuralNetwork([8, 8, 8], hidden, output, "mse", "adam", seed=0, dtype=dtype)
    for weights, biases in zip(net.weights, net.biases):
        weights[...] = np.eye(8)
        biases[...] = 0
    return net


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hidden, output", [("relu", "identity"), ("identity", "identity"), ("identity", "softmax")])
def test_exported_activations_compute_forward(hidden, output, dtype, tmp_path) -> None:
    """With identity weights the output is the activations of the input: ONNX Runtime's equals npnet's."""
    net = identity_network(hidden, output, dtype)
    x = branch_inputs().astype(dtype)
    rows = np.vstack([x, np.random.default_rng(0).normal(size=(4, 8)).astype(dtype)])
    output_values, _, _ = run(net, rows, tmp_path / "m.onnx")
    assert_close(output_values, net.predict(rows), dtype)
    # no labels here: rows of near-equal tiny inputs tie in float32, and a tie may break either way


def test_softmax_against_the_closed_form(tmp_path) -> None:
    """softmax([0, ln 2, ln 3, ln 4, -800, -800, -800, -800]) = [0.1, 0.2, 0.3, 0.4, 0, 0, 0, 0], in float64."""
    net = identity_network("identity", "softmax", "float64")
    z = np.array([[0.0, math.log(2.0), math.log(3.0), math.log(4.0), -800.0, -800.0, -800.0, -800.0]])
    output, label, _ = run(net, z, tmp_path / "m.onnx")
    expected = [0.1, 0.2, 0.3, 0.4, 0.0, 0.0, 0.0, 0.0]  # exp(-800) / 10 underflows to 0
    # ONNX Runtime 1.19 (the newest for Python 3.9) gives subnormals (2.2e-309) for the 0s: below the smallest normal
    np.testing.assert_allclose(output[0], expected, rtol=4 * np.finfo(np.float64).eps, atol=np.finfo(np.float64).tiny)
    assert label.tolist() == [3]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hidden", ["relu", "identity"])
def test_exported_classifier_predicts_outputs_and_labels(hidden, dtype, tmp_path) -> None:
    """Two hidden layers and softmax out, trained a little: outputs and argmax labels are predict's."""
    rng = np.random.default_rng(5)
    x = 3.0 * rng.normal(size=(64, 4))
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)
    net = NeuralNetwork([4, 16, 16, 3], hidden, "softmax", "categorical_crossentropy", "adam", seed=1, dtype=dtype)
    net.fit(x, y, batch_size=16, epochs=3, categorical=True, verbose=0)
    output, label, model = run(net, x, tmp_path / "m.onnx")
    assert_close(output, net.predict(x), dtype)
    np.testing.assert_array_equal(label, net.predict(x, labels=True))
    assert {"Softmax", "ArgMax"} <= {node.op_type for node in model.graph.node}


@pytest.mark.parametrize("dtype", DTYPES)
def test_exported_regressor_predicts_its_outputs(dtype, tmp_path) -> None:
    """relu hidden, identity out (mse): outputs of any sign and size are predict's."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(50, 3))
    y = np.hstack([x @ [[1.0], [-2.0], [0.5]], np.abs(x[:, :1]) * 10])
    net = NeuralNetwork([3, 16, 2], "relu", "identity", "mse", "adam", seed=2, dtype=dtype)
    net.fit(x, y, batch_size=10, epochs=3, verbose=0)
    output, _, _ = run(net, x, tmp_path / "m.onnx")
    assert_close(output, net.predict(x), dtype, scale=np.abs(net.predict(x)).max())
