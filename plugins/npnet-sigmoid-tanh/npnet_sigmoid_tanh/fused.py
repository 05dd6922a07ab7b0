"""Fused output gradient (:data:`npnet_core.hookspecs.OutputGradient`) of this distribution's pair."""

from __future__ import annotations

import numpy as np

from ._common import as_float

__all__ = ["sigmoid_binary_crossentropy_gradient"]


def sigmoid_binary_crossentropy_gradient(y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
    """Gradient of binary cross-entropy after sigmoid: ``(p - y) / n_outputs`` (``p = y_pred``, ``y = y_true``).

    Exact for any ``y`` (soft labels too). Unlike the chained gradient, it
    does not vanish when the sigmoid saturates to exactly 0 or 1.
    """
    y_pred = as_float(y_pred)
    grad = y_pred - as_float(y_true, y_pred.dtype)
    grad /= y_pred.shape[1]
    return grad
