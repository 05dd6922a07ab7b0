"""The pluggy plugin announced by the ``npnet`` entry point ``schedules``."""

from __future__ import annotations

from npnet_core.hookspecs import Register, hookimpl

from .schedules import Constant, CosineDecay, ExponentialDecay, InverseScaling, ReduceOnPlateau, StepDecay

__all__ = ["npnet_register_schedules"]


@hookimpl
def npnet_register_schedules(register: Register) -> None:
    """Register the six schedules, each under its ``name``: ``constant`` ... ``reduce_on_plateau``."""
    for schedule in (Constant, StepDecay, ExponentialDecay, CosineDecay, InverseScaling, ReduceOnPlateau):
        register(schedule.name, schedule)
