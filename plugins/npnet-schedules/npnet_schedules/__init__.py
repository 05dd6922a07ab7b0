"""npnet-schedules: constant, step, exponential, cosine, inverse scaling and reduce-on-plateau learning-rate schedules."""

from __future__ import annotations

from .schedules import Constant, CosineDecay, ExponentialDecay, InverseScaling, ReduceOnPlateau, StepDecay

__all__ = [
    "Constant",
    "CosineDecay",
    "ExponentialDecay",
    "InverseScaling",
    "ReduceOnPlateau",
    "StepDecay",
    "__version__",
]

__version__ = "0.1.0"
