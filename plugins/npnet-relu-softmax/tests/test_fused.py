"""Fused output gradients from the npnet_output_gradient hook."""

from __future__ import annotations

import numpy as np
import pytest
from npnet_relu_softmax import CategoricalCrossentropy, Identity, MeanSquaredError, ReLU, Softmax
from npnet_relu_softmax.plugin import npnet_output_gradient

FUSED_PAIRS = [(Softmax, CategoricalCrossentropy), (Identity, MeanSquaredError)]


def targets(rng: np.random.Generator, shape: tuple, kind: str) -> np.ndarray:
    """One-hot rows, probability rows, or non-negative rows not summing to 1."""
    if kind == "one-hot":
        return np.eye(shape[1])[rng.integers(shape[1], size=shape[0])]
    y = rng.uniform(0.0, 1.0, shape)
    return y / y.sum(axis=1, keepdims=True) if kind == "soft" else 2 * y


@pytest.mark.parametrize("kind", ["one-hot", "soft", "unnormalised"])
@pytest.mark.parametrize("act_cls, loss_cls", FUSED_PAIRS, ids=["softmax-cce", "identity-mse"])
def test_fused_gradient_equals_finite_difference_through_both(
    act_cls, loss_cls, kind, shape, rng, numerical_gradient
) -> None:
    """fused(act(z), y) = d/dz sum(loss(act(z), y)), by central differences."""
    act, loss = act_cls(), loss_cls()
    fused = npnet_output_gradient(act, loss)
    z = rng.normal(size=shape)
    y = targets(rng, shape, kind)
    expected = numerical_gradient(lambda x: float(np.sum(loss.forward(act.forward(x), y))), z)
    np.testing.assert_allclose(fused(act.forward(z), y), expected, rtol=1e-6, atol=1e-9)


def test_fused_softmax_cce_matches_hand_value() -> None:
    """p = softmax([0, ln 2]) = [1/3, 2/3], y = [0, 1]: p - y = [1/3, -1/3]."""
    p = Softmax().forward(np.array([[0.0, np.log(2.0)]]))
    fused = npnet_output_gradient(Softmax(), CategoricalCrossentropy())
    np.testing.assert_allclose(fused(p, np.array([[0.0, 1.0]])), [[1 / 3, -1 / 3]], rtol=1e-15)


def test_fused_softmax_cce_survives_underflow_where_chained_vanishes() -> None:
    """At logit gap 800 the true class has p = 0: fused gives -1 there, chained gives 0."""
    act, loss = Softmax(), CategoricalCrossentropy()
    z = np.array([[800.0, 0.0]])
    y = np.array([[0.0, 1.0]])  # the true class is the one the output rules out
    p = act.forward(z)
    assert p[0, 1] == 0.0  # exp(-800) underflows
    fused = npnet_output_gradient(act, loss)(p, y)
    chained = act.backward(z, p, loss.backward(p, y))
    np.testing.assert_array_equal(fused, [[1.0, -1.0]])
    np.testing.assert_array_equal(chained, [[0.0, 0.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("act_cls, loss_cls", FUSED_PAIRS, ids=["softmax-cce", "identity-mse"])
def test_fused_gradient_preserves_dtype_and_inputs(act_cls, loss_cls, dtype, rng) -> None:
    """The fused gradient has the dtype of y_pred and leaves its inputs unchanged."""
    act = act_cls()
    fused = npnet_output_gradient(act, loss_cls())
    p = act.forward(rng.normal(size=(3, 4)).astype(dtype))
    y = targets(rng, (3, 4), "soft")  # float64 targets
    p0, y0 = p.copy(), y.copy()
    grad = fused(p, y)
    assert grad.dtype == dtype
    np.testing.assert_array_equal(p, p0)
    np.testing.assert_array_equal(y, y0)
    assert not np.shares_memory(grad, p) and not np.shares_memory(grad, y)


@pytest.mark.parametrize("act_cls, loss_cls", FUSED_PAIRS, ids=["softmax-cce", "identity-mse"])
def test_fused_gradient_is_finite_for_extreme_logits(act_cls, loss_cls) -> None:
    """Logits of magnitude 1e4 give a finite fused gradient."""
    act = act_cls()
    z = np.array([[1e4, -1e4], [-1e4, 1e4]], dtype=np.float32)
    y = np.array([[0.0, 1.0], [0.0, 1.0]], dtype=np.float32)
    grad = npnet_output_gradient(act, loss_cls())(act.forward(z), y)
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize(
    "act_cls, loss_cls",
    [
        (Softmax, MeanSquaredError),
        (Identity, CategoricalCrossentropy),
        (ReLU, MeanSquaredError),
        (ReLU, CategoricalCrossentropy),
    ],
)
def test_hook_returns_none_for_other_pairs(act_cls, loss_cls) -> None:
    """Only softmax + cross-entropy and identity + MSE are fused."""
    assert npnet_output_gradient(act_cls(), loss_cls()) is None


def test_hook_returns_none_for_look_alikes_of_other_plugins() -> None:
    """A foreign class named "softmax" (or "categorical_crossentropy") is not fused."""

    class ForeignSoftmax:
        name = "softmax"

        def forward(self, z):
            return Softmax().forward(z)

        def backward(self, z, a, grad_a):
            return Softmax().backward(z, a, grad_a)

    class ForeignCrossentropy:
        name = "categorical_crossentropy"

        def forward(self, y_pred, y_true):
            return CategoricalCrossentropy().forward(y_pred, y_true)

        def backward(self, y_pred, y_true):
            return CategoricalCrossentropy().backward(y_pred, y_true)

    assert npnet_output_gradient(ForeignSoftmax(), CategoricalCrossentropy()) is None
    assert npnet_output_gradient(Softmax(), ForeignCrossentropy()) is None
