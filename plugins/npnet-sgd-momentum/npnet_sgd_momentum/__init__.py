"""npnet-sgd-momentum: the ``"sgd"`` optimizer for npnet (plain, momentum, Nesterov)."""

from __future__ import annotations

from .sgd import SGD

__all__ = ["SGD", "__version__"]

__version__ = "0.1.0"
