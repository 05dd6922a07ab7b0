"""The pluggy hooks through which plugins provide components.

A plugin is a module (or object) with functions marked by :data:`hookimpl`,
announced by an entry point in the group ``npnet``::

    [project.entry-points.npnet]
    adam = "npnet_adam.plugin"

Each ``npnet_register_*`` hook receives a ``register`` callback::

    register(name, factory, aliases=())

where ``factory(**params)`` builds a new component (a class works).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import pluggy

from .protocols import Activation, Loss

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]

PROJECT_NAME = "npnet"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: Signature of the callback handed to the ``npnet_register_*`` hooks.
Register = Callable[..., None]
#: ``fused(y_pred, y_true) -> grad_z``: per-sample gradient of the loss with
#: respect to the output layer's pre-activation, shape (n_samples, n_outputs).
OutputGradient = Callable[[Any, Any], Any]


@hookspec
def npnet_register_activations(register: Register) -> None:
    """Register activation factories: ``register("relu", ReLU)``."""


@hookspec
def npnet_register_losses(register: Register) -> None:
    """Register loss factories: ``register("mean_squared_error", MSE, aliases=("mse",))``."""


@hookspec
def npnet_register_optimizers(register: Register) -> None:
    """Register optimizer factories: ``register("adam", Adam)``."""


@hookspec(firstresult=True)
def npnet_output_gradient(activation: Activation, loss: Loss) -> Optional[OutputGradient]:
    """Return a fused ``(y_pred, y_true) -> grad_z`` for this output pair, or None."""
