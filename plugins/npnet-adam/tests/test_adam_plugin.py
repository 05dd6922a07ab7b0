"""Tests of the npnet-adam plugin module: what its hook registers, and that the installed distribution provides it."""

from __future__ import annotations

import npnet_adam
from npnet_adam import Adam, Adamax, AdamW, plugin

from npnet_core import get_registry, make_registry

#: What the plugin registers: (kind, name, factory, aliases).
REGISTERED = [
    ("optimizer", "adam", Adam, ()),
    ("optimizer", "adamw", AdamW, ()),
    ("optimizer", "adamax", Adamax, ()),
]


def test_plugin_registers_adam_adamw_and_adamax_under_their_names():
    """Registered by hand (its hooks checked against npnet's hookspecs), the plugin provides exactly the table above."""
    registry = make_registry(autoload=False)
    registry.register_plugin(plugin, "adam")
    [info] = registry.plugins
    assert [(e.kind, e.name, e.factory, e.aliases) for e in info.components] == REGISTERED
    opt, spec = registry.create("optimizer", "adam", {"learning_rate": 0.002})
    assert type(opt) is Adam and opt.get_config()["learning_rate"] == 0.002 == spec.params["learning_rate"]
    opt, spec = registry.create("optimizer", "adamw", {"weight_decay": 0.1})
    assert type(opt) is AdamW and opt.get_config()["weight_decay"] == 0.1 == spec.params["weight_decay"]


def test_installed_distribution_provides_adam_and_adamw():
    """Through its entry point, each name resolves to its class from npnet-adam at npnet_adam.__version__ (0.1.0)."""
    for kind, name, factory, _ in REGISTERED:
        entry = get_registry().lookup(kind, f"npnet-adam:{name}")
        assert (entry.factory, entry.distribution, entry.version) == (factory, "npnet-adam", npnet_adam.__version__)
    assert npnet_adam.__version__ == "0.1.0"
