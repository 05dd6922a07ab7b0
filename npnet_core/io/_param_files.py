"""The article's parameter files: one flat ``.npy`` vector, and nothing else.

The layout is the article's ``[W_1.ravel(), ..., W_L.ravel(), b_1, ..., b_L]``.
The file holds no layer sizes, so loading checks that its size matches the
network's and refuses it otherwise, instead of mis-assigning the values.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._files import NPY_MAGIC, ZIP_MAGIC, PathLike, atomic_write, is_pickle, open_existing, read_head
from .._npy import NpyReader
from ..errors import ModelFileError, NpnetError

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
    atomic_write(path, lambda handle: np.save(handle, net.params, allow_pickle=False), "parameter file")
    return path


def load_params(net: "NeuralNetwork", filename: PathLike) -> None:
    """Read a flat parameter vector written by :func:`save_params` into ``net``.

    The ``.npy`` header is checked against the network (shape ``(n_params,)``,
    real numbers) before any data is read, so a header declaring more values
    than the network has allocates nothing; the values must be finite.
    """
    path = Path(filename)
    if not os.path.exists(path) and os.path.exists(path.with_name(path.name + ".npy")):  # False on any OSError
        path = path.with_name(path.name + ".npy")  # np.save appended the suffix
    with open_existing(path, "parameter file") as handle:
        head = read_head(handle)
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
        reader = NpyReader(handle, os.fstat(handle.fileno()).st_size, str(path), ModelFileError)
        header = reader.header()
        if header.dtype.kind not in "fiu" or header.dtype.fields is not None:
            raise ModelFileError(
                f"{path} holds an array of dtype {header.dtype}, not real numbers; it is not a parameter file"
            )
        if header.shape != (net.n_params,):
            raise ModelFileError(
                f"{path} holds an array of shape {header.shape}, but layers {net.layers} need a flat vector of "
                f"{net.n_params} parameters; it was saved from a network with other layer sizes"
            )
        params = reader.data(header)
    try:
        net.set_params(params)
    except NpnetError as exc:  # NaN or inf: the network's own error, naming the file
        raise type(exc)(f"{path}: {exc}") from exc
