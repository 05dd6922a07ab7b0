"""ReLU, Identity and Softmax: forward values, gradients, dtype and robustness."""

from __future__ import annotations

import numpy as np
import pytest
from npnet_relu_softmax import Identity, ReLU, Softmax

from npnet_core.protocols import Activation

ACTIVATIONS = [ReLU, Identity, Softmax]
LN2, LN3 = np.log(2.0), np.log(3.0)


# --- forward values worked by hand ------------------------------------------


def test_relu_forward_clips_negatives_to_zero() -> None:
    """relu(z) = max(z, 0): negatives and zeros become 0, positives pass."""
    z = np.array([[-2.0, -0.0, 0.0, 3.0], [1e-9, -1e-9, 7.5, -7.5]])
    expected = np.array([[0.0, 0.0, 0.0, 3.0], [1e-9, 0.0, 7.5, 0.0]])
    np.testing.assert_array_equal(ReLU().forward(z), expected)


def test_relu_backward_passes_gradient_only_where_z_positive() -> None:
    """relu'(z) = 1 for z > 0 and 0 for z <= 0, including exactly at 0."""
    z = np.array([[-1.0, 0.0, 2.0]])
    g = np.array([[5.0, 5.0, 5.0]])
    np.testing.assert_array_equal(ReLU().backward(z, ReLU().forward(z), g), [[0.0, 0.0, 5.0]])


def test_identity_forward_and_backward_return_their_input() -> None:
    """identity(z) = z and its gradient passes grad_a through unchanged."""
    z = np.array([[-2.0, 0.5], [3.0, 0.0]])
    g = np.array([[1.0, -4.0], [0.25, 9.0]])
    np.testing.assert_array_equal(Identity().forward(z), z)
    np.testing.assert_array_equal(Identity().backward(z, z, g), g)


def test_softmax_forward_matches_hand_values() -> None:
    """softmax([0, ln 2]) = [1, 2]/3 and softmax([0, ln 2, ln 3]) = [1, 2, 3]/6."""
    # exp: [1, 2] / (1 + 2) and [1, 2, 3] / (1 + 2 + 3)
    np.testing.assert_allclose(Softmax().forward(np.array([[0.0, LN2]])), [[1 / 3, 2 / 3]], rtol=1e-15)
    np.testing.assert_allclose(Softmax().forward(np.array([[0.0, LN2, LN3]])), [[1 / 6, 2 / 6, 3 / 6]], rtol=1e-15)


def test_softmax_forward_is_invariant_to_row_shifts() -> None:
    """softmax(z + c) = softmax(z): [1000, 1000 + ln 2] gives [1/3, 2/3] too."""
    z = np.array([[1000.0, 1000.0 + LN2], [-1000.0, -1000.0 + LN2]])
    np.testing.assert_allclose(Softmax().forward(z), [[1 / 3, 2 / 3]] * 2, rtol=1e-12)


def test_softmax_forward_single_unit_is_one() -> None:
    """softmax of one unit is exp(0) / exp(0) = 1 whatever z is."""
    z = np.array([[-5.0], [0.0], [1e4]])
    np.testing.assert_array_equal(Softmax().forward(z), np.ones((3, 1)))


def test_softmax_backward_matches_hand_value() -> None:
    """a = [1/3, 2/3], g = [1, 0]: sum(g*a) = 1/3, grad = a * (g - 1/3) = [2/9, -2/9]."""
    z = np.array([[0.0, LN2]])
    a = Softmax().forward(z)
    np.testing.assert_allclose(Softmax().backward(z, a, np.array([[1.0, 0.0]])), [[2 / 9, -2 / 9]])


# --- gradients against finite differences ------------------------------------


@pytest.mark.parametrize("cls", ACTIVATIONS)
def test_backward_equals_finite_difference_of_weighted_output(cls, shape, rng, numerical_gradient) -> None:
    """backward(z, a, g) = d/dz sum(g * forward(z)), checked by central differences."""
    act = cls()
    # |z| in [0.1, 2] keeps relu away from its kink at 0
    z = rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    g = rng.normal(size=shape)
    expected = numerical_gradient(lambda x: float(np.sum(g * act.forward(x))), z)
    got = act.backward(z, act.forward(z), g)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


# --- dtype, inputs, rows, extremes -------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls", ACTIVATIONS)
def test_dtype_is_preserved(cls, dtype, rng) -> None:
    """forward and backward return the dtype of z (float32 stays float32)."""
    act = cls()
    z = rng.normal(size=(3, 4)).astype(dtype)
    a = act.forward(z)
    assert a.dtype == dtype
    assert act.backward(z, a, np.ones_like(z)).dtype == dtype


@pytest.mark.parametrize("cls", ACTIVATIONS)
def test_float32_backward_stays_float32_with_float64_grad(cls, rng) -> None:
    """backward returns the dtype of z even when grad_a comes in float64."""
    act = cls()
    z = rng.normal(size=(3, 4)).astype(np.float32)
    assert act.backward(z, act.forward(z), np.ones((3, 4))).dtype == np.float32


@pytest.mark.parametrize("cls", ACTIVATIONS)
def test_inputs_are_not_mutated_nor_aliased(cls, rng) -> None:
    """forward and backward leave z, a, grad_a unchanged and return fresh arrays."""
    act = cls()
    z = rng.normal(size=(3, 4))
    a = act.forward(z)
    g = rng.normal(size=(3, 4))
    copies = [z.copy(), a.copy(), g.copy()]
    grad = act.backward(z, a, g)
    act.forward(z)
    for original, copy in zip([z, a, g], copies):
        np.testing.assert_array_equal(original, copy)
        assert not np.shares_memory(grad, original)
    assert not np.shares_memory(a, z)


@pytest.mark.parametrize("cls", ACTIVATIONS)
def test_rows_are_independent(cls, rng) -> None:
    """Each row's output and gradient depend on that row only."""
    act = cls()
    z = rng.normal(size=(4, 3))
    g = rng.normal(size=(4, 3))
    a = act.forward(z)
    grad = act.backward(z, a, g)
    for i in range(len(z)):
        row = slice(i, i + 1)
        np.testing.assert_allclose(a[row], act.forward(z[row]), rtol=1e-15)
        np.testing.assert_allclose(grad[row], act.backward(z[row], a[row], g[row]), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls", ACTIVATIONS)
def test_extreme_inputs_give_finite_results(cls, dtype) -> None:
    """Inputs of magnitude 1e4 give finite outputs and gradients."""
    act = cls()
    z = np.array([[1e4, -1e4], [-1e4, -1e4], [1e4, 1e4], [0.0, 1e4]], dtype=dtype)
    a = act.forward(z)
    assert np.all(np.isfinite(a))
    assert np.all(np.isfinite(act.backward(z, a, np.ones_like(z))))


def test_softmax_of_huge_gap_is_one_hot() -> None:
    """softmax([1e4, -1e4]) = [1, 0]: exp(-2e4) underflows to exactly 0."""
    np.testing.assert_array_equal(Softmax().forward(np.array([[1e4, -1e4]])), [[1.0, 0.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_rows_sum_to_one(dtype, rng) -> None:
    """Every softmax row is non-negative and sums to 1."""
    a = Softmax().forward((rng.normal(size=(50, 7)) * 30).astype(dtype))
    assert np.all(a >= 0)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=10 * np.finfo(dtype).eps)


# --- component conventions ---------------------------------------------------


@pytest.mark.parametrize("cls", ACTIVATIONS)
def test_satisfies_activation_protocol_and_round_trips_config(cls) -> None:
    """Each class is an Activation, has no config, rebuilds from it and has a repr."""
    act = cls()
    assert isinstance(act, Activation)
    assert act.get_config() == {}
    assert isinstance(cls(**act.get_config()), cls)
    assert repr(act) == f"{cls.__name__}()"
