"""The whole network's gradient against central finite differences (float64)."""

from __future__ import annotations

import itertools
import warnings

import npnet_initializers.plugin
import npnet_relu_softmax
import numpy as np
import pytest

from npnet_core import ComponentMismatchWarning, NeuralNetwork, Registry, hookimpl
from npnet_core.testing import central_difference

OUTPUT_PAIRS = list(itertools.product(["softmax", "identity"], ["categorical_crossentropy", "mean_squared_error"]))
DEPTHS = [[4, 3], [4, 5, 3], [4, 6, 5, 3]]
BATCH_SIZES = [1, 2, 7]


class _PluginWithoutFusedGradients:
    """The official components, registered by a plugin that offers no fused gradient."""

    @hookimpl
    def npnet_register_activations(self, register):
        register("relu", npnet_relu_softmax.ReLU)
        register("identity", npnet_relu_softmax.Identity)
        register("softmax", npnet_relu_softmax.Softmax)

    @hookimpl
    def npnet_register_losses(self, register):
        register("mean_squared_error", npnet_relu_softmax.MeanSquaredError)
        register("categorical_crossentropy", npnet_relu_softmax.CategoricalCrossentropy)

    @hookimpl
    def npnet_register_optimizers(self, register):
        register("sgd", __import__("npnet_sgd_momentum").SGD)


@pytest.fixture(params=["fused", "chained"])
def registry(request, official_registry, empty_registry):
    if request.param == "fused":
        return official_registry
    chained = Registry(autoload=False, blocked=(), strict=False)
    chained.register_plugin(_PluginWithoutFusedGradients(), "unfused")
    chained.register_plugin(npnet_initializers.plugin, "initializers")
    return chained


def _targets(loss: str, rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    if loss == "categorical_crossentropy":
        return np.eye(m)[rng.integers(0, m, size=n)]
    return rng.normal(size=(n, m))


def _network_loss(net: NeuralNetwork, x: np.ndarray, y: np.ndarray) -> float:
    """The batch-mean loss at the network's current parameters."""
    return float(np.mean(net.loss.forward(net.predict(x), y)))


@pytest.mark.parametrize("output, loss", OUTPUT_PAIRS)
@pytest.mark.parametrize("layers", DEPTHS, ids=lambda sizes: "x".join(map(str, sizes)))
@pytest.mark.parametrize("n", BATCH_SIZES)
def test_backward_matches_finite_differences(registry, output, loss, layers, n):
    """The gradient written by a training step equals central differences of the batch-mean loss."""
    rng = np.random.default_rng(len(layers) * 10 + n)
    with warnings.catch_warnings():  # identity before cross-entropy warns; its gradient is still checked
        warnings.simplefilter("ignore", ComponentMismatchWarning)
        net = NeuralNetwork(layers, "relu", output, loss, "sgd", seed=1, registry=registry)
    net.params[...] = rng.normal(scale=0.5, size=net.n_params)  # random biases too: away from kinks
    if (output, loss) == ("identity", "categorical_crossentropy"):
        net.biases[-1][...] += 10.0  # log needs positive outputs, where it is smooth
    x = rng.normal(size=(n, layers[0]))
    y = _targets(loss, rng, n, layers[-1])

    expected = central_difference(lambda p: _network_loss(net, x, y), net.params)
    zs, activations = net._forward(x)
    net._backward(zs, activations, y)

    np.testing.assert_allclose(net.gradient, expected, rtol=1e-5, atol=1e-8)


def test_fused_path_is_used_when_the_plugin_offers_it(official_registry):
    """softmax + categorical cross-entropy uses the plugin's fused gradient (exact where p underflows)."""
    net = NeuralNetwork([2, 2], "relu", "softmax", "categorical_crossentropy", "sgd", registry=official_registry)
    net.params[...] = [800.0, 0.0, 0.0, 0.0, 0.0, 0.0]  # W = [[800, 0], [0, 0]], b = 0
    x, y = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])  # logits [800, 0]: p(true) underflows to 0
    zs, activations = net._forward(x)
    net._backward(zs, activations, y)
    # dL/dz = p - y = [1, -1]; dL/dW = x^T (p - y) = [[1, -1], [0, 0]]; dL/db = [1, -1]
    np.testing.assert_allclose(net.gradient, [1.0, -1.0, 0.0, 0.0, 1.0, -1.0])


def test_article_tuples_give_the_same_gradient_as_named_components(official_registry):
    """The article's (f, df) tuples, Jacobian stacks included, give the finite-difference gradient."""

    def relu(x):
        return np.maximum(x, 0)

    def d_relu(x):
        return (x > 0).astype(float)

    def softmax(x):
        z = x - x.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def d_softmax(x):
        s = softmax(x)
        return np.stack([np.diag(row) - np.outer(row, row) for row in s])

    def cce(y_pred, y_true):
        return -np.log(np.sum(y_true * y_pred, axis=1))

    def d_cce(y_pred, y_true):
        return np.expand_dims(-y_true / y_pred, 1)

    rng = np.random.default_rng(3)
    net = NeuralNetwork(
        [4, 5, 3], (relu, d_relu), (softmax, d_softmax), (cce, d_cce), "sgd", registry=official_registry
    )
    net.params[...] = rng.normal(scale=0.5, size=net.n_params)
    x, y = rng.normal(size=(6, 4)), np.eye(3)[rng.integers(0, 3, size=6)]
    expected = central_difference(lambda p: _network_loss(net, x, y), net.params)
    zs, activations = net._forward(x)
    net._backward(zs, activations, y)
    np.testing.assert_allclose(net.gradient, expected, rtol=1e-5, atol=1e-8)


def test_per_layer_hidden_activations_are_differentiated_layer_by_layer(official_registry):
    """A list of hidden activations applies each to its own layer, and the gradient stays exact."""
    rng = np.random.default_rng(4)
    net = NeuralNetwork([3, 4, 4, 2], ["relu", "identity"], "identity", "mse", "sgd", registry=official_registry)
    net.params[...] = rng.normal(size=net.n_params)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    expected = central_difference(lambda p: _network_loss(net, x, y), net.params)
    zs, activations = net._forward(x)
    net._backward(zs, activations, y)
    np.testing.assert_allclose(net.gradient, expected, rtol=1e-5, atol=1e-8)
    # the second hidden layer is linear: its output may be negative, unlike a relu layer's
    assert (activations[2] < 0).any() and (activations[1] >= 0).all()
