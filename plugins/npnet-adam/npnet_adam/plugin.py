"""The pluggy plugin announced by the ``npnet`` entry point ``adam``."""

from __future__ import annotations

from typing import Callable

from npnet_core.hookspecs import hookimpl

from .adam import Adam


@hookimpl
def npnet_register_optimizers(register: Callable[..., None]) -> None:
    """Register :class:`~npnet_adam.Adam` under the name ``"adam"``."""
    register("adam", Adam)
