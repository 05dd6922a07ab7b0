"""Tests of Adam and AdamW against hand-worked values, Algorithm 1 of the paper, torch's AdamW algorithm and PyTorch."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from npnet_adam import Adam, AdamW

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


def torch_adamw(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8, weight_decay=0.01, amsgrad=False):
    """One step of the AdamW algorithm of torch.optim.AdamW's documentation, written out plainly.

    theta <- theta - lr * lambda * theta, then the Adam step; with amsgrad, v_max = max(v_max, v) of the
    moments not yet bias-corrected, divided by (1 - beta_2**t), as torch computes it.
    """

    def step(theta, g, state):
        t = state.get("step", 0) + 1
        theta = theta - learning_rate * weight_decay * theta
        m = beta_1 * state.get("m", 0.0) + (1 - beta_1) * g
        v = beta_2 * state.get("v", 0.0) + (1 - beta_2) * g**2
        m_hat = m / (1 - beta_1**t)
        v_max = np.maximum(state.get("v_max", 0.0), v)
        v_hat = (v_max if amsgrad else v) / (1 - beta_2**t)
        theta = theta - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
        return theta, {"step": t, "m": m, "v": v, "v_max": v_max}

    return step


CONFIGS = [{}, {"amsgrad": True}]


def random_gradients(steps, size, seed=0):
    """Gradients whose scale changes from step to step (0.01 to 10), like those of assert_trajectory_matches."""
    rng = np.random.default_rng(seed)
    return [rng.normal(size=size) * 10.0 ** rng.uniform(-2, 1) for _ in range(steps)]


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


# --- AdamW: hand-worked values, the learning rate of the update, Adam without the decay, resuming ---


def test_decay_then_adam_step_worked_by_hand():
    """lr=0.1, weight_decay=0.5, beta_1=beta_2=0.5, epsilon=1: p is multiplied by 0.95, then the Adam step."""
    opt = AdamW(learning_rate=0.1, beta_1=0.5, beta_2=0.5, epsilon=1.0, weight_decay=0.5)
    p = np.array([1.0, 2.0])
    # element 0, gradients 4, -4 (the Adam steps of test_bias_corrected_steps_worked_by_hand):
    #   t=1: p = 1 * (1 - 0.1*0.5) = 0.95;        m_hat = 4, v_hat = 16:     p -= 0.1*4/(4+1) = 0.08   -> 0.87
    #   t=2: p = 0.87 * 0.95 = 0.8265;            m_hat = -4/3, v_hat = 16:  p -= -2/75              -> 0.8265 + 2/75
    # element 1, gradient 0: m = v = 0, the Adam step is 0/(0 + 1) = 0, only the decay acts: p = 2 * 0.95**2
    for g in ([4.0, 0.0], [-4.0, 0.0]):
        opt.update(p, np.array(g))
    np.testing.assert_allclose(p, [0.8265 + 2 / 75, 2 * 0.95**2], rtol=1e-14)
    # the decay never enters the moments: they are Adam's for these gradients
    np.testing.assert_allclose(opt.state_dict()["m"], [-1.0, 0.0], rtol=1e-14)
    np.testing.assert_allclose(opt.state_dict()["v"], [12.0, 0.0], rtol=1e-14)


@pytest.mark.parametrize("config", CONFIGS)
def test_zero_gradient_decays_geometrically_with_the_current_learning_rate(config):
    """With g = 0 the Adam step is 0: p = p0 * prod(1 - lr_t * weight_decay), lr_t the rate set before update t."""
    opt = AdamW(weight_decay=0.1, **config)
    p0 = np.array([1.0, -3.0, 0.5])
    p = p0.copy()
    rates = [0.5, 0.25, 1.0, 2.0, 0.125]
    for rate in rates:  # as a schedule does: set the attribute before the update
        opt.learning_rate = rate
        opt.update(p, np.zeros(3))
    # 0.95 * 0.975 * 0.9 * 0.8 * 0.9875
    np.testing.assert_allclose(p, p0 * 0.95 * 0.975 * 0.9 * 0.8 * 0.9875, rtol=1e-15)


def test_decay_is_proportional_where_l2_through_adam_is_not():
    """First step on a zero loss: AdamW shrinks each p by lr*wd*p; Adam on the L2 gradient wd*p moves each by lr."""
    p0 = np.array([1e-3, 1.0, 100.0])
    decoupled, coupled = p0.copy(), p0.copy()
    AdamW(learning_rate=0.01, weight_decay=0.1).update(decoupled, np.zeros(3))
    Adam(learning_rate=0.01).update(coupled, 0.1 * coupled)  # the gradient of 0.05 * ||p||^2
    np.testing.assert_allclose(p0 - decoupled, 0.001 * p0, rtol=1e-12)
    np.testing.assert_allclose(p0 - coupled, [0.01, 0.01, 0.01], rtol=1e-4)  # m_hat/sqrt(v_hat) = sign(g)


@pytest.mark.parametrize("config", CONFIGS)
def test_learning_rate_changed_between_updates_scales_step_and_decay(config):
    """A schedule's rate, set before each of 300 updates, is the lr of both the decay and the step (torch's algorithm)."""
    rates = 0.01 * (1 + np.cos(np.linspace(0, 3 * np.pi, 300))) + 1e-4
    opt = AdamW(weight_decay=0.2, **config)
    p = np.random.default_rng(1).normal(size=100)
    expected, state = p.copy(), {}
    for step, (rate, g) in enumerate(zip(rates, random_gradients(300, 100, seed=2)), start=1):
        opt.learning_rate = float(rate)
        opt.update(p, g)
        expected, state = torch_adamw(learning_rate=float(rate), weight_decay=0.2, **config)(expected, g, state)
        np.testing.assert_allclose(p, expected, rtol=0, atol=1e-12 * np.max(np.abs(expected)), err_msg=f"step {step}")


@pytest.mark.parametrize(
    "config", [{}, {"amsgrad": True}, {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3}]
)
def test_weight_decay_zero_is_adam_bit_for_bit(config):
    """AdamW(weight_decay=0) and Adam give identical parameters and states over 300 updates."""
    adamw, adam = AdamW(weight_decay=0, **config), Adam(**config)
    p_w = p_a = np.random.default_rng(3).normal(size=50)
    p_w, p_a = p_w.copy(), p_a.copy()
    for g in random_gradients(300, 50, seed=4):
        adamw.update(p_w, g)
        adam.update(p_a, g)
        assert np.array_equal(p_w, p_a)
    state_w, state_a = adamw.state_dict(), adam.state_dict()
    assert state_w.keys() == state_a.keys() and state_w["step"] == state_a["step"] == 300
    assert all(np.array_equal(state_w[key], state_a[key]) for key in state_w)


@pytest.mark.parametrize("config", [{}, {"amsgrad": True}, {"weight_decay": 0.3, "learning_rate": 0.02}])
def test_saved_and_resumed_run_is_bit_identical(config):
    """State saved after 160 of 320 updates, loaded into a new AdamW (also through .npz): the same run to the bit."""
    gradients = random_gradients(320, 40, seed=5)
    first = AdamW(**config)
    p = np.random.default_rng(6).normal(size=40)
    for g in gradients[:160]:
        first.update(p, g)
    buffer = io.BytesIO()
    np.savez(buffer, **first.state_dict())
    buffer.seek(0)
    with np.load(buffer) as saved:
        from_file = {key: saved[key] for key in saved.files}
    resumed = {"direct": AdamW(**config), "npz": AdamW(**config)}
    resumed["direct"].load_state_dict(first.state_dict())
    resumed["npz"].load_state_dict(from_file)
    params = {how: p.copy() for how in resumed}
    for g in gradients[160:]:
        first.update(p, g)
        for how, opt in resumed.items():
            opt.update(params[how], g)
    for how, opt in resumed.items():
        assert np.array_equal(params[how], p), how
        state, expected = opt.state_dict(), first.state_dict()
        assert state.keys() == expected.keys() and all(np.array_equal(state[k], expected[k]) for k in state), how


# --- independent references over longer sequences ------------------------------------------


@pytest.mark.parametrize(
    "factory, reference, config",
    [
        (Adam, algorithm_1, {}),
        (Adam, algorithm_1, {"amsgrad": True}),
        (Adam, algorithm_1, {"learning_rate": 0.01, "epsilon": 1.0}),
        (Adam, algorithm_1, {"learning_rate": 0.01, "epsilon": 1e-3, "amsgrad": True}),
        (Adam, algorithm_1, {"learning_rate": 0.05, "beta_1": 0.0, "beta_2": 0.0}),
        (Adam, algorithm_1, {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.9, "amsgrad": True}),
        (AdamW, torch_adamw, {}),
        (AdamW, torch_adamw, {"amsgrad": True}),
        (AdamW, torch_adamw, {"learning_rate": 0.01, "weight_decay": 0.1}),
        (AdamW, torch_adamw, {"learning_rate": 0.01, "weight_decay": 0.1, "amsgrad": True}),
        (
            AdamW,
            torch_adamw,
            {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3, "weight_decay": 2.0},
        ),
        (
            AdamW,
            torch_adamw,
            {"learning_rate": 0.05, "beta_1": 0.0, "beta_2": 0.0, "weight_decay": 0.5, "amsgrad": True},
        ),
    ],
)
def test_matches_plain_reference_over_400_steps(factory, reference, config):
    """Agrees with its plain reference to 1e-12 of the params' scale at every step, moments exactly.

    Adam's reference is Algorithm 1 of the paper (the implementation folds the bias correction); AdamW's is
    the algorithm of torch.optim.AdamW's documentation.
    """
    moments = ("step", "m", "v", "v_max") if config.get("amsgrad") else ("step", "m", "v")
    assert_trajectory_matches(
        factory(**config), reference(**config), steps=400, size=200, rtol=1e-12, state_keys=moments, state_rtol=0
    )


@pytest.mark.parametrize(
    "factory, reference, config",
    [
        (Adam, algorithm_1, {}),
        (Adam, algorithm_1, {"amsgrad": True}),
        (AdamW, torch_adamw, {"weight_decay": 0.1}),
        (AdamW, torch_adamw, {"weight_decay": 0.1, "amsgrad": True}),
    ],
)
def test_float32_follows_the_reference_in_float64(factory, reference, config):
    """float32 params and moments stay float32 and follow the plain reference in float64 to float32 accuracy."""
    assert_trajectory_matches(
        factory(learning_rate=0.01, **config),
        reference(learning_rate=0.01, **config),
        steps=30,
        size=20,
        dtype=np.float32,
        reference_dtype=np.float64,
        rtol=1e-5,
        state_keys=("m", "v"),
    )


@pytest.mark.parametrize(
    "factory, config",
    [
        (Adam, {}),
        (Adam, {"amsgrad": True}),
        (Adam, {"learning_rate": 0.01, "beta_2": 0.9, "epsilon": 1e-3}),
        (AdamW, {}),
        (AdamW, {"amsgrad": True}),
        (AdamW, {"learning_rate": 0.01, "beta_2": 0.9, "weight_decay": 0.05}),
    ],
)
def test_matches_pytorch(factory, config):
    """torch.optim.Adam / AdamW in float64 give the same parameters to 1e-10 of their scale over 100 steps."""
    torch = pytest.importorskip("torch")
    c = {**factory().get_config(), **config}
    # the same names in torch but for these four; amsgrad and AdamW's weight_decay are torch's own
    torch_config = {
        "lr": c.pop("learning_rate"),
        "betas": (c.pop("beta_1"), c.pop("beta_2")),
        "eps": c.pop("epsilon"),
        **c,
    }

    def torch_step(p, g, state):
        if not state:
            param = torch.tensor(p, dtype=torch.float64, requires_grad=True)
            state = {"param": param, "optimizer": getattr(torch.optim, factory.__name__)([param], **torch_config)}
        state["param"].grad = torch.from_numpy(g)
        state["optimizer"].step()
        return state["param"].detach().numpy().copy(), state

    assert_trajectory_matches(factory(**config), torch_step, steps=100, rtol=1e-10)


# --- convergence on 0.5 x^T A x ---------------------------------------------------------------


@pytest.mark.parametrize(
    "optimizer",
    [
        Adam(learning_rate=0.01),
        Adam(learning_rate=0.01, amsgrad=True),
        AdamW(learning_rate=0.01, weight_decay=0.1),  # the optimum is 0, where the decay agrees with the loss
        AdamW(learning_rate=0.01, weight_decay=0.1, amsgrad=True),
    ],
    ids=repr,
)
def test_converges_on_well_conditioned_quadratic(optimizer):
    """Condition number 4 (rotated): ||x|| falls below 1e-12 ||x0|| within 1500 steps at lr=0.01."""
    assert minimise_quadratic(optimizer, [1.0, 1.5, 2.0, 2.5, 3.0, 4.0], steps=1500) < 1e-12


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
    [
        Adam(),
        Adam(amsgrad=True),
        Adam(learning_rate=np.float32(0.5), beta_1=0, beta_2=0.75, epsilon=1e-6, amsgrad=True),
        AdamW(),
        AdamW(amsgrad=True, weight_decay=0.1),
        AdamW(weight_decay=0),
        AdamW(learning_rate=np.float32(0.5), beta_1=0, beta_2=0.75, epsilon=1e-6, weight_decay=np.float32(0.5)),
    ]
)
def test_behaves_like_an_npnet_optimizer(optimizer, assertion):
    """The assertion of npnet_core.testing named in the test id holds."""
    assertion(optimizer)


def test_refused_update_does_not_decay_the_parameters():
    """A gradient of the wrong shape is refused before the decay: the parameters are untouched."""
    opt = AdamW(learning_rate=0.1, weight_decay=0.5)
    p = np.ones(3)
    opt.update(p, np.ones(3))
    before = p.copy()
    with pytest.raises(Exception, match="adamw: gradient has shape"):
        opt.update(p, np.ones(4))
    assert np.array_equal(p, before)


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


@pytest.mark.parametrize(
    "config, state, words",
    [
        ({}, {"step": 2, "m": M}, ["missing ['v']", "AdamW.state_dict()"]),
        ({}, {"step": 2, "m": M, "v": M, "v_max": M}, ["unknown ['v_max']", "this AdamW has amsgrad=False"]),
        ({"amsgrad": True}, {"step": 2, "m": M, "v": M}, ["missing ['v_max']", "this AdamW has amsgrad=True"]),
        ({}, {"step": 2, "m": M, "v": np.ones(4)}, ["one shape and dtype", "(4,)"]),
    ],
)
def test_bad_state_is_rejected_in_adamw_terms(config, state, words):
    """load_state_dict raises ValidationError starting "adamw:", naming AdamW, and keeps the old state."""
    assert_state_refused(AdamW(**config), state, words=words)


def test_state_built_for_other_params_names_adamw():
    """After updating 3 float64 parameters, 4 are refused with a fix that builds a new AdamW."""
    opt = AdamW()
    opt.update(np.ones(3), np.ones(3))
    with pytest.raises(Exception, match=r"^adamw: .*AdamW\(\*\*opt.get_config\(\)\)"):
        opt.update(np.ones(4), np.ones(4))


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


def test_defaults_are_torchs_and_repr_reads_like_the_call():
    """Defaults are torch.optim.AdamW's; repr() evaluates to an equal AdamW; AdamW is an Optimizer named "adamw"."""
    defaults = {
        "learning_rate": 0.001,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-8,
        "weight_decay": 0.01,
        "amsgrad": False,
    }
    assert AdamW().get_config() == defaults and list(AdamW().get_config()) == list(defaults)
    rebuilt = eval(repr(AdamW(weight_decay=0.5, amsgrad=True)), {"AdamW": AdamW})
    assert rebuilt.get_config() == {**defaults, "weight_decay": 0.5, "amsgrad": True}
    assert isinstance(AdamW(), Optimizer) and AdamW.name == "adamw" and Adam.name == "adam"
    assert type(AdamW(weight_decay=0).get_config()["weight_decay"]) is float


def test_decay_is_declared_only_with_a_weight_decay():
    """decays_parameters is True with weight_decay > 0, False with 0; no contract failure is declared."""
    assert AdamW().decays_parameters is True and AdamW(weight_decay=0).decays_parameters is False
    assert not hasattr(AdamW(), "npnet_expected_failures")


def test_bad_weight_decay_message_in_full():
    """The message names the optimizer, the parameter, the range, the bad value, the usual value and how to turn off."""
    template, numbers = split_numbers(assert_hyperparameters_refused(AdamW, {"weight_decay": -0.5}))
    assert (
        template
        == "adamw: weight_decay must be a finite number >= # (got #); the usual value is #, and # turns the decay off"
    )
    assert numbers == [0, -0.5, 0.01, 0]


@pytest.mark.parametrize(
    "kwargs, words, numbers",
    [
        ({"weight_decay": -1e-3}, ["weight_decay", ">="], {"got": -1e-3}),
        ({"weight_decay": float("nan")}, ["weight_decay", "finite"], {"got": float("nan")}),
        ({"weight_decay": float("inf")}, ["weight_decay", "finite"], {"got": float("inf")}),
        ({"weight_decay": "0.01"}, ["weight_decay", "got '0.01'"], {}),
        ({"weight_decay": None}, ["weight_decay", "got None"], {}),
        ({"weight_decay": True}, ["weight_decay", "got True"], {}),
        ({"weight_decay": np.bool_(True)}, ["weight_decay", "True"], {}),
    ],
)
def test_bad_weight_decay_raises_invalid_parameter_error(kwargs, words, numbers):
    """A bad weight_decay raises InvalidParameterError starting "adamw:", saying the bad value and a fix."""
    assert_hyperparameters_refused(AdamW, kwargs, words=words, numbers=numbers)
