"""Files of earlier model formats still load, predict and resume to the bit.

tests/fixtures/previous_release holds files of the previous release (npnet-core 0.1.0, commit
2e8b257, model format 1) and tests/fixtures/format_2 the same networks in model format 2 (commit
282194a), both made by previous_release/make_fixtures.py run against the old code; this test reads
them with whatever code is current, through the public API only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from npnet_core import NeuralNetwork
from npnet_core.datasets import load_digits

FOLDERS = ["previous_release", "format_2"]


@pytest.fixture(params=FOLDERS)
def fixtures(request) -> Path:
    """The folder of one earlier format's files."""
    return Path(__file__).resolve().parent / "fixtures" / request.param


# What make_fixtures.py made: facts of the fixture files, not of the current code.
MODELS = {
    "adam_float64": {
        "layers": [64, 16, 10],
        "dtype": np.float64,
        "hidden_activation": "relu",
        "output_activation": "softmax",
        "loss": "categorical_crossentropy",
        "optimizer": "adam",
        "initializer": "glorot_uniform",
        "history": {"loss": 3, "accuracy": 3, "val_loss": 3, "val_accuracy": 3, "epoch_time": 3},
        "categorical": True,
    },
    "sgd_float32_listhidden": {
        "layers": [64, 12, 8, 10],
        "dtype": np.float32,
        "hidden_activation": ["relu", "identity"],
        "output_activation": "softmax",
        "loss": "categorical_crossentropy",
        "optimizer": "sgd",
        "initializer": "he_normal",
        "history": {"loss": 2, "accuracy": 2, "epoch_time": 2},
        "categorical": True,
    },
    "regression_mse": {
        "layers": [64, 8, 1],
        "dtype": np.float64,
        "hidden_activation": "relu",
        "output_activation": "identity",
        "loss": "mean_squared_error",
        "optimizer": "adam",
        "initializer": "glorot_uniform",
        "history": {"loss": 2, "epoch_time": 2},
        "categorical": False,
    },
}


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def expected(fixtures: Path, name: str) -> dict:
    with np.load(fixtures / f"expected_{name}.npz", allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def name_of(spec):
    return [s.name for s in spec] if isinstance(spec, list) else spec.name


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_file_predicts_as_saved(fixtures, name, digits):
    """A model file of the previous release loads and predicts exactly the outputs it gave then."""
    x, _ = digits
    net = NeuralNetwork.load(fixtures / f"{name}.npz")
    outputs = net.predict(x[:50])
    stored = expected(fixtures, name)["outputs"]
    assert outputs.dtype == stored.dtype
    np.testing.assert_array_equal(outputs, stored)


def test_params_file_predicts_as_saved(fixtures, digits):
    """A previous-release .npy parameter file read into a fresh network of the same layers predicts as its model did."""
    x, _ = digits
    net = NeuralNetwork([64, 16, 10], "relu", "softmax", "categorical_crossentropy", "adam", seed=0)
    net.load_params(fixtures / "params_float64.npy")
    np.testing.assert_array_equal(net.predict(x[:50]), expected(fixtures, "adam_float64")["outputs"])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_resumed_training_is_bit_exact(fixtures, name, digits):
    """Training resumed from a previous-release model file gives the same parameters and losses to the bit."""
    x, y = digits
    categorical = MODELS[name]["categorical"]
    resume_y = y[600:900] if categorical else (y[600:900] / 9.0).reshape(-1, 1)
    net = NeuralNetwork.load(fixtures / f"{name}.npz")
    losses = net.fit(x[600:900], resume_y, batch_size=32, epochs=2, categorical=categorical, verbose=0)
    stored = expected(fixtures, name)
    np.testing.assert_array_equal(losses, stored["losses"])
    assert net.params.dtype == stored["params"].dtype
    np.testing.assert_array_equal(net.params, stored["params"])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_file_keeps_its_architecture(fixtures, name):
    """A previous-release model file loads with its layers, dtype, component names (its initializer too) and history."""
    facts = MODELS[name]
    net = NeuralNetwork.load(fixtures / f"{name}.npz")
    assert list(net.layers) == facts["layers"]
    assert net.dtype == facts["dtype"]
    for role in ("hidden_activation", "output_activation", "loss", "optimizer", "initializer"):
        assert name_of(net.component_specs[role]) == facts[role], role
    assert {key: len(values) for key, values in net.history.items()} == facts["history"]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_saving_again_writes_the_current_format_and_loads_the_same(fixtures, name, tmp_path, digits):
    """An earlier model saved again (the current format) loads and predicts identically, with no regularizers,
    no schedule and its updates counted from 0."""
    x, _ = digits
    net = NeuralNetwork.load(fixtures / f"{name}.npz")
    again = NeuralNetwork.load(net.save(tmp_path / "again.npz"))
    np.testing.assert_array_equal(again.predict(x[:50]), expected(fixtures, name)["outputs"])
    assert again.component_specs["initializer"].name == MODELS[name]["initializer"]
    assert again.regularizers == [] and again.schedule is None and again.updates == 0
