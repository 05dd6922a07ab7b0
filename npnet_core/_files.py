"""Opening files npnet reads, writing files atomically, and telling formats apart.

Reading: :func:`open_existing` and :func:`read_data_bytes` open only regular
files. A missing file is a ``*NotFoundError`` naming what the file should be;
a folder, a device (``/dev/zero``), a FIFO or a socket is refused from its
``stat`` before it is opened, and the file is opened without blocking, so a
FIFO put in its place meanwhile cannot hang the reader. :func:`read_data_bytes`
reads at most the file's size when it was opened and at most ``limit`` bytes
(after gzip decompression too).

Writing: every file npnet writes goes to a new temporary file beside its
target, is flushed to disk, then replaces the target (``os.replace``), so a
failed or interrupted write leaves the previous file intact and no temporary
file (on SIGTERM too, see :func:`atomic_write`). Only regular files are
replaced: a device, FIFO, socket or folder at the target is refused, and a
symbolic link is written through to the regular file it points to.
:func:`check_writable` makes the same checks, and tries the folder, before any
long work.

Formats are told by their first bytes, not by the file's name.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import os
import signal
import stat
import threading
import zlib
from pathlib import Path
from typing import Any, BinaryIO, Callable, Dict, Iterator, List, Optional, Type, Union

from .errors import DataFileError, DataFileNotFoundError, ModelFileError, ModelFileNotFoundError, NpnetError

__all__ = [
    "DATA_LIMIT",
    "GZIP_MAGIC",
    "NPY_MAGIC",
    "ZIP_MAGIC",
    "PathLike",
    "atomic_write",
    "check_writable",
    "is_pickle",
    "open_existing",
    "read_data_bytes",
    "read_head",
]

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"
GZIP_MAGIC = b"\x1f\x8b"
#: The most bytes :func:`read_data_bytes` returns unless told otherwise (after decompression): 4 GiB.
DATA_LIMIT = 4 * 2**30

_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_CHUNK = 2**20

PathLike = Union[str, "os.PathLike[str]"]

_NOT_FOUND: Dict[Type[NpnetError], Type[NpnetError]] = {
    ModelFileError: ModelFileNotFoundError,
    DataFileError: DataFileNotFoundError,
}


def _describe_file_type(mode: int) -> str:
    """What a file of ``st_mode`` ``mode`` is, for messages: "a regular file", "a character device", ..."""
    kinds = (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISLNK, "a symbolic link"),
    )
    return next((name for test, name in kinds if test(mode)), "a special file")


# -- reading -------------------------------------------------------------------------


def _cannot_read(path: Path, what: str, exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return f"cannot read the {what} {path}: permission denied; make it readable or give another file"
    return f"cannot read the {what} {path}: {exc.strerror or exc}"


def _check_regular(path: Path, what: str, mode: int, error: Type[NpnetError]) -> None:
    if stat.S_ISDIR(mode):
        raise error(f"{path} is a folder, not a {what}: give the path of a file")
    if not stat.S_ISREG(mode):
        raise error(
            f"{path} is {_describe_file_type(mode)}, not a regular file: npnet reads a {what} only from a "
            "regular file; give the path of a file (copy the data to one first)"
        )


def open_existing(path: Path, what: str, error: Type[NpnetError] = ModelFileError) -> BinaryIO:
    """Open the regular file ``path`` for reading, or raise ``error`` (or its not-found form) naming ``what`` it should be.

    ``error`` is :class:`ModelFileError` (missing: :class:`ModelFileNotFoundError`)
    or :class:`DataFileError` (missing: :class:`DataFileNotFoundError`). A
    folder, device, FIFO or socket is refused from its ``stat``, before it is
    opened; the file is then opened without blocking and checked again, so
    one swapped in meanwhile is refused too.
    """
    not_found = _NOT_FOUND.get(error, error)
    try:
        _check_regular(path, what, os.stat(path).st_mode, error)
        fd = os.open(path, _READ_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        hint = "; check the path" if issubclass(error, DataFileError) else ""
        raise not_found(f"no {what} at {path}: the file does not exist{hint}") from None
    except OSError as exc:
        raise error(_cannot_read(path, what, exc)) from None
    except NpnetError:
        raise
    except ValueError:  # os.stat: "embedded null byte"
        raise error(f"cannot read the {what} {str(path)!r}: a file name cannot hold a NUL character") from None
    try:
        _check_regular(path, what, os.fstat(fd).st_mode, error)
        if _READ_FLAGS & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_head(handle: Any) -> bytes:
    """The first bytes of an open file (then rewound), to tell .npy, .npz and anything else apart."""
    head = handle.read(len(NPY_MAGIC))
    handle.seek(0)
    return head


def is_pickle(head: bytes) -> bool:
    """Whether ``head`` starts like a pickle of protocol 2 or later."""
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def _gunzip(data: bytes, path: Path, what: str, limit: int) -> bytes:
    """``data`` decompressed, reading at most ``limit`` bytes out of it."""
    chunks: List[bytes] = []
    total = 0
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            while total <= limit:
                chunk = stream.read(min(_CHUNK, limit + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataFileError(f"{path} is a damaged or truncated gzip file ({exc})") from None
    if total > limit:
        raise DataFileError(
            f"{path} decompresses to more than {limit} bytes, the most a {what} is read to; "
            "it is a damaged file, or give a smaller one"
        )
    return b"".join(chunks)


def read_data_bytes(path: Path, what: str = "data file", limit: int = DATA_LIMIT) -> bytes:
    """The bytes of a data file, decompressed when it is gzip (told by its magic number, not its name).

    ``what`` names the file in the messages ("data file", "labels file", ...).
    A missing file is a :class:`~npnet_core.errors.DataFileNotFoundError`; a
    folder, a device, a FIFO or a socket, an unreadable file, a damaged gzip
    stream, a file that grows while it is read, and a file (or its
    decompressed data) larger than ``limit`` bytes are a
    :class:`~npnet_core.errors.DataFileError`. Reads at most the file's size
    when it was opened (plus one byte, to see growth).
    """
    with open_existing(path, what, DataFileError) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise DataFileError(
                f"{path} is {size} bytes, more than the {limit} bytes a {what} is read to; give a smaller file"
            )
        try:
            data = handle.read(size + 1)
        except OSError as exc:
            raise DataFileError(_cannot_read(path, what, exc)) from None
    if len(data) > size:
        raise DataFileError(
            f"{path} grew while it was read (it had {size} bytes when opened); npnet reads a {what} "
            "that is complete: wait until it is written, or copy it first"
        )
    if data.startswith(GZIP_MAGIC):
        return _gunzip(data, path, what, limit)
    return data


# -- writing -------------------------------------------------------------------------


class _Terminated(BaseException):
    """SIGTERM arrived during a write: raised so that the temporary file is removed, then SIGTERM acts again."""


def _sigterm_is_ours_to_handle() -> bool:
    """Whether SIGTERM would end the process untidily now: POSIX, the main thread, and the default action."""
    return (
        os.name == "posix"
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    )


@contextlib.contextmanager
def _cleanup_on_sigterm() -> Iterator[None]:
    """Within: SIGTERM raises :class:`_Terminated` (cleanups run), then ends the process as it would have.

    The process ends by SIGTERM whatever exception finally leaves the block:
    a library's own cleanup may replace :class:`_Terminated` with an error of
    its own (``zipfile`` refuses to close an archive with an open member).
    Installed only in the main thread and only over the default action: a
    handler of the program's own, or SIGTERM ignored, is left alone.
    """
    if not _sigterm_is_ours_to_handle():
        yield
        return
    received: List[int] = []

    def terminated(signum: int, frame: Any) -> None:
        received.append(signum)
        raise _Terminated(signum)

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if received:
            signal.raise_signal(signal.SIGTERM)  # the default action: the process ends here


def _writable_target(path: Path, what: str) -> Path:
    """The regular file a write to ``path`` replaces or creates: ``path``, or the file its symbolic link points to.

    Refuses a folder, device, FIFO or socket, a link to one, a dangling link
    and a missing folder, each naming ``path``.
    """
    link = os.path.islink(path)
    target = Path(os.path.realpath(path)) if link else path
    try:
        try:
            mode: Optional[int] = os.stat(path).st_mode  # through the links
        except FileNotFoundError:
            if link:
                raise ModelFileError(
                    f"cannot write the {what} {path}: it is a symbolic link to {target}, which does not exist; "
                    "npnet writes through a link only to an existing file: create the file or remove the link"
                ) from None
            mode = None
        if mode is not None and not stat.S_ISREG(mode):
            kind = _describe_file_type(mode)
            what_it_is = f"a symbolic link to {target}, which is {kind}" if link else f"{kind}, not a regular file"
            raise ModelFileError(
                f"cannot write the {what} {path}: it is {what_it_is}; npnet writes only regular files, which it "
                "replaces whole: give the path of a file"
            )
    except NotADirectoryError:
        raise ModelFileNotFoundError(
            f"cannot write the {what} {path}: {path.parent} is not a folder; give a path in an existing folder"
        ) from None
    except OSError as exc:  # a loop of links, a name too long, a folder that cannot be searched
        raise ModelFileError(f"cannot write the {what} {path}: {exc.strerror or exc}") from None
    except NpnetError:
        raise
    except ValueError:  # os.stat: "embedded null byte"
        raise ModelFileError(
            f"cannot write the {what} {str(path)!r}: a file name cannot hold a NUL character"
        ) from None
    if not target.parent.is_dir():
        raise ModelFileNotFoundError(
            f"cannot write the {what} {path}: the folder {target.parent} does not exist; create it first"
        )
    return target


def _cannot_write(path: Path, what: str, target: Path, exc: OSError) -> ModelFileError:
    """The error for ``exc`` met writing ``path`` (whose file is ``target``), naming it, never the temporary file."""
    folder = target.parent
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        why = (
            f"the folder {folder} is not writable (permission denied); choose another folder or change its permissions"
        )
    elif exc.errno == errno.EROFS:
        why = f"the folder {folder} is on a read-only file system; choose another folder"
    elif exc.errno == errno.ENOSPC:
        why = f"no space left on the device of {folder}; free some space or choose another folder"
    else:
        why = exc.strerror or str(exc)
    return ModelFileError(f"cannot write the {what} {path}: {why}; the previous file, if any, is unchanged")


def _create_temporary(target: Path, created: List[str]) -> int:
    """Create a new empty file beside ``target``, its name appended to ``created``; return its descriptor.

    The name is recorded before the file is made, so that an interruption
    (SIGTERM, Ctrl-C) at any point leaves no file unrecorded (removing a name
    that was never made is harmless). Made with mode
    0o666 so that the umask applies, as for a file opened by ``open`` or
    ``np.save`` (``tempfile.mkstemp`` would give 0o600).
    """
    for _ in range(100):
        created.append(os.path.join(target.parent, f".{target.name}.{os.urandom(6).hex()}.tmp"))
        try:
            return os.open(created[-1], _TEMP_FLAGS, 0o666)
        except FileExistsError:  # not ours: never removed
            created.pop()
    raise FileExistsError(f"could not create a temporary file beside {target}")  # pragma: no cover


def _remove(names: List[str]) -> None:
    for name in names:
        with contextlib.suppress(OSError):
            os.unlink(name)


def check_writable(path: PathLike, what: str = "file") -> Path:
    """Check, before any long work, that :func:`atomic_write` could write ``path``; return the file it would write.

    Refuses (with :class:`ModelFileError` naming ``path`` as ``what``) what
    :func:`atomic_write` refuses: a folder, device, FIFO or socket at
    ``path``, a dangling link or one to such a file, a missing folder
    (:class:`ModelFileNotFoundError`), and a folder where a file cannot be
    created (tried with a temporary file, removed at once).
    """
    path = Path(path)
    target = _writable_target(path, what)
    created: List[str] = []
    with _cleanup_on_sigterm():
        try:
            os.close(_create_temporary(target, created))
        except OSError as exc:
            raise _cannot_write(path, what, target, exc) from None
        finally:
            _remove(created)
    return target


def _keep_mode(target: Path, fd: int) -> None:
    """Give the new file the permissions of the file it replaces (a private 0600 model stays private)."""
    try:
        os.fchmod(fd, stat.S_IMODE(os.stat(target).st_mode))
    except FileNotFoundError:  # a new file: the umask decides, as for any file
        pass


def atomic_write(path: Path, write: Callable[[Any], None], what: str = "file") -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then move it into place.

    ``path`` may be a symbolic link: the file it points to is written (as
    editors do), and a replaced file keeps its permissions. What is not a regular file is refused, as by
    :func:`check_writable`. Whatever stops the write (an exception, Ctrl-C,
    SIGTERM in the main thread) removes the temporary file and leaves the
    previous file unchanged; SIGTERM then ends the process as it would have.
    An ``OSError`` (folder not writable, disk full) is a :class:`ModelFileError`
    naming ``path``; ``what`` names the file in messages.
    """
    path = Path(path)
    target = _writable_target(path, what)
    created: List[str] = []
    replaced = False
    with _cleanup_on_sigterm():
        try:
            try:
                fd = _create_temporary(target, created)
            except OSError as exc:
                raise _cannot_write(path, what, target, exc) from None
            try:
                with os.fdopen(fd, "wb") as handle:
                    write(handle)
                    handle.flush()
                    _keep_mode(target, handle.fileno())
                    os.fsync(handle.fileno())
                os.replace(created[0], target)
            except OSError as exc:
                raise _cannot_write(path, what, target, exc) from exc
            replaced = True
        finally:
            if not replaced:
                _remove(created)
