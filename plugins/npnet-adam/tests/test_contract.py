"""Adam against npnet's contract suite (npnet_core.testing)."""

from npnet_adam import Adam

from npnet_core.testing import parametrize_with_checks


@parametrize_with_checks([Adam(), Adam(amsgrad=True), Adam(learning_rate=0.01)])
def test_adam_honours_the_npnet_contract(component, check):
    """Every contract check that applies to Adam passes."""
    check(component)
