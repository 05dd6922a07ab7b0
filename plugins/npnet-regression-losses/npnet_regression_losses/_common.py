"""Helpers shared by the components of this plugin."""

from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

__all__ = ["Stateless", "as_float", "difference"]


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


def difference(y_pred: Any, y_true: Any) -> np.ndarray:
    """Return ``y_pred - y_true`` in a new array of the dtype of ``y_pred`` (``y_true`` is converted to it)."""
    y_pred = as_float(y_pred)
    return y_pred - as_float(y_true, y_pred.dtype)


class Stateless:
    """Mixin for components without hyperparameters or state."""

    name: str

    def get_config(self) -> Dict[str, Any]:
        """Return the hyperparameters: none, so ``type(self)(**{})`` rebuilds it."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
