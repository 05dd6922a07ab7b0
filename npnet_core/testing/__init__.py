"""npnet's contract suite: prove that a component honours npnet's contracts.

One ``check_<rule>(component)`` function per rule; :func:`checks_for` picks the
checks that apply to a component of each kind; :func:`parametrize_with_checks`
turns them into pytest parameters with readable ids and declared expected
failures. A broken rule raises :class:`ContractViolation`, whose message names
the component, the rule and the numbers.

>>> from npnet_core.testing import parametrize_with_checks
>>> @parametrize_with_checks([Tanh()])      # doctest: +SKIP
... def test_contract(component, check):
...     check(component)
"""

from ..kinds import kind_of
from ._array_checks import (
    check_backward_matches_finite_differences,
    check_deterministic,
    check_dtype_preserved,
    check_finite_at_boundary_predictions,
    check_finite_at_extreme_inputs,
    check_inputs_not_mutated,
    check_output_shapes,
    check_rows_independent,
)
from ._declaration_checks import check_declarations_hold
from ._export_checks import assert_exported_close, check_onnx_export, run_exported
from ._initializer_checks import (
    check_initializer_deterministic,
    check_initializer_fills_in_place,
    check_initializer_scale_bounded,
)
from ._metric_checks import (
    check_metric_finite_on_edge_cases,
    check_metric_inputs_not_mutated,
    check_metric_labels_and_one_hot_agree,
    check_metric_perfect_prediction_best,
    check_metric_row_order_invariant,
)
from ._numerical import central_difference
from ._optimizer_assertions import (
    assert_bad_updates_refused,
    assert_config_round_trip,
    assert_hyperparameters_refused,
    assert_state_refused,
    assert_state_round_trip,
    assert_trajectory_matches,
    assert_update_in_place,
    minimise_quadratic,
    parametrize_with_assertions,
    split_numbers,
)
from ._optimizer_checks import (
    check_converges_on_ill_conditioned_quadratic,
    check_converges_on_quadratic,
    check_get_config_rebuilds_equivalent,
    check_gradient_not_mutated,
    check_load_state_dict_refuses_bad_arrays,
    check_loss_decreases_on_small_network,
    check_state_dict_round_trip,
    check_update_shape_and_dtype,
    check_zero_gradient_keeps_parameters,
)
from ._parametrize import parametrize_with_checks
from ._regularizer_checks import (
    check_penalty_gradient_matches_finite_differences,
    check_perturb_backward_consistent,
    check_perturb_deterministic,
    check_perturb_preserves_expectation,
    check_regularizer_inactive_at_inference,
    check_regularizer_inputs_not_mutated,
)
from ._report import ContractViolation
from ._runner import CheckOutcome, ComponentReport, check_installed, run_checks
from ._schedule_checks import (
    check_schedule_config_round_trip,
    check_schedule_pure,
    check_schedule_rates_finite_positive,
)
from ._selection import check_registered_name_resolves, checks_for, expected_failures_of

__all__ = [
    "CheckOutcome",
    "ComponentReport",
    "ContractViolation",
    "assert_bad_updates_refused",
    "assert_config_round_trip",
    "assert_exported_close",
    "assert_hyperparameters_refused",
    "assert_state_refused",
    "assert_state_round_trip",
    "assert_trajectory_matches",
    "assert_update_in_place",
    "central_difference",
    "check_backward_matches_finite_differences",
    "check_converges_on_ill_conditioned_quadratic",
    "check_converges_on_quadratic",
    "check_declarations_hold",
    "check_deterministic",
    "check_dtype_preserved",
    "check_finite_at_boundary_predictions",
    "check_finite_at_extreme_inputs",
    "check_get_config_rebuilds_equivalent",
    "check_gradient_not_mutated",
    "check_initializer_deterministic",
    "check_initializer_fills_in_place",
    "check_initializer_scale_bounded",
    "check_inputs_not_mutated",
    "check_installed",
    "check_load_state_dict_refuses_bad_arrays",
    "check_loss_decreases_on_small_network",
    "check_metric_finite_on_edge_cases",
    "check_metric_inputs_not_mutated",
    "check_metric_labels_and_one_hot_agree",
    "check_metric_perfect_prediction_best",
    "check_metric_row_order_invariant",
    "check_onnx_export",
    "check_output_shapes",
    "check_penalty_gradient_matches_finite_differences",
    "check_perturb_backward_consistent",
    "check_perturb_deterministic",
    "check_perturb_preserves_expectation",
    "check_registered_name_resolves",
    "check_regularizer_inactive_at_inference",
    "check_regularizer_inputs_not_mutated",
    "check_rows_independent",
    "check_schedule_config_round_trip",
    "check_schedule_pure",
    "check_schedule_rates_finite_positive",
    "check_state_dict_round_trip",
    "check_update_shape_and_dtype",
    "check_zero_gradient_keeps_parameters",
    "checks_for",
    "expected_failures_of",
    "kind_of",
    "minimise_quadratic",
    "parametrize_with_assertions",
    "parametrize_with_checks",
    "run_checks",
    "run_exported",
    "split_numbers",
]
