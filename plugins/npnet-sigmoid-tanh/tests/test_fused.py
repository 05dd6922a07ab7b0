"""The fused output gradient of sigmoid + binary cross-entropy from the npnet_output_gradient hook."""

from __future__ import annotations

import math

import numpy as np
import pytest
from npnet_sigmoid_tanh import BinaryCrossentropy, Sigmoid, Tanh
from npnet_sigmoid_tanh.plugin import npnet_output_gradient

LN3 = np.log(3.0)


def fused():
    """The fused gradient the hook gives for (Sigmoid, BinaryCrossentropy)."""
    gradient = npnet_output_gradient(Sigmoid(), BinaryCrossentropy())
    assert gradient is not None
    return gradient


def chained(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """What npnet computes without the fused gradient: sigmoid's backward of the loss's backward."""
    act, loss = Sigmoid(), BinaryCrossentropy()
    p = act.forward(z)
    return act.backward(z, p, loss.backward(p, y))


def sigmoid_reference(z: float) -> float:
    """sigmoid in Python floats, each branch written out (independent of the plugin)."""
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def test_fused_matches_hand_value() -> None:
    """z = [ln 3, -ln 3]: p = [3/4, 1/4]; y = [1, 0], m = 2: (p - y) / 2 = [-1/8, 1/8]."""
    z = np.array([[LN3, -LN3]])
    p = Sigmoid().forward(z)
    np.testing.assert_allclose(fused()(p, np.array([[1.0, 0.0]])), [[-1 / 8, 1 / 8]], rtol=1e-15)


@pytest.mark.parametrize("soft", [False, True], ids=["hard", "soft"])
def test_fused_equals_finite_difference_through_both(soft, shape, rng, numerical_gradient) -> None:
    """fused(sigmoid(z), y) = d/dz sum(bce(sigmoid(z), y)), by central differences in float64."""
    act, loss = Sigmoid(), BinaryCrossentropy()
    z = rng.uniform(-4.0, 4.0, shape)
    y = rng.uniform(0.0, 1.0, shape) if soft else rng.integers(0, 2, shape).astype(np.float64)
    expected = numerical_gradient(lambda x: float(np.sum(loss.forward(act.forward(x), y))), z)
    np.testing.assert_allclose(fused()(act.forward(z), y), expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("soft", [False, True], ids=["hard", "soft"])
def test_fused_equals_chained_where_the_chain_is_finite(dtype, rtol, soft, rng) -> None:
    """Away from saturation the fused gradient is the chained one, activation backward of loss backward."""
    z = rng.uniform(-8.0, 8.0, (30, 3)).astype(dtype)
    y = (rng.uniform(0.0, 1.0, z.shape) if soft else rng.integers(0, 2, z.shape)).astype(dtype)
    expected = chained(z, y)
    assert np.all(np.isfinite(expected))
    got = fused()(Sigmoid().forward(z), y)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * 1e-3)


@pytest.mark.parametrize("dtype, big", [(np.float32, 200.0), (np.float64, 800.0)])
def test_fused_stays_correct_where_the_chain_saturates(dtype, big) -> None:
    """At |z| = big the sigmoid is exactly 0 or 1: the chained gradient vanishes, the fused one is ±1/m."""
    z = np.array([[big, -big], [-big, big]], dtype=dtype)
    y = np.array([[0.0, 1.0], [0.0, 1.0]], dtype=dtype)  # row 0 confidently wrong, row 1 confidently right
    p = Sigmoid().forward(z)
    np.testing.assert_array_equal(p, [[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(chained(z, y), np.zeros((2, 2)))  # learning would stop on row 0
    expected = [[(sigmoid_reference(float(v)) - t) / 2 for v, t in zip(zr, yr)] for zr, yr in zip(z, y)]
    np.testing.assert_array_equal(fused()(p, y), np.asarray(expected, dtype=dtype))
    np.testing.assert_array_equal(fused()(p, y), [[0.5, -0.5], [0.0, 0.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_preserves_dtype_and_inputs(dtype, rng) -> None:
    """The fused gradient has the dtype of y_pred and leaves its inputs unchanged."""
    p = Sigmoid().forward(rng.normal(size=(3, 4)).astype(dtype))
    y = rng.uniform(0.0, 1.0, (3, 4))  # float64 targets
    p0, y0 = p.copy(), y.copy()
    grad = fused()(p, y)
    assert grad.dtype == dtype and grad.shape == (3, 4)
    np.testing.assert_array_equal(p, p0)
    np.testing.assert_array_equal(y, y0)
    assert not np.shares_memory(grad, p) and not np.shares_memory(grad, y)


def test_hook_returns_none_for_other_pairs() -> None:
    """Tanh with binary cross-entropy is not fused (its chained gradient is what npnet must use)."""
    assert npnet_output_gradient(Tanh(), BinaryCrossentropy()) is None


def test_hook_returns_none_for_subclasses_and_look_alikes() -> None:
    """Matching is by exact class: a subclass or a foreign "sigmoid" may compute something else."""

    class ScaledSigmoid(Sigmoid):
        def forward(self, z):
            return 0.5 * super().forward(z)

    class ForeignSigmoid:
        name = "sigmoid"

        def forward(self, z):
            return Sigmoid().forward(z)

        def backward(self, z, a, grad_a):
            return Sigmoid().backward(z, a, grad_a)

    class ForeignBinaryCrossentropy:
        name = "binary_crossentropy"

        def forward(self, y_pred, y_true):
            return BinaryCrossentropy().forward(y_pred, y_true)

        def backward(self, y_pred, y_true):
            return BinaryCrossentropy().backward(y_pred, y_true)

    assert npnet_output_gradient(ScaledSigmoid(), BinaryCrossentropy()) is None
    assert npnet_output_gradient(ForeignSigmoid(), BinaryCrossentropy()) is None
    assert npnet_output_gradient(Sigmoid(), ForeignBinaryCrossentropy()) is None


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-6), (np.float64, 1e-15)])
def test_fused_matches_pytorch_bce_with_logits_gradient(dtype, rtol, rng) -> None:
    """fused(sigmoid(z), y) = d/dz BCEWithLogitsLoss(reduction="none")(z, y).mean(dim=1), saturated z included."""
    torch = pytest.importorskip("torch")
    z = (rng.normal(size=(40, 3)) * np.array([1.0, 10.0, 300.0])).astype(dtype)
    y = rng.uniform(0.0, 1.0, z.shape).astype(dtype)
    zt = torch.tensor(z, requires_grad=True)
    torch.nn.BCEWithLogitsLoss(reduction="none")(zt, torch.tensor(y)).mean(dim=1).sum().backward()
    got = fused()(Sigmoid().forward(z), y)
    np.testing.assert_allclose(got, zt.grad.numpy(), rtol=rtol, atol=np.finfo(dtype).eps)
