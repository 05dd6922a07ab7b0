"""The npnet hook implementations of this distribution.

Announced by the entry point ``modern-activations = "npnet_modern_activations.plugin"``
in the group ``npnet``.
"""

from __future__ import annotations

from npnet_core.hookspecs import Register, hookimpl

from .activations import ELU, GELU, LeakyReLU, SiLU, Softplus

__all__ = ["npnet_register_activations"]


@hookimpl
def npnet_register_activations(register: Register) -> None:
    """Register ``leaky_relu``, ``elu``, ``gelu``, ``silu`` and ``softplus``."""
    register("leaky_relu", LeakyReLU)
    register("elu", ELU)
    register("gelu", GELU)
    register("silu", SiLU)
    register("softplus", Softplus)
