"""Tests of the npnet-sgd-momentum plugin module: what its hook registers, and that the installed distribution provides it."""

from __future__ import annotations

import npnet_sgd_momentum
from npnet_sgd_momentum import SGD, plugin

from npnet_core import get_registry, make_registry
from npnet_core.testing import assert_trajectory_matches


def test_plugin_registers_sgd_under_its_name():
    """Registered by hand (its hooks checked against npnet's hookspecs), the plugin provides exactly SGD as "sgd"."""
    registry = make_registry(autoload=False)
    registry.register_plugin(plugin, "sgd-momentum")
    [info] = registry.plugins
    assert [(e.kind, e.name, e.factory, e.aliases) for e in info.components] == [("optimizer", "sgd", SGD, ())]


def test_article_sgd_reproducible_by_name():
    """("sgd", {"learning_rate": 0.01, "momentum": 0.0}) resolved by name is the article's update, bit for bit."""

    def article(old_params, gradient, state):  # delta = m*delta - lr*g; return old + delta, with m = 0
        delta = 0.0 * state.get("delta", 0.0) - 0.01 * gradient
        return old_params + delta, {"delta": delta}

    registry = make_registry(autoload=False)
    registry.register_plugin(plugin, "sgd-momentum")
    opt, _ = registry.create("optimizer", "sgd", {"learning_rate": 0.01, "momentum": 0.0})
    assert_trajectory_matches(opt, article, steps=10, seed=7)


def test_installed_distribution_provides_sgd():
    """Through its entry point, "sgd" resolves to SGD from npnet-sgd-momentum at its __version__ (0.1.0)."""
    entry = get_registry().lookup("optimizer", "npnet-sgd-momentum:sgd")
    assert (entry.factory, entry.distribution, entry.version) == (
        SGD,
        "npnet-sgd-momentum",
        npnet_sgd_momentum.__version__,
    )
    assert npnet_sgd_momentum.__version__ == "0.1.0"
