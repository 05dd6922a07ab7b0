"""Central finite differences, the reference for every gradient in npnet."""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["central_difference"]


def central_difference(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Return the gradient of the scalar function ``f`` at ``x`` by central differences.

    ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every entry ``i``. ``x``
    must be float64; it is perturbed in place one entry at a time and restored,
    so ``f`` may read it through views (a network's parameter vector).

    Parameters
    ----------
    f : callable
        Maps ``x`` to a float.
    x : ndarray of float64, any shape
    eps : float, default 1e-6

    Returns
    -------
    grad : ndarray of the shape of ``x``
    """
    if x.dtype != np.float64:
        raise TypeError(f"finite differences need float64 to be meaningful (got {x.dtype})")
    grad = np.zeros_like(x)
    flat, out = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("x must be contiguous so that it can be perturbed in place")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f(x)
        flat[i] = old - eps
        down = f(x)
        flat[i] = old
        out[i] = (up - down) / (2 * eps)
    return grad
