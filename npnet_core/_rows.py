"""Rows of data read as they are used: an array-like that selects rows (an h5py dataset, a zarr array).

:func:`is_lazy` tells such data from what NumPy converts at once;
:class:`LazyRows` reads its rows only when asked, contiguous rows with one
slice and others with one selection of increasing indices, as h5py requires.
``_validation.check_matrix`` checks such data by its ``shape`` and ``dtype``
and wraps it; the training loop and ``predict`` read it a batch or a chunk at
a time.
"""

from __future__ import annotations

import numbers
from typing import Any, Optional, Tuple, Union

import numpy as np

from .errors import ValidationError

__all__ = ["LazyRows", "Matrix", "is_lazy"]


def is_lazy(data: Any) -> bool:
    """Whether ``data`` is an array-like read a selection at a time: not a NumPy array, but an object NumPy could
    convert (``__array__``) with a ``shape`` of two or more dimensions, a NumPy ``dtype`` and ``__getitem__``.

    An h5py ``Dataset``, a zarr array, a Dask array, :class:`LazyRows`. Such data
    is never converted whole: rows are read with ``data[start:stop]`` and
    ``data[increasing_indices]``. A one-dimensional array-like (one sample for
    ``predict``) is converted as NumPy converts it.
    """
    if isinstance(data, np.ndarray):
        return False
    kind = type(data)
    if not (hasattr(kind, "__getitem__") and hasattr(kind, "__array__")):
        return False
    try:
        shape = data.shape
        np.dtype(data.dtype)
    except Exception:  # no shape, or a dtype NumPy does not know (a PyTorch tensor's): not for this path
        return False
    return (
        isinstance(shape, tuple)
        and len(shape) >= 2
        and all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in shape)
    )


class LazyRows:
    """The rows of an array-like (:func:`is_lazy`), or a selection of them, read only when asked.

    ``rows[start:stop]`` reads contiguous rows with one slice of the array-like;
    ``rows[indices]`` and :meth:`take` read any rows with one selection of
    increasing, distinct indices (what h5py requires), then put them in the
    order asked. :meth:`select` makes a view of some rows without reading them.
    Every read returns a NumPy array of the array-like's dtype.
    """

    #: the array-like read
    data: Any
    #: the rows of ``data`` viewed: ``_index`` if not None, else ``_count`` rows from ``_start``
    _index: Optional[np.ndarray]
    _start: int
    _count: int

    def __init__(self, data: Any, rows: Union[None, slice, np.ndarray] = None) -> None:
        if isinstance(data, LazyRows):
            base, index, start = data.data, data._index, data._start
            count = len(data)
        else:
            base, index, start = data, None, 0
            count = int(data.shape[0])
        if isinstance(rows, slice):
            first, stop, step = rows.indices(count)
            if step != 1:
                rows = np.arange(first, stop, step)
            else:
                count = max(0, stop - first)
                if index is None:
                    start += first
                else:
                    index = index[first : first + count]
        if isinstance(rows, np.ndarray):
            positions = _positions(rows, count)
            index = start + positions if index is None else index[positions]
            start, count = 0, len(index)
        self.data = base
        self._index = index
        self._start = start
        self._count = count
        self.dtype = np.dtype(base.dtype)
        self.shape: Tuple[int, ...] = (count, *(int(n) for n in base.shape[1:]))
        self.ndim = len(self.shape)

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        return f"LazyRows({type(self.data).__name__}, shape={self.shape}, dtype={self.dtype.name})"

    def select(self, rows: Union[slice, np.ndarray]) -> "LazyRows":
        """A view of ``rows`` (a slice, or integer positions), nothing read."""
        return LazyRows(self, rows)

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, tuple):
            raise TypeError("LazyRows selects rows only: rows[start:stop], rows[i] or rows[indices]")
        if isinstance(key, slice):
            first, stop, step = key.indices(self._count)
            if step == 1 and self._index is None:
                return self._read(slice(self._start + first, self._start + max(first, stop)), max(0, stop - first))
            key = np.arange(first, stop, step)
        if isinstance(key, numbers.Integral):
            return self.take(np.array([key]))[0]
        return self.take(np.asarray(key))

    def take(self, positions: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
        """The rows at ``positions``, in that order, read with one selection of increasing distinct indices.

        With ``out`` (of ``len(positions)`` rows, any dtype) the rows are written
        there, converted, and ``out`` is returned.
        """
        positions = _positions(np.asarray(positions), self._count)
        wanted = self._start + positions if self._index is None else self._index[positions]
        sorter = np.argsort(wanted, kind="stable")
        ordered = wanted[sorter]
        if len(ordered) > 1 and not bool(np.all(ordered[1:] != ordered[:-1])):  # repeated rows: read each once
            unique, inverse = np.unique(wanted, return_inverse=True)
            rows = self._read(unique, len(unique))
            if out is None:
                return rows[inverse]
            with np.errstate(over="ignore"):  # beyond float32's range: inf, refused by the data checks
                out[...] = rows[inverse]
            return out
        rows = self._read(ordered, len(ordered))
        if out is None:
            out = np.empty_like(rows)
        with np.errstate(over="ignore"):
            out[sorter] = rows  # out[j] is row wanted[j]
        return out

    def check_reads(self, name: str) -> None:
        """Read the first row as batches are read (``data[np.array([0])]``): an array-like that cannot select
        rows by their indices is refused before training, not in its first batch."""
        try:
            self.take(np.zeros(1, dtype=np.intp))
        except ValidationError:
            raise
        except Exception as exc:
            raise ValidationError(
                f"{name} ({type(self.data).__name__}) cannot select rows by their indices: "
                f"data[np.array([0])] raised {type(exc).__name__}: {exc}. Give an array-like that selects "
                "rows with data[increasing_indices] (NumPy, h5py, zarr 3), or load it with np.asarray"
            ) from exc

    def _read(self, selection: Any, count: int) -> np.ndarray:
        """``data[selection]`` as a NumPy array, which must have ``count`` rows of the row shape."""
        rows = np.asarray(self.data[selection])
        expected = (count, *self.shape[1:])
        if rows.shape != expected:
            raise ValidationError(
                f"reading rows of {type(self.data).__name__} of shape {tuple(self.data.shape)} gave an array of "
                f"shape {rows.shape}, not {expected}: it must select rows with data[start:stop] and "
                "data[increasing_indices] as NumPy and h5py do; give it as a NumPy array (np.asarray(data)) otherwise"
            )
        return rows

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """All the rows, read whole (npnet itself never asks for this)."""
        rows = self[:]
        return rows if dtype is None else rows.astype(dtype, copy=False)


#: what :func:`check_matrix` returns: an array, or the rows of an array-like read as they are used
Matrix = Union[np.ndarray, LazyRows]


def _positions(positions: np.ndarray, count: int) -> np.ndarray:
    """Row positions (integers, negative from the end, or a mask) among ``count`` rows, as non-negative ints."""
    if positions.dtype == bool:
        if positions.shape != (count,):
            raise IndexError(f"a row mask must have {count} values, not {positions.shape}")
        return np.flatnonzero(positions)
    positions = positions.astype(np.intp, copy=False).reshape(-1)
    if len(positions) and (positions.min() < -count or positions.max() >= count):
        raise IndexError(f"row positions out of range for {count} rows")
    return positions % max(1, count)
