"""The arrays a metric is given, checked, and its targets in the form it needs: class labels or values.

The one place that reads ``y_true``. Nothing here writes into its arguments:
results are views of them, or new arrays.
"""

from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from npnet_core.errors import ValidationError
from npnet_core.optimizer_tools import show_value

__all__ = ["class_count", "predicted_labels", "targets"]

_SAME_SAMPLES = "pass the network's outputs and the targets of the same samples"


def targets(owner: str, y_pred: Any, y_true: Any, form: str) -> Tuple[np.ndarray, np.ndarray]:
    """Return ``y_pred`` checked, and ``y_true`` as ``form`` asks.

    Parameters
    ----------
    owner : str
        The metric's name, which starts every error message.
    y_pred : array-like of shape (n_samples, n_outputs)
    y_true : array-like of shape (n_samples, n_outputs) or (n_samples,)
    form : {"labels", "values"}
        ``"labels"`` (a classifier): class indices, int64 of shape (n_samples,), from
        one-hot rows or integer labels in ``[0, n_outputs)``; with one output, the
        0/1 targets themselves. ``"values"`` (a regression): float64 of shape
        (n_samples, n_outputs), from values, a 1-D array for one output, or, with
        two outputs or more, integer labels, one-hot encoded.

    Raises
    ------
    ValidationError
        Shapes that do not match, non-finite values, targets that are not one-hot
        rows or labels in range (``"labels"``).
    """
    pred = _predictions(owner, y_pred)
    true = np.asarray(y_true)
    n, k = pred.shape
    if true.dtype.kind not in "biuf":
        raise ValidationError(
            f"{owner}: y_true must hold numbers (got an array of dtype {true.dtype}); "
            "pass one-hot rows or integer class labels for a classifier, values for a regression"
        )
    if true.ndim not in (1, 2) or true.shape[0] != n or (true.ndim == 2 and true.shape[1] != k):
        raise ValidationError(
            f"{owner}: y_true has shape {true.shape} but y_pred has shape {pred.shape}; y_true must be of "
            f"shape ({n}, {k}) or ({n},): one-hot rows or integer class labels for a classifier, values for a "
            f"regression; {_SAME_SAMPLES}"
        )
    if true.dtype.kind == "f" and not np.isfinite(true).all():
        row = int(np.argmin(np.isfinite(true.reshape(n, -1)).all(axis=1)))
        raise ValidationError(f"{owner}: y_true holds NaN or infinity (first in row {row}); pass finite targets")
    if form == "labels":
        return pred, _labels(owner, true, k)
    if form == "values":
        return pred, _values(owner, true, k)
    raise ValueError(f"form must be 'labels' or 'values' (got {form!r})")


def predicted_labels(y_pred: np.ndarray) -> np.ndarray:
    """The class each row predicts: the argmax (the first on ties), or with one output ``y_pred > 0.5``."""
    if y_pred.shape[1] == 1:
        return (y_pred[:, 0] > 0.5).astype(np.int64)
    return y_pred.argmax(axis=1)


def class_count(y_pred: np.ndarray) -> int:
    """The number of classes: one per output, and two (0 and 1) for one output."""
    return max(int(y_pred.shape[1]), 2)


def _predictions(owner: str, y_pred: Any) -> np.ndarray:
    pred = np.asarray(y_pred)
    if pred.dtype.kind not in "iuf":
        raise ValidationError(
            f"{owner}: y_pred must be an array of numbers (got an array of dtype {pred.dtype}); "
            "pass the network's outputs"
        )
    if pred.ndim != 2:
        hint = ", or y_pred.reshape(-1, 1) for one output" if pred.ndim == 1 else ""
        raise ValidationError(
            f"{owner}: y_pred must be a 2-D array of shape (n_samples, n_outputs) (got shape {pred.shape}); "
            f"pass the network's outputs{hint}"
        )
    if pred.size == 0:
        raise ValidationError(
            f"{owner}: y_pred has shape {pred.shape}; a metric needs at least one sample and one output"
        )
    if pred.dtype.kind == "f" and not np.isfinite(pred).all():
        row = int(np.argmin(np.isfinite(pred).all(axis=1)))
        raise ValidationError(
            f"{owner}: y_pred holds NaN or infinity (first in row {row}); the network may have diverged: "
            "lower the learning rate or check the inputs"
        )
    return pred


def _labels(owner: str, true: np.ndarray, k: int) -> np.ndarray:
    if k == 1:  # one output: the probability of class 1, against 0/1 targets
        column = true.reshape(-1)
        wrong = (column != 0) & (column != 1)
        if wrong.any():
            raise ValidationError(
                f"{owner}: with one output, read as the probability of class 1, y_true must be 0 or 1 "
                f"(got {show_value(column[wrong][0])} in row {int(np.argmax(wrong))}); pass 0/1 targets, or use a "
                "regression metric such as 'mse' for values"
            )
        return column.astype(np.int64)
    if true.ndim == 1:
        return _class_indices(owner, true, k, "one-hot rows")
    labels = true.argmax(axis=1)  # one-hot: a row's only nonzero entry is its maximum, and it is 1
    one_hot = (np.count_nonzero(true, axis=1) == 1) & (true[np.arange(labels.size), labels] == 1)
    if not one_hot.all():
        row = int(np.argmin(one_hot))
        raise ValidationError(
            f"{owner}: y_true row {row} is {np.array2string(true[row], threshold=12)}, not one-hot "
            "(a single 1, zeros elsewhere); pass one-hot rows or integer class labels"
        )
    return labels.astype(np.int64, copy=False)


def _class_indices(owner: str, labels: np.ndarray, k: int, instead: str) -> np.ndarray:
    """``labels`` as int64 class indices in ``[0, k)``; ``instead``: the 2-D targets to suggest."""
    if labels.dtype.kind == "f":
        fractional = labels != np.round(labels)
        if fractional.any():
            raise ValidationError(
                f"{owner}: y_true of shape {labels.shape}, for a network of {k} outputs, holds class labels, "
                f"which must be whole numbers (got {show_value(labels[fractional][0])} in row {int(np.argmax(fractional))}); "
                f"pass integer labels, or {instead} of shape ({labels.shape[0]}, {k})"
            )
    low, high = labels.min(), labels.max()
    if low < 0 or high >= k:
        bad = low if low < 0 else high
        raise ValidationError(
            f"{owner}: y_true holds the class label {show_value(bad)}, but a network of {k} outputs has the classes "
            f"0 to {k - 1}; fix the labels, or give the network one output per class"
        )
    return labels.astype(np.int64)


def _values(owner: str, true: np.ndarray, k: int) -> np.ndarray:
    if true.ndim == 2:
        return true.astype(np.float64, copy=False)
    if k == 1:
        return true.astype(np.float64, copy=False).reshape(-1, 1)
    indices = _class_indices(owner, true, k, "values")
    one_hot = np.zeros((indices.size, k))
    one_hot[np.arange(indices.size), indices] = 1.0
    return one_hot
