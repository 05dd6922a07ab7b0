"""The activations and loss of npnet-sigmoid-tanh against npnet's contract suite."""

from npnet_sigmoid_tanh import BinaryCrossentropy, Sigmoid, Tanh

from npnet_core.testing import parametrize_with_checks


@parametrize_with_checks([Sigmoid(), Tanh(), BinaryCrossentropy()])
def test_component_honours_the_npnet_contract(component, check):
    """Every contract check that applies to the component passes."""
    check(component)
