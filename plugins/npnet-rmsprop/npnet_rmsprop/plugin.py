"""The pluggy plugin announced by the ``npnet`` entry point ``rmsprop``."""

from __future__ import annotations

from npnet_core.hookspecs import Register, hookimpl

from .adagrad import Adagrad
from .rmsprop import RMSprop

__all__ = ["npnet_register_optimizers"]


@hookimpl
def npnet_register_optimizers(register: Register) -> None:
    """Register :class:`~npnet_rmsprop.RMSprop` as ``"rmsprop"`` and :class:`~npnet_rmsprop.Adagrad` as ``"adagrad"``."""
    register("rmsprop", RMSprop)
    register("adagrad", Adagrad)
