"""A model file's zip archive, opened so that nothing is decompressed before it is checked.

:func:`open_archive` opens the file (a regular file only), tells an ``.npz``
from an ``.npy``, a pickle or anything else by its first bytes, and reads the
zip directory with the shared :class:`~npnet_core._npy.NpzArchive`. Before
any member is decompressed, every member is checked: its name (``config.npy``,
``params.npy`` and ``optimizer.<key>.npy`` only, none twice) and its
compression and declared sizes (:meth:`~npnet_core._npy.NpzArchive.check`).
Arrays are named as in the archive without ``.npy`` (``"params"``); every
problem is a :class:`~npnet_core.errors.ModelFileError` naming the file and
the member.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Iterator, List

from .._files import NPY_MAGIC, ZIP_MAGIC, is_pickle, open_existing, read_head
from .._npy import NpzArchive
from ..errors import ModelFileError

__all__ = ["CONFIG", "PARAMS", "ModelArchive", "open_archive", "optimizer_member"]

CONFIG = "config"
PARAMS = "params"
_OPTIMIZER = re.compile(r"optimizer\.(.+)", re.DOTALL)


def optimizer_member(key: str) -> str:
    """The array holding the optimizer's state array ``key``."""
    return f"optimizer.{key}"


def _is_model_array(name: str) -> bool:
    return name in (CONFIG, PARAMS) or _OPTIMIZER.fullmatch(name) is not None


def _shown(names: List[str]) -> str:
    shown = ", ".join(repr(name[:80]) for name in names[:10])
    return f"[{shown}{', ...' if len(names) > 10 else ''}]"


class ModelArchive(NpzArchive):
    """The checked members of an open model file."""

    def check_names(self, names: List[str]) -> None:
        """Refuse an archive lacking ``config.npy`` or ``params.npy``, or holding any other member."""
        if f"{CONFIG}.npy" not in names or f"{PARAMS}.npy" not in names:
            raise ModelFileError(
                f"{self.path} is an .npz archive but not an npnet model: it lacks 'config' or 'params' "
                f"(found {_shown(sorted(names))})"
            )
        foreign = [n for n in names if not (n.endswith(".npy") and _is_model_array(n[:-4]))]
        if foreign:
            raise ModelFileError(
                f"{self.path} holds members an npnet model does not have: {_shown(sorted(foreign))}; a model file "
                "holds config.npy, params.npy and optimizer.<name>.npy only. The file was not written by npnet, "
                "or was altered: it is not read"
            )

    def where(self, name: str) -> str:
        return f"{self.path} (member {self.members[name].filename!r})"

    def optimizer_keys(self) -> List[str]:
        """The keys of the optimizer arrays the archive holds, sorted."""
        return sorted(m.group(1) for name in self.members if (m := _OPTIMIZER.fullmatch(name)))

    def check_size(self, name: str, limit: int, meaning: str) -> None:
        """Refuse array ``name`` if its member declares more than ``limit`` bytes (``meaning`` says what bounds it)."""
        declared = self.members[name].file_size
        if declared > limit:
            raise ModelFileError(
                f"{self.where(name)} declares {declared} bytes, but {meaning} allows at most {limit}; "
                "the file is damaged or was altered"
            )


@contextlib.contextmanager
def open_archive(path: Path) -> Iterator[ModelArchive]:
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
        archive = ModelArchive(path, handle, ModelFileError, "npnet model file")
        with archive:
            for name in archive.members:
                archive.check(name)
            yield archive
