"""The npnet hook implementations of this distribution.

Announced by the entry point ``relu-softmax = "npnet_relu_softmax.plugin"`` in
the group ``npnet``.
"""

from __future__ import annotations

from typing import Any, Optional

from npnet_core.hookspecs import OutputGradient, Register, hookimpl

from .activations import Identity, ReLU, Softmax
from .fused import identity_mse_gradient, softmax_crossentropy_gradient
from .losses import CategoricalCrossentropy, MeanSquaredError

__all__ = ["npnet_output_gradient", "npnet_register_activations", "npnet_register_losses"]


@hookimpl
def npnet_register_activations(register: Register) -> None:
    """Register ``relu``, ``identity`` and ``softmax``."""
    register("relu", ReLU)
    register("identity", Identity)
    register("softmax", Softmax)


@hookimpl
def npnet_register_losses(register: Register) -> None:
    """Register ``mean_squared_error`` (alias ``mse``) and ``categorical_crossentropy``."""
    register("mean_squared_error", MeanSquaredError, aliases=("mse",))
    register("categorical_crossentropy", CategoricalCrossentropy)


@hookimpl
def npnet_output_gradient(activation: Any, loss: Any) -> Optional[OutputGradient]:
    """Return the fused gradient for our own softmax + cross-entropy or identity + MSE.

    Checked by exact class, not by name: a third-party component called
    "softmax", or a subclass that may compute something else, gets None, so
    the network falls back to the chained gradient.
    """
    pair = (type(activation), type(loss))
    if pair == (Softmax, CategoricalCrossentropy):
        return softmax_crossentropy_gradient
    if pair == (Identity, MeanSquaredError):
        return identity_mse_gradient
    return None
