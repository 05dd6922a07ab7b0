"""The weight penalties against their formulas worked by hand, and their gradients against central finite differences.

The hand formulas sum element by element in Python (``math.fsum``); the finite
differences are taken in float64 on the penalty alone.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, List

import numpy as np
import pytest
from npnet_regularizers import L1, L1L2, L2

from npnet_core.errors import InvalidParameterError


def l2_by_hand(w: np.ndarray, factor: float) -> float:
    return factor * math.fsum(float(x) ** 2 for x in w.ravel())


def l1_by_hand(w: np.ndarray, factor: float) -> float:
    return factor * math.fsum(abs(float(x)) for x in w.ravel())


def sign_by_hand(x: float) -> float:
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0


def l2_gradient_by_hand(w: np.ndarray, factor: float) -> np.ndarray:
    return np.array([[2.0 * factor * float(x) for x in row] for row in w])


def l1_gradient_by_hand(w: np.ndarray, factor: float) -> np.ndarray:
    return np.array([[factor * sign_by_hand(float(x)) for x in row] for row in w])


#: name -> (a regularizer, its penalty by hand, its gradient by hand)
CASES: Dict[str, Any] = {
    "l2": (L2(0.03), lambda w: l2_by_hand(w, 0.03), lambda w: l2_gradient_by_hand(w, 0.03)),
    "l1": (L1(0.02), lambda w: l1_by_hand(w, 0.02), lambda w: l1_gradient_by_hand(w, 0.02)),
    "l1_l2": (
        L1L2(l1=0.02, l2=0.03),
        lambda w: l1_by_hand(w, 0.02) + l2_by_hand(w, 0.03),
        lambda w: l1_gradient_by_hand(w, 0.02) + l2_gradient_by_hand(w, 0.03),
    ),
    "l1_l2(l1=0)": (L1L2(l1=0.0, l2=0.05), lambda w: l2_by_hand(w, 0.05), lambda w: l2_gradient_by_hand(w, 0.05)),
    "l1_l2(l2=0)": (L1L2(l1=0.04, l2=0.0), lambda w: l1_by_hand(w, 0.04), lambda w: l1_gradient_by_hand(w, 0.04)),
}
SHAPES = [(1, 1), (3, 5), (7, 2), (20, 30)]


def weights_away_from_zero(shape, seed: int = 0, dtype: Any = np.float64) -> np.ndarray:
    """Weights with |w| in [0.1, 2], random signs: at least 0.1 from l1's kink at 0."""
    rng = np.random.default_rng(seed)
    return (rng.uniform(0.1, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)).astype(dtype)


def weights_with_zeros(shape, seed: int = 0) -> np.ndarray:
    """weights_away_from_zero with about a third of the entries exactly 0 (always the first one)."""
    w = weights_away_from_zero(shape, seed)
    w[np.random.default_rng(seed + 1).random(shape) < 1 / 3] = 0.0
    w.flat[0] = 0.0
    return w


def penalty_of(regularizer: Any, w: np.ndarray) -> float:
    return regularizer.penalty(w, np.zeros_like(w))


def central_differences(f: Callable[[np.ndarray], float], w: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """(f(w + h e_i) - f(w - h e_i)) / 2h for every entry i, in float64.

    The penalties are quadratic on each side of 0, where central differences
    have no truncation error; h only has to stay below the 0.1 that separates
    every nonzero weight from l1's kink, and large enough that rounding
    (about 1e-16 * penalty / h) stays small.
    """
    grad = np.zeros_like(w)
    for i in range(w.size):
        plus, minus = w.copy(), w.copy()
        plus.flat[i] += h
        minus.flat[i] -= h
        grad.flat[i] = (f(plus) - f(minus)) / (2 * h)
    return grad


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("case", sorted(CASES))
def test_penalty_value_is_the_formula(case, shape):
    """penalty(W) is l1 * sum|W| + l2 * sum(W**2) (Keras's convention: no 1/2), summed by hand."""
    regularizer, value, _ = CASES[case]
    w = weights_with_zeros(shape, seed=len(case))
    got = regularizer.penalty(w, np.zeros_like(w))
    assert type(got) is float
    assert got == pytest.approx(value(w), rel=1e-13, abs=1e-300)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("case", sorted(CASES))
def test_penalty_gradient_matches_central_differences(case, shape):
    """The gradient added into grad equals central finite differences of the penalty, in float64."""
    regularizer, _, _ = CASES[case]
    w = weights_away_from_zero(shape, seed=shape[0])
    grad = np.zeros_like(w)
    regularizer.penalty(w, grad)
    numerical = central_differences(lambda v: penalty_of(regularizer, v), w)
    np.testing.assert_allclose(grad, numerical, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("case", ["l1", "l1_l2", "l1_l2(l2=0)"])
def test_l1_gradient_with_zero_weights(case, shape):
    """Where W is 0 the subgradient taken is 0 (the l1 part vanishes); elsewhere, central differences hold.

    The step h = 1e-4 is far below the 0.1 that separates every nonzero weight
    from the kink, so the differences there see a smooth function.
    """
    regularizer, _, by_hand = CASES[case]
    w = weights_with_zeros(shape, seed=3)
    grad = np.zeros_like(w)
    regularizer.penalty(w, grad)
    zero = w == 0
    assert zero.any()
    np.testing.assert_array_equal(grad[zero], 0.0)
    np.testing.assert_allclose(grad, by_hand(w), rtol=1e-15, atol=0)
    numerical = central_differences(lambda v: penalty_of(regularizer, v), w)
    np.testing.assert_allclose(grad[~zero], numerical[~zero], rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("case", sorted(CASES))
def test_penalty_adds_its_gradient_into_grad_and_leaves_weights_alone(case):
    """grad ends as what it held plus the penalty's gradient (not overwritten); weights are never written."""
    regularizer, _, by_hand = CASES[case]
    w = weights_with_zeros((6, 4), seed=5)
    w.setflags(write=False)  # any write into the weights would raise
    before = np.random.default_rng(9).standard_normal(w.shape)
    grad = before.copy()
    regularizer.penalty(w, grad)
    np.testing.assert_allclose(grad, before + by_hand(w), rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(w, weights_with_zeros((6, 4), seed=5))


@pytest.mark.parametrize("case", sorted(CASES))
def test_penalty_accumulates_over_calls(case):
    """Two calls add the gradient twice: each layer's call adds, whatever grad holds."""
    regularizer, _, by_hand = CASES[case]
    w = weights_away_from_zero((5, 3), seed=2)
    grad = np.zeros_like(w)
    regularizer.penalty(w, grad)
    regularizer.penalty(w, grad)
    np.testing.assert_allclose(grad, 2 * by_hand(w), rtol=1e-14)


@pytest.mark.parametrize("case", sorted(CASES))
def test_float32_weights_keep_float32(case):
    """In float32 the gradient is added in float32 (grad keeps its dtype) and the penalty is a float near the float64 one."""
    regularizer, value, by_hand = CASES[case]
    w64 = weights_with_zeros((30, 20), seed=7)
    w = w64.astype(np.float32)
    grad = np.zeros_like(w)
    got = regularizer.penalty(w, grad)
    assert type(got) is float
    assert grad.dtype == np.float32
    exact = w.astype(np.float64)  # the float32 weights, valued exactly
    assert got == pytest.approx(value(exact), rel=1e-5)
    np.testing.assert_allclose(grad, by_hand(exact), rtol=2e-7)


@pytest.mark.parametrize("case", sorted(CASES))
def test_penalties_do_not_perturb(case):
    """A penalty's perturb returns the activation itself and no scale, and draws nothing."""
    regularizer, _, _ = CASES[case]
    a = np.ones((3, 4))
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    out, scale = regularizer.perturb(a, 0, rng)
    assert out is a and scale is None
    assert rng.bit_generator.state == state


@pytest.mark.parametrize("regularizer", [L2(0.0), L1(0.0), L1L2(0.0, 0.0)], ids=lambda r: r.name)
def test_zero_factor_is_no_penalty(regularizer):
    """With every factor 0 the penalty is 0.0 and grad is untouched."""
    w = weights_away_from_zero((4, 4))
    grad = np.full_like(w, 0.5)
    assert regularizer.penalty(w, grad) == 0.0
    np.testing.assert_array_equal(grad, 0.5)


@pytest.mark.parametrize(
    "regularizer", [L2(), L2(0.5), L1(), L1(1e-4), L1L2(), L1L2(l1=0.0, l2=0.2)], ids=lambda r: repr(r)
)
def test_get_config_round_trip(regularizer):
    """type(r)(**r.get_config()) has the same configuration and gives the same penalty and gradient."""
    config = regularizer.get_config()
    rebuilt = type(regularizer)(**config)
    assert rebuilt.get_config() == config
    w = weights_with_zeros((5, 6), seed=11)
    g1, g2 = np.zeros_like(w), np.zeros_like(w)
    assert rebuilt.penalty(w, g2) == regularizer.penalty(w, g1)
    np.testing.assert_array_equal(g1, g2)


def test_get_config_names_the_parameters():
    """The configuration is the constructor's keywords, as floats."""
    assert L2(1).get_config() == {"factor": 1.0}
    assert type(L2(1).get_config()["factor"]) is float
    assert L1().get_config() == {"factor": 0.01}
    assert L1L2(l2=0.5).get_config() == {"l1": 0.01, "l2": 0.5}


BAD_FACTORS: List[Any] = [-0.01, float("nan"), float("inf"), True, "0.01", None, [0.01]]


@pytest.mark.parametrize("bad", BAD_FACTORS, ids=repr)
@pytest.mark.parametrize(
    "build, name, parameter",
    [
        (lambda v: L2(v), "l2", "factor"),
        (lambda v: L1(factor=v), "l1", "factor"),
        (lambda v: L1L2(l1=v), "l1_l2", "l1"),
        (lambda v: L1L2(l2=v), "l1_l2", "l2"),
    ],
    ids=["l2", "l1", "l1_l2-l1", "l1_l2-l2"],
)
def test_bad_factors_are_refused(build, name, parameter, bad):
    """A factor that is not a finite number >= 0 is refused at construction, saying what is expected."""
    with pytest.raises(InvalidParameterError, match=rf"^{name}: {parameter} must be a finite number >= 0 \(got "):
        build(bad)


def test_l2_is_torch_sgd_weight_decay_halved():
    """One step of torch.optim.SGD(lr, weight_decay=wd), its documented algorithm written as a loop,
    equals plain SGD on the loss's gradient plus l2(factor=wd / 2)'s gradient.

    torch.optim.SGD: g <- g + wd * p; p <- p - lr * g (no momentum).
    """
    lr, wd = 0.1, 0.04
    w = weights_away_from_zero((4, 3), seed=4)
    loss_grad = np.random.default_rng(1).standard_normal(w.shape)
    torch_step = w.copy()
    for i in range(w.size):
        g = loss_grad.flat[i] + wd * torch_step.flat[i]
        torch_step.flat[i] -= lr * g
    grad = loss_grad.copy()
    L2(factor=wd / 2).penalty(w, grad)
    np.testing.assert_allclose(w - lr * grad, torch_step, rtol=1e-15, atol=1e-16)


def test_l2_is_torch_sgd_weight_decay_halved_with_torch():
    """The same against torch itself, where it is installed."""
    torch = pytest.importorskip("torch")
    lr, wd = 0.1, 0.04
    w = weights_away_from_zero((4, 3), seed=4)
    loss_grad = np.random.default_rng(1).standard_normal(w.shape)
    p = torch.nn.Parameter(torch.tensor(w))
    p.grad = torch.tensor(loss_grad)
    torch.optim.SGD([p], lr=lr, weight_decay=wd).step()
    grad = loss_grad.copy()
    L2(factor=wd / 2).penalty(w, grad)
    np.testing.assert_allclose(w - lr * grad, p.detach().numpy(), rtol=1e-15, atol=1e-16)
