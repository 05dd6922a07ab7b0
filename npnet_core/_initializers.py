"""Weight initialisers, chosen by name.

Each fills one layer's weight matrix ``W`` of shape (fan_in, fan_out) and bias
row ``b`` of shape (1, fan_out) in place, drawing from a NumPy ``Generator``.

- ``"glorot_uniform"`` (the default, as in Keras): ``W ~ U(-r, r)`` with
  ``r = sqrt(6 / (fan_in + fan_out))``, ``b = 0``.
- ``"glorot_normal"``: ``W ~ N(0, sqrt(2 / (fan_in + fan_out)))``, ``b = 0``.
- ``"he_uniform"``: ``W ~ U(-r, r)`` with ``r = sqrt(6 / fan_in)``, ``b = 0``
  (suits ReLU layers).
- ``"he_normal"``: ``W ~ N(0, sqrt(2 / fan_in))``, ``b = 0``.
- ``"article"``: the article's "Xavier variant": ``W`` and ``b`` both
  ``~ N(0, sqrt(1 / (fan_in + fan_out)))``, drawn W then b, layer by layer.
"""

from __future__ import annotations

import difflib
from typing import Callable, Dict

import numpy as np

from .errors import InvalidParameterError

__all__ = ["INITIALIZERS", "Initializer", "get_initializer"]

Initializer = Callable[[np.random.Generator, np.ndarray, np.ndarray], None]


def _glorot_uniform(rng: np.random.Generator, w: np.ndarray, b: np.ndarray) -> None:
    fan_in, fan_out = w.shape
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    w[...] = rng.uniform(-limit, limit, size=w.shape)
    b[...] = 0


def _glorot_normal(rng: np.random.Generator, w: np.ndarray, b: np.ndarray) -> None:
    fan_in, fan_out = w.shape
    w[...] = rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=w.shape)
    b[...] = 0


def _he_uniform(rng: np.random.Generator, w: np.ndarray, b: np.ndarray) -> None:
    limit = np.sqrt(6.0 / w.shape[0])
    w[...] = rng.uniform(-limit, limit, size=w.shape)
    b[...] = 0


def _he_normal(rng: np.random.Generator, w: np.ndarray, b: np.ndarray) -> None:
    w[...] = rng.normal(0.0, np.sqrt(2.0 / w.shape[0]), size=w.shape)
    b[...] = 0


def _article(rng: np.random.Generator, w: np.ndarray, b: np.ndarray) -> None:
    fan_in, fan_out = w.shape
    std = np.sqrt(1.0 / (fan_in + fan_out))
    w[...] = rng.normal(0.0, std, size=w.shape)
    b[...] = rng.normal(0.0, std, size=b.shape)


INITIALIZERS: Dict[str, Initializer] = {
    "article": _article,
    "glorot_normal": _glorot_normal,
    "glorot_uniform": _glorot_uniform,
    "he_normal": _he_normal,
    "he_uniform": _he_uniform,
}


def get_initializer(name: str) -> Initializer:
    """Return the initialiser called ``name``."""
    try:
        return INITIALIZERS[name]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(name), list(INITIALIZERS), n=3)
        hint = "; did you mean " + " or ".join(repr(c) for c in close) + "?" if close else ";"
        raise InvalidParameterError(
            f"unknown initializer {name!r}{hint} choose one of: {', '.join(INITIALIZERS)}"
        ) from None
