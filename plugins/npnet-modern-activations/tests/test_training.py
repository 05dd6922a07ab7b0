"""End to end: each activation, chosen by name through the installed entry point, as a network's hidden activation.

The problem is XOR on four noisy clusters: no linear model separates it (the
identity as hidden activation stays at chance), so a network that learns it
uses its hidden activation's nonlinearity and gradient.
"""

from __future__ import annotations

from typing import Any, Tuple

import numpy as np
import pytest
from npnet_modern_activations import ELU, GELU, LeakyReLU, SiLU, Softplus

from npnet_core import NeuralNetwork

#: what a user passes as hidden_activation, and the class and config it must give
SPECS = [
    ("leaky_relu", LeakyReLU, {"negative_slope": 0.01}),
    (("leaky_relu", {"negative_slope": 0.2}), LeakyReLU, {"negative_slope": 0.2}),
    ("elu", ELU, {"alpha": 1.0}),
    (("elu", {"alpha": 0.5}), ELU, {"alpha": 0.5}),
    ("gelu", GELU, {"approximate": "none"}),
    (("gelu", {"approximate": "tanh"}), GELU, {"approximate": "tanh"}),
    ("silu", SiLU, {}),
    ("softplus", Softplus, {"beta": 1.0, "threshold": 20.0}),
    (("softplus", {"beta": 2.0, "threshold": 10.0}), Softplus, {"beta": 2.0, "threshold": 10.0}),
]
IDS = [spec if isinstance(spec, str) else f"{spec[0]}-{spec[1]}" for spec, _, _ in SPECS]


def xor_clusters(n: int = 200, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Points around (1, 1), (-1, -1) (class 0) and (1, -1), (-1, 1) (class 1), spread 0.25."""
    rng = np.random.default_rng(seed)
    centers = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    which = np.arange(n) % 4
    return centers[which] + rng.normal(scale=0.25, size=(n, 2)), (which >= 2).astype(int)


def train(hidden: Any, dtype: str = "float64") -> Tuple[NeuralNetwork, np.ndarray, float]:
    x, labels = xor_clusters()
    net = NeuralNetwork(
        [2, 8, 2], hidden, "softmax", "categorical_crossentropy", ("adam", {"learning_rate": 0.01}), seed=1, dtype=dtype
    )
    losses = net.fit(x, labels, 16, 40, categorical=True, verbose=0)
    accuracy = float(np.mean(net.predict(x, labels=True) == labels))
    return net, np.asarray(losses), accuracy


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("spec, cls, config", SPECS, ids=IDS)
def test_network_with_the_hidden_activation_learns_xor(spec, cls, config, dtype) -> None:
    """The loss falls at least 10-fold over 40 epochs and the training accuracy reaches 95 %."""
    net, losses, accuracy = train(spec, dtype)
    assert type(net.hidden_activation) is cls and net.hidden_activation.get_config() == config
    assert np.all(np.isfinite(losses))
    assert losses[-1] < losses[0] / 10, losses
    assert accuracy >= 0.95


def test_the_problem_needs_a_nonlinear_hidden_activation() -> None:
    """With the identity as hidden activation, the same network stays near chance: the problem is not linear."""
    _, losses, accuracy = train("identity")
    assert accuracy < 0.7 and losses[-1] > 0.5


@pytest.mark.parametrize("spec, cls, config", SPECS, ids=IDS)
def test_saved_model_reloads_with_the_same_activation_and_predictions(spec, cls, config, tmp_path) -> None:
    """A model file records the activation's configuration; loading it gives the same component and outputs."""
    net, _, _ = train(spec)
    loaded = NeuralNetwork.load(net.save(tmp_path / "model.npz"))
    assert type(loaded.hidden_activation) is cls and loaded.hidden_activation.get_config() == config
    x, _ = xor_clusters(20, seed=3)
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))
