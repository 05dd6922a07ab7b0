"""Assertions for an optimizer's own tests: what npnet's optimizers share, ready for any optimizer.

The contract suite (:func:`parametrize_with_checks`) proves the rules every
optimizer must honour; these assertions check what a careful optimizer does
besides, as npnet's Adam and SGD do, so that their tests (and yours) need not
copy each other:

- :func:`assert_trajectory_matches`: many updates against a reference written
  as a plain function of one step (the paper's formula, a peer library);
- :func:`assert_update_in_place`, :func:`assert_state_round_trip`,
  :func:`assert_config_round_trip`, :func:`assert_bad_updates_refused`: the
  behaviours of one configured optimizer, which
  :func:`parametrize_with_assertions` runs over a list of configurations;
- :func:`assert_hyperparameters_refused`, :func:`assert_state_refused`: one
  row of a table of bad hyperparameters or bad states, with the words and the
  numbers its message must hold;
- :func:`minimise_quadratic`: how far an optimizer gets on a rotated quadratic;
- :func:`split_numbers`: the numbers of a message, to compare as numbers
  rather than match as digits.

Each assertion works on deep copies of the optimizer it is given (give it a
fresh one) and raises ``AssertionError`` naming the optimizer, the rule and
the numbers.
"""

from __future__ import annotations

import copy
import io
import math
import re
import tracemalloc
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Type

import numpy as np
from numpy.typing import DTypeLike

from ..errors import InvalidParameterError, ValidationError
from ._report import describe

__all__ = [
    "assert_bad_updates_refused",
    "assert_config_round_trip",
    "assert_hyperparameters_refused",
    "assert_state_refused",
    "assert_state_round_trip",
    "assert_trajectory_matches",
    "assert_update_in_place",
    "minimise_quadratic",
    "parametrize_with_assertions",
    "split_numbers",
]

#: ``reference_step(params, gradient, state) -> (params, state)``
ReferenceStep = Callable[[np.ndarray, np.ndarray, Dict[str, Any]], Tuple[np.ndarray, Dict[str, Any]]]

# A number standing on its own (not the 1 of beta_1 or the 64 of float64): 0, -0.001, 1e-08, nan, inf.
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan\b|inf\b)")


# -- messages --------------------------------------------------------------------------


def split_numbers(message: str) -> Tuple[str, List[float]]:
    """Return ``message`` with each number replaced by ``#``, and the numbers.

    >>> split_numbers("adam: beta_1 must be in [0, 1) (got 1.5); the usual value is 0.9")
    ('adam: beta_1 must be in [#, #) (got #); the usual value is #', [0.0, 1.0, 1.5, 0.9])
    """
    return _NUMBER.sub("#", message), [float(found) for found in _NUMBER.findall(message)]


def _number_after(message: str, phrase: str) -> Optional[float]:
    at = message.find(phrase)
    found = _NUMBER.match(message[at + len(phrase) :].lstrip()) if at >= 0 else None
    return float(found.group()) if found else None


def _same_number(got: float, expected: float) -> bool:
    return (math.isnan(got) and math.isnan(expected)) or math.isclose(got, expected, rel_tol=1e-12, abs_tol=0.0)


def _check_message(
    message: str, owner: Optional[str], words: Iterable[str], numbers: Optional[Mapping[str, float]]
) -> None:
    """Raise unless ``message`` starts with ``owner: ``, holds ``words``, and ``numbers`` follow their phrases."""
    problems = [] if owner is None or message.startswith(f"{owner}: ") else [f"does not start with {owner + ': '!r}"]
    problems += [f"lacks {word!r}" for word in words if word not in message]
    for phrase, expected in (numbers or {}).items():
        got = _number_after(message, phrase)
        if got is None:
            problems.append(f"has no number after {phrase!r}")
        elif not _same_number(got, expected):
            problems.append(f"has {got!r} after {phrase!r}, expected {expected!r}")
    if problems:
        raise AssertionError(f"the message {message!r} {'; '.join(problems)}")


def _message_of(error: Type[BaseException], what: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """Return the message of the ``error`` that ``call(*args, **kwargs)`` raises; fail if it raises none."""
    try:
        call(*args, **kwargs)
    except error as raised:
        return str(raised)
    raise AssertionError(f"{what} raised no {error.__name__}")


# -- state -----------------------------------------------------------------------------


def _same_state(got: Mapping[str, Any], expected: Mapping[str, Any]) -> bool:
    if set(got) != set(expected):
        return False
    for key, value in expected.items():
        if isinstance(value, np.ndarray) or isinstance(got[key], np.ndarray):
            if np.asarray(got[key]).dtype != np.asarray(value).dtype or not np.array_equal(got[key], value):
                return False
        elif got[key] != value:
            return False
    return True


def _through_npz(state: Mapping[str, Any]) -> Dict[str, Any]:
    """``state`` saved with ``np.savez`` and read back: numbers come back as 0-d arrays."""
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    buffer.seek(0)
    with np.load(buffer) as data:
        return dict(data)


def _rebuilt(optimizer: Any, state: Mapping[str, Any]) -> Any:
    """A new ``type(optimizer)(**get_config())`` given ``state``."""
    new = type(optimizer)(**optimizer.get_config())
    new.load_state_dict(state)
    return new


def _random_gradients(rng: np.random.Generator, steps: int, size: int) -> List[np.ndarray]:
    """Gradients whose scale changes from step to step (so that a running maximum matters)."""
    return [rng.normal(scale=rng.uniform(0.01, 10.0), size=size) for _ in range(steps)]


# -- trajectories ----------------------------------------------------------------------


def assert_trajectory_matches(
    optimizer: Any,
    reference_step: ReferenceStep,
    *,
    steps: int = 100,
    size: int = 50,
    dtype: DTypeLike = np.float64,
    reference_dtype: Optional[DTypeLike] = None,
    seed: int = 0,
    rtol: float = 0.0,
    state_keys: Sequence[str] = (),
    state_rtol: Optional[float] = None,
) -> None:
    """Assert that ``optimizer`` follows ``reference_step`` update after update.

    From random parameters (standard normal), both get the same random
    gradients, whose scale changes from step to step (0.01 to 10), and are
    compared after every update.

    Parameters
    ----------
    optimizer : Optimizer
        A fresh optimizer; a copy of it makes the updates.
    reference_step : callable
        ``reference_step(params, gradient, state) -> (params, state)``: one
        update written out plainly. ``state`` is ``{}`` at the first update,
        then what the previous call returned; ``params`` and ``gradient`` are
        arrays of ``reference_dtype`` that it may keep.
    steps, size : int
        How many updates, on how many parameters.
    dtype : dtype, default float64
        The optimizer's parameters and gradients; its results and the arrays
        of ``state_keys`` must keep this dtype.
    reference_dtype : dtype, optional
        The dtype of the reference's arrays (default ``dtype``), given the same
        values: ``np.float64`` checks a float32 run against exact arithmetic.
    seed : int, default 0
        Of the starting parameters and the gradients.
    rtol : float, default 0
        The allowed difference, relative to the largest magnitude of the
        reference's parameters at that update (so that entries passing near 0
        ask for no more); 0 asks for bit-identical parameters.
    state_keys : sequence of str
        Entries of ``optimizer.state_dict()`` compared after every update with
        the same keys of the reference's state: numbers equal, arrays within
        ``state_rtol`` (default ``rtol``).

    Raises
    ------
    AssertionError
        At the first update where they differ: which update, which entry, both
        values and the tolerance.
    """
    dtype = np.dtype(dtype)
    reference_dtype = dtype if reference_dtype is None else np.dtype(reference_dtype)
    state_rtol = rtol if state_rtol is None else state_rtol
    name = describe(optimizer)
    opt = copy.deepcopy(optimizer)
    rng = np.random.default_rng(seed)
    params = rng.normal(size=size).astype(dtype)
    expected = params.astype(reference_dtype)
    state: Dict[str, Any] = {}
    for step, gradient in enumerate(_random_gradients(rng, steps, size), start=1):
        gradient = gradient.astype(dtype)
        expected, state = reference_step(expected.copy(), gradient.astype(reference_dtype), state)
        params = np.asarray(opt.update(params, gradient))
        where = f"{name}: after update {step} of {steps}"
        _assert_close(where, "the parameters", params, np.asarray(expected), rtol, dtype)
        if state_keys:
            _assert_state_agrees(where, opt.state_dict(), state, state_keys, state_rtol, dtype)


def _assert_close(where: str, what: str, got: np.ndarray, expected: np.ndarray, rtol: float, dtype: np.dtype) -> None:
    if got.shape != expected.shape or got.dtype != dtype:
        raise AssertionError(
            f"{where}, {what} have shape {got.shape} and dtype {got.dtype}; expected {expected.shape} and {dtype}"
        )
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        excess = np.abs(got.astype(np.float64) - expected.astype(np.float64)).ravel() - rtol * scale
    excess = np.where(np.isnan(excess), np.inf, excess)
    if excess.size and excess.max() > 0:
        at = int(np.argmax(excess))
        tolerance = "bit for bit" if rtol == 0 else f"within {rtol:g} x {scale:.4g} (rtol x the largest magnitude)"
        raise AssertionError(
            f"{where}, {what} differ from the reference at index {at}: got {float(got.flat[at])!r}, expected "
            f"{float(expected.flat[at])!r}; {int(np.sum(excess > 0))} of {excess.size} entries are not equal "
            f"{tolerance}"
        )


def _assert_state_agrees(
    where: str,
    got: Mapping[str, Any],
    expected: Mapping[str, Any],
    keys: Sequence[str],
    rtol: float,
    dtype: np.dtype,
) -> None:
    for key in keys:
        if key not in got or key not in expected:
            holder = "state_dict()" if key not in got else "the reference's state"
            raise AssertionError(f"{where}, {holder} has no {key!r}")
        if isinstance(got[key], np.ndarray) and got[key].ndim:
            _assert_close(where, f"state_dict()[{key!r}]", got[key], np.asarray(expected[key]), rtol, dtype)
        elif got[key] != expected[key]:
            raise AssertionError(f"{where}, state_dict()[{key!r}] is {got[key]!r}, the reference's {expected[key]!r}")


def minimise_quadratic(optimizer: Any, eigenvalues: Sequence[float], *, steps: int, seed: int = 0) -> float:
    """Return ``||x|| / ||x0||`` after ``steps`` updates on ``f(x) = 0.5 x^T A x`` from ``x0 = ones``.

    ``A = Q diag(eigenvalues) Q^T`` for a random rotation ``Q`` (from ``seed``),
    so that the condition number is ``max(eigenvalues) / min(eigenvalues)`` and
    the axes are not the coordinates'. The gradient is ``A x``.
    """
    values = np.asarray(eigenvalues, dtype=np.float64)
    rotation, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(len(values),) * 2))
    hessian = (rotation * values) @ rotation.T
    opt = copy.deepcopy(optimizer)
    start = np.ones(len(values))
    x = start.copy()
    for _ in range(steps):
        x = np.asarray(opt.update(x, hessian @ x))
    return float(np.linalg.norm(x) / np.linalg.norm(start))


# -- one optimizer's behaviours --------------------------------------------------------


def assert_update_in_place(optimizer: Any) -> None:
    """Assert the fast path: ``update`` returns ``params`` itself, updated in place.

    On float32 and float64 parameters: the result is ``params``, which moved
    and kept its dtype, as did the state's arrays; the gradient is unchanged.
    After the first update, an update of 250,000 parameters allocates (per
    ``tracemalloc``) less than a tenth of the parameter vector.
    """
    name = describe(optimizer)
    for dtype in (np.float32, np.float64):
        opt = copy.deepcopy(optimizer)
        params = np.ones(5, dtype=dtype)
        gradient = np.linspace(-1.0, 1.0, 5).astype(dtype)
        before = gradient.copy()
        for step in range(1, 4):
            if opt.update(params, gradient) is not params:
                raise AssertionError(
                    f"{name}: update {step} on {np.dtype(dtype)} parameters returned a new array, not params "
                    "updated in place (the fast path)"
                )
        if not np.array_equal(gradient, before):
            raise AssertionError(f"{name}: update modified the gradient it was given")
        if np.array_equal(params, np.ones(5)):
            raise AssertionError(f"{name}: 3 updates with a non-zero gradient left the parameters unchanged")
        changed = {
            key: str(value.dtype)
            for key, value in opt.state_dict().items()
            if isinstance(value, np.ndarray) and value.shape == params.shape and value.dtype != dtype
        }
        if changed:
            raise AssertionError(f"{name}: with {np.dtype(dtype)} parameters the state's arrays have dtypes {changed}")
    opt = copy.deepcopy(optimizer)
    large, large_gradient = np.zeros(250_000), np.ones(250_000)
    opt.update(large, large_gradient)
    tracemalloc.start()
    try:
        opt.update(large, large_gradient)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if peak >= large.nbytes // 10:
        raise AssertionError(
            f"{name}: an update after the first allocated {peak} bytes at its peak, expected less than a tenth of "
            f"the {large.nbytes} bytes of the parameters; keep scratch buffers on the instance"
        )


def assert_state_round_trip(optimizer: Any, *, steps: int = 20) -> None:
    """Assert that the state resumes exactly and is kept apart from the caller's arrays.

    - A new ``type(opt)(**opt.get_config())`` given ``state_dict()`` half way,
      directly or through an ``.npz`` file (where numbers come back as 0-d
      arrays), continues bit for bit and ends with the same state.
    - The arrays of ``state_dict()`` are copies, and ``load_state_dict``
      copies the arrays it is given.
    - Loading the state of a fresh optimizer resets it: it then takes
      parameters of any size and dtype.
    """
    name = describe(optimizer)
    gradients = _random_gradients(np.random.default_rng(5), steps, 11)
    first, params = copy.deepcopy(optimizer), np.ones(11)
    for gradient in gradients[: steps // 2]:
        params = np.asarray(first.update(params, gradient))
    saved = first.state_dict()
    resumed = {"directly": _rebuilt(first, saved), "through an .npz file": _rebuilt(first, _through_npz(saved))}
    resumed_params = {how: params.copy() for how in resumed}
    for gradient in gradients[steps // 2 :]:
        params = np.asarray(first.update(params, gradient))
        for how, opt in resumed.items():
            resumed_params[how] = np.asarray(opt.update(resumed_params[how], gradient))
    for how, opt in resumed.items():
        if not np.array_equal(resumed_params[how], params) or not _same_state(opt.state_dict(), first.state_dict()):
            raise AssertionError(
                f"{name}: given state_dict() after {steps // 2} updates ({how}), a new optimizer's parameters or "
                f"state differ from the uninterrupted run's after {steps} (largest parameter difference "
                f"{np.max(np.abs(resumed_params[how] - params)):.3g}); state_dict() must hold all that update uses"
            )
    _assert_state_is_copied(first, name)
    _assert_fresh_state_resets(optimizer, name)


def _assert_state_is_copied(optimizer: Any, name: str) -> None:
    saved = optimizer.state_dict()
    kept = copy.deepcopy(saved)
    for value in saved.values():
        if isinstance(value, np.ndarray):
            value[...] = 123
    if not _same_state(optimizer.state_dict(), kept):
        raise AssertionError(f"{name}: writing into the arrays of state_dict() changed the optimizer; return copies")
    loaded = {key: np.full_like(value, 7) if isinstance(value, np.ndarray) else value for key, value in kept.items()}
    optimizer.load_state_dict(loaded)
    kept = copy.deepcopy(loaded)
    for value in loaded.values():
        if isinstance(value, np.ndarray):
            value[...] = 0
    if not _same_state(optimizer.state_dict(), kept):
        raise AssertionError(
            f"{name}: writing into the arrays given to load_state_dict changed the optimizer; copy them"
        )


def _assert_fresh_state_resets(optimizer: Any, name: str) -> None:
    opt = copy.deepcopy(optimizer)
    fresh = opt.state_dict()
    opt.update(np.ones(3), np.ones(3))
    opt.load_state_dict(copy.deepcopy(fresh))
    if not _same_state(opt.state_dict(), fresh):
        raise AssertionError(
            f"{name}: after load_state_dict({fresh!r}), the state of a fresh optimizer, state_dict() is {opt.state_dict()!r}"
        )
    try:
        opt.update(np.ones(5, dtype=np.float32), np.ones(5, dtype=np.float32))
    except ValidationError as error:
        raise AssertionError(
            f"{name}: reset by load_state_dict({fresh!r}), it refused parameters of another size and dtype, "
            f"which a fresh optimizer takes: {error}"
        ) from error


def assert_config_round_trip(optimizer: Any) -> None:
    """Assert that ``get_config()`` is plain Python and rebuilds the optimizer, from NumPy scalars too.

    ``get_config()`` holds only ``bool``, ``int``, ``float``, ``str`` or
    ``None``; ``type(opt)(**config)``, and the same with every number and bool
    given as a NumPy scalar, have the same config (same types too) and update
    float32 parameters bit for bit like ``optimizer``, keeping float32.
    """
    name = describe(optimizer)
    config = optimizer.get_config()
    not_plain = {key: type(value).__name__ for key, value in config.items() if type(value) not in _PLAIN}
    if not_plain:
        raise AssertionError(f"{name}: get_config() holds values that are not plain Python: {not_plain}")
    rebuilt = {
        "get_config()": type(optimizer)(**config),
        "get_config() as NumPy scalars": type(optimizer)(**{key: _as_numpy(value) for key, value in config.items()}),
    }
    expected = _float32_run(copy.deepcopy(optimizer))
    for how, other in rebuilt.items():
        other_config = other.get_config()
        if other_config != config or list(map(type, other_config.values())) != list(map(type, config.values())):
            raise AssertionError(f"{name}: built from {how}, its get_config() is {other_config!r}, not {config!r}")
        got = _float32_run(other)
        if got.dtype != np.float32 or not np.array_equal(got, expected):
            raise AssertionError(
                f"{name}: built from {how}, it updates float32 parameters differently (result dtype {got.dtype})"
            )


_PLAIN = (bool, int, float, str, type(None))


def _as_numpy(value: Any) -> Any:
    if isinstance(value, bool):
        return np.bool_(value)
    if isinstance(value, int):
        return np.int64(value)
    return np.float64(value) if isinstance(value, float) else value


def _float32_run(optimizer: Any) -> np.ndarray:
    params = np.ones(8, dtype=np.float32)
    for gradient in _random_gradients(np.random.default_rng(6), 10, 8):
        params = np.asarray(optimizer.update(params, gradient.astype(np.float32)))
    return params


def _bad_updates() -> List[Tuple[str, Any, np.ndarray, List[str]]]:
    """(what, params, gradient, words its message must hold), against parameters of shape (3,)."""
    read_only = np.ones(3)
    read_only.flags.writeable = False
    return [
        ("a gradient of another shape", np.ones(3), np.ones(4), ["(3,)", "(4,)"]),
        ("parameters given as a list", [1.0, 2.0, 3.0], np.ones(3), ["list"]),
        ("integer parameters", np.ones(3, dtype=np.int64), np.ones(3), ["int64"]),
        ("read-only parameters", read_only, np.ones(3), ["read-only"]),
    ]


def assert_bad_updates_refused(optimizer: Any) -> None:
    """Assert that ``update`` refuses what it cannot work on, says what came, and changes nothing.

    Fresh, and after an update of float64 parameters of shape (3,): a gradient
    of another shape, parameters given as a list, integer parameters and
    read-only parameters raise ``ValidationError`` starting with the
    optimizer's name and naming what came (both shapes, ``list``, ``int64``,
    ``read-only``). Then parameters of another size or dtype raise
    ``ValidationError`` naming both shapes and dtypes and saying that the
    optimizer "belongs to one network", if its state holds arrays shaped like
    the parameters; an optimizer without such state must take them.
    """
    name = describe(optimizer)
    fresh, used = copy.deepcopy(optimizer), copy.deepcopy(optimizer)
    used.update(np.ones(3), np.ones(3))
    for opt in (fresh, used):
        for what, params, gradient, words in _bad_updates():
            _assert_update_refused(opt, f"{name}: update with {what}", params, gradient, words)
    if not any(isinstance(value, np.ndarray) and value.shape == (3,) for value in used.state_dict().values()):
        used.update(np.ones(4), np.ones(4))  # no state bound to the parameters: any size goes
        used.update(np.ones(3, dtype=np.float32), np.ones(3, dtype=np.float32))
        return
    for other in (np.ones(4), np.ones(3, dtype=np.float32)):
        what = f"{name}: update with parameters of shape {other.shape} and dtype {other.dtype} after (3,) float64"
        words = ["(3,)", "float64", str(other.shape), str(other.dtype), "belongs to one network"]
        _assert_update_refused(used, what, other, np.ones_like(other), words)


def _assert_update_refused(optimizer: Any, what: str, params: Any, gradient: Any, words: List[str]) -> None:
    before = optimizer.state_dict()
    message = _message_of(ValidationError, what, optimizer.update, params, gradient)
    _check_message(message, describe(optimizer), words, None)
    if not _same_state(optimizer.state_dict(), before):
        raise AssertionError(f"{what} was refused but changed the state")


#: What :func:`parametrize_with_assertions` runs, in this order.
_BEHAVIOURS = (assert_update_in_place, assert_state_round_trip, assert_config_round_trip, assert_bad_updates_refused)


def parametrize_with_assertions(optimizers: Iterable[Any]) -> Any:
    """Parametrize a test over each optimizer and each behaviour assertion.

    The decorated test takes ``optimizer`` and ``assertion`` and calls
    ``assertion(optimizer)``; test ids read
    ``adam(amsgrad=True)-assert_state_round_trip``. The assertions are
    :func:`assert_update_in_place`, :func:`assert_state_round_trip`,
    :func:`assert_config_round_trip` and :func:`assert_bad_updates_refused`.

    Examples
    --------
    >>> @parametrize_with_assertions([Adam(), Adam(amsgrad=True)])  # doctest: +SKIP
    ... def test_behaviour(optimizer, assertion):
    ...     assertion(optimizer)
    """
    import pytest

    from ._parametrize import label

    return pytest.mark.parametrize(
        "optimizer, assertion",
        [
            pytest.param(opt, assertion, id=f"{label(opt)}-{assertion.__name__}")
            for opt in optimizers
            for assertion in _BEHAVIOURS
        ],
    )


# -- tables of bad values --------------------------------------------------------------


def assert_hyperparameters_refused(
    factory: Callable[..., Any],
    kwargs: Mapping[str, Any],
    *,
    words: Iterable[str] = (),
    numbers: Optional[Mapping[str, float]] = None,
) -> str:
    """Assert that ``factory(**kwargs)`` raises ``InvalidParameterError`` with a helpful message; return it.

    The message starts with ``factory.name`` and a colon (when the factory
    has a ``name``), contains each of ``words``, and for each ``phrase:
    number`` of ``numbers`` has that number right after the phrase
    (``{"got": -0.001, "the usual value is": 0.001}``), compared as numbers.
    """
    what = f"{getattr(factory, '__name__', factory)}(**{dict(kwargs)!r})"
    message = _message_of(InvalidParameterError, what, factory, **kwargs)
    _check_message(message, getattr(factory, "name", None), words, numbers)
    return message


def assert_state_refused(
    optimizer: Any,
    state: Any,
    *,
    words: Iterable[str] = (),
    numbers: Optional[Mapping[str, float]] = None,
) -> str:
    """Assert that ``load_state_dict(state)`` raises ``ValidationError``, changes nothing, and says why; return the message.

    A copy of ``optimizer`` first updates float64 parameters of shape (3,), so
    that it has a state to keep. The message is checked as by
    :func:`assert_hyperparameters_refused`, starting with the optimizer's name.
    """
    name = describe(optimizer)
    opt = copy.deepcopy(optimizer)
    opt.update(np.ones(3), np.ones(3))
    before = opt.state_dict()
    message = _message_of(ValidationError, f"{name}: load_state_dict({state!r})", opt.load_state_dict, state)
    _check_message(message, name, words, numbers)
    if not _same_state(opt.state_dict(), before):
        raise AssertionError(f"{name}: load_state_dict refused {state!r} but changed the state")
    return message
