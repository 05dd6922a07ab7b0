"""Reading one ``.npy`` array whose size the caller knows: the header first, the data only once it is checked.

:func:`read_header` parses the header with NumPy's own readers
(``numpy.lib.format.read_magic`` and ``read_array_header_1_0``/``2_0``) and
refuses object dtypes (which would need unpickling). The caller compares the
shape and dtype with what it expects, and only then :func:`read_data`
compares the data size with what the stream declares, allocates exactly that
array and fills it, refusing a stream that turns out short or overlong.
Every error NumPy, zipfile or zlib raises on the way is a
:class:`~npnet_core.errors.ModelFileError` naming the file (and the archive
member).
"""

from __future__ import annotations

import contextlib
import math
import struct
import tokenize
import zipfile
import zlib
from typing import Any, Iterator, NamedTuple, Tuple

import numpy as np

from ..errors import ModelFileError, NpnetError

__all__ = ["NpyHeader", "npy_errors", "read_data", "read_header"]

#: Read in pieces: a zip member's ``readinto`` makes a temporary of the size asked.
_CHUNK = 2**22

#: Errors NumPy's header parser, zipfile and zlib raise for damaged bytes.
_DAMAGE = (
    ValueError,  # bad magic, bad header dict, UnicodeDecodeError
    SyntaxError,  # a header that is not a Python literal
    tokenize.TokenError,  # idem, in older NumPy
    TypeError,  # a header dict of the wrong types
    KeyError,
    EOFError,
    OSError,
    struct.error,
    zlib.error,
    zipfile.BadZipFile,  # a bad CRC, a local header that disagrees with the directory
    NotImplementedError,  # a compression method zipfile lacks
    RuntimeError,  # RecursionError from a deeply nested header; an encrypted member
    OverflowError,
    MemoryError,  # the parser's stack, on a header nested deep
)


class NpyHeader(NamedTuple):
    """What a ``.npy`` header declares."""

    shape: Tuple[int, ...]
    fortran_order: bool
    dtype: np.dtype

    @property
    def size(self) -> int:
        """The number of values (a Python int: no overflow)."""
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize


@contextlib.contextmanager
def npy_errors(where: str) -> Iterator[None]:
    """Turn what reading damaged ``.npy`` or zip bytes raises into :class:`ModelFileError` naming ``where``."""
    try:
        yield
    except NpnetError:
        raise
    except _DAMAGE as exc:
        raise ModelFileError(f"{where} is damaged or truncated ({type(exc).__name__}: {_short(exc)})") from exc


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:200] + "..."


def read_header(handle: Any, where: str) -> NpyHeader:
    """Read the ``.npy`` header at the start of ``handle``; leave ``handle`` at the first data byte."""
    with npy_errors(where):
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(handle)
        else:
            raise ModelFileError(
                f"{where} is a .npy of format version {version}; npnet reads versions (1, 0) and (2, 0)"
            )
    if dtype.hasobject:
        raise ModelFileError(f"{where} holds Python objects (pickled); npnet never unpickles files")
    return NpyHeader(tuple(shape), bool(fortran_order), dtype)


def read_data(handle: Any, header: NpyHeader, where: str, size: int) -> np.ndarray:
    """The array ``header`` declares, read from ``handle``, whose whole stream declares ``size`` bytes.

    Refuses, before allocating, a header that declares more or fewer data
    bytes than the stream holds after it; then allocates exactly
    ``header.nbytes`` and refuses a stream that turns out shorter or longer.
    """
    with npy_errors(where):
        available = size - handle.tell()
    if header.nbytes != available:
        problem = "is truncated" if header.nbytes > available else "holds more bytes than its header declares"
        raise ModelFileError(
            f"{where} {problem}: its header declares {header.nbytes} bytes of data, the file holds {available}"
        )
    array = np.empty(header.size, dtype=header.dtype)
    buffer = array.view(np.uint8).data
    filled = 0
    with npy_errors(where):
        while filled < len(buffer):
            got = handle.readinto(buffer[filled : filled + _CHUNK])
            if not got:
                raise ModelFileError(
                    f"{where} is truncated: its header declares {header.nbytes} bytes of data, the file holds {filled}"
                )
            filled += got
        if handle.read(1):
            raise ModelFileError(
                f"{where} holds more bytes than its header declares ({header.nbytes}); it is damaged or not a .npy file"
            )
    return array.reshape(header.shape, order="F" if header.fortran_order else "C")
