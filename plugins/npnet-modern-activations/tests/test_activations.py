"""LeakyReLU, ELU, GELU, SiLU and Softplus: values worked by hand, gradients, dtype, extremes, parameters."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from npnet_modern_activations import ELU, GELU, LeakyReLU, SiLU, Softplus

from npnet_core.errors import InvalidParameterError
from npnet_core.protocols import Activation

#: every class with default and other parameters, as the contract suite runs them
CONFIGURED = [
    LeakyReLU(),
    LeakyReLU(negative_slope=0.2),
    ELU(),
    ELU(alpha=0.5),
    GELU(),
    GELU(approximate="tanh"),
    SiLU(),
    Softplus(),
    Softplus(beta=2.0, threshold=10.0),
]
LN2, LN3 = math.log(2.0), math.log(3.0)


def normal_cdf(x: float) -> float:
    """The standard normal distribution function from Python's math.erfc (the C library's)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


# --- values worked by hand ------------------------------------------------------


def test_leaky_relu_scales_non_positive_inputs_by_the_slope() -> None:
    """leaky_relu(z; 0.2) = z for z > 0 and 0.2 z otherwise; the derivative at 0 is 0.2 (PyTorch's)."""
    z = np.array([[-2.0, 0.0, 3.0, -0.5]])
    act = LeakyReLU(negative_slope=0.2)
    np.testing.assert_allclose(act.forward(z), [[-0.4, 0.0, 3.0, -0.1]], rtol=1e-15)
    g = np.array([[10.0, 10.0, 10.0, -1.0]])
    np.testing.assert_allclose(act.backward(z, act.forward(z), g), [[2.0, 2.0, 10.0, -0.2]], rtol=1e-15)


def test_leaky_relu_with_slope_zero_is_relu() -> None:
    """negative_slope=0 gives max(z, 0) and the gradient 1 where z > 0, 0 elsewhere."""
    z = np.array([[-2.0, 0.0, 3.0]])
    act = LeakyReLU(negative_slope=0)
    np.testing.assert_array_equal(act.forward(z), [[0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(act.backward(z, act.forward(z), np.ones_like(z)), [[0.0, 0.0, 1.0]])


def test_elu_matches_hand_values() -> None:
    """elu(-ln 2; alpha=0.5) = 0.5 * (1/2 - 1) = -0.25, derivative 0.5 * 1/2 = 0.25; alpha at 0, 1 above."""
    z = np.array([[-LN2, 0.0, 2.0]])
    act = ELU(alpha=0.5)
    np.testing.assert_allclose(act.forward(z), [[-0.25, 0.0, 2.0]], rtol=1e-15)
    np.testing.assert_allclose(act.backward(z, act.forward(z), np.ones_like(z)), [[0.25, 0.5, 1.0]], rtol=1e-15)


def test_gelu_matches_the_normal_distribution_function() -> None:
    """gelu(z) = z * Phi(z), with Phi from tables: Phi(1), Phi(-1), Phi(2), Phi(-2) to 21 digits."""
    cdf = {1: 0.841344746068542948585, -1: 0.158655253931457051415, 2: 0.977249868051820792800}
    cdf[-2] = 0.0227501319481792072003
    phi1 = 0.241970724519143349799  # phi(1) = exp(-1/2) / sqrt(2 pi)
    z = np.array([[1.0, -1.0, 2.0, -2.0, 0.0]])
    expected = [[cdf[1], -cdf[-1], 2 * cdf[2], -2 * cdf[-2], 0.0]]
    # 1e-15: z / sqrt(2) is rounded before erfc (as PyTorch does), which erfc(1.41...) magnifies 4-fold
    np.testing.assert_allclose(GELU().forward(z), expected, rtol=1e-15)
    # the derivative Phi(z) + z phi(z): at 1, Phi(1) + phi(1); at -1, Phi(-1) - phi(1); at 0, 1/2
    grad = GELU().backward(z[:, [0, 1, 4]], None, np.ones((1, 3)))
    np.testing.assert_allclose(grad, [[cdf[1] + phi1, cdf[-1] - phi1, 0.5]], rtol=1e-15)


def test_gelu_tanh_matches_its_formula_by_hand() -> None:
    """At z = 1: inner = sqrt(2/pi) * 1.044715, gelu = 0.5 * (1 + tanh(inner)), by Python's math."""
    inner = math.sqrt(2 / math.pi) * (1 + 0.044715)
    t = math.tanh(inner)
    derivative = 0.5 * (1 + t) + 0.5 * (1 - t * t) * math.sqrt(2 / math.pi) * (1 + 3 * 0.044715)
    act = GELU(approximate="tanh")
    z = np.array([[1.0]])
    np.testing.assert_allclose(act.forward(z), [[0.5 * (1 + t)]], rtol=1e-15)
    np.testing.assert_allclose(act.backward(z, act.forward(z), np.ones_like(z)), [[derivative]], rtol=1e-15)


def test_exact_gelu_is_accurate_to_a_few_ulps_against_libm_erfc() -> None:
    """z * Phi(z) by the C library's erfc (Python's math.erfc): relative error within 8 ulps, tails included.

    The argument is rounded as PyTorch rounds it, ``z * M_SQRT1_2`` (``math.sqrt(0.5)`` is that double):
    far out, erfc magnifies the rounding of its argument. Phi(-37) = 5.7e-300 is still a normal number;
    the left tail is where ``1 + erf(z / sqrt(2))`` would cancel to 0.
    """
    z = np.concatenate([np.linspace(-37.0, 37.0, 7401), [-8.5, -5.25, 0.3, 0.9, 1.1, 1e-300, -1e-300]])
    expected = np.array([x * 0.5 * math.erfc(-(x * math.sqrt(0.5))) for x in z])
    got = GELU().forward(z[None, :])[0]
    zero = expected == 0
    assert np.array_equal(got[zero], expected[zero])
    got, expected, z = got[~zero], expected[~zero], z[~zero]
    error = np.abs(got - expected) / (np.finfo(np.float64).eps * np.abs(expected))
    worst = int(np.nanargmax(error))
    assert error[worst] <= 8, f"{error[worst]:.1f} eps at z = {z[worst]!r}"


def test_silu_matches_hand_values() -> None:
    """sigmoid(ln 3) = 3/4: silu(ln 3) = 0.75 ln 3, derivative 0.75 * (1 + ln 3 * 0.25); silu(0) = 0, 1/2."""
    z = np.array([[LN3, -LN3, 0.0]])
    # sigmoid(-ln 3) = 1/4: silu = -0.25 ln 3, derivative 0.25 * (1 - ln 3 * 0.75)
    expected = [[0.75 * LN3, -0.25 * LN3, 0.0]]
    expected_grad = [[0.75 * (1 + LN3 * 0.25), 0.25 * (1 - LN3 * 0.75), 0.5]]
    np.testing.assert_allclose(SiLU().forward(z), expected, rtol=1e-15)
    np.testing.assert_allclose(SiLU().backward(z, SiLU().forward(z), np.ones_like(z)), expected_grad, rtol=1e-15)


def test_softplus_matches_hand_values() -> None:
    """softplus(0) = ln 2 (derivative 1/2); with beta 2, at ln(3)/2: ln(1 + 3)/2 = ln 2, derivative 3/4."""
    z = np.array([[0.0, LN3 / 2]])
    np.testing.assert_allclose(Softplus().forward(z[:, :1]), [[LN2]], rtol=1e-15)
    np.testing.assert_allclose(Softplus().backward(z[:, :1], None, np.ones((1, 1))), [[0.5]], rtol=1e-15)
    act = Softplus(beta=2.0)
    np.testing.assert_allclose(act.forward(z[:, 1:]), [[LN2]], rtol=1e-15)
    np.testing.assert_allclose(act.backward(z[:, 1:], None, np.ones((1, 1))), [[0.75]], rtol=1e-15)


def test_softplus_reverts_to_linear_only_above_the_threshold() -> None:
    """beta=2, threshold=10: at z = 5 (beta z = 10, not above) log1p(e**10)/2; at 5.001, exactly z with derivative 1."""
    act = Softplus(beta=2.0, threshold=10.0)
    z = np.array([[5.0, 5.001, 4.0]])
    a = act.forward(z)
    assert a[0, 0] == pytest.approx(math.log1p(math.exp(10.0)) / 2, rel=1e-15)
    assert a[0, 1] == 5.001  # the identity, not log1p(exp(10.002)) / 2
    assert a[0, 2] == pytest.approx(math.log1p(math.exp(8.0)) / 2, rel=1e-15)
    grad = act.backward(z, a, np.ones_like(z))
    sigmoid = [1 / (1 + math.exp(-10.0)), 1.0, 1 / (1 + math.exp(-8.0))]
    np.testing.assert_allclose(grad, [sigmoid], rtol=1e-15)


# --- gradients against finite differences ---------------------------------------


@pytest.mark.parametrize("act", CONFIGURED, ids=repr)
def test_backward_equals_finite_difference_of_weighted_output(act, shape, rng, numerical_gradient) -> None:
    """backward(z, a, g) = d/dz sum(g * forward(z)), by central differences in float64, |z| in [0.1, 4]."""
    # |z| >= 0.1 keeps away from the kinks of leaky_relu and elu at 0; beta z stays below the thresholds
    z = rng.uniform(0.1, 4.0, shape) * rng.choice([-1.0, 1.0], shape)
    g = rng.normal(size=shape)
    expected = numerical_gradient(lambda x: float(np.sum(g * act.forward(x))), z)
    np.testing.assert_allclose(act.backward(z, act.forward(z), g), expected, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("act", [GELU(), GELU(approximate="tanh"), SiLU(), Softplus()], ids=repr)
def test_smooth_backward_equals_finite_difference_in_the_tails(act, numerical_gradient) -> None:
    """The smooth activations' gradients also match central differences far out, at |z| up to 12."""
    z = np.array([[-12.0, -7.5, -3.3, 3.3, 7.5, 12.0]])
    g = np.ones_like(z)
    expected = numerical_gradient(lambda x: float(np.sum(act.forward(x))), z)
    np.testing.assert_allclose(act.backward(z, act.forward(z), g), expected, rtol=1e-6, atol=1e-9)


# --- dtype, inputs, extremes ------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("act", CONFIGURED, ids=repr)
def test_dtype_is_preserved(act, dtype, rng) -> None:
    """forward and backward return the dtype of z, even when grad_a comes in float64."""
    z = rng.normal(size=(3, 4)).astype(dtype)
    a = act.forward(z)
    assert a.dtype == dtype
    assert act.backward(z, a, np.ones_like(z)).dtype == dtype
    assert act.backward(z, a, np.ones((3, 4))).dtype == dtype


@pytest.mark.parametrize("act", CONFIGURED, ids=repr)
def test_integer_input_gives_float64(act) -> None:
    """Integer z is converted to float64, as the other official plugins do."""
    z = np.array([[-2, 0, 3]])
    assert act.forward(z).dtype == np.float64
    assert act.backward(z, act.forward(z), np.ones((1, 3), dtype=int)).dtype == np.float64


@pytest.mark.parametrize("act", CONFIGURED, ids=repr)
def test_inputs_are_not_mutated_nor_aliased(act, rng) -> None:
    """forward and backward leave z, a, grad_a unchanged and return fresh arrays."""
    z = rng.normal(size=(3, 4)) * 3
    a = act.forward(z)
    g = rng.normal(size=(3, 4))
    copies = [z.copy(), a.copy(), g.copy()]
    grad = act.backward(z, a, g)
    for original, copy in zip([z, a, g], copies):
        np.testing.assert_array_equal(original, copy)
        assert not np.shares_memory(grad, original)
    assert not np.shares_memory(a, z)


#: (activation, (value, derivative) at z = -1000, at z = +1000): every one is the identity far right
EXTREMES = [
    (LeakyReLU(), (-10.0, 0.01)),
    (LeakyReLU(negative_slope=0.2), (-200.0, 0.2)),
    (ELU(), (-1.0, 0.0)),
    (ELU(alpha=0.5), (-0.5, 0.0)),
    (GELU(), (0.0, 0.0)),
    (GELU(approximate="tanh"), (0.0, 0.0)),
    (SiLU(), (0.0, 0.0)),
    (Softplus(), (0.0, 0.0)),
    (Softplus(beta=2.0, threshold=10.0), (0.0, 0.0)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("act, left", EXTREMES, ids=[repr(act) for act, _ in EXTREMES])
def test_plus_minus_1000_give_the_limits_without_warnings(act, left, dtype) -> None:
    """At z = -1000 the value and derivative are the left limits; at +1000, 1000 and 1; no overflow warning."""
    z = np.array([[-1000.0, 1000.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            a = act.forward(z)
            grad = act.backward(z, a, np.ones_like(z))
    np.testing.assert_allclose(a, [[left[0], 1000.0]], rtol=1e-6, atol=0)
    np.testing.assert_allclose(grad, [[left[1], 1.0]], rtol=1e-6, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("act", CONFIGURED, ids=repr)
def test_huge_inputs_stay_finite_without_warnings(act, dtype) -> None:
    """Inputs up to the largest float of the dtype over 1e6 give finite values and gradients, silently."""
    big = np.finfo(dtype).max / 1e6
    z = np.array([[-big, -1e30 if dtype == np.float64 else -1e20, 1e20, big]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            a = act.forward(z)
            grad = act.backward(z, a, np.ones_like(z))
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(grad))


# --- parameters, configuration, conventions --------------------------------------


@pytest.mark.parametrize("act", CONFIGURED, ids=repr)
def test_config_rebuilds_an_equivalent_component(act, rng) -> None:
    """type(act)(**act.get_config()) has the same config and computes the same values."""
    rebuilt = type(act)(**act.get_config())
    assert rebuilt.get_config() == act.get_config()
    z = rng.normal(size=(4, 3)) * 4
    g = rng.normal(size=(4, 3))
    np.testing.assert_array_equal(rebuilt.forward(z), act.forward(z))
    np.testing.assert_array_equal(rebuilt.backward(z, act.forward(z), g), act.backward(z, act.forward(z), g))


@pytest.mark.parametrize(
    "act, config, text",
    [
        (LeakyReLU(), {"negative_slope": 0.01}, "LeakyReLU(negative_slope=0.01)"),
        (LeakyReLU(negative_slope=1), {"negative_slope": 1.0}, "LeakyReLU(negative_slope=1.0)"),
        (ELU(alpha=0.5), {"alpha": 0.5}, "ELU(alpha=0.5)"),
        (GELU(), {"approximate": "none"}, "GELU(approximate='none')"),
        (GELU(approximate="tanh"), {"approximate": "tanh"}, "GELU(approximate='tanh')"),
        (SiLU(), {}, "SiLU()"),
        (Softplus(beta=2, threshold=10), {"beta": 2.0, "threshold": 10.0}, "Softplus(beta=2.0, threshold=10.0)"),
    ],
)
def test_config_and_repr_show_the_parameters(act, config, text) -> None:
    """get_config returns plain Python values (ints become floats) and repr shows them."""
    assert act.get_config() == config
    assert all(type(value) in (float, str) for value in act.get_config().values())
    assert repr(act) == text


@pytest.mark.parametrize(
    "build, message",
    [
        (
            lambda: LeakyReLU(negative_slope=-0.1),
            r"^leaky_relu: negative_slope must be a finite number >= 0 \(got -0.1\)",
        ),
        (
            lambda: LeakyReLU(negative_slope="0.1"),
            r"^leaky_relu: negative_slope must be a finite number >= 0 \(got '0.1'\)",
        ),
        (lambda: LeakyReLU(negative_slope=float("nan")), r"^leaky_relu: negative_slope must be a finite number"),
        (lambda: ELU(alpha=0), r"^elu: alpha must be a finite number > 0 \(got 0\); the usual value is 1.0"),
        (lambda: ELU(alpha=True), r"^elu: alpha must be a finite number > 0 \(got True\)"),
        (lambda: ELU(alpha=float("inf")), r"^elu: alpha must be a finite number > 0"),
        (lambda: GELU(approximate="exact"), r"^gelu: approximate must be one of 'none' or 'tanh' \(got 'exact'\)"),
        (lambda: GELU(approximate=None), r"^gelu: approximate must be one of 'none' or 'tanh' \(got None\)"),
        (lambda: Softplus(beta=-1.0), r"^softplus: beta must be a finite number > 0 \(got -1.0\)"),
        (lambda: Softplus(threshold=0), r"^softplus: threshold must be a finite number > 0 \(got 0\)"),
        (lambda: Softplus(threshold=[20.0]), r"^softplus: threshold must be a finite number > 0 \(got \[20.0\]\)"),
    ],
)
def test_bad_parameters_are_refused_saying_what_is_expected(build, message) -> None:
    """A bad hyperparameter raises InvalidParameterError (a ValueError) naming the component, what came and what fits."""
    with pytest.raises(InvalidParameterError, match=message) as excinfo:
        build()
    assert isinstance(excinfo.value, ValueError)


@pytest.mark.parametrize("act", CONFIGURED, ids=repr)
def test_satisfies_the_activation_protocol_and_declares_no_outputs(act) -> None:
    """Each is an Activation; none declares `produces` (no output is a probability by construction)."""
    assert isinstance(act, Activation)
    assert not hasattr(act, "produces")
