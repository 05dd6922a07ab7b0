"""Which checks apply to a component, and the check that its registered name is its own."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Union

from ..errors import NpnetError
from ..kinds import KINDS, kind_of
from ._report import violation

__all__ = [
    "EXPECTED_FAILURES_ATTRIBUTE",
    "Check",
    "ExpectedFailures",
    "check_registered_name_resolves",
    "checks_for",
    "expected_failures_of",
]

Check = Callable[[Any], None]
#: Declared expected failures: ``{check or its name: reason}``, or a function of the component returning one
#: (or None), so that each configured instance may get its own.
ExpectedFailures = Union[Mapping[Union[str, Check], str], Callable[[Any], Optional[Mapping[Union[str, Check], str]]]]

#: Set on a component (usually its class) to declare checks it is known to fail:
#: ``npnet_expected_failures = {"check_rows_independent": "batch statistics couple rows"}``.
EXPECTED_FAILURES_ATTRIBUTE = "npnet_expected_failures"


def check_registered_name_resolves(component: Any, registry: Optional[Any] = None) -> None:
    """The component's name, looked up in the registry, gives this same implementation."""
    from ..components import get_registry

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


def checks_for(component: Any, kind: Optional[str] = None) -> List[Check]:
    """Return the checks that apply to ``component``, in the order they are best run.

    They are those the kinds table lists for its kind (:func:`kind_of` unless given).
    """
    from .. import testing

    row = KINDS[kind or kind_of(component)]
    problems = row.problems(component)
    if problems:
        raise TypeError(f"{component!r} is not a valid {row.name}: it lacks {', '.join(problems)}")
    return [getattr(testing, name) for name in row.checks]


def expected_failures_of(component: Any, declared: Optional[ExpectedFailures] = None) -> Dict[str, str]:
    """The component's own declared expected failures, updated by ``declared``, keyed by check name.

    ``declared`` is a mapping ``{check or its name: reason}``, or a function
    ``component -> mapping`` (None for nothing), called with ``component``:
    so each configured instance may get its own. Raises ``ValueError`` for a
    key that names no check of the component's kind, or a reason that is not a
    non-empty string, and ``TypeError`` when the function returns anything but
    a mapping or None.
    """
    if callable(declared) and not isinstance(declared, Mapping):
        function = declared
        declared = function(component)
        if declared is not None and not isinstance(declared, Mapping):
            raise TypeError(
                f"expected_failures={getattr(function, '__name__', function)!r} returned {declared!r} for "
                f"{component!r}; a function of expected failures returns a dict {{check or its name: reason}} "
                "(empty, or None, when the component has none)"
            )
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
