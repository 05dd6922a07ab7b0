"""NumPy files read safely, for model and data files alike: ``.npy`` streams and ``.npz`` (zip) archives.

:class:`NpyReader` parses an ``.npy`` header with NumPy's own readers
(``numpy.lib.format.read_magic`` and ``read_array_header_1_0``/``2_0``),
refuses object dtypes (which would need unpickling) and shapes of no numbers;
the caller compares the shape and dtype with what it expects, and only then
:meth:`NpyReader.data` compares the data size the header implies (in Python
integers: no overflow) with the bytes the stream holds, allocates exactly
that array and fills it in pieces. :class:`NpzArchive` reads a zip's
directory without decompressing anything, refuses an array held twice, and
checks a member before opening it: not encrypted, stored or deflated, and
sizes that the file and deflate can give. Every error NumPy, zipfile, zlib or
tokenize raises on the way is the caller's error class (``ModelFileError`` or
``DataFileError``) naming the file (and the member).
"""

from __future__ import annotations

import contextlib
import io
import math
import struct
import tokenize
import zipfile
import zlib
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterator, List, NamedTuple, Tuple, Type

import numpy as np

from .errors import NpnetError

__all__ = ["NpyHeader", "NpyReader", "NpzArchive"]

#: Read in pieces: a zip member's ``readinto`` makes a temporary of the size asked.
_CHUNK = 2**22
#: deflate expands at most about 1032:1; a member declaring more is lying about its size
_DEFLATE_RATIO = 1032
_ENCRYPTED = 0x1
_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
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
    zipfile.LargeZipFile,
    NotImplementedError,  # a compression method zipfile lacks
    RuntimeError,  # RecursionError from a deeply nested header; an encrypted member
    OverflowError,
    MemoryError,  # the parser's stack, on a header nested deep
)


@contextlib.contextmanager
def _translated(error: Type[NpnetError], problem: str) -> Iterator[None]:
    """Turn what reading damaged bytes raises into ``error``: ``problem``, then what was raised."""
    try:
        yield
    except NpnetError:
        raise
    except _DAMAGE as exc:
        text = (str(exc).strip().splitlines() or [""])[0]  # a damaged header can make a message of 10000 characters
        text = text if len(text) <= 100 else text[:97] + "..."
        raise error(f"{problem}: {type(exc).__name__}{': ' + text if text else ''}") from None


class NpyHeader(NamedTuple):
    """What a ``.npy`` header declares, and the length of the header."""

    shape: Tuple[int, ...]
    fortran_order: bool
    dtype: np.dtype
    length: int

    @property
    def size(self) -> int:
        """The number of values (a Python int: no overflow)."""
        return math.prod(self.shape)

    @property
    def end(self) -> int:
        """The size of the whole stream, header and data, that the header implies."""
        return self.length + self.size * self.dtype.itemsize


class NpyReader:
    """The ``.npy`` stream ``handle`` of ``size`` bytes; problems are ``error`` naming ``where``."""

    def __init__(self, handle: Any, size: int, where: str, error: Type[NpnetError]) -> None:
        self.handle, self.size, self.where, self.error = handle, size, where, error

    def header(self) -> NpyHeader:
        """Read the header; leave the stream at the first data byte."""
        where = self.where
        with _translated(self.error, f"{where} is not a readable .npy array (its header is damaged or truncated)"):
            version = np.lib.format.read_magic(self.handle)
            reader = _READERS.get(version)
            if reader is not None:
                shape, fortran_order, dtype = reader(self.handle)
        if reader is None:  # 3.0 is only for structured dtypes with non-Latin-1 field names
            raise self.error(
                f"{where} is a .npy array of format version {version[0]}.{version[1]}; npnet reads versions "
                "1.0 and 2.0, which np.save writes for arrays of numbers"
            )
        if dtype.hasobject:
            raise self.error(f"{where} holds Python objects (pickled); npnet never unpickles files")
        if dtype.itemsize == 0 or any(n < 0 for n in shape):
            raise self.error(f"{where} declares shape {tuple(shape)} of {dtype}, which holds no numbers")
        return NpyHeader(tuple(int(n) for n in shape), bool(fortran_order), dtype, self.handle.tell())

    def _size_error(self, header: NpyHeader, held: int) -> NpnetError:
        problem = "is truncated" if held < header.end else f"has {held - header.end} bytes too many"
        return self.error(
            f"{self.where} {problem}: its header announces shape {header.shape} of {header.dtype}, "
            f"{header.end} bytes in all, but it holds {held} bytes"
        )

    def data(self, header: NpyHeader) -> np.ndarray:
        """The array ``header`` declares, refused before allocating if the stream holds more or fewer bytes."""
        if header.end != self.size:
            raise self._size_error(header, self.size)
        array = np.empty(header.size, dtype=header.dtype)
        buffer = array.view(np.uint8).data
        filled = 0
        with _translated(self.error, f"{self.where} is damaged or truncated"):
            while filled < len(buffer):
                got = self.handle.readinto(buffer[filled : filled + _CHUNK])
                if not got:
                    raise self._size_error(header, header.length + filled)
                filled += got
            if self.handle.read(1):
                raise self.error(f"{self.where} changed while it was read: it holds more than {self.size} bytes")
        return array.reshape(header.shape, order="F" if header.fortran_order else "C")

    def array(self) -> np.ndarray:
        """The array, whatever its shape and dtype."""
        return self.data(self.header())


class NpzArchive:
    """The ``.npz`` archive ``handle`` read from ``path``: its arrays by name, each read only when asked for.

    ``error`` is the error class and ``kind`` names the file in messages
    (".npz archive", "npnet model file"). Opening reads only the zip's
    directory; :meth:`check_names` (for subclasses) sees the member names
    before an array held twice is refused. Use as a context manager.
    """

    def __init__(self, path: Path, handle: Any, error: Type[NpnetError], kind: str) -> None:
        self.path, self.error = path, error
        self.size = handle.seek(0, io.SEEK_END)
        handle.seek(0)
        with _translated(error, f"{path} is not a readable {kind} (truncated or corrupt?)"):
            self._zip = zipfile.ZipFile(handle)
        try:
            infos = self._zip.infolist()
            names = [info.filename for info in infos]
            self.check_names(names)
            keys = [name[:-4] if name.endswith(".npy") else name for name in names]
            twice = [key for key, count in Counter(keys).items() if count > 1]
            if twice:
                members = [name for name, key in zip(names, keys) if key == twice[0]]
                raise error(
                    f"{path} holds the array {twice[0]!r} more than once (members {members}); "
                    "the file is damaged or was altered"
                )
            #: each array's directory entry, by name (the member's name without ".npy"), in the archive's order
            self.members: Dict[str, zipfile.ZipInfo] = dict(zip(keys, infos))
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> "NpzArchive":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._zip.close()

    @property
    def names(self) -> List[str]:
        return list(self.members)

    def check_names(self, names: List[str]) -> None:
        """Refuse members by their names (none here)."""

    def where(self, name: str) -> str:
        """The array ``name`` of this file, for messages."""
        return f"{self.path}: the array {name!r}"

    def check(self, name: str) -> None:
        """Refuse the array ``name`` if its member cannot be read safely, from its directory entry."""
        info = self.members[name]
        if info.flag_bits & _ENCRYPTED:
            problem = "is encrypted; np.savez never encrypts, and npnet reads no encrypted member"
        elif info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            problem = (
                f"is compressed with zip method {info.compress_type}; npnet reads only stored or deflated members "
                "(as np.savez and np.savez_compressed write)"
            )
        elif info.header_offset + info.compress_size > self.size:
            problem = f"declares {info.compress_size} bytes at offset {info.header_offset}, past the end of the file"
        elif info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            problem = f"declares {info.file_size} bytes from {info.compress_size} stored (not compressed)"
        elif info.file_size > _DEFLATE_RATIO * info.compress_size + 1024:
            problem = f"declares {info.file_size} bytes from {info.compress_size} compressed, more than deflate gives"
        else:
            return
        raise self.error(f"{self.where(name)} {problem}: the file is damaged or was altered")

    @contextlib.contextmanager
    def open(self, name: str) -> Iterator[NpyReader]:
        """The array ``name``, checked, open for reading; every error reading it is the archive's error class."""
        self.check(name)
        where = self.where(name)
        with _translated(self.error, f"{where} is damaged or truncated"), self._zip.open(self.members[name]) as member:
            yield NpyReader(member, self.members[name].file_size, where, self.error)

    def read(self, name: str) -> np.ndarray:
        """The array ``name``, whatever its shape and dtype."""
        with self.open(name) as reader:
            return reader.array()
