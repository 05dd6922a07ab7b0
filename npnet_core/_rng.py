"""Seeds and random generators.

Every random draw in npnet (initialisation, shuffling, splits) comes from a
``numpy.random.Generator`` made by :func:`make_rng`. An explicit seed makes a
run repeatable on its own. ``seed=None`` takes a seed from NumPy's global
random state, so ``np.random.seed(0)``, the idiom of the article's era, also
makes runs repeatable; without it the global state is itself seeded from the
operating system.
"""

from __future__ import annotations

from typing import Union

import numpy as np

from .errors import ValidationError

__all__ = ["Seed", "make_rng"]

Seed = Union[None, int, np.random.Generator, np.random.SeedSequence]


def make_rng(seed: Seed) -> np.random.Generator:
    """Return a Generator for ``seed`` (a Generator is used as it is, not copied)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng(np.random.randint(0, 2**31 - 1, size=4, dtype=np.int64).tolist())
    if isinstance(seed, np.random.SeedSequence) or (
        isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0
    ):
        return np.random.default_rng(seed)
    raise ValidationError(f"seed must be None, a non-negative int, a numpy SeedSequence or Generator (got {seed!r})")
