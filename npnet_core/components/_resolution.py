"""How what a user passes for a component becomes a component.

A component may be given as

- a name: ``"adam"`` or a pinned ``"npnet-adam:adam"``, or a text spec with
  parameters, as on the command line: ``"adam:learning_rate=0.003"``;
- a ``(name, params)`` pair: ``("adam", {"learning_rate": 1e-3})``;
- an object satisfying the protocol of its kind;
- the article's ``(function, derivative)`` tuple, or for the optimizer any
  object with ``.update(old_params, gradient)``.

Names go through the :class:`~npnet_core.components.Registry`. The result keeps a
:class:`~npnet_core.components.ComponentSpec` when the component can be made
again by name (needed to save a whole model).
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Tuple

from ..errors import InvalidComponentError, NpnetError
from ..kinds import KINDS, ROLES
from . import _adapters
from ._adapters import is_function_pair
from ._missing import MissingComponent
from ._registry import ComponentSpec, Registry
from ._text import parse_component

__all__ = ["resolve"]


def _is_named_pair(spec: object) -> bool:
    return isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str) and isinstance(spec[1], Mapping)


def resolve(role: str, spec: Any, registry: Registry) -> Tuple[Any, Optional[ComponentSpec]]:
    """Return ``(component, spec)`` for what was passed as ``role`` (spec None if unnamed).

    ``role`` is a network role of :data:`~npnet_core.kinds.ROLES`, or a kind for components
    that are no network's (the metrics ``fit`` and ``score`` take).
    """
    row = ROLES.get(role)
    kind = KINDS[row.kind if row else role]
    accepts = (
        row.accepts if row else f"a {kind.name} name such as {kind.example!r}, a (name, params) pair, or an object"
    )
    if isinstance(spec, MissingComponent):  # a loaded model's component whose plugin is not installed
        if spec.spec.kind != kind.name or (row is not None and row.needed_for == "predict"):
            raise InvalidComponentError(
                f"{role} must be {accepts} (got {spec!r}, a {spec.spec.kind} whose plugin is not installed)"
            )
        return spec, spec.spec
    if isinstance(spec, str):
        if "=" in spec:  # a text spec with parameters: "cosine:total_steps=1000,warmup_steps=50"
            return registry.create(kind.name, *parse_component(spec))
        return registry.create(kind.name, spec)
    if _is_named_pair(spec):
        return registry.create(kind.name, spec[0], spec[1])
    if not kind.problems(spec):
        return spec, _spec_of_object(kind.name, spec, registry)
    adapter = getattr(_adapters, row.article_adapter) if row and row.article_adapter else None
    if adapter is not None and adapter.accepts(spec):
        return adapter(spec), None
    if is_function_pair(spec):
        raise InvalidComponentError(f"{role} must be {accepts} (got a tuple of two functions)")
    missing = kind.problems(spec)
    raise InvalidComponentError(f"{role} must be {accepts} (got {spec!r}, which lacks {', '.join(missing)})")


def _spec_of_object(kind: str, component: Any, registry: Registry) -> Optional[ComponentSpec]:
    """The spec of an object built by a registered class, so it can be saved by name."""
    try:
        entry = registry.lookup(kind, component.name)
    except NpnetError:
        return None
    if type(component) is not entry.factory:
        return None
    get_config = getattr(component, "get_config", None)
    params = dict(get_config()) if callable(get_config) else {}
    return ComponentSpec(kind, entry.name, params, entry.distribution, entry.version)
