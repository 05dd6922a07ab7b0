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
import re
import sys
from typing import Any, FrozenSet, List, Mapping, NamedTuple, Optional

__all__ = [
    "ENTRY_POINT_GROUP",
    "ENV_BLOCK",
    "ENV_DISABLE_AUTOLOAD",
    "ENV_STRICT",
    "PluginSource",
    "discover",
    "env_blocked",
    "env_flag",
    "normalize_name",
]

ENTRY_POINT_GROUP = "npnet"
ENV_DISABLE_AUTOLOAD = "NPNET_DISABLE_PLUGIN_AUTOLOAD"
ENV_BLOCK = "NPNET_BLOCK_PLUGINS"
ENV_STRICT = "NPNET_STRICT_PLUGINS"

_TRUE = {"1", "true", "yes", "on"}


def normalize_name(name: str) -> str:
    """A distribution or entry-point name as PEP 503 compares them: ``npnet_Adam`` is ``npnet-adam``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def env_flag(name: str, environ: Optional[Mapping[str, str]] = None) -> bool:
    """Return whether the environment variable ``name`` is set to a true value."""
    value = (os.environ if environ is None else environ).get(name, "")
    return value.strip().lower() in _TRUE


def env_blocked(environ: Optional[Mapping[str, str]] = None) -> FrozenSet[str]:
    """Return the normalised names listed in ``NPNET_BLOCK_PLUGINS``."""
    value = (os.environ if environ is None else environ).get(ENV_BLOCK, "")
    return frozenset(normalize_name(part.strip()) for part in value.split(",") if part.strip())


class PluginSource(NamedTuple):  # not a dataclass, which costs more to create
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

    Read through ``importlib.metadata`` (the ``importlib-metadata`` backport on
    Python 3.9), imported here, on the first look-up, not with ``npnet_core``.
    """
    if sys.version_info >= (3, 10):
        from importlib import metadata
    else:  # pragma: no cover - Python 3.9 only
        import importlib_metadata as metadata

    seen = set()
    sources = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        name = dist.metadata["Name"] if dist is not None else None
        source = PluginSource(ep.name, ep.value, name, dist.version if dist is not None else None, ep)
        key = (name and normalize_name(name), source.name, source.value)
        if key not in seen:  # the same distribution found twice on sys.path
            seen.add(key)
            sources.append(source)
    return sorted(sources, key=lambda s: (s.name, s.distribution or ""))
