"""Tests of Adamax against hand-worked values, torch's documented algorithm written out plainly, and PyTorch."""

from __future__ import annotations

import io

import numpy as np
import pytest
from npnet_adam import Adamax, plugin

from npnet_core import get_registry, make_registry
from npnet_core.protocols import Optimizer
from npnet_core.testing import (
    assert_hyperparameters_refused,
    assert_state_refused,
    assert_trajectory_matches,
    minimise_quadratic,
    parametrize_with_assertions,
    parametrize_with_checks,
    split_numbers,
)


def torch_algorithm(learning_rate=0.002, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    """One step of the algorithm of torch.optim.Adamax's documentation (Algorithm 2 of Kingma & Ba), plainly.

    m = b1 m + (1 - b1) g; u = max(b2 u, |g| + eps); theta -= lr m / ((1 - b1^t) u).
    """

    def step(theta, g, state):
        t = state.get("step", 0) + 1
        m = beta_1 * state.get("m", 0.0) + (1 - beta_1) * g
        u = np.maximum(beta_2 * state.get("u", 0.0), np.abs(g) + epsilon)
        return theta - learning_rate * m / ((1 - beta_1**t) * u), {"step": t, "m": m, "u": u}

    return step


def torch_config(optimizer):
    """torch.optim.Adamax's keyword arguments for this Adamax."""
    c = optimizer.get_config()
    return {"lr": c["learning_rate"], "betas": (c["beta_1"], c["beta_2"]), "eps": c["epsilon"]}


def random_gradients(steps, size, seed=0):
    """Gradients whose scale changes from step to step (0.01 to 10), so that the running maximum matters."""
    rng = np.random.default_rng(seed)
    return [rng.normal(size=size) * 10.0 ** rng.uniform(-2, 1) for _ in range(steps)]


CONFIGS = [
    {},
    {"learning_rate": 0.01},
    {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3},
    {"learning_rate": 0.05, "beta_1": 0.0, "beta_2": 0.0},
]


# --- hand-worked values -------------------------------------------------------------------


def test_steps_worked_by_hand():
    """lr=0.1, beta_1=beta_2=0.5, epsilon=1 (large, to show that it is added to |g| inside the maximum)."""
    opt = Adamax(learning_rate=0.1, beta_1=0.5, beta_2=0.5, epsilon=1.0)
    p = np.array([1.0, 1.0])
    # element 0, gradients 4, -2, 1:
    #   t=1: m = 2               u = max(0, 4 + 1) = 5        p -= (0.1/0.5)*2/5 = 0.08
    #   t=2: m = 1 - 1 = 0       u = max(2.5, 2 + 1) = 3      p -= 0
    #   t=3: m = 0.5             u = max(1.5, 1 + 1) = 2      p -= (0.1/0.875)*0.5/2 = 1/35
    # element 1, gradients 0, 0, 10:
    #   t=1: m = 0  u = max(0, 1) = 1;  t=2: m = 0  u = max(0.5, 1) = 1   (p unchanged)
    #   t=3: m = 5  u = max(0.5, 11) = 11                     p -= (0.1/0.875)*5/11 = 4/77
    for g in ([4.0, 0.0], [-2.0, 0.0], [1.0, 10.0]):
        opt.update(p, np.array(g))
    np.testing.assert_allclose(p, [1 - 0.08 - 1 / 35, 1 - 4 / 77], rtol=1e-14)
    state = opt.state_dict()
    assert state["step"] == 3
    np.testing.assert_allclose(state["m"], [0.5, 5.0], rtol=1e-14)
    np.testing.assert_allclose(state["u"], [2.0, 11.0], rtol=1e-14)


def test_first_step_is_learning_rate_times_sign_of_gradient():
    """At t=1, m / ((1 - b1) u) = g / (|g| + eps): every parameter moves by about lr, whatever its gradient's scale."""
    p = np.zeros(4)
    g = np.array([1e-3, -5.0, 1e3, -1e-2])
    Adamax(learning_rate=0.01).update(p, g)
    np.testing.assert_allclose(p, -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-14)
    np.testing.assert_allclose(p, [-0.01, 0.01, -0.01, 0.01], rtol=1e-4)


# --- the algorithm of torch's documentation, and PyTorch itself ---------------------------------


@pytest.mark.parametrize("config", CONFIGS)
def test_follows_torchs_algorithm_over_500_steps(config):
    """Agrees with torch's documented algorithm to 1e-12 of the params' scale at every step, m and u too."""
    assert_trajectory_matches(
        Adamax(**config), torch_algorithm(**config), steps=500, size=100, rtol=1e-12, state_keys=("step", "m", "u")
    )


@pytest.mark.parametrize("config", CONFIGS)
def test_matches_pytorch_on_random_gradients(config):
    """torch.optim.Adamax in float64 gives the same parameters to 1e-12 of their scale at each of 500 steps."""
    torch = pytest.importorskip("torch")
    opt = Adamax(**config)

    def torch_step(p, g, state):
        if not state:
            param = torch.tensor(p, dtype=torch.float64, requires_grad=True)
            state = {"param": param, "optimizer": torch.optim.Adamax([param], **torch_config(opt))}
        state["param"].grad = torch.from_numpy(g)
        state["optimizer"].step()
        return state["param"].detach().numpy().copy(), state

    assert_trajectory_matches(opt, torch_step, steps=500, size=100, rtol=1e-12)


@pytest.mark.parametrize("config", CONFIGS[:2])
def test_matches_pytorch_on_a_quadratic(config):
    """On 0.5 (x - c)^T A (x - c), each following its own gradient, npnet and torch agree to 1e-12 for 500 steps.

    (Closed loop, rounding differences feed back. With a large rate the iterates end up bouncing around the
    optimum, where they grow by orders of magnitude every few dozen steps, as in any chaotic map; so the
    aggressive configurations are compared on fixed gradients only, above.)
    """
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    rotation, _ = np.linalg.qr(rng.normal(size=(8, 8)))
    hessian = (rotation * np.geomspace(0.1, 10.0, 8)) @ rotation.T
    optimum = rng.normal(size=8)
    opt = Adamax(**config)
    x = np.zeros(8)
    theta = torch.zeros(8, dtype=torch.float64, requires_grad=True)
    reference = torch.optim.Adamax([theta], **torch_config(opt))
    for step in range(1, 501):
        opt.update(x, hessian @ (x - optimum))
        theta.grad = torch.from_numpy(hessian @ (theta.detach().numpy() - optimum))
        reference.step()
        expected = theta.detach().numpy()
        np.testing.assert_allclose(x, expected, rtol=0, atol=1e-12 * np.max(np.abs(expected)), err_msg=f"step {step}")


def test_learning_rate_set_before_each_update_is_used():
    """A schedule's rate, set as the attribute before each of 300 updates, scales that update as torch's lr does."""
    torch = pytest.importorskip("torch")
    rates = 0.01 * (1 + np.cos(np.linspace(0, 3 * np.pi, 300))) + 1e-4
    opt = Adamax()
    p = np.random.default_rng(1).normal(size=60)
    theta = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    reference = torch.optim.Adamax([theta], **torch_config(opt))
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
    """float32 params, m and u stay float32 and follow the algorithm in float64 to float32 accuracy."""
    assert_trajectory_matches(
        Adamax(**config),
        torch_algorithm(**config),
        steps=30,
        size=20,
        dtype=np.float32,
        reference_dtype=np.float64,
        rtol=1e-5,
        state_keys=("m", "u"),
    )


# --- saving and resuming ------------------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS)
def test_150_steps_saved_and_resumed_then_150_more_equal_300_steps(config):
    """State saved after 150 of 300 updates, loaded into a new Adamax (directly and through .npz): the same run."""
    gradients = random_gradients(300, 40, seed=5)
    first = Adamax(**config)
    p = np.random.default_rng(6).normal(size=40)
    for g in gradients[:150]:
        first.update(p, g)
    buffer = io.BytesIO()
    np.savez(buffer, **first.state_dict())
    buffer.seek(0)
    with np.load(buffer) as saved:
        from_file = {key: saved[key] for key in saved.files}
    resumed = {"direct": Adamax(**config), "npz": Adamax(**config)}
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
        assert state.keys() == expected.keys() == {"step", "m", "u"} and state["step"] == 300, how
        assert all(np.array_equal(state[key], expected[key]) for key in state), how


@parametrize_with_assertions([Adamax(), Adamax(learning_rate=np.float32(0.5), beta_1=0, beta_2=0.75, epsilon=1e-6)])
def test_behaves_like_an_npnet_optimizer(optimizer, assertion):
    """The assertion of npnet_core.testing named in the test id holds."""
    assertion(optimizer)


@parametrize_with_checks(
    [Adamax(), Adamax(learning_rate=0.01), Adamax(learning_rate=0.05, beta_1=0.5, beta_2=0.9, epsilon=1e-3)]
)
def test_adamax_honours_the_npnet_contract(component, check):
    """Every contract check passes for Adamax, default and non-default."""
    check(component)


# --- state ------------------------------------------------------------------------------------


def test_state_is_the_step_then_m_and_u():
    """A fresh Adamax's state is {"step": 0}; after an update it also holds m and u."""
    opt = Adamax()
    assert opt.state_dict() == {"step": 0}
    opt.update(np.ones(3), np.ones(3))
    state = opt.state_dict()
    assert set(state) == {"step", "m", "u"} and type(state["step"]) is int and state["step"] == 1


M = np.ones(3)


@pytest.mark.parametrize(
    "state, words, numbers",
    [
        ({"m": M, "u": M}, ["missing 'step'"], {}),
        ({"step": 2, "m": M}, ["missing ['u']", "Adamax.state_dict()"], {"step=": 2}),
        ({"step": 2, "m": M, "v": M}, ["missing ['u']", "unknown ['v']"], {}),
        ({"step": 0, "m": M, "u": M}, ["unknown ['m', 'u']", "come with step >"], {"step >": 0}),
        ({"step": -1}, ["state['step']", "integer"], {">=": 0, "got": -1}),
        ({"step": 2.0, "m": M, "u": M}, ["state['step']", "integer"], {"got": 2.0}),
        ({"step": 2, "m": M, "u": np.ones(4)}, ["one shape and dtype", "(4,)"], {}),
        ({"step": 2, "m": M, "u": np.array([1.0, np.nan, 1.0])}, ["state['u']", "NaN or infinite"], {}),
        ({"step": 2, "m": [1.0, 1.0, 1.0], "u": M}, ["state['m']", "floating-point ndarray", "list"], {}),
        ([("step", 0)], ["dict", "list"], {}),
    ],
)
def test_bad_state_is_refused_and_changes_nothing(state, words, numbers):
    """load_state_dict raises ValidationError naming the problem and keeps the old state."""
    assert_state_refused(Adamax(), state, words=words, numbers=numbers)


def test_parameters_of_another_network_are_refused():
    """After updating 3 float64 parameters, 4 are refused with a fix that builds a new Adamax."""
    opt = Adamax()
    opt.update(np.ones(3), np.ones(3))
    with pytest.raises(Exception, match=r"^adamax: .*belongs to one network.*Adamax\(\*\*opt.get_config\(\)\)"):
        opt.update(np.ones(4), np.ones(4))


# --- hyperparameters ----------------------------------------------------------------------------


def test_defaults_are_torchs_and_repr_reads_like_the_call():
    """Defaults are torch.optim.Adamax's; repr() evaluates to an equal Adamax; it is an Optimizer named "adamax"."""
    defaults = {"learning_rate": 0.002, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8}
    assert Adamax().get_config() == defaults and list(Adamax().get_config()) == list(defaults)
    rebuilt = eval(repr(Adamax(beta_2=0.5)), {"Adamax": Adamax})
    assert rebuilt.get_config() == {**defaults, "beta_2": 0.5}
    assert isinstance(rebuilt, Optimizer) and Adamax.name == "adamax"


def test_torch_defaults_agree():
    """The defaults are those of torch.optim.Adamax (lr, betas, eps)."""
    torch = pytest.importorskip("torch")
    defaults = torch.optim.Adamax([torch.zeros(1, requires_grad=True)]).defaults
    assert torch_config(Adamax()) == {key: defaults[key] for key in ("lr", "betas", "eps")}


def test_bad_beta_message_in_full():
    """The message names the optimizer, the parameter, the range, the bad value and the usual value."""
    template, numbers = split_numbers(assert_hyperparameters_refused(Adamax, {"beta_2": 1.5}))
    assert template == "adamax: beta_2 must be in [#, #) (got #); the usual value is #"
    assert numbers == [0, 1, 1.5, 0.999]


@pytest.mark.parametrize(
    "kwargs, words, numbers",
    [
        ({"learning_rate": 0}, ["learning_rate", "finite number >"], {"got": 0, "the usual value is": 0.002}),
        ({"learning_rate": -2e-3}, ["learning_rate"], {"got": -2e-3}),
        ({"learning_rate": float("inf")}, ["learning_rate", "finite"], {"got": float("inf")}),
        ({"learning_rate": "2e-3"}, ["learning_rate", "got '2e-3'"], {}),
        ({"beta_1": 1.0}, ["beta_1", "must be in ["], {"got": 1.0, "the usual value is": 0.9}),
        ({"beta_1": -0.1}, ["beta_1"], {"got": -0.1}),
        ({"beta_2": 1}, ["beta_2", "must be in ["], {"got": 1, "the usual value is": 0.999}),
        ({"beta_2": float("nan")}, ["beta_2"], {"got": float("nan")}),
        ({"beta_2": None}, ["beta_2", "got None"], {}),
        ({"epsilon": 0.0}, ["epsilon", "finite number >"], {"got": 0.0, "the usual value is": 1e-8}),
        ({"epsilon": -1e-8}, ["epsilon"], {"got": -1e-8}),
        ({"epsilon": True}, ["epsilon", "got True"], {}),
    ],
)
def test_bad_hyperparameters_raise_invalid_parameter_error(kwargs, words, numbers):
    """Bad hyperparameters raise InvalidParameterError saying which, the bad value and a fix."""
    assert_hyperparameters_refused(Adamax, kwargs, words=words, numbers=numbers)


# --- convergence, and the plugin --------------------------------------------------------------


def test_converges_on_a_quadratic():
    """Condition number 10 (rotated), lr=0.01: ||x|| falls below 1e-3 ||x0|| within 3000 steps."""
    assert minimise_quadratic(Adamax(learning_rate=0.01), np.geomspace(0.1, 1.0, 6), steps=3000) < 1e-3


def test_plugin_registers_adamax():
    """Registered by hand, the npnet-adam plugin provides Adamax as "adamax", its parameters passed through."""
    registry = make_registry(autoload=False)
    registry.register_plugin(plugin, "adam")
    [info] = registry.plugins
    assert [(e.name, e.factory, e.aliases) for e in info.components if e.name == "adamax"] == [("adamax", Adamax, ())]
    opt, spec = registry.create("optimizer", "adamax", {"learning_rate": 0.01})
    assert type(opt) is Adamax and opt.get_config()["learning_rate"] == 0.01 == spec.params["learning_rate"]


def test_installed_distribution_provides_adamax():
    """Through npnet-adam's entry point, "npnet-adam:adamax" resolves to Adamax."""
    entry = get_registry().lookup("optimizer", "npnet-adam:adamax")
    assert (entry.factory, entry.distribution) == (Adamax, "npnet-adam")
