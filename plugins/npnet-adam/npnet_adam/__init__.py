"""npnet-adam: the ``"adam"``, ``"adamw"`` and ``"adamax"`` optimizers for npnet (Adam, AMSGrad, AdamW and Adamax)."""

from __future__ import annotations

from .adam import Adam, Adamax, AdamW

__all__ = ["Adam", "AdamW", "Adamax", "__version__"]

__version__ = "0.1.0"
