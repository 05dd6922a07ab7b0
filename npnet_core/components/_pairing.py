"""Whether an output activation produces what a loss expects, from what each declares about itself.

An output activation may declare ``produces`` and a loss ``expects`` (the
values are :data:`~npnet_core.protocols.DISTRIBUTION` and
:data:`~npnet_core.protocols.PROBABILITIES`, documented with the protocols).
Nothing here knows any component by name: the usual activation for a loss is
found among the registered activations that declare what it expects.
"""

from __future__ import annotations

import warnings
from typing import Any, List

from ..errors import ComponentMismatchWarning
from ..protocols import DISTRIBUTION, PROBABILITIES
from ._registry import Registry

__all__ = ["produces", "warn_if_mismatched"]

_MEANING = {
    DISTRIBUTION: "a probability distribution in each row (non-negative, summing to 1)",
    PROBABILITIES: "a probability in [0, 1] in each output",
}


def produces(component: Any) -> Any:
    """What an activation declares it produces (None when it declares nothing)."""
    return getattr(component, "produces", None)


def _satisfies(produced: Any, expected: Any) -> bool:
    # a distribution's values are probabilities too
    return produced == expected or (expected == PROBABILITIES and produced == DISTRIBUTION)


def _usual(expected: Any, registry: Registry) -> List[str]:
    """The registered activations whose class declares it produces exactly ``expected``."""
    return sorted({entry.name for entry in registry.entries("activation") if produces(entry.factory) == expected})


def warn_if_mismatched(activation: Any, loss: Any, registry: Registry, stacklevel: int) -> None:
    """Warn when ``loss`` expects what ``activation`` does not declare it produces."""
    expected = getattr(loss, "expects", None)
    if expected not in _MEANING or _satisfies(produces(activation), expected):
        return
    usual = _usual(expected, registry)
    advice = (
        f"the usual output activation for it is {' or '.join(map(repr, usual))}"
        if usual
        else "no installed activation declares it produces that"
    )
    warnings.warn(
        f"the loss {loss.name!r} expects {_MEANING[expected]}, which the output activation {activation.name!r} "
        f"does not declare it produces; {advice}. Training may diverge or learn nothing",
        ComponentMismatchWarning,
        stacklevel=stacklevel + 1,
    )
