"""Bad arrays are refused with a ValidationError that names the metric, says what was expected and what came."""

from __future__ import annotations

import numpy as np
import pytest
from npnet_metrics import (
    F1,
    R2,
    Accuracy,
    LogLoss,
    MeanAbsoluteError,
    MeanSquaredError,
    Precision,
    Recall,
    TopKAccuracy,
)

from npnet_core.errors import ValidationError

CLASSIFIERS = [Accuracy(), TopKAccuracy(k=1), Precision(), Recall(), F1(), LogLoss()]
REGRESSIONS = [MeanAbsoluteError(), MeanSquaredError(), R2()]
ALL = CLASSIFIERS + REGRESSIONS

PRED = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.5, 0.25, 0.25]])
LABELS = np.array([0, 1, 2, 1])
ONE_HOT = np.eye(3)[LABELS]


def names(metrics):
    return [m.name for m in metrics]


@pytest.mark.parametrize(
    "y_pred, y_true, message",
    [
        (PRED[:, 0], LABELS, r"y_pred must be a 2-D array .* \(got shape \(4,\)\).*reshape\(-1, 1\)"),
        (PRED[np.newaxis], LABELS, r"y_pred must be a 2-D array .* \(got shape \(1, 4, 3\)\)"),
        (np.empty((0, 3)), np.empty(0), r"y_pred has shape \(0, 3\); a metric needs at least one sample"),
        (PRED.astype(str), LABELS, r"y_pred must be an array of numbers \(got an array of dtype <U"),
        (np.where(PRED > 0.75, np.nan, PRED), LABELS, r"y_pred holds NaN or infinity \(first in row 1\)"),
        (np.where(PRED > 0.75, np.inf, PRED), LABELS, r"y_pred holds NaN or infinity \(first in row 1\)"),
        (PRED, LABELS[:3], r"y_true has shape \(3,\) but y_pred has shape \(4, 3\); y_true must be of shape"),
        (PRED, ONE_HOT[:, :2], r"y_true has shape \(4, 2\) but y_pred has shape \(4, 3\)"),
        (PRED, ONE_HOT[np.newaxis], r"y_true has shape \(1, 4, 3\)"),
        (PRED, LABELS.astype(str), r"y_true must hold numbers \(got an array of dtype <U"),
        (PRED, np.array([0.0, np.nan, 1, 2]), r"y_true holds NaN or infinity \(first in row 1\)"),
        (PRED, np.where(ONE_HOT == 1, np.inf, 0), r"y_true holds NaN or infinity \(first in row 0\)"),
    ],
    ids=[
        "1-D y_pred",
        "3-D y_pred",
        "no samples",
        "strings",
        "nan prediction",
        "infinite prediction",
        "fewer targets",
        "narrower targets",
        "3-D targets",
        "string targets",
        "nan label",
        "infinite target",
    ],
)
@pytest.mark.parametrize("metric", ALL, ids=names(ALL))
def test_arrays_that_do_not_fit_are_refused(metric, y_pred, y_true, message):
    """Shapes, dtypes and non-finite values that no metric can read raise ValidationError starting with the metric's name."""
    with pytest.raises(ValidationError, match=f"^{metric.name}: {message}"):
        metric.compute(y_pred, y_true)


@pytest.mark.parametrize(
    "y_true, message",
    [
        (np.array([0, 1, 3, 1]), r"y_true holds the class label 3, but a network of 3 outputs has the classes 0 to 2"),
        (np.array([0, -1, 2, 1]), r"y_true holds the class label -1, but"),
        (
            np.array([0, 1, 2.5, 1]),
            r"y_true of shape \(4,\), for a network of 3 outputs, holds class labels, which must be whole "
            r"numbers \(got 2.5 in row 2\); pass integer labels, or one-hot rows of shape \(4, 3\)",
        ),
        (
            ONE_HOT + np.array([[0, 1, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]]),
            r"y_true row 0 is \[1. 1. 0.\], not one-hot",
        ),
        (ONE_HOT * 0.5, r"y_true row 0 is \[0.5 0.  0. \], not one-hot"),
        (ONE_HOT - np.array([[0, 0, 0], [0, 0, 0], [0, 0, 0], [1, 0, 0]]), r"y_true row 3 is .*, not one-hot"),
        (np.zeros((4, 3)), r"y_true row 0 is \[0. 0. 0.\], not one-hot"),
    ],
    ids=["label too high", "negative label", "fractional label", "two ones", "half", "negative entry", "zero row"],
)
@pytest.mark.parametrize("metric", CLASSIFIERS, ids=names(CLASSIFIERS))
def test_classifier_targets_must_be_labels_in_range_or_one_hot(metric, y_true, message):
    """A classifier's targets are integer labels below the number of outputs, or one-hot rows."""
    with pytest.raises(ValidationError, match=f"^{metric.name}: {message}"):
        metric.compute(PRED, y_true)


@pytest.mark.parametrize("metric", CLASSIFIERS, ids=names(CLASSIFIERS))
@pytest.mark.parametrize("y_true", [np.array([0, 1, 0.3]), np.array([[0], [2], [1]])], ids=["fraction", "two"])
def test_one_output_classifier_targets_must_be_zero_or_one(metric, y_true):
    """With one output (the probability of class 1), targets other than 0 and 1 are refused, pointing to regression metrics."""
    with pytest.raises(ValidationError, match=f"^{metric.name}: with one output.*y_true must be 0 or 1.*'mse'"):
        metric.compute(np.array([[0.2], [0.9], [0.6]]), y_true)


@pytest.mark.parametrize("metric", REGRESSIONS, ids=names(REGRESSIONS))
@pytest.mark.parametrize(
    "y_true, message",
    [
        (
            np.array([0.5, 1, 2, 0]),
            r"must be whole numbers \(got 0.5 in row 0\); pass integer labels, or values of shape \(4, 3\)",
        ),
        (np.array([0, 1, 3, 0]), r"y_true holds the class label 3"),
    ],
    ids=["fractional", "too high"],
)
def test_1d_regression_targets_for_several_outputs_must_be_labels(metric, y_true, message):
    """With several outputs, a 1-D y_true is read as class labels: fractions and labels out of range are refused."""
    with pytest.raises(ValidationError, match=f"^{metric.name}: .*{message}"):
        metric.compute(PRED, y_true)


@pytest.mark.parametrize("bad", [1.5, -0.25], ids=["above one", "negative"])
def test_log_loss_refuses_values_that_are_not_probabilities(bad):
    """log_loss needs probabilities in [0, 1], and says to use a softmax (or sigmoid) output."""
    y_pred = PRED.copy()
    y_pred[2, 1] = bad
    with pytest.raises(ValidationError, match=r"^log_loss: y_pred must hold probabilities in \[0, 1\].*softmax"):
        LogLoss().compute(y_pred, LABELS)


def test_validation_errors_are_value_errors():
    """Code that catches ValueError (scikit-learn's convention) catches the metrics' errors."""
    with pytest.raises(ValueError):
        Accuracy().compute(PRED, LABELS[:2])
