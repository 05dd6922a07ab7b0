"""MeanSquaredError and CategoricalCrossentropy: values, gradients, dtype, robustness."""

from __future__ import annotations

import numpy as np
import pytest
from npnet_relu_softmax import CategoricalCrossentropy, MeanSquaredError

from npnet_core.protocols import Loss

LOSSES = [MeanSquaredError, CategoricalCrossentropy]
LN2 = np.log(2.0)


def probabilities(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Random rows of positive probabilities summing to 1."""
    p = rng.uniform(0.1, 1.0, shape)
    return p / p.sum(axis=1, keepdims=True)


# --- values worked by hand -----------------------------------------------------


def test_mse_forward_is_mean_of_squares_per_row() -> None:
    """mse([1, 2, 3], [1, 0, 0]) = (0 + 4 + 9) / 3 = 13/3, one value per row."""
    p = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]])
    y = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5]])
    np.testing.assert_allclose(MeanSquaredError().forward(p, y), [13 / 3, 0.0], rtol=1e-15)


def test_mse_backward_is_two_over_m_times_error() -> None:
    """mse'([1, 2, 3], [1, 0, 0]) = (2/3) * [0, 2, 3] = [0, 4/3, 2], not divided by n."""
    p = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    y = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(MeanSquaredError().backward(p, y), [[0.0, 4 / 3, 2.0]] * 2, rtol=1e-15)


def test_cce_forward_matches_hand_values() -> None:
    """cce([1/2, 1/4, 1/4], one-hot 2nd) = -ln(1/4) = 2 ln 2; soft [1/2, 1/2, 0] gives 1.5 ln 2."""
    # soft: -(1/2 ln 1/2 + 1/2 ln 1/4 + 0) = (1/2)(ln 2) + (1/2)(2 ln 2) = 1.5 ln 2
    p = np.array([[0.5, 0.25, 0.25], [0.5, 0.25, 0.25]])
    y = np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])
    np.testing.assert_allclose(CategoricalCrossentropy().forward(p, y), [2 * LN2, 1.5 * LN2], rtol=1e-15)


def test_cce_backward_is_minus_y_over_p() -> None:
    """cce'(p, y) = -y / p: [0, -1/(1/4), 0] = [0, -4, 0] and [-1, -2, 0] for soft labels."""
    p = np.array([[0.5, 0.25, 0.25], [0.5, 0.25, 0.25]])
    y = np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])
    np.testing.assert_allclose(CategoricalCrossentropy().backward(p, y), [[0, -4, 0], [-1, -2, 0]], rtol=1e-15)


def test_cce_is_zero_for_a_perfect_prediction() -> None:
    """cce(y, y) = -1 * ln 1 = 0 for one-hot y."""
    y = np.eye(3)
    np.testing.assert_array_equal(CategoricalCrossentropy().forward(y, y), np.zeros(3))


# --- gradients against finite differences ------------------------------------


@pytest.mark.parametrize("soft", [False, True], ids=["one-hot", "soft"])
@pytest.mark.parametrize("cls", LOSSES)
def test_backward_equals_finite_difference_of_summed_loss(cls, soft, shape, rng, numerical_gradient) -> None:
    """backward(p, y) = d/dp sum(forward(p, y)), for one-hot and soft-label y."""
    loss = cls()
    p = probabilities(rng, shape) if cls is CategoricalCrossentropy else rng.normal(size=shape)
    y = probabilities(rng, shape) if soft else np.eye(shape[1])[rng.integers(shape[1], size=shape[0])]
    expected = numerical_gradient(lambda x: float(np.sum(loss.forward(x, y))), p)
    np.testing.assert_allclose(loss.backward(p, y), expected, rtol=1e-6, atol=1e-9)


# --- dtype, inputs, rows, extremes -------------------------------------------


@pytest.mark.parametrize("y_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls", LOSSES)
def test_dtype_of_y_pred_is_preserved(cls, dtype, y_dtype, rng) -> None:
    """forward and backward return the dtype of y_pred, whatever the dtype of y_true."""
    loss = cls()
    p = probabilities(rng, (3, 4)).astype(dtype)
    y = probabilities(rng, (3, 4)).astype(y_dtype)
    out = loss.forward(p, y)
    assert out.dtype == dtype and out.shape == (3,)
    grad = loss.backward(p, y)
    assert grad.dtype == dtype and grad.shape == (3, 4)


@pytest.mark.parametrize("cls", LOSSES)
def test_inputs_are_not_mutated_nor_aliased(cls, rng) -> None:
    """forward and backward leave y_pred and y_true unchanged and return fresh arrays."""
    loss = cls()
    p, y = probabilities(rng, (3, 4)), probabilities(rng, (3, 4))
    p0, y0 = p.copy(), y.copy()
    out, grad = loss.forward(p, y), loss.backward(p, y)
    np.testing.assert_array_equal(p, p0)
    np.testing.assert_array_equal(y, y0)
    for result in (out, grad):
        assert not np.shares_memory(result, p) and not np.shares_memory(result, y)


@pytest.mark.parametrize("cls", LOSSES)
def test_rows_are_independent(cls, rng) -> None:
    """Each sample's loss and gradient depend on that sample only."""
    loss = cls()
    p, y = probabilities(rng, (4, 3)), probabilities(rng, (4, 3))
    out, grad = loss.forward(p, y), loss.backward(p, y)
    for i in range(len(p)):
        row = slice(i, i + 1)
        np.testing.assert_allclose(out[row], loss.forward(p[row], y[row]), rtol=1e-15)
        np.testing.assert_allclose(grad[row], loss.backward(p[row], y[row]), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cce_at_p_exactly_zero_and_one_is_finite(dtype) -> None:
    """p = 0 for the true class gives a large finite loss and gradient; p = 1 gives 0."""
    p = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=dtype)
    y = np.array([[0.0, 1.0], [0.0, 1.0]], dtype=dtype)
    loss = CategoricalCrossentropy()
    out, grad = loss.forward(p, y), loss.backward(p, y)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(grad))
    # -ln(tiny) is about 87 for float32 and 708 for float64
    assert out[0] == -np.log(np.finfo(dtype).tiny) and out[1] == 0
    assert grad[0, 1] < -1e30 and grad[1, 1] == -1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mse_of_extreme_inputs_is_finite(dtype) -> None:
    """Predictions and targets of magnitude 1e4 give finite loss and gradient."""
    p = np.array([[1e4, -1e4]], dtype=dtype)
    y = np.array([[-1e4, 1e4]], dtype=dtype)
    loss = MeanSquaredError()
    np.testing.assert_allclose(loss.forward(p, y), [4e8], rtol=1e-6)  # (2e4)**2
    np.testing.assert_allclose(loss.backward(p, y), [[2e4, -2e4]], rtol=1e-6)  # (2/2) * 2e4


# --- component conventions ---------------------------------------------------


@pytest.mark.parametrize("cls", LOSSES)
def test_satisfies_loss_protocol_and_round_trips_config(cls) -> None:
    """Each class is a Loss, has no config, rebuilds from it and has a repr."""
    loss = cls()
    assert isinstance(loss, Loss)
    assert loss.get_config() == {}
    assert isinstance(cls(**loss.get_config()), cls)
    assert repr(loss) == f"{cls.__name__}()"
