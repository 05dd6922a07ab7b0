"""MeanAbsoluteError, Huber and LogCosh: values worked by hand, gradients, dtype, extremes, parameters."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from npnet_regression_losses import Huber, LogCosh, MeanAbsoluteError

from npnet_core.errors import InvalidParameterError
from npnet_core.protocols import Loss

#: every class, Huber also with other deltas
CONFIGURED = [MeanAbsoluteError(), Huber(), Huber(delta=0.5), Huber(delta=2.5), LogCosh()]
LN2 = math.log(2.0)


# --- values worked by hand ------------------------------------------------------


def test_mae_is_the_mean_absolute_error_per_row() -> None:
    """mae([1, 2, 3], [1, 0, 0]) = (0 + 2 + 3) / 3 = 5/3; gradient sign(d) / 3 = [0, 1/3, 1/3]."""
    p = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 0.5]])
    y = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    # second row: d = [-1, -2, -0.5]: (1 + 2 + 0.5) / 3 = 7/6, gradient [-1, -1, -1] / 3
    np.testing.assert_allclose(MeanAbsoluteError().forward(p, y), [5 / 3, 7 / 6], rtol=1e-15)
    np.testing.assert_allclose(
        MeanAbsoluteError().backward(p, y), [[0.0, 1 / 3, 1 / 3], [-1 / 3, -1 / 3, -1 / 3]], rtol=1e-15
    )


def test_huber_is_quadratic_inside_delta_and_linear_outside() -> None:
    """delta = 1, d = [0.5, -2, 1]: [0.125, 1 * (2 - 0.5), 0.5] / 3; gradient [0.5, -1, 1] / 3."""
    p = np.array([[0.5, -2.0, 1.0]])
    y = np.zeros((1, 3))
    np.testing.assert_allclose(Huber().forward(p, y), [(0.125 + 1.5 + 0.5) / 3], rtol=1e-15)
    np.testing.assert_allclose(Huber().backward(p, y), [[0.5 / 3, -1 / 3, 1 / 3]], rtol=1e-15)


def test_huber_with_another_delta_matches_hand_values() -> None:
    """delta = 2: d = 3 gives 2 * (3 - 1) = 4, gradient 2; d = -1.5 gives 1.125, gradient -1.5."""
    p = np.array([[3.0], [-1.5]])
    y = np.zeros((2, 1))
    np.testing.assert_allclose(Huber(delta=2.0).forward(p, y), [4.0, 1.125], rtol=1e-15)
    np.testing.assert_allclose(Huber(delta=2.0).backward(p, y), [[2.0], [-1.5]], rtol=1e-15)


def test_huber_is_continuous_at_delta() -> None:
    """At |d| = delta both pieces give delta**2 / 2: 0.125 for delta = 0.5, and the gradient is +-delta."""
    p = np.array([[0.5, -0.5]])
    np.testing.assert_allclose(Huber(delta=0.5).forward(p, np.zeros((1, 2))), [0.125], rtol=1e-15)
    np.testing.assert_allclose(Huber(delta=0.5).backward(p, np.zeros((1, 2))), [[0.25, -0.25]], rtol=1e-15)


def test_log_cosh_matches_hand_values() -> None:
    """cosh(ln 2) = (2 + 1/2) / 2 = 5/4 and tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 3/5; at d = 0, 0 and 0."""
    p = np.array([[LN2, -LN2, 0.0]])
    y = np.zeros((1, 3))
    np.testing.assert_allclose(LogCosh().forward(p, y), [2 * math.log(1.25) / 3], rtol=1e-15)
    np.testing.assert_allclose(LogCosh().backward(p, y), [[0.2, -0.2, 0.0]], rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_cosh_equals_the_direct_formula_in_float64(dtype) -> None:
    """log(cosh(d)) and tanh(d) by NumPy in float64, for |d| <= 20, where the direct formula does not overflow.

    Both forms lose relative precision for tiny |d| (``cosh(d)`` rounds near 1; ``|d| + log1p(...) - log 2``
    cancels), each to an absolute error of about one ulp of 1: hence the absolute tolerance.
    """
    rng = np.random.default_rng(3)
    d = np.concatenate([rng.normal(size=300) * 3, np.linspace(-20, 20, 401), [1e-8, -1e-8, 1e-3]])
    p = d.reshape(-1, 1).astype(dtype)
    direct = np.log(np.cosh(p.astype(np.float64)))[:, 0]
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(LogCosh().forward(p, np.zeros_like(p)), direct, rtol=4 * eps, atol=2 * eps)
    grad = LogCosh().backward(p, np.zeros_like(p))[:, 0]
    np.testing.assert_allclose(grad, np.tanh(p[:, 0].astype(np.float64)), rtol=2 * eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_cosh_is_stable_where_the_direct_formula_overflows(dtype) -> None:
    """At |d| = 1000 (and 1e30), log(cosh(d)) = |d| - ln 2 to the dtype's precision; gradient +-1; no warning."""
    p = np.array([[1000.0, -1000.0], [1e30, -1e30]], dtype=dtype)
    y = np.zeros_like(p)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            loss = LogCosh().forward(p, y)
            grad = LogCosh().backward(p, y)
    np.testing.assert_allclose(loss, [1000.0 - LN2, 1e30], rtol=np.finfo(dtype).eps)
    np.testing.assert_array_equal(grad, [[0.5, -0.5], [0.5, -0.5]])
    with np.errstate(over="ignore"):
        assert np.isinf(np.log(np.cosh(p[0]))).all()  # what the direct formula gives


# --- gradients against finite differences ---------------------------------------


@pytest.mark.parametrize("loss", CONFIGURED, ids=repr)
def test_backward_equals_finite_difference_of_summed_loss(loss, shape, rng, numerical_gradient) -> None:
    """backward(p, y) = d/dp sum(forward(p, y)), by central differences in float64, away from kinks."""
    y = rng.normal(size=shape)
    # |d| in [0.1, 4] with random signs: away from MAE's kink at 0; Huber's pieces join smoothly at delta
    p = y + rng.uniform(0.1, 4.0, shape) * rng.choice([-1.0, 1.0], shape)
    expected = numerical_gradient(lambda x: float(np.sum(loss.forward(x, y))), p)
    np.testing.assert_allclose(loss.backward(p, y), expected, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("loss", [Huber(), LogCosh()], ids=repr)
def test_smooth_losses_match_finite_differences_at_zero_error(loss, numerical_gradient) -> None:
    """Huber and log-cosh are differentiable at d = 0, with gradient 0 there."""
    y = np.array([[0.3, -1.2, 2.0]])
    expected = numerical_gradient(lambda x: float(np.sum(loss.forward(x, y))), y.copy())
    np.testing.assert_allclose(loss.backward(y, y), expected, atol=1e-9)
    np.testing.assert_array_equal(loss.backward(y, y), np.zeros((1, 3)))


# --- dtype, inputs, rows, extremes --------------------------------------------------


@pytest.mark.parametrize("y_dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", CONFIGURED, ids=repr)
def test_dtype_of_y_pred_is_preserved(loss, dtype, y_dtype, rng) -> None:
    """forward and backward return the dtype of y_pred, whatever the dtype of y_true."""
    p = rng.normal(size=(3, 4)).astype(dtype)
    y = (rng.normal(size=(3, 4)) * 3).astype(y_dtype)
    out = loss.forward(p, y)
    assert out.dtype == dtype and out.shape == (3,)
    grad = loss.backward(p, y)
    assert grad.dtype == dtype and grad.shape == (3, 4)


@pytest.mark.parametrize("loss", CONFIGURED, ids=repr)
def test_inputs_are_not_mutated_nor_aliased(loss, rng) -> None:
    """forward and backward leave y_pred and y_true unchanged and return fresh arrays."""
    p, y = rng.normal(size=(3, 4)) * 3, rng.normal(size=(3, 4))
    p0, y0 = p.copy(), y.copy()
    out, grad = loss.forward(p, y), loss.backward(p, y)
    np.testing.assert_array_equal(p, p0)
    np.testing.assert_array_equal(y, y0)
    for result in (out, grad):
        assert not np.shares_memory(result, p) and not np.shares_memory(result, y)


@pytest.mark.parametrize("loss", CONFIGURED, ids=repr)
def test_rows_are_independent(loss, rng) -> None:
    """Each sample's loss and gradient depend on that sample only."""
    p, y = rng.normal(size=(4, 3)) * 3, rng.normal(size=(4, 3))
    out, grad = loss.forward(p, y), loss.backward(p, y)
    for i in range(len(p)):
        row = slice(i, i + 1)
        np.testing.assert_allclose(out[row], loss.forward(p[row], y[row]), rtol=1e-15)
        np.testing.assert_allclose(grad[row], loss.backward(p[row], y[row]), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", CONFIGURED, ids=repr)
def test_errors_of_1e4_and_1000_are_linear_and_silent(loss, dtype) -> None:
    """Errors of 2e4 and -1000: each loss grows linearly (no square), gradients are +-1/m or +-delta/m; no warning."""
    p = np.array([[1e4, -500.0]], dtype=dtype)
    y = np.array([[-1e4, 500.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            out, grad = loss.forward(p, y), loss.backward(p, y)
    slope = getattr(loss, "delta", 1.0)
    shift = {"mean_absolute_error": 0.0, "huber": slope / 2, "log_cosh": LN2}[loss.name]
    np.testing.assert_allclose(out, [slope * ((2e4 - shift) + (1000 - shift)) / 2], rtol=10 * np.finfo(dtype).eps)
    np.testing.assert_array_equal(grad, np.array([[slope / 2, -slope / 2]], dtype=dtype))


# --- parameters, configuration, conventions --------------------------------------


@pytest.mark.parametrize("loss", CONFIGURED, ids=repr)
def test_config_rebuilds_an_equivalent_component(loss, rng) -> None:
    """type(loss)(**loss.get_config()) has the same config and computes the same values."""
    rebuilt = type(loss)(**loss.get_config())
    assert rebuilt.get_config() == loss.get_config()
    p, y = rng.normal(size=(4, 3)) * 3, rng.normal(size=(4, 3))
    np.testing.assert_array_equal(rebuilt.forward(p, y), loss.forward(p, y))
    np.testing.assert_array_equal(rebuilt.backward(p, y), loss.backward(p, y))


@pytest.mark.parametrize(
    "loss, config, text",
    [
        (MeanAbsoluteError(), {}, "MeanAbsoluteError()"),
        (Huber(), {"delta": 1.0}, "Huber(delta=1.0)"),
        (Huber(delta=2), {"delta": 2.0}, "Huber(delta=2.0)"),
        (LogCosh(), {}, "LogCosh()"),
    ],
)
def test_config_and_repr_show_the_parameters(loss, config, text) -> None:
    """get_config returns plain floats (an int delta becomes a float) and repr shows them."""
    assert loss.get_config() == config
    assert all(type(value) is float for value in loss.get_config().values())
    assert repr(loss) == text


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "1.0", None, True, [1.0]], ids=repr)
def test_bad_delta_is_refused_saying_what_is_expected(bad) -> None:
    """A delta that is not a finite number > 0 raises InvalidParameterError (a ValueError) naming huber and delta."""
    with pytest.raises(
        InvalidParameterError, match=r"^huber: delta must be a finite number > 0 \(got .*\); the usual value is 1.0"
    ):
        Huber(delta=bad)


@pytest.mark.parametrize("loss", CONFIGURED, ids=repr)
def test_satisfies_the_loss_protocol_and_expects_nothing(loss) -> None:
    """Each is a Loss and declares no `expects`: any real predictions are fine, so no output activation is asked for."""
    assert isinstance(loss, Loss)
    assert not hasattr(loss, "expects")
