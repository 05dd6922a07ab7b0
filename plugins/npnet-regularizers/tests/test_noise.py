"""Dropout and Gaussian noise against their definitions: statistics within 5 standard errors, and NumPy's own draws.

The reference draws come from a fresh ``np.random.default_rng(seed)``, made
the way the formulas say: ``u = rng.random(shape, dtype)``, kept where
``u >= rate``; ``n = rng.standard_normal(shape, dtype)``, ``out = a + stddev * n``.
"""

from __future__ import annotations

import math
from typing import Any, List

import numpy as np
import pytest
from npnet_regularizers import Dropout, GaussianNoise

from npnet_core.errors import InvalidParameterError, ValidationError

#: how many standard errors a statistic may stray from its expected value
Z = 5.0
DTYPES = [np.float32, np.float64]


def activations(shape=(200, 500), seed: int = 0, dtype: Any = np.float64) -> np.ndarray:
    """Nonzero activations of both signs (|a| in [0.5, 3]), so a zero in the output can only be a drop."""
    rng = np.random.default_rng(seed)
    return (rng.uniform(0.5, 3.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)).astype(dtype)


# -- dropout ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9])
def test_dropout_drops_a_fraction_rate(rate, dtype):
    """The fraction of zeros in the output is rate, within 5 binomial standard errors, on 100000 outputs."""
    a = activations(dtype=dtype)
    out, scale = Dropout(rate).perturb(a, 0, np.random.default_rng(1))
    dropped = float(np.mean(out == 0))
    assert abs(dropped - rate) <= Z * math.sqrt(rate * (1 - rate) / a.size)
    np.testing.assert_array_equal(out == 0, scale == 0)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("rate", [0.5, 0.75])
def test_dropout_survivors_are_divided_by_the_keep_probability(rate, dtype):
    """Kept outputs are exactly a / (1 - rate) (1 - rate a power of 2, so the division is exact); dropped ones exactly 0."""
    a = activations((50, 40), dtype=dtype)
    out, scale = Dropout(rate).perturb(a, 0, np.random.default_rng(2))
    kept = out != 0
    assert kept.any() and not kept.all()
    np.testing.assert_array_equal(out[kept], a[kept] / dtype(1 - rate))
    np.testing.assert_array_equal(scale[kept], dtype(1 / (1 - rate)))
    np.testing.assert_array_equal(scale[~kept], 0)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_dropout_survivors_with_an_inexact_keep_probability(dtype):
    """For rate 0.3, kept outputs are a times 1 / 0.7 rounded to the dtype: a / 0.7 within one rounding."""
    a = activations((50, 40), dtype=dtype)
    out, _ = Dropout(0.3).perturb(a, 0, np.random.default_rng(2))
    kept = out != 0
    np.testing.assert_array_equal(out[kept], a[kept] * dtype(1 / 0.7))
    np.testing.assert_allclose(out[kept], a[kept] / 0.7, rtol=2 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("rate", [0.2, 0.7])
def test_dropout_mask_is_numpys_uniform_draw_compared_with_rate(rate, dtype):
    """The mask is rng.random(a.shape, dtype=a.dtype) >= rate, drawn from the generator given and nothing else."""
    a = activations((30, 20), dtype=dtype)
    rng = np.random.default_rng(4)
    np.random.seed(123)  # NumPy's global state must play no part
    out, scale = Dropout(rate).perturb(a, 0, rng)
    reference = np.random.default_rng(4)
    kept = reference.random(a.shape, dtype=dtype) >= rate
    np.testing.assert_array_equal(scale != 0, kept)
    assert rng.bit_generator.state == reference.bit_generator.state  # the same number of draws


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_dropout_output_is_a_times_scale_in_the_dtype_of_a(dtype):
    """out == a * scale exactly; both have a's dtype and shape; a is never written."""
    a = activations((8, 6), dtype=dtype)
    a.setflags(write=False)
    out, scale = Dropout(0.4).perturb(a, 0, np.random.default_rng(5))
    assert out.dtype == scale.dtype == dtype
    assert out.shape == scale.shape == a.shape
    np.testing.assert_array_equal(out, a * scale)
    np.testing.assert_array_equal(a, activations((8, 6), dtype=dtype))


def test_dropout_preserves_expectation():
    """Over 4000 draws, the mean output is a, within 5 standard errors (std of one output: |a| sqrt(rate / (1 - rate)))."""
    rate, draws = 0.4, 4000
    a = activations((6, 5), seed=3)
    dropout, rng = Dropout(rate), np.random.default_rng(6)
    total = np.zeros_like(a)
    for _ in range(draws):
        total += dropout.perturb(a, 0, rng)[0]
    standard_error = np.abs(a) * math.sqrt(rate / (1 - rate)) / math.sqrt(draws)
    assert np.all(np.abs(total / draws - a) <= Z * standard_error)


def test_dropout_same_seed_same_mask_other_seed_other_mask():
    """Generators in the same state give the same output; another seed another mask."""
    a = activations((20, 30))
    first = Dropout(0.5).perturb(a, 0, np.random.default_rng(7))
    again = Dropout(0.5).perturb(a, 0, np.random.default_rng(7))
    other = Dropout(0.5).perturb(a, 0, np.random.default_rng(8))
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])


def test_dropout_rate_zero_returns_a_and_draws_nothing():
    """Rate 0: (a, None), a itself, and the generator is not advanced."""
    a = activations((4, 4))
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    out, scale = Dropout(0.0).perturb(a, 0, rng)
    assert out is a and scale is None
    assert rng.bit_generator.state == state


def test_dropout_rate_list_gives_each_hidden_layer_its_rate():
    """rate=[0.2, 0.0, 0.6]: layer 0 drops about 20%, layer 1 nothing (without drawing), layer 2 about 60%."""
    a = activations()
    dropout, rng = Dropout(rate=[0.2, 0.0, 0.6]), np.random.default_rng(9)
    for layer, rate in enumerate([0.2, 0.0, 0.6]):
        state = rng.bit_generator.state
        out, scale = dropout.perturb(a, layer, rng)
        if rate == 0.0:
            assert out is a and scale is None and rng.bit_generator.state == state
        else:
            assert abs(float(np.mean(out == 0)) - rate) <= Z * math.sqrt(rate * (1 - rate) / a.size)
            np.testing.assert_array_equal(scale[scale != 0], 1 / (1 - rate))


def test_dropout_layer_beyond_the_rate_list_is_refused():
    """A hidden layer with no rate in the list raises ValidationError saying how many rates came."""
    dropout = Dropout(rate=[0.2, 0.3])
    with pytest.raises(ValidationError, match=r"^dropout: 2 rates were given .* the network has more hidden layers"):
        dropout.perturb(activations((2, 2)), 2, np.random.default_rng(0))
    with pytest.raises(ValidationError, match=r"^dropout: 1 rate was given "):
        Dropout(rate=[0.2]).perturb(activations((2, 2)), 1, np.random.default_rng(0))


def test_dropout_float_rate_applies_to_every_layer():
    """A single rate applies to hidden layer 7 as to layer 0: the same generator state gives the same mask."""
    a = activations((10, 10))
    at_0 = Dropout(0.3).perturb(a, 0, np.random.default_rng(3))[1]
    at_7 = Dropout(0.3).perturb(a, 7, np.random.default_rng(3))[1]
    np.testing.assert_array_equal(at_0, at_7)


def test_dropout_float16_keeps_its_dtype():
    """A float16 activation (drawn in float64 and compared there) gives float16 outputs dropping about rate."""
    a = activations(dtype=np.float16)
    out, scale = Dropout(0.25).perturb(a, 0, np.random.default_rng(0))
    assert out.dtype == scale.dtype == np.float16
    assert abs(float(np.mean(out == 0)) - 0.25) <= Z * math.sqrt(0.25 * 0.75 / a.size)


def test_dropout_penalty_is_zero_and_leaves_grad():
    """dropout penalizes nothing: 0.0, grad untouched."""
    w, grad = np.ones((3, 3)), np.full((3, 3), 0.5)
    assert Dropout().penalty(w, grad) == 0.0
    np.testing.assert_array_equal(grad, 0.5)


BAD_RATES: List[Any] = [-0.1, 1.0, 1.5, float("nan"), float("inf"), True, False, "0.5", None]
BAD_RATE_LISTS: List[Any] = [[], [0.5, 1.0], [0.5, True], [[0.5]], [0.5, None], (0.2, -0.2)]


@pytest.mark.parametrize("bad", BAD_RATES, ids=repr)
def test_bad_rates_are_refused(bad):
    """A rate that is not a number in [0, 1) is refused at construction, naming rate and what it must be."""
    with pytest.raises(InvalidParameterError, match=r"^dropout: rate must be"):
        Dropout(bad)


@pytest.mark.parametrize("bad", BAD_RATE_LISTS, ids=repr)
def test_bad_rate_lists_are_refused(bad):
    """A list is refused when empty, or naming its first bad item (rate[i])."""
    with pytest.raises(InvalidParameterError, match=r"^dropout: rate(\[\d\])? (must be|is an empty list)"):
        Dropout(rate=bad)


def test_bad_rate_messages_say_what_to_do():
    """The messages say what came and what is expected."""
    with pytest.raises(InvalidParameterError, match=r"rate\[1\] must be in \[0, 1\) \(got 1.0\)"):
        Dropout([0.5, 1.0])
    with pytest.raises(InvalidParameterError, match=r"a list of numbers with one per hidden layer \(got '0.5'"):
        Dropout("0.5")


@pytest.mark.parametrize("rate", [0.5, 0.25, [0.1, 0.0, 0.3]], ids=repr)
def test_dropout_get_config_round_trip(rate):
    """get_config gives {"rate": ...}; Dropout(**config) has the same config and draws the same masks."""
    dropout = Dropout(rate)
    config = dropout.get_config()
    assert config == {"rate": rate}
    rebuilt = Dropout(**config)
    assert rebuilt.get_config() == config
    a = activations((5, 5))
    np.testing.assert_array_equal(
        dropout.perturb(a, 0, np.random.default_rng(1))[0], rebuilt.perturb(a, 0, np.random.default_rng(1))[0]
    )


def test_dropout_get_config_returns_a_copy_of_the_list():
    """Changing the returned list does not change the regularizer; a tuple comes back as a list."""
    dropout = Dropout((0.1, 0.2))
    config = dropout.get_config()
    assert config == {"rate": [0.1, 0.2]}
    config["rate"][0] = 0.9
    assert dropout.get_config() == {"rate": [0.1, 0.2]}


# -- gaussian noise --------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("stddev", [0.05, 0.3, 2.0])
def test_gaussian_noise_has_mean_zero_and_the_given_stddev(stddev, dtype):
    """out - a has mean 0 and standard deviation stddev, within 5 standard errors on 100000 outputs; scale is None."""
    a = activations(dtype=dtype)
    out, scale = GaussianNoise(stddev).perturb(a, 0, np.random.default_rng(1))
    assert scale is None
    assert out.dtype == dtype and out.shape == a.shape
    noise = out.astype(np.float64) - a.astype(np.float64)
    n = noise.size
    assert abs(noise.mean()) <= Z * stddev / math.sqrt(n)
    assert abs(noise.std() - stddev) <= Z * stddev / math.sqrt(2 * n) + 4 * np.finfo(dtype).eps * 3.0


def test_gaussian_noise_is_a_plus_stddev_times_numpys_standard_normal():
    """In float64, out == a + stddev * n exactly, n = default_rng(seed).standard_normal(a.shape); a is not written."""
    a = activations((30, 20))
    a.setflags(write=False)
    rng = np.random.default_rng(4)
    np.random.seed(1)  # NumPy's global state must play no part
    out, _ = GaussianNoise(0.3).perturb(a, 0, rng)
    reference = np.random.default_rng(4)
    np.testing.assert_array_equal(out, a + 0.3 * reference.standard_normal(a.shape))
    assert rng.bit_generator.state == reference.bit_generator.state
    np.testing.assert_array_equal(a, activations((30, 20)))


def test_gaussian_noise_draws_float32_directly():
    """In float32 the noise is standard_normal(shape, dtype=float32) scaled in float32."""
    a = activations((30, 20), dtype=np.float32)
    out, _ = GaussianNoise(0.3).perturb(a, 0, np.random.default_rng(4))
    n = np.random.default_rng(4).standard_normal(a.shape, dtype=np.float32)
    np.testing.assert_array_equal(out, a + np.float32(0.3) * n)


def test_gaussian_noise_per_layer_and_zero():
    """stddev=[0.5, 0.0]: layer 0 noisy, layer 1 returned as is without drawing, layer 2 refused."""
    a = activations((100, 100))
    noise, rng = GaussianNoise([0.5, 0.0]), np.random.default_rng(0)
    out, _ = noise.perturb(a, 0, rng)
    assert abs(float(np.std(out - a)) - 0.5) <= Z * 0.5 / math.sqrt(2 * a.size)
    state = rng.bit_generator.state
    out, scale = noise.perturb(a, 1, rng)
    assert out is a and scale is None and rng.bit_generator.state == state
    with pytest.raises(ValidationError, match=r"^gaussian_noise: 2 stddevs were given .* more hidden layers"):
        noise.perturb(a, 2, rng)


def test_gaussian_noise_penalty_is_zero():
    """gaussian_noise penalizes nothing: 0.0, grad untouched."""
    grad = np.full((2, 2), 0.5)
    assert GaussianNoise().penalty(np.ones((2, 2)), grad) == 0.0
    np.testing.assert_array_equal(grad, 0.5)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), True, "0.1", None, [], [0.1, -1.0]], ids=repr)
def test_bad_stddevs_are_refused(bad):
    """A stddev that is not a finite number >= 0 (or a non-empty list of them) is refused at construction."""
    with pytest.raises(InvalidParameterError, match=r"^gaussian_noise: stddev(\[\d\])? (must be|is an empty list)"):
        GaussianNoise(bad)


@pytest.mark.parametrize("stddev", [0.1, 1, [0.2, 0.0]], ids=repr)
def test_gaussian_noise_get_config_round_trip(stddev):
    """get_config gives {"stddev": ...} as floats; GaussianNoise(**config) has the same config."""
    config = GaussianNoise(stddev).get_config()
    assert config == {"stddev": stddev}
    values = config["stddev"] if isinstance(stddev, list) else [config["stddev"]]
    assert all(type(v) is float for v in values)
    assert GaussianNoise(**config).get_config() == config
