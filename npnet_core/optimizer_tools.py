"""Tools for optimizer plugins (and any component with parameters): declarative checks of
hyperparameters, state and update arguments.

An optimizer declares once what each hyperparameter accepts (a table of
constraints, like scikit-learn's ``_parameter_constraints``) and what its state
holds (a :class:`StateLayout`); :func:`check_hyperparameters` checks a whole
configuration and :func:`check_state` a state given to ``load_state_dict``.
They raise npnet's errors with its messages (what was expected, what came,
what to do), prefixed by the optimizer's name, and return plain Python values,
so that float32 parameters are never promoted::

    from npnet_core.optimizer_tools import Fraction, Positive, StateLayout, check_hyperparameters, check_state

    class Lion:
        name = "lion"
        hyperparameters = {"learning_rate": Positive(usual=1e-4), "beta": Fraction(usual=0.9)}
        state_layout = StateLayout(arrays=("m",), source="Lion.state_dict()")

        def __init__(self, learning_rate=1e-4, beta=0.9):
            config = check_hyperparameters(self.name, self.hyperparameters, locals())
            self.learning_rate, self.beta = config["learning_rate"], config["beta"]
            self._m = None

        def load_state_dict(self, state):
            self._m = check_state(self.name, self.state_layout, state).get("m")

:func:`check_update_arrays` and :func:`check_state_matches` check the
arguments of ``update``.
"""

from __future__ import annotations

import math
import numbers
import operator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Dict, Mapping, Optional, Protocol, Set, Tuple

import numpy as np

from .errors import InvalidParameterError, ValidationError

__all__ = [
    "Constraint",
    "Count",
    "Flag",
    "Fraction",
    "HyperparametersMixin",
    "NonNegative",
    "Positive",
    "StateLayout",
    "check_flag",
    "check_fraction",
    "check_hyperparameters",
    "check_positive",
    "check_state",
    "check_state_matches",
    "check_update_arrays",
    "show_value",
]


def show_value(value: Any) -> str:
    """Format a bad value for an error message: numbers as ``str`` (``-1``, not ``np.int64(-1)``), the rest by ``repr``."""
    return str(value) if isinstance(value, numbers.Real) else repr(value)


def _describe(value: Any) -> str:
    """``list``, ``ndarray int64``: the type of a value, and its dtype if it has one."""
    return " ".join(filter(None, [type(value).__name__, str(getattr(value, "dtype", ""))]))


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


# -- hyperparameters -------------------------------------------------------------------


class Constraint(Protocol):
    """What one hyperparameter accepts: a value of a table given to :func:`check_hyperparameters`."""

    def check(self, owner: str, name: str, value: Any) -> Any:
        """Return ``value`` as a plain Python value, or raise :class:`~npnet_core.errors.InvalidParameterError`."""
        ...


@dataclass(frozen=True)
class Positive:
    """A finite number > 0 (a step size, an epsilon), returned as a float.

    Refused: ``"{owner}: {name} must be a finite number > 0 (got ...); the usual value is {usual}"``.
    """

    usual: float

    def check(self, owner: str, name: str, value: Any) -> float:
        """Return ``float(value)``, or raise :class:`~npnet_core.errors.InvalidParameterError`."""
        if not _is_number(value) or not math.isfinite(value) or value <= 0:
            raise InvalidParameterError(
                f"{owner}: {name} must be a finite number > 0 (got {show_value(value)}); the usual value is {self.usual}"
            )
        return float(value)


@dataclass(frozen=True)
class NonNegative:
    """A finite number >= 0 (a weight decay, a penalty factor), returned as a float.

    Refused: ``"... must be a finite number >= 0 (got ...); the usual value is {usual}[, and {advice}]"``.
    """

    usual: float
    #: what 0 means, or other advice, appended to the message: "0 turns the decay off"
    advice: str = ""

    def check(self, owner: str, name: str, value: Any) -> float:
        """Return ``float(value)``, or raise :class:`~npnet_core.errors.InvalidParameterError`."""
        if not _is_number(value) or not math.isfinite(value) or value < 0:
            raise InvalidParameterError(
                f"{owner}: {name} must be a finite number >= 0 (got {show_value(value)}); the usual value is "
                f"{self.usual}" + (f", and {self.advice}" if self.advice else "")
            )
        return float(value)


@dataclass(frozen=True)
class Fraction:
    """A number in [0, 1) (a decay rate), returned as a float.

    Give ``usual`` or ``advice``: the message ends with "the usual value is
    {usual}", or with ``advice`` ("use 0.0 for plain SGD or a value like 0.9").
    """

    usual: Optional[float] = None
    advice: Optional[str] = None

    def __post_init__(self) -> None:
        if (self.usual is None) == (self.advice is None):
            raise TypeError("Fraction takes one of usual= (a number) or advice= (a sentence), not both or neither")

    def check(self, owner: str, name: str, value: Any) -> float:
        """Return ``float(value)``, or raise :class:`~npnet_core.errors.InvalidParameterError`."""
        if not _is_number(value) or not 0 <= value < 1:
            advice = self.advice if self.advice is not None else f"the usual value is {self.usual}"
            raise InvalidParameterError(f"{owner}: {name} must be in [0, 1) (got {show_value(value)}); {advice}")
        return float(value)


@dataclass(frozen=True)
class Flag:
    """True or False (NumPy's too), returned as a bool; 0 and 1 are refused."""

    def check(self, owner: str, name: str, value: Any) -> bool:
        """Return ``bool(value)``, or raise :class:`~npnet_core.errors.InvalidParameterError`."""
        if not isinstance(value, (bool, np.bool_)):
            raise InvalidParameterError(f"{owner}: {name} must be True or False (got {show_value(value)})")
        return bool(value)


def check_positive(owner: str, name: str, value: Any, *, usual: float) -> float:
    """``Positive(usual).check(owner, name, value)``: the function form of npnet-core 0.1, kept for its plugins."""
    return Positive(usual).check(owner, name, value)


def check_fraction(owner: str, name: str, value: Any, *, advice: str) -> float:
    """``Fraction(advice=advice).check(owner, name, value)``: the function form of npnet-core 0.1."""
    return Fraction(advice=advice).check(owner, name, value)


def check_flag(owner: str, name: str, value: Any) -> bool:
    """``Flag().check(owner, name, value)``: the function form of npnet-core 0.1."""
    return Flag().check(owner, name, value)


def check_hyperparameters(
    owner: str, constraints: Mapping[str, Constraint], values: Mapping[str, Any]
) -> Dict[str, Any]:
    """Return ``{name: checked value}`` for each entry of ``constraints`` (``{name: Positive(...) | ...}``), in order.

    ``values`` holds a value for each name (other keys are ignored, so ``__init__``
    may pass ``locals()``); the first constraint that refuses its value raises
    :class:`~npnet_core.errors.InvalidParameterError`, its message starting with ``owner``.
    """
    missing = [name for name in constraints if name not in values]
    if missing:
        raise TypeError(
            f"{owner}: check_hyperparameters got no value for {missing}; pass one for each constrained name"
        )
    return {name: constraint.check(owner, name, values[name]) for name, constraint in constraints.items()}


class HyperparametersMixin:
    """``get_config()`` and ``repr()`` read from the class's table of :attr:`hyperparameters`.

    The subclass lists its ``__init__`` parameters in ``hyperparameters``, in
    order, and keeps each checked value as an attribute of the same name.
    """

    #: ``{name: constraint}`` in the order of ``__init__``'s parameters
    hyperparameters: ClassVar[Mapping[str, Constraint]] = {}

    def get_config(self) -> Dict[str, Any]:
        """Return the hyperparameters, in the order of :attr:`hyperparameters`."""
        return {name: getattr(self, name) for name in self.hyperparameters}

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({args})"


# -- state -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    """An integer state entry >= ``minimum`` (a step counter), returned as an int.

    NumPy integers and 0-d integer arrays (``np.load`` gives those) are
    accepted; bools and floats are not.
    """

    minimum: int = 0

    def check(self, owner: str, key: str, value: Any) -> int:
        """Return ``value`` as an int, or raise :class:`~npnet_core.errors.ValidationError`."""
        try:
            count = None if isinstance(value, (bool, np.bool_)) else operator.index(value)
        except TypeError:
            count = None
        if count is None or count < self.minimum:
            raise ValidationError(
                f"{owner}: state[{key!r}] must be an integer >= {self.minimum} (got {show_value(value)})"
            )
        return count


@dataclass(frozen=True)
class StateLayout:
    """What an optimizer's ``state_dict()`` holds, for :func:`check_state`.

    ``arrays``: the keys of the floating arrays shaped like the parameters, all
    present or all absent (before the first update). ``counters``: integer
    entries, always present. ``step``: the counter of updates, if any; the
    arrays are present exactly when it is > 0. ``hints``: what to say when a
    key that a hyperparameter adds or removes is missing or unknown.
    ``source``: what returns a valid state, for messages (``"Adam.state_dict()"``).
    """

    arrays: Tuple[str, ...] = ()
    counters: Mapping[str, Count] = field(default_factory=dict)
    step: Optional[str] = None
    hints: Mapping[str, str] = field(default_factory=dict)
    source: str = "state_dict()"

    def __post_init__(self) -> None:
        if self.step is not None and self.step not in self.counters:
            raise TypeError(f"StateLayout: step={self.step!r} must be one of the counters {sorted(self.counters)}")
        if set(self.arrays) & set(self.counters):
            raise TypeError(
                f"StateLayout: {sorted(set(self.arrays) & set(self.counters))} are both arrays and counters"
            )


def check_state(owner: str, layout: StateLayout, state: Any) -> Dict[str, Any]:
    """Return the counters (as ints) and copies of the arrays of ``state``, checked against ``layout``.

    Raises :class:`~npnet_core.errors.ValidationError`, its message starting
    with ``owner``, if ``state`` is not a mapping, a counter is missing or out
    of range, keys are missing or unknown, or the arrays are not 1-D floating
    ndarrays of finite values sharing one shape and dtype; an optimizer that
    stores the result only after this call then keeps its state.
    """
    advice = f"pass a dict returned by {layout.source}"
    if not isinstance(state, Mapping):
        raise ValidationError(f"{owner}: state must be a dict returned by {layout.source} (got {type(state).__name__})")
    checked: Dict[str, Any] = {}
    for key, count in layout.counters.items():
        if key not in state:
            raise ValidationError(f"{owner}: state is missing {key!r}; {advice}")
        checked[key] = count.check(owner, key, state[key])
    _check_keys(owner, layout, state, checked)
    arrays = {key: _state_array(owner, key, state[key], advice) for key in layout.arrays if key in state}
    if len({(array.shape, array.dtype) for array in arrays.values()}) > 1:
        found = ", ".join(f"{key}: {array.shape} {array.dtype}" for key, array in arrays.items())
        raise ValidationError(f"{owner}: the state arrays must share one shape and dtype (got {found}); {advice}")
    checked.update((key, array.copy()) for key, array in arrays.items())
    return checked


def _check_keys(owner: str, layout: StateLayout, state: Mapping[str, Any], counts: Mapping[str, int]) -> None:
    """Raise unless the keys of ``state`` are the counters plus, when they belong, all the arrays."""
    counters, arrays = set(layout.counters), set(layout.arrays)
    if layout.step is not None:
        expected = counters | arrays if counts[layout.step] > 0 else counters
        should_be = f"for {layout.step}={counts[layout.step]} should be {sorted(expected)!r}"
    else:
        expected = counters | arrays if arrays & set(state) else counters
        should_be = f"should be {sorted(counters)!r}" + (f" or {sorted(counters | arrays)!r}" if arrays else "")
    unknown: Set[Any] = set(state) - expected
    missing = expected - set(state)
    if not unknown and not missing:
        return
    problems = [f"missing {sorted(missing)!r}"] if missing else []
    problems += [f"unknown {sorted(unknown, key=str)!r}"] if unknown else []
    hinted = sorted(key for key in (missing | unknown) & set(layout.hints))
    hint = f"pass a dict returned by {layout.source}"
    if layout.step is not None and unknown & arrays:
        hint = f"the arrays {sorted(arrays)!r} come with {layout.step} > 0 only; {hint}"
    elif hinted:
        hint = layout.hints[hinted[0]]
    raise ValidationError(f"{owner}: state keys {should_be}: {' and '.join(problems)}; {hint}")


def _state_array(owner: str, key: str, value: Any, advice: str) -> np.ndarray:
    if not isinstance(value, np.ndarray) or not np.issubdtype(value.dtype, np.floating):
        raise ValidationError(
            f"{owner}: state[{key!r}] must be a floating-point ndarray (got {_describe(value)}); {advice}"
        )
    if value.ndim != 1:
        raise ValidationError(
            f"{owner}: state[{key!r}] must be one-dimensional, shaped like the parameter vector (got shape {value.shape}); {advice}"
        )
    finite = np.isfinite(value)
    if not finite.all():
        raise ValidationError(
            f"{owner}: state[{key!r}] holds {value.size - int(np.count_nonzero(finite))} NaN or infinite value(s) "
            f"of {value.size}; a state from a diverged run cannot be resumed, {advice}"
        )
    return value


# -- update arguments ------------------------------------------------------------------


def check_update_arrays(owner: str, params: Any, gradient: Any) -> None:
    """Raise :class:`ValidationError` unless ``params`` is a writeable float array shaped like ``gradient``."""
    if not isinstance(params, np.ndarray) or not np.issubdtype(params.dtype, np.floating):
        raise ValidationError(
            f"{owner}: params must be a floating-point numpy array updated in place "
            f"(got {_describe(params)}); pass the network's parameter vector"
        )
    if not params.flags.writeable:
        raise ValidationError(
            f"{owner}: params is read-only; the optimizer updates it in place, pass a writeable array"
        )
    if np.shape(gradient) != params.shape:
        raise ValidationError(
            f"{owner}: gradient has shape {np.shape(gradient)} but params has shape {params.shape}; "
            "pass the gradient of these parameters"
        )


def check_state_matches(owner: str, what: str, state: np.ndarray, params: np.ndarray, fresh: str) -> None:
    """Raise unless an optimizer's state array (``what``: "moments", "velocity") fits ``params``.

    An optimizer instance belongs to one network; ``fresh`` shows how to make
    a new one, e.g. ``"Adam(**opt.get_config())"``.
    """
    if state.shape != params.shape or state.dtype != params.dtype:
        raise ValidationError(
            f"{owner}: this optimizer's {what} {'were' if what.endswith('s') else 'was'} built for params "
            f"of shape {state.shape} and dtype {state.dtype}, but update() got shape {params.shape} and "
            f"dtype {params.dtype}; an optimizer instance belongs to one network: create a new one for "
            f"this network, e.g. {fresh}"
        )
