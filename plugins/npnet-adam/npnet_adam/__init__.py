"""npnet-adam: the ``"adam"`` and ``"adamw"`` optimizers for npnet (Adam, AMSGrad and AdamW)."""

from __future__ import annotations

from .adam import Adam, AdamW

__all__ = ["Adam", "AdamW", "__version__"]

__version__ = "0.1.0"
