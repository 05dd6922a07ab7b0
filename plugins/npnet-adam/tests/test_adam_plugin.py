"""Tests of the npnet-adam plugin module, its hook and its packaging."""

from __future__ import annotations

import importlib.metadata

import npnet_adam
import pluggy
import pytest
from npnet_adam import Adam, plugin

import npnet_core.hookspecs


def collect(registrations):
    """Return a ``register`` callback that appends ``(name, factory, aliases)``."""

    def register(name, factory, aliases=()):
        registrations.append((name, factory, tuple(aliases)))

    return register


def test_plugin_registers_adam_under_its_name():
    """The hook registers exactly Adam, as "adam", with no aliases."""
    got = []
    plugin.npnet_register_optimizers(register=collect(got))
    assert got == [("adam", Adam, ())]


def test_hookimpl_validates_against_hookspecs():
    """pluggy accepts the plugin module against npnet's hookspecs and calls its hook."""
    pm = pluggy.PluginManager("npnet")
    pm.add_hookspecs(npnet_core.hookspecs)
    pm.register(plugin)
    pm.check_pending()
    got = []
    pm.hook.npnet_register_optimizers(register=collect(got))
    assert got == [("adam", Adam, ())]


def test_factory_builds_from_name_and_params():
    """("adam", {"learning_rate": 1e-3}) resolved through the hook builds that Adam."""
    got = []
    plugin.npnet_register_optimizers(register=collect(got))
    factories = {name: factory for name, factory, _ in got}
    opt = factories["adam"](**{"learning_rate": 1e-3})
    assert isinstance(opt, Adam)
    assert opt.get_config()["learning_rate"] == 1e-3


def test_version_matches_distribution():
    """__version__ is "0.1.0", the version of the installed distribution."""
    assert npnet_adam.__version__ == "0.1.0"
    try:
        dist = importlib.metadata.distribution("npnet-adam")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("npnet-adam is not installed")
    assert dist.version == npnet_adam.__version__


def test_entry_point_names_the_plugin_module():
    """The installed distribution has exactly one npnet entry point, pointing at the plugin module."""
    try:
        dist = importlib.metadata.distribution("npnet-adam")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("npnet-adam is not installed")
    points = [ep for ep in dist.entry_points if ep.group == "npnet"]
    assert [(ep.name, ep.value) for ep in points] == [("adam", "npnet_adam.plugin")]
    assert points[0].load() is plugin
