"""Tests of the SGD optimizer against hand-worked values, the article and PyTorch's documented update."""

from __future__ import annotations

import math

import numpy as np
import pytest
from npnet_sgd_momentum import SGD

from npnet_core.protocols import Optimizer
from npnet_core.testing import (
    assert_hyperparameters_refused,
    assert_state_refused,
    assert_trajectory_matches,
    minimise_quadratic,
    parametrize_with_assertions,
)


def article_sgd(learning_rate, momentum):
    """The article's update, one step: delta = momentum * delta - learning_rate * g; return old + delta."""

    def step(old_params, g, state):
        delta = momentum * state.get("velocity", np.zeros_like(old_params)) - learning_rate * g
        return old_params + delta, {"velocity": delta}

    return step


def pytorch_sgd(learning_rate, momentum=0.0, nesterov=False):
    """torch.optim.SGD's documented update (no dampening, no weight decay), one step.

    b = g at the first step, then b = mu * b + g; the step is g + mu * b with
    Nesterov, else b; p = p - lr * step.
    """

    def step(p, g, state):
        if momentum == 0:
            return p - learning_rate * g, state
        b = momentum * state["b"] + g if state else g
        return p - learning_rate * (g + momentum * b if nesterov else b), {"b": b}

    return step


def keras_nesterov(learning_rate, momentum):
    """Nesterov momentum as Keras writes it, one step: v = mu*v - lr*g; p = p + mu*v - lr*g."""

    def step(p, g, state):
        v = momentum * state.get("velocity", 0.0) - learning_rate * g
        return p + (momentum * v - learning_rate * g), {"velocity": v}

    return step


VARIANTS = [{"momentum": 0.0}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}]


# --- hand-worked values -------------------------------------------------------------------


def test_plain_sgd_steps_by_minus_lr_times_gradient():
    """Without momentum, p <- p - lr*g (three steps worked by hand)."""
    opt = SGD(learning_rate=0.1)
    p = np.array([1.0, -2.0])
    # step 1: g = [1, 2]   -> p = [1 - 0.1, -2 - 0.2]     = [0.9, -2.2]
    # step 2: g = [1, -2]  -> p = [0.9 - 0.1, -2.2 + 0.2] = [0.8, -2.0]
    # step 3: g = [-4, 0]  -> p = [0.8 + 0.4, -2.0]       = [1.2, -2.0]
    for g in ([1.0, 2.0], [1.0, -2.0], [-4.0, 0.0]):
        opt.update(p, np.array(g))
    np.testing.assert_allclose(p, [1.2, -2.0], rtol=1e-12)


def test_momentum_accumulates_velocity():
    """v <- mu*v - lr*g; p <- p + v (lr=0.1, mu=0.5, three steps worked by hand)."""
    opt = SGD(learning_rate=0.1, momentum=0.5)
    p = np.array([1.0, -2.0])
    # step 1: g = [1, 2]:  v = [-0.1, -0.2]                              p = [0.9, -2.2]
    # step 2: g = [1, -2]: v = 0.5*[-0.1, -0.2] - [0.1, -0.2] = [-0.15, 0.1]  p = [0.75, -2.1]
    # step 3: g = [0, 0]:  v = 0.5*[-0.15, 0.1]             = [-0.075, 0.05] p = [0.675, -2.05]
    for g in ([1.0, 2.0], [1.0, -2.0], [0.0, 0.0]):
        opt.update(p, np.array(g))
    np.testing.assert_allclose(p, [0.675, -2.05], rtol=1e-12)
    np.testing.assert_allclose(opt.state_dict()["velocity"], [-0.075, 0.05], rtol=1e-12)


def test_nesterov_adds_lookahead_step():
    """Nesterov: v <- mu*v - lr*g; p <- p + mu*v - lr*g (lr=0.1, mu=0.5, worked by hand)."""
    opt = SGD(learning_rate=0.1, momentum=0.5, nesterov=True)
    p = np.array([1.0, -2.0])
    # step 1: g = [1, 2]:  v = [-0.1, -0.2];  p += [-0.05 - 0.1, -0.1 - 0.2] = [-0.15, -0.3]  -> [0.85, -2.3]
    # step 2: g = [1, -2]: v = [-0.15, 0.1];  p += [-0.075 - 0.1, 0.05 + 0.2] = [-0.175, 0.25] -> [0.675, -2.05]
    # step 3: g = [0, 0]:  v = [-0.075, 0.05]; p += [-0.0375, 0.025]                          -> [0.6375, -2.025]
    for g in ([1.0, 2.0], [1.0, -2.0], [0.0, 0.0]):
        opt.update(p, np.array(g))
    np.testing.assert_allclose(p, [0.6375, -2.025], rtol=1e-12)


# --- independent references over longer sequences --------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_matches_article_sgd_bit_for_bit(momentum, dtype):
    """SGD(lr, mu) gives the article's parameters (and its delta as the velocity) bit for bit over 50 steps."""
    velocity = ("velocity",) if momentum else ()
    assert_trajectory_matches(
        SGD(learning_rate=0.01, momentum=momentum),
        article_sgd(0.01, momentum),
        steps=50,
        size=37,
        dtype=dtype,
        state_keys=velocity,
    )


@pytest.mark.parametrize("config", VARIANTS)
def test_matches_pytorch_formulas(config):
    """Plain, momentum and Nesterov agree with torch.optim.SGD's documented update to 1e-12 of the scale."""
    assert_trajectory_matches(SGD(learning_rate=0.01, **config), pytorch_sgd(0.01, **config), steps=200, rtol=1e-12)


@pytest.mark.parametrize("config", VARIANTS)
def test_float32_follows_pytorch_formulas_in_float64(config):
    """float32 params and velocity stay float32 and follow the formulas in float64 to float32 accuracy."""
    assert_trajectory_matches(
        SGD(learning_rate=0.01, **config),
        pytorch_sgd(0.01, **config),
        steps=20,
        size=20,
        dtype=np.float32,
        reference_dtype=np.float64,
        rtol=1e-5,
    )


def test_nesterov_matches_keras_formula():
    """Nesterov agrees with the Keras formula to rounding over 200 steps, the velocity exactly."""
    assert_trajectory_matches(
        SGD(learning_rate=0.01, momentum=0.9, nesterov=True),
        keras_nesterov(0.01, 0.9),
        steps=200,
        rtol=1e-12,
        state_keys=("velocity",),
        state_rtol=0,
    )


# --- convergence on 0.5 x^T A x ---------------------------------------------------------------


@pytest.mark.parametrize("config", [{"momentum": 0.0}, {"momentum": 0.5}, {"momentum": 0.5, "nesterov": True}])
def test_converges_on_well_conditioned_quadratic(config):
    """With lr = 1/L on a quadratic of condition number 4, every variant reaches 1e-10 in 300 steps."""
    assert minimise_quadratic(SGD(learning_rate=0.25, **config), [1.0, 1.5, 2.0, 2.5, 3.0, 4.0], steps=300) < 1e-10


def test_momentum_beats_plain_sgd_on_ill_conditioned_quadratic():
    """Condition number 1000: tuned momentum and Nesterov converge in 1000 steps, plain SGD does not."""
    big, small = 1000.0, 1.0
    eigenvalues = np.logspace(0, 3, 6)
    root_k = math.sqrt(big / small)
    heavy_ball = SGD(
        learning_rate=4 / (math.sqrt(big) + math.sqrt(small)) ** 2,
        momentum=((root_k - 1) / (root_k + 1)) ** 2,
    )
    nesterov = SGD(learning_rate=1 / big, momentum=(root_k - 1) / (root_k + 1), nesterov=True)
    assert minimise_quadratic(SGD(learning_rate=1 / big), eigenvalues, steps=1000) > 1e-3
    assert minimise_quadratic(heavy_ball, eigenvalues, steps=1000) < 1e-10
    assert minimise_quadratic(nesterov, eigenvalues, steps=1000) < 1e-8


# --- what every npnet optimizer does: in place, state and config round trips, bad updates --------


@parametrize_with_assertions(
    [SGD(), SGD(momentum=0.9), SGD(momentum=0.9, nesterov=True), SGD(np.float32(0.5), 1 / 3, nesterov=True)]
)
def test_behaves_like_an_npnet_optimizer(optimizer, assertion):
    """The assertion of npnet_core.testing named in the test id holds."""
    assertion(optimizer)


# --- state ------------------------------------------------------------------------------------


def test_state_is_empty_until_an_update_with_momentum():
    """A fresh SGD, and one without momentum after updates, has the state {}; with momentum, the velocity."""
    plain, heavy = SGD(), SGD(momentum=0.9)
    assert plain.state_dict() == {} == heavy.state_dict()
    for opt in (plain, heavy):
        opt.update(np.ones(3), np.ones(3))
    assert plain.state_dict() == {} and list(heavy.state_dict()) == ["velocity"]


@pytest.mark.parametrize(
    "config, state, words",
    [
        ({"momentum": 0.9}, {"velocity": np.ones(3), "step": 1}, ["unknown ['step']"]),
        ({}, {"velocity": np.ones(3)}, ["unknown ['velocity']", "momentum=0"]),
        ({"momentum": 0.9}, {"velocity": [1.0, 2.0]}, ["state['velocity']", "floating-point ndarray", "list"]),
        ({"momentum": 0.9}, {"velocity": np.ones(3, dtype=int)}, ["state['velocity']", "floating-point ndarray"]),
        ({"momentum": 0.9}, [("velocity", np.ones(3))], ["dict", "list"]),
    ],
)
def test_bad_state_is_rejected_and_changes_nothing(config, state, words):
    """load_state_dict raises ValidationError naming the problem and keeps the old state."""
    assert_state_refused(SGD(**config), state, words=words)


# --- hyperparameters ----------------------------------------------------------------------------


def test_defaults_repr_and_protocol():
    """Defaults are lr=0.01, momentum=0, nesterov=False; repr() evaluates to an equal SGD, an Optimizer named "sgd"."""
    assert SGD().get_config() == {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False}
    rebuilt = eval(repr(SGD(momentum=0.9)), {"SGD": SGD})
    assert rebuilt.get_config() == {"learning_rate": 0.01, "momentum": 0.9, "nesterov": False}
    assert isinstance(rebuilt, Optimizer) and SGD.name == "sgd"


@pytest.mark.parametrize(
    "kwargs, words, numbers",
    [
        ({"learning_rate": 0}, ["learning_rate", "finite number >"], {"got": 0, "the usual value is": 0.01}),
        ({"learning_rate": -0.1}, ["learning_rate"], {"got": -0.1}),
        ({"learning_rate": float("nan")}, ["learning_rate", "finite"], {"got": float("nan")}),
        ({"learning_rate": float("inf")}, ["learning_rate", "finite"], {"got": float("inf")}),
        ({"learning_rate": "0.1"}, ["learning_rate", "got '0.1'"], {}),
        ({"learning_rate": True}, ["learning_rate", "got True"], {}),
        ({"momentum": 1.0}, ["momentum", "must be in [", "plain SGD"], {"got": 1.0}),
        ({"momentum": -0.5}, ["momentum", "must be in ["], {"got": -0.5}),
        ({"momentum": None}, ["momentum", "got None"], {}),
        ({"momentum": 0.9, "nesterov": 1}, ["nesterov", "True or False"], {"got": 1}),
        ({"nesterov": True}, ["nesterov=True requires momentum >", "nesterov=False"], {"got momentum=": 0}),
    ],
)
def test_bad_hyperparameters_raise_invalid_parameter_error(kwargs, words, numbers):
    """Bad hyperparameters raise InvalidParameterError saying which, the bad value and a fix."""
    assert_hyperparameters_refused(SGD, kwargs, words=words, numbers=numbers)
