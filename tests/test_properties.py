"""Properties that hold for any shape, dtype and batch size (Hypothesis)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from npnet_core import NeuralNetwork, to_categorical
from npnet_core.testing import central_difference

# derandomize: the same examples on every run, so CI is repeatable; run with --hypothesis-seed to explore
SETTINGS = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def problems(draw: st.DrawFn) -> dict:
    """A small network and data set: layer sizes, dtype, n samples, batch size, seed."""
    n_in = draw(st.integers(1, 5))
    hidden = draw(st.lists(st.integers(1, 6), min_size=0, max_size=2))
    n_out = draw(st.integers(2, 4))
    n = draw(st.integers(1, 17))
    # 1, n, more than n, and sizes that do not divide n
    batch_size = draw(st.one_of(st.just(1), st.just(n), st.integers(n + 1, n + 5), st.integers(1, max(1, n))))
    return {
        "layers": [n_in, *hidden, n_out],
        "dtype": draw(st.sampled_from(["float32", "float64"])),
        "n": n,
        "batch_size": batch_size,
        "seed": draw(st.integers(0, 2**16)),
    }


def _build(p: dict, optimizer="adam") -> NeuralNetwork:
    return NeuralNetwork(
        p["layers"], "relu", "softmax", "categorical_crossentropy", optimizer, seed=p["seed"], dtype=p["dtype"]
    )


def _data(p: dict):
    rng = np.random.default_rng(p["seed"])
    x = rng.normal(size=(p["n"], p["layers"][0])).astype(p["dtype"])
    labels = rng.integers(0, p["layers"][-1], size=p["n"])
    return x, labels


@SETTINGS
@given(problems())
def test_fit_and_predict_keep_shapes_and_dtype(p: dict) -> None:
    """For any sizes, fit returns one finite loss per epoch and predict gives (n, n_out) in the network's dtype."""
    net = _build(p)
    x, labels = _data(p)
    losses = net.fit(x, labels, p["batch_size"], 2, categorical=True, verbose=0)
    assert losses.shape == (2,) and np.isfinite(losses).all()
    output = net.predict(x)
    assert output.shape == (p["n"], p["layers"][-1]) and output.dtype == np.dtype(p["dtype"])
    assert net.params.dtype == np.dtype(p["dtype"])
    np.testing.assert_allclose(output.sum(axis=1), 1, rtol=1e-5)  # softmax rows
    assert net.predict(x, labels=True).shape == (p["n"],)


@SETTINGS
@given(problems())
def test_predict_is_row_independent(p: dict) -> None:
    """Each row's prediction is the same alone as in the batch, up to rounding of the matrix products."""
    net = _build(p)
    x, _ = _data(p)
    batch = net.predict(x)
    tolerance = 1e-5 if p["dtype"] == "float32" else 1e-12
    for row in range(p["n"]):
        np.testing.assert_allclose(net.predict(x[row]), batch[row : row + 1], rtol=tolerance, atol=tolerance)


@SETTINGS
@given(problems())
def test_one_epoch_with_a_batch_of_everything_is_one_full_batch_step(p: dict) -> None:
    """batch_size >= n: one epoch is exactly params - lr * (finite-difference gradient of the mean loss)."""
    p = {**p, "dtype": "float64", "batch_size": p["n"] + p["batch_size"]}
    net = _build(p, optimizer=("sgd", {"learning_rate": 0.1}))
    x, labels = _data(p)
    y = to_categorical(labels, p["layers"][-1])
    # random biases too: the zero biases of a fresh network put dead relu units exactly on the kink
    net.params[...] = np.random.default_rng(p["seed"]).normal(size=net.n_params)
    start = net.params.copy()
    gradient = central_difference(lambda params: net.score(x, y), net.params)
    net.fit(x, labels, p["batch_size"], 1, categorical=True, verbose=0)
    np.testing.assert_allclose(net.params, start - 0.1 * gradient, rtol=1e-5, atol=1e-6)


@SETTINGS
@given(p=problems())
def test_save_load_predict_is_identical(p: dict, tmp_path: Path) -> None:
    """After some training, save -> load gives bit-identical predictions and parameters."""
    net = _build(p)
    x, labels = _data(p)
    net.fit(x, labels, p["batch_size"], 1, categorical=True, verbose=0)
    path = net.save(tmp_path / f"model-{p['seed']}.npz")
    loaded = NeuralNetwork.load(path)
    assert loaded.params.tobytes() == net.params.tobytes()
    assert loaded.predict(x).tobytes() == net.predict(x).tobytes()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float32_data_into_a_network_of_either_dtype(dtype: str) -> None:
    """float32 data trains a float32 network without upcasting and a float64 one after one conversion."""
    p = {"layers": [3, 4, 2], "dtype": dtype, "n": 10, "batch_size": 4, "seed": 0}
    net = _build(p)
    x = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)
    net.fit(x, np.arange(10) % 2, 4, 1, categorical=True, verbose=0)
    assert net.predict(x).dtype == np.dtype(dtype)
