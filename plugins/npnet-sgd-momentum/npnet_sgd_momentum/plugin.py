"""The pluggy plugin announced by the ``npnet`` entry point ``sgd-momentum``."""

from __future__ import annotations

from npnet_core.hookspecs import Register, hookimpl

from .sgd import SGD

__all__ = ["npnet_register_optimizers"]


@hookimpl
def npnet_register_optimizers(register: Register) -> None:
    """Register :class:`~npnet_sgd_momentum.SGD` under the name ``"sgd"``."""
    register("sgd", SGD)
