"""NumPy files given as data: ``.npy`` arrays and ``.npz`` archives, checked before anything is allocated.

An ``.npy`` header declares a shape and an element type; :func:`read_npy`
computes the size they imply in Python integers (no overflow) and compares it
with the bytes that are really there before NumPy allocates the array. An
``.npz`` archive is a zip of ``.npy`` members: :class:`NpzArchive` lists the
members from the zip's directory without decompressing any, and reads only
those asked for, each checked first (not encrypted, stored or deflated, a
declared size that deflate can give from the compressed bytes, an ``.npy``
header agreeing with that size). A member nobody asks for is never
decompressed. Objects (pickles) are refused. Every problem is a
:class:`~npnet_core.errors.DataFileError` naming the file.
"""

from __future__ import annotations

import io
import math
import struct
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np

from .._files import numpy_load_errors
from ..errors import DataFileError

__all__ = ["NpzArchive", "read_npy"]

#: deflate cannot expand its input more than about 1032 times; a member declaring more is crafted or corrupt
_DEFLATE_MAX_RATIO = 1032
#: what parsing a damaged .npy header raises (a flipped byte can reach the tokenizer or the literal parser)
_HEADER_ERRORS = (
    ValueError,
    SyntaxError,
    TypeError,
    KeyError,
    struct.error,
    tokenize.TokenError,
    RecursionError,
    EOFError,
    OSError,
    zlib.error,
    zipfile.BadZipFile,
)


def _brief(exc: BaseException) -> str:
    """The first line of what ``exc`` says, at most 100 characters (a damaged header can be 10000)."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if len(text) <= 100 else text[:97] + "..."


def _header(path: Path, handle: Any, what: str) -> Tuple[Tuple[int, ...], np.dtype, int]:
    """The shape and dtype an ``.npy`` stream declares, and the length of its header."""
    readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    try:
        version = np.lib.format.read_magic(handle)
        reader = readers.get(version)
        if reader is not None:
            shape, _, dtype = reader(handle)
    except _HEADER_ERRORS as exc:
        raise DataFileError(
            f"{path}: {what} is not a readable .npy array (its header is damaged: {_brief(exc)})"
        ) from None
    if reader is None:  # 3.0 is only for structured dtypes with non-Latin-1 field names
        raise DataFileError(
            f"{path}: {what} is a .npy array of format version {version[0]}.{version[1]}; npnet reads versions "
            "1.0 and 2.0, which np.save writes for arrays of numbers"
        )
    if dtype.hasobject:
        raise DataFileError(f"{path}: {what} holds Python objects (pickled); npnet never unpickles files")
    if dtype.itemsize == 0 or any(size < 0 for size in shape):
        raise DataFileError(f"{path}: {what} declares shape {tuple(shape)} of {dtype}, which holds no numbers")
    return tuple(int(size) for size in shape), dtype, handle.tell()


def _check_size(path: Path, what: str, shape: Tuple[int, ...], dtype: np.dtype, header: int, size: int) -> None:
    """Refuse an ``.npy`` whose header announces more or fewer bytes than the ``size`` it has."""
    expected = header + math.prod(shape) * dtype.itemsize  # Python integers: no overflow
    if size != expected:
        problem = "is truncated" if size < expected else f"has {size - expected} bytes too many"
        raise DataFileError(
            f"{path}: {what} {problem}: its header announces shape {shape} of {dtype}, "
            f"{expected} bytes in all, but it holds {size} bytes"
        )


def _read(path: Path, handle: Any, size: int, what: str) -> np.ndarray:
    shape, dtype, header = _header(path, handle, what)
    _check_size(path, what, shape, dtype, header, size)
    with numpy_load_errors(path, DataFileError, "NumPy file"):
        handle.seek(0)
        array = np.lib.format.read_array(handle, allow_pickle=False)
    return np.asarray(array)


def read_npy(path: Path, data: bytes) -> np.ndarray:
    """The array held by the ``.npy`` bytes ``data`` read from ``path`` (named in the errors)."""
    return _read(path, io.BytesIO(data), len(data), "the file")


class NpzArchive:
    """An ``.npz`` archive held in ``data`` (read from ``path``): its array names, and reading one array.

    Use as a context manager. Opening reads only the zip's directory.
    """

    def __init__(self, path: Path, data: bytes) -> None:
        self.path = path
        self._size = len(data)
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise DataFileError(
                f"{path} is not a readable .npz archive (truncated or corrupt?): {_brief(exc)}"
            ) from None
        self._members: Dict[str, str] = {}
        for member in self._zip.namelist():
            name = member[:-4] if member.endswith(".npy") else member
            if name in self._members:
                self._zip.close()
                raise DataFileError(f"{path} holds the array {name!r} twice; write it again with np.savez")
            self._members[name] = member
        #: the names of the arrays (members without their ".npy"), in the archive's order
        self.names: List[str] = list(self._members)

    def __enter__(self) -> "NpzArchive":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._zip.close()

    def read(self, name: str) -> np.ndarray:
        """The array ``name``, its member checked before it is decompressed."""
        member = self._members[name]
        info = self._zip.getinfo(member)
        what = f"the array {name!r}"
        if info.flag_bits & 0x1:
            raise DataFileError(f"{self.path}: {what} is encrypted; npnet reads archives written by np.savez")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise DataFileError(
                f"{self.path}: {what} is compressed with zip method {info.compress_type}; np.savez and "
                "np.savez_compressed write stored or deflated members: write it again with one of them"
            )
        ratio = 1 if info.compress_type == zipfile.ZIP_STORED else _DEFLATE_MAX_RATIO
        if info.compress_size > self._size or info.file_size > info.compress_size * ratio + 64:
            raise DataFileError(
                f"{self.path}: {what} declares {info.file_size} bytes from {info.compress_size} compressed bytes "
                f"in an archive of {self._size} bytes, which no zip can hold: the archive is corrupt or crafted"
            )
        try:
            handle = self._zip.open(info)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
            raise DataFileError(
                f"{self.path} is not a readable .npz archive (truncated or corrupt?): {what}: {_brief(exc)}"
            ) from None
        with handle:
            return _read(self.path, handle, info.file_size, what)
