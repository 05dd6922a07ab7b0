"""The pluggy plugin announced by the ``npnet`` entry point ``sgd-momentum``."""

from __future__ import annotations

from typing import Callable

from npnet_core.hookspecs import hookimpl

from .sgd import SGD


@hookimpl
def npnet_register_optimizers(register: Callable[..., None]) -> None:
    """Register :class:`~npnet_sgd_momentum.SGD` under the name ``"sgd"``."""
    register("sgd", SGD)
