"""What the schedules' parameters accept, as constraints for :func:`npnet_core.optimizer_tools.check_hyperparameters`.

``Positive`` and ``Fraction`` of :mod:`npnet_core.optimizer_tools` do not fit
every schedule parameter (a decay factor may be 1, a step count is an integer,
``mode`` is a word), so these complete them; they follow the same contract:
``check(owner, name, value)`` returns a plain Python value or raises
:class:`~npnet_core.errors.InvalidParameterError` saying what was expected,
what came and what to do.
"""

from __future__ import annotations

import math
import numbers
import operator
from dataclasses import dataclass
from typing import Any, Optional, Tuple

import numpy as np

from npnet_core.errors import InvalidParameterError
from npnet_core.optimizer_tools import show_value

__all__ = ["Choice", "Interval", "Steps", "Text"]


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


@dataclass(frozen=True)
class Interval:
    """A finite number between ``low`` and ``high`` (each bound included or not), returned as a float."""

    low: float
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    #: the end of the message: "the usual value is 0.1", "e.g. 0.99 to divide the rate by e every 100 updates"
    advice: str = ""

    def describe(self) -> str:
        """``a finite number > 0``, ``in (0, 1]``: what the constraint accepts."""
        if self.high == math.inf:
            return f"a finite number {'>' if self.low_open else '>='} {_plain(self.low)}"
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        return f"in {left}{_plain(self.low)}, {_plain(self.high)}{right}"

    def check(self, owner: str, name: str, value: Any) -> float:
        """Return ``float(value)``, or raise :class:`~npnet_core.errors.InvalidParameterError`."""
        ok = _is_number(value) and math.isfinite(value)
        if ok:
            ok = (value > self.low if self.low_open else value >= self.low) and (
                value < self.high if self.high_open else value <= self.high
            )
        if not ok:
            raise InvalidParameterError(
                f"{owner}: {name} must be {self.describe()} (got {show_value(value)})"
                + (f"; {self.advice}" if self.advice else "")
            )
        return float(value)


@dataclass(frozen=True)
class Steps:
    """An integer >= ``minimum`` (a number of updates or epochs), returned as an int; floats and bools are refused."""

    minimum: int
    advice: str = ""

    def check(self, owner: str, name: str, value: Any) -> int:
        """Return ``value`` as an int, or raise :class:`~npnet_core.errors.InvalidParameterError`."""
        try:
            count: Optional[int] = None if isinstance(value, (bool, np.bool_)) else operator.index(value)
        except TypeError:
            count = None
        if count is None or count < self.minimum:
            raise InvalidParameterError(
                f"{owner}: {name} must be an integer >= {self.minimum} (got {show_value(value)})"
                + (f"; {self.advice}" if self.advice else "")
            )
        return count


@dataclass(frozen=True)
class Choice:
    """One of a few words, returned as a str."""

    options: Tuple[str, ...]

    def check(self, owner: str, name: str, value: Any) -> str:
        """Return ``value``, or raise :class:`~npnet_core.errors.InvalidParameterError`."""
        if not isinstance(value, str) or value not in self.options:
            listed = " or ".join(repr(option) for option in self.options)
            raise InvalidParameterError(f"{owner}: {name} must be {listed} (got {show_value(value)})")
        return value


@dataclass(frozen=True)
class Text:
    """A non-empty string (a key of the epoch logs), returned as a str."""

    advice: str

    def check(self, owner: str, name: str, value: Any) -> str:
        """Return ``value``, or raise :class:`~npnet_core.errors.InvalidParameterError`."""
        if not isinstance(value, str) or not value:
            raise InvalidParameterError(
                f"{owner}: {name} must be a non-empty string (got {show_value(value)}); {self.advice}"
            )
        return value


def _plain(bound: float) -> str:
    """``0``, ``1``, ``0.5``: a bound as the message writes it."""
    return str(int(bound)) if float(bound).is_integer() else str(bound)
