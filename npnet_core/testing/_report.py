"""How a contract check reports a broken rule: what, where, expected vs got, tolerance."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

__all__ = ["ContractViolation", "assert_allclose", "describe", "violation"]


class ContractViolation(AssertionError):
    """A component broke one of npnet's contract rules.

    Attributes
    ----------
    component : str
        The component's name.
    check : str
        The rule's check function, e.g. ``check_backward_matches_finite_differences``.
    """

    def __init__(self, component: str, check: str, detail: str) -> None:
        super().__init__(f"{component} fails {check}: {detail}")
        self.component = component
        self.check = check
        self.detail = detail


def describe(component: Any) -> str:
    """The name a report uses for ``component``."""
    name = getattr(component, "name", None)
    return name if isinstance(name, str) and name else type(component).__name__


def violation(component: Any, check: str, detail: str) -> ContractViolation:
    """Return the error reporting that ``component`` breaks ``check``."""
    return ContractViolation(describe(component), check, detail)


def assert_allclose(
    component: Any,
    check: str,
    got: np.ndarray,
    expected: np.ndarray,
    *,
    rtol: float,
    atol: float,
    what: str,
    context: Optional[str] = None,
) -> None:
    """Raise a :class:`ContractViolation` unless ``got`` matches ``expected`` within tolerance.

    The message gives the worst entry: its index, both values, and the tolerance.
    """
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape:
        raise violation(component, check, f"{what} has shape {got.shape}, expected {expected.shape}")
    with np.errstate(invalid="ignore", over="ignore"):
        excess = np.abs(got - expected) - (atol + rtol * np.abs(expected))
    both_nan = np.isnan(got) & np.isnan(expected)
    excess = np.where(both_nan, 0.0, np.where(np.isnan(excess), np.inf, excess))
    if excess.size and excess.max() > 0:
        where = np.unravel_index(int(np.argmax(excess)), excess.shape)
        bad = int(np.sum(excess > 0))
        raise violation(
            component,
            check,
            f"{what} differs at {tuple(int(i) for i in where)}: expected {expected[where]!r}, got "
            f"{got[where]!r} (tolerance rtol={rtol:g}, atol={atol:g}; {bad} of {excess.size} "
            f"entries outside it){'; ' + context if context else ''}",
        )
