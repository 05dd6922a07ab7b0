"""Checks of user input: layer sizes, dtypes, data arrays, training arguments, and what they cost in memory.

Each check raises :class:`~npnet_core.errors.ValidationError` (or
``InvalidParameterError``) saying what was expected, what came and what to do,
and never changes its input.

Data is checked without being copied whole: :func:`check_matrix` checks the
shape and kind of an array and leaves it as it is (a memory-mapped file stays
mapped), and the network converts it to its dtype a chunk of rows at a time
(:func:`as_float_rows`), :data:`CHUNK_BYTES` of temporaries at most. An
array-like that reads a selection at a time (an h5py dataset, a zarr array:
:func:`is_lazy`) is not converted at all: :func:`check_matrix` checks its
``shape`` and ``dtype`` and wraps it in :class:`LazyRows`, which reads rows
only when asked, contiguous rows with one slice, others with one increasing
selection.
"""

from __future__ import annotations

import math
import mmap
import numbers
import os
import warnings
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from ._rows import LazyRows, Matrix, is_lazy
from .errors import InvalidParameterError, ValidationError

__all__ = [
    "CHUNK_BYTES",
    "COPY_WARNING_BYTES",
    "all_finite",
    "as_float_matrix",
    "as_float_rows",
    "check_dtype",
    "check_finite",
    "check_layers",
    "check_matrix",
    "check_memory",
    "check_positive_int",
    "first_non_finite",
    "format_bytes",
    "is_mapped",
    "memory_limit",
    "non_finite_error",
    "rows_per_chunk",
]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

#: The temporaries that converting, checking or predicting a chunk of rows may take, in bytes.
CHUNK_BYTES = 32 * 2**20
#: A whole-array conversion copy larger than this warns.
COPY_WARNING_BYTES = 256 * 2**20


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


def check_matrix(name: str, data: Any, width: Optional[int], *, promote_vector: bool = False) -> "Matrix":
    """Return ``data`` as a 2-D numeric array with ``width`` columns, neither converted nor copied.

    Refuses non-numeric, complex, empty and wrongly shaped data; values are
    checked as they are converted (:func:`as_float_rows`, :func:`check_finite`).
    An array-like that reads a selection at a time (:func:`is_lazy`) is
    checked by its ``shape`` and ``dtype``, not read, and returned as
    :class:`LazyRows`. ``width=None`` accepts any number of columns.
    """
    if is_lazy(data):
        dtype, shape = np.dtype(data.dtype), tuple(int(n) for n in data.shape)
        _check_kind(name, dtype)
        _check_shape(name, shape, width)
        return data if isinstance(data, LazyRows) else LazyRows(data)
    array = np.asarray(data)
    _check_kind(name, array.dtype)
    if promote_vector and array.ndim == 1:
        array = array.reshape(1, -1)
    _check_shape(name, array.shape, width)
    return array


def _check_kind(name: str, dtype: np.dtype) -> None:
    if dtype.kind == "O" or not (np.issubdtype(dtype, np.number) or dtype.kind == "b"):
        raise ValidationError(f"{name} must be numeric (got an array of dtype {dtype})")
    if np.issubdtype(dtype, np.complexfloating):
        raise ValidationError(f"{name} must be real, not complex (got dtype {dtype})")


def _check_shape(name: str, shape: Tuple[int, ...], width: Optional[int]) -> None:
    if len(shape) != 2:
        columns = "n_features" if width is None else width
        raise ValidationError(
            f"{name} must be 2-D (n_samples, {columns}) (got shape {shape}); reshape it, e.g. x.reshape(len(x), -1)"
        )
    if shape[0] == 0:
        raise ValidationError(f"{name} is empty (shape {shape}); at least one sample is needed")
    if width is not None and shape[1] != width:
        raise ValidationError(f"{name} must have {width} columns to match the network (got shape {shape})")


def as_float_matrix(name: str, data: Any, dtype: np.dtype, width: int, *, promote_vector: bool = False) -> np.ndarray:
    """Return ``data`` as a C-contiguous 2-D array of ``dtype`` with ``width`` columns.

    Converts only when needed (a float64 network given float32 data computes in
    float64), with a warning when that copy is larger than
    :data:`COPY_WARNING_BYTES`. Refuses empty data, the wrong width, and NaN or
    infinite values.
    """
    checked = check_matrix(name, data, width, promote_vector=promote_vector)
    array = checked[:] if isinstance(checked, LazyRows) else checked  # asked for an array: read whole
    copied = array.size * dtype.itemsize
    if (array.dtype != dtype or not array.flags.c_contiguous) and copied > COPY_WARNING_BYTES:
        warnings.warn(
            f"{name} ({array.dtype}, {format_bytes(array.nbytes)}) is copied whole as {dtype.name} "
            f"({format_bytes(copied)} more memory); give it as a C-contiguous {dtype.name} array to avoid the copy",
            UserWarning,
            stacklevel=3,
        )
    return as_float_rows(name, array, dtype)


def as_float_rows(name: str, rows: np.ndarray, dtype: np.dtype, first_row: int = 0) -> np.ndarray:
    """Return ``rows`` (2-D) as a C-contiguous array of ``dtype``, refusing NaN and infinite values.

    No copy when ``rows`` already is one. ``first_row`` is the row number of
    ``rows[0]`` in the whole data set, for the message.
    """
    rows = np.asarray(rows)  # an array-like's slice may be its own kind of array
    with np.errstate(over="ignore"):  # a float64 value beyond float32's range becomes inf: refused below
        converted = np.ascontiguousarray(rows, dtype=dtype)
    if np.issubdtype(rows.dtype, np.integer) or rows.dtype == bool:
        return converted  # every integer is finite in float32 and float64
    bad = first_non_finite(converted)
    if bad is not None:
        raise non_finite_error(name, first_row + bad[0], bad[1])
    return converted


def check_finite(name: str, array: np.ndarray, dtype: np.dtype) -> None:
    """Refuse NaN and infinite values in ``array`` as converted to ``dtype``, :data:`CHUNK_BYTES` at a time.

    One pass without a copy for a C-contiguous array of ``dtype``; otherwise
    each chunk of rows is converted, checked and let go.
    """
    if array.dtype == dtype and array.flags.c_contiguous:
        bad = first_non_finite(array)
        if bad is not None:
            raise non_finite_error(name, *bad)
        return
    rows = rows_per_chunk(array.shape[1] * dtype.itemsize)
    for start in range(0, len(array), rows):
        as_float_rows(name, array[start : start + rows], dtype, start)


def first_non_finite(array: np.ndarray) -> Optional[Tuple[int, int]]:
    """The (row, column) of the first NaN or infinite value of a C-contiguous 2-D float array, or None."""
    if all_finite(array):
        return None
    row, column = np.argwhere(~np.isfinite(array))[0]
    return int(row), int(column)


def non_finite_error(name: str, row: int, column: int, *, first: bool = True) -> ValidationError:
    """The error for a NaN or infinite value of ``name`` at ``row``, ``column``."""
    where = f"first at row {row}, column {column}" if first else f"at row {row}, column {column}"
    return ValidationError(f"{name} contains NaN or infinite values ({where}); remove or impute them before training")


def is_mapped(array: Any) -> bool:
    """Whether ``array`` is read as it is used: it maps a file (``np.load(..., mmap_mode="r")``, ``np.memmap``)
    or is an array-like read a selection at a time (:func:`is_lazy`: an h5py dataset, :class:`LazyRows`).

    Such data has its values checked as its rows are read, not in a pass of its own.
    """
    if is_lazy(array):
        return True
    if not isinstance(array, np.ndarray):
        return False
    base: Any = array
    while base is not None:
        if isinstance(base, (np.memmap, mmap.mmap)):
            return True
        base = getattr(base, "base", None)
    return False


def rows_per_chunk(bytes_per_row: int) -> int:
    """How many rows of ``bytes_per_row`` each fit in :data:`CHUNK_BYTES` (at least one)."""
    return max(1, CHUNK_BYTES // max(1, bytes_per_row))


def memory_limit() -> Optional[int]:
    """The bytes this process may use at most: the machine's memory, or less under ``ulimit -v`` / ``-d``.

    None where the platform does not say (then only NumPy's ``MemoryError`` tells).
    """
    limits = []
    try:
        limits.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # not a POSIX system
        pass
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        resource = None  # type: ignore[assignment]
    if resource is not None:
        for which in (resource.RLIMIT_AS, resource.RLIMIT_DATA):
            soft = resource.getrlimit(which)[0]
            if soft != resource.RLIM_INFINITY and soft > 0:
                limits.append(soft)
    return min(limits) if limits else None


def check_memory(nbytes: int, what: str, advice: str) -> None:
    """Refuse, before allocating, ``what`` when its ``nbytes`` exceed :func:`memory_limit`."""
    limit = memory_limit()
    if limit is not None and nbytes > limit:
        raise ValidationError(
            f"{what} needs about {format_bytes(nbytes)}, more than the {format_bytes(limit)} of memory this "
            f"process may use; {advice}"
        )


def format_bytes(nbytes: float) -> str:
    """``1536`` -> ``"1.5 KiB"``."""
    if nbytes < 1024:
        return f"{nbytes:.0f} bytes"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        nbytes /= 1024
        if nbytes < 1024:
            return f"{nbytes:.1f} {unit}"
    return f"{nbytes / 1024:.3g} PiB"
