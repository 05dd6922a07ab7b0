"""Sigmoid and tanh activations and binary cross-entropy for npnet."""

from __future__ import annotations

from .activations import Sigmoid, Tanh
from .losses import BinaryCrossentropy

__all__ = [
    "BinaryCrossentropy",
    "Sigmoid",
    "Tanh",
    "__version__",
]

__version__ = "0.1.0"
