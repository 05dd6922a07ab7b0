"""Networks with each activation, exported to ONNX and run in ONNX Runtime, predict what npnet predicts.

The reference is the network's own ``predict`` (NumPy), run in the same dtype:
float64 within 1e-12 and float32 within 1e-5, relative to the outputs' scale
(outputs can be 0). Each activation is also exported alone, its layer's weights
set to the identity, on inputs that reach every branch: ``|z|`` from 1e-8 to
1e4 of both signs, the thresholds (``beta * z = threshold``), the tails where
``exp`` underflows, and exactly 0.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Tuple

import numpy as np
import pytest
from npnet_modern_activations import ELU, GELU, LeakyReLU, SiLU, Softplus

from npnet_core import NeuralNetwork
from npnet_core.testing import assert_exported_close as assert_close
from npnet_core.testing import run_exported as run

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")
pytest.importorskip("npnet_relu_softmax", reason="the networks use its identity, softmax and mse")
pytest.importorskip("npnet_adam", reason="the networks use adam")

#: the hidden activation as a user names it, with default and other parameters
SPECS: List[Any] = [
    "leaky_relu",
    ("leaky_relu", {"negative_slope": 0.2}),
    ("leaky_relu", {"negative_slope": 3.0}),
    "elu",
    ("elu", {"alpha": 0.5}),
    "gelu",
    ("gelu", {"approximate": "tanh"}),
    "silu",
    "softplus",
    ("softplus", {"beta": 2.0, "threshold": 10.0}),
]
IDS = [spec if isinstance(spec, str) else f"{spec[0]}-{'-'.join(map(str, spec[1].values()))}" for spec in SPECS]
DTYPES = ["float64", "float32"]
SQRT1_2 = 0.7071067811865476  # 1 / sqrt(2) rounded to float64 (C's M_SQRT1_2)


def branch_inputs() -> np.ndarray:
    """Both signs of 1e-8 to 1e4 (4 per decade), the thresholds and tails of the activations, and 0: 8 columns."""
    tails = [1.25, 2.0, 5.0, 7.3, 10.0, 17.0, 19.0, 20.0, 26.0, 27.0, 28.0, 30.0, 37.0, 38.6, 40.0, 104.0, 745.0]
    magnitudes = np.unique(np.concatenate([np.logspace(-8, 4, 49), tails]))
    values = np.concatenate([-magnitudes[::-1], [0.0], magnitudes])
    return np.resize(values, (-(-values.size // 8), 8))  # repeated to fill the last row


def identity_network(spec: Any, dtype: str) -> NeuralNetwork:
    """[8, 8, 8] whose hidden layer is the activation of its input: both layers' weights the identity."""
    net = NeuralNetwork([8, 8, 8], spec, "identity", "mse", "adam", seed=0, dtype=dtype)
    for weights, biases in zip(net.weights, net.biases):
        weights[...] = np.eye(8)
        biases[...] = 0
    return net


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_exported_activation_computes_forward_on_every_branch(spec, dtype, tmp_path) -> None:
    """With identity weights the output is the activation of the input: ONNX Runtime's equals npnet's."""
    net = identity_network(spec, dtype)
    x = branch_inputs().astype(dtype)
    expected = net.predict(x)
    np.testing.assert_array_equal(expected, net.hidden_activation.forward(x))  # the identity layers add nothing
    output, _, _ = run(net, x, tmp_path / "m.onnx")
    assert_close(output, expected, dtype)


def random_network(spec: Any, dtype: str) -> Tuple[NeuralNetwork, np.ndarray]:
    """[4, 16, 16, 3], the activation in both hidden layers, softmax out; inputs of scale 3 (hidden z up to ~10)."""
    net = NeuralNetwork([4, 16, 16, 3], spec, "softmax", "categorical_crossentropy", "adam", seed=1, dtype=dtype)
    return net, 3.0 * np.random.default_rng(2).normal(size=(64, 4))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_exported_network_predicts_outputs_and_labels(spec, dtype, tmp_path) -> None:
    """A trained two-hidden-layer classifier: ONNX Runtime's outputs and argmax labels are predict's."""
    net, x = random_network(spec, dtype)
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)
    net.fit(x, y, batch_size=16, epochs=3, categorical=True, verbose=0)
    output, label, model = run(net, x, tmp_path / "m.onnx")
    assert_close(output, net.predict(x), dtype)
    assert label.dtype == np.int64
    np.testing.assert_array_equal(label, net.predict(x, labels=True))
    assert model.graph.output[1].name == "label"


#: the operators a float32 and a float64 export must and must not contain, as the docstrings state
OPERATORS: Dict[str, Tuple[Dict[str, str], Tuple[str, ...]]] = {
    # spec id: ({dtype: an operator it emits}, operators without a float64 kernel it must not emit in float64)
    "leaky_relu": ({"float32": "LeakyRelu", "float64": "Max"}, ("LeakyRelu",)),
    "leaky_relu-3.0": ({"float32": "LeakyRelu", "float64": "Min"}, ("LeakyRelu",)),
    "elu": ({"float32": "Elu", "float64": "Log"}, ("Elu",)),
    "gelu": ({"float32": "Erf", "float64": "Floor"}, ("Erf", "Gelu")),
    "gelu-tanh": ({"float32": "Tanh", "float64": "Tanh"}, ("Gelu",)),
    "silu": ({"float32": "Exp", "float64": "Exp"}, ("Sigmoid",)),
    "softplus": ({"float32": "Softplus", "float64": "Log"}, ("Softplus",)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("key", list(OPERATORS))
def test_nodes_are_chosen_by_dtype(key, dtype, tmp_path) -> None:
    """float32 uses ONNX's own operator where ONNX Runtime has a kernel; float64 composes it from others."""
    spec = SPECS[IDS.index(key)]
    emitted, float32_only = OPERATORS[key]
    net = identity_network(spec, dtype)
    _, _, model = run(net, branch_inputs(), tmp_path / "m.onnx")
    ops = {node.op_type for node in model.graph.node}
    assert emitted[dtype] in ops
    if dtype == "float64":
        assert not ops & set(float32_only)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_from_opset_20_uses_the_gelu_operator_in_float32(approximate, dtype, tmp_path) -> None:
    """At opset 20, float32 GELU is ONNX's Gelu, float64 still the composition; both compute forward."""
    net = identity_network(("gelu", {"approximate": approximate}), dtype)
    x = branch_inputs().astype(dtype)
    output, _, model = run(net, x, tmp_path / "m.onnx", opset=20)
    ops = {node.op_type for node in model.graph.node}
    assert ("Gelu" in ops) == (dtype == "float32")
    assert_close(output, net.predict(x), dtype)


def test_values_worked_by_hand_in_float64(tmp_path) -> None:
    """Against closed forms, not forward, to 4 ulps: elu(-1) = 1/e - 1 (and elu(-1e-10) = expm1(-1e-10), which
    ``exp(z) - 1`` gets wrong from the 7th digit), softplus(0) = ln 2, softplus(-40) = log1p(e**-40),
    silu(-1) = -1 / (1 + e), leaky_relu(-2) = -0.02, and gelu(z) = z * erfc(-z / sqrt 2) / 2 with the C
    library's erfc, at 1 and in the left tail at -10 (-7.6e-23, where ``1 + erf`` would cancel to 0).

    The argument of erfc is ``z * (1 / sqrt 2)`` rounded to float64, as ``forward`` and PyTorch take it: at
    -10 its rounding alone moves erfc by up to 1e-14 relative (``d log erfc / dx = -2x``), which no export
    can undo."""
    cases = [
        ("elu", -1.0, math.expm1(-1.0)),
        ("elu", -1e-10, math.expm1(-1e-10)),
        ("softplus", 0.0, math.log(2.0)),
        ("softplus", -40.0, math.log1p(math.exp(-40.0))),
        ("silu", -1.0, -1.0 / (1.0 + math.e)),
        ("leaky_relu", -2.0, -0.02),
        ("gelu", 1.0, 0.5 * math.erfc(-1.0 * SQRT1_2)),
        ("gelu", -10.0, -5.0 * math.erfc(10.0 * SQRT1_2)),
    ]
    for spec, z, expected in cases:
        net = identity_network(spec, "float64")
        output, _, _ = run(net, np.full((1, 8), z), tmp_path / "m.onnx")
        np.testing.assert_allclose(output, expected, rtol=4 * np.finfo(np.float64).eps, err_msg=f"{spec}({z})")


def test_objects_with_parameters_export_them(tmp_path) -> None:
    """Instances given to the network export their own parameters (not the defaults)."""
    for activation in [LeakyReLU(0.3), ELU(2.0), GELU("tanh"), SiLU(), Softplus(0.5, 5.0)]:
        net = NeuralNetwork([8, 8, 8], activation, "identity", "mse", "adam", seed=0)
        for weights, biases in zip(net.weights, net.biases):
            weights[...] = np.eye(8)
            biases[...] = 0
        x = branch_inputs()
        output, _, _ = run(net, x, tmp_path / "m.onnx")
        assert_close(output, activation.forward(x), "float64")
