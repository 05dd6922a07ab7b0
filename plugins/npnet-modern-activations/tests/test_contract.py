"""The activations of npnet-modern-activations, with default and other parameters, against npnet's contract suite."""

from npnet_modern_activations import ELU, GELU, LeakyReLU, SiLU, Softplus

from npnet_core.testing import parametrize_with_checks


@parametrize_with_checks(
    [
        LeakyReLU(),
        LeakyReLU(negative_slope=0.2),
        ELU(),
        ELU(alpha=0.5),
        GELU(),
        GELU(approximate="tanh"),
        SiLU(),
        Softplus(),
        Softplus(beta=2.0, threshold=10.0),
    ]
)
def test_component_honours_the_npnet_contract(component, check):
    """Every contract check that applies to the component passes."""
    check(component)
