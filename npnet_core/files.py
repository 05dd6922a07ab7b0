"""Writing files atomically, and telling NumPy files, archives and pickles apart.

Every file npnet writes goes to a new temporary file beside its target, is
flushed to disk, then replaces the target (``os.replace``), so a failed or
interrupted write leaves the previous file intact.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Union

from .errors import ModelFileNotFoundError

__all__ = ["NPY_MAGIC", "ZIP_MAGIC", "PathLike", "atomic_write", "is_pickle", "open_existing", "read_head"]

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"
_TEMP_FLAGS = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
)

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
        raise ModelFileNotFoundError(
            f"cannot write {path}: the folder {path.parent} does not exist; create it first"
        )
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
