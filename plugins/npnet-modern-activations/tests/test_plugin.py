"""The plugin module: registered names, hook validation and the entry point."""

from __future__ import annotations

from importlib import metadata

import npnet_modern_activations
import pluggy
import pytest
from npnet_modern_activations import ELU, GELU, LeakyReLU, SiLU, Softplus, plugin

import npnet_core.hookspecs
from npnet_core.components import Registry
from npnet_core.errors import InvalidParameterError


def collect(hook) -> dict:
    """Call a register hook with a collecting callback: {name: (factory, aliases)}."""
    seen = {}

    def register(name, factory, aliases=()):
        assert name not in seen, f"{name!r} registered twice"
        seen[name] = (factory, tuple(aliases))

    hook(register)
    return seen


def test_registers_exactly_the_five_activations() -> None:
    """Activations: leaky_relu, elu, gelu, silu, softplus, without aliases."""
    assert collect(plugin.npnet_register_activations) == {
        "leaky_relu": (LeakyReLU, ()),
        "elu": (ELU, ()),
        "gelu": (GELU, ()),
        "silu": (SiLU, ()),
        "softplus": (Softplus, ()),
    }


def test_registered_names_match_class_names() -> None:
    """Each factory's class attribute name is the name it is registered under."""
    for name, (factory, _) in collect(plugin.npnet_register_activations).items():
        assert factory.name == name


def test_plugin_module_validates_against_hookspecs() -> None:
    """pluggy accepts the module against npnet's hookspecs and calls its hook."""
    pm = pluggy.PluginManager("npnet")
    pm.add_hookspecs(npnet_core.hookspecs)
    pm.register(plugin)
    pm.check_pending()
    names = []
    pm.hook.npnet_register_activations(register=lambda name, factory, aliases=(): names.append(name))
    assert names == ["leaky_relu", "elu", "gelu", "silu", "softplus"]


def test_registry_creates_components_with_parameters_and_refuses_bad_ones() -> None:
    """Through a registry, a name and parameters give the configured component; bad ones are refused."""
    registry = Registry(autoload=False, blocked=(), strict=False)
    registry.register_plugin(plugin, "modern-activations")
    gelu, _ = registry.create("activation", "gelu", {"approximate": "tanh"})
    assert isinstance(gelu, GELU) and gelu.approximate == "tanh"
    softplus, _ = registry.create("activation", "softplus", {"beta": 2.0, "threshold": 10.0})
    assert isinstance(softplus, Softplus) and softplus.get_config() == {"beta": 2.0, "threshold": 10.0}
    with pytest.raises(InvalidParameterError, match="^elu: alpha must be a finite number > 0"):
        registry.create("activation", "elu", {"alpha": -1.0})


def test_entry_point_announces_the_plugin_module() -> None:
    """The distribution has exactly one npnet entry point, pointing at the plugin module."""
    dist = metadata.distribution("npnet-modern-activations")
    eps = [ep for ep in dist.entry_points if ep.group == "npnet"]
    assert [(ep.name, ep.value) for ep in eps] == [("modern-activations", "npnet_modern_activations.plugin")]
    assert eps[0].load() is plugin


def test_package_exports_classes_and_version() -> None:
    """The package exports the five classes and __version__ matching the metadata."""
    assert npnet_modern_activations.__version__ == "0.1.0" == metadata.version("npnet-modern-activations")
    assert set(npnet_modern_activations.__all__) == {"LeakyReLU", "ELU", "GELU", "SiLU", "Softplus", "__version__"}
