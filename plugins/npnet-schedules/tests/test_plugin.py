"""Tests of the npnet-schedules plugin module: what its hook registers, and that the installed distribution provides it."""

from __future__ import annotations

import npnet_schedules
from npnet_schedules import (
    Constant,
    CosineDecay,
    ExponentialDecay,
    InverseScaling,
    ReduceOnPlateau,
    StepDecay,
    plugin,
)

from npnet_core import get_registry, make_registry
from npnet_core.components import parse_component


def test_plugin_registers_the_six_schedules_under_their_names():
    """Registered by hand (its hooks checked against npnet's hookspecs), the plugin provides exactly the six schedules."""
    registry = make_registry(autoload=False)
    registry.register_plugin(plugin, "schedules")
    [info] = registry.plugins
    assert sorted((e.kind, e.name, e.factory, e.aliases) for e in info.components) == [
        ("schedule", "constant", Constant, ()),
        ("schedule", "cosine", CosineDecay, ()),
        ("schedule", "exponential", ExponentialDecay, ()),
        ("schedule", "inverse_scaling", InverseScaling, ()),
        ("schedule", "reduce_on_plateau", ReduceOnPlateau, ()),
        ("schedule", "step", StepDecay, ()),
    ]


def test_installed_distribution_provides_cosine_from_its_text_spec():
    """Through its entry point, the spec cosine:total_steps=1500,warmup_steps=100 builds CosineDecay from npnet-schedules."""
    entry = get_registry().lookup("schedule", "npnet-schedules:cosine")
    assert (entry.factory, entry.distribution, entry.version) == (
        CosineDecay,
        "npnet-schedules",
        npnet_schedules.__version__,
    )
    assert npnet_schedules.__version__ == "0.1.0"
    schedule, spec = get_registry().create("schedule", *parse_component("cosine:total_steps=1500,warmup_steps=100"))
    assert schedule.get_config() == {"total_steps": 1500, "final_fraction": 0.0, "warmup_steps": 100}
    assert (spec.name, spec.params, spec.distribution) == (
        "cosine",
        {"total_steps": 1500, "warmup_steps": 100},
        "npnet-schedules",
    )
