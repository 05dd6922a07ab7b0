"""Mean absolute error and Huber against torch.nn.L1Loss and torch.nn.HuberLoss: values, and gradients by autograd.

Per-sample means: torch's loss with ``reduction="none"``, then the mean over
dimension 1. PyTorch has no log-cosh loss; it is checked against NumPy's direct
formula and central differences in test_losses.py. Skipped when PyTorch is not
installed.
"""

from __future__ import annotations

from typing import Any, Callable, Tuple

import numpy as np
import pytest
from npnet_regression_losses import Huber, MeanAbsoluteError

torch = pytest.importorskip("torch")

#: (our loss, the torch module with reduction="none")
PAIRS = [
    (MeanAbsoluteError(), lambda: torch.nn.L1Loss(reduction="none")),
    (Huber(), lambda: torch.nn.HuberLoss(reduction="none")),
    (Huber(delta=0.5), lambda: torch.nn.HuberLoss(reduction="none", delta=0.5)),
    (Huber(delta=2.5), lambda: torch.nn.HuberLoss(reduction="none", delta=2.5)),
]
IDS = [repr(loss) for loss, _ in PAIRS]


def data(dtype: Any) -> Tuple[np.ndarray, np.ndarray]:
    """Predictions and targets with errors of all sizes, exact zeros and errors of exactly +-0.5, +-1, +-2.5."""
    rng = np.random.default_rng(11)
    y = rng.normal(size=(60, 5)) * 2
    d = np.concatenate([rng.normal(size=(40, 5)) * 3, rng.uniform(-100, 100, (10, 5)), np.zeros((4, 5))])
    d = np.concatenate([d, np.array([[0.5, -0.5, 1.0, -1.0, 2.5], [-2.5, 0.0, 1e4, -1e4, 1e-9]] * 3)])
    y[-6:] = 0.0  # so that the chosen errors are exact
    return (y + d).astype(dtype), y.astype(dtype)


def with_torch(make: Callable[[], Any], p: np.ndarray, y: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """torch's per-sample means, and the gradient of their sum with respect to the predictions (autograd)."""
    tp = torch.tensor(p, requires_grad=True)
    per_sample = make()(tp, torch.tensor(y)).mean(dim=1)
    (grad,) = torch.autograd.grad(per_sample.sum(), tp)
    return per_sample.detach().numpy(), grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss, make", PAIRS, ids=IDS)
def test_values_and_gradients_equal_torch(loss, make, dtype) -> None:
    """forward equals torch's per-sample mean and backward its autograd gradient, within 4 eps relative."""
    p, y = data(dtype)
    expected, expected_grad = with_torch(make, p, y)
    out, grad = loss.forward(p, y), loss.backward(p, y)
    assert out.dtype == expected.dtype == dtype and grad.dtype == expected_grad.dtype == dtype
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(out, expected, rtol=4 * eps, atol=0)
    np.testing.assert_allclose(grad, expected_grad, rtol=4 * eps, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mae_gradient_is_zero_where_prediction_equals_target_as_in_torch(dtype) -> None:
    """torch's L1Loss takes sign(0) = 0 at p == y; so does mean_absolute_error."""
    p = np.array([[1.0, 2.0, 3.0]], dtype=dtype)
    y = np.array([[1.0, 0.0, 5.0]], dtype=dtype)
    _, expected_grad = with_torch(lambda: torch.nn.L1Loss(reduction="none"), p, y)
    assert (
        expected_grad[0, 0] == 0.0 and expected_grad[0, 1] == -expected_grad[0, 2] > 0
    )  # sign(d) / 3 = [0, 1/3, -1/3]
    np.testing.assert_array_equal(MeanAbsoluteError().backward(p, y), expected_grad)
