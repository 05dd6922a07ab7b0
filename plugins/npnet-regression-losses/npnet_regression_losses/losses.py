"""Losses for regression: mean absolute error, Huber and log-cosh (the contract is :class:`npnet_core.protocols.Loss`).

Each is, per sample, the mean over the outputs of a function of the error
``d = y_pred - y_true``, as PyTorch's losses with ``reduction="none"`` followed
by a mean over dimension 1; gradients are per sample, not divided by the
number of samples (npnet does that once). ``y_true`` is converted to the dtype
of ``y_pred``; inputs are never modified. None of them declares ``expects``:
they take any real predictions, so they pair with the ``identity`` output.
"""

from __future__ import annotations

import math

import numpy as np

from npnet_core import optimizer_tools as tools

from ._common import Stateless, difference

__all__ = ["Huber", "LogCosh", "MeanAbsoluteError"]

_LOG_2 = math.log(2.0)  # a Python float: it never promotes float32 arrays


class MeanAbsoluteError(Stateless):
    """Mean over the outputs of the absolute error, ``mean(|d|)`` per row.

    The gradient is ``sign(d) / n_outputs``, 0 where ``y_pred == y_true`` (as PyTorch).
    Registered as ``"mean_absolute_error"`` with the alias ``"mae"``.

    PyTorch: ``torch.nn.L1Loss(reduction="none")(y_pred, y_true).mean(dim=1)``.
    """

    name = "mean_absolute_error"

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """Return ``mean(|y_pred - y_true|, axis=1)``."""
        d = difference(y_pred, y_true)
        np.abs(d, out=d)
        return d.mean(axis=1)

    def backward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """Return ``sign(y_pred - y_true) / n_outputs``."""
        grad = difference(y_pred, y_true)
        np.sign(grad, out=grad)
        grad /= grad.shape[1]
        return grad


class Huber(tools.HyperparametersMixin):
    """Huber loss: per output ``d**2 / 2`` for ``|d| < delta``, ``delta * (|d| - delta / 2)`` beyond; the mean per row.

    Quadratic near 0 and linear in the tails, so large errors (outliers) pull
    with a bounded force. The gradient is ``clip(d, -delta, delta) / n_outputs``.
    Both pieces are computed at once as ``c * (|d| - c / 2)`` with
    ``c = min(|d|, delta)``, which never squares a large error.

    Parameters
    ----------
    delta : float > 0, default 1.0
        Where the loss turns from quadratic to linear.

    PyTorch: ``torch.nn.HuberLoss(reduction="none", delta=delta)(y_pred, y_true).mean(dim=1)``.
    """

    name = "huber"
    hyperparameters = {"delta": tools.Positive(usual=1.0)}

    def __init__(self, delta: float = 1.0) -> None:
        self.delta = tools.check_hyperparameters(self.name, self.hyperparameters, locals())["delta"]

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """Return the mean over the outputs of ``0.5 d**2`` (``|d| < delta``) or ``delta (|d| - delta/2)``."""
        a = difference(y_pred, y_true)
        np.abs(a, out=a)
        c = np.minimum(a, self.delta)
        a -= 0.5 * c  # 0.5 * c is exact
        a *= c
        return a.mean(axis=1)

    def backward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """Return ``clip(y_pred - y_true, -delta, delta) / n_outputs``."""
        grad = difference(y_pred, y_true)
        np.clip(grad, -self.delta, self.delta, out=grad)
        grad /= grad.shape[1]
        return grad


class LogCosh(Stateless):
    """Log-cosh: the mean over the outputs of ``log(cosh(d))`` per row.

    About ``d**2 / 2`` for small errors and ``|d| - log(2)`` for large ones, like
    the Huber loss but smooth everywhere. ``log(cosh(d))`` is computed as
    ``|d| + log1p(exp(-2|d|)) - log(2)``, finite for every finite ``d``, where
    ``np.log(np.cosh(d))`` overflows beyond ``|d|`` of about 710 in float64
    and 89 in float32. Its absolute error is about one ulp of 1 (the direct
    formula's is too), so for ``|d|`` below about 1e-4 the relative error of
    the tiny ``d**2 / 2`` grows; the gradient ``tanh(d) / n_outputs`` keeps
    full relative precision.

    PyTorch has no log-cosh loss; Keras has ``keras.losses.LogCosh``.
    """

    name = "log_cosh"

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """Return ``mean(|d| + log1p(exp(-2|d|)) - log(2), axis=1)`` with ``d = y_pred - y_true``."""
        d = difference(y_pred, y_true)
        np.abs(d, out=d)
        loss = np.multiply(d, -2.0)
        np.exp(loss, out=loss)
        np.log1p(loss, out=loss)
        loss += d
        loss -= _LOG_2
        return loss.mean(axis=1)

    def backward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """Return ``tanh(y_pred - y_true) / n_outputs``."""
        grad = difference(y_pred, y_true)
        np.tanh(grad, out=grad)
        grad /= grad.shape[1]
        return grad
