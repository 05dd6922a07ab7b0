"""The plugin module: registered names, hook validation and the entry point."""

from __future__ import annotations

from importlib import metadata

import npnet_sigmoid_tanh
import numpy as np
import pluggy
from npnet_sigmoid_tanh import BinaryCrossentropy, Sigmoid, Tanh, plugin
from npnet_sigmoid_tanh.fused import sigmoid_binary_crossentropy_gradient

import npnet_core.hookspecs
from npnet_core import make_registry


def collect(hook) -> dict:
    """Call a register hook with a collecting callback: {name: (factory, aliases)}."""
    seen = {}

    def register(name, factory, aliases=()):
        assert name not in seen, f"{name!r} registered twice"
        seen[name] = (factory, tuple(aliases))

    hook(register)
    return seen


def test_registers_exactly_the_two_activations() -> None:
    """Activations: sigmoid (alias logistic, scikit-learn's name) and tanh."""
    assert collect(plugin.npnet_register_activations) == {"sigmoid": (Sigmoid, ("logistic",)), "tanh": (Tanh, ())}


def test_registers_exactly_binary_crossentropy() -> None:
    """Losses: binary_crossentropy, without aliases."""
    assert collect(plugin.npnet_register_losses) == {"binary_crossentropy": (BinaryCrossentropy, ())}


def test_registered_names_match_class_names() -> None:
    """Each factory's class attribute name is the name it is registered under."""
    for hook in (plugin.npnet_register_activations, plugin.npnet_register_losses):
        for name, (factory, _) in collect(hook).items():
            assert factory.name == name


def test_plugin_module_validates_against_hookspecs() -> None:
    """pluggy accepts the module against npnet's hookspecs and calls its hooks."""
    pm = pluggy.PluginManager("npnet")
    pm.add_hookspecs(npnet_core.hookspecs)
    pm.register(plugin)
    pm.check_pending()
    names = []
    pm.hook.npnet_register_activations(register=lambda name, factory, aliases=(): names.append(name))
    assert names == ["sigmoid", "tanh"]
    fused = pm.hook.npnet_output_gradient(activation=Sigmoid(), loss=BinaryCrossentropy())
    # (p - y) / m with m = 2
    np.testing.assert_array_equal(fused(np.array([[0.25, 0.75]]), np.array([[0.0, 1.0]])), [[0.125, -0.125]])
    assert pm.hook.npnet_output_gradient(activation=Tanh(), loss=BinaryCrossentropy()) is None


def test_registry_built_by_hand_provides_the_components_and_the_fused_gradient() -> None:
    """Registered by hand, the plugin provides exactly its three components and the fused pair."""
    registry = make_registry(autoload=False)
    registry.register_plugin(plugin, "sigmoid-tanh")
    [info] = registry.plugins
    assert sorted((e.kind, e.name, e.factory, e.aliases) for e in info.components) == [
        ("activation", "sigmoid", Sigmoid, ("logistic",)),
        ("activation", "tanh", Tanh, ()),
        ("loss", "binary_crossentropy", BinaryCrossentropy, ()),
    ]
    act, _ = registry.create("activation", "sigmoid", {})
    loss, _ = registry.create("loss", "binary_crossentropy", {})
    assert type(act) is Sigmoid and type(loss) is BinaryCrossentropy
    assert registry.output_gradient(act, loss) is sigmoid_binary_crossentropy_gradient
    assert registry.output_gradient(Tanh(), loss) is None


def test_entry_point_announces_the_plugin_module() -> None:
    """The distribution has exactly one npnet entry point, pointing at the plugin module."""
    dist = metadata.distribution("npnet-sigmoid-tanh")
    eps = [ep for ep in dist.entry_points if ep.group == "npnet"]
    assert [(ep.name, ep.value) for ep in eps] == [("sigmoid-tanh", "npnet_sigmoid_tanh.plugin")]
    assert eps[0].load() is plugin


def test_package_exports_classes_and_version() -> None:
    """The package exports the three classes and __version__ matching the metadata."""
    assert npnet_sigmoid_tanh.__version__ == "0.1.0" == metadata.version("npnet-sigmoid-tanh")
    assert set(npnet_sigmoid_tanh.__all__) == {"Sigmoid", "Tanh", "BinaryCrossentropy", "__version__"}
