"""The plugin module: registered names, hook validation and the entry point."""

from __future__ import annotations

from importlib import metadata

import npnet_relu_softmax
import numpy as np
import pluggy
from npnet_relu_softmax import CategoricalCrossentropy, Identity, MeanSquaredError, ReLU, Softmax, plugin

import npnet_core.hookspecs


def collect(hook) -> dict:
    """Call a register hook with a collecting callback: {name: (factory, aliases)}."""
    seen = {}

    def register(name, factory, aliases=()):
        assert name not in seen, f"{name!r} registered twice"
        seen[name] = (factory, tuple(aliases))

    hook(register)
    return seen


def test_registers_exactly_the_three_activations() -> None:
    """Activations: relu, identity, softmax, without aliases."""
    assert collect(plugin.npnet_register_activations) == {
        "relu": (ReLU, ()),
        "identity": (Identity, ()),
        "softmax": (Softmax, ()),
    }


def test_registers_exactly_the_two_losses_with_mse_alias() -> None:
    """Losses: mean_squared_error (alias mse) and categorical_crossentropy."""
    assert collect(plugin.npnet_register_losses) == {
        "mean_squared_error": (MeanSquaredError, ("mse",)),
        "categorical_crossentropy": (CategoricalCrossentropy, ()),
    }


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
    assert names == ["relu", "identity", "softmax"]
    fused = pm.hook.npnet_output_gradient(activation=Softmax(), loss=CategoricalCrossentropy())
    np.testing.assert_array_equal(fused(np.array([[0.25, 0.75]]), np.array([[0.0, 1.0]])), [[0.25, -0.25]])
    assert pm.hook.npnet_output_gradient(activation=ReLU(), loss=MeanSquaredError()) is None


def test_entry_point_announces_the_plugin_module() -> None:
    """The distribution has exactly one npnet entry point, pointing at the plugin module."""
    dist = metadata.distribution("npnet-relu-softmax")
    eps = [ep for ep in dist.entry_points if ep.group == "npnet"]
    assert [(ep.name, ep.value) for ep in eps] == [("relu-softmax", "npnet_relu_softmax.plugin")]
    assert eps[0].load() is plugin


def test_package_exports_classes_and_version() -> None:
    """The package exports the five classes and __version__ matching the metadata."""
    assert npnet_relu_softmax.__version__ == "0.1.0" == metadata.version("npnet-relu-softmax")
    assert set(npnet_relu_softmax.__all__) == {
        "ReLU",
        "Identity",
        "Softmax",
        "MeanSquaredError",
        "CategoricalCrossentropy",
        "__version__",
    }
