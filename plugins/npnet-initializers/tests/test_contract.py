"""The initializers of npnet-initializers against npnet's contract suite (npnet_core.testing)."""

from npnet_initializers import ArticleNormal, GlorotNormal, GlorotUniform, HeNormal, HeUniform, LecunNormal, Zeros

from npnet_core.testing import parametrize_with_checks


@parametrize_with_checks(
    [GlorotUniform(), GlorotNormal(), HeUniform(), HeNormal(), LecunNormal(), ArticleNormal(), Zeros()]
)
def test_initializer_honours_the_npnet_contract(component, check):
    """Every contract check that applies to the initializer passes."""
    check(component)
