"""The npnet hook implementations of this distribution.

Announced by the entry point ``sigmoid-tanh = "npnet_sigmoid_tanh.plugin"`` in
the group ``npnet``.
"""

from __future__ import annotations

from typing import Any, Optional

from npnet_core.hookspecs import OutputGradient, Register, hookimpl

from .activations import Sigmoid, Tanh
from .fused import sigmoid_binary_crossentropy_gradient
from .losses import BinaryCrossentropy

__all__ = ["npnet_output_gradient", "npnet_register_activations", "npnet_register_losses"]


@hookimpl
def npnet_register_activations(register: Register) -> None:
    """Register ``sigmoid`` (alias ``logistic``, scikit-learn's name) and ``tanh``."""
    register("sigmoid", Sigmoid, aliases=("logistic",))
    register("tanh", Tanh)


@hookimpl
def npnet_register_losses(register: Register) -> None:
    """Register ``binary_crossentropy``."""
    register("binary_crossentropy", BinaryCrossentropy)


@hookimpl
def npnet_output_gradient(activation: Any, loss: Any) -> Optional[OutputGradient]:
    """Return the fused gradient for our own sigmoid + binary cross-entropy.

    Checked by exact class, not by name: a third-party component called
    "sigmoid", or a subclass that may compute something else, gets None, so
    the network falls back to the chained gradient.
    """
    if (type(activation), type(loss)) == (Sigmoid, BinaryCrossentropy):
        return sigmoid_binary_crossentropy_gradient
    return None
