"""Contract checks for activations and losses: functions of 2-D arrays and their gradients.

Both kinds are probed the same way: inputs are drawn, ``forward`` and
``backward`` are called, and the results are held to the rules of
:mod:`npnet_core.protocols`. An activation is called as ``forward(z)`` and
``backward(z, forward(z), grad_a)``; a loss as ``forward(y_pred, y_true)`` and
``backward(y_pred, y_true)``.

Each check takes the component (an instance) and raises
:class:`~npnet_core.testing.ContractViolation` when it breaks the rule.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

import numpy as np

from ..kinds import kind_of
from ._numerical import central_difference
from ._report import assert_allclose, violation

__all__ = [
    "activation_inputs",
    "check_backward_matches_finite_differences",
    "check_deterministic",
    "check_dtype_preserved",
    "check_finite_at_boundary_predictions",
    "check_finite_at_extreme_inputs",
    "check_inputs_not_mutated",
    "check_output_shapes",
    "check_rows_independent",
]

#: Shapes every check runs on: one row, one unit, both, and a general batch.
SHAPES: List[Tuple[int, int]] = [(1, 1), (1, 5), (4, 1), (6, 3)]
EXTREMES = np.array([-1e4, -1e2, -1.0, 1e-3, 1.0, 1e2, 1e4])

Inputs = Tuple[np.ndarray, np.ndarray]


def _inputs(kind: str, shape: Tuple[int, int], dtype: Any, seed: int = 0) -> Inputs:
    """Draw inputs away from kinks: activations avoid 0, losses get probability rows."""
    rng = np.random.default_rng(seed)
    n, m = shape
    if kind == "activation":
        u = rng.normal(size=shape)
        z = np.sign(u) * (0.1 + np.abs(u))  # |z| >= 0.1: away from the kink at 0 of relu-likes
        return z.astype(dtype), rng.normal(size=shape).astype(dtype)
    logits = rng.normal(size=shape)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.eye(m)[rng.integers(0, m, size=n)]
    return p.astype(dtype), y.astype(dtype)


def activation_inputs(dtype: Any) -> List[np.ndarray]:
    """The ``z`` arrays the activation checks call ``forward`` with, in ``dtype``.

    The draw of each shape of :data:`SHAPES` (with the seed the finite-difference
    check gives it), the batch of 5 rows of ``check_rows_independent`` and the
    extreme inputs of ``check_finite_at_extreme_inputs``.
    """
    drawn = [_inputs("activation", shape, dtype, seed=seed)[0] for seed, shape in enumerate(SHAPES)]
    return [*drawn, _inputs("activation", (5, 3), dtype, seed=1)[0], _extreme_inputs("activation", dtype)[0]]


def _forward(component: Any, kind: str, inputs: Inputs) -> np.ndarray:
    """Call forward on copies, so one check's results never hang on another rule's breach."""
    if kind == "activation":
        return component.forward(inputs[0].copy())
    return component.forward(inputs[0].copy(), inputs[1].copy())


def _backward(component: Any, kind: str, inputs: Inputs) -> np.ndarray:
    """Call backward on copies (see :func:`_forward`)."""
    if kind == "activation":
        z, grad_a = inputs
        return component.backward(z.copy(), component.forward(z.copy()), grad_a.copy())
    return component.backward(inputs[0].copy(), inputs[1].copy())


def _objective(component: Any, kind: str, inputs: Inputs) -> Callable[[np.ndarray], float]:
    """The scalar whose gradient with respect to the first input ``backward`` returns."""
    if kind == "activation":
        grad_a = inputs[1]
        return lambda z: float(np.sum(grad_a * component.forward(z.copy())))
    y_true = inputs[1]
    return lambda p: float(np.sum(component.forward(p.copy(), y_true.copy())))


def _calls(component: Any, kind: str, inputs: Inputs) -> Dict[str, np.ndarray]:
    return {
        "forward": np.asarray(_forward(component, kind, inputs)),
        "backward": np.asarray(_backward(component, kind, inputs)),
    }


def _expected_shapes(kind: str, shape: Tuple[int, int]) -> Dict[str, Tuple[int, ...]]:
    return {"forward": shape if kind == "activation" else (shape[0],), "backward": shape}


def check_output_shapes(component: Any) -> None:
    """forward and backward return the shapes of the protocol for one row, one unit and a batch."""
    kind = kind_of(component)
    for shape in SHAPES:
        results = _calls(component, kind, _inputs(kind, shape, np.float64))
        for call, expected in _expected_shapes(kind, shape).items():
            if results[call].shape != expected:
                raise violation(
                    component,
                    "check_output_shapes",
                    f"{call} on inputs of shape {shape} returned shape {results[call].shape}, expected {expected}",
                )


def check_dtype_preserved(component: Any) -> None:
    """float32 inputs give float32 results and float64 give float64 (nothing upcast or downcast)."""
    kind = kind_of(component)
    for dtype in (np.float32, np.float64):
        for call, result in _calls(component, kind, _inputs(kind, (4, 3), dtype)).items():
            if result.dtype != dtype:
                raise violation(
                    component,
                    "check_dtype_preserved",
                    f"{call} on {np.dtype(dtype).name} inputs returned {result.dtype}",
                )


def check_inputs_not_mutated(component: Any) -> None:
    """forward and backward leave every array they are given unchanged."""
    kind = kind_of(component)
    inputs = _inputs(kind, (4, 3), np.float64)
    arguments = list(inputs)
    if kind == "activation":
        arguments.append(component.forward(inputs[0].copy()))  # the ``a`` given to backward
    copies = [a.copy() for a in arguments]
    if kind == "activation":
        component.forward(arguments[0])
        component.backward(arguments[0], arguments[2], arguments[1])
        names = ["z", "grad_a", "a"]
    else:
        component.forward(arguments[0], arguments[1])
        component.backward(arguments[0], arguments[1])
        names = ["y_pred", "y_true"]
    for name, before, after in zip(names, copies, arguments):
        if not np.array_equal(before, after):
            changed = int(np.sum(before != after))
            raise violation(
                component,
                "check_inputs_not_mutated",
                f"the argument {name} was modified in place ({changed} entries changed)",
            )


def check_rows_independent(component: Any) -> None:
    """Each row's result is the same computed in a batch or alone: rows are samples."""
    kind = kind_of(component)
    inputs = _inputs(kind, (5, 3), np.float64, seed=1)
    batch = _calls(component, kind, inputs)
    for row in range(5):
        alone = _calls(component, kind, (inputs[0][row : row + 1], inputs[1][row : row + 1]))
        for call in ("forward", "backward"):
            assert_allclose(
                component,
                "check_rows_independent",
                alone[call],
                batch[call][row : row + 1],
                rtol=1e-12,
                atol=1e-15,
                what=f"{call} of row {row} computed alone",
                context="compared with the same row computed in a batch of 5",
            )


def check_backward_matches_finite_differences(component: Any) -> None:
    """backward equals central finite differences of forward (float64, random points, several shapes)."""
    kind = kind_of(component)
    for seed, shape in enumerate(SHAPES):
        inputs = _inputs(kind, shape, np.float64, seed=seed)
        point = inputs[0].copy()
        numeric = central_difference(_objective(component, kind, inputs), point)
        analytic = _backward(component, kind, inputs)
        assert_allclose(
            component,
            "check_backward_matches_finite_differences",
            analytic,
            numeric,
            rtol=1e-5,
            atol=1e-7,
            what=f"backward on shape {shape}",
            context="reference: central differences with eps=1e-6 in float64",
        )


def _extreme_inputs(kind: str, dtype: Any) -> Inputs:
    n = EXTREMES.size
    if kind == "activation":
        z = np.stack([EXTREMES, -EXTREMES[::-1], np.roll(EXTREMES, 3)]).astype(dtype)
        return z, np.ones_like(z)
    y_pred = np.stack([EXTREMES, np.roll(EXTREMES, 2)]).astype(dtype)
    y_true = np.eye(n, dtype=dtype)[[0, n - 1]]
    return y_pred, y_true


def _check_finite(component: Any, check: str, kind: str, inputs: Inputs, what: str) -> None:
    with np.errstate(all="ignore"):  # the rule is about the results, not about warnings
        results = _calls(component, kind, inputs)
    for call, result in results.items():
        if not np.isfinite(result).all():
            where = tuple(int(i) for i in np.argwhere(~np.isfinite(result))[0])
            raise violation(
                component,
                check,
                f"{call} returned {result[where]!r} at {where} for {what} "
                f"(input there: {inputs[0][where[0]].tolist()})",
            )


def check_finite_at_extreme_inputs(component: Any) -> None:
    """Results stay finite for inputs of magnitude up to 1e4, in float32 and float64."""
    kind = kind_of(component)
    for dtype in (np.float32, np.float64):
        inputs = _extreme_inputs(kind, dtype)
        _check_finite(
            component,
            "check_finite_at_extreme_inputs",
            kind,
            inputs,
            f"{np.dtype(dtype).name} inputs of magnitude up to 1e4",
        )


def check_finite_at_boundary_predictions(component: Any) -> None:
    """A loss and its gradient stay finite for predicted probabilities of exactly 0 and 1."""
    for dtype in (np.float32, np.float64):
        y_pred = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0]], dtype=dtype)
        y_true = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], dtype=dtype)
        _check_finite(
            component,
            "check_finite_at_boundary_predictions",
            "loss",
            (y_pred, y_true),
            f"{np.dtype(dtype).name} predictions of exactly 0 and 1",
        )


def check_deterministic(component: Any) -> None:
    """Calling twice with the same inputs gives bit-identical results."""
    kind = kind_of(component)
    inputs = _inputs(kind, (4, 3), np.float64, seed=2)
    first, second = _calls(component, kind, inputs), _calls(component, kind, inputs)
    for call in first:
        assert_allclose(
            component,
            "check_deterministic",
            second[call],
            first[call],
            rtol=0,
            atol=0,
            what=f"the second call of {call} on the same inputs",
            context="compared with the first call",
        )
