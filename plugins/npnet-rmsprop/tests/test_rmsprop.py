"""Tests of RMSprop against hand-worked values, torch's documented algorithm written out plainly, and PyTorch."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from npnet_rmsprop import RMSprop

from npnet_core.protocols import Optimizer
from npnet_core.testing import (
    assert_hyperparameters_refused,
    assert_state_refused,
    assert_trajectory_matches,
    minimise_quadratic,
    parametrize_with_assertions,
    split_numbers,
)


def torch_algorithm(learning_rate=0.01, rho=0.99, epsilon=1e-8, momentum=0.0, centered=False):
    """One step of the algorithm of torch.optim.RMSprop's documentation (alpha = rho), written out plainly.

    v = alpha v + (1 - alpha) g^2; centred: g_ave = alpha g_ave + (1 - alpha) g and v~ = v - g_ave^2;
    with momentum: b = mu b + g / (sqrt(v~) + eps), theta -= lr b; else theta -= lr g / (sqrt(v~) + eps).
    """

    def step(theta, g, state):
        v = rho * state.get("square_avg", 0.0) + (1 - rho) * g**2
        new = {"square_avg": v}
        v_tilde = v
        if centered:
            g_ave = rho * state.get("grad_avg", 0.0) + (1 - rho) * g
            v_tilde = v - g_ave**2
            new["grad_avg"] = g_ave
        if momentum > 0:
            b = momentum * state.get("momentum_buffer", 0.0) + g / (np.sqrt(v_tilde) + epsilon)
            new["momentum_buffer"] = b
            return theta - learning_rate * b, new
        return theta - learning_rate * g / (np.sqrt(v_tilde) + epsilon), new

    return step


def state_keys(config):
    """The arrays RMSprop(**config) keeps."""
    return (
        ("square_avg",)
        + (("momentum_buffer",) if config.get("momentum", 0) > 0 else ())
        + (("grad_avg",) if config.get("centered") else ())
    )


def torch_config(optimizer):
    """torch.optim.RMSprop's keyword arguments for this RMSprop."""
    c = optimizer.get_config()
    return {
        "lr": c["learning_rate"],
        "alpha": c["rho"],
        "eps": c["epsilon"],
        "momentum": c["momentum"],
        "centered": c["centered"],
    }


def random_gradients(steps, size, seed=0):
    """Gradients whose scale changes from step to step (0.01 to 10)."""
    rng = np.random.default_rng(seed)
    return [rng.normal(size=size) * 10.0 ** rng.uniform(-2, 1) for _ in range(steps)]


#: default, momentum, centred, both, and everything changed
CONFIGS = [
    {},
    {"momentum": 0.9},
    {"centered": True},
    {"momentum": 0.9, "centered": True},
    {"learning_rate": 0.05, "rho": 0.5, "epsilon": 1e-3, "momentum": 0.5, "centered": True},
]


# --- hand-worked values -------------------------------------------------------------------


def test_first_step_with_the_defaults_is_ten_learning_rates():
    """At t=1, square_avg = 0.01 g^2: p moves by lr * g / (0.1 |g| + 1e-8), about 10 lr against the gradient."""
    p = np.zeros(4)
    g = np.array([1e-3, -5.0, 1e3, -1e-2])
    RMSprop().update(p, g)
    np.testing.assert_allclose(p, -0.01 * g / (0.1 * np.abs(g) + 1e-8), rtol=1e-14)
    np.testing.assert_allclose(p, [-0.1, 0.1, -0.1, 0.1], rtol=1e-4)


def test_plain_steps_worked_by_hand():
    """lr=0.1, rho=0.75, epsilon=1 (large, to show that it is added after the square root); two steps."""
    opt = RMSprop(learning_rate=0.1, rho=0.75, epsilon=1.0)
    p = np.array([1.0])
    # t=1: g = 4:  square_avg = 0.25*16 = 4          denom = sqrt(4) + 1 = 3   p -= 0.1*4/3 = 2/15
    # t=2: g = -2: square_avg = 0.75*4 + 0.25*4 = 4  denom = 3                 p -= 0.1*(-2)/3 = -1/15
    for g in (4.0, -2.0):
        opt.update(p, np.array([g]))
    np.testing.assert_allclose(p, [14 / 15], rtol=1e-14)
    assert opt.state_dict().keys() == {"square_avg"}
    np.testing.assert_allclose(opt.state_dict()["square_avg"], [4.0], rtol=1e-14)


def test_momentum_steps_worked_by_hand():
    """lr=0.1, rho=0.75, epsilon=1, momentum=0.5: the buffer holds g / denom, the learning rate stays outside."""
    opt = RMSprop(learning_rate=0.1, rho=0.75, epsilon=1.0, momentum=0.5)
    p = np.array([1.0])
    # t=1: g = 4:  denom = 3 (as above)  buffer = 4/3               p -= 0.1*4/3 = 2/15
    # t=2: g = -2: denom = 3             buffer = 0.5*4/3 - 2/3 = 0  p -= 0
    # t=3: g = 0:  square_avg = 3, denom = sqrt(3) + 1; buffer = 0  p -= 0
    for g in (4.0, -2.0):
        opt.update(p, np.array([g]))
    np.testing.assert_allclose(p, [13 / 15], rtol=1e-14)
    np.testing.assert_allclose(opt.state_dict()["momentum_buffer"], [0.0], atol=1e-15)
    opt.update(p, np.array([0.0]))
    np.testing.assert_allclose(p, [13 / 15], rtol=1e-14)
    np.testing.assert_allclose(opt.state_dict()["square_avg"], [3.0], rtol=1e-14)


def test_centered_steps_worked_by_hand():
    """lr=0.1, rho=0.5, epsilon=1, centered: the denominator is sqrt(square_avg - grad_avg^2) + epsilon."""
    opt = RMSprop(learning_rate=0.1, rho=0.5, epsilon=1.0, centered=True)
    p = np.array([1.0])
    # t=1: g = 4:  square_avg = 8, grad_avg = 2;  8 - 4 = 4: denom = 3         p -= 0.1*4/3 = 2/15
    # t=2: g = -2: square_avg = 4 + 2 = 6, grad_avg = 1 - 1 = 0; denom = sqrt(6) + 1   p -= 0.1*(-2)/(sqrt(6) + 1)
    #      (uncentred, it would be the same here: grad_avg = 0)
    # t=3: g = 2:  square_avg = 3 + 2 = 5, grad_avg = 0 + 1 = 1; 5 - 1 = 4: denom = 3   p -= 0.1*2/3 = 1/15
    #      (uncentred: denom = sqrt(5) + 1)
    for g in (4.0, -2.0, 2.0):
        opt.update(p, np.array([g]))
    np.testing.assert_allclose(p, [1 - 2 / 15 + 0.2 / (math.sqrt(6) + 1) - 1 / 15], rtol=1e-14)
    state = opt.state_dict()
    np.testing.assert_allclose([state["square_avg"][0], state["grad_avg"][0]], [5.0, 1.0], rtol=1e-14)


# --- the algorithm of torch's documentation, and PyTorch itself ---------------------------------


@pytest.mark.parametrize("config", CONFIGS)
def test_follows_torchs_algorithm_over_500_steps(config):
    """Agrees with torch's documented algorithm, written out plainly, to 1e-12 of the params' scale at every step."""
    assert_trajectory_matches(
        RMSprop(**config), torch_algorithm(**config), steps=500, size=100, rtol=1e-12, state_keys=state_keys(config)
    )


def torch_step(torch, config):
    """One update of torch.optim.RMSprop in float64, as a reference step for assert_trajectory_matches."""

    def step(p, g, state):
        if not state:
            param = torch.tensor(p, dtype=torch.float64, requires_grad=True)
            state = {"param": param, "optimizer": torch.optim.RMSprop([param], **config)}
        state["param"].grad = torch.from_numpy(g)
        state["optimizer"].step()
        return state["param"].detach().numpy().copy(), state

    return step


@pytest.mark.parametrize("config", CONFIGS)
def test_matches_pytorch_on_random_gradients(config):
    """torch.optim.RMSprop in float64 gives the same parameters to 1e-12 of their scale at each of 500 steps."""
    torch = pytest.importorskip("torch")
    opt = RMSprop(**config)
    assert_trajectory_matches(opt, torch_step(torch, torch_config(opt)), steps=500, size=100, rtol=1e-12)


@pytest.mark.parametrize("config", CONFIGS[:4])
def test_matches_pytorch_on_a_quadratic(config):
    """On 0.5 (x - c)^T A (x - c), each following its own gradient, npnet and torch agree to 1e-12 for 500 steps.

    (Closed loop, rounding differences feed back. With the last configuration's large rate the iterates end up
    bouncing around the optimum, where such differences grow by orders of magnitude every few dozen steps, as
    in any chaotic map; it is compared on fixed gradients only, above.)
    """
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    rotation, _ = np.linalg.qr(rng.normal(size=(8, 8)))
    hessian = (rotation * np.geomspace(0.1, 10.0, 8)) @ rotation.T
    optimum = rng.normal(size=8)
    opt = RMSprop(**{"learning_rate": 0.003, **config})
    x = np.zeros(8)
    theta = torch.zeros(8, dtype=torch.float64, requires_grad=True)
    reference = torch.optim.RMSprop([theta], **torch_config(opt))
    start = np.linalg.norm(optimum)
    for step in range(1, 501):
        opt.update(x, hessian @ (x - optimum))
        theta.grad = torch.from_numpy(hessian @ (theta.detach().numpy() - optimum))
        reference.step()
        expected = theta.detach().numpy()
        np.testing.assert_allclose(x, expected, rtol=0, atol=1e-12 * np.max(np.abs(expected)), err_msg=f"step {step}")
    assert np.linalg.norm(x - optimum) < 0.5 * start  # and it went somewhere


@pytest.mark.parametrize("config", CONFIGS)
def test_learning_rate_set_before_each_update_is_used(config):
    """A schedule's rate, set as the attribute before each of 300 updates, scales that update as torch's lr does."""
    torch = pytest.importorskip("torch")
    rates = 0.01 * (1 + np.cos(np.linspace(0, 3 * np.pi, 300))) + 1e-4
    opt = RMSprop(**config)
    p = np.random.default_rng(1).normal(size=60)
    theta = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    reference = torch.optim.RMSprop([theta], **torch_config(opt))
    for step, (rate, g) in enumerate(zip(rates, random_gradients(300, 60, seed=2)), start=1):
        opt.learning_rate = float(rate)
        reference.param_groups[0]["lr"] = float(rate)
        opt.update(p, g)
        theta.grad = torch.from_numpy(g)
        reference.step()
        expected = theta.detach().numpy()
        np.testing.assert_allclose(p, expected, rtol=0, atol=1e-12 * np.max(np.abs(expected)), err_msg=f"step {step}")


@pytest.mark.parametrize("config", CONFIGS)
def test_float32_keeps_float32_and_follows_the_algorithm_in_float64(config):
    """float32 params and state stay float32 and follow the algorithm in float64 to float32 accuracy."""
    assert_trajectory_matches(
        RMSprop(**config),
        torch_algorithm(**config),
        steps=30,
        size=20,
        dtype=np.float32,
        reference_dtype=np.float64,
        rtol=1e-5,
        state_keys=state_keys(config),
    )


# --- saving and resuming ------------------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS)
def test_150_steps_saved_and_resumed_then_150_more_equal_300_steps(config):
    """State saved after 150 of 300 updates, loaded into a new RMSprop (directly and through .npz): the same run."""
    gradients = random_gradients(300, 40, seed=5)
    first = RMSprop(**config)
    p = np.random.default_rng(6).normal(size=40)
    for g in gradients[:150]:
        first.update(p, g)
    buffer = io.BytesIO()
    np.savez(buffer, **first.state_dict())
    buffer.seek(0)
    with np.load(buffer) as saved:
        from_file = {key: saved[key] for key in saved.files}
    resumed = {"direct": RMSprop(**config), "npz": RMSprop(**config)}
    resumed["direct"].load_state_dict(first.state_dict())
    resumed["npz"].load_state_dict(from_file)
    params = {how: p.copy() for how in resumed}
    for g in gradients[150:]:
        first.update(p, g)
        for how, opt in resumed.items():
            opt.update(params[how], g)
    for how, opt in resumed.items():
        assert np.array_equal(params[how], p), how
        state, expected = opt.state_dict(), first.state_dict()
        assert state.keys() == expected.keys() == set(state_keys(config)), how
        assert all(np.array_equal(state[key], expected[key]) for key in state), how


@parametrize_with_assertions(
    [
        RMSprop(),
        RMSprop(momentum=0.9),
        RMSprop(centered=True),
        RMSprop(momentum=0.9, centered=True),
        RMSprop(learning_rate=np.float32(0.5), rho=0, epsilon=1e-6, momentum=1 / 3, centered=np.bool_(True)),
    ]
)
def test_behaves_like_an_npnet_optimizer(optimizer, assertion):
    """The assertion of npnet_core.testing named in the test id holds."""
    assertion(optimizer)


# --- state ------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS)
def test_state_is_empty_then_the_running_means(config):
    """A fresh RMSprop's state is {}; after an update, its arrays (plain, + momentum_buffer, + grad_avg)."""
    opt = RMSprop(**config)
    assert opt.state_dict() == {}
    opt.update(np.ones(3), np.ones(3))
    assert list(opt.state_dict()) == list(state_keys(config))


A = np.ones(3)


@pytest.mark.parametrize(
    "config, state, words",
    [
        ({}, {"square_avg": A, "step": 3}, ["unknown ['step']", "RMSprop.state_dict()"]),
        ({}, {"square_avg": A, "momentum_buffer": A}, ["unknown ['momentum_buffer']", "momentum=0.0"]),
        ({"momentum": 0.9}, {"square_avg": A}, ["missing ['momentum_buffer']", "momentum=0.9", "momentum = 0"]),
        ({}, {"square_avg": A, "grad_avg": A}, ["unknown ['grad_avg']", "centered=False", "centered=True?"]),
        ({"centered": True}, {"square_avg": A}, ["missing ['grad_avg']", "centered=True", "centered=False?"]),
        ({"centered": True}, {"grad_avg": A}, ["missing ['square_avg']"]),
        ({}, {"square_avg": [1.0, 1.0, 1.0]}, ["state['square_avg']", "floating-point ndarray", "list"]),
        ({}, {"square_avg": np.ones(3, dtype=int)}, ["state['square_avg']", "floating-point ndarray"]),
        ({}, {"square_avg": np.ones((3, 1))}, ["state['square_avg']", "one-dimensional"]),
        ({}, {"square_avg": np.array([1.0, np.nan, 1.0])}, ["state['square_avg']", "NaN or infinite"]),
        ({"centered": True}, {"square_avg": A, "grad_avg": np.ones(4)}, ["one shape and dtype", "(4,)"]),
        ({}, [("square_avg", A)], ["dict", "list"]),
    ],
)
def test_bad_state_is_refused_and_changes_nothing(config, state, words):
    """load_state_dict raises ValidationError naming the problem (and the likely mix-up) and keeps the old state."""
    assert_state_refused(RMSprop(**config), state, words=words)


def test_parameters_of_another_network_are_refused():
    """After updating 3 float64 parameters, 4 are refused with a fix that builds a new RMSprop."""
    opt = RMSprop()
    opt.update(np.ones(3), np.ones(3))
    with pytest.raises(Exception, match=r"^rmsprop: .*belongs to one network.*RMSprop\(\*\*opt.get_config\(\)\)"):
        opt.update(np.ones(4), np.ones(4))


# --- hyperparameters ----------------------------------------------------------------------------


def test_defaults_are_torchs_and_repr_reads_like_the_call():
    """Defaults are torch.optim.RMSprop's; repr() evaluates to an equal RMSprop; it is an Optimizer named "rmsprop"."""
    defaults = {"learning_rate": 0.01, "rho": 0.99, "epsilon": 1e-8, "momentum": 0.0, "centered": False}
    assert RMSprop().get_config() == defaults and list(RMSprop().get_config()) == list(defaults)
    rebuilt = eval(repr(RMSprop(rho=0.9, momentum=0.5, centered=True)), {"RMSprop": RMSprop})
    assert rebuilt.get_config() == {**defaults, "rho": 0.9, "momentum": 0.5, "centered": True}
    assert isinstance(rebuilt, Optimizer) and RMSprop.name == "rmsprop"


def test_torch_defaults_agree():
    """The defaults are those of torch.optim.RMSprop (lr, alpha, eps, momentum, centered)."""
    torch = pytest.importorskip("torch")
    defaults = torch.optim.RMSprop([torch.zeros(1, requires_grad=True)]).defaults
    assert torch_config(RMSprop()) == {key: defaults[key] for key in ("lr", "alpha", "eps", "momentum", "centered")}


def test_bad_rho_message_in_full():
    """The message names the optimizer, the parameter, the range, the bad value and the usual value."""
    template, numbers = split_numbers(assert_hyperparameters_refused(RMSprop, {"rho": 1.0}))
    assert template == "rmsprop: rho must be in [#, #) (got #); the usual value is #"
    assert numbers == [0, 1, 1.0, 0.99]


@pytest.mark.parametrize(
    "kwargs, words, numbers",
    [
        ({"learning_rate": 0}, ["learning_rate", "finite number >"], {"got": 0, "the usual value is": 0.01}),
        ({"learning_rate": -1e-3}, ["learning_rate"], {"got": -1e-3}),
        ({"learning_rate": float("nan")}, ["learning_rate", "finite"], {"got": float("nan")}),
        ({"learning_rate": float("inf")}, ["learning_rate", "finite"], {"got": float("inf")}),
        ({"learning_rate": "1e-3"}, ["learning_rate", "got '1e-3'"], {}),
        ({"learning_rate": None}, ["learning_rate", "got None"], {}),
        ({"rho": 1}, ["rho", "must be in ["], {"got": 1, "the usual value is": 0.99}),
        ({"rho": 1.5}, ["rho", "must be in ["], {"got": 1.5}),
        ({"rho": -0.1}, ["rho", "must be in ["], {"got": -0.1}),
        ({"rho": float("nan")}, ["rho"], {"got": float("nan")}),
        ({"rho": True}, ["rho", "got True"], {}),
        ({"epsilon": 0.0}, ["epsilon", "finite number >"], {"got": 0.0, "the usual value is": 1e-8}),
        ({"epsilon": -1e-8}, ["epsilon"], {"got": -1e-8}),
        ({"epsilon": float("inf")}, ["epsilon", "finite"], {"got": float("inf")}),
        ({"momentum": 1.0}, ["momentum", "must be in [", "no momentum"], {"got": 1.0}),
        ({"momentum": -0.5}, ["momentum", "must be in ["], {"got": -0.5}),
        ({"momentum": None}, ["momentum", "got None"], {}),
        ({"centered": 1}, ["centered", "True or False"], {"got": 1}),
        ({"centered": "yes"}, ["centered", "True or False", "got 'yes'"], {}),
    ],
)
def test_bad_hyperparameters_raise_invalid_parameter_error(kwargs, words, numbers):
    """Bad hyperparameters raise InvalidParameterError saying which, the bad value and a fix."""
    assert_hyperparameters_refused(RMSprop, kwargs, words=words, numbers=numbers)


# --- convergence on 0.5 x^T A x ---------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS[:4])
def test_every_variant_converges_on_a_quadratic(config):
    """Condition number 10 (rotated), lr=1e-3: every variant brings ||x|| below 1e-3 ||x0|| within 3000 steps."""
    opt = RMSprop(learning_rate=1e-3, **config)
    assert minimise_quadratic(opt, np.geomspace(0.1, 1.0, 6), steps=3000) < 1e-3
