"""npnet_core.optimizer_tools: the checks optimizer plugins share."""

from __future__ import annotations

import numpy as np
import pytest

from npnet_core.errors import InvalidParameterError, ValidationError
from npnet_core.optimizer_tools import (
    check_flag,
    check_fraction,
    check_positive,
    check_state_matches,
    check_update_arrays,
)


@pytest.mark.parametrize("value", [0, -1.0, float("nan"), float("inf"), "0.1", True, None])
def test_check_positive_refuses_what_is_not_a_finite_positive_number(value):
    with pytest.raises(
        InvalidParameterError,
        match=r"^lion: learning_rate must be a finite number > 0 \(got .*\); the usual value is 0.0001$",
    ):
        check_positive("lion", "learning_rate", value, usual=1e-4)


def test_checks_return_plain_python_values():
    """Plain floats and bools, so that float32 arrays are never promoted by a NumPy scalar."""
    assert type(check_positive("o", "lr", np.float32(0.5), usual=1)) is float
    assert type(check_fraction("o", "beta", np.float64(0.9), advice="")) is float
    assert check_fraction("o", "beta", 0, advice="") == 0.0
    assert check_flag("o", "flag", np.bool_(True)) is True


@pytest.mark.parametrize("value", [1, 1.0, -0.1, float("nan"), "0.9", False])
def test_check_fraction_refuses_values_outside_0_1(value):
    with pytest.raises(
        InvalidParameterError, match=r"^o: beta must be in \[0, 1\) \(got .*\); the usual value is 0.9$"
    ):
        check_fraction("o", "beta", value, advice="the usual value is 0.9")


@pytest.mark.parametrize("value", [1, 0, "yes", None])
def test_check_flag_refuses_what_is_not_a_bool(value):
    with pytest.raises(InvalidParameterError, match=r"^o: flag must be True or False"):
        check_flag("o", "flag", value)


@pytest.mark.parametrize(
    "params, gradient, message",
    [
        ([1.0, 2.0], np.zeros(2), "params must be a floating-point numpy array updated in place .got list"),
        (np.zeros(2, dtype=int), np.zeros(2), "params must be a floating-point numpy array .*int64"),
        (np.zeros(2), np.zeros(3), r"gradient has shape \(3,\) but params has shape \(2,\)"),
    ],
)
def test_check_update_arrays(params, gradient, message):
    with pytest.raises(ValidationError, match="^o: " + message):
        check_update_arrays("o", params, gradient)


def test_check_update_arrays_refuses_read_only_params():
    params = np.zeros(2)
    params.flags.writeable = False
    with pytest.raises(ValidationError, match="read-only"):
        check_update_arrays("o", params, np.zeros(2))


def test_check_state_matches_names_both_shapes_and_the_way_out():
    check_state_matches("o", "velocity", np.zeros(3), np.zeros(3), "O()")
    with pytest.raises(
        ValidationError,
        match=r"velocity was built for params of shape \(3,\) and dtype float64, but update\(\) got shape \(4,\) and dtype float64.*e\.g\. O\(\)",
    ):
        check_state_matches("o", "velocity", np.zeros(3), np.zeros(4), "O()")
    with pytest.raises(ValidationError, match="moments were built .* dtype float32"):
        check_state_matches("o", "moments", np.zeros(3), np.zeros(3, dtype=np.float32), "O()")
