"""Shared fixtures: registries built by hand."""

from __future__ import annotations

from typing import Callable, Iterator

import npnet_adam.plugin
import npnet_initializers.plugin
import npnet_metrics.plugin
import npnet_modern_activations.plugin
import npnet_regression_losses.plugin
import npnet_regularizers.plugin
import npnet_relu_softmax.plugin
import npnet_rmsprop.plugin
import npnet_schedules.plugin
import npnet_sgd_momentum.plugin
import npnet_sigmoid_tanh.plugin
import pytest

from npnet_core import Registry

OFFICIAL_PLUGINS = {
    "npnet-relu-softmax": npnet_relu_softmax.plugin,
    "npnet-sgd-momentum": npnet_sgd_momentum.plugin,
    "npnet-adam": npnet_adam.plugin,
    "npnet-initializers": npnet_initializers.plugin,
    "npnet-schedules": npnet_schedules.plugin,
    "npnet-regularizers": npnet_regularizers.plugin,
    "npnet-metrics": npnet_metrics.plugin,
    "npnet-sigmoid-tanh": npnet_sigmoid_tanh.plugin,
    "npnet-modern-activations": npnet_modern_activations.plugin,
    "npnet-regression-losses": npnet_regression_losses.plugin,
    "npnet-rmsprop": npnet_rmsprop.plugin,
}


@pytest.fixture
def empty_registry() -> Iterator[Registry]:
    """A registry without entry-point autoloading and without plugins."""
    registry = Registry(autoload=False, blocked=(), strict=False)
    yield registry
    for plugin in registry.plugins:
        registry.unregister_plugin(plugin.name)


@pytest.fixture
def official_registry(empty_registry: Registry) -> Registry:
    """A registry holding the official plugins, registered by hand."""
    for distribution, module in OFFICIAL_PLUGINS.items():
        empty_registry.register_plugin(module, distribution, distribution=distribution, version="0.1.0")
    return empty_registry


@pytest.fixture
def registry_of() -> Iterator[Callable[..., Registry]]:
    """Make a registry holding the named official distributions (all of them when none is named), by hand."""

    def make(*distributions: str) -> Registry:
        registry = Registry(autoload=False, blocked=(), strict=False)
        for distribution in distributions or OFFICIAL_PLUGINS:
            module = OFFICIAL_PLUGINS[distribution]
            registry.register_plugin(module, distribution, distribution=distribution, version="0.1.0")
        return registry

    yield make
