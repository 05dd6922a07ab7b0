"""The pluggy hooks through which plugins provide components.

A plugin is a module (or object) with functions marked by :data:`hookimpl`,
announced by an entry point in the group ``npnet``::

    [project.entry-points.npnet]
    adam = "npnet_adam.plugin"

Each ``npnet_register_*`` hook receives a ``register`` callback::

    register(name, factory, aliases=())

where ``factory(**params)`` builds a new component (a class works). The hooks
run while the registry loads its plugins, which it does holding a lock: other
threads' first look-ups wait for the loading to end. A hook may look names up
itself, but must not wait for another thread that does.

The ``npnet_on_*`` hooks are training events: a plugin (or an object passed to
``fit(callbacks=[...])``) can observe training and stop it after an epoch.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import pluggy

from .kinds import KINDS, Kind
from .protocols import Activation, Loss

__all__ = [
    "PROJECT_NAME",
    "OutputGradient",
    "Register",
    "hookimpl",
    "hookspec",
    "npnet_on_epoch_end",
    "npnet_on_train_begin",
    "npnet_on_train_end",
    "npnet_output_gradient",
    *sorted(kind.hook for kind in KINDS.values()),  # npnet_register_activations, ...
]

PROJECT_NAME = "npnet"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: Signature of the callback handed to the ``npnet_register_*`` hooks.
Register = Callable[..., None]
#: ``fused(y_pred, y_true) -> grad_z``: per-sample gradient of the loss with
#: respect to the output layer's pre-activation, shape (n_samples, n_outputs).
OutputGradient = Callable[[Any, Any], Any]


def _register_hook(kind: Kind) -> Callable[[Register], None]:
    def hook(register: Register) -> None: ...

    hook.__name__ = hook.__qualname__ = kind.hook
    hook.__doc__ = f"Register {kind.name} factories: ``register({kind.example!r}, Factory)``."
    return hookspec(hook)


# One register hook per kind of the kinds table: npnet_register_activations(register), ...
for _kind in KINDS.values():
    globals()[_kind.hook] = _register_hook(_kind)
del _kind


@hookspec(firstresult=True)
def npnet_output_gradient(activation: Activation, loss: Loss) -> Optional[OutputGradient]:
    """Return a fused ``(y_pred, y_true) -> grad_z`` for this output pair, or None."""


@hookspec
def npnet_on_train_begin(network: Any, epochs: int) -> None:
    """Called when ``fit`` starts, before the first epoch."""


@hookspec
def npnet_on_epoch_end(network: Any, epoch: int, logs: Any) -> Optional[bool]:
    """Called after each epoch with its metrics; return True to stop training after it.

    ``epoch`` counts from 1; ``logs`` maps ``loss``, ``accuracy`` (classifiers),
    ``val_loss``, ``val_accuracy`` (when validating) and ``epoch_time`` to floats.
    """


@hookspec
def npnet_on_train_end(network: Any, history: Any) -> None:
    """Called when ``fit`` ends (also after early stopping), with the network's history."""
