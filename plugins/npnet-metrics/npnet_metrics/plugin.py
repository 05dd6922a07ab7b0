"""The pluggy plugin announced by the ``npnet`` entry point ``metrics``."""

from __future__ import annotations

from npnet_core.hookspecs import Register, hookimpl

from .classification import F1, Accuracy, LogLoss, Precision, Recall, TopKAccuracy
from .regression import R2, MeanAbsoluteError, MeanSquaredError

__all__ = ["npnet_register_metrics"]


@hookimpl
def npnet_register_metrics(register: Register) -> None:
    """Register the nine metrics under their ``name``; ``mae`` and ``mse`` are aliases."""
    for metric in (Accuracy, TopKAccuracy, Precision, Recall, F1, LogLoss, R2):
        register(metric.name, metric)
    register(MeanAbsoluteError.name, MeanAbsoluteError, aliases=("mae",))
    register(MeanSquaredError.name, MeanSquaredError, aliases=("mse",))
