"""The npnet-metrics plugin: what its hook registers, the installed distribution, and what every metric shares."""

from __future__ import annotations

import math

import npnet_metrics
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
    plugin,
)

from npnet_core import get_registry, make_registry
from npnet_core.errors import InvalidParameterError

#: one of each metric, and the non-default configurations
METRICS = [
    Accuracy(),
    TopKAccuracy(),
    TopKAccuracy(k=2),
    Precision(),
    Precision(zero_division=1.0),
    Recall(),
    Recall(zero_division=1),
    F1(),
    F1(zero_division=1.0),
    LogLoss(),
    LogLoss(epsilon=1e-15),
    MeanAbsoluteError(),
    MeanSquaredError(),
    R2(),
]
IDS = [repr(metric) for metric in METRICS]

RNG = np.random.default_rng(7)
LABELS = RNG.integers(0, 6, 60)
PROBABILITIES = RNG.dirichlet(np.ones(6), size=60)
PERFECT = np.eye(6)[LABELS]


def test_plugin_registers_the_nine_metrics_and_two_aliases():
    """Registered by hand (its hooks checked against npnet's hookspecs), the plugin provides exactly the nine metrics."""
    registry = make_registry(autoload=False)
    registry.register_plugin(plugin, "metrics")
    [info] = registry.plugins
    assert sorted((e.kind, e.name, e.factory, e.aliases) for e in info.components) == [
        ("metric", "accuracy", Accuracy, ()),
        ("metric", "f1", F1, ()),
        ("metric", "log_loss", LogLoss, ()),
        ("metric", "mean_absolute_error", MeanAbsoluteError, ("mae",)),
        ("metric", "mean_squared_error", MeanSquaredError, ("mse",)),
        ("metric", "precision", Precision, ()),
        ("metric", "r2", R2, ()),
        ("metric", "recall", Recall, ()),
        ("metric", "top_k_accuracy", TopKAccuracy, ()),
    ]


@pytest.mark.parametrize(
    "name, factory", [("npnet-metrics:f1", F1), ("mae", MeanAbsoluteError), ("mse", MeanSquaredError)]
)
def test_installed_distribution_provides_the_metrics_and_aliases(name, factory):
    """Through its entry point, names and aliases resolve to npnet-metrics at its __version__ (0.1.0)."""
    entry = get_registry().lookup("metric", name)
    assert (entry.factory, entry.distribution, entry.version) == (factory, "npnet-metrics", npnet_metrics.__version__)
    assert npnet_metrics.__version__ == "0.1.0"


@pytest.mark.parametrize("metric", METRICS, ids=IDS)
def test_get_config_rebuilds_an_equal_metric(metric):
    """type(m)(**m.get_config()) has the same configuration and the same scores."""
    rebuilt = type(metric)(**metric.get_config())
    assert rebuilt.get_config() == metric.get_config()
    assert repr(rebuilt) == repr(metric)
    assert rebuilt.compute(PROBABILITIES, LABELS) == metric.compute(PROBABILITIES, LABELS)


def test_get_config_holds_the_checked_parameters():
    """Parameters come back as plain Python values: k an int, zero_division a float, epsilon a float or None."""
    assert TopKAccuracy(k=np.int64(3)).get_config() == {"k": 3}
    assert type(TopKAccuracy(k=np.int64(3)).k) is int
    assert F1(zero_division=1).get_config() == {"zero_division": 1.0}
    assert type(F1(zero_division=1).zero_division) is float
    assert LogLoss().get_config() == {"epsilon": None}
    assert LogLoss(epsilon=np.float32(0.25)).get_config() == {"epsilon": 0.25}
    assert Accuracy().get_config() == {} == R2().get_config()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: TopKAccuracy(k=0), r"top_k_accuracy: k must be an integer >= 1 \(got 0\); the usual value is 5"),
        (lambda: TopKAccuracy(k=2.0), r"top_k_accuracy: k must be an integer >= 1 \(got 2.0\)"),
        (lambda: TopKAccuracy(k=True), r"top_k_accuracy: k must be an integer >= 1 \(got True\)"),
        (lambda: TopKAccuracy(k="3"), r"top_k_accuracy: k must be an integer >= 1 \(got '3'\)"),
        (lambda: Precision(zero_division=0.5), r"precision: zero_division must be 0.0 or 1.0, .*\(got 0.5\)"),
        (lambda: Recall(zero_division=math.nan), r"recall: zero_division must be 0.0 or 1.0, .*\(got nan\)"),
        (lambda: F1(zero_division=True), r"f1: zero_division must be 0.0 or 1.0, .*\(got True\)"),
        (lambda: F1(zero_division="warn"), r"f1: zero_division must be 0.0 or 1.0, .*\(got 'warn'\)"),
        (lambda: LogLoss(epsilon=0), r"log_loss: epsilon must be None .* or a number in \(0, 0.5\) \(got 0\)"),
        (lambda: LogLoss(epsilon=0.5), r"log_loss: epsilon must be None .*\(got 0.5\)"),
        (lambda: LogLoss(epsilon=-1e-15), r"log_loss: epsilon must be None .*\(got -1e-15\)"),
        (lambda: LogLoss(epsilon=math.nan), r"log_loss: epsilon must be None .*\(got nan\)"),
        (lambda: LogLoss(epsilon="auto"), r"log_loss: epsilon must be None .*\(got 'auto'\)"),
    ],
)
def test_bad_parameters_are_refused_at_construction(make, message):
    """Each parameter is checked when the metric is built, with npnet's message: expected, got, usual value."""
    with pytest.raises(InvalidParameterError, match=f"^{message}"):
        make()


@pytest.mark.parametrize("metric", METRICS, ids=IDS)
def test_compute_returns_a_python_float(metric):
    """compute gives a float (not a NumPy scalar), for float32 and float64 outputs alike."""
    for dtype in (np.float32, np.float64):
        assert type(metric.compute(PROBABILITIES.astype(dtype), LABELS)) is float


@pytest.mark.parametrize("metric", METRICS, ids=IDS)
def test_greater_is_better_gives_the_direction_from_poor_to_perfect(metric):
    """greater_is_better is a bool, and perfect predictions score higher than poor ones exactly when it is True."""
    poor = np.roll(PERFECT, 1, axis=1) * 0.7 + 0.075  # every row puts 0.775 on a wrong class
    perfect, worse = metric.compute(PERFECT, LABELS), metric.compute(poor, LABELS)
    assert isinstance(metric.greater_is_better, bool)
    assert (perfect > worse) if metric.greater_is_better else (perfect < worse)


@pytest.mark.parametrize("metric", METRICS, ids=IDS)
@pytest.mark.parametrize("form", ["labels", "one-hot"])
def test_inputs_are_never_written(metric, form):
    """compute reads read-only arrays (any write would raise) and leaves them equal to copies taken before."""
    y_pred = PROBABILITIES.astype(np.float32)
    y_true = LABELS.copy() if form == "labels" else PERFECT.copy()
    before = (y_pred.copy(), y_true.copy())
    y_pred.flags.writeable = y_true.flags.writeable = False
    metric.compute(y_pred, y_true)
    np.testing.assert_array_equal(y_pred, before[0])
    np.testing.assert_array_equal(y_true, before[1])
    assert y_pred.dtype == np.float32


@pytest.mark.parametrize("metric", METRICS, ids=IDS)
def test_scores_do_not_depend_on_row_order(metric):
    """Permuting the samples (the same way in y_pred and y_true) leaves the score unchanged up to rounding."""
    order = np.random.default_rng(3).permutation(LABELS.size)
    assert metric.compute(PROBABILITIES[order], LABELS[order]) == pytest.approx(
        metric.compute(PROBABILITIES, LABELS), rel=1e-12
    )
