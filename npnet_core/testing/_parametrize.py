"""``parametrize_with_checks``: the contract suite as pytest parameters."""

from __future__ import annotations

from typing import Any, Iterable, Optional

from ._report import describe
from ._selection import ExpectedFailures, checks_for, expected_failures_of

__all__ = ["label", "parametrize_with_checks"]


def label(component: Any) -> str:
    """The component's name, with the hyperparameters that differ from its defaults.

    ``adam``, ``adam(amsgrad=True)``: ids that tell configurations apart.
    """
    name = describe(component)
    get_config = getattr(component, "get_config", None)
    if not callable(get_config):
        return name
    try:
        defaults = type(component)().get_config()
    except Exception:  # no defaults to compare with: show the whole configuration
        defaults = {}
    changed = {k: v for k, v in get_config().items() if defaults.get(k, object()) != v}
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in changed.items())})" if changed else name


def parametrize_with_checks(components: Iterable[Any], *, expected_failures: Optional[ExpectedFailures] = None) -> Any:
    """Parametrize a test over every check that applies to each component.

    The decorated test takes ``component`` and ``check`` and calls
    ``check(component)``. Test ids read ``adam-check_converges_on_quadratic``.
    A check declared in ``expected_failures``, or in the component's
    ``npnet_expected_failures``, becomes a strict xfail: the test fails if the
    check unexpectedly passes.

    ``expected_failures`` is ``{check or its name: reason}`` for every
    component, or a function called with each component that returns such a
    mapping (or None) for that one: expected failures that depend on the
    configuration.

    Examples
    --------
    >>> from npnet_core.testing import parametrize_with_checks
    >>> @parametrize_with_checks([MyOptimizer()])          # doctest: +SKIP
    ... def test_contract(component, check):
    ...     check(component)
    >>> def strong_decay(opt):                             # doctest: +SKIP
    ...     return {"check_converges_on_quadratic": "the decay outweighs the steps"} if opt.weight_decay >= 1 else {}
    >>> @parametrize_with_checks([AdamW(), AdamW(weight_decay=1.0)], expected_failures=strong_decay)  # doctest: +SKIP
    ... def test_adamw(component, check):
    ...     check(component)
    """
    import pytest

    params = []
    for component in components:
        declared = expected_failures_of(component, expected_failures)
        for check in checks_for(component):
            name = check.__name__
            marks = [pytest.mark.xfail(strict=True, reason=declared[name])] if name in declared else []
            params.append(pytest.param(component, check, id=f"{label(component)}-{name}", marks=marks))
    return pytest.mark.parametrize("component, check", params)
