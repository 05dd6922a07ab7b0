"""The metrics of npnet-metrics against npnet's contract suite (npnet_core.testing)."""

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

from npnet_core.testing import parametrize_with_checks


@parametrize_with_checks(
    [
        Accuracy(),
        TopKAccuracy(),
        TopKAccuracy(k=1),
        Precision(),
        Precision(zero_division=1.0),
        Recall(),
        F1(),
        F1(zero_division=1.0),
        LogLoss(),
        LogLoss(epsilon=1e-15),
        MeanAbsoluteError(),
        MeanSquaredError(),
        R2(),
    ]
)
def test_metric_honours_the_npnet_contract(component, check):
    """Every contract check that applies to the metric passes."""
    check(component)
