"""The regularizers of npnet-regularizers against npnet's contract suite (npnet_core.testing)."""

from npnet_regularizers import L1, L1L2, L2, Dropout, GaussianNoise

from npnet_core.testing import parametrize_with_checks


@parametrize_with_checks(
    [
        L2(),
        L1(),
        L1L2(),
        L1L2(l1=0.0, l2=0.05),
        Dropout(),
        Dropout(rate=0.2),
        GaussianNoise(),
        GaussianNoise(stddev=1.0),
    ]
)
def test_regularizer_honours_the_npnet_contract(component, check):
    """Every contract check that applies to the regularizer passes."""
    check(component)
