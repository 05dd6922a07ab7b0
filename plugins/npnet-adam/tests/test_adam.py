"""Tests of the Adam optimizer against hand-worked values, Algorithm 1 of the paper and PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from npnet_adam import Adam

from npnet_core.protocols import Optimizer
from npnet_core.testing import (
    assert_hyperparameters_refused,
    assert_state_refused,
    assert_trajectory_matches,
    minimise_quadratic,
    parametrize_with_assertions,
    split_numbers,
)


def algorithm_1(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8, amsgrad=False):
    """One step of Algorithm 1 of Kingma & Ba (2015) written out plainly; AMSGrad as in PyTorch."""

    def step(p, g, state):
        t = state.get("step", 0) + 1
        m = beta_1 * state.get("m", 0.0) + (1 - beta_1) * g
        v = beta_2 * state.get("v", 0.0) + (1 - beta_2) * g**2
        v_max = np.maximum(state.get("v_max", 0.0), v)
        m_hat = m / (1 - beta_1**t)
        v_hat = (v_max if amsgrad else v) / (1 - beta_2**t)
        return p - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), {"step": t, "m": m, "v": v, "v_max": v_max}

    return step


CONFIGS = [{}, {"amsgrad": True}]


# --- hand-worked values -------------------------------------------------------------------


def test_bias_corrected_steps_worked_by_hand():
    """Algorithm 1 with lr=0.1, beta_1=beta_2=0.5, epsilon=1 over three steps."""
    # epsilon=1 is large on purpose: it checks that epsilon is added after the bias
    # correction, to sqrt(v_hat), not to sqrt(v).
    opt = Adam(learning_rate=0.1, beta_1=0.5, beta_2=0.5, epsilon=1.0)
    p = np.array([1.0, 1.0])
    # element 0, gradients 4, -4, 4:
    #   t=1: m = 0.5*4 = 2          v = 0.5*16 = 8     m_hat = 2/0.5 = 4       v_hat = 8/0.5 = 16
    #        p -= 0.1*4/(4+1) = 0.08                                           -> p = 0.92
    #   t=2: m = 1 - 2 = -1         v = 4 + 8 = 12     m_hat = -1/0.75 = -4/3  v_hat = 12/0.75 = 16
    #        p -= 0.1*(-4/3)/5 = -2/75                                         -> p = 71/75
    #   t=3: m = -0.5 + 2 = 1.5     v = 6 + 8 = 14     m_hat = 1.5/0.875 = 12/7 v_hat = 14/0.875 = 16
    #        p -= 0.1*(12/7)/5 = 6/175                                         -> p = 479/525
    # element 1, gradient 2 every step: m_hat = 2 and v_hat = 4 at every t (bias correction
    #   undoes the zero start exactly), so p -= 0.1*2/(2+1) = 1/15 three times -> p = 0.8
    for g in ([4.0, 2.0], [-4.0, 2.0], [4.0, 2.0]):
        opt.update(p, np.array(g))
    np.testing.assert_allclose(p, [479 / 525, 0.8], rtol=1e-12)
    state = opt.state_dict()
    assert state["step"] == 3
    # element 1: m = 1, 1.5, 1.75 and v = 2, 3, 3.5 (element 0: m = 1.5, v = 14 as above)
    np.testing.assert_allclose(state["m"], [1.5, 1.75], rtol=1e-12)
    np.testing.assert_allclose(state["v"], [14.0, 3.5], rtol=1e-12)


def test_amsgrad_uses_the_running_maximum_worked_by_hand():
    """AMSGrad divides by sqrt(max(v) / (1 - beta_2**t)); lr=0.1, beta_1=beta_2=0.5, epsilon=1."""
    opt = Adam(learning_rate=0.1, beta_1=0.5, beta_2=0.5, epsilon=1.0, amsgrad=True)
    p = np.array([1.0])
    # gradients 4, 0, 0:
    #   t=1: m = 2     v = 8   v_max = 8   m_hat = 4      v_hat = 8/0.5 = 16     p -= 0.1*4/(4+1) = 0.08
    #   t=2: m = 1     v = 4   v_max = 8   m_hat = 1/0.75 = 4/3   v_hat = 8/0.75 = 32/3
    #        p -= 0.1*(4/3)/(sqrt(32/3) + 1)      (plain Adam would use v_hat = 4/0.75 = 16/3)
    #   t=3: m = 0.5   v = 2   v_max = 8   m_hat = 0.5/0.875 = 4/7  v_hat = 8/0.875 = 64/7
    #        p -= 0.1*(4/7)/(sqrt(64/7) + 1)
    for g in (4.0, 0.0, 0.0):
        opt.update(p, np.array([g]))
    expected = 1 - 0.08 - (0.4 / 3) / (math.sqrt(32 / 3) + 1) - (0.4 / 7) / (math.sqrt(64 / 7) + 1)
    np.testing.assert_allclose(p, [expected], rtol=1e-12)
    np.testing.assert_allclose(opt.state_dict()["v_max"], [8.0], rtol=1e-12)


def test_first_step_is_learning_rate_times_sign_of_gradient():
    """At t=1, m_hat/sqrt(v_hat) = g/|g|: every parameter moves by lr whatever its gradient's scale."""
    p = np.zeros(4)
    Adam(learning_rate=0.01).update(p, np.array([1e-3, -5.0, 1e3, -1e-2]))
    np.testing.assert_allclose(p, [-0.01, 0.01, -0.01, 0.01], rtol=1e-4)


# --- independent references over longer sequences ------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"amsgrad": True},
        {"learning_rate": 0.01, "epsilon": 1.0},
        {"learning_rate": 0.01, "epsilon": 1e-3, "amsgrad": True},
        {"learning_rate": 0.05, "beta_1": 0.0, "beta_2": 0.0},
        {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.9, "amsgrad": True},
    ],
)
def test_matches_plain_algorithm_1_over_300_steps(config):
    """Folded bias correction agrees with Algorithm 1 to 1e-12 of the params' scale at every step, moments exactly."""
    moments = ("step", "m", "v", "v_max") if config.get("amsgrad") else ("step", "m", "v")
    assert_trajectory_matches(
        Adam(**config), algorithm_1(**config), steps=300, size=200, rtol=1e-12, state_keys=moments, state_rtol=0
    )


@pytest.mark.parametrize("config", CONFIGS)
def test_float32_follows_algorithm_1_in_float64(config):
    """float32 params and moments stay float32 and follow Algorithm 1 in float64 to float32 accuracy."""
    assert_trajectory_matches(
        Adam(learning_rate=0.01, **config),
        algorithm_1(learning_rate=0.01, **config),
        steps=30,
        size=20,
        dtype=np.float32,
        reference_dtype=np.float64,
        rtol=1e-5,
        state_keys=("m", "v"),
    )


@pytest.mark.parametrize("config", [{}, {"amsgrad": True}, {"learning_rate": 0.01, "beta_2": 0.9, "epsilon": 1e-3}])
def test_matches_pytorch(config):
    """torch.optim.Adam in float64 gives the same parameters to 1e-10 of their scale over 100 steps."""
    torch = pytest.importorskip("torch")
    c = {**Adam().get_config(), **config}

    def torch_step(p, g, state):
        if not state:
            param = torch.tensor(p, dtype=torch.float64, requires_grad=True)
            betas = (c["beta_1"], c["beta_2"])
            adam = torch.optim.Adam([param], lr=c["learning_rate"], betas=betas, eps=c["epsilon"], amsgrad=c["amsgrad"])
            state = {"param": param, "adam": adam}
        state["param"].grad = torch.from_numpy(g)
        state["adam"].step()
        return state["param"].detach().numpy().copy(), state

    assert_trajectory_matches(Adam(**config), torch_step, steps=100, rtol=1e-10)


# --- convergence on 0.5 x^T A x ---------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS)
def test_converges_on_well_conditioned_quadratic(config):
    """Condition number 4 (rotated): ||x|| falls below 1e-12 ||x0|| within 1500 steps at lr=0.01."""
    assert minimise_quadratic(Adam(learning_rate=0.01, **config), [1.0, 1.5, 2.0, 2.5, 3.0, 4.0], steps=1500) < 1e-12


@pytest.mark.parametrize("config, tolerance", [({}, 1e-10), ({"amsgrad": True}, 1e-6)])
def test_converges_on_ill_conditioned_quadratic(config, tolerance):
    """Condition number 1000 (rotated): Adam at lr=0.1 converges within 5000 steps."""
    assert minimise_quadratic(Adam(learning_rate=0.1, **config), np.logspace(0, 3, 6), steps=5000) < tolerance


def test_trajectory_ignores_diagonal_scaling():
    """m_hat/sqrt(v_hat) is scale-free per coordinate: diag(1..1e4) follows the same path as the identity."""
    x_scaled = np.ones(5)
    x_plain = np.ones(5)
    d = np.logspace(0, 4, 5)
    scaled = Adam(learning_rate=0.01, epsilon=1e-12)
    plain = Adam(learning_rate=0.01, epsilon=1e-12)
    for _ in range(100):
        scaled.update(x_scaled, d * x_scaled)
        plain.update(x_plain, x_plain)
    np.testing.assert_allclose(x_scaled, x_plain, rtol=1e-6)
    assert np.all(x_plain < 0.5)  # and it did move


# --- what every npnet optimizer does: in place, state and config round trips, bad updates --------


@parametrize_with_assertions(
    [Adam(), Adam(amsgrad=True), Adam(learning_rate=np.float32(0.5), beta_1=0, beta_2=0.75, epsilon=1e-6, amsgrad=True)]
)
def test_behaves_like_an_npnet_optimizer(optimizer, assertion):
    """The assertion of npnet_core.testing named in the test id holds."""
    assertion(optimizer)


# --- state ------------------------------------------------------------------------------------


@pytest.mark.parametrize("config, keys", [({}, {"step", "m", "v"}), ({"amsgrad": True}, {"step", "m", "v", "v_max"})])
def test_state_is_the_step_then_the_moments(config, keys):
    """A fresh optimizer's state is {"step": 0}; after updates it also holds m, v (and v_max with amsgrad)."""
    opt = Adam(**config)
    assert opt.state_dict() == {"step": 0}
    opt.update(np.ones(3), np.ones(3))
    state = opt.state_dict()
    assert set(state) == keys and type(state["step"]) is int


M = np.ones(3)


@pytest.mark.parametrize(
    "config, state, words, numbers",
    [
        ({}, {"m": M, "v": M}, ["missing 'step'"], {}),
        ({}, {"step": 2, "m": M}, ["missing ['v']"], {"step=": 2}),
        ({}, {"step": 2, "m": M, "v": M, "velocity": M}, ["unknown ['velocity']"], {}),
        ({}, {"step": 0, "m": M, "v": M}, ["unknown ['m', 'v']", "come with step >"], {"step >": 0}),
        ({}, {"step": 2, "m": M, "v": M, "v_max": M}, ["unknown ['v_max']", "amsgrad=True"], {}),
        ({"amsgrad": True}, {"step": 2, "m": M, "v": M}, ["missing ['v_max']", "amsgrad=False"], {}),
        ({}, {"step": -1}, ["state['step']", "integer"], {">=": 0, "got": -1}),
        ({}, {"step": 2.0, "m": M, "v": M}, ["state['step']", "integer"], {"got": 2.0}),
        ({}, {"step": True, "m": M, "v": M}, ["state['step']", "integer", "got True"], {}),
        ({}, {"step": 2, "m": M, "v": np.ones(4)}, ["one shape and dtype", "(4,)"], {}),
        ({}, {"step": 2, "m": M, "v": M.astype(np.float32)}, ["one shape and dtype", "float32"], {}),
        ({}, {"step": 2, "m": [1.0, 1.0, 1.0], "v": M}, ["state['m']", "floating-point ndarray", "list"], {}),
        ({}, {"step": 2, "m": M, "v": np.ones(3, dtype=int)}, ["state['v']", "floating-point ndarray"], {}),
        ({}, [("step", 0)], ["dict", "list"], {}),
    ],
)
def test_bad_state_is_rejected_and_changes_nothing(config, state, words, numbers):
    """load_state_dict raises ValidationError naming the problem and keeps the old state."""
    assert_state_refused(Adam(**config), state, words=words, numbers=numbers)


# --- hyperparameters ----------------------------------------------------------------------------


def test_defaults_are_the_papers_and_repr_reads_like_the_call():
    """Defaults are those of the paper; repr() evaluates to an equal Adam; Adam is an Optimizer named "adam"."""
    defaults = {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8, "amsgrad": False}
    assert Adam().get_config() == defaults
    assert eval(repr(Adam(beta_2=0.5, amsgrad=True)), {"Adam": Adam}).get_config() == {
        **defaults,
        "beta_2": 0.5,
        "amsgrad": True,
    }
    assert isinstance(Adam(), Optimizer) and Adam.name == "adam"


def test_bad_beta_message_in_full():
    """The message names the optimizer, the parameter, the range, the bad value and the usual value."""
    template, numbers = split_numbers(assert_hyperparameters_refused(Adam, {"beta_1": 1.5}))
    assert template == "adam: beta_1 must be in [#, #) (got #); the usual value is #"
    assert numbers == [0, 1, 1.5, 0.9]


@pytest.mark.parametrize(
    "kwargs, words, numbers",
    [
        ({"learning_rate": 0}, ["learning_rate", "finite number >"], {"got": 0, "the usual value is": 0.001}),
        ({"learning_rate": -1e-3}, ["learning_rate"], {"got": -1e-3}),
        ({"learning_rate": float("nan")}, ["learning_rate", "finite"], {"got": float("nan")}),
        ({"learning_rate": "1e-3"}, ["learning_rate", "got '1e-3'"], {}),
        ({"learning_rate": None}, ["learning_rate", "got None"], {}),
        ({"beta_1": 1.0}, ["beta_1", "must be in ["], {"got": 1.0, "the usual value is": 0.9}),
        ({"beta_1": -0.1}, ["beta_1"], {"got": -0.1}),
        ({"beta_2": 1}, ["beta_2", "must be in ["], {"got": 1, "the usual value is": 0.999}),
        ({"beta_2": float("nan")}, ["beta_2"], {"got": float("nan")}),
        ({"beta_2": False}, ["beta_2", "got False"], {}),
        ({"epsilon": 0.0}, ["epsilon", "finite number >"], {"got": 0.0, "the usual value is": 1e-8}),
        ({"epsilon": float("inf")}, ["epsilon", "finite"], {"got": float("inf")}),
        ({"amsgrad": "yes"}, ["amsgrad", "True or False", "got 'yes'"], {}),
        ({"amsgrad": 0}, ["amsgrad", "True or False"], {"got": 0}),
    ],
)
def test_bad_hyperparameters_raise_invalid_parameter_error(kwargs, words, numbers):
    """Bad hyperparameters raise InvalidParameterError saying which, the bad value and a fix."""
    assert_hyperparameters_refused(Adam, kwargs, words=words, numbers=numbers)
