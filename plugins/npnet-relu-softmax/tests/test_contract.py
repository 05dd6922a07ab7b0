"""The activations and losses of npnet-relu-softmax against npnet's contract suite."""

from npnet_relu_softmax import CategoricalCrossentropy, Identity, MeanSquaredError, ReLU, Softmax

from npnet_core.testing import parametrize_with_checks


@parametrize_with_checks([ReLU(), Identity(), Softmax(), MeanSquaredError(), CategoricalCrossentropy()])
def test_component_honours_the_npnet_contract(component, check):
    """Every contract check that applies to the component passes."""
    check(component)
