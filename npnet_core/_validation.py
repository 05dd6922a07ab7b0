"""Checks of user input: layer sizes, dtypes, data arrays, training arguments.

Each check raises :class:`~npnet_core.errors.ValidationError` (or
``InvalidParameterError``) saying what was expected, what came and what to do,
and never changes its input.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, List, Sequence

import numpy as np

from .errors import InvalidParameterError, ValidationError

__all__ = ["all_finite", "as_float_matrix", "check_dtype", "check_layers", "check_positive_int"]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an int if it is an integer >= 1 (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValidationError(f"{name} must be a positive integer (got {value!r} of type {type(value).__name__})")
    if value < 1:
        raise ValidationError(f"{name} must be a positive integer (got {value})")
    return int(value)


def check_layers(layers: Any) -> List[int]:
    """Return the layer sizes ``[n_in, h_1, ..., n_out]`` as a list of ints."""
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence) and not isinstance(layers, np.ndarray):
        raise ValidationError(
            f"layers must be a list of layer sizes including input and output, such as [64, 64, 10] (got {layers!r})"
        )
    sizes = list(layers)
    if len(sizes) < 2:
        raise ValidationError(f"layers needs at least an input and an output size, such as [64, 10] (got {sizes!r})")
    return [check_positive_int(f"layers[{i}]", size) for i, size in enumerate(sizes)]


def check_dtype(dtype: Any) -> np.dtype:
    """Return ``dtype`` as a NumPy dtype if it is float32 or float64."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in _FLOAT_DTYPES:
        raise InvalidParameterError(f"dtype must be 'float32' or 'float64' (got {dtype!r})")
    return resolved


def all_finite(array: np.ndarray) -> bool:
    """Whether a contiguous float array holds no NaN or inf, in one pass and without a temporary of its size.

    NaN and inf make the sum of squares (one BLAS dot product) non-finite; only
    then, or when large finite values overflow it, are the values looked at one
    by one (max and min propagate NaN and never overflow).
    """
    flat = array.reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        if math.isfinite(float(np.dot(flat, flat))):
            return True
    return math.isfinite(flat.max()) and math.isfinite(flat.min())


def as_float_matrix(name: str, data: Any, dtype: np.dtype, width: int, *, promote_vector: bool = False) -> np.ndarray:
    """Return ``data`` as a C-contiguous 2-D array of ``dtype`` with ``width`` columns.

    Converts only when needed (a float64 network given float32 data computes in
    float64). Refuses empty data, the wrong width, and NaN or infinite values.
    """
    array = np.asarray(data)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValidationError(f"{name} must be numeric (got an array of dtype {array.dtype})")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise ValidationError(f"{name} must be real, not complex (got dtype {array.dtype})")
    if promote_vector and array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2:
        raise ValidationError(
            f"{name} must be 2-D (n_samples, {width}) (got shape {array.shape}); reshape it, e.g. x.reshape(len(x), -1)"
        )
    if array.shape[0] == 0:
        raise ValidationError(f"{name} is empty (shape {array.shape}); at least one sample is needed")
    if array.shape[1] != width:
        raise ValidationError(f"{name} must have {width} columns to match the network (got shape {array.shape})")
    array = np.ascontiguousarray(array, dtype=dtype)
    if not all_finite(array):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValidationError(
            f"{name} contains NaN or infinite values (first at row {bad[0]}, column {bad[1]}); "
            "remove or impute them before training"
        )
    return array
