"""The schedules of npnet-schedules against npnet's contract suite (npnet_core.testing)."""

from npnet_schedules import Constant, CosineDecay, ExponentialDecay, InverseScaling, ReduceOnPlateau, StepDecay

from npnet_core.testing import parametrize_with_checks


@parametrize_with_checks(
    [
        Constant(),
        StepDecay(30),
        StepDecay(1, gamma=0.5),
        ExponentialDecay(0.99),
        CosineDecay(1000),
        CosineDecay(1, final_fraction=0.5),
        CosineDecay(1500, final_fraction=0.1, warmup_steps=100),
        InverseScaling(),
        InverseScaling(power=2.0),
        ReduceOnPlateau(),
        ReduceOnPlateau(patience=3, factor=0.5, monitor="val_accuracy", mode="max", min_rate=1e-5),
    ]
)
def test_schedule_honours_the_npnet_contract(component, check):
    """Every contract check that applies to the schedule passes."""
    check(component)
