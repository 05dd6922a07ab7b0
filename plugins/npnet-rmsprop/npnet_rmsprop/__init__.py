"""npnet-rmsprop: the ``"rmsprop"`` and ``"adagrad"`` optimizers for npnet (RMSprop, centred and with momentum, and Adagrad)."""

from __future__ import annotations

from .adagrad import Adagrad
from .rmsprop import RMSprop

__all__ = ["Adagrad", "RMSprop", "__version__"]

__version__ = "0.1.0"
