"""End to end: a network with a tanh hidden layer and a sigmoid output learns a binary problem."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from npnet_sigmoid_tanh import BinaryCrossentropy, Sigmoid, plugin
from npnet_sigmoid_tanh.fused import sigmoid_binary_crossentropy_gradient

from npnet_core import NeuralNetwork, Registry


@pytest.fixture
def registry():
    """This plugin with Adam and the initializers, registered by hand (no entry points read)."""
    adam = pytest.importorskip("npnet_adam.plugin")
    initializers = pytest.importorskip("npnet_initializers.plugin")
    registry = Registry(autoload=False, blocked=(), strict=False)
    for name, module in [("npnet-sigmoid-tanh", plugin), ("npnet-adam", adam), ("npnet-initializers", initializers)]:
        registry.register_plugin(module, name, distribution=name, version="0.1.0")
    yield registry
    for info in registry.plugins:
        registry.unregister_plugin(info.name)


def separable_problem(n: int, seed: int):
    """Points in the plane labelled by the side of the line x0 + 2 x1 = 0.5, kept at a margin of 0.1 from it."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, (4 * n, 2))
    score = x[:, 0] + 2 * x[:, 1] - 0.5
    x = x[np.abs(score) > 0.1 * np.sqrt(5.0)][:n]
    y = (x[:, 0] + 2 * x[:, 1] > 0.5).astype(np.float64)[:, None]
    return x, y


def test_network_learns_a_separable_binary_problem(registry) -> None:
    """[2, 8, 1] with tanh, sigmoid, binary_crossentropy and adam reaches >= 95% accuracy of p >= 0.5."""
    x, y = separable_problem(400, seed=1)
    assert 0.3 < y.mean() < 0.7  # both classes present
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # sigmoid declares what binary_crossentropy expects: no warning
        net = NeuralNetwork([2, 8, 1], "tanh", "sigmoid", "binary_crossentropy", "adam", seed=0, registry=registry)
    assert type(net.output_activation) is Sigmoid and type(net.loss) is BinaryCrossentropy
    assert registry.output_gradient(net.output_activation, net.loss) is sigmoid_binary_crossentropy_gradient
    losses = net.fit(x[:300], y[:300], batch_size=16, epochs=60, verbose=0)
    assert losses[-1] < 0.5 * losses[0]
    p = net.predict(x[300:])
    assert p.shape == (100, 1) and np.all((p >= 0) & (p <= 1))
    accuracy = float(np.mean((p >= 0.5) == (y[300:] == 1)))
    assert accuracy >= 0.95, f"held-out accuracy {accuracy:.3f}"
    train_accuracy = float(np.mean((net.predict(x[:300]) >= 0.5) == (y[:300] == 1)))
    assert train_accuracy >= 0.95, f"training accuracy {train_accuracy:.3f}"


def test_declarations_pair_sigmoid_with_binary_crossentropy(registry) -> None:
    """binary_crossentropy after tanh (values in [-1, 1], no declaration) warns and names sigmoid as the usual output."""
    with pytest.warns(UserWarning, match=r"binary_crossentropy.*'sigmoid'"):
        NeuralNetwork([2, 3, 1], "tanh", "tanh", "binary_crossentropy", "adam", seed=0, registry=registry)
