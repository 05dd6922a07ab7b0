"""BinaryCrossentropy: values, gradients, PyTorch, boundaries, dtype and robustness."""

from __future__ import annotations

import math

import numpy as np
import pytest
from npnet_sigmoid_tanh import BinaryCrossentropy

from npnet_core.protocols import PROBABILITIES, Loss

LN2 = np.log(2.0)
#: Relative tolerance against PyTorch per dtype.
RTOL = {np.float32: 1e-5, np.float64: 1e-12}


def labels(rng: np.random.Generator, shape: tuple, soft: bool) -> np.ndarray:
    """Hard 0/1 labels, or soft labels anywhere in [0, 1]."""
    return rng.uniform(0.0, 1.0, shape) if soft else rng.integers(0, 2, shape).astype(np.float64)


# --- values worked by hand -----------------------------------------------------


def test_forward_is_mean_over_outputs_per_row() -> None:
    """p = [1/4, 1/2], y = [1, 0]: mean(-ln 1/4, -ln 1/2) = (2 ln 2 + ln 2) / 2 = 1.5 ln 2; [1/2], y [1/2]: ln 2."""
    loss = BinaryCrossentropy()
    np.testing.assert_allclose(loss.forward(np.array([[0.25, 0.5]]), np.array([[1.0, 0.0]])), [1.5 * LN2], rtol=1e-15)
    # soft label: -(1/2 ln 1/2 + 1/2 ln 1/2) = ln 2
    np.testing.assert_allclose(loss.forward(np.array([[0.5]]), np.array([[0.5]])), [LN2], rtol=1e-15)


def test_forward_is_zero_for_a_perfect_hard_prediction() -> None:
    """p = y with y in {0, 1} gives -ln 1 = 0, the other term weighted by 0."""
    y = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(BinaryCrossentropy().forward(y, y), [0.0, 0.0])


def test_backward_is_p_minus_y_over_p_one_minus_p_over_m() -> None:
    """p = [1/4, 1/2], y = [1, 0], m = 2: (-3/4)/(3/16)/2 = -2 and (1/2)/(1/4)/2 = 1; not divided by n."""
    p = np.array([[0.25, 0.5], [0.25, 0.5]])
    y = np.array([[1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(BinaryCrossentropy().backward(p, y), [[-2.0, 1.0]] * 2, rtol=1e-15)


def test_backward_vanishes_where_p_equals_soft_label() -> None:
    """(p - y) / (p (1 - p)) is 0 at p = y: the loss of a soft label is smallest there."""
    y = np.array([[0.1, 0.3, 0.5, 0.9]])
    np.testing.assert_allclose(BinaryCrossentropy().backward(y, y), np.zeros_like(y), atol=1e-15)


@pytest.mark.parametrize("p", [1e-12, 1e-8, 1e-4])
def test_forward_is_precise_for_small_p_and_label_zero(p) -> None:
    """-log(1 - p) for tiny p is computed as -log1p(-p): to 1e-15 relative, not to 1e-16 absolute."""
    np.testing.assert_allclose(
        BinaryCrossentropy().forward(np.array([[p]]), np.array([[0.0]])), [-math.log1p(-p)], rtol=1e-15
    )


# --- gradients against finite differences ------------------------------------


@pytest.mark.parametrize("soft", [False, True], ids=["hard", "soft"])
def test_backward_equals_finite_difference_of_summed_loss(soft, shape, rng, numerical_gradient) -> None:
    """backward(p, y) = d/dp sum(forward(p, y)) for hard and soft labels, float64."""
    loss = BinaryCrossentropy()
    p = rng.uniform(0.05, 0.95, shape)
    y = labels(rng, shape, soft)
    expected = numerical_gradient(lambda x: float(np.sum(loss.forward(x, y))), p)
    np.testing.assert_allclose(loss.backward(p, y), expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("p, y", [(1.0, 1.0), (0.0, 0.0)])
def test_backward_equals_one_sided_limit_at_the_boundary_with_hard_labels(p, y, numerical_gradient) -> None:
    """At p = y = 1 the gradient is -1 (of -log p), at p = y = 0 it is +1 (of -log(1 - p)), by finite differences."""
    loss = BinaryCrossentropy()
    y_true = np.array([[y]])
    expected = numerical_gradient(lambda x: float(np.sum(loss.forward(x, y_true))), np.array([[p]]))
    np.testing.assert_allclose(expected, [[-1.0 if y else 1.0]], rtol=1e-6)
    np.testing.assert_allclose(loss.backward(np.array([[p]]), y_true), expected, rtol=1e-6)


# --- against PyTorch ---------------------------------------------------------


@pytest.mark.parametrize("soft", [False, True], ids=["hard", "soft"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_and_backward_match_pytorch_bceloss(dtype, soft, rng) -> None:
    """forward = BCELoss(reduction="none").mean(dim=1) and backward = its autograd gradient, away from the clip."""
    torch = pytest.importorskip("torch")
    loss = BinaryCrossentropy()
    shape = (40, 3)
    p = rng.uniform(1e-3, 1 - 1e-3, shape).astype(dtype)  # every log above -7: far from both clips
    y = labels(rng, shape, soft).astype(dtype)
    pt = torch.tensor(p, requires_grad=True)
    per_sample = torch.nn.BCELoss(reduction="none")(pt, torch.tensor(y)).mean(dim=1)
    per_sample.sum().backward()
    np.testing.assert_allclose(loss.forward(p, y), per_sample.detach().numpy(), rtol=RTOL[dtype])
    np.testing.assert_allclose(loss.backward(p, y), pt.grad.numpy(), rtol=RTOL[dtype], atol=RTOL[dtype] * 1e-3)


# --- boundary predictions and extremes ---------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predictions_of_exactly_zero_and_one_are_finite(dtype) -> None:
    """p in {0, 1} with the wrong label gives the clipped -log(tiny) and a large finite gradient."""
    tiny = np.finfo(dtype).tiny
    p = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]], dtype=dtype)
    y = np.array([[1.0, 0.0], [1.0, 0.0], [0.5, 0.5]], dtype=dtype)
    loss = BinaryCrossentropy()
    out, grad = loss.forward(p, y), loss.backward(p, y)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(grad))
    # -ln(tiny) is about 87.3 in float32 and 708.4 in float64; each row is the mean of its 2 outputs
    np.testing.assert_allclose(out, [-np.log(tiny), 0.0, -np.log(tiny) / 2], rtol=1e-6)
    # row 0: -1/tiny / 2 and (1 - 0)/tiny / 2; row 1: -1/1 / 2 and 1/1 / 2 (right and confident)
    np.testing.assert_allclose(grad[0], [-0.5 / tiny, 0.5 / tiny], rtol=1e-6)
    np.testing.assert_allclose(grad[1], [-0.5, 0.5], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_out_of_range_predictions_stay_finite(dtype) -> None:
    """Predictions of magnitude 1e4 (not probabilities, but possible input) give finite loss and gradient."""
    p = np.array([[1e4, -1e4, 1.5, -0.5]], dtype=dtype)
    y = np.array([[0.0, 1.0, 1.0, 0.0]], dtype=dtype)
    with np.errstate(all="raise"):
        out = BinaryCrossentropy().forward(p, y)
        grad = BinaryCrossentropy().backward(p, y)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(grad))


# --- dtype, inputs, rows -----------------------------------------------------


@pytest.mark.parametrize("y_dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_of_y_pred_is_preserved(dtype, y_dtype, rng) -> None:
    """forward and backward return the dtype of y_pred, whatever the dtype of y_true."""
    loss = BinaryCrossentropy()
    p = rng.uniform(0.1, 0.9, (3, 4)).astype(dtype)
    y = rng.integers(0, 2, (3, 4)).astype(y_dtype)
    out = loss.forward(p, y)
    assert out.dtype == dtype and out.shape == (3,)
    grad = loss.backward(p, y)
    assert grad.dtype == dtype and grad.shape == (3, 4)


def test_inputs_are_not_mutated_nor_aliased(rng) -> None:
    """forward and backward leave y_pred and y_true unchanged and return fresh arrays."""
    loss = BinaryCrossentropy()
    p, y = rng.uniform(0.0, 1.0, (3, 4)), rng.uniform(0.0, 1.0, (3, 4))
    p0, y0 = p.copy(), y.copy()
    out, grad = loss.forward(p, y), loss.backward(p, y)
    np.testing.assert_array_equal(p, p0)
    np.testing.assert_array_equal(y, y0)
    for result in (out, grad):
        assert not np.shares_memory(result, p) and not np.shares_memory(result, y)


# --- component conventions ---------------------------------------------------


def test_declares_it_expects_probabilities() -> None:
    """BinaryCrossentropy declares ``expects = "probabilities"``: each prediction in [0, 1]."""
    assert BinaryCrossentropy.expects == PROBABILITIES == "probabilities"


def test_satisfies_loss_protocol_and_round_trips_config() -> None:
    """The class is a Loss, has no config, rebuilds from it and has a repr."""
    loss = BinaryCrossentropy()
    assert isinstance(loss, Loss)
    assert loss.get_config() == {}
    assert isinstance(BinaryCrossentropy(**loss.get_config()), BinaryCrossentropy)
    assert repr(loss) == "BinaryCrossentropy()"
