"""Finding plugins: entry points in the group ``npnet`` and the environment switches.

Environment variables (read when a registry is made):

``NPNET_DISABLE_PLUGIN_AUTOLOAD``
    ``1``/``true``/``yes``: load no entry points; only plugins registered by hand.
``NPNET_BLOCK_PLUGINS``
    Comma-separated entry-point or distribution names never to load
    (``NPNET_BLOCK_PLUGINS=npnet-adam``).
``NPNET_STRICT_PLUGINS``
    ``1``/``true``/``yes``: a plugin that fails to load raises
    :class:`~npnet_core.errors.PluginLoadError` instead of warning (for CI).
"""

from __future__ import annotations

import os
import sys
from typing import Any, FrozenSet, List, Mapping, NamedTuple, Optional

from . import _metadata_folders
from ._metadata_folders import normalize_name

ENTRY_POINT_GROUP = "npnet"
ENV_DISABLE_AUTOLOAD = "NPNET_DISABLE_PLUGIN_AUTOLOAD"
ENV_BLOCK = "NPNET_BLOCK_PLUGINS"
ENV_STRICT = "NPNET_STRICT_PLUGINS"

_TRUE = {"1", "true", "yes", "on"}


def env_flag(name: str, environ: Optional[Mapping[str, str]] = None) -> bool:
    """Return whether the environment variable ``name`` is set to a true value."""
    value = (os.environ if environ is None else environ).get(name, "")
    return value.strip().lower() in _TRUE


def env_blocked(environ: Optional[Mapping[str, str]] = None) -> FrozenSet[str]:
    """Return the normalised names listed in ``NPNET_BLOCK_PLUGINS``."""
    value = (os.environ if environ is None else environ).get(ENV_BLOCK, "")
    return frozenset(normalize_name(part.strip()) for part in value.split(",") if part.strip())


class PluginSource(NamedTuple):  # not a dataclass, which costs more to create (see registry.py)
    """One entry point of the group ``npnet`` and the distribution that declares it."""

    name: str
    value: str
    distribution: Optional[str]
    version: Optional[str]
    entry_point: Any

    def load(self) -> Any:
        """Import and return the plugin object the entry point names."""
        return self.entry_point.load()

    def matches(self, names: FrozenSet[str]) -> bool:
        """Return whether the entry point or its distribution is among ``names``."""
        candidates = {normalize_name(self.name)}
        if self.distribution:
            candidates.add(normalize_name(self.distribution))
        return bool(candidates & names)


def discover() -> List[PluginSource]:
    """Return the entry points of the group ``npnet``, once each, sorted by name.

    They are read from the ``*.dist-info`` and ``*.egg-info`` folders on
    ``sys.path`` by :func:`npnet_core._metadata_folders.entry_points`, without
    importing ``importlib.metadata`` (25-40 ms), when that is sure to see what
    ``importlib.metadata`` sees; otherwise by :func:`_from_importlib_metadata`.
    """
    try:
        found = [PluginSource(*found) for found in _metadata_folders.entry_points(ENTRY_POINT_GROUP)]
    except (OSError, ValueError):  # UnicodeDecodeError is a ValueError
        found = _from_importlib_metadata()
    seen = set()
    sources = []
    for source in found:
        key = (source.distribution and normalize_name(source.distribution), source.name, source.value)
        if key in seen:  # the same distribution found twice on sys.path
            continue
        seen.add(key)
        sources.append(source)
    return sorted(sources, key=lambda s: (s.name, s.distribution or ""))


def _from_importlib_metadata() -> List[PluginSource]:
    """The entry points of the group ``npnet`` as ``importlib.metadata`` finds them (the fallback)."""
    # Imported here, only when the fast path cannot be sure: importlib.metadata pulls
    # in email, zipfile and csv (25-40 ms).
    if sys.version_info >= (3, 10):
        from importlib import metadata as importlib_metadata
    else:  # pragma: no cover - exercised on Python 3.9 only
        import importlib_metadata

    sources = []
    for ep in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        dist_name = dist.metadata["Name"] if dist is not None else None
        version = dist.version if dist is not None else None
        sources.append(PluginSource(ep.name, ep.value, dist_name, version, ep))
    return sources
