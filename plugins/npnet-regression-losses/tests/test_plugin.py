"""The plugin module: registered names, hook validation and the entry point."""

from __future__ import annotations

from importlib import metadata

import npnet_regression_losses
import pluggy
import pytest
from npnet_regression_losses import Huber, LogCosh, MeanAbsoluteError, plugin

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


def test_registers_exactly_the_three_losses_with_mae_alias() -> None:
    """Losses: mean_absolute_error (alias mae), huber and log_cosh."""
    assert collect(plugin.npnet_register_losses) == {
        "mean_absolute_error": (MeanAbsoluteError, ("mae",)),
        "huber": (Huber, ()),
        "log_cosh": (LogCosh, ()),
    }


def test_registered_names_match_class_names() -> None:
    """Each factory's class attribute name is the name it is registered under."""
    for name, (factory, _) in collect(plugin.npnet_register_losses).items():
        assert factory.name == name


def test_plugin_module_validates_against_hookspecs() -> None:
    """pluggy accepts the module against npnet's hookspecs and calls its hook."""
    pm = pluggy.PluginManager("npnet")
    pm.add_hookspecs(npnet_core.hookspecs)
    pm.register(plugin)
    pm.check_pending()
    names = []
    pm.hook.npnet_register_losses(register=lambda name, factory, aliases=(): names.append(name))
    assert names == ["mean_absolute_error", "huber", "log_cosh"]


def test_registry_resolves_the_alias_and_parameters_and_refuses_bad_ones() -> None:
    """Through a registry, "mae" is mean_absolute_error, huber takes delta, and a bad delta is refused."""
    registry = Registry(autoload=False, blocked=(), strict=False)
    registry.register_plugin(plugin, "regression-losses")
    assert registry.lookup("loss", "mae") is registry.lookup("loss", "mean_absolute_error")
    mae, _ = registry.create("loss", "mae")
    assert type(mae) is MeanAbsoluteError
    huber, _ = registry.create("loss", "huber", {"delta": 0.5})
    assert type(huber) is Huber and huber.delta == 0.5
    with pytest.raises(InvalidParameterError, match=r"^huber: delta must be a finite number > 0 \(got -1\)"):
        registry.create("loss", "huber", {"delta": -1})


def test_entry_point_announces_the_plugin_module() -> None:
    """The distribution has exactly one npnet entry point, pointing at the plugin module."""
    dist = metadata.distribution("npnet-regression-losses")
    eps = [ep for ep in dist.entry_points if ep.group == "npnet"]
    assert [(ep.name, ep.value) for ep in eps] == [("regression-losses", "npnet_regression_losses.plugin")]
    assert eps[0].load() is plugin


def test_package_exports_classes_and_version() -> None:
    """The package exports the three classes and __version__ matching the metadata."""
    assert npnet_regression_losses.__version__ == "0.1.0" == metadata.version("npnet-regression-losses")
    assert set(npnet_regression_losses.__all__) == {"MeanAbsoluteError", "Huber", "LogCosh", "__version__"}
