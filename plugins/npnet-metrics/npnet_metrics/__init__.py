"""npnet-metrics: accuracy, top-k accuracy, precision, recall, F1, log loss, MAE, MSE and R² for npnet."""

from __future__ import annotations

from .classification import F1, Accuracy, LogLoss, Precision, Recall, TopKAccuracy
from .regression import R2, MeanAbsoluteError, MeanSquaredError

__all__ = [
    "F1",
    "R2",
    "Accuracy",
    "LogLoss",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "Precision",
    "Recall",
    "TopKAccuracy",
    "__version__",
]

__version__ = "0.1.0"
