"""Entry points read from the metadata folders on ``sys.path``, without importlib.metadata.

Importing ``importlib.metadata`` costs 25-40 ms (its module-level imports of
``email``, with ``email.utils`` and ``socket``, of ``zipfile`` and of ``csv``):
more than the rest of ``import npnet_core`` and resolving every component name
together. Finding the entry points needs none of it: they are short text files
in the ``*.dist-info`` and ``*.egg-info`` folders on ``sys.path``.
:func:`entry_points` reads them as ``importlib.metadata.entry_points()`` does,
and raises ValueError whenever it could see something else, so that
:mod:`npnet_core._discovery` asks ``importlib.metadata`` instead.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, Dict, Iterable, List, Optional, Tuple

__all__ = ["entry_points", "normalize_name"]

#: an entry point as found: (name, value, distribution name, version, loadable entry point)
Found = Tuple[str, str, str, str, "_EntryPoint"]


def normalize_name(name: str) -> str:
    """Normalise a distribution name as PEP 503 does (``NPNet_Adam`` -> ``npnet-adam``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


# what the email package takes for a header line: a name of printable ASCII but ':', then ':'
_HEADER = re.compile(r"([\041-\071\073-\176]+):")
# importlib.metadata.EntryPoint.pattern: "module", "module:attr.sub", with optional "[extras]"
_VALUE = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")
_SUFFIXES = (".dist-info", ".egg-info")


class _EntryPoint:
    """An entry point found by the fast path: what ``PluginSource`` and the registry use."""

    __slots__ = ("name", "value", "group")

    def __init__(self, name: str, value: str, group: str) -> None:
        self.name = name
        self.value = value
        self.group = group

    def __repr__(self) -> str:
        return f"EntryPoint(name={self.name!r}, value={self.value!r}, group={self.group!r})"

    def load(self) -> Any:
        """Import the module and follow the dotted attributes, as ``EntryPoint.load`` does."""
        import importlib

        match = _VALUE.match(self.value)
        if match is None:  # not from entry_points.txt, whose values are checked
            raise ValueError(f"{self!r} is not a valid entry point")
        target = importlib.import_module(match.group("module"))
        for attr in (match.group("attr") or "").split("."):
            if attr:
                target = getattr(target, attr)
        return target


def entry_points(group: str) -> List[Found]:
    """The entry points of ``group`` read from the metadata folders on ``sys.path``.

    How, as ``importlib.metadata.entry_points()`` does on Python 3.10 to 3.13 (and
    the importlib_metadata backport): the folders of sys.path in order (``""`` is
    the current directory), each folder's ``*.dist-info`` and ``*.egg-info``
    children in directory order, only the first of the distributions with one
    normalised name (the child's name up to its first ``-``: a child without
    ``entry_points.txt``, or an ``*.egg-info`` file, hides later ones too); the
    section ``[group]`` of its ``entry_points.txt``; ``Name`` and ``Version`` from
    the headers of its METADATA, or of PKG-INFO if METADATA is missing or empty.

    It raises ValueError (OSError when a read fails), and ``discover`` asks
    importlib.metadata, whenever it could see something else than that:

    - sys.meta_path holds a finder with ``find_distributions`` other than
      importlib.machinery.PathFinder (importlib.metadata would ask it too; on
      Python 3.9, the backport's own finder, once anything has imported it);
    - an entry of sys.path is not a str, names a file (a zip or an egg: scandir
      raises NotADirectoryError, an OSError), or ends in ".egg" (an unzipped egg,
      whose metadata folder is EGG-INFO);
    - a metadata child's suffix is not exactly ".dist-info" or ".egg-info" (as in
      "Foo.DIST-INFO"), or its name is empty: importlib.metadata then reads the
      name from METADATA;
    - a line of any ``entry_points.txt`` is not a section, a comment or
      ``name = value`` (importlib.metadata raises TypeError), or a value is not
      ``module``, ``module:attr`` with optional ``[extras]`` (the backport raises
      ValueError; Python 3.10 to 3.13 list it, and it fails to load);
    - the METADATA (or PKG-INFO) of a distribution with entry points of ``group``
      lacks ``Name`` or ``Version`` or folds one over two lines, or has a line
      the email package would not read as a header (see ``_headers``);
    - reading raises OSError (other than a missing file) or UnicodeDecodeError.

    The fallback's outcome, whatever it returns or raises, is then the reference.
    """
    from importlib.machinery import PathFinder

    for finder in sys.meta_path:
        if finder is not PathFinder and getattr(finder, "find_distributions", None) is not None:
            raise ValueError(f"{finder!r} may find distributions that are not folders on sys.path")
    seen = set()
    sources = []
    for entry in list(sys.path):
        if not isinstance(entry, str) or os.path.basename(entry).lower().endswith(".egg"):
            raise ValueError(f"sys.path entry {entry!r} is not a plain folder")
        try:
            children = os.scandir(entry or ".")
        except FileNotFoundError:  # importlib.metadata finds nothing there either
            continue
        with children:
            for child in children:
                if not child.name.lower().endswith(_SUFFIXES):
                    continue
                stem, suffix = os.path.splitext(child.name)
                name = stem.partition("-")[0]
                if suffix not in _SUFFIXES or not name:
                    raise ValueError(f"{child.path!r}: importlib.metadata reads its name from its metadata")
                key = normalize_name(name)  # a distribution's first folder hides the others
                if key in seen:
                    continue
                seen.add(key)
                if child.is_dir():  # a *.egg-info file (old distutils) declares no entry points
                    sources.extend(_read_distribution(child.path, group))
    return sources


def _read_distribution(path: str, group: str) -> List[Found]:
    """The entry points of ``group`` that the metadata folder ``path`` declares."""
    try:
        with open(os.path.join(path, "entry_points.txt"), encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        return []
    pairs = _section_pairs(text, group)
    if not pairs:
        return []
    name, version = _name_and_version(path)
    return [(key, value, name, version, _EntryPoint(key, value, group)) for key, value in pairs]


def _section_pairs(text: str, group: str) -> List[Tuple[str, str]]:
    """The ``(name, value)`` pairs of the section ``[group]``, read as importlib.metadata reads them.

    Lines are stripped; blank lines and lines starting with ``#`` are skipped (not
    ``;``: importlib.metadata reads ``; x = y`` as an entry point named ``; x``);
    ``[name]`` starts a section; lines before the first section are ignored; any
    other line must be ``name = value``, in every section, or importlib.metadata
    raises TypeError, and the value must match ``EntryPoint.pattern``, or some
    versions raise ValueError (ValueError here, and the fallback decides).
    """
    section = None
    pairs = []
    for line in map(str.strip, text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
            continue
        if section is None:
            continue
        name, equals, value = line.partition("=")
        value = value.strip()
        if not equals or not _VALUE.match(value):
            raise ValueError(f"entry point line {line!r} is not 'name = module:attr'")
        if section == group:
            pairs.append((name.strip(), value))
    return pairs


def _name_and_version(path: str) -> Tuple[str, str]:
    """``Name`` and ``Version`` from the headers of METADATA, or of PKG-INFO if METADATA is empty or missing."""
    for filename in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(path, filename), encoding="utf-8") as file:
                headers = _headers(file, ("name", "version"))
        except FileNotFoundError:
            continue
        if headers is None:  # an empty file: importlib.metadata tries the next one
            continue
        if "name" not in headers or "version" not in headers:
            raise ValueError(f"{path!r}: no Name or Version in {filename}")
        return headers["name"], headers["version"]
    raise ValueError(f"{path!r} has neither METADATA nor PKG-INFO")


def _headers(lines: Iterable[str], wanted: Tuple[str, ...]) -> Optional[Dict[str, str]]:
    """The first value of each header in ``wanted`` (lower-case names), as the email package reads it.

    Reads up to the first empty line; None if there are no lines at all. A value
    keeps its trailing spaces, as email's compat32 policy does. A wanted header
    folded over two lines, or a line that is neither a header, a continuation nor
    empty (after which the email package reads the rest as the body), raises ValueError.
    """
    found: Dict[str, str] = {}
    current = None
    empty = True
    for line in lines:
        empty = False
        line = line.rstrip("\n")
        if not line:
            break
        if line[0] in " \t":  # a continuation of the header above
            if current in wanted:
                raise ValueError(f"header {current!r} is folded over several lines")
            continue
        match = _HEADER.match(line)
        if match is None:
            raise ValueError(f"{line!r} is not a header line")
        current = match.group(1).lower()
        if current in wanted and current not in found:
            found[current] = line[match.end() :].lstrip(" \t")
    return None if empty else found
