"""Contract checks for metrics.

A metric is given what a classifier gives it: rows of class probabilities as
``y_pred`` and one-hot rows (or integer labels) as ``y_true``, for 2, 3 and 10
classes; a regression metric must take them too. Each call gets copies, so
that a check's results never hang on another rule's breach.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, Tuple

import numpy as np

from ._report import violation

__all__ = [
    "check_metric_finite_on_edge_cases",
    "check_metric_inputs_not_mutated",
    "check_metric_labels_and_one_hot_agree",
    "check_metric_perfect_prediction_best",
    "check_metric_row_order_invariant",
]

#: the numbers of classes every check runs with
CLASSES = (2, 3, 10)
#: how far apart two values of the same score may be, relative to the larger
RELATIVE = 1e-12


def _probabilities(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    e = np.exp(rng.normal(size=(n, k)))
    return e / e.sum(axis=1, keepdims=True)


def _one_hot(labels: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[labels]


def _compute(metric: Any, y_pred: np.ndarray, y_true: np.ndarray) -> Any:
    with np.errstate(all="ignore"):  # the rules are about the values, not about warnings
        return metric.compute(y_pred.copy(), y_true.copy())


def _same(a: float, b: float) -> bool:
    """Equal within RELATIVE; two NaNs agree (a NaN is check_metric_finite_on_edge_cases's business)."""
    return abs(a - b) <= RELATIVE * max(abs(a), abs(b)) or (np.isnan(a) and np.isnan(b))


def _edge_cases(k: int) -> Iterator[Tuple[str, np.ndarray, np.ndarray]]:
    """(what, y_pred, labels): random and perfect predictions for each awkward set of labels."""
    rng = np.random.default_rng(k)
    for what, labels in (
        ("random labels", rng.integers(0, k, size=20)),
        ("class 0 absent from y_true", rng.integers(1, k, size=20)),
        ("every sample of class 0", np.zeros(20, dtype=int)),
        ("one sample", rng.integers(0, k, size=1)),
    ):
        yield f"{what} and random predictions", _probabilities(rng, len(labels), k), labels
        yield f"{what} and perfect predictions", _one_hot(labels, k), labels


def check_metric_finite_on_edge_cases(metric: Any) -> None:
    """compute returns a finite Python float with a class absent, one class, one sample, perfect predictions."""
    check = "check_metric_finite_on_edge_cases"
    for k in CLASSES:
        for what, y_pred, labels in _edge_cases(k):
            value = _compute(metric, y_pred, _one_hot(labels, k))
            where = f"compute with {k} classes, {what}"
            if not isinstance(value, float) or isinstance(value, np.generic):
                raise violation(
                    metric,
                    check,
                    f"{where} returned {value!r} of type {type(value).__name__}; expected a Python float "
                    "(return float(...))",
                )
            if not np.isfinite(value):
                raise violation(
                    metric,
                    check,
                    f"{where} returned {value!r}; expected a finite float (guard the divisions that an absent "
                    "class makes 0 / 0, clip probabilities before taking logarithms)",
                )


def check_metric_labels_and_one_hot_agree(metric: Any) -> None:
    """compute gives the same value for integer labels as for the same targets as one-hot rows."""
    check = "check_metric_labels_and_one_hot_agree"
    rng = np.random.default_rng(1)
    for k in CLASSES:
        labels = rng.integers(0, k, size=30)
        y_pred = _probabilities(rng, 30, k)
        values: Dict[str, float] = {}
        for form, y_true in (("integer labels", labels), ("one-hot rows", _one_hot(labels, k))):
            try:
                values[form] = float(_compute(metric, y_pred, y_true))
            except Exception as exc:
                raise violation(
                    metric,
                    check,
                    f"compute with {k} classes and y_true as {form} of shape {y_true.shape} raised "
                    f"{type(exc).__name__}: {exc}; accept integer labels of shape (n,) as well as one-hot rows",
                ) from exc
        if not _same(values["integer labels"], values["one-hot rows"]):
            raise violation(
                metric,
                check,
                f"compute with {k} classes gave {values['integer labels']!r} for integer labels and "
                f"{values['one-hot rows']!r} for the same targets as one-hot rows; expected the same value "
                f"(within {RELATIVE:g} relative): labels of shape (n,) with y_pred of shape (n, {k}) are classes",
            )


def check_metric_row_order_invariant(metric: Any) -> None:
    """Permuting the rows of y_pred and y_true alike gives the same value (within 1e-12 relative)."""
    rng = np.random.default_rng(2)
    for k in CLASSES:
        y_pred, y_true = _probabilities(rng, 40, k), _one_hot(rng.integers(0, k, size=40), k)
        order = rng.permutation(40)
        value = float(_compute(metric, y_pred, y_true))
        permuted = float(_compute(metric, y_pred[order], y_true[order]))
        if not _same(value, permuted):
            raise violation(
                metric,
                "check_metric_row_order_invariant",
                f"compute on 40 samples of {k} classes gave {value!r}, and {permuted!r} with the rows of both "
                f"arrays in another order; expected the same value (within {RELATIVE:g} relative): a score must not "
                "depend on the order of the samples",
            )


def check_metric_inputs_not_mutated(metric: Any) -> None:
    """compute leaves y_pred and y_true unchanged; on float32 inputs it gives the float64 value to float32 precision."""
    check = "check_metric_inputs_not_mutated"
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 3, size=30)
    y_pred = _probabilities(rng, 30, 3)
    values: Dict[str, float] = {}
    for dtype in (np.float64, np.float32):
        name = np.dtype(dtype).name
        for y_true in (_one_hot(labels, 3).astype(dtype), labels.copy()):
            arguments = {"y_pred": y_pred.astype(dtype), "y_true": y_true}
            before = {key: array.copy() for key, array in arguments.items()}
            with np.errstate(all="ignore"):
                value = metric.compute(arguments["y_pred"], arguments["y_true"])
            for key, array in arguments.items():
                if not np.array_equal(array, before[key]):
                    raise violation(
                        metric,
                        check,
                        f"compute modified the {array.dtype.name} argument {key} in place "
                        f"({int(np.sum(array != before[key]))} entries changed); work on a copy",
                    )
            values.setdefault(name, float(value))
    single, double = values["float32"], values["float64"]
    if not (abs(single - double) <= 1e-4 * abs(double) + 1e-6 or (np.isnan(single) and np.isnan(double))):
        raise violation(
            metric,
            check,
            f"compute on float32 inputs returned {single!r}, and {double!r} on the same "
            "inputs in float64; expected the same to float32 precision (rtol 1e-4, atol 1e-6)",
        )


def check_metric_perfect_prediction_best(metric: Any) -> None:
    """greater_is_better is a bool, and perfect one-hot predictions score at least as well as random ones by it."""
    check = "check_metric_perfect_prediction_best"
    greater = getattr(metric, "greater_is_better", None)
    if not isinstance(greater, bool):
        raise violation(metric, check, f"greater_is_better is {greater!r}; expected True or False")
    rng = np.random.default_rng(4)
    for k in CLASSES:
        y_true = _one_hot(rng.integers(0, k, size=50), k)
        perfect = float(_compute(metric, y_true, y_true))
        random = float(_compute(metric, _probabilities(rng, 50, k), y_true))
        if not (perfect >= random if greater else perfect <= random):
            raise violation(
                metric,
                check,
                f"with {k} classes, perfect one-hot predictions scored {perfect:.4g} and random probabilities "
                f"{random:.4g}; with greater_is_better={greater} the perfect score must be "
                f"{'higher' if greater else 'lower'} or equal: say which way is better in greater_is_better",
            )
