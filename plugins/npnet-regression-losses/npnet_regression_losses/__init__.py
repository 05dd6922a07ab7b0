"""Mean absolute error, Huber and log-cosh losses for regression with npnet."""

from __future__ import annotations

from .losses import Huber, LogCosh, MeanAbsoluteError

__all__ = [
    "Huber",
    "LogCosh",
    "MeanAbsoluteError",
    "__version__",
]

__version__ = "0.1.0"
