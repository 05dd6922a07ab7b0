"""Data files whatever their format: :func:`load_data` and the NumPy readers behind it.

The format is told by content, not by name, after undoing gzip: a zip archive
is an ``.npz`` with the arrays ``x`` and ``y``, a ``.npy`` array or an IDX
file holds inputs only (the labels in a second file), a pickle is refused,
and anything else is a CSV table (:func:`~npnet_core.datasets.read_csv`).
NumPy files are read through :mod:`npnet_core._npy` (sizes checked before
allocating, no other member of an archive decompressed). Every file must hold at least one
sample of finite numbers. Every problem
with a file is a :class:`~npnet_core.errors.DataFileError` naming it; a
missing file is a :class:`~npnet_core.errors.DataFileNotFoundError`. The
public functions are re-exported by :mod:`npnet_core.datasets`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Optional, Tuple

import numpy as np

from .._files import NPY_MAGIC, ZIP_MAGIC, PathLike, is_pickle, read_data_bytes
from .._npy import NpyReader, NpzArchive
from .._validation import check_dtype
from ..errors import DataFileError
from ._arguments import data_path
from ._csv import LabelColumns, check_label_columns, columns_name, parse_csv, split_label_column
from ._idx import is_idx, parse_idx

__all__ = ["load_array", "load_data", "load_npz"]


def _check_numeric(path: Path, what: str, array: np.ndarray) -> None:
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool) or np.issubdtype(
        array.dtype, np.complexfloating
    ):
        raise DataFileError(f"{path}: {what} has dtype {array.dtype}, not real numbers")


def _npz_arrays(path: Path, data: bytes) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """The arrays x (or X) and y (or Y) of an archive; no other member is decompressed."""
    with NpzArchive(path, io.BytesIO(data), DataFileError, ".npz archive") as archive:
        names = archive.names
        x_name = next((n for n in ("x", "X") if n in names), None)
        y_name = next((n for n in ("y", "Y") if n in names), None)
        if x_name is None and "config" in names and "params" in names:
            raise DataFileError(
                f"{path} is an npnet model file, not data: give it as the MODEL of npnet evaluate or "
                "npnet predict, and the data with --data"
            )
        if x_name is None:
            shown = ", ".join(repr(name) for name in names[:12]) + (", ..." if len(names) > 12 else "")
            raise DataFileError(
                f"{path} has no array 'x' (it holds {shown or 'nothing'}); "
                "write it with np.savez(path, x=inputs, y=labels)"
            )
        return archive.read(x_name), (archive.read(y_name) if y_name else None)


def load_npz(path: PathLike, *, dtype: Any = "float64") -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Return ``(x, y)`` from an ``.npz`` archive holding the arrays ``x`` and ``y`` (``y`` optional).

    ``X`` and ``Y`` are accepted too. ``x`` is flattened to one row per
    sample; ``y`` of shape (n, 1) becomes (n,).
    """
    path = data_path(path)
    data = read_data_bytes(path, "data file")
    if not data.startswith(ZIP_MAGIC):
        raise DataFileError(f"{path} is not an .npz archive")
    x, y = _npz_arrays(path, data)
    return _finish(path, x, y, check_dtype(dtype), "'x'", "'y'")


def _array(path: Path, data: bytes) -> np.ndarray:
    """The one array held by ``data``, read from ``path``: see :func:`load_array`."""
    if data.startswith(NPY_MAGIC):
        return NpyReader(io.BytesIO(data), len(data), f"{path}: the file", DataFileError).array()
    if data.startswith(ZIP_MAGIC):
        raise DataFileError(f"{path} is an .npz archive, not one array; give it as the data file")
    if is_pickle(data[:8]):
        raise DataFileError(f"{path} is a Python pickle; npnet never unpickles data files")
    if is_idx(data):
        return parse_idx(path, data)
    header, values = parse_csv(path, data)
    return values[:, 0] if values.shape[1] == 1 else values


def load_array(path: PathLike) -> np.ndarray:
    """Read one array from a ``.npy`` file, an IDX file (gzip or not) or a one-column CSV file."""
    path = data_path(path)
    return _array(path, read_data_bytes(path, "data file"))


def _labels(path: Path) -> np.ndarray:
    """The labels from their own file (the ``labels`` of :func:`load_data`)."""
    return _array(path, read_data_bytes(path, "labels file"))


def _rows(path: Path, what: str, array: np.ndarray) -> np.ndarray:
    """``array`` as one row per sample; refuse a single number, no samples, and samples of no values."""
    if array.ndim == 0:
        raise DataFileError(f"{path}: {what} is a single number, not one row per sample")
    if len(array) == 0:
        raise DataFileError(f"{path} holds no samples ({what}: shape {array.shape}); give a file with data in it")
    if array.size == 0:
        raise DataFileError(
            f"{path}: every sample of {what} is empty (shape {array.shape}); give at least one input value per sample"
        )
    return array.reshape(len(array), -1)


def _check_finite(path: Path, what: str, array: np.ndarray) -> None:
    """Refuse NaN and infinity, naming the first sample holding one."""
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        first = np.argwhere(~np.isfinite(array))[0]
        where = f"sample {first[0]}" + (f", value {first[1]}" if len(first) == 2 else "")
        raise DataFileError(
            f"{path}: {what} holds NaN or infinity (first at {where}, counting from 0); "
            "npnet trains on finite numbers: fill in or drop those values"
        )


def _finish(
    path: Path,
    x: np.ndarray,
    y: Optional[np.ndarray],
    dtype: np.dtype,
    x_what: str,
    y_what: str,
    y_path: Optional[Path] = None,
) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    _check_numeric(path, x_what, x)
    x = _rows(path, x_what, x)
    _check_finite(path, x_what, x)
    x = x.astype(dtype)
    if y is not None:
        y_path = y_path or path
        _check_numeric(y_path, y_what, y)
        if y.ndim == 0:
            raise DataFileError(f"{y_path}: {y_what} is a single number, not one label per sample")
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim > 2:
            raise DataFileError(f"{y_path}: {y_what} has shape {y.shape}; labels are (n,) or targets (n, k)")
        if len(y) != len(x):
            where = (
                f"{path} has {len(x)} samples but {y_path}"
                if y_path != path
                else f"{path}: {x_what} has {len(x)} rows but"
            )
            raise DataFileError(f"{where} {y_what} has {len(y)}")
        if y.size == 0:
            raise DataFileError(
                f"{y_path}: every sample of {y_what} is empty (shape {y.shape}); give one target or more"
            )
        _check_finite(y_path, y_what, y)
    return x, y


def load_data(
    path: PathLike,
    *,
    labels: Optional[PathLike] = None,
    label_column: LabelColumns = None,
    n_features: Optional[int] = None,
    dtype: Any = "float64",
) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Return ``(x, y)`` from a data file, ``y`` None when the file holds no labels.

    The format is told by content:

    - an ``.npz`` archive: the arrays ``x`` and ``y`` (``y`` optional);
    - a ``.npy`` array or an IDX file: ``x`` only, the labels coming from
      ``labels``;
    - otherwise a CSV table (see :func:`read_csv`) whose column
      ``label_column`` (a name or an index; default the last) holds ``y``.
      A list of names and indices takes several label columns: ``y`` is then
      of shape (n, k), the columns in the order listed (multi-label targets;
      a list of one column gives labels of shape (n,), as the column alone).
      When ``label_column`` is not given and ``n_features`` is, a table of
      exactly ``n_features`` columns is taken as inputs without labels.

    ``labels`` names a second file with the labels or targets (``.npy``, IDX,
    or a one-column CSV); the data file then holds only inputs. ``x`` comes
    back 2-D (images are flattened to one row per sample) in ``dtype``.

    A missing data or labels file is a
    :class:`~npnet_core.errors.DataFileNotFoundError` (also a
    ``FileNotFoundError``); a folder, a device or FIFO, an unreadable file or
    one that is not data (damaged, truncated, declaring more than it holds,
    holding Python objects, no samples, NaN or infinity) is a
    :class:`~npnet_core.errors.DataFileError`, and so is a label column the
    table does not have or one listed twice. A ``label_column`` that is
    neither a str nor an int (``1.5``, ``True``), nor a non-empty list of them,
    is a :class:`~npnet_core.errors.ValidationError`.
    """
    path = data_path(path)
    label_column = check_label_columns(label_column)
    dtype = check_dtype(dtype)
    y_path = None if labels is None else data_path(labels, "labels file")
    data = read_data_bytes(path, "data file")
    if data.startswith(ZIP_MAGIC):
        if label_column is not None:
            raise DataFileError(f"{path} is an .npz archive: its labels are the array 'y', not a column")
        x, y = _npz_arrays(path, data)
        if y_path is not None:
            if y is not None:
                raise DataFileError(f"{path} holds labels already (the array 'y'); give no second labels file")
            return _finish(path, x, _labels(y_path), dtype, "'x'", "the labels", y_path)
        return _finish(path, x, y, dtype, "'x'", "'y'")
    if data.startswith(NPY_MAGIC) or is_idx(data) or is_pickle(data[:8]):
        if label_column is not None:
            raise DataFileError(f"{path} is a single array, not a table: there is no label column to choose")
        x = _array(path, data)
        y = None if y_path is None else _labels(y_path)
        return _finish(path, x, y, dtype, "the inputs", "the labels", y_path)
    if y_path is not None:
        if label_column is not None:
            raise DataFileError("give the labels either as a column of the table or as a second file, not both")
        x = parse_csv(path, data).values.astype(dtype)
        return _finish(path, x, _labels(y_path), dtype, "the inputs", "the labels", y_path)
    table = parse_csv(path, data)
    if label_column is None:
        if n_features is not None and table.values.shape[1] == n_features:
            return _finish(path, table.values, None, dtype, "the inputs", "")
        label_column = -1
    x, y, indices = split_label_column(path, table, label_column)
    return _finish(path, x, y, dtype, "the inputs", f"the label {columns_name(table.header, indices)}")
