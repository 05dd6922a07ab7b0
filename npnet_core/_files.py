"""Writing files atomically, opening existing files with typed errors, and telling formats apart.

Every file npnet writes goes to a new temporary file beside its target, is
flushed to disk, then replaces the target (``os.replace``), so a failed or
interrupted write leaves the previous file intact. A file npnet reads that is
missing is a ``*NotFoundError`` naming what the file should be
(:func:`open_existing` for model files, :func:`read_data_bytes` for data
files). Formats are told by their first bytes, not by the file's name.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any, Callable, Iterator, Type, Union

from .errors import DataFileError, DataFileNotFoundError, ModelFileNotFoundError, NpnetError

__all__ = [
    "GZIP_MAGIC",
    "NPY_MAGIC",
    "ZIP_MAGIC",
    "PathLike",
    "atomic_write",
    "is_pickle",
    "numpy_load_errors",
    "open_existing",
    "read_data_bytes",
    "read_head",
]

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"
GZIP_MAGIC = b"\x1f\x8b"
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)

PathLike = Union[str, "os.PathLike[str]"]


def _create_temporary(path: Path) -> "tuple[int, str]":
    """Create a new empty file beside ``path``; return its descriptor and name.

    Made with mode 0o666 so that the umask applies, as for a file opened by
    ``open`` or ``np.save`` (``tempfile.mkstemp`` would give 0o600).
    """
    for _ in range(100):
        name = os.path.join(path.parent, f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(name, _TEMP_FLAGS, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file beside {path}")  # pragma: no cover


def atomic_write(path: Path, write: Callable[[Any], None]) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then move it into place."""
    if not path.parent.is_dir():
        raise ModelFileNotFoundError(f"cannot write {path}: the folder {path.parent} does not exist; create it first")
    fd, tmp_name = _create_temporary(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise


def read_head(handle: Any) -> bytes:
    """The first bytes of an open file (then rewound), to tell .npy, .npz and anything else apart."""
    head = handle.read(len(NPY_MAGIC))
    handle.seek(0)
    return head


def is_pickle(head: bytes) -> bool:
    """Whether ``head`` starts like a pickle of protocol 2 or later."""
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def open_existing(path: Path, what: str) -> Any:
    """Open ``path`` for reading, or raise :class:`ModelFileNotFoundError` naming ``what`` it should be."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise ModelFileNotFoundError(f"no {what} at {path}: the file does not exist") from None


@contextlib.contextmanager
def numpy_load_errors(path: Path, error: Type[NpnetError], what: str) -> Iterator[None]:
    """Turn what NumPy raises for a damaged ``.npy`` or ``.npz`` into ``error`` naming ``path`` as ``what``.

    A missing file and npnet's own errors pass through; pickled objects (which
    npnet never loads) are said so.
    """
    try:
        yield
    except (FileNotFoundError, NpnetError):
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise error(f"{path} holds Python objects (pickled); npnet never unpickles files") from exc
        raise error(f"{path} is not a readable {what}: {exc}") from exc
    except (OSError, EOFError, KeyError, zlib.error, zipfile.BadZipFile) as exc:
        raise error(f"{path} is not a readable {what} (truncated or corrupt?): {exc}") from exc


def read_data_bytes(path: Path, what: str = "data file") -> bytes:
    """The bytes of a data file, decompressed when it is gzip (told by its magic number, not its name).

    ``what`` names the file in the messages ("data file", "labels file", ...).
    A missing file is a :class:`~npnet_core.errors.DataFileNotFoundError`; a
    folder, an unreadable file and a damaged gzip stream are a
    :class:`~npnet_core.errors.DataFileError`.
    """
    try:
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        raise DataFileNotFoundError(f"no {what} at {path}: the file does not exist; check the path") from None
    except OSError as exc:
        if path.is_dir():  # IsADirectoryError, or PermissionError on Windows
            raise DataFileError(f"{path} is a folder, not a {what}: give the path of a file") from None
        if isinstance(exc, PermissionError):
            raise DataFileError(
                f"cannot read the {what} {path}: permission denied; make it readable or give another file"
            ) from None
        raise DataFileError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
    if data.startswith(GZIP_MAGIC):
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataFileError(f"{path} is a damaged or truncated gzip file ({exc})") from None
    return data
