"""Adam and AdamW against npnet's contract suite (npnet_core.testing)."""

from npnet_adam import Adam, AdamW

from npnet_core.testing import parametrize_with_checks


@parametrize_with_checks([Adam(), Adam(amsgrad=True), Adam(learning_rate=0.01), Adam(learning_rate=1e-5)])
def test_adam_honours_the_npnet_contract(component, check):
    """Every contract check that applies to Adam passes, at a small learning rate too (the suite scales to it)."""
    check(component)


@parametrize_with_checks(
    [
        AdamW(),
        AdamW(weight_decay=0.1),
        AdamW(weight_decay=0.1, amsgrad=True),
        AdamW(weight_decay=0),
        AdamW(learning_rate=1e-4, weight_decay=0.1),
    ]
)
def test_adamw_honours_the_npnet_contract(component, check):
    """Every contract check passes: with weight_decay > 0 AdamW declares decays_parameters, and a zero gradient
    only shrinks its parameters toward zero, as the zero-gradient check then asks."""
    check(component)
