"""Contract checks for initializers.

Each check fills layers laid out as in a network: views into one flat vector,
with guard entries around them, first set to NaN, so that an entry left
unwritten, or written outside the views, shows.
"""

from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from ._report import violation

__all__ = ["check_initializer_deterministic", "check_initializer_fills_in_place", "check_initializer_scale_bounded"]

#: (fan_in, fan_out) of the layers the checks fill: one unit, a small layer, a wide one
SHAPES = [(1, 1), (3, 5), (64, 32)]


def _layer(shape: Tuple[int, int], dtype: Any) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A NaN-filled vector ``[guard, W.ravel(), b, guard]`` and the views ``W`` and ``b`` into it."""
    fan_in, fan_out = shape
    n_weights = fan_in * fan_out
    flat = np.full(n_weights + fan_out + 2, np.nan, dtype=dtype)
    return flat, flat[1 : 1 + n_weights].reshape(fan_in, fan_out), flat[1 + n_weights : -1].reshape(1, fan_out)


def check_initializer_fills_in_place(initializer: Any) -> None:
    """initialize writes every weight and bias in place, finite, and nothing around them, in float32 and float64."""
    for dtype in (np.float32, np.float64):
        for shape in SHAPES:
            flat, weights, biases = _layer(shape, dtype)
            returned = initializer.initialize(weights, biases, np.random.default_rng(0))
            where = f"a {shape[0]} x {shape[1]} {np.dtype(dtype).name} layer"
            if returned is not None:
                raise violation(
                    initializer, "check_initializer_fills_in_place", f"on {where} it returned {returned!r}, not None"
                )
            unwritten = int(np.sum(~np.isfinite(flat[1:-1])))
            if unwritten:
                raise violation(
                    initializer,
                    "check_initializer_fills_in_place",
                    f"on {where}, {unwritten} of {flat.size - 2} weights and biases are NaN or infinite afterwards: "
                    "fill the views in place (weights[...] = ...), do not rebind them",
                )
            if not (np.isnan(flat[0]) and np.isnan(flat[-1])):
                raise violation(
                    initializer, "check_initializer_fills_in_place", f"on {where} it wrote outside the given views"
                )


def check_initializer_deterministic(initializer: Any) -> None:
    """The same generator state gives the same values, whatever NumPy's global random state."""
    results = []
    for global_seed in (1, 2):
        np.random.seed(global_seed)
        _, weights, biases = _layer((16, 8), np.float64)
        initializer.initialize(weights, biases, np.random.default_rng(5))
        results.append(np.concatenate([weights.ravel(), biases.ravel()]))
    if not np.array_equal(results[0], results[1], equal_nan=True):
        raise violation(
            initializer,
            "check_initializer_deterministic",
            "two generators in the same state gave different values; draw only from the rng given, "
            "never from np.random's global state",
        )


def check_initializer_scale_bounded(initializer: Any) -> None:
    """On a 256 x 256 layer the weights' standard deviation is at most 1, so signals do not grow layer by layer."""
    _, weights, biases = _layer((256, 256), np.float64)
    initializer.initialize(weights, biases, np.random.default_rng(3))
    std = float(np.std(weights))
    if not std <= 1.0:
        raise violation(
            initializer,
            "check_initializer_scale_bounded",
            f"the weights of a 256 x 256 layer have standard deviation {std:.4g}; expected at most 1 "
            "(scale with the fan-in or fan-out, as Glorot and He do)",
        )
