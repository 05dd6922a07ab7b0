"""The fused numba path of Adam, AdamW and Adamax against their NumPy path, bit for bit (needs numba: the fast extra).

The NumPy path is the reference here: tests/test_adam.py and tests/test_adamax.py
check it against Algorithm 1, torch's documented algorithms and PyTorch. Those
files run on whichever path the environment selects (the fused one when numba
is installed); this one runs both in the same process, switching with the
environment variable NPNET_ADAM_NUMBA, and checks the fused path gives the same
parameters and state to the last bit at every step, and that it really ran
(``update_path``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from npnet_adam import Adam, Adamax, AdamW

from npnet_core import NeuralNetwork
from npnet_core.testing import parametrize_with_checks

pytest.importorskip("numba")

VARIABLE = "NPNET_ADAM_NUMBA"
PATHS = {"numpy": "0", "numba": "1"}
STEPS = 300
SIZE = 1003  # not a multiple of the vector width: the kernels' remainder loop runs too

OPTIMIZERS = {
    "adam": lambda: Adam(),
    "adam-amsgrad": lambda: Adam(amsgrad=True),
    "adam-odd": lambda: Adam(learning_rate=0.05, beta_1=0.0, beta_2=0.5, epsilon=1e-3),
    "adamw": lambda: AdamW(weight_decay=0.1),
    "adamw-amsgrad": lambda: AdamW(weight_decay=0.1, amsgrad=True),
    "adamw-no-decay": lambda: AdamW(weight_decay=0.0),
    "adamax": lambda: Adamax(),
    "adamax-odd": lambda: Adamax(learning_rate=0.05, beta_1=0.0, beta_2=0.5, epsilon=1e-3),
}
DTYPES = [np.float32, np.float64]


def gradients(steps, size, dtype, seed=0):
    """Gradients spanning 1e-30 to 1e3 (float32 subnormals and underflow in g**2 too), with exact zeros."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(steps):
        g = rng.normal(size=size) * 10.0 ** rng.uniform(-30, 3, size=size)
        g[rng.random(size) < 0.05] = 0.0
        out.append(g.astype(dtype))
    return out


def bits(array):
    """The array's bytes: equal bits, not merely equal values (0.0 == -0.0, NaN != NaN)."""
    return np.ascontiguousarray(array).tobytes()


def run(monkeypatch, path, optimizer, params, grads, schedule=False, every=1):
    """Update ``params`` (a copy) with each gradient on ``path``; the parameters after every ``every`` steps."""
    monkeypatch.setenv(VARIABLE, PATHS[path])
    params = params.copy()
    seen = []
    for step, g in enumerate(grads):
        if schedule:  # a schedule sets a Python float before each update, as NeuralNetwork does
            optimizer.learning_rate = float(0.01 * (1.5 + np.sin(step / 7.0)))
        optimizer.update(params, g)
        assert optimizer.update_path == path
        if step % every == 0:
            seen.append(params.copy())
    return params, seen


@pytest.mark.parametrize("schedule", [False, True], ids=["constant-rate", "schedule"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_fused_path_equals_numpy_path_bit_for_bit(monkeypatch, name, dtype, schedule):
    """Over 300 steps the two paths give the same parameters at every step and the same final state, bit for bit."""
    rng = np.random.default_rng(1)
    start = rng.normal(size=SIZE).astype(dtype)
    grads = gradients(STEPS, SIZE, dtype)
    numpy_opt, numba_opt = OPTIMIZERS[name](), OPTIMIZERS[name]()
    _, numpy_seen = run(monkeypatch, "numpy", numpy_opt, start, grads, schedule)
    _, numba_seen = run(monkeypatch, "numba", numba_opt, start, grads, schedule)
    for step, (a, b) in enumerate(zip(numpy_seen, numba_seen)):
        assert a.dtype == b.dtype == dtype
        assert bits(a) == bits(b), f"step {step + 1}: {np.count_nonzero(a != b)} parameters differ"
    assert not np.array_equal(numpy_seen[0], start)  # the updates did something
    numpy_state, numba_state = numpy_opt.state_dict(), numba_opt.state_dict()
    assert numpy_state.keys() == numba_state.keys()
    assert numpy_state["step"] == numba_state["step"] == STEPS
    for key in numpy_state.keys() - {"step"}:
        assert numpy_state[key].dtype == numba_state[key].dtype == dtype
        assert bits(numpy_state[key]) == bits(numba_state[key]), key


@pytest.mark.parametrize("first, then", [("numpy", "numba"), ("numba", "numpy")])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["adam-amsgrad", "adamw", "adamax"])
def test_state_saved_on_one_path_resumes_on_the_other(monkeypatch, name, dtype, first, then):
    """150 steps on one path, state_dict into a fresh optimizer, 150 on the other: as 300 on the NumPy path."""
    start = np.random.default_rng(2).normal(size=SIZE).astype(dtype)
    grads = gradients(STEPS, SIZE, dtype, seed=3)
    whole, _ = run(monkeypatch, "numpy", OPTIMIZERS[name](), start, grads, schedule=True)

    before = OPTIMIZERS[name]()
    half, _ = run(monkeypatch, first, before, start, grads[:150], schedule=True)
    after = OPTIMIZERS[name]()
    after.load_state_dict(before.state_dict())
    monkeypatch.setenv(VARIABLE, PATHS[then])
    for step, g in enumerate(grads[150:], start=150):
        after.learning_rate = float(0.01 * (1.5 + np.sin(step / 7.0)))
        after.update(half, g)
    assert after.update_path == then
    assert bits(half) == bits(whole)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "optimizer, schedule",
    [
        (("adam", {"learning_rate": 0.01}), None),
        (("adamw", {"learning_rate": 0.01, "weight_decay": 0.05, "amsgrad": True}), ("exponential", {"gamma": 0.97})),
        (("adamax", {}), ("exponential", {"gamma": 0.97})),
    ],
    ids=["adam", "adamw-amsgrad-scheduled", "adamax-scheduled"],
)
def test_training_is_the_same_on_both_paths(monkeypatch, optimizer, schedule, dtype):
    """fit (three epochs of a small network, with a schedule): the same parameters and losses on both paths."""
    rng = np.random.default_rng(4)
    x, y = rng.random((300, 12)), rng.integers(0, 3, 300)
    results = {}
    for path, value in PATHS.items():
        monkeypatch.setenv(VARIABLE, value)
        net = NeuralNetwork(
            [12, 16, 3],
            "relu",
            "softmax",
            "categorical_crossentropy",
            optimizer,
            seed=0,
            dtype=dtype,
            schedule=schedule,
        )
        losses = net.fit(x, y, 32, 3, categorical=True, verbose=0)
        assert net.optimizer.update_path == path
        results[path] = (net.params.copy(), losses, net.optimizer.state_dict())
    (p0, h0, s0), (p1, h1, s1) = results["numpy"], results["numba"]
    assert bits(p0) == bits(p1)
    assert h0.tolist() == h1.tolist()
    assert h0[-1] < h0[0]  # it learnt
    assert all(bits(s0[key]) == bits(s1[key]) for key in s0.keys() - {"step"})


def test_numpy_float64_learning_rate_on_float32_takes_the_numpy_path(monkeypatch):
    """NumPy computes ``float32 array * np.float64 scalar`` in float64: such a rate takes the NumPy path, same bits."""
    start = np.random.default_rng(5).normal(size=SIZE).astype(np.float32)
    grads = gradients(20, SIZE, np.float32)
    reference = Adam()
    reference.learning_rate = np.float64(0.001)
    expected, _ = run(monkeypatch, "numpy", reference, start, grads)
    monkeypatch.setenv(VARIABLE, "1")
    opt, params = Adam(), start.copy()
    opt.learning_rate = np.float64(0.001)
    for g in grads:
        opt.update(params, g)
    assert opt.update_path == "numpy"
    assert bits(params) == bits(expected)
    python_float, _ = run(monkeypatch, "numba", Adam(), start, grads)
    assert bits(python_float) != bits(expected)  # the case is real: float32 and float64 arithmetic differ here


@pytest.mark.parametrize(
    "params, gradient",
    [
        (np.ones(8, np.float16), np.ones(8, np.float16)),  # no kernel for float16
        (np.ones((2, 4)), np.ones((2, 4))),  # not a vector
        (np.ones(8), np.ones(16)[::2]),  # a gradient that is not contiguous
        (np.ones(8, np.float32), np.ones(8)),  # a gradient of another dtype
        (np.ones(8), [1.0] * 8),  # a list
    ],
    ids=["float16", "2-d", "strided-gradient", "mixed-dtypes", "list"],
)
def test_arrays_the_kernels_do_not_cover_take_the_numpy_path(monkeypatch, params, gradient):
    """The same update as with NPNET_ADAM_NUMBA=0, made by the NumPy path even when the kernels are required."""
    monkeypatch.setenv(VARIABLE, "0")
    expected = Adam().update(params.copy(), gradient)
    monkeypatch.setenv(VARIABLE, "1")
    opt = Adam()
    got = opt.update(params.copy(), gradient)
    assert opt.update_path == "numpy"
    assert bits(got) == bits(expected)


def test_gradient_aliasing_the_parameters_takes_the_numpy_path(monkeypatch):
    """AdamW decays the parameters before it reads the gradient: when they share memory, NumPy's order decides."""
    monkeypatch.setenv(VARIABLE, "0")
    expected = np.linspace(-1, 1, 9)
    AdamW(weight_decay=0.5).update(expected, expected)
    monkeypatch.setenv(VARIABLE, "1")
    params, opt = np.linspace(-1, 1, 9), AdamW(weight_decay=0.5)
    opt.update(params, params)
    assert opt.update_path == "numpy"
    assert bits(params) == bits(expected)


@pytest.mark.parametrize("value, path", [("", "numba"), ("auto", "numba"), (" 1 ", "numba"), ("0", "numpy")])
def test_environment_variable_selects_the_path(monkeypatch, value, path):
    monkeypatch.setenv(VARIABLE, value)
    opt = Adamax()
    opt.update(np.ones(4), np.ones(4))
    assert opt.update_path == path


def test_unset_environment_variable_uses_numba(monkeypatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    opt = AdamW()
    opt.update(np.ones(4), np.ones(4))
    assert opt.update_path == "numba"


def test_bad_environment_variable_is_refused_with_the_allowed_values(monkeypatch):
    monkeypatch.setenv(VARIABLE, "yes")
    params = np.ones(4)
    with pytest.raises(ValueError, match=r"NPNET_ADAM_NUMBA must be 0 .* 1 .* or unset .*got 'yes'"):
        Adam().update(params, np.ones(4))


def test_without_numba_the_numpy_path_runs_and_1_is_refused():
    """In a fresh interpreter where numba cannot be imported: the NumPy path, silently; with =1, an ImportError."""
    script = textwrap.dedent(
        """
        import os, sys
        import numpy as np
        sys.modules["numba"] = None  # import numba now raises ModuleNotFoundError, as when it is not installed
        from npnet_adam import Adam
        opt = Adam()
        opt.update(np.ones(4), np.ones(4))
        print(opt.update_path, "numba" in sys.modules and sys.modules["numba"] is not None)
        os.environ["NPNET_ADAM_NUMBA"] = "1"
        try:
            Adam().update(np.ones(4), np.ones(4))
        except ImportError as exc:
            print("ImportError:", exc)
        """
    )
    env = {key: value for key, value in os.environ.items() if key != VARIABLE}
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "numpy False"
    assert lines[1].startswith("ImportError: npnet-adam: NPNET_ADAM_NUMBA=1 asks for the fused numba kernels")
    assert "pip install npnet-adam[fast]" in lines[1]


def test_a_numba_that_cannot_be_imported_warns_once_and_the_numpy_path_runs(tmp_path):
    """A numba that is installed but fails to import (one refusing this NumPy, say): one RuntimeWarning, then NumPy."""
    (tmp_path / "numba").mkdir()
    (tmp_path / "numba" / "__init__.py").write_text('raise ImportError("Numba needs NumPy 1.0 or less")\n')
    script = textwrap.dedent(
        """
        import warnings
        import numpy as np
        from npnet_adam import Adam, Adamax
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            opt, other = Adam(), Adamax()
            for _ in range(3):
                opt.update(np.ones(4), np.ones(4))
                other.update(np.ones(4), np.ones(4))
        print(opt.update_path, other.update_path, len(caught))
        print(caught[0].category.__name__, caught[0].filename.endswith("<string>"), caught[0].message)
        """
    )
    env = {key: value for key, value in os.environ.items() if key != VARIABLE}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    paths, warning = done.stdout.splitlines()
    assert paths == "numpy numpy 1"
    assert warning.startswith("RuntimeWarning True npnet-adam: numba is installed but could not be imported")
    assert "Numba needs NumPy 1.0 or less" in warning and "NPNET_ADAM_NUMBA=0" in warning


@pytest.fixture
def numba_path(monkeypatch):
    monkeypatch.setenv(VARIABLE, "1")


@parametrize_with_checks([Adam(), Adam(amsgrad=True), AdamW(weight_decay=0.1, amsgrad=True), Adamax()])
def test_contract_on_the_fused_path(numba_path, component, check):
    """npnet's optimizer contract holds on the fused path (the kernels required, not merely allowed)."""
    check(component)
