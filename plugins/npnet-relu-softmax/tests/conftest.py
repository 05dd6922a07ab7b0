"""Shared test helpers: a central finite-difference gradient."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pytest

from npnet_core.testing import central_difference


@pytest.fixture
def numerical_gradient() -> Callable[..., np.ndarray]:
    """``numerical_gradient(f, x)``: npnet's central differences, at a float64 copy of ``x``."""
    return lambda f, x, h=1e-6: central_difference(lambda v: f(v.copy()), np.array(x, dtype=np.float64), h)


#: Shapes for gradient checks: one row, one unit, one element, a general batch.
SHAPES = [(1, 5), (4, 1), (1, 1), (3, 4)]


@pytest.fixture(params=SHAPES, ids=lambda s: "x".join(map(str, s)))
def shape(request: pytest.FixtureRequest) -> tuple:
    """Each shape of :data:`SHAPES`."""
    return request.param


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded random generator."""
    return np.random.default_rng(12345)
