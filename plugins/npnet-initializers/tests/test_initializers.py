"""The initializers against their formulas (statistics of a large layer) and against npnet-core 0.1's draws, bit for bit."""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict, Tuple

import numpy as np
import pytest
from npnet_initializers import ArticleNormal, GlorotNormal, GlorotUniform, HeNormal, HeUniform, LecunNormal, Zeros

#: the large layer the statistics are taken on, and its number of weights
FAN_IN, FAN_OUT = 1000, 500
N = FAN_IN * FAN_OUT
#: how many standard errors a statistic may stray from its expected value
Z = 5.0

#: the formulas, by hand: the limit r of U(-r, r), or the standard deviation of N(0, std)
UNIFORM_LIMITS: Dict[str, Callable[[int, int], float]] = {
    "glorot_uniform": lambda fan_in, fan_out: np.sqrt(6.0 / (fan_in + fan_out)),
    "he_uniform": lambda fan_in, fan_out: np.sqrt(6.0 / fan_in),
}
NORMAL_STDS: Dict[str, Callable[[int, int], float]] = {
    "glorot_normal": lambda fan_in, fan_out: np.sqrt(2.0 / (fan_in + fan_out)),
    "he_normal": lambda fan_in, fan_out: np.sqrt(2.0 / fan_in),
    "lecun_normal": lambda fan_in, fan_out: np.sqrt(1.0 / fan_in),
    "article": lambda fan_in, fan_out: np.sqrt(1.0 / (fan_in + fan_out)),
}

INITIALIZERS: Dict[str, Any] = {
    init.name: init
    for init in (GlorotUniform(), GlorotNormal(), HeUniform(), HeNormal(), LecunNormal(), ArticleNormal(), Zeros())
}
ZERO_BIASES = [name for name in INITIALIZERS if name != "article"]


# The reference for reproducibility: npnet-core 0.1's initialisers, copied from
# `git show 2e8b257:npnet_core/initializers.py` (the previous release).


def _old_glorot_uniform(rng: np.random.Generator, w: np.ndarray, b: np.ndarray) -> None:
    fan_in, fan_out = w.shape
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    w[...] = rng.uniform(-limit, limit, size=w.shape)
    b[...] = 0


def _old_glorot_normal(rng: np.random.Generator, w: np.ndarray, b: np.ndarray) -> None:
    fan_in, fan_out = w.shape
    w[...] = rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=w.shape)
    b[...] = 0


def _old_he_uniform(rng: np.random.Generator, w: np.ndarray, b: np.ndarray) -> None:
    limit = np.sqrt(6.0 / w.shape[0])
    w[...] = rng.uniform(-limit, limit, size=w.shape)
    b[...] = 0


def _old_he_normal(rng: np.random.Generator, w: np.ndarray, b: np.ndarray) -> None:
    w[...] = rng.normal(0.0, np.sqrt(2.0 / w.shape[0]), size=w.shape)
    b[...] = 0


def _old_article(rng: np.random.Generator, w: np.ndarray, b: np.ndarray) -> None:
    fan_in, fan_out = w.shape
    std = np.sqrt(1.0 / (fan_in + fan_out))
    w[...] = rng.normal(0.0, std, size=w.shape)
    b[...] = rng.normal(0.0, std, size=b.shape)


OLD = {
    "glorot_uniform": _old_glorot_uniform,
    "glorot_normal": _old_glorot_normal,
    "he_uniform": _old_he_uniform,
    "he_normal": _old_he_normal,
    "article": _old_article,
}


def _empty_layer(fan_in: int, fan_out: int, dtype: Any = np.float64) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A NaN-filled flat vector ``[W.ravel(), b]`` and the views ``W`` (fan_in, fan_out) and ``b`` (1, fan_out) into it."""
    flat = np.full(fan_in * fan_out + fan_out, np.nan, dtype=dtype)
    return flat, flat[: fan_in * fan_out].reshape(fan_in, fan_out), flat[fan_in * fan_out :].reshape(1, fan_out)


@functools.lru_cache(maxsize=None)
def _large_layer(name: str) -> Tuple[np.ndarray, np.ndarray]:
    """The weights and biases ``name`` gives a 1000 x 500 float64 layer, seed 0 (filled once, read-only)."""
    _, weights, biases = _empty_layer(FAN_IN, FAN_OUT)
    INITIALIZERS[name].initialize(weights, biases, np.random.default_rng(0))
    weights.flags.writeable = biases.flags.writeable = False
    return weights, biases


def _assert_mean_and_std_normal(values: np.ndarray, std: float, what: str) -> None:
    """Mean 0 and standard deviation ``std`` within Z standard errors (std/sqrt(n) and std/sqrt(2n))."""
    n = values.size
    assert abs(values.mean()) <= Z * std / np.sqrt(n), f"{what}: mean {values.mean():.3g}"
    assert abs(values.std() - std) <= Z * std / np.sqrt(2 * n), f"{what}: std {values.std():.6g}, expected {std:.6g}"


@pytest.mark.parametrize("name", sorted(UNIFORM_LIMITS))
def test_uniform_weights_stay_within_the_limit_and_reach_both_ends(name):
    """U(-r, r) weights lie in [-r, r], and come within 50/n * r of each end (missed with probability e^-25)."""
    weights, _ = _large_layer(name)
    r = UNIFORM_LIMITS[name](FAN_IN, FAN_OUT)
    # P(no draw in the top fraction d of [-r, r]) = (1 - d/2)^n ~ exp(-n d / 2) = exp(-25) for d = 50/n
    gap = 50.0 / N * r
    assert -r <= weights.min() <= -r + gap
    assert r - gap <= weights.max() <= r


@pytest.mark.parametrize("name", sorted(UNIFORM_LIMITS))
def test_uniform_weights_have_mean_zero_and_variance_r_squared_over_3(name):
    """U(-r, r) weights: mean 0 (SE r/sqrt(3n)) and variance r^2/3 (SE r^2 sqrt(4/45n)), within 5 standard errors."""
    weights, _ = _large_layer(name)
    r = UNIFORM_LIMITS[name](FAN_IN, FAN_OUT)
    assert abs(weights.mean()) <= Z * r / np.sqrt(3 * N)
    # Var(x^2) = E[x^4] - E[x^2]^2 = r^4/5 - r^4/9 = 4 r^4 / 45
    assert abs(weights.var() - r**2 / 3) <= Z * r**2 * np.sqrt(4.0 / 45.0 / N)


@pytest.mark.parametrize("name", sorted(NORMAL_STDS))
def test_normal_weights_have_mean_zero_and_the_formula_std(name):
    """N(0, std) weights: mean 0 and standard deviation the formula's, within 5 standard errors."""
    weights, _ = _large_layer(name)
    _assert_mean_and_std_normal(weights, NORMAL_STDS[name](FAN_IN, FAN_OUT), f"{name} weights")


@pytest.mark.parametrize("name", sorted(NORMAL_STDS))
def test_normal_weights_have_kurtosis_3_not_the_uniform_1_8(name):
    """N(0, std) weights: E[x^4]/E[x^2]^2 is 3 within 5 standard errors (sqrt(24/n)); a uniform draw gives 1.8."""
    weights, _ = _large_layer(name)
    centred = weights - weights.mean()
    kurtosis = np.mean(centred**4) / np.mean(centred**2) ** 2
    assert abs(kurtosis - 3.0) <= Z * np.sqrt(24.0 / N)


@pytest.mark.parametrize("name", ZERO_BIASES)
def test_biases_are_zero(name):
    """Every initializer but the article's sets the biases to exactly 0."""
    _, biases = _large_layer(name)
    assert np.array_equal(biases, np.zeros((1, FAN_OUT)))


def test_zeros_sets_every_weight_to_zero_and_draws_nothing():
    """zeros writes 0 into every weight and bias and leaves the generator's state as it was."""
    _, weights, biases = _empty_layer(30, 20)
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    Zeros().initialize(weights, biases, rng)
    assert np.array_equal(weights, np.zeros((30, 20))) and np.array_equal(biases, np.zeros((1, 20)))
    assert rng.bit_generator.state == before


def test_article_biases_have_the_weights_std():
    """article's biases are N(0, sqrt(1/(fan_in + fan_out))) too: checked on a 20 x 50000 layer, 5 standard errors."""
    fan_in, fan_out = 20, 50_000
    _, weights, biases = _empty_layer(fan_in, fan_out)
    ArticleNormal().initialize(weights, biases, np.random.default_rng(1))
    _assert_mean_and_std_normal(biases, np.sqrt(1.0 / (fan_in + fan_out)), "article biases")


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_float32_layer_gets_the_float64_draw_rounded_to_float32(name):
    """A float32 layer stays float32, written in place, with the float64 layer's values (same seed) rounded to float32."""
    flat32, weights32, biases32 = _empty_layer(40, 30, np.float32)
    flat64, weights64, biases64 = _empty_layer(40, 30, np.float64)
    INITIALIZERS[name].initialize(weights32, biases32, np.random.default_rng(2))
    INITIALIZERS[name].initialize(weights64, biases64, np.random.default_rng(2))
    assert (flat32.dtype, weights32.dtype, biases32.dtype) == (np.float32, np.float32, np.float32)
    assert np.shares_memory(weights32, flat32) and np.shares_memory(biases32, flat32)
    assert np.array_equal(flat32, flat64.astype(np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(OLD))
def test_draws_equal_npnet_core_0_1_bit_for_bit(name, dtype):
    """Layer after layer from one generator, the draws equal npnet-core 0.1's, so seeded networks do not change."""
    shapes = [(1, 1), (64, 32), (32, 10), (7, 300)]
    for seed in (0, 42, 2024):
        new_rng, old_rng = np.random.default_rng(seed), np.random.default_rng(seed)
        for fan_in, fan_out in shapes:
            new, new_weights, new_biases = _empty_layer(fan_in, fan_out, dtype)
            old, old_weights, old_biases = _empty_layer(fan_in, fan_out, dtype)
            INITIALIZERS[name].initialize(new_weights, new_biases, new_rng)
            OLD[name](old_rng, old_weights, old_biases)
            assert np.array_equal(new, old), f"{name}, seed {seed}, {fan_in} x {fan_out} {np.dtype(dtype).name}"
        assert new_rng.bit_generator.state == old_rng.bit_generator.state
