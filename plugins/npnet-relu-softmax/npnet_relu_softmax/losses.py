"""Losses: mean squared error and categorical cross-entropy (the contract is :class:`npnet_core.protocols.Loss`).

``y_true`` is converted to the dtype of ``y_pred``.
"""

from __future__ import annotations

import numpy as np

from npnet_core.protocols import DISTRIBUTION

from ._common import Stateless, as_float

__all__ = ["CategoricalCrossentropy", "MeanSquaredError"]


class MeanSquaredError(Stateless):
    """Mean over the outputs of the squared error, ``mean((p - y)**2)`` per row.

    Registered as ``"mean_squared_error"`` with the alias ``"mse"``.
    """

    name = "mean_squared_error"

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """Return ``mean((y_pred - y_true)**2, axis=1)``."""
        y_pred = as_float(y_pred)
        diff = y_pred - as_float(y_true, y_pred.dtype)
        np.square(diff, out=diff)
        return diff.mean(axis=1)

    def backward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """Return ``(2 / n_outputs) * (y_pred - y_true)``."""
        y_pred = as_float(y_pred)
        grad = y_pred - as_float(y_true, y_pred.dtype)
        grad *= 2.0 / y_pred.shape[1]
        return grad


class CategoricalCrossentropy(Stateless):
    """Cross-entropy of predicted probabilities, ``-sum(y * log(p))`` per row.

    ``y_true`` holds one-hot or probability rows. ``p`` is clipped below at
    the smallest normal number of its dtype, so ``p == 0`` gives a large but
    finite loss and gradient instead of ``inf``.
    """

    name = "categorical_crossentropy"
    expects = DISTRIBUTION

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """Return ``-sum(y_true * log(max(y_pred, tiny)), axis=1)``."""
        y_pred = as_float(y_pred)
        log_p = np.maximum(y_pred, np.finfo(y_pred.dtype).tiny)
        np.log(log_p, out=log_p)
        log_p *= as_float(y_true, y_pred.dtype)
        return -log_p.sum(axis=1)

    def backward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """Return ``-y_true / max(y_pred, tiny)``."""
        y_pred = as_float(y_pred)
        grad = np.maximum(y_pred, np.finfo(y_pred.dtype).tiny)
        np.divide(as_float(y_true, y_pred.dtype), grad, out=grad)
        np.negative(grad, out=grad)
        return grad
