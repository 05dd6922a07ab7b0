"""pytest fixtures for plugin authors, loaded through the ``pytest11`` entry point.

``npnet_registry``
    The default registry, with every installed plugin.
``npnet_installed_components``
    Every installed component as ``(entry, instance)``, the instance built with
    default parameters (those that need parameters, such as a schedule's
    ``total_steps``, are left out).
"""

from __future__ import annotations

from typing import Any, List, Tuple

import pytest


@pytest.fixture(scope="session")
def npnet_registry() -> Any:
    """The default npnet registry (plugins from entry points)."""
    from npnet_core import get_registry

    return get_registry()


@pytest.fixture(scope="session")
def npnet_installed_components(npnet_registry: Any) -> List[Tuple[Any, Any]]:
    """Every installed component that can be built without parameters: ``(ComponentEntry, instance)``."""
    from npnet_core.kinds import KINDS

    from ._runner import required_parameters

    entries = [entry for kind in KINDS for entry in npnet_registry.entries(kind)]
    return [(entry, entry.factory()) for entry in entries if not required_parameters(entry.factory)]
