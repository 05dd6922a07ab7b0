"""RMSprop and Adagrad against npnet's contract suite (npnet_core.testing)."""

from npnet_rmsprop import Adagrad, RMSprop

from npnet_core.testing import (
    parametrize_with_checks,
)


@parametrize_with_checks(
    [
        RMSprop(),
        RMSprop(momentum=0.9),
        RMSprop(centered=True),
        RMSprop(momentum=0.9, centered=True),
        RMSprop(learning_rate=1e-3, rho=0.9, epsilon=1e-6, momentum=0.5, centered=True),
    ]
)
def test_rmsprop_honours_the_npnet_contract(component, check):
    """Every contract check passes for RMSprop: default, momentum, centred, both, and non-default values."""
    check(component)


@parametrize_with_checks(
    [Adagrad(learning_rate=0.1), Adagrad(learning_rate=0.1, initial_accumulator_value=0.1, epsilon=1e-8)]
)
def test_adagrad_honours_the_npnet_contract(component, check):
    """Every contract check passes for Adagrad at a learning rate the convergence checks' 5000 steps allow."""
    check(component)


@parametrize_with_checks([Adagrad(), Adagrad(initial_accumulator_value=0.1)])
def test_adagrad_at_its_default_rate_honours_the_npnet_contract(component, check):
    """Every contract check passes for Adagrad at its default lr=0.01: the convergence budgets scale with the rate."""
    check(component)
