"""Adam and AdamW against npnet's contract suite (npnet_core.testing)."""

from npnet_adam import Adam, AdamW

from npnet_core.testing import parametrize_with_checks


@parametrize_with_checks([Adam(), Adam(amsgrad=True), Adam(learning_rate=0.01)])
def test_adam_honours_the_npnet_contract(component, check):
    """Every contract check that applies to Adam passes."""
    check(component)


@parametrize_with_checks(
    [AdamW(), AdamW(weight_decay=0.1), AdamW(weight_decay=0.1, amsgrad=True), AdamW(weight_decay=0)]
)
def test_adamw_honours_the_npnet_contract(component, check):
    """Every contract check passes, but for the zero-gradient one, which AdamW declares to fail while it decays."""
    check(component)
