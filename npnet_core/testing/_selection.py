"""Which checks apply to a component, and the check that its registered name is its own."""

from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

from ..errors import NpnetError
from ..protocols import protocol_problems
from . import array_checks, optimizer_checks
from ._report import violation

__all__ = ["Check", "check_registered_name_resolves", "checks_for", "expected_failures_of", "kind_of"]

Check = Callable[[Any], None]

#: Set on a component (usually its class) to declare checks it is known to fail:
#: ``npnet_expected_failures = {"check_rows_independent": "batch statistics couple rows"}``.
EXPECTED_FAILURES_ATTRIBUTE = "npnet_expected_failures"


def kind_of(component: Any) -> str:
    """Return "activation", "loss" or "optimizer" for a component instance.

    An object with ``update`` is an optimizer; otherwise the arity of ``backward``
    tells an activation ``backward(z, a, grad_a)`` from a loss ``backward(y_pred, y_true)``.
    """
    if callable(getattr(component, "update", None)):
        return "optimizer"
    backward = getattr(component, "backward", None)
    if callable(backward) and callable(getattr(component, "forward", None)):
        try:
            parameters = [
                p
                for p in inspect.signature(backward).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
            ]
        except (TypeError, ValueError):
            parameters = []
        if len(parameters) == 3:
            return "activation"
        if len(parameters) == 2:
            return "loss"
    raise TypeError(
        f"cannot tell what kind of component {component!r} is: an optimizer has update(params, "
        "gradient), an activation backward(z, a, grad_a), a loss backward(y_pred, y_true)"
    )


def check_registered_name_resolves(component: Any, registry: Optional[Any] = None) -> None:
    """The component's name, looked up in the registry, gives this same implementation."""
    from ..registry import get_registry

    kind = kind_of(component)
    registry = get_registry() if registry is None else registry
    try:
        entry = registry.lookup(kind, component.name)
    except NpnetError as exc:
        raise violation(component, "check_registered_name_resolves", f"looking up its name failed: {exc}") from exc
    factory = entry.factory
    made = factory if isinstance(factory, type) else type(_build(factory, component))
    if type(component) is not made:
        raise violation(
            component,
            "check_registered_name_resolves",
            f"the {kind} name {component.name!r} resolves to {made.__module__}.{made.__qualname__} "
            f"({entry.provider}), not to {type(component).__module__}.{type(component).__qualname__}",
        )


def _build(factory: Callable[..., Any], component: Any) -> Any:
    config = getattr(component, "get_config", None)
    return factory(**config()) if callable(config) else factory()


_ARRAY_CHECKS: List[Check] = [
    array_checks.check_output_shapes,
    array_checks.check_dtype_preserved,
    array_checks.check_inputs_not_mutated,
    array_checks.check_rows_independent,
    array_checks.check_backward_matches_finite_differences,
    array_checks.check_finite_at_extreme_inputs,
    array_checks.check_deterministic,
]

_CHECKS: Dict[str, List[Check]] = {
    "activation": [*_ARRAY_CHECKS, check_registered_name_resolves],
    "loss": [*_ARRAY_CHECKS, array_checks.check_finite_at_boundary_predictions, check_registered_name_resolves],
    "optimizer": [
        optimizer_checks.check_update_shape_and_dtype,
        optimizer_checks.check_gradient_not_mutated,
        optimizer_checks.check_zero_gradient_keeps_parameters,
        optimizer_checks.check_converges_on_quadratic,
        optimizer_checks.check_converges_on_ill_conditioned_quadratic,
        optimizer_checks.check_loss_decreases_on_small_network,
        optimizer_checks.check_state_dict_round_trip,
        optimizer_checks.check_get_config_rebuilds_equivalent,
        check_registered_name_resolves,
    ],
}


def checks_for(component: Any, kind: Optional[str] = None) -> List[Check]:
    """Return the checks that apply to ``component``, in the order they are best run."""
    kind = kind or kind_of(component)
    problems = protocol_problems(component, kind)
    if problems:
        raise TypeError(f"{component!r} is not a valid {kind}: it lacks {', '.join(problems)}")
    return list(_CHECKS[kind])


def expected_failures_of(component: Any, declared: Optional[Mapping[Union[str, Check], str]] = None) -> Dict[str, str]:
    """The component's own declared expected failures, updated by ``declared``, keyed by check name.

    Raises ``ValueError`` for a key that names no check of the component's kind.
    """
    known = {check.__name__ for check in checks_for(component)}
    merged: Dict[str, str] = {}
    for source in (getattr(component, EXPECTED_FAILURES_ATTRIBUTE, None) or {}, declared or {}):
        for key, reason in source.items():
            name = key if isinstance(key, str) else getattr(key, "__name__", repr(key))
            if name not in known:
                raise ValueError(
                    f"expected failure {name!r} for {component!r} names no check of its kind; "
                    f"the checks are: {', '.join(sorted(known))}"
                )
            if not isinstance(reason, str) or not reason.strip():
                raise ValueError(f"the expected failure {name!r} needs a reason (a non-empty string)")
            merged[name] = reason
    return merged
