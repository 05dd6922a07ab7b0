"""Tests of the SGD optimizer against hand-worked values and independent references."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from npnet_sgd_momentum import SGD

from npnet_core.errors import InvalidParameterError, ValidationError
from npnet_core.protocols import Optimizer


class ArticleSGD:
    """The article's SGD, re-implemented independently: a new array per step."""

    def __init__(self, learning_rate=0.01, momentum=0.0):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.delta = None

    def update(self, old_params, gradient):
        if self.delta is None:
            self.delta = np.zeros_like(old_params)
        self.delta = self.momentum * self.delta - self.learning_rate * gradient
        return old_params + self.delta


def keras_nesterov(params, gradients, learning_rate, momentum):
    """Nesterov momentum as Keras writes it: v = mu*v - lr*g; p = p + mu*v - lr*g."""
    p = params.copy()
    v = np.zeros_like(p)
    for g in gradients:
        v = momentum * v - learning_rate * g
        p = p + (momentum * v - learning_rate * g)
    return p


def gradients(n_steps, size, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.normal(scale=rng.uniform(0.1, 10.0), size=size).astype(dtype) for _ in range(n_steps)]


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


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_matches_article_sgd_bit_for_bit(momentum):
    """SGD(lr, mu) gives bit-identical parameters to the article's delta formula over 50 steps."""
    p0 = np.random.default_rng(1).normal(size=37)
    grads = gradients(50, 37)
    expected = run(ArticleSGD(learning_rate=0.01, momentum=momentum), p0, grads)
    got = run(SGD(learning_rate=0.01, momentum=momentum), p0, grads)
    np.testing.assert_array_equal(got, expected)


def test_article_sgd_bit_for_bit_in_float32():
    """The article's formula is reproduced bit for bit in float32 as well."""
    p0 = np.random.default_rng(2).normal(size=37).astype(np.float32)
    grads = gradients(50, 37, dtype=np.float32)
    expected = run(ArticleSGD(learning_rate=0.01, momentum=0.9), p0, grads)
    got = run(SGD(learning_rate=0.01, momentum=0.9), p0, grads)
    assert expected.dtype == np.float32
    np.testing.assert_array_equal(got, expected)


def test_nesterov_matches_keras_formula():
    """Nesterov agrees with the Keras formula to rounding over 200 steps."""
    p0 = np.random.default_rng(3).normal(size=50)
    grads = gradients(200, 50, seed=3)
    expected = keras_nesterov(p0, grads, 0.01, 0.9)
    got = run(SGD(learning_rate=0.01, momentum=0.9, nesterov=True), p0, grads)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * np.max(np.abs(expected)))


# --- convergence on 0.5 x^T A x ---------------------------------------------------------------


@pytest.mark.parametrize("config", [{"momentum": 0.0}, {"momentum": 0.5}, {"momentum": 0.5, "nesterov": True}])
def test_converges_on_well_conditioned_quadratic(config):
    """With lr = 1/L on a quadratic of condition number 4, every variant reaches 1e-10 in 300 steps."""
    a = rotated_quadratic(np.array([1.0, 1.5, 2.0, 2.5, 3.0, 4.0]))
    assert minimise(SGD(learning_rate=0.25, **config), a, 300) < 1e-10


def test_momentum_beats_plain_sgd_on_ill_conditioned_quadratic():
    """Condition number 1000: tuned momentum and Nesterov converge in 1000 steps, plain SGD does not."""
    big, small = 1000.0, 1.0
    a = rotated_quadratic(np.logspace(0, 3, 6))
    root_k = math.sqrt(big / small)
    heavy_ball = SGD(
        learning_rate=4 / (math.sqrt(big) + math.sqrt(small)) ** 2,
        momentum=((root_k - 1) / (root_k + 1)) ** 2,
    )
    nesterov = SGD(learning_rate=1 / big, momentum=(root_k - 1) / (root_k + 1), nesterov=True)
    assert minimise(SGD(learning_rate=1 / big), a, 1000) > 1e-3
    assert minimise(heavy_ball, a, 1000) < 1e-10
    assert minimise(nesterov, a, 1000) < 1e-8


# --- arrays: in place, dtype, inputs untouched, no per-call allocation -------------------------


@pytest.mark.parametrize("config", [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}])
def test_update_is_in_place_and_leaves_gradient_alone(config):
    """update() returns the params object itself and never writes to the gradient."""
    opt = SGD(**config)
    p = np.ones(5)
    g = np.arange(5.0)
    g_before = g.copy()
    for _ in range(3):
        assert opt.update(p, g) is p
    np.testing.assert_array_equal(g, g_before)


@pytest.mark.parametrize("config", [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}])
def test_float32_stays_float32(config):
    """float32 params stay float32 (state too), and agree with a float64 run to float32 accuracy."""
    opt = SGD(learning_rate=0.01, **config)
    p0 = np.random.default_rng(4).normal(size=20)
    grads = gradients(20, 20, seed=4)
    p32 = p0.astype(np.float32)
    for g in grads:
        assert opt.update(p32, g.astype(np.float32)).dtype == np.float32
    for value in opt.state_dict().values():
        assert value.dtype == np.float32
    np.testing.assert_allclose(p32, run(SGD(learning_rate=0.01, **config), p0, grads), rtol=1e-4, atol=1e-5)


def test_numpy_scalar_hyperparameters_act_like_python_floats():
    """np.float64 hyperparameters give the same float32 results bit for bit as Python floats."""
    p0 = np.ones(8, dtype=np.float32)
    grads = gradients(10, 8, dtype=np.float32)
    from_numpy = SGD(learning_rate=np.float64(0.01), momentum=np.float64(0.9), nesterov=np.bool_(True))
    expected = run(SGD(learning_rate=0.01, momentum=0.9, nesterov=True), p0, grads)
    got = run(from_numpy, p0, grads)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("config", [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}])
def test_no_parameter_sized_allocation_after_first_update(config):
    """After the first call, an update allocates (per tracemalloc) far less than one parameter array."""
    opt = SGD(**config)
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


@pytest.mark.parametrize("config", [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}])
def test_state_round_trip_is_bit_identical(config):
    """load_state_dict(state_dict()) on a fresh optimizer, then the same updates: identical params."""
    grads = gradients(20, 11, seed=5)
    a = SGD(learning_rate=0.05, **config)
    p_a = run(a, np.ones(11), grads[:10])
    b = SGD(**a.get_config())
    b.load_state_dict(a.state_dict())
    p_b = p_a.copy()
    for g in grads[10:]:
        a.update(p_a, g)
        b.update(p_b, g)
    np.testing.assert_array_equal(p_a, p_b)


def test_state_dict_before_first_update_is_empty():
    """A fresh optimizer has no state: state_dict() == {}."""
    assert SGD(momentum=0.9).state_dict() == {}
    assert SGD().state_dict() == {}


def test_plain_sgd_keeps_no_velocity():
    """With momentum 0 there is no velocity, so the state stays {}."""
    opt = SGD()
    opt.update(np.ones(3), np.ones(3))
    assert opt.state_dict() == {}


def test_state_arrays_are_copies():
    """Mutating a saved state, or the dict that was loaded, does not touch the optimizer."""
    opt = SGD(momentum=0.9)
    opt.update(np.ones(3), np.ones(3))
    saved = opt.state_dict()
    saved["velocity"][:] = 123.0
    assert not np.any(opt.state_dict()["velocity"] == 123.0)
    loaded = {"velocity": np.full(3, 7.0)}
    opt.load_state_dict(loaded)
    loaded["velocity"][:] = 0.0
    np.testing.assert_array_equal(opt.state_dict()["velocity"], np.full(3, 7.0))


def test_load_empty_state_resets_velocity():
    """Loading {} returns a momentum optimizer to its fresh state."""
    opt = SGD(momentum=0.9)
    opt.update(np.ones(3), np.ones(3))
    opt.load_state_dict({})
    assert opt.state_dict() == {}


@pytest.mark.parametrize(
    "config, state, words",
    [
        ({"momentum": 0.9}, {"velocity": np.ones(3), "step": 1}, ["unknown", "'step'"]),
        ({}, {"velocity": np.ones(3)}, ["unknown", "'velocity'", "momentum=0"]),
        ({"momentum": 0.9}, {"velocity": [1.0, 2.0]}, ["velocity", "floating-point ndarray", "list"]),
        ({"momentum": 0.9}, {"velocity": np.ones(3, dtype=int)}, ["velocity", "floating-point ndarray"]),
        ({"momentum": 0.9}, [("velocity", np.ones(3))], ["dict", "list"]),
    ],
)
def test_bad_state_is_rejected_and_changes_nothing(config, state, words):
    """load_state_dict raises ValidationError naming the problem and keeps the old state."""
    opt = SGD(**config)
    opt.update(np.ones(3), np.ones(3))
    before = opt.state_dict()
    with pytest.raises(ValidationError) as info:
        opt.load_state_dict(state)
    for word in words:
        assert word in str(info.value)
    after = opt.state_dict()
    assert before.keys() == after.keys()
    for key in before:
        np.testing.assert_array_equal(before[key], after[key])


@pytest.mark.parametrize("params", [np.ones(4), np.ones(3, dtype=np.float32)])
def test_update_of_other_network_is_rejected(params):
    """Once the velocity exists, params of another size or dtype raise ValidationError."""
    opt = SGD(momentum=0.9)
    opt.update(np.ones(3), np.ones(3))
    with pytest.raises(ValidationError) as info:
        opt.update(params, np.ones_like(params))
    message = str(info.value)
    assert "(3,)" in message and "float64" in message  # what was expected
    assert str(params.shape) in message and str(params.dtype) in message  # what came
    assert "belongs to one network" in message and "new" in message  # what to do


def test_plain_sgd_accepts_any_size():
    """With momentum 0 there is no state, so vectors of different sizes may follow each other."""
    opt = SGD(learning_rate=0.5)
    np.testing.assert_array_equal(opt.update(np.ones(3), np.ones(3)), np.full(3, 0.5))
    np.testing.assert_array_equal(
        opt.update(np.ones(5, dtype=np.float32), np.ones(5, dtype=np.float32)), np.full(5, 0.5, dtype=np.float32)
    )


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
    with pytest.raises(ValidationError) as info:
        SGD(momentum=0.9).update(params, gradient)
    for word in words:
        assert word in str(info.value)


def test_read_only_params_are_rejected_before_any_change():
    """Read-only params raise ValidationError and leave the velocity unborn."""
    opt = SGD(momentum=0.9)
    p = np.ones(3)
    p.flags.writeable = False
    with pytest.raises(ValidationError, match="read-only"):
        opt.update(p, np.ones(3))
    assert opt.state_dict() == {}


# --- hyperparameters ----------------------------------------------------------------------------


def test_defaults_and_config_round_trip():
    """Defaults are lr=0.01, momentum=0, nesterov=False; SGD(**get_config()) is equivalent."""
    assert SGD().get_config() == {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False}
    opt = SGD(learning_rate=np.float32(0.5), momentum=1 / 3, nesterov=True)
    config = opt.get_config()
    assert [type(v) for v in config.values()] == [float, float, bool]
    clone = SGD(**config)
    assert clone.get_config() == config
    grads = gradients(5, 4)
    np.testing.assert_array_equal(run(opt, np.ones(4), grads), run(clone, np.ones(4), grads))


def test_repr_shows_the_config():
    """repr() reads like the constructor call."""
    assert repr(SGD(momentum=0.9)) == "SGD(learning_rate=0.01, momentum=0.9, nesterov=False)"


def test_satisfies_optimizer_protocol():
    """SGD is an npnet Optimizer named "sgd"."""
    assert isinstance(SGD(), Optimizer)
    assert SGD.name == "sgd"


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"learning_rate": 0}, ["learning_rate", "> 0", "got 0", "0.01"]),
        ({"learning_rate": -0.1}, ["learning_rate", "got -0.1"]),
        ({"learning_rate": float("nan")}, ["learning_rate", "finite", "got nan"]),
        ({"learning_rate": float("inf")}, ["learning_rate", "finite", "got inf"]),
        ({"learning_rate": "0.1"}, ["learning_rate", "got '0.1'"]),
        ({"learning_rate": True}, ["learning_rate", "got True"]),
        ({"momentum": 1.0}, ["momentum", "[0, 1)", "got 1.0"]),
        ({"momentum": -0.5}, ["momentum", "[0, 1)", "got -0.5"]),
        ({"momentum": None}, ["momentum", "got None"]),
        ({"momentum": 0.9, "nesterov": 1}, ["nesterov", "True or False", "got 1"]),
        ({"nesterov": True}, ["nesterov", "requires momentum > 0", "nesterov=False"]),
    ],
)
def test_bad_hyperparameters_raise_invalid_parameter_error(kwargs, words):
    """Bad hyperparameters raise InvalidParameterError saying which, the bad value and a fix."""
    with pytest.raises(InvalidParameterError) as info:
        SGD(**kwargs)
    message = str(info.value)
    assert message.startswith("sgd: ")
    for word in words:
        assert word in message
