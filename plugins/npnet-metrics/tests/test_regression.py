"""The regression metrics against scikit-learn.metrics and hand-worked cases."""

from __future__ import annotations

import itertools
import warnings
from typing import Any, NamedTuple

import numpy as np
import pytest
from npnet_metrics import R2, MeanAbsoluteError, MeanSquaredError
from sklearn import metrics as skm

SCENARIOS = ("random", "constant_column", "perfect", "one_sample")
OUTPUTS = (1, 2, 5)
DTYPES = (np.float32, np.float64)


class Case(NamedTuple):
    y_pred: np.ndarray
    y_true: np.ndarray


def make_case(outputs: int, dtype: Any, scenario: str, seed: int) -> Case:
    """Random values; ``scenario`` makes a constant first target column, perfect predictions or a single sample."""
    rng = np.random.default_rng(seed)
    n = 1 if scenario == "one_sample" else int(rng.integers(2, 300))
    y_true = rng.normal(3.0, 2.0, size=(n, outputs)).astype(dtype)
    y_pred = (y_true + rng.normal(0.0, 1.0, size=(n, outputs))).astype(dtype)
    if scenario == "constant_column":
        y_true[:, 0] = 1.5
    elif scenario == "perfect":
        y_pred = y_true.copy()
    return Case(y_pred, y_true)


CASES = [
    pytest.param(make_case(outputs, dtype, scenario, seed), id=f"{outputs}outputs-{dtype.__name__}-{scenario}")
    for seed, (outputs, dtype, scenario) in enumerate(itertools.product(OUTPUTS, DTYPES, SCENARIOS))
]
SEVERAL_SAMPLES = [case for case in CASES if case.values[0].y_true.shape[0] > 1]
ONE_SAMPLE = [case for case in CASES if case.values[0].y_true.shape[0] == 1]
ONE_OUTPUT = [case for case in CASES if case.values[0].y_true.shape[1] == 1]


def tolerance(case: Case) -> float:
    return 1e-5 if case.y_pred.dtype == np.float32 else 1e-12


@pytest.mark.parametrize(
    "metric, reference",
    [(MeanAbsoluteError(), skm.mean_absolute_error), (MeanSquaredError(), skm.mean_squared_error)],
    ids=["mae", "mse"],
)
@pytest.mark.parametrize("case", CASES)
def test_mae_and_mse_equal_sklearn_uniform_average(case, metric, reference):
    """mean_absolute_error and mean_squared_error are sklearn's, averaged uniformly over the outputs."""
    expected = reference(case.y_true.astype(np.float64), case.y_pred.astype(np.float64))
    assert metric.compute(case.y_pred, case.y_true) == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("case", SEVERAL_SAMPLES)
def test_r2_equals_sklearn_r2_score_with_force_finite(case):
    """r2 is sklearn's r2_score (uniform average, force_finite=True: a constant target column scores 1 or 0)."""
    expected = skm.r2_score(case.y_true.astype(np.float64), case.y_pred.astype(np.float64))
    assert R2().compute(case.y_pred, case.y_true) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("case", ONE_SAMPLE)
def test_r2_of_one_sample_is_one_per_exact_output_else_zero(case):
    """One sample is a constant target: each output scores 1.0 when predicted exactly, else 0.0 (sklearn: NaN, warns)."""
    y_true, y_pred = case.y_true, case.y_pred.copy()
    y_pred[0, 0] = y_true[0, 0]  # the first output exact, the others (random) not
    expected = np.mean([1.0 if y_pred[0, j] == y_true[0, j] else 0.0 for j in range(y_true.shape[1])])
    assert R2().compute(y_pred, y_true) == expected
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(skm.r2_score(y_true, y_pred))


def test_values_worked_by_hand():
    """y_true [1, 2, 3], y_pred [1, 2, 4]: MAE 1/3, MSE 1/3, R² = 1 - 1/2 (SS_res 1, SS_tot 2)."""
    y_true, y_pred = np.array([1.0, 2.0, 3.0]), np.array([[1.0], [2.0], [4.0]])
    assert MeanAbsoluteError().compute(y_pred, y_true) == pytest.approx(1 / 3)
    assert MeanSquaredError().compute(y_pred, y_true) == pytest.approx(1 / 3)
    assert R2().compute(y_pred, y_true) == pytest.approx(0.5)


def test_r2_of_a_constant_target_column_follows_force_finite():
    """Targets [2, 2] and [1, 3]: the constant column scores 1 when exact and 0 otherwise; the other 1 - 2/2 = 0."""
    y_true = np.array([[2.0, 1.0], [2.0, 3.0]])
    exact_first = np.array([[2.0, 2.0], [2.0, 2.0]])  # second column: SS_res 2, SS_tot 2
    assert R2().compute(exact_first, y_true) == pytest.approx((1.0 + 0.0) / 2)
    off_first = np.array([[2.0, 1.0], [2.5, 3.0]])  # second column exact: 1
    assert R2().compute(off_first, y_true) == pytest.approx((0.0 + 1.0) / 2)


def test_a_constant_column_of_inexact_decimals_is_still_constant():
    """Targets all 0.1 (whose float mean is not 0.1 exactly): the column is constant, so R² is 1.0 or 0.0, never huge."""
    y_true = np.full((7, 1), 0.1)
    assert R2().compute(y_true.copy(), y_true) == 1.0
    assert R2().compute(y_true + 0.01, y_true) == 0.0


@pytest.mark.parametrize("metric", [MeanAbsoluteError(), MeanSquaredError(), R2()], ids=lambda m: m.name)
@pytest.mark.parametrize("case", ONE_OUTPUT)
def test_one_output_takes_a_1d_target(case, metric):
    """For one output, y_true of shape (n,) scores as (n, 1)."""
    assert metric.compute(case.y_pred, case.y_true[:, 0]) == metric.compute(case.y_pred, case.y_true)


@pytest.mark.parametrize("metric", [MeanAbsoluteError(), MeanSquaredError(), R2()], ids=lambda m: m.name)
@pytest.mark.parametrize("classes", [2, 3, 10])
def test_integer_labels_are_one_hot_encoded_for_several_outputs(metric, classes):
    """With k >= 2 outputs, labels y_true (n,) score as their one-hot rows, which sklearn scores as values."""
    rng = np.random.default_rng(classes)
    labels = rng.integers(0, classes, 50)
    y_pred = rng.dirichlet(np.ones(classes), size=50)
    one_hot = np.eye(classes)[labels]
    reference = {"mean_absolute_error": skm.mean_absolute_error, "mean_squared_error": skm.mean_squared_error}
    expected = reference.get(metric.name, skm.r2_score)(one_hot, y_pred)
    for y_true in (labels, labels.astype(np.float32), one_hot):
        assert metric.compute(y_pred, y_true) == pytest.approx(expected, rel=1e-12)
