"""Shared test helpers: a central finite-difference gradient."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pytest


def central_difference(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Gradient of the scalar ``f`` at ``x`` (float64) by central differences."""
    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        up = f(x.copy())
        x[index] = old - h
        down = f(x.copy())
        x[index] = old
        grad[index] = (up - down) / (2 * h)
    return grad


@pytest.fixture
def numerical_gradient() -> Callable[..., np.ndarray]:
    """The central finite-difference gradient ``numerical_gradient(f, x)``."""
    return central_difference


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
