"""The npnet hook implementations of this distribution.

Announced by the entry point ``regression-losses = "npnet_regression_losses.plugin"``
in the group ``npnet``.
"""

from __future__ import annotations

from npnet_core.hookspecs import Register, hookimpl

from .losses import Huber, LogCosh, MeanAbsoluteError

__all__ = ["npnet_register_losses"]


@hookimpl
def npnet_register_losses(register: Register) -> None:
    """Register ``mean_absolute_error`` (alias ``mae``), ``huber`` and ``log_cosh``."""
    register("mean_absolute_error", MeanAbsoluteError, aliases=("mae",))
    register("huber", Huber)
    register("log_cosh", LogCosh)
