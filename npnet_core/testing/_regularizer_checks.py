"""Contract checks for regularizers.

``penalty`` is probed on weights drawn away from 0 (the kink of l1), ``perturb``
on hidden outputs drawn away from 0; each call gets copies, so that a check's
results never hang on another rule's breach.
"""

from __future__ import annotations

import copy
import numbers
from typing import Any, Optional, Tuple

import numpy as np

from ..errors import DivergenceError
from ._numerical import central_difference
from ._report import assert_allclose, violation

__all__ = [
    "check_penalty_gradient_matches_finite_differences",
    "check_perturb_backward_consistent",
    "check_perturb_deterministic",
    "check_perturb_preserves_expectation",
    "check_regularizer_inactive_at_inference",
    "check_regularizer_inputs_not_mutated",
]

#: (fan_in, fan_out) of the weights penalty is checked on: a small layer and a single weight
SHAPES = [(3, 4), (1, 1)]
#: draws x units of the constant hidden output whose mean check_perturb_preserves_expectation takes
DRAWS, UNITS = 2000, 50
#: how many standard errors a unit's mean may lie from its expectation
STANDARD_ERRORS = 5.0


def _away_from_zero(shape: Tuple[int, ...], seed: int) -> np.ndarray:
    """float64 entries of either sign with magnitudes in [0.1, ~4]."""
    u = np.random.default_rng(seed).normal(size=shape)
    return np.sign(u) * (0.1 + np.abs(u))


def _changed(before: np.ndarray, after: np.ndarray) -> int:
    return int(np.sum(before != after))


def check_penalty_gradient_matches_finite_differences(regularizer: Any) -> None:
    """penalty adds to grad the gradient of what it returns (central differences); a 0.0 penalty leaves grad alone."""
    check = "check_penalty_gradient_matches_finite_differences"
    for seed, shape in enumerate(SHAPES):
        weights = _away_from_zero(shape, seed)
        start = np.random.default_rng(seed + 10).normal(size=shape)  # the loss's gradient, already there
        grad = start.copy()
        value = float(regularizer.penalty(weights.copy(), grad))
        if value == 0.0 and not np.array_equal(grad, start):
            raise violation(
                regularizer,
                check,
                f"penalty returned 0.0 on shape {shape} but changed {_changed(start, grad)} entries of grad; "
                "a regularizer without a penalty must leave grad as it is",
            )
        expected = central_difference(lambda w: float(regularizer.penalty(w.copy(), np.zeros_like(w))), weights.copy())
        context = None
        if np.array_equal(grad, start) and np.any(expected != 0):
            context = "grad was left unchanged: add the gradient into it in place (grad += ...), do not rebind it"
        elif np.allclose(grad, expected, rtol=1e-5, atol=1e-7):
            context = "grad holds the penalty's gradient alone: add it to the loss's gradient there (grad += ...)"
        assert_allclose(
            regularizer,
            check,
            grad - start,
            expected,
            rtol=1e-5,
            atol=1e-7,
            what=f"what penalty added to grad on shape {shape}",
            context=context or "compared with central differences of the penalty it returns",
        )


def check_regularizer_inputs_not_mutated(regularizer: Any) -> None:
    """penalty leaves the weights, perturb leaves a unchanged; penalty returns a number, perturb a's shape and dtype."""
    check = "check_regularizer_inputs_not_mutated"
    for dtype in (np.float32, np.float64):
        name = np.dtype(dtype).name
        weights = _away_from_zero((3, 4), 0).astype(dtype)
        before = weights.copy()
        value = regularizer.penalty(weights, np.zeros_like(weights))
        if not np.array_equal(weights, before):
            raise violation(
                regularizer,
                check,
                f"penalty modified the {name} weights in place ({_changed(before, weights)} entries changed); "
                "it may only add into grad",
            )
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise violation(
                regularizer,
                check,
                f"penalty on {name} weights returned {value!r} of type {type(value).__name__}; "
                "expected a float (return float(...))",
            )
        a = _away_from_zero((6, 5), 1).astype(dtype)
        before = a.copy()
        out, _ = regularizer.perturb(a, 0, np.random.default_rng(0))
        if not np.array_equal(a, before):
            raise violation(
                regularizer,
                check,
                f"perturb modified the {name} argument a in place ({_changed(before, a)} entries changed); "
                "return a new array",
            )
        out = np.asarray(out)
        if out.shape != a.shape or out.dtype != a.dtype:
            raise violation(
                regularizer,
                check,
                f"perturb on {name} a of shape {a.shape} returned shape {out.shape} and dtype {out.dtype}; "
                "expected those of a (draw noise in a's dtype: rng.standard_normal(a.shape, dtype=a.dtype))",
            )


def check_perturb_backward_consistent(regularizer: Any) -> None:
    """With a scale, out == a * scale (the backward pass multiplies by it); without, the noise does not depend on a."""
    check = "check_perturb_backward_consistent"
    a = _away_from_zero((6, 5), 2)
    out, scale = regularizer.perturb(a.copy(), 0, np.random.default_rng(7))
    out = np.asarray(out)
    if scale is not None:
        scale = np.asarray(scale)
        try:
            shape: Optional[Tuple[int, ...]] = np.broadcast_shapes(scale.shape, a.shape)
        except ValueError:
            shape = None
        if shape != a.shape:
            raise violation(
                regularizer,
                check,
                f"perturb returned a scale of shape {scale.shape}, which does not broadcast to a's {a.shape}",
            )
        assert_allclose(
            regularizer,
            check,
            out,
            a * scale,
            rtol=1e-12,
            atol=0,
            what="out, compared with a * scale,",
            context="the backward pass multiplies the gradient by scale: return the factor out was made with "
            "(dropout: the mask divided by the keep probability)",
        )
        return
    twice, _ = regularizer.perturb(2 * a, 0, np.random.default_rng(7))
    assert_allclose(
        regularizer,
        check,
        np.asarray(twice) - 2 * a,
        out - a,
        rtol=1e-9,
        atol=1e-12,
        what="the noise added to 2a",
        context="compared with that added to a by a generator in the same state; with scale None the gradient "
        "passes unchanged, so out - a must not depend on a: return a multiplicative perturbation's factor as scale",
    )


def check_perturb_preserves_expectation(regularizer: Any) -> None:
    """Over many draws, the mean of out is a: inverted dropout, zero-mean noise."""
    signs = np.where(np.arange(UNITS) % 2, -1.0, 1.0)
    row = signs * np.linspace(0.2, 2.0, UNITS)
    out, _ = regularizer.perturb(np.tile(row, (DRAWS, 1)), 0, np.random.default_rng(3))
    out = np.asarray(out, dtype=np.float64)
    mean = out.mean(axis=0)
    standard_error = out.std(axis=0, ddof=1) / np.sqrt(DRAWS)
    excess = np.abs(mean - row) - (STANDARD_ERRORS * standard_error + 1e-12 * np.abs(row))
    if np.any(excess > 0):
        unit = int(np.argmax(excess))
        errors = abs(mean[unit] - row[unit]) / standard_error[unit] if standard_error[unit] else np.inf
        raise violation(
            regularizer,
            "check_perturb_preserves_expectation",
            f"over {DRAWS} draws, unit {unit} with a = {row[unit]:.4g} averaged {mean[unit]:.4g} "
            f"({errors:.3g} standard errors away; {int(np.sum(excess > 0))} of {UNITS} units beyond "
            f"{STANDARD_ERRORS:g}); expected mean a: divide dropout's mask by the keep probability, "
            "draw zero-mean noise",
        )


def check_perturb_deterministic(regularizer: Any) -> None:
    """Generators in the same state give the same out and scale, whatever np.random's global state."""
    a = _away_from_zero((6, 5), 4)
    results = []
    for global_seed in (1, 2):
        np.random.seed(global_seed)
        out, scale = regularizer.perturb(a.copy(), 0, np.random.default_rng(11))
        results.append((np.asarray(out), None if scale is None else np.asarray(scale)))
    (out1, scale1), (out2, scale2) = results
    same_scale = scale1 is scale2 is None or (
        scale1 is not None and scale2 is not None and np.array_equal(scale1, scale2)
    )
    if not (np.array_equal(out1, out2) and same_scale):
        raise violation(
            regularizer,
            "check_perturb_deterministic",
            f"two generators in the same state gave different {'out' if same_scale else 'scale'}; draw only from "
            "the rng given, never from np.random's global state or a generator of its own",
        )


def check_regularizer_inactive_at_inference(regularizer: Any) -> None:
    """A network trained with it predicts and scores as the same network without it: the same outputs, every call."""
    from ..components import Registry
    from ..network import NeuralNetwork
    from ._reference import GlorotUniform, GradientDescent, SoftmaxCrossEntropy, Tanh, small_classification

    check = "check_regularizer_inactive_at_inference"

    def network(**regularizers: Any) -> Any:
        return NeuralNetwork(
            [4, 5, 3],
            Tanh(),
            SoftmaxCrossEntropy.activation(),
            SoftmaxCrossEntropy(),
            GradientDescent(),
            seed=0,
            initializer=GlorotUniform(),
            registry=Registry(autoload=False, blocked=(), strict=False),
            **regularizers,
        )

    x, y = small_classification()
    trained = network(regularizers=[copy.deepcopy(regularizer)])
    try:
        trained.fit(x, y, batch_size=16, epochs=2, verbose=0)
    except DivergenceError as exc:
        raise violation(regularizer, check, f"training a [4, 5, 3] network with it diverged: {exc}") from exc
    plain = network()
    plain.set_params(trained.params)
    expected = plain.predict(x)
    for call in ("first", "second"):
        assert_allclose(
            regularizer,
            check,
            trained.predict(x),
            expected,
            rtol=0,
            atol=0,
            what=f"the {call} predict of a network trained with it",
            context="compared with the same network and parameters without it: predict must not call a regularizer",
        )
    score, plain_score = trained.score(x, y), plain.score(x, y)
    if score != plain_score:
        raise violation(
            regularizer,
            check,
            f"score of a network trained with it is {score!r}, and {plain_score!r} without it (same parameters); "
            "score must not call a regularizer nor add its penalty",
        )
