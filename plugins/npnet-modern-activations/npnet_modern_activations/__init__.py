"""Leaky ReLU, ELU, GELU, SiLU and softplus activations for npnet."""

from __future__ import annotations

from .activations import ELU, GELU, LeakyReLU, SiLU, Softplus

__all__ = [
    "ELU",
    "GELU",
    "LeakyReLU",
    "SiLU",
    "Softplus",
    "__version__",
]

__version__ = "0.1.0"
