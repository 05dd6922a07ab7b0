"""ReLU, identity and softmax activations, MSE and cross-entropy losses for npnet."""

from __future__ import annotations

from .activations import Identity, ReLU, Softmax
from .losses import CategoricalCrossentropy, MeanSquaredError

__all__ = [
    "CategoricalCrossentropy",
    "Identity",
    "MeanSquaredError",
    "ReLU",
    "Softmax",
    "__version__",
]

__version__ = "0.1.0"
