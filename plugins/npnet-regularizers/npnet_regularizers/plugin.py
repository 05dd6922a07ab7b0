"""The pluggy plugin announced by the ``npnet`` entry point ``regularizers``."""

from __future__ import annotations

from npnet_core.hookspecs import Register, hookimpl

from .noise import Dropout, GaussianNoise
from .penalties import L1, L1L2, L2

__all__ = ["npnet_register_regularizers"]


@hookimpl
def npnet_register_regularizers(register: Register) -> None:
    """Register the five regularizers, each under its ``name``: ``l2``, ``l1``, ``l1_l2``, ``dropout``, ``gaussian_noise``."""
    for regularizer in (L2, L1, L1L2, Dropout, GaussianNoise):
        register(regularizer.name, regularizer)
