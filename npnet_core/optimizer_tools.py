"""Tools for optimizer plugins: the argument checks of npnet's own optimizers.

They raise npnet's errors with its messages (what was expected, what came,
what to do), prefixed by the optimizer's name, and return hyperparameters as
plain Python values, so that float32 parameters are never promoted::

    from npnet_core.optimizer_tools import check_positive, check_update_arrays

    class Lion:
        name = "lion"

        def __init__(self, learning_rate=1e-4):
            self.learning_rate = check_positive("lion", "learning_rate", learning_rate, usual=1e-4)

        def update(self, params, gradient):
            check_update_arrays("lion", params, gradient)
            ...
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .errors import InvalidParameterError, ValidationError

__all__ = [
    "check_flag",
    "check_fraction",
    "check_positive",
    "check_state_matches",
    "check_update_arrays",
    "show_value",
]


def show_value(value: Any) -> str:
    """Format a bad value for an error message: numbers as ``str`` (``-1``, not ``np.int64(-1)``), the rest by ``repr``."""
    return str(value) if isinstance(value, numbers.Real) else repr(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


# -- hyperparameters -------------------------------------------------------------------


def check_positive(owner: str, name: str, value: Any, *, usual: float) -> float:
    """Return ``value`` as a float if it is a finite number > 0, else raise.

    Raises
    ------
    InvalidParameterError
        ``"{owner}: {name} must be a finite number > 0 (got ...); the usual value is {usual}"``.
    """
    if not _is_number(value) or not math.isfinite(value) or value <= 0:
        raise InvalidParameterError(
            f"{owner}: {name} must be a finite number > 0 (got {show_value(value)}); the usual value is {usual}"
        )
    return float(value)


def check_fraction(owner: str, name: str, value: Any, *, advice: str) -> float:
    """Return ``value`` as a float if it is in [0, 1) (a decay rate), else raise.

    ``advice`` ends the message: "the usual value is 0.9", for example.
    """
    if not _is_number(value) or not 0 <= value < 1:
        raise InvalidParameterError(f"{owner}: {name} must be in [0, 1) (got {show_value(value)}); {advice}")
    return float(value)


def check_flag(owner: str, name: str, value: Any) -> bool:
    """Return ``value`` as a bool if it is True or False (NumPy's too), else raise."""
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidParameterError(f"{owner}: {name} must be True or False (got {show_value(value)})")
    return bool(value)


# -- arrays ----------------------------------------------------------------------------


def check_update_arrays(owner: str, params: Any, gradient: Any) -> None:
    """Raise :class:`ValidationError` unless ``params`` is a writeable float array shaped like ``gradient``."""
    if not isinstance(params, np.ndarray) or not np.issubdtype(params.dtype, np.floating):
        raise ValidationError(
            f"{owner}: params must be a floating-point numpy array updated in place "
            f"(got {type(params).__name__} {getattr(params, 'dtype', '')}); pass the network's parameter vector"
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
