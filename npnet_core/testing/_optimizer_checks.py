"""Contract checks for optimizers.

Each check works on a deep copy of the optimizer it is given, so checks never
share state; give them a fresh instance with the hyperparameters to be checked.

The convergence checks run the optimizer with its own hyperparameters on convex
quadratics ``f(x) = 0.5 (x - x*)^T A (x - x*)``, at the scale its learning rate
is meant for: an optimizer whose ``learning_rate`` attribute (the protocol's) is
a finite number ``lr > 0`` runs in coordinates scaled by
``s = lr / REFERENCE_LEARNING_RATE``, from ``x* + s u`` with Hessian ``A / s``.
Writing ``x = x* + s y``, the gradient ``(A / s)(x - x*) = A y`` is the same
whatever ``lr``, and an update that moves ``x`` by ``lr`` times a function of
the gradients (gradient descent, momentum, Adam, Adagrad, RMSprop, Lion...)
moves ``y`` by ``REFERENCE_LEARNING_RATE`` times that function: the path in
``y``, and so ``f_end / f_start``, are the same at every learning rate. Without
such an attribute, ``s = 1``.
"""

from __future__ import annotations

import copy
import math
import numbers
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np

from ..errors import DivergenceError, ValidationError
from ._optimizer_assertions import _same_state
from ._report import assert_allclose, violation

__all__ = [
    "check_converges_on_ill_conditioned_quadratic",
    "check_converges_on_quadratic",
    "check_get_config_rebuilds_equivalent",
    "check_gradient_not_mutated",
    "check_load_state_dict_refuses_bad_arrays",
    "check_loss_decreases_on_small_network",
    "check_state_dict_round_trip",
    "check_update_shape_and_dtype",
    "check_zero_gradient_keeps_parameters",
]

N_PARAMS = 10
QUADRATIC_STEPS = 5000
#: f(x_N) must fall below this fraction of f(x_0) on the quadratics
WELL_CONDITIONED_REDUCTION = 1e-2
ILL_CONDITIONED_REDUCTION = 2e-2
#: the learning rate at which an optimizer runs the quadratics unscaled (s = 1). At 0.01, Adagrad, whose steps
#: shrink as 1/sqrt(t), would fall short in 5000 updates; at 0.1, Lion's steps of the rate's size would leave f
#: within a factor 2 of the budget.
REFERENCE_LEARNING_RATE = 0.05
NETWORK_EPOCHS = 30
#: the fraction of its loss the small network must lose in NETWORK_EPOCHS epochs ...
NETWORK_REDUCTION = 0.25
#: ... at this learning rate or above; at a smaller rate lr, the fraction times lr / NETWORK_REFERENCE_LEARNING_RATE
NETWORK_REFERENCE_LEARNING_RATE = 0.01


def _learning_rate_of(optimizer: Any) -> Optional[float]:
    """The optimizer's ``learning_rate`` attribute as a float if it is a finite number > 0 (not a bool), else None."""
    rate = getattr(optimizer, "learning_rate", None)
    if isinstance(rate, (bool, np.bool_)) or not isinstance(rate, numbers.Real):
        return None
    rate = float(rate)
    return rate if math.isfinite(rate) and rate > 0 else None


def _declares_decay(optimizer: Any, check: str) -> bool:
    """The optimizer's ``decays_parameters`` declaration: False when absent; a violation unless a bool."""
    declared = getattr(optimizer, "decays_parameters", False)
    if not isinstance(declared, (bool, np.bool_)):
        raise violation(
            optimizer,
            check,
            f"decays_parameters is {declared!r} of type {type(declared).__name__}; expected True (updates shrink "
            "the parameters toward zero whatever the gradient) or False",
        )
    return bool(declared)


def _fresh(optimizer: Any) -> Any:
    return copy.deepcopy(optimizer)


def _update(optimizer: Any, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
    """Apply one update and return the new parameters as an array."""
    return np.asarray(optimizer.update(params, gradient))


def check_update_shape_and_dtype(optimizer: Any) -> None:
    """update returns the parameters' shape and dtype: float32 stays float32."""
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        opt = _fresh(optimizer)
        params = rng.normal(size=N_PARAMS).astype(dtype)
        for step in range(3):
            params = _update(opt, params, rng.normal(size=N_PARAMS).astype(dtype))
            if params.shape != (N_PARAMS,) or params.dtype != dtype:
                raise violation(
                    optimizer,
                    "check_update_shape_and_dtype",
                    f"update {step + 1} on {np.dtype(dtype).name} parameters of shape ({N_PARAMS},) "
                    f"returned shape {params.shape} and dtype {params.dtype}",
                )


def check_gradient_not_mutated(optimizer: Any) -> None:
    """update never modifies the gradient it is given."""
    rng = np.random.default_rng(1)
    opt = _fresh(optimizer)
    params = rng.normal(size=N_PARAMS)
    for step in range(3):
        gradient = rng.normal(size=N_PARAMS)
        before = gradient.copy()
        params = _update(opt, params, gradient)
        if not np.array_equal(gradient, before):
            raise violation(
                optimizer,
                "check_gradient_not_mutated",
                f"update {step + 1} modified the gradient in place ({int(np.sum(gradient != before))} entries changed)",
            )


def _zero_gradient_start() -> np.ndarray:
    """Parameters of either sign, with an exact 0 and two of magnitude 1e-12, which a step of any size overshoots."""
    params = np.random.default_rng(2).normal(size=N_PARAMS)
    params[:3] = (0.0, 1e-12, -1e-12)
    return params


def check_zero_gradient_keeps_parameters(optimizer: Any) -> None:
    """From a fresh state, updates with a zero gradient leave the parameters unchanged, or only shrink them toward
    zero if the optimizer declares ``decays_parameters = True``.

    Three updates with a zero gradient are made on float64 parameters of
    either sign, one exactly 0 and two of magnitude 1e-12. Undeclared, the
    parameters must come back exactly as they were. An optimizer that declares
    ``decays_parameters = True`` (its updates shrink the parameters toward zero
    whatever the gradient, as decoupled weight decay does) may move them, but
    after each update every parameter must keep its sign (or reach 0) and not
    grow in magnitude, ``|p_new| <= |p_old|``; so 0 stays 0. It need not
    shrink them at all. ``decays_parameters``, when present, must be a bool.
    """
    check = "check_zero_gradient_keeps_parameters"
    params = _zero_gradient_start()
    start = params.copy()
    decays = _declares_decay(optimizer, check)
    opt = _fresh(optimizer)
    for step in range(1, 4):
        before = params.copy()
        params = _update(opt, params, np.zeros(N_PARAMS))
        if decays:
            _check_shrinks(optimizer, check, before, params, step)
    if decays:
        return
    assert_allclose(
        optimizer,
        check,
        params,
        start,
        rtol=0,
        atol=0,
        what="the parameters after 3 updates with a zero gradient",
        context="an optimizer whose updates shrink the parameters toward zero by design (decoupled weight decay) "
        "declares decays_parameters = True",
    )


def _check_shrinks(optimizer: Any, check: str, before: np.ndarray, after: np.ndarray, step: int) -> None:
    """Raise unless every entry of ``after`` has the sign of ``before`` (or is 0) and no larger a magnitude."""
    after = np.asarray(after, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = ~((np.abs(after) <= np.abs(before)) & (after * before >= 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise violation(
            optimizer,
            check,
            f"it declares decays_parameters = True, but update {step} with a zero gradient took parameter {i} "
            f"from {float(before[i])!r} to {float(after[i])!r} ({int(bad.sum())} of {bad.size} parameters grew or "
            "changed sign); a decay may only shrink each parameter toward zero, keeping its sign, and leave 0 at 0",
        )


def _quadratic(condition: float, seed: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A rotated quadratic: Hessian with eigenvalues from 1/condition to 1, optimum, start."""
    rng = np.random.default_rng(seed)
    rotation, _ = np.linalg.qr(rng.normal(size=(N_PARAMS, N_PARAMS)))
    eigenvalues = np.geomspace(1.0 / condition, 1.0, N_PARAMS)
    hessian = rotation @ np.diag(eigenvalues) @ rotation.T
    optimum = rng.normal(size=N_PARAMS)
    start = optimum + rng.normal(size=N_PARAMS)
    return hessian, optimum, start


def _check_converges(optimizer: Any, check: str, condition: float, reduction: float) -> None:
    hessian, optimum, params = _quadratic(condition, seed=3)
    rate = _learning_rate_of(optimizer)
    scale = 1.0 if rate is None else rate / REFERENCE_LEARNING_RATE
    hessian = hessian / scale  # x = x* + scale * y: the gradient at x is the unscaled one at y
    params = optimum + scale * (params - optimum)

    def f(x: np.ndarray) -> float:
        d = x - optimum
        return 0.5 * float(d @ hessian @ d)

    opt = _fresh(optimizer)
    start = f(params)
    with np.errstate(all="ignore"):
        for _ in range(QUADRATIC_STEPS):
            params = _update(opt, params, hessian @ (params - optimum))
        end = f(params)
    if not end <= reduction * start:
        scaled = (
            ""
            if rate is None
            else f" in coordinates scaled by learning_rate / {REFERENCE_LEARNING_RATE:g} = {rate:g} / "
            f"{REFERENCE_LEARNING_RATE:g} = {scale:.4g} (start x* + {scale:.4g} u, Hessian A / {scale:.4g})"
        )
        raise violation(
            optimizer,
            check,
            f"after {QUADRATIC_STEPS} updates on a convex quadratic of condition number {condition:g}{scaled}, "
            f"f fell from {start:.4g} to {end:.4g}; expected at most {reduction:g} x {start:.4g} = "
            f"{reduction * start:.4g} (an optimizer that ascends or stalls fails here)",
        )


def check_converges_on_quadratic(optimizer: Any) -> None:
    """On a well-conditioned convex quadratic (condition 10), f falls below 1e-2 of its start in 5000 updates.

    The quadratic is scaled to the optimizer's ``learning_rate`` (see the
    module's docstring): every learning rate meets the quadratic that 0.05
    meets unscaled.
    """
    _check_converges(optimizer, "check_converges_on_quadratic", 10.0, WELL_CONDITIONED_REDUCTION)


def check_converges_on_ill_conditioned_quadratic(optimizer: Any) -> None:
    """On an ill-conditioned convex quadratic (condition 1000), f falls below 2e-2 of its start in 5000 updates.

    Scaled to the optimizer's ``learning_rate`` as :func:`check_converges_on_quadratic`.
    """
    _check_converges(optimizer, "check_converges_on_ill_conditioned_quadratic", 1000.0, ILL_CONDITIONED_REDUCTION)


def check_loss_decreases_on_small_network(optimizer: Any) -> None:
    """Training a small fixed network for 30 epochs lowers its loss by a quarter, or in proportion to a smaller
    learning rate.

    A [4, 8, 3] tanh/softmax network (the suite's reference components)
    trains on 96 samples in batches of 8. Its parameters cannot be rescaled
    as a quadratic's can; but over a fixed number of small steps the loss
    falls in proportion to the step, so an optimizer whose ``learning_rate``
    ``lr`` is below 0.01 must lower the loss by ``0.25 * lr / 0.01`` of it
    (at least 0.25 otherwise, or without a ``learning_rate``). An optimizer
    that ascends, does nothing, or diverges fails.
    """
    from ..components import Registry
    from ..network import NeuralNetwork
    from ._reference import GlorotUniform, SoftmaxCrossEntropy, Tanh, small_classification

    check = "check_loss_decreases_on_small_network"
    rate = _learning_rate_of(optimizer)
    fraction = NETWORK_REDUCTION * (1.0 if rate is None else min(1.0, rate / NETWORK_REFERENCE_LEARNING_RATE))
    x, y = small_classification()
    net = NeuralNetwork(
        [4, 8, 3],
        Tanh(),
        SoftmaxCrossEntropy.activation(),
        SoftmaxCrossEntropy(),
        _fresh(optimizer),
        seed=0,
        initializer=GlorotUniform(),
        registry=Registry(autoload=False, blocked=(), strict=False),
    )
    before = net.score(x, y)
    try:
        net.fit(x, y, batch_size=8, epochs=NETWORK_EPOCHS, verbose=0)
    except DivergenceError as exc:
        raise violation(optimizer, check, str(exc)) from exc
    after = net.score(x, y)
    bound = (1.0 - fraction) * before
    if not after <= bound:
        scaled = (
            ""
            if fraction == NETWORK_REDUCTION
            else f" ({NETWORK_REDUCTION:g} x learning_rate {rate:g} / {NETWORK_REFERENCE_LEARNING_RATE:g})"
        )
        raise violation(
            optimizer,
            check,
            f"{NETWORK_EPOCHS} epochs on a [4, 8, 3] tanh/softmax network took the loss from {before:.7g} to "
            f"{after:.7g}; expected it to fall by at least {fraction:.4g} of it{scaled}, to {bound:.7g} or less",
        )


def _run(opt: Any, params: np.ndarray, gradients: np.ndarray) -> np.ndarray:
    params = params.copy()
    for gradient in gradients:
        params = _update(opt, params, gradient.copy())  # a copy: mutation is another rule's business
    return params


def check_state_dict_round_trip(optimizer: Any) -> None:
    """A fresh copy given state_dict() after k updates continues exactly as the original."""
    rng = np.random.default_rng(4)
    params = rng.normal(size=N_PARAMS)
    gradients = rng.normal(size=(8, N_PARAMS))
    original, restored = _fresh(optimizer), _fresh(optimizer)
    params = _run(original, params, gradients[:5])
    restored.load_state_dict(copy.deepcopy(original.state_dict()))
    assert_allclose(
        optimizer,
        "check_state_dict_round_trip",
        _run(restored, params, gradients[5:]),
        _run(original, params, gradients[5:]),
        rtol=0,
        atol=0,
        what="the parameters 3 updates after load_state_dict",
        context="state_dict() must hold everything update() depends on (moments, velocity, step count)",
    )


def _bad_states(good: Dict[str, Any], keys: List[str]) -> Iterator[Tuple[str, Dict[str, Any]]]:
    """``(what, state)``: ``good`` with its arrays ``keys`` of another shape or dtype, or one holding NaN or inf."""
    quoted = [repr(key) for key in keys]
    names = " and ".join([", ".join(quoted[:-1]), quoted[-1]] if len(keys) > 1 else quoted)
    whose = f"a state whose {names} {'have' if len(keys) > 1 else 'has'}"
    n = good[keys[0]].shape[0]
    for shape, change in (((n, 1), lambda a: a.reshape(n, 1)), ((), lambda a: np.asarray(a[0]))):
        yield f"{whose} shape {shape}", {**good, **{k: change(good[k]) for k in keys}}
    for dtype in (np.int64, np.complex128):
        yield f"{whose} dtype {np.dtype(dtype).name}", {**good, **{k: good[k].astype(dtype) for k in keys}}
    for key in keys:
        for value, where in ((np.nan, 0), (np.inf, n // 2), (-np.inf, n - 1)):
            array = good[key].copy()
            array[where] = value
            yield f"a state whose {key!r} holds {value} at index {where}", {**good, key: array}


def check_load_state_dict_refuses_bad_arrays(optimizer: Any) -> None:
    """load_state_dict refuses state arrays of another shape, a non-floating dtype, or holding NaN or inf, with
    ValidationError, and keeps its state.

    The state is that of two updates of float64 parameters of shape (10,);
    its arrays (the floating ndarrays of its values) are given shape (10, 1)
    and (), dtype int64 and complex128, and one at a time a NaN, an inf and a
    -inf. An optimizer whose state holds no array passes: it has nothing to refuse.
    ``npnet_core.optimizer_tools.check_state`` refuses all of these.
    """
    check = "check_load_state_dict_refuses_bad_arrays"
    rng = np.random.default_rng(6)
    opt = _fresh(optimizer)
    params = rng.normal(size=N_PARAMS)
    for _ in range(2):
        params = _update(opt, params, rng.normal(size=N_PARAMS))
    good = dict(opt.state_dict())
    keys = [k for k, v in good.items() if isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.shape == params.shape]
    if not keys:
        return
    advice = "optimizer_tools.check_state checks a state so"
    for what, bad in _bad_states(good, keys):
        before = copy.deepcopy(opt.state_dict())
        try:
            opt.load_state_dict(bad)
        except ValidationError:
            pass
        except Exception as exc:
            raise violation(
                optimizer,
                check,
                f"load_state_dict given {what} raised {type(exc).__name__}: {exc}; it must raise "
                f"npnet_core.errors.ValidationError saying what is wrong ({advice})",
            ) from exc
        else:
            raise violation(
                optimizer,
                check,
                f"load_state_dict accepted {what}; it must refuse it with ValidationError before keeping any of it "
                f"({advice})",
            )
        if not _same_state(opt.state_dict(), before):
            raise violation(
                optimizer, check, f"load_state_dict refused {what} but changed the state; check all of it first"
            )


def check_get_config_rebuilds_equivalent(optimizer: Any) -> None:
    """``type(opt)(**opt.get_config())`` updates exactly as the optimizer itself from a fresh state."""
    rng = np.random.default_rng(5)
    params, gradients = rng.normal(size=N_PARAMS), rng.normal(size=(5, N_PARAMS))
    config = optimizer.get_config()
    try:
        rebuilt = type(optimizer)(**config)
    except Exception as exc:
        raise violation(
            optimizer,
            "check_get_config_rebuilds_equivalent",
            f"{type(optimizer).__name__}(**{config!r}) raised {type(exc).__name__}: {exc}",
        ) from exc
    assert_allclose(
        optimizer,
        "check_get_config_rebuilds_equivalent",
        _run(rebuilt, params, gradients),
        _run(_fresh(optimizer), params, gradients),
        rtol=0,
        atol=0,
        what="the parameters after 5 updates by the rebuilt optimizer",
        context=f"rebuilt from get_config() = {config!r}",
    )
