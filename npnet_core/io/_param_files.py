"""The article's parameter files: one flat ``.npy`` vector, and nothing else.

The layout is the article's ``[W_1.ravel(), ..., W_L.ravel(), b_1, ..., b_L]``.
The file holds no layer sizes, so loading checks that its size matches the
network's and refuses it otherwise, instead of mis-assigning the values.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._files import (
    NPY_MAGIC,
    ZIP_MAGIC,
    PathLike,
    atomic_write,
    is_pickle,
    numpy_load_errors,
    open_existing,
    read_head,
)
from ..errors import ModelFileError

if TYPE_CHECKING:  # pragma: no cover
    from ..network import NeuralNetwork

__all__ = ["load_params", "save_params"]


def save_params(net: "NeuralNetwork", filename: PathLike) -> Path:
    """Write the flat parameter vector with ``np.save`` semantics (``.npy`` appended if missing)."""
    path = Path(filename)
    if path.suffix != ".npy":
        path = path.with_name(path.name + ".npy")
    if not np.isfinite(net.params).all():
        raise ModelFileError(
            "cannot save the parameters: they contain NaN or inf (training diverged), and load_params would refuse them"
        )
    atomic_write(path, lambda handle: np.save(handle, net.params, allow_pickle=False))
    return path


def load_params(net: "NeuralNetwork", filename: PathLike) -> None:
    """Read a flat parameter vector written by :func:`save_params` into ``net``."""
    path = Path(filename)
    if not path.exists() and path.with_name(path.name + ".npy").exists():
        path = path.with_name(path.name + ".npy")  # np.save appended the suffix
    # np.load is given an open file, which is closed here whatever happens
    with numpy_load_errors(path, ModelFileError, ".npy parameter file"), open_existing(path, "parameter file") as f:
        head = read_head(f)
        if head.startswith(ZIP_MAGIC):
            raise ModelFileError(
                f"{path} is an .npz archive, not an .npy parameter file; a whole model saved with "
                "net.save() is read with NeuralNetwork.load()"
            )
        if not head.startswith(NPY_MAGIC):
            what = "lacks the .npy header"
            if not head:
                what = "is empty"
            elif is_pickle(head):
                what = "is a Python pickle"
            raise ModelFileError(f"{path} is not an .npy parameter file: it {what}")
        params = np.load(f, allow_pickle=False)
    if not isinstance(params, np.ndarray) or params.ndim != 1 or params.size != net.n_params:
        shape = getattr(params, "shape", None)
        raise ModelFileError(
            f"{path} holds an array of shape {shape}, but layers {net.layers} need a flat vector of "
            f"{net.n_params} parameters; it was saved from a network with other layer sizes"
        )
    if params.dtype.kind not in "fiu":
        raise ModelFileError(
            f"{path} holds an array of dtype {params.dtype}, not real numbers; it is not a parameter file"
        )
    net.set_params(params)
