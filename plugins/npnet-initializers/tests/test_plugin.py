"""Tests of the npnet-initializers plugin module: what its hook registers, and that the installed distribution provides it."""

from __future__ import annotations

import npnet_initializers
from npnet_initializers import (
    ArticleNormal,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    Zeros,
    plugin,
)

from npnet_core import get_registry, make_registry


def test_plugin_registers_the_seven_initializers_under_their_names():
    """Registered by hand (its hooks checked against npnet's hookspecs), the plugin provides exactly the seven initializers."""
    registry = make_registry(autoload=False)
    registry.register_plugin(plugin, "initializers")
    [info] = registry.plugins
    assert sorted((e.kind, e.name, e.factory, e.aliases) for e in info.components) == [
        ("initializer", "article", ArticleNormal, ()),
        ("initializer", "glorot_normal", GlorotNormal, ()),
        ("initializer", "glorot_uniform", GlorotUniform, ()),
        ("initializer", "he_normal", HeNormal, ()),
        ("initializer", "he_uniform", HeUniform, ()),
        ("initializer", "lecun_normal", LecunNormal, ()),
        ("initializer", "zeros", Zeros, ()),
    ]


def test_installed_distribution_provides_he_normal():
    """Through its entry point, "he_normal" resolves to HeNormal from npnet-initializers at its __version__ (0.1.0)."""
    entry = get_registry().lookup("initializer", "npnet-initializers:he_normal")
    assert (entry.factory, entry.distribution, entry.version) == (
        HeNormal,
        "npnet-initializers",
        npnet_initializers.__version__,
    )
    assert npnet_initializers.__version__ == "0.1.0"
