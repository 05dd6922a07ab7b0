"""Tests of the npnet-regularizers plugin module: what its hook registers, and that the installed distribution provides it."""

from __future__ import annotations

import npnet_regularizers
from npnet_regularizers import L1, L1L2, L2, Dropout, GaussianNoise, plugin

from npnet_core import get_registry, make_registry


def test_plugin_registers_the_five_regularizers_under_their_names():
    """Registered by hand (its hooks checked against npnet's hookspecs), the plugin provides exactly the five regularizers."""
    registry = make_registry(autoload=False)
    registry.register_plugin(plugin, "regularizers")
    [info] = registry.plugins
    assert sorted((e.kind, e.name, e.factory, e.aliases) for e in info.components) == [
        ("regularizer", "dropout", Dropout, ()),
        ("regularizer", "gaussian_noise", GaussianNoise, ()),
        ("regularizer", "l1", L1, ()),
        ("regularizer", "l1_l2", L1L2, ()),
        ("regularizer", "l2", L2, ()),
    ]


def test_installed_distribution_provides_l2():
    """Through its entry point, "l2" resolves to L2 from npnet-regularizers at its __version__ (0.1.0)."""
    entry = get_registry().lookup("regularizer", "npnet-regularizers:l2")
    assert (entry.factory, entry.distribution, entry.version) == (
        L2,
        "npnet-regularizers",
        npnet_regularizers.__version__,
    )
    assert npnet_regularizers.__version__ == "0.1.0"


def test_every_regularizer_builds_with_default_parameters():
    """`npnet check` builds each installed component with no arguments: each of the five can be."""
    registry = make_registry(autoload=False)
    registry.register_plugin(plugin, "regularizers")
    [info] = registry.plugins
    assert {e.name: e.factory().name for e in info.components} == {e.name: e.name for e in info.components}
