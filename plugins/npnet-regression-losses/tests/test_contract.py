"""The losses of npnet-regression-losses, Huber also with other deltas, against npnet's contract suite."""

from npnet_regression_losses import Huber, LogCosh, MeanAbsoluteError

from npnet_core.testing import parametrize_with_checks


@parametrize_with_checks([MeanAbsoluteError(), Huber(), Huber(delta=0.5), Huber(delta=2.5), LogCosh()])
def test_component_honours_the_npnet_contract(component, check):
    """Every contract check that applies to the component passes."""
    check(component)
