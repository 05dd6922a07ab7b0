"""Networks with sigmoid and tanh, exported to ONNX and run in ONNX Runtime, predict what npnet predicts.

The reference is the network's own ``predict`` (NumPy), in the same dtype:
float64 within 1e-12 and float32 within 1e-5, relative to the outputs' scale
(outputs can be 0). Sigmoid is also the output activation of binary and
multi-label classifiers, whose ``"label"`` output (each output above 0.5) must
be ``predict(labels=True)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from npnet_sigmoid_tanh import Sigmoid

from npnet_core import NeuralNetwork
from npnet_core.testing import assert_exported_close as assert_close
from npnet_core.testing import run_exported as run

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")
pytest.importorskip("npnet_relu_softmax", reason="the networks use its identity, softmax and mse")
pytest.importorskip("npnet_adam", reason="the networks use adam")

DTYPES = ["float64", "float32"]


def branch_inputs() -> np.ndarray:
    """Both signs of 1e-8 to 1e4 (4 per decade), where the sigmoid saturates in each dtype (17, 37, 104, 745),
    and 0: 8 columns."""
    tails = [17.0, 19.0, 36.0, 37.0, 38.0, 40.0, 88.0, 104.0, 700.0, 745.0, 750.0]
    magnitudes = np.unique(np.concatenate([np.logspace(-8, 4, 49), tails]))
    values = np.concatenate([-magnitudes[::-1], [0.0], magnitudes])
    return np.resize(values, (-(-values.size // 8), 8))


def identity_network(hidden: Any, dtype: str) -> NeuralNetwork:
    """[8, 8, 8] whose output is the hidden activation of its input: both layers' weights the identity."""
    net = NeuralNetwork([8, 8, 8], hidden, "identity", "mse", "adam", seed=0, dtype=dtype)
    for weights, biases in zip(net.weights, net.biases):
        weights[...] = np.eye(8)
        biases[...] = 0
    return net


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["sigmoid", "logistic", "tanh"])
def test_exported_activation_computes_forward_on_every_branch(name, dtype, tmp_path) -> None:
    """With identity weights the output is the activation of the input: ONNX Runtime's equals npnet's."""
    net = identity_network(name, dtype)
    x = branch_inputs().astype(dtype)
    expected = net.predict(x)
    np.testing.assert_array_equal(expected, net.hidden_activation.forward(x))
    output, _, _ = run(net, x, tmp_path / "m.onnx")
    assert_close(output, expected, dtype)


def test_float64_sigmoid_keeps_the_relative_precision_of_small_outputs(tmp_path) -> None:
    """sigmoid(z) = 1 / (1 + e**-z) against the closed form, to 4 ulps relative, also far in the left tail
    (sigmoid(-40) = 4.2e-18, sigmoid(-700) = 9.9e-305), where ONNX Runtime's float64 Sigmoid is off by more
    than the value."""
    net = identity_network("sigmoid", "float64")
    z = np.array([[-700.0, -100.0, -40.0, -20.0, -1.0, 0.0, 1.0, 20.0]])
    expected = [1.0 / (1.0 + math.exp(-v)) for v in z[0]]  # exp(700) = 1.0e304 is finite
    output, _, model = run(net, z, tmp_path / "m.onnx")
    np.testing.assert_allclose(output[0], expected, rtol=4 * np.finfo(np.float64).eps, atol=0)
    assert "Sigmoid" not in {node.op_type for node in model.graph.node}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("outputs", [1, 3], ids=["binary", "multi-label"])
def test_sigmoid_output_with_binary_crossentropy_exports_thresholded_labels(outputs, dtype, tmp_path) -> None:
    """tanh hidden, sigmoid out, trained a little: the outputs and the 0/1 labels (a column for one output)
    are predict's and predict(labels=True)'s."""
    rng = np.random.default_rng(3)
    x = 2.0 * rng.normal(size=(80, 4))
    y = (x[:, :outputs] + 0.5 * x[:, 3:4] > 0).astype(float)
    net = NeuralNetwork([4, 12, 8, outputs], "tanh", "sigmoid", "binary_crossentropy", "adam", seed=4, dtype=dtype)
    net.fit(x, y, batch_size=16, epochs=5, verbose=0)
    output, label, model = run(net, x, tmp_path / "m.onnx")
    assert_close(output, net.predict(x), dtype)
    expected_labels = net.predict(x, labels=True)
    assert label.dtype == np.int64 and label.shape == expected_labels.shape
    np.testing.assert_array_equal(label, expected_labels)
    assert 0 < label.mean() < 1  # both labels occur: the threshold was tested
    assert isinstance(net.output_activation, Sigmoid)
    assert [o.name for o in model.graph.output] == ["output", "label"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh"])
def test_exported_classifier_predicts_outputs_and_argmax_labels(hidden, dtype, tmp_path) -> None:
    """Two hidden layers of the activation and softmax out: outputs and argmax labels."""
    rng = np.random.default_rng(5)
    x = 3.0 * rng.normal(size=(64, 4))
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)
    net = NeuralNetwork([4, 16, 16, 3], hidden, "softmax", "categorical_crossentropy", "adam", seed=1, dtype=dtype)
    net.fit(x, y, batch_size=16, epochs=3, categorical=True, verbose=0)
    output, label, _ = run(net, x, tmp_path / "m.onnx")
    assert_close(output, net.predict(x), dtype)
    np.testing.assert_array_equal(label, net.predict(x, labels=True))
