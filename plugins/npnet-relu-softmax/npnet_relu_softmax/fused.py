"""Fused output gradients (:data:`npnet_core.hookspecs.OutputGradient`) of this distribution's pairs."""

from __future__ import annotations

import numpy as np

from ._common import as_float

__all__ = ["identity_mse_gradient", "softmax_crossentropy_gradient"]


def softmax_crossentropy_gradient(y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
    """Gradient of cross-entropy after softmax: ``p * sum(y) - y`` per row (``p = y_pred``, ``y = y_true``).

    Equals ``p - y`` for rows of ``y`` summing to 1, and is exact for any
    ``y``. Unlike the chained gradient, it does not vanish when a true-class
    probability underflows to 0.
    """
    y_pred = as_float(y_pred)
    y_true = as_float(y_true, y_pred.dtype)
    grad = y_pred * y_true.sum(axis=1, keepdims=True)
    grad -= y_true
    return grad


def identity_mse_gradient(y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
    """Gradient of mean squared error after the identity: ``(2 / n_outputs) * (y_pred - y_true)``."""
    y_pred = as_float(y_pred)
    grad = y_pred - as_float(y_true, y_pred.dtype)
    grad *= 2.0 / y_pred.shape[1]
    return grad
