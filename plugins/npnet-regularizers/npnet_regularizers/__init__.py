"""npnet-regularizers: L2, L1 and L1+L2 weight penalties, dropout and Gaussian noise for npnet."""

from __future__ import annotations

from .noise import Dropout, GaussianNoise
from .penalties import L1, L1L2, L2

__all__ = ["L1", "L1L2", "L2", "Dropout", "GaussianNoise", "__version__"]

__version__ = "0.1.0"
