"""Tests of the Adam optimizer against hand-worked values and an independent reference."""

from __future__ import annotations

import io
import math
import tracemalloc

import numpy as np
import pytest
from npnet_adam import Adam

from npnet_core.errors import InvalidParameterError, ValidationError
from npnet_core.protocols import Optimizer


def reference_adam(params, gradients, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8, amsgrad=False):
    """Algorithm 1 of Kingma & Ba (2015) written out plainly; AMSGrad as in PyTorch.

    Returns the final parameters and the state ``(m, v, v_max)``.
    """
    p = params.copy()
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    v_max = np.zeros_like(p)
    for t, g in enumerate(gradients, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        v_max = np.maximum(v_max, v)
        m_hat = m / (1 - beta_1**t)
        v_hat = (v_max if amsgrad else v) / (1 - beta_2**t)
        p = p - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
    return p, (m, v, v_max)


def gradients(n_steps, size, seed=0, dtype=np.float64):
    """Random gradients whose scale changes from step to step (so AMSGrad's max matters)."""
    rng = np.random.default_rng(seed)
    return [rng.normal(scale=rng.uniform(0.01, 10.0), size=size).astype(dtype) for _ in range(n_steps)]


def run(opt, params, grads):
    p = params.copy()
    for g in grads:
        p = opt.update(p, g)
    return p


def rotated_quadratic(eigenvalues, seed=0):
    """A = Q diag(eigenvalues) Q^T for a random orthogonal Q: f(x) = 0.5 x^T A x."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(len(eigenvalues),) * 2))
    return (q * eigenvalues) @ q.T


def minimise(opt, a, n_steps):
    """Run ``n_steps`` updates on f(x) = 0.5 x^T A x from x0 = ones; return ||x|| / ||x0||."""
    x0 = np.ones(len(a))
    x = x0.copy()
    for _ in range(n_steps):
        opt.update(x, a @ x)
    return np.linalg.norm(x) / np.linalg.norm(x0)


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


# --- the independent reference over longer sequences ------------------------------------------


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
    """Folded bias correction agrees with Algorithm 1 to 1e-12 (relative to the params' scale), moments exactly."""
    p0 = np.random.default_rng(1).normal(size=200)
    grads = gradients(300, 200)
    opt = Adam(**config)
    got = run(opt, p0, grads)
    expected, (m, v, v_max) = reference_adam(p0, grads, **config)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * np.max(np.abs(expected)))
    state = opt.state_dict()
    assert state["step"] == 300
    np.testing.assert_array_equal(state["m"], m)
    np.testing.assert_array_equal(state["v"], v)
    if config.get("amsgrad"):
        np.testing.assert_array_equal(state["v_max"], v_max)


# --- convergence on 0.5 x^T A x ---------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS)
def test_converges_on_well_conditioned_quadratic(config):
    """Condition number 4 (rotated): ||x|| falls below 1e-12 ||x0|| within 1500 steps at lr=0.01."""
    a = rotated_quadratic(np.array([1.0, 1.5, 2.0, 2.5, 3.0, 4.0]))
    assert minimise(Adam(learning_rate=0.01, **config), a, 1500) < 1e-12


@pytest.mark.parametrize("config, tolerance", [({}, 1e-10), ({"amsgrad": True}, 1e-6)])
def test_converges_on_ill_conditioned_quadratic(config, tolerance):
    """Condition number 1000 (rotated): Adam at lr=0.1 converges within 5000 steps."""
    a = rotated_quadratic(np.logspace(0, 3, 6))
    assert minimise(Adam(learning_rate=0.1, **config), a, 5000) < tolerance


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


# --- arrays: in place, dtype, inputs untouched, no per-call allocation -------------------------


@pytest.mark.parametrize("config", CONFIGS)
def test_update_is_in_place_and_leaves_gradient_alone(config):
    """update() returns the params object itself and never writes to the gradient."""
    opt = Adam(**config)
    p = np.ones(5)
    g = np.arange(5.0) - 2
    g_before = g.copy()
    for _ in range(3):
        assert opt.update(p, g) is p
    np.testing.assert_array_equal(g, g_before)


@pytest.mark.parametrize("config", CONFIGS)
def test_float32_stays_float32(config):
    """float32 params stay float32 (moments too) and agree with Algorithm 1 in float64 to float32 accuracy."""
    p0 = np.random.default_rng(4).normal(size=20)
    grads = gradients(30, 20, seed=4)
    opt = Adam(learning_rate=0.01, **config)
    p32 = p0.astype(np.float32)
    for g in grads:
        assert opt.update(p32, g.astype(np.float32)).dtype == np.float32
    state = opt.state_dict()
    assert {state[key].dtype for key in state if key != "step"} == {np.dtype(np.float32)}
    expected, _ = reference_adam(p0, grads, learning_rate=0.01, **config)
    np.testing.assert_allclose(p32, expected, rtol=1e-4, atol=1e-5)


def test_numpy_scalar_hyperparameters_act_like_python_floats():
    """np.float64 hyperparameters give the same float32 results bit for bit as Python floats."""
    p0 = np.ones(8, dtype=np.float32)
    grads = gradients(10, 8, dtype=np.float32)
    as_numpy = Adam(np.float64(0.01), np.float64(0.8), np.float64(0.99), np.float64(1e-7), np.bool_(True))
    got = run(as_numpy, p0, grads)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, run(Adam(0.01, 0.8, 0.99, 1e-7, True), p0, grads))


@pytest.mark.parametrize("config", CONFIGS)
def test_no_parameter_sized_allocation_after_first_update(config):
    """After the first call, an update allocates (per tracemalloc) far less than one parameter array."""
    opt = Adam(**config)
    p = np.zeros(250_000)
    g = np.ones(250_000)
    opt.update(p, g)
    tracemalloc.start()
    try:
        opt.update(p, g)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < p.nbytes // 10


# --- state ------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS)
def test_state_round_trip_is_bit_identical(config):
    """load_state_dict(state_dict()) on a fresh optimizer, then the same updates: identical params."""
    grads = gradients(20, 11, seed=5)
    a = Adam(learning_rate=0.01, **config)
    p_a = run(a, np.ones(11), grads[:10])
    b = Adam(**a.get_config())
    b.load_state_dict(a.state_dict())
    p_b = p_a.copy()
    for g in grads[10:]:
        a.update(p_a, g)
        b.update(p_b, g)
    np.testing.assert_array_equal(p_a, p_b)
    assert b.state_dict()["step"] == 20


def test_state_survives_npz_round_trip():
    """A state saved with np.savez and read back with np.load (0-d step array) resumes bit for bit."""
    grads = gradients(10, 6, seed=6)
    a = Adam(amsgrad=True)
    p_a = run(a, np.ones(6), grads[:5])
    buffer = io.BytesIO()
    np.savez(buffer, **a.state_dict())
    buffer.seek(0)
    with np.load(buffer) as data:
        state = dict(data)
    b = Adam(amsgrad=True)
    b.load_state_dict(state)
    p_b = p_a.copy()
    for g in grads[5:]:
        a.update(p_a, g)
        b.update(p_b, g)
    np.testing.assert_array_equal(p_a, p_b)


@pytest.mark.parametrize("config", CONFIGS)
def test_state_dict_before_first_update_has_only_the_step(config):
    """A fresh optimizer's state is {"step": 0}; after updates it holds copies of m, v (and v_max)."""
    opt = Adam(**config)
    assert opt.state_dict() == {"step": 0}
    opt.update(np.ones(3), np.ones(3))
    state = opt.state_dict()
    expected_keys = {"step", "m", "v", "v_max"} if config else {"step", "m", "v"}
    assert set(state) == expected_keys
    assert type(state["step"]) is int


def test_state_arrays_are_copies():
    """Mutating a saved state, or the dict that was loaded, does not touch the optimizer."""
    opt = Adam()
    opt.update(np.ones(3), np.ones(3))
    saved = opt.state_dict()
    saved["m"][:] = 123.0
    assert not np.any(opt.state_dict()["m"] == 123.0)
    loaded = {"step": 4, "m": np.full(3, 7.0), "v": np.full(3, 2.0)}
    opt.load_state_dict(loaded)
    loaded["m"][:] = 0.0
    np.testing.assert_array_equal(opt.state_dict()["m"], np.full(3, 7.0))


def test_load_step_zero_resets():
    """Loading {"step": 0} returns the optimizer to its fresh state."""
    opt = Adam()
    opt.update(np.ones(3), np.ones(3))
    opt.load_state_dict({"step": 0})
    assert opt.state_dict() == {"step": 0}
    opt.update(np.ones(5), np.ones(5))  # a fresh optimizer adopts any size


M = np.ones(3)


@pytest.mark.parametrize(
    "config, state, words",
    [
        ({}, {"m": M, "v": M}, ["missing 'step'"]),
        ({}, {"step": 2, "m": M}, ["missing ['v']"]),
        ({}, {"step": 2, "m": M, "v": M, "velocity": M}, ["unknown ['velocity']"]),
        ({}, {"step": 0, "m": M, "v": M}, ["unknown ['m', 'v']", "step > 0"]),
        ({}, {"step": 2, "m": M, "v": M, "v_max": M}, ["unknown ['v_max']", "amsgrad=True"]),
        ({"amsgrad": True}, {"step": 2, "m": M, "v": M}, ["missing ['v_max']", "amsgrad=False"]),
        ({}, {"step": -1}, ["step", "integer >= 0", "got -1"]),
        ({}, {"step": 2.0, "m": M, "v": M}, ["step", "integer", "got 2.0"]),
        ({}, {"step": True, "m": M, "v": M}, ["step", "integer", "got True"]),
        ({}, {"step": 2, "m": M, "v": np.ones(4)}, ["one shape and dtype", "(4,)"]),
        ({}, {"step": 2, "m": M, "v": M.astype(np.float32)}, ["one shape and dtype", "float32"]),
        ({}, {"step": 2, "m": [1.0, 1.0, 1.0], "v": M}, ["state['m']", "floating-point ndarray", "list"]),
        ({}, {"step": 2, "m": M, "v": np.ones(3, dtype=int)}, ["state['v']", "floating-point ndarray"]),
        ({}, [("step", 0)], ["dict", "list"]),
    ],
)
def test_bad_state_is_rejected_and_changes_nothing(config, state, words):
    """load_state_dict raises ValidationError naming the problem and keeps the old state."""
    opt = Adam(**config)
    opt.update(np.ones(3), np.ones(3))
    before = opt.state_dict()
    with pytest.raises(ValidationError) as info:
        opt.load_state_dict(state)
    message = str(info.value)
    assert message.startswith("adam: ")
    for word in words:
        assert word in message
    after = opt.state_dict()
    assert before.keys() == after.keys()
    for key in before:
        np.testing.assert_array_equal(before[key], after[key])


@pytest.mark.parametrize("params", [np.ones(4), np.ones(3, dtype=np.float32)])
def test_update_of_other_network_is_rejected(params):
    """Once the moments exist, params of another size or dtype raise ValidationError and change nothing."""
    opt = Adam()
    opt.update(np.ones(3), np.ones(3))
    with pytest.raises(ValidationError) as info:
        opt.update(params, np.ones_like(params))
    message = str(info.value)
    assert "(3,)" in message and "float64" in message  # what was expected
    assert str(params.shape) in message and str(params.dtype) in message  # what came
    assert "belongs to one network" in message and "new" in message  # what to do
    assert opt.state_dict()["step"] == 1


@pytest.mark.parametrize(
    "params, gradient, words",
    [
        (np.ones(3), np.ones(4), ["gradient has shape (4,)", "params has shape (3,)"]),
        ([1.0, 2.0], np.ones(2), ["numpy array", "list"]),
        (np.ones(3, dtype=int), np.ones(3), ["floating-point", "int"]),
    ],
)
def test_bad_update_arguments_are_rejected(params, gradient, words):
    """update() raises ValidationError for mismatched shapes and non-float or non-array params."""
    opt = Adam()
    with pytest.raises(ValidationError) as info:
        opt.update(params, gradient)
    for word in words:
        assert word in str(info.value)
    assert opt.state_dict() == {"step": 0}


def test_read_only_params_are_rejected_before_any_change():
    """Read-only params raise ValidationError before the moments or the step change."""
    opt = Adam()
    opt.update(np.ones(3), np.ones(3))
    before = opt.state_dict()
    p = np.ones(3)
    p.flags.writeable = False
    with pytest.raises(ValidationError, match="read-only"):
        opt.update(p, np.ones(3))
    after = opt.state_dict()
    assert after["step"] == 1
    np.testing.assert_array_equal(after["m"], before["m"])


# --- hyperparameters ----------------------------------------------------------------------------


def test_defaults_and_config_round_trip():
    """Defaults are those of the paper; Adam(**get_config()) is an equivalent optimizer."""
    assert Adam().get_config() == {
        "learning_rate": 0.001,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-8,
        "amsgrad": False,
    }
    opt = Adam(learning_rate=np.float32(0.5), beta_1=0, beta_2=0.75, epsilon=1e-6, amsgrad=True)
    config = opt.get_config()
    assert [type(v) for v in config.values()] == [float, float, float, float, bool]
    clone = Adam(**config)
    assert clone.get_config() == config
    grads = gradients(5, 4)
    np.testing.assert_array_equal(run(opt, np.ones(4), grads), run(clone, np.ones(4), grads))


def test_repr_shows_the_config():
    """repr() reads like the constructor call."""
    assert repr(Adam()) == "Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-08, amsgrad=False)"


def test_satisfies_optimizer_protocol():
    """Adam is an npnet Optimizer named "adam"."""
    assert isinstance(Adam(), Optimizer)
    assert Adam.name == "adam"


def test_bad_beta_message_in_full():
    """The message names the optimizer, the parameter, the range, the bad value and the usual value."""
    with pytest.raises(InvalidParameterError) as info:
        Adam(beta_1=1.5)
    assert str(info.value) == "adam: beta_1 must be in [0, 1) (got 1.5); the usual value is 0.9"


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"learning_rate": 0}, ["learning_rate", "> 0", "got 0", "0.001"]),
        ({"learning_rate": -1e-3}, ["learning_rate", "got -0.001"]),
        ({"learning_rate": float("nan")}, ["learning_rate", "finite", "got nan"]),
        ({"learning_rate": "1e-3"}, ["learning_rate", "got '1e-3'"]),
        ({"learning_rate": None}, ["learning_rate", "got None"]),
        ({"beta_1": 1.0}, ["beta_1", "[0, 1)", "got 1.0", "0.9"]),
        ({"beta_1": -0.1}, ["beta_1", "got -0.1"]),
        ({"beta_2": 1}, ["beta_2", "[0, 1)", "got 1", "0.999"]),
        ({"beta_2": float("nan")}, ["beta_2", "got nan"]),
        ({"beta_2": False}, ["beta_2", "got False"]),
        ({"epsilon": 0.0}, ["epsilon", "> 0", "got 0.0", "1e-08"]),
        ({"epsilon": float("inf")}, ["epsilon", "finite", "got inf"]),
        ({"amsgrad": "yes"}, ["amsgrad", "True or False", "got 'yes'"]),
        ({"amsgrad": 0}, ["amsgrad", "True or False", "got 0"]),
    ],
)
def test_bad_hyperparameters_raise_invalid_parameter_error(kwargs, words):
    """Bad hyperparameters raise InvalidParameterError saying which, the bad value and a fix."""
    with pytest.raises(InvalidParameterError) as info:
        Adam(**kwargs)
    message = str(info.value)
    assert message.startswith("adam: ")
    for word in words:
        assert word in message
