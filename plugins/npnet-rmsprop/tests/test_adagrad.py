"""Tests of Adagrad against hand-worked values, torch's documented algorithm written out plainly, and PyTorch."""

from __future__ import annotations

import io

import numpy as np
import pytest
from npnet_rmsprop import Adagrad

from npnet_core.protocols import Optimizer
from npnet_core.testing import (
    assert_hyperparameters_refused,
    assert_state_refused,
    assert_trajectory_matches,
    minimise_quadratic,
    parametrize_with_assertions,
    split_numbers,
)


def torch_algorithm(learning_rate=0.01, initial_accumulator_value=0.0, epsilon=1e-10):
    """One step of the algorithm of torch.optim.Adagrad's documentation (lr_decay = weight_decay = 0), plainly.

    state_sum starts at initial_accumulator_value; state_sum += g^2; theta -= lr g / (sqrt(state_sum) + eps).
    """

    def step(theta, g, state):
        state_sum = state.get("sum", initial_accumulator_value) + g**2
        return theta - learning_rate * g / (np.sqrt(state_sum) + epsilon), {"sum": state_sum}

    return step


def torch_config(optimizer):
    """torch.optim.Adagrad's keyword arguments for this Adagrad."""
    c = optimizer.get_config()
    return {"lr": c["learning_rate"], "initial_accumulator_value": c["initial_accumulator_value"], "eps": c["epsilon"]}


def random_gradients(steps, size, seed=0):
    """Gradients whose scale changes from step to step (0.01 to 10)."""
    rng = np.random.default_rng(seed)
    return [rng.normal(size=size) * 10.0 ** rng.uniform(-2, 1) for _ in range(steps)]


CONFIGS = [
    {},
    {"learning_rate": 0.1},
    {"initial_accumulator_value": 0.1},
    {"learning_rate": 0.5, "initial_accumulator_value": 2.0, "epsilon": 1e-3},
]


# --- hand-worked values -------------------------------------------------------------------


def test_first_step_from_zero_is_learning_rate_times_sign():
    """From a zero sum, the first step is lr * g / (|g| + 1e-10): lr against the gradient's sign, whatever its size."""
    p = np.zeros(4)
    g = np.array([1e-3, -5.0, 1e3, -1e-2])
    Adagrad(learning_rate=0.1).update(p, g)
    np.testing.assert_allclose(p, -0.1 * g / (np.abs(g) + 1e-10), rtol=1e-14)
    np.testing.assert_allclose(p, [-0.1, 0.1, -0.1, 0.1], rtol=1e-6)


def test_steps_worked_by_hand():
    """lr=0.1, initial_accumulator_value=5, epsilon=1: the sum of squares grows, the steps shrink."""
    opt = Adagrad(learning_rate=0.1, initial_accumulator_value=5.0, epsilon=1.0)
    p = np.array([1.0, 1.0])
    # element 0, gradients 2, 4, -6:
    #   t=1: sum = 5 + 4 = 9     p -= 0.1*2/(3 + 1) = 0.05
    #   t=2: sum = 9 + 16 = 25   p -= 0.1*4/(5 + 1) = 1/15
    #   t=3: sum = 25 + 36 = 61  p -= 0.1*(-6)/(sqrt(61) + 1)
    # element 1, gradient 0 each time: sum stays 5, p stays 1
    for g in ([2.0, 0.0], [4.0, 0.0], [-6.0, 0.0]):
        opt.update(p, np.array(g))
    np.testing.assert_allclose(p, [1 - 0.05 - 1 / 15 + 0.6 / (np.sqrt(61) + 1), 1.0], rtol=1e-14)
    np.testing.assert_allclose(opt.state_dict()["sum"], [61.0, 5.0], rtol=1e-14)


# --- the algorithm of torch's documentation, and PyTorch itself ---------------------------------


@pytest.mark.parametrize("config", CONFIGS)
def test_follows_torchs_algorithm_over_500_steps(config):
    """Agrees with torch's documented algorithm, written out plainly, to 1e-12 of the params' scale, the sum exactly."""
    assert_trajectory_matches(
        Adagrad(**config), torch_algorithm(**config), steps=500, size=100, rtol=1e-12, state_keys=("sum",), state_rtol=0
    )


@pytest.mark.parametrize("config", CONFIGS)
def test_matches_pytorch_on_random_gradients(config):
    """torch.optim.Adagrad in float64 gives the same parameters to 1e-12 of their scale at each of 500 steps."""
    torch = pytest.importorskip("torch")
    opt = Adagrad(**config)

    def torch_step(p, g, state):
        if not state:
            param = torch.tensor(p, dtype=torch.float64, requires_grad=True)
            state = {"param": param, "optimizer": torch.optim.Adagrad([param], **torch_config(opt))}
        state["param"].grad = torch.from_numpy(g)
        state["optimizer"].step()
        return state["param"].detach().numpy().copy(), state

    assert_trajectory_matches(opt, torch_step, steps=500, size=100, rtol=1e-12)


@pytest.mark.parametrize("config", CONFIGS)
def test_matches_pytorch_on_a_quadratic(config):
    """On 0.5 (x - c)^T A (x - c), each following its own gradient, npnet and torch agree to 1e-12 for 500 steps."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    rotation, _ = np.linalg.qr(rng.normal(size=(8, 8)))
    hessian = (rotation * np.geomspace(0.1, 10.0, 8)) @ rotation.T
    optimum = rng.normal(size=8)
    opt = Adagrad(**config)
    x = np.zeros(8)
    theta = torch.zeros(8, dtype=torch.float64, requires_grad=True)
    reference = torch.optim.Adagrad([theta], **torch_config(opt))
    for step in range(1, 501):
        opt.update(x, hessian @ (x - optimum))
        theta.grad = torch.from_numpy(hessian @ (theta.detach().numpy() - optimum))
        reference.step()
        expected = theta.detach().numpy()
        np.testing.assert_allclose(x, expected, rtol=0, atol=1e-12 * np.max(np.abs(expected)), err_msg=f"step {step}")


def test_learning_rate_set_before_each_update_is_used():
    """A schedule's rate, set as the attribute before each of 300 updates, scales that update as torch's lr does."""
    torch = pytest.importorskip("torch")
    rates = 0.05 * (1 + np.cos(np.linspace(0, 3 * np.pi, 300))) + 1e-4
    opt = Adagrad(initial_accumulator_value=0.1)
    p = np.random.default_rng(1).normal(size=60)
    theta = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    reference = torch.optim.Adagrad([theta], **torch_config(opt))
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
    """float32 params and sum stay float32 and follow the algorithm in float64 to float32 accuracy."""
    assert_trajectory_matches(
        Adagrad(**config),
        torch_algorithm(**config),
        steps=30,
        size=20,
        dtype=np.float32,
        reference_dtype=np.float64,
        rtol=1e-5,
        state_keys=("sum",),
    )


# --- saving and resuming ------------------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS)
def test_150_steps_saved_and_resumed_then_150_more_equal_300_steps(config):
    """State saved after 150 of 300 updates, loaded into a new Adagrad (directly and through .npz): the same run."""
    gradients = random_gradients(300, 40, seed=5)
    first = Adagrad(**config)
    p = np.random.default_rng(6).normal(size=40)
    for g in gradients[:150]:
        first.update(p, g)
    buffer = io.BytesIO()
    np.savez(buffer, **first.state_dict())
    buffer.seek(0)
    with np.load(buffer) as saved:
        from_file = {key: saved[key] for key in saved.files}
    resumed = {"direct": Adagrad(**config), "npz": Adagrad(**config)}
    resumed["direct"].load_state_dict(first.state_dict())
    resumed["npz"].load_state_dict(from_file)
    params = {how: p.copy() for how in resumed}
    for g in gradients[150:]:
        first.update(p, g)
        for how, opt in resumed.items():
            opt.update(params[how], g)
    for how, opt in resumed.items():
        assert np.array_equal(params[how], p), how
        assert np.array_equal(opt.state_dict()["sum"], first.state_dict()["sum"]), how


@parametrize_with_assertions(
    [
        Adagrad(),
        Adagrad(initial_accumulator_value=0.1),
        Adagrad(learning_rate=np.float32(0.5), initial_accumulator_value=np.float32(2.0), epsilon=1e-3),
    ]
)
def test_behaves_like_an_npnet_optimizer(optimizer, assertion):
    """The assertion of npnet_core.testing named in the test id holds."""
    assertion(optimizer)


# --- state ------------------------------------------------------------------------------------


def test_state_is_empty_then_the_sum_from_the_initial_value():
    """A fresh Adagrad's state is {}; after a zero-gradient update, the sum is the initial value, in the params' dtype."""
    opt = Adagrad(initial_accumulator_value=0.25)
    assert opt.state_dict() == {}
    opt.update(np.ones(3, dtype=np.float32), np.zeros(3, dtype=np.float32))
    state = opt.state_dict()
    assert list(state) == ["sum"] and state["sum"].dtype == np.float32
    np.testing.assert_array_equal(state["sum"], [0.25, 0.25, 0.25])


A = np.ones(3)


@pytest.mark.parametrize(
    "state, words",
    [
        ({"sum": A, "step": 3}, ["unknown ['step']", "Adagrad.state_dict()"]),
        ({"square_avg": A}, ["unknown ['square_avg']"]),
        ({"sum": [1.0, 1.0, 1.0]}, ["state['sum']", "floating-point ndarray", "list"]),
        ({"sum": np.ones(3, dtype=int)}, ["state['sum']", "floating-point ndarray"]),
        ({"sum": np.ones((3, 1))}, ["state['sum']", "one-dimensional"]),
        ({"sum": np.array([1.0, np.inf, 1.0])}, ["state['sum']", "NaN or infinite"]),
        ([("sum", A)], ["dict", "list"]),
    ],
)
def test_bad_state_is_refused_and_changes_nothing(state, words):
    """load_state_dict raises ValidationError naming the problem and keeps the old state."""
    assert_state_refused(Adagrad(), state, words=words)


def test_parameters_of_another_network_are_refused():
    """After updating 3 float64 parameters, float32 ones are refused with a fix that builds a new Adagrad."""
    opt = Adagrad()
    opt.update(np.ones(3), np.ones(3))
    with pytest.raises(Exception, match=r"^adagrad: .*belongs to one network.*Adagrad\(\*\*opt.get_config\(\)\)"):
        opt.update(np.ones(3, dtype=np.float32), np.ones(3, dtype=np.float32))


# --- hyperparameters ----------------------------------------------------------------------------


def test_defaults_are_torchs_and_repr_reads_like_the_call():
    """Defaults are torch.optim.Adagrad's; repr() evaluates to an equal Adagrad; it is an Optimizer named "adagrad"."""
    defaults = {"learning_rate": 0.01, "initial_accumulator_value": 0.0, "epsilon": 1e-10}
    assert Adagrad().get_config() == defaults and list(Adagrad().get_config()) == list(defaults)
    rebuilt = eval(repr(Adagrad(initial_accumulator_value=0.5)), {"Adagrad": Adagrad})
    assert rebuilt.get_config() == {**defaults, "initial_accumulator_value": 0.5}
    assert isinstance(rebuilt, Optimizer) and Adagrad.name == "adagrad"
    assert type(Adagrad(initial_accumulator_value=1).get_config()["initial_accumulator_value"]) is float


def test_torch_defaults_agree():
    """The defaults are those of torch.optim.Adagrad (lr, initial_accumulator_value, eps)."""
    torch = pytest.importorskip("torch")
    defaults = torch.optim.Adagrad([torch.zeros(1, requires_grad=True)]).defaults
    assert torch_config(Adagrad()) == {key: defaults[key] for key in ("lr", "initial_accumulator_value", "eps")}
    assert defaults["lr_decay"] == 0 and defaults["weight_decay"] == 0


def test_bad_initial_accumulator_value_message_in_full():
    """The message names the optimizer, the parameter, the range, the bad value, the usual value and what 0 does."""
    template, numbers = split_numbers(assert_hyperparameters_refused(Adagrad, {"initial_accumulator_value": -0.5}))
    assert template == (
        "adagrad: initial_accumulator_value must be a finite number >= # (got #); the usual value is #, "
        "and # starts the sum from zero as torch does"
    )
    assert numbers == [0, -0.5, 0.0, 0]


@pytest.mark.parametrize(
    "kwargs, words, numbers",
    [
        ({"learning_rate": 0}, ["learning_rate", "finite number >"], {"got": 0, "the usual value is": 0.01}),
        ({"learning_rate": -0.01}, ["learning_rate"], {"got": -0.01}),
        ({"learning_rate": float("nan")}, ["learning_rate", "finite"], {"got": float("nan")}),
        ({"learning_rate": "0.01"}, ["learning_rate", "got '0.01'"], {}),
        ({"learning_rate": True}, ["learning_rate", "got True"], {}),
        ({"initial_accumulator_value": -1e-3}, ["initial_accumulator_value", ">="], {"got": -1e-3}),
        ({"initial_accumulator_value": float("inf")}, ["initial_accumulator_value", "finite"], {"got": float("inf")}),
        ({"initial_accumulator_value": None}, ["initial_accumulator_value", "got None"], {}),
        ({"epsilon": 0.0}, ["epsilon", "finite number >"], {"got": 0.0, "the usual value is": 1e-10}),
        ({"epsilon": -1e-10}, ["epsilon"], {"got": -1e-10}),
        ({"epsilon": float("nan")}, ["epsilon", "finite"], {"got": float("nan")}),
    ],
)
def test_bad_hyperparameters_raise_invalid_parameter_error(kwargs, words, numbers):
    """Bad hyperparameters raise InvalidParameterError saying which, the bad value and a fix."""
    assert_hyperparameters_refused(Adagrad, kwargs, words=words, numbers=numbers)


# --- convergence on 0.5 x^T A x ---------------------------------------------------------------


def test_converges_at_the_default_rate_given_more_steps():
    """At lr=0.01 on a quadratic of condition 10, Adagrad is slow but steady: 20000 steps bring ||x|| below 1e-3 ||x0||.

    Each step is at most about lr in every coordinate and shrinks like 1/sqrt(t), so the 5000 steps of the
    contract suite's convergence checks are not enough at this rate (its test declares them expected failures).
    """
    eigenvalues = np.geomspace(0.1, 1.0, 10)
    assert 1e-2 < minimise_quadratic(Adagrad(), eigenvalues, steps=5000) < 0.2
    assert minimise_quadratic(Adagrad(), eigenvalues, steps=20000) < 1e-3


def test_converges_fast_at_a_larger_rate():
    """At lr=0.1 the same quadratic falls below 1e-12 of its start within 5000 steps."""
    assert minimise_quadratic(Adagrad(learning_rate=0.1), np.geomspace(0.1, 1.0, 10), steps=5000) < 1e-12
