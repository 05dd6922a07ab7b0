"""Sigmoid and Tanh: forward values, gradients, PyTorch, dtype and robustness."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from npnet_sigmoid_tanh import Sigmoid, Tanh

from npnet_core.protocols import PROBABILITIES, Activation

ACTIVATIONS = [Sigmoid, Tanh]
LN2, LN3 = np.log(2.0), np.log(3.0)
#: Relative tolerance against PyTorch per dtype: a few units in the last place.
RTOL = {np.float32: 2e-6, np.float64: 1e-14}


# --- forward and backward values worked by hand ------------------------------


def test_sigmoid_forward_matches_hand_values() -> None:
    """sigmoid(0) = 1/2, sigmoid(ln 3) = 1/(1 + 1/3) = 3/4, sigmoid(-ln 3) = 1/(1 + 3) = 1/4."""
    z = np.array([[0.0, LN3, -LN3]])
    np.testing.assert_allclose(Sigmoid().forward(z), [[0.5, 0.75, 0.25]], rtol=1e-15)


def test_sigmoid_is_symmetric() -> None:
    """sigmoid(-z) = 1 - sigmoid(z) on both branches of the stable formula.

    ``1 - sigmoid(z)`` is itself rounded to a unit in the last place of 1, hence the absolute tolerance.
    """
    z = np.linspace(-30.0, 30.0, 61)[None, :]
    s = Sigmoid()
    np.testing.assert_allclose(s.forward(-z), 1 - s.forward(z), rtol=1e-15, atol=np.finfo(np.float64).eps)


def test_sigmoid_backward_matches_hand_value() -> None:
    """sigmoid'(ln 3) = (3/4)(1/4) = 3/16 and sigmoid'(0) = 1/4, times grad_a."""
    z = np.array([[LN3, 0.0]])
    s = Sigmoid()
    np.testing.assert_allclose(s.backward(z, s.forward(z), np.array([[2.0, -1.0]])), [[6 / 16, -1 / 4]], rtol=1e-15)


def test_tanh_forward_matches_hand_values() -> None:
    """tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 3/5, tanh(-ln 2) = -3/5, tanh(0) = 0."""
    z = np.array([[LN2, -LN2, 0.0]])
    np.testing.assert_allclose(Tanh().forward(z), [[0.6, -0.6, 0.0]], rtol=1e-15)


def test_tanh_backward_matches_hand_value() -> None:
    """tanh'(ln 2) = 1 - (3/5)**2 = 16/25 and tanh'(0) = 1, times grad_a."""
    z = np.array([[LN2, 0.0]])
    t = Tanh()
    np.testing.assert_allclose(t.backward(z, t.forward(z), np.array([[5.0, 3.0]])), [[16 / 5, 3.0]], rtol=1e-15)


# --- gradients against finite differences ------------------------------------


@pytest.mark.parametrize("cls", ACTIVATIONS)
def test_backward_equals_finite_difference_of_weighted_output(cls, shape, rng, numerical_gradient) -> None:
    """backward(z, a, g) = d/dz sum(g * forward(z)), checked by central differences in float64."""
    act = cls()
    z = rng.uniform(-4.0, 4.0, shape)
    g = rng.normal(size=shape)
    expected = numerical_gradient(lambda x: float(np.sum(g * act.forward(x))), z)
    got = act.backward(z, act.forward(z), g)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


# --- against PyTorch ---------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls, torch_name", [(Sigmoid, "sigmoid"), (Tanh, "tanh")])
def test_forward_and_backward_match_pytorch(cls, torch_name, dtype, rng) -> None:
    """forward equals torch.sigmoid / torch.tanh and backward equals autograd's gradient, per dtype."""
    torch = pytest.importorskip("torch")
    act = cls()
    # large enough to reach both saturated ends and the far negative tail of sigmoid
    z = (rng.normal(size=(50, 6)) * np.array([0.5, 2.0, 5.0, 10.0, 30.0, 100.0])).astype(dtype)
    g = rng.normal(size=z.shape).astype(dtype)
    zt = torch.tensor(z, requires_grad=True)
    at = getattr(torch, torch_name)(zt)
    at.backward(torch.tensor(g))
    a = act.forward(z)
    np.testing.assert_allclose(a, at.detach().numpy(), rtol=RTOL[dtype], atol=np.finfo(dtype).tiny)
    # Both compute the gradient from the rounded output a (torch too), so near saturation, where
    # 1 - a or 1 + a is a few units in the last place of 1, they agree to eps * max|g| absolute.
    atol = 2 * np.finfo(dtype).eps * float(np.abs(g).max())
    np.testing.assert_allclose(act.backward(z, a, g), zt.grad.numpy(), rtol=4 * RTOL[dtype], atol=atol)


# --- stability at extreme inputs ---------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls", ACTIVATIONS)
def test_no_overflow_nor_invalid_at_huge_inputs(cls, dtype) -> None:
    """z = ±1000 and ±1e4 give no overflow, division or invalid warning, and saturate exactly."""
    act = cls()
    z = np.array([[-1e4, -1000.0, 1000.0, 1e4]], dtype=dtype)
    low = 0.0 if cls is Sigmoid else -1.0
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        a = act.forward(z)
        grad = act.backward(z, a, np.ones_like(z))
    np.testing.assert_array_equal(a, [[low, low, 1.0, 1.0]])
    np.testing.assert_array_equal(grad, np.zeros_like(z))
    assert a.dtype == grad.dtype == dtype


@pytest.mark.parametrize("z", [-20.0, -100.0, -700.0, -740.0])
def test_sigmoid_keeps_relative_precision_in_the_negative_tail(z) -> None:
    """sigmoid(z) = exp(z) / (1 + exp(z)) to 1e-14 relative, down to subnormal-free -740 (math as reference)."""
    expected = math.exp(z) / (1.0 + math.exp(z))
    np.testing.assert_allclose(Sigmoid().forward(np.array([[z]])), [[expected]], rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_outputs_are_probabilities(dtype, rng) -> None:
    """Every output of sigmoid lies in [0, 1], as its declaration ``produces`` says."""
    a = Sigmoid().forward((rng.normal(size=(100, 5)) * 300).astype(dtype))
    assert np.all((a >= 0) & (a <= 1))


# --- dtype, inputs, rows -----------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls", ACTIVATIONS)
def test_dtype_is_preserved(cls, dtype, rng) -> None:
    """forward and backward return the dtype of z, even when grad_a comes in float64."""
    act = cls()
    z = rng.normal(size=(3, 4)).astype(dtype)
    a = act.forward(z)
    assert a.dtype == dtype
    assert act.backward(z, a, np.ones((3, 4))).dtype == dtype


def test_integer_input_becomes_float64() -> None:
    """Integer z is treated as float64: sigmoid([[0]]) = [[0.5]], tanh([[0]]) = [[0.0]]."""
    z = np.array([[0]])
    assert Sigmoid().forward(z).dtype == np.float64 and Sigmoid().forward(z)[0, 0] == 0.5
    assert Tanh().forward(z).dtype == np.float64 and Tanh().forward(z)[0, 0] == 0.0


@pytest.mark.parametrize("cls", ACTIVATIONS)
def test_inputs_are_not_mutated_nor_aliased(cls, rng) -> None:
    """forward and backward leave z, a, grad_a unchanged and return fresh arrays."""
    act = cls()
    z = rng.normal(size=(3, 4)) * 5
    a = act.forward(z)
    g = rng.normal(size=(3, 4))
    copies = [z.copy(), a.copy(), g.copy()]
    grad = act.backward(z, a, g)
    act.forward(z)
    for original, copy in zip([z, a, g], copies):
        np.testing.assert_array_equal(original, copy)
        assert not np.shares_memory(grad, original)
    assert not np.shares_memory(a, z)


# --- component conventions ---------------------------------------------------


def test_declarations() -> None:
    """Sigmoid declares it produces probabilities; Tanh (values in [-1, 1]) declares nothing."""
    assert Sigmoid.produces == PROBABILITIES == "probabilities"
    assert not hasattr(Tanh(), "produces")


@pytest.mark.parametrize("cls", ACTIVATIONS)
def test_satisfies_activation_protocol_and_round_trips_config(cls) -> None:
    """Each class is an Activation, has no config, rebuilds from it and has a repr."""
    act = cls()
    assert isinstance(act, Activation)
    assert act.get_config() == {}
    assert isinstance(cls(**act.get_config()), cls)
    assert repr(act) == f"{cls.__name__}()"
