"""A model file's zip archive, opened so that nothing is decompressed before it is checked.

:func:`open_archive` opens the file (a regular file only), tells an ``.npz``
from an ``.npy``, a pickle or anything else by its first bytes, and reads the
zip directory with :mod:`zipfile`. Before any member is decompressed, every
member is checked: its name (no duplicates; ``config.npy``, ``params.npy``
and ``optimizer.<key>.npy`` only), its compression (stored or deflated, not
encrypted) and its declared sizes (no larger than the file for what is
stored, no more than deflate can expand to for what is deflated).
:meth:`Archive.open` then opens one member whose declared size the caller
has bounded, with zipfile's and zlib's errors made
:class:`~npnet_core.errors.ModelFileError` naming the file and the member.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
import zipfile
import zlib
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterator, List

from .._files import NPY_MAGIC, ZIP_MAGIC, is_pickle, open_existing, read_head
from ..errors import ModelFileError
from ._npy import npy_errors

__all__ = ["CONFIG_MEMBER", "OPTIMIZER_PREFIX", "PARAMS_MEMBER", "Archive", "open_archive", "optimizer_member"]

CONFIG_MEMBER = "config.npy"
PARAMS_MEMBER = "params.npy"
OPTIMIZER_PREFIX = "optimizer."
_OPTIMIZER_MEMBER = re.compile(r"optimizer\.(.+)\.npy", re.DOTALL)
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
#: deflate expands at most about 1032:1; a member declaring more is lying about its size
_DEFLATE_RATIO = 1032
_ENCRYPTED = 0x1


def optimizer_member(key: str) -> str:
    """The member holding the optimizer's state array ``key``."""
    return f"{OPTIMIZER_PREFIX}{key}.npy"


class Archive:
    """The checked members of an open model file; :meth:`open` reads one."""

    def __init__(self, path: Path, archive: zipfile.ZipFile, members: Dict[str, zipfile.ZipInfo]) -> None:
        self.path = path
        self._zip = archive
        #: each member's directory entry, by name
        self.members = members

    def where(self, name: str) -> str:
        """The member ``name`` of this file, for messages."""
        return f"{self.path} (member {name!r})"

    def optimizer_keys(self) -> List[str]:
        """The keys of the optimizer arrays the archive holds, sorted."""
        return sorted(m.group(1) for name in self.members if (m := _OPTIMIZER_MEMBER.fullmatch(name)))

    def check_size(self, name: str, limit: int, meaning: str) -> None:
        """Refuse member ``name`` if it declares more than ``limit`` bytes (``meaning`` says what bounds it)."""
        declared = self.members[name].file_size
        if declared > limit:
            raise ModelFileError(
                f"{self.where(name)} declares {declared} bytes, but {meaning} allows at most {limit}; "
                "the file is damaged or was altered"
            )

    @contextlib.contextmanager
    def open(self, name: str) -> Iterator[Any]:
        """Member ``name``, open for reading, with every error reading it a :class:`ModelFileError`."""
        where = self.where(name)
        with npy_errors(where), self._zip.open(self.members[name]) as member:
            yield member


def _member_problem(info: zipfile.ZipInfo, size: int) -> str:
    """Why member ``info`` of an archive of ``size`` bytes cannot be read safely ("" if it can)."""
    if info.flag_bits & _ENCRYPTED:
        return "is encrypted; npnet never writes encrypted members"
    if info.compress_type not in _METHODS:
        return (
            f"is compressed with method {info.compress_type}; npnet reads only stored or deflated "
            "members (as np.savez and np.savez_compressed write)"
        )
    if info.header_offset + info.compress_size > size:
        return f"declares {info.compress_size} bytes at offset {info.header_offset}, past the end of the file"
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
        return f"is stored (not compressed) but declares {info.compress_size} bytes stored for {info.file_size}"
    if info.file_size > _DEFLATE_RATIO * info.compress_size + 1024:
        return f"declares {info.file_size} bytes from {info.compress_size} compressed, more than deflate can give"
    return ""


def _checked_members(path: Path, archive: zipfile.ZipFile, size: int) -> Dict[str, zipfile.ZipInfo]:
    """The archive's members by name, each checked by name, method and declared size; nothing is decompressed."""
    infos = archive.infolist()
    names = [info.filename for info in infos]
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise ModelFileError(
            f"{path} holds the members {duplicates} more than once; the file is damaged or was altered"
        )
    missing = [name for name in (CONFIG_MEMBER, PARAMS_MEMBER) if name not in names]
    if missing:
        raise ModelFileError(
            f"{path} is an .npz archive but not an npnet model: it lacks 'config' or 'params' "
            f"(found {_shown(sorted(names))})"
        )
    foreign = [n for n in names if n not in (CONFIG_MEMBER, PARAMS_MEMBER) and not _OPTIMIZER_MEMBER.fullmatch(n)]
    if foreign:
        raise ModelFileError(
            f"{path} holds members an npnet model does not have: {_shown(sorted(foreign))}; a model file holds "
            f"{CONFIG_MEMBER}, {PARAMS_MEMBER} and {OPTIMIZER_PREFIX}<name>.npy only. The file was not written "
            "by npnet, or was altered: it is not read"
        )
    for info in infos:
        problem = _member_problem(info, size)
        if problem:
            raise ModelFileError(f"{path} (member {info.filename!r}) {problem}: the file is not read")
    return {info.filename: info for info in infos}


def _shown(names: List[str]) -> str:
    shown = ", ".join(repr(name[:80]) for name in names[:10])
    return f"[{shown}{', ...' if len(names) > 10 else ''}]"


@contextlib.contextmanager
def open_archive(path: Path) -> Iterator[Archive]:
    """The model file at ``path``, open and checked as an archive (see the module's docstring)."""
    with open_existing(path, "model file") as handle:
        head = read_head(handle)
        if head.startswith(NPY_MAGIC):
            raise ModelFileError(
                f"{path} is a single .npy array, not an npnet model (.npz); an article-style "
                "parameter file is read into a network of the same layers with net.load_params()"
            )
        if is_pickle(head):
            raise ModelFileError(
                f"{path} is a Python pickle, not an npnet model file; npnet never unpickles model files"
            )
        if not head.startswith(ZIP_MAGIC):
            what = "is empty" if not head else "is not a NumPy .npz archive"
            raise ModelFileError(f"{path} is not an npnet model file: it {what}")
        size = os.fstat(handle.fileno()).st_size
        try:
            archive = zipfile.ZipFile(handle)
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            OSError,
            EOFError,
            ValueError,
            struct.error,
            zlib.error,
        ) as exc:
            raise ModelFileError(f"{path} is not a readable npnet model file (truncated or corrupt?): {exc}") from exc
        with archive:
            yield Archive(path, archive, _checked_members(path, archive, size))
