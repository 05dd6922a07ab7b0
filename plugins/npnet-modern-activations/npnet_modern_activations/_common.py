"""Helpers shared by the components of this plugin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

import numpy as np

from npnet_core.errors import InvalidParameterError
from npnet_core.optimizer_tools import show_value

__all__ = ["OneOf", "Stateless", "as_float"]


def as_float(x: Any, dtype: Optional[np.dtype] = None) -> np.ndarray:
    """Return ``x`` as a floating ndarray, copying only when needed.

    Parameters
    ----------
    x : array_like
    dtype : dtype, optional
        Convert to this dtype; by default keep a floating dtype and turn
        anything else (integers, booleans) into float64.

    Returns
    -------
    ndarray of the same shape as ``x``
    """
    x = np.asarray(x, dtype=dtype)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return x


class Stateless:
    """Mixin for components without hyperparameters or state."""

    name: str

    def get_config(self) -> Dict[str, Any]:
        """Return the hyperparameters: none, so ``type(self)(**{})`` rebuilds it."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


@dataclass(frozen=True)
class OneOf:
    """One of a few strings (an :class:`npnet_core.optimizer_tools.Constraint`), returned as a ``str``.

    Refused: ``"{owner}: {name} must be one of 'a' or 'b' (got ...); {advice}"``.
    """

    choices: Tuple[str, ...]
    advice: str

    def check(self, owner: str, name: str, value: Any) -> str:
        """Return ``str(value)``, or raise :class:`~npnet_core.errors.InvalidParameterError`."""
        if not isinstance(value, str) or value not in self.choices:
            listed = " or ".join(repr(choice) for choice in self.choices)
            raise InvalidParameterError(
                f"{owner}: {name} must be one of {listed} (got {show_value(value)}); {self.advice}"
            )
        return str(value)
