"""Regression metrics: ``y_pred`` and ``y_true`` hold values, one column per output.

``y_true`` may be 1-D for one output. With two outputs or more, 1-D integer
``y_true`` is read as class labels and one-hot encoded first, so that these
metrics also score a classifier's probabilities (the MSE of one-hot targets is
the Brier score divided by the number of classes). Each metric is computed per
output and averaged over the outputs with equal weights (scikit-learn's
``multioutput="uniform_average"``), in float64.
"""

from __future__ import annotations

import numpy as np

from npnet_core import optimizer_tools as tools

from ._targets import targets

__all__ = ["R2", "MeanAbsoluteError", "MeanSquaredError"]


class MeanAbsoluteError(tools.HyperparametersMixin):
    """The mean of ``|y_pred - y_true|`` over all samples and outputs; alias ``mae``.

    scikit-learn: ``mean_absolute_error(y_true, y_pred)``.
    """

    name = "mean_absolute_error"
    greater_is_better = False

    def compute(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        pred, values = targets(self.name, y_pred, y_true, "values")
        return float(np.mean(np.abs(pred - values)))


class MeanSquaredError(tools.HyperparametersMixin):
    """The mean of ``(y_pred - y_true)**2`` over all samples and outputs; alias ``mse``.

    scikit-learn: ``mean_squared_error(y_true, y_pred)``.
    """

    name = "mean_squared_error"
    greater_is_better = False

    def compute(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        pred, values = targets(self.name, y_pred, y_true, "values")
        return float(np.mean(np.square(pred - values)))


class R2(tools.HyperparametersMixin):
    """The coefficient of determination ``1 - SS_res / SS_tot`` of each output, averaged over the outputs.

    ``SS_res = sum((y_true - y_pred)**2)`` and ``SS_tot = sum((y_true - mean(y_true))**2)``
    over the samples. An output whose targets are all equal (``SS_tot = 0``)
    scores 1.0 if predicted exactly, else 0.0: scikit-learn's ``force_finite=True``.
    A single sample is such a case (scikit-learn returns NaN with a warning there).

    scikit-learn: ``r2_score(y_true, y_pred)`` (``multioutput="uniform_average"``).
    """

    name = "r2"
    greater_is_better = True

    def compute(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        pred, values = targets(self.name, y_pred, y_true, "values")
        residual = np.sum(np.square(values - pred), axis=0)
        total = np.sum(np.square(values - values.mean(axis=0)), axis=0)
        constant = (values == values[0]).all(axis=0) | (total == 0)  # total == 0 also when squares underflow
        per_output = np.where(constant, residual == 0, 1.0 - residual / np.where(constant, 1.0, total))
        return float(np.mean(per_output))
