"""npnet-adam: the ``"adam"`` optimizer for npnet (Adam and AMSGrad)."""

from __future__ import annotations

from .adam import Adam

__all__ = ["Adam", "__version__"]

__version__ = "0.1.0"
