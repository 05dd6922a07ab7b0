"""IDX files, the format of MNIST: telling them by their header, parsing and reading them.

An IDX file starts with the bytes ``0x00 0x00 TYPE NDIM``, then NDIM big-endian
uint32 sizes, then the elements, big-endian. :func:`read_idx` checks that
header against the file's size (in Python integers, so that no product of
sizes overflows) before touching the data, and returns the array in native
byte order.
Re-exported by :mod:`npnet_core.datasets`.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np

from .._files import PathLike, read_data_bytes
from ..errors import DataFileError
from ._arguments import data_path

__all__ = ["is_idx", "parse_idx", "read_idx"]

#: IDX element types: the third byte of the magic number
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def is_idx(data: bytes) -> bool:
    """Whether ``data`` starts like an IDX file (a known element type and at least one dimension)."""
    return len(data) >= 4 and data[0] == 0 and data[1] == 0 and data[2] in _IDX_TYPES and data[3] > 0


def parse_idx(path: Path, data: bytes) -> np.ndarray:
    """The array held by the IDX bytes ``data`` read from ``path`` (named in the errors)."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataFileError(f"{path} is not an IDX file: it does not start with the bytes 0x00 0x00 TYPE NDIM")
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
    count = math.prod(shape)  # Python integers: sizes up to (2**32 - 1) ** 255 do not overflow
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
    native byte order. A missing file is a
    :class:`~npnet_core.errors.DataFileNotFoundError`.
    """
    path = data_path(path, "IDX file")
    return parse_idx(path, read_data_bytes(path, "IDX file"))
