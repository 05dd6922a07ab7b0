"""End to end: a regression network with each loss, chosen by name through the installed entry point, learns sin(x)."""

from __future__ import annotations

from typing import Any, Tuple

import numpy as np
import pytest
from npnet_regression_losses import Huber, LogCosh, MeanAbsoluteError

from npnet_core import NeuralNetwork

#: what a user passes as loss, and the class and config it must give
SPECS = [
    ("huber", Huber, {"delta": 1.0}),
    (("huber", {"delta": 0.1}), Huber, {"delta": 0.1}),
    ("mae", MeanAbsoluteError, {}),
    ("mean_absolute_error", MeanAbsoluteError, {}),
    ("log_cosh", LogCosh, {}),
]
IDS = [spec if isinstance(spec, str) else f"{spec[0]}-{spec[1]}" for spec, _, _ in SPECS]


def sine(n: int, seed: int) -> Tuple[np.ndarray, np.ndarray]:
    """x uniform in [-pi, pi] as a column, and y = sin(x)."""
    x = np.random.default_rng(seed).uniform(-np.pi, np.pi, size=(n, 1))
    return x, np.sin(x)


def train(loss: Any, dtype: str = "float64") -> Tuple[NeuralNetwork, np.ndarray]:
    x, y = sine(256, seed=0)
    net = NeuralNetwork([1, 16, 1], "relu", "identity", loss, "adam", seed=0, dtype=dtype)
    return net, np.asarray(net.fit(x, y, 16, 100, verbose=0))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("spec, cls, config", SPECS, ids=IDS)
def test_network_learns_sine(spec, cls, config, dtype) -> None:
    """NeuralNetwork([1, 16, 1], "relu", "identity", loss, "adam"): the loss falls 10-fold in 100 epochs,
    and on fresh points the prediction is within 0.2 of sin(x) in root mean square (0.71 for predicting 0)."""
    net, losses = train(spec, dtype)
    assert type(net.loss) is cls and net.loss.get_config() == config
    assert np.all(np.isfinite(losses))
    assert losses[-1] < losses[0] / 10, losses
    x, y = sine(200, seed=1)
    assert float(np.sqrt(np.mean((net.predict(x) - y) ** 2))) < 0.2


def test_an_untrained_network_is_far_from_sine() -> None:
    """Before training the same network is off by more than 0.5 (root mean square): the test above measures learning."""
    net = NeuralNetwork([1, 16, 1], "relu", "identity", "huber", "adam", seed=0)
    x, y = sine(200, seed=1)
    assert float(np.sqrt(np.mean((net.predict(x) - y) ** 2))) > 0.5


@pytest.mark.parametrize("spec, cls, config", SPECS, ids=IDS)
def test_saved_model_reloads_with_the_same_loss(spec, cls, config, tmp_path) -> None:
    """A model file records the loss and its configuration; loading gives the same component and scores."""
    net, _ = train(spec)
    loaded = NeuralNetwork.load(net.save(tmp_path / "model.npz"))
    assert type(loaded.loss) is cls and loaded.loss.get_config() == config
    x, y = sine(50, seed=2)
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))
