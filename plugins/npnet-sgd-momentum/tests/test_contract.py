"""SGD against npnet's contract suite (npnet_core.testing)."""

from npnet_sgd_momentum import SGD

from npnet_core.testing import parametrize_with_checks


@parametrize_with_checks([SGD(), SGD(momentum=0.9), SGD(momentum=0.9, nesterov=True)])
def test_sgd_honours_the_npnet_contract(component, check):
    """Every contract check that applies to SGD (plain, momentum, Nesterov) passes."""
    check(component)
