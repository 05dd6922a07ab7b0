"""The contract check of declarations: the official components pass, declarations that lie are caught."""

from __future__ import annotations

import numpy as np
import pytest
from npnet_relu_softmax import CategoricalCrossentropy, ReLU, Softmax
from npnet_sigmoid_tanh import BinaryCrossentropy, Sigmoid, Tanh

from npnet_core.kinds import KINDS
from npnet_core.testing import ContractViolation, check_declarations_hold


@pytest.mark.parametrize(
    "component", [Softmax(), Sigmoid(), ReLU(), Tanh(), CategoricalCrossentropy(), BinaryCrossentropy()]
)
def test_official_declarations_hold(component) -> None:
    check_declarations_hold(component)


def test_the_check_runs_for_activations_and_losses() -> None:
    for kind in ("activation", "loss"):
        assert "check_declarations_hold" in KINDS[kind].checks


class SigmoidClaimingDistribution(Sigmoid):
    """Values in [0, 1], but rows of several units do not sum to 1."""

    produces = "distribution"


class ReLUClaimingProbabilities(ReLU):
    produces = "probabilities"


class ClippedAtTheExtremes(Sigmoid):
    """Right for ordinary inputs, NaN for very large ones (exp overflows to inf, inf/inf)."""

    def forward(self, z):
        e = np.exp(z)
        return e / (1 + e)


class Misspelled(Softmax):
    produces = "probability"


class LossMisspelled(CategoricalCrossentropy):
    expects = "distributions"


@pytest.mark.parametrize(
    "component, match",
    [
        (SigmoidClaimingDistribution(), "sums to"),
        (ReLUClaimingProbabilities(), r"outside \[0, 1\]"),
        (ClippedAtTheExtremes(), r"outside \[0, 1\].*z = 10000"),
        (Misspelled(), "npnet knows 'distribution'"),
        (LossMisspelled(), "declares expects='distributions'"),
    ],
)
def test_declarations_that_do_not_hold_are_caught(component, match: str) -> None:
    with pytest.raises(ContractViolation, match=match):
        check_declarations_hold(component)
