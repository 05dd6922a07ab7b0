"""Tests of the npnet-rmsprop plugin module: what its hook registers, the installed distribution, and networks."""

from __future__ import annotations

import npnet_adam.plugin
import npnet_initializers.plugin
import npnet_relu_softmax.plugin
import npnet_rmsprop
import npnet_sgd_momentum.plugin
import numpy as np
import pytest
from npnet_rmsprop import Adagrad, RMSprop, plugin

from npnet_core import NeuralNetwork, Registry, get_registry, make_registry

#: What the plugin registers: (kind, name, factory, aliases).
REGISTERED = [
    ("optimizer", "rmsprop", RMSprop, ()),
    ("optimizer", "adagrad", Adagrad, ()),
]


def test_plugin_registers_rmsprop_and_adagrad_under_their_names():
    """Registered by hand (its hooks checked against npnet's hookspecs), the plugin provides exactly the table above."""
    registry = make_registry(autoload=False)
    registry.register_plugin(plugin, "rmsprop")
    [info] = registry.plugins
    assert [(e.kind, e.name, e.factory, e.aliases) for e in info.components] == REGISTERED
    opt, spec = registry.create("optimizer", "rmsprop", {"learning_rate": 1e-3, "centered": True})
    assert type(opt) is RMSprop and opt.get_config()["learning_rate"] == 1e-3 and opt.centered
    assert spec.params == {"learning_rate": 1e-3, "centered": True}
    opt, _ = registry.create("optimizer", "adagrad", {"initial_accumulator_value": 0.1})
    assert type(opt) is Adagrad and opt.get_config()["initial_accumulator_value"] == 0.1


def test_installed_distribution_provides_rmsprop_and_adagrad():
    """Through its entry point, each name resolves to its class from npnet-rmsprop at __version__ (0.1.0)."""
    for kind, name, factory, _ in REGISTERED:
        entry = get_registry().lookup(kind, f"npnet-rmsprop:{name}")
        assert (entry.factory, entry.distribution, entry.version) == (
            factory,
            "npnet-rmsprop",
            npnet_rmsprop.__version__,
        )
    assert npnet_rmsprop.__version__ == "0.1.0"


@pytest.fixture
def registry():
    """A registry with the official plugins a network needs and this one, without entry-point autoloading."""
    registry = Registry(autoload=False, blocked=(), strict=False)
    for distribution, module in [
        ("npnet-relu-softmax", npnet_relu_softmax.plugin),
        ("npnet-sgd-momentum", npnet_sgd_momentum.plugin),
        ("npnet-adam", npnet_adam.plugin),
        ("npnet-initializers", npnet_initializers.plugin),
        ("npnet-rmsprop", plugin),
    ]:
        registry.register_plugin(module, distribution, distribution=distribution, version="0.1.0")
    yield registry
    for info in registry.plugins:
        registry.unregister_plugin(info.name)


def xor_data():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 2))
    return x, (x[:, 0] * x[:, 1] > 0).astype(int)


@pytest.mark.parametrize(
    "optimizer",
    [
        ("rmsprop", {"learning_rate": 1e-3}),
        ("rmsprop", {"learning_rate": 1e-3, "momentum": 0.9, "centered": True}),
        ("adagrad", {"learning_rate": 0.1}),
    ],
    ids=lambda spec: f"{spec[0]}{spec[1]}",
)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_network_trains_by_name_and_resumes_exactly_from_a_saved_model(registry, tmp_path, optimizer, dtype):
    """A network given ("rmsprop", {...}) learns, keeps its dtype, and a saved model continues bit for bit."""
    x, y = xor_data()
    net = NeuralNetwork(
        [2, 16, 2], "relu", "softmax", "categorical_crossentropy", optimizer, seed=0, dtype=dtype, registry=registry
    )
    losses = net.fit(x, y, batch_size=20, epochs=40, categorical=True, verbose=0)
    assert losses[-1] < 0.6 * losses[0]
    assert net.params.dtype == dtype
    assert all(array.dtype == dtype for array in net.optimizer.state_dict().values())

    net.save(tmp_path / "model.npz")
    same = NeuralNetwork.load(tmp_path / "model.npz", registry=registry)
    assert same.optimizer.get_config() == net.optimizer.get_config()
    net.fit(x, y, batch_size=20, epochs=2, categorical=True, verbose=0)
    same.fit(x, y, batch_size=20, epochs=2, categorical=True, verbose=0)
    np.testing.assert_array_equal(same.params, net.params)
