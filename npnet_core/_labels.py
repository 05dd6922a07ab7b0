"""Class labels: one-hot encoding and the checks that go with it."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .errors import ValidationError

__all__ = ["check_labels", "to_categorical"]


def check_labels(labels: Any, num_classes: Optional[int] = None, name: str = "labels") -> np.ndarray:
    """Return ``labels`` as a 1-D int64 array of class indices in ``[0, num_classes)``.

    Integer-valued floats (``3.0``) are accepted; fractional, negative, NaN or
    out-of-range labels are refused.
    """
    array = np.asarray(labels)
    if array.ndim != 1:
        raise ValidationError(f"{name} must be a 1-D array of class indices (got shape {array.shape})")
    if array.size == 0:
        raise ValidationError(f"{name} is empty; at least one label is needed")
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all() or (array != np.round(array)).any():
            bad = array[~np.isfinite(array) | (array != np.round(array))][0]
            raise ValidationError(f"{name} must be whole class indices such as 0, 1, 2 (got {bad!r})")
    elif not (np.issubdtype(array.dtype, np.integer) or array.dtype == bool):
        raise ValidationError(f"{name} must be integer class indices (got an array of dtype {array.dtype})")
    indices = array.astype(np.int64)
    if indices.min() < 0:
        raise ValidationError(f"{name} must be non-negative class indices (got {indices.min()})")
    if num_classes is not None and indices.max() >= num_classes:
        raise ValidationError(
            f"{name} must be class indices below {num_classes}, the number of outputs "
            f"(got {indices.max()}); widen the output layer or fix the labels"
        )
    return indices


def to_categorical(labels: Any, num_classes: Optional[int] = None, dtype: Any = np.float64) -> np.ndarray:
    """Return the one-hot encoding of integer class labels.

    Parameters
    ----------
    labels : array-like of shape (n_samples,)
        Class indices ``0 .. num_classes - 1``.
    num_classes : int, optional
        Width of the result. Default ``labels.max() + 1`` (the article's rule).
    dtype : dtype, default float64

    Returns
    -------
    one_hot : ndarray of shape (n_samples, num_classes)
    """
    indices = check_labels(labels, num_classes)
    width = int(indices.max()) + 1 if num_classes is None else int(num_classes)
    one_hot = np.zeros((indices.size, width), dtype=dtype)
    one_hot[np.arange(indices.size), indices] = 1
    return one_hot
