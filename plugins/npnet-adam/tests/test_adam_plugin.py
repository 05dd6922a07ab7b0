"""Tests of the npnet-adam plugin module: what its hook registers, and that the installed distribution provides it."""

from __future__ import annotations

import npnet_adam
from npnet_adam import Adam, plugin

from npnet_core import get_registry, make_registry


def test_plugin_registers_adam_under_its_name():
    """Registered by hand (its hooks checked against npnet's hookspecs), the plugin provides exactly Adam as "adam"."""
    registry = make_registry(autoload=False)
    registry.register_plugin(plugin, "adam")
    [info] = registry.plugins
    assert [(e.kind, e.name, e.factory, e.aliases) for e in info.components] == [("optimizer", "adam", Adam, ())]
    opt, spec = registry.create("optimizer", "adam", {"learning_rate": 0.002})
    assert isinstance(opt, Adam) and opt.get_config()["learning_rate"] == 0.002 == spec.params["learning_rate"]


def test_installed_distribution_provides_adam():
    """Through its entry point, "adam" resolves to Adam from npnet-adam at npnet_adam.__version__ (0.1.0)."""
    entry = get_registry().lookup("optimizer", "npnet-adam:adam")
    assert (entry.factory, entry.distribution, entry.version) == (Adam, "npnet-adam", npnet_adam.__version__)
    assert npnet_adam.__version__ == "0.1.0"
