"""What the regularizers' parameters accept, in the form of ``npnet_core.optimizer_tools`` constraints."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, List, Union

import numpy as np

from npnet_core.errors import InvalidParameterError
from npnet_core.optimizer_tools import Constraint, show_value

__all__ = ["PerLayer"]


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


@dataclass(frozen=True)
class PerLayer:
    """One number for every hidden layer, or a non-empty list of them, one per hidden layer, each checked by ``each``.

    Returned as a float or a list of floats (a tuple is returned as a list).
    """

    each: Constraint

    def check(self, owner: str, name: str, value: Any) -> Union[float, List[float]]:
        """Return the checked number or list, or raise :class:`~npnet_core.errors.InvalidParameterError`."""
        if isinstance(value, (list, tuple)):
            if not value:
                raise InvalidParameterError(
                    f"{owner}: {name} is an empty list; give one {name} per hidden layer, "
                    "or a single number for all of them"
                )
            return [self.each.check(owner, f"{name}[{i}]", item) for i, item in enumerate(value)]
        if not _is_number(value):
            raise InvalidParameterError(
                f"{owner}: {name} must be a number, or a list of numbers with one per hidden layer "
                f"(got {show_value(value)} of type {type(value).__name__})"
            )
        return self.each.check(owner, name, value)
