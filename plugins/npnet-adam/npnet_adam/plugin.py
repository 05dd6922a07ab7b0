"""The pluggy plugin announced by the ``npnet`` entry point ``adam``."""

from __future__ import annotations

from npnet_core.hookspecs import Register, hookimpl

from .adam import Adam, Adamax, AdamW

__all__ = ["npnet_register_optimizers"]


@hookimpl
def npnet_register_optimizers(register: Register) -> None:
    """Register :class:`~npnet_adam.Adam` as ``"adam"``, :class:`~npnet_adam.AdamW` as ``"adamw"`` and
    :class:`~npnet_adam.Adamax` as ``"adamax"``."""
    register("adam", Adam)
    register("adamw", AdamW)
    register("adamax", Adamax)
