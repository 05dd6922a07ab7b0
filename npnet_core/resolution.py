"""How what a user passes for a component becomes a component.

A component may be given as

- a name: ``"adam"`` or a pinned ``"npnet-adam:adam"``;
- a ``(name, params)`` pair: ``("adam", {"learning_rate": 1e-3})``;
- an object satisfying the protocol of its kind;
- the article's ``(function, derivative)`` tuple, or for the optimizer any
  object with ``.update(old_params, gradient)``.

Names go through the :class:`~npnet_core.registry.Registry`. The result keeps a
:class:`~npnet_core.registry.ComponentSpec` when the component can be made
again by name (needed to save a whole model).
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Tuple

from .adapters import (
    ArticleElementwiseActivation,
    ArticleJacobianActivation,
    ArticleLoss,
    ArticleOptimizer,
    is_function_pair,
)
from .errors import InvalidComponentError, NpnetError
from .protocols import protocol_problems
from .registry import ComponentSpec, Registry

__all__ = ["resolve"]

_ROLE_KIND = {
    "hidden_activation": "activation",
    "output_activation": "activation",
    "loss": "loss",
    "optimizer": "optimizer",
}

_EXAMPLES = {
    "hidden_activation": "'relu', ('relu', {}), an Activation object, or the article's (relu, d_relu)",
    "output_activation": "'softmax', ('softmax', {}), an Activation object, or the article's (softmax, d_softmax)",
    "loss": "'categorical_crossentropy', a (name, params) pair, a Loss object, or the article's (loss, d_loss)",
    "optimizer": "'adam', ('adam', {'learning_rate': 1e-3}), an Optimizer object, or any object with update(params, gradient)",
}


def _is_named_pair(spec: object) -> bool:
    return isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str) and isinstance(spec[1], Mapping)


def resolve(role: str, spec: Any, registry: Registry) -> Tuple[Any, Optional[ComponentSpec]]:
    """Return ``(component, spec)`` for what was passed as ``role`` (spec None if unnamed)."""
    kind = _ROLE_KIND[role]
    if isinstance(spec, str):
        return registry.create(kind, spec)
    if _is_named_pair(spec):
        return registry.create(kind, spec[0], spec[1])
    if is_function_pair(spec):
        adapter = {
            "hidden_activation": ArticleElementwiseActivation,
            "output_activation": ArticleJacobianActivation,
            "loss": ArticleLoss,
        }.get(role)
        if adapter is None:
            raise InvalidComponentError(f"{role} must be {_EXAMPLES[role]} (got a tuple of two functions)")
        return adapter(spec), None
    if not protocol_problems(spec, kind):
        return spec, _spec_of_object(kind, spec, registry)
    if kind == "optimizer" and callable(getattr(spec, "update", None)):
        return ArticleOptimizer(spec), None
    raise InvalidComponentError(f"{role} must be {_EXAMPLES[role]} (got {spec!r})")


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
