"""Tests of the npnet-sgd-momentum plugin module, its hook and its packaging."""

from __future__ import annotations

import importlib.metadata

import npnet_sgd_momentum
import numpy as np
import pluggy
import pytest
from npnet_sgd_momentum import SGD, plugin

import npnet_core.hookspecs


def collect(registrations):
    """Return a ``register`` callback that appends ``(name, factory, aliases)``."""

    def register(name, factory, aliases=()):
        registrations.append((name, factory, tuple(aliases)))

    return register


def test_plugin_registers_sgd_under_its_name():
    """The hook registers exactly SGD, as "sgd", with no aliases."""
    got = []
    plugin.npnet_register_optimizers(register=collect(got))
    assert got == [("sgd", SGD, ())]


def test_hookimpl_validates_against_hookspecs():
    """pluggy accepts the plugin module against npnet's hookspecs and calls its hook."""
    pm = pluggy.PluginManager("npnet")
    pm.add_hookspecs(npnet_core.hookspecs)
    pm.register(plugin)
    pm.check_pending()
    got = []
    pm.hook.npnet_register_optimizers(register=collect(got))
    assert got == [("sgd", SGD, ())]


def test_article_sgd_reproducible_by_name():
    """("sgd", {"learning_rate": 0.01, "momentum": 0.0}) resolved through the hook matches the article."""
    pm = pluggy.PluginManager("npnet")
    pm.add_hookspecs(npnet_core.hookspecs)
    pm.register(plugin)
    got = []
    pm.hook.npnet_register_optimizers(register=collect(got))
    factories = {name: factory for name, factory, _ in got}
    opt = factories["sgd"](**{"learning_rate": 0.01, "momentum": 0.0})

    rng = np.random.default_rng(7)
    p = rng.normal(size=30)
    expected = p.copy()
    delta = np.zeros_like(expected)  # the article: delta = m*delta - lr*g; return old + delta
    for _ in range(10):
        g = rng.normal(size=30)
        delta = 0.0 * delta - 0.01 * g
        expected = expected + delta
        p = opt.update(p, g)
    np.testing.assert_array_equal(p, expected)


def test_version_matches_distribution():
    """__version__ is "0.1.0", the version of the installed distribution."""
    assert npnet_sgd_momentum.__version__ == "0.1.0"
    try:
        dist = importlib.metadata.distribution("npnet-sgd-momentum")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("npnet-sgd-momentum is not installed")
    assert dist.version == npnet_sgd_momentum.__version__


def test_entry_point_names_the_plugin_module():
    """The installed distribution has exactly one npnet entry point, pointing at the plugin module."""
    try:
        dist = importlib.metadata.distribution("npnet-sgd-momentum")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("npnet-sgd-momentum is not installed")
    points = [ep for ep in dist.entry_points if ep.group == "npnet"]
    assert [(ep.name, ep.value) for ep in points] == [("sgd-momentum", "npnet_sgd_momentum.plugin")]
    assert points[0].load() is plugin
