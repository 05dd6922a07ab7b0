"""Tools for optimizer plugins: npnet's argument checks, and elementwise updates over all cores.

An optimizer's ``update(params, gradient)`` is a handful of elementwise passes
over the flat parameter vector. NumPy runs each pass on one core, and releases
the GIL while it does, so :func:`elementwise` splits the vectors into one
contiguous slice per thread and runs the same function on every slice at once.
Elementwise arithmetic on a slice gives exactly the values it gives on the
whole vector, so the result does not depend on the number of threads.

The checks raise npnet's errors with its messages (what was expected, what
came, what to do), prefixed by the optimizer's name::

    from npnet_core.optimizer_tools import check_update_arrays, check_positive, elementwise

    class Lion:
        name = "lion"

        def __init__(self, learning_rate=1e-4):
            self.learning_rate = check_positive("lion", "learning_rate", learning_rate, usual=1e-4)

        def update(self, params, gradient):
            check_update_arrays("lion", params, gradient)
            elementwise(self._step, params, gradient, self._m)
            return params

The number of threads is ``NPNET_NUM_THREADS`` when set (1 runs everything
on the calling thread), otherwise the number of CPUs this process may use, at
most 4: the passes are bound by memory bandwidth, which a few cores saturate.
"""

from __future__ import annotations

import math
import numbers
import os
import threading
from typing import TYPE_CHECKING, Any, Callable, List, Optional

import numpy as np

from .errors import InvalidParameterError, ValidationError

if TYPE_CHECKING:  # imported when the first update runs on several threads: it brings logging
    from concurrent.futures import Future, ThreadPoolExecutor

__all__ = [
    "MIN_ELEMENTS_PER_THREAD",
    "check_flag",
    "check_fraction",
    "check_positive",
    "check_state_matches",
    "check_update_arrays",
    "elementwise",
    "update_threads",
]

#: below this many elements per thread, handing a slice to a thread costs more than it saves
MIN_ELEMENTS_PER_THREAD = 1 << 15
_ALIGN = 64  # slice boundaries on multiples of 64 elements: whole cache lines per thread

_pool: "Optional[ThreadPoolExecutor]" = None
_pool_size = 0
_pool_lock = threading.Lock()
_cpus: Optional[int] = None
_in_worker = threading.local()


def _show(value: Any) -> str:
    """Format a bad value for an error message."""
    return str(value) if isinstance(value, numbers.Real) else repr(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


# -- hyperparameters -------------------------------------------------------------------


def check_positive(owner: str, name: str, value: Any, *, usual: float) -> float:
    """Return ``value`` as a float if it is a finite number > 0, else raise.

    Raises
    ------
    InvalidParameterError
        ``"{owner}: {name} must be a finite number > 0 (got ...); the usual value is {usual}"``.
    """
    if not _is_number(value) or not math.isfinite(value) or value <= 0:
        raise InvalidParameterError(
            f"{owner}: {name} must be a finite number > 0 (got {_show(value)}); the usual value is {usual}"
        )
    return float(value)


def check_fraction(owner: str, name: str, value: Any, *, advice: str) -> float:
    """Return ``value`` as a float if it is in [0, 1) (a decay rate), else raise.

    ``advice`` ends the message: "the usual value is 0.9", for example.
    """
    if not _is_number(value) or not 0 <= value < 1:
        raise InvalidParameterError(f"{owner}: {name} must be in [0, 1) (got {_show(value)}); {advice}")
    return float(value)


def check_flag(owner: str, name: str, value: Any) -> bool:
    """Return ``value`` as a bool if it is True or False (NumPy's too), else raise."""
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidParameterError(f"{owner}: {name} must be True or False (got {_show(value)})")
    return bool(value)


# -- arrays ----------------------------------------------------------------------------


def check_update_arrays(owner: str, params: Any, gradient: Any) -> None:
    """Raise :class:`ValidationError` unless ``params`` is a writeable float array shaped like ``gradient``."""
    if not isinstance(params, np.ndarray) or not np.issubdtype(params.dtype, np.floating):
        raise ValidationError(
            f"{owner}: params must be a floating-point numpy array updated in place "
            f"(got {type(params).__name__} {getattr(params, 'dtype', '')}); pass the network's parameter vector"
        )
    if not params.flags.writeable:
        raise ValidationError(
            f"{owner}: params is read-only; the optimizer updates it in place, pass a writeable array"
        )
    if np.shape(gradient) != params.shape:
        raise ValidationError(
            f"{owner}: gradient has shape {np.shape(gradient)} but params has shape {params.shape}; "
            "pass the gradient of these parameters"
        )


def check_state_matches(owner: str, what: str, state: np.ndarray, params: np.ndarray, fresh: str) -> None:
    """Raise unless an optimizer's state array (``what``: "moments", "velocity") fits ``params``.

    An optimizer instance belongs to one network; ``fresh`` shows how to make
    a new one, e.g. ``"Adam(**opt.get_config())"``.
    """
    if state.shape != params.shape or state.dtype != params.dtype:
        raise ValidationError(
            f"{owner}: this optimizer's {what} {'were' if what.endswith('s') else 'was'} built for params "
            f"of shape {state.shape} and dtype {state.dtype}, but update() got shape {params.shape} and "
            f"dtype {params.dtype}; an optimizer instance belongs to one network: create a new one for "
            f"this network, e.g. {fresh}"
        )


# -- running on all cores --------------------------------------------------------------


def update_threads() -> int:
    """The number of threads :func:`elementwise` uses (``NPNET_NUM_THREADS``, or the CPUs, at most 4)."""
    setting = os.environ.get("NPNET_NUM_THREADS", "").strip()
    if setting:
        try:
            threads = int(setting)
        except ValueError:
            threads = 0
        if threads < 1:
            raise ValidationError(
                f"NPNET_NUM_THREADS must be a positive integer (got {setting!r}); 1 runs the updates "
                "on the calling thread only"
            )
        return threads
    global _cpus
    if _cpus is None:
        try:
            _cpus = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            _cpus = os.cpu_count() or 1
    return max(1, min(_cpus, 4))


def _mark_worker() -> None:
    _in_worker.active = True


def _executor(workers: int) -> "ThreadPoolExecutor":
    global _pool, _pool_size
    from concurrent.futures import ThreadPoolExecutor

    with _pool_lock:
        if _pool is None or _pool_size < workers:  # grown when NPNET_NUM_THREADS rises
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(workers, thread_name_prefix="npnet-update", initializer=_mark_worker)
            _pool_size = workers
        return _pool


def _forget_pool() -> None:
    """In a forked child the pool's threads do not exist: start a new pool when needed."""
    global _pool, _pool_size, _pool_lock
    _pool, _pool_size, _pool_lock = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _bounds(n: int, parts: int) -> List[int]:
    cuts = [round(n * i / parts / _ALIGN) * _ALIGN for i in range(1, parts)]
    return [0, *cuts, n]


def elementwise(function: Callable[..., Any], *arrays: Optional[np.ndarray], **scalars: Any) -> None:
    """Call ``function(*slices, **scalars)`` on matching slices of 1-D ``arrays``, in parallel.

    Every array is cut at the same places into one contiguous slice per thread
    (``None`` is passed as ``None``); the calling thread does the first slice.
    Short arrays, fewer than :data:`MIN_ELEMENTS_PER_THREAD` elements per
    thread, go to ``function`` whole, on the calling thread. ``function`` must
    work elementwise, writing only into its own slices (NumPy ufuncs with
    ``out=`` do, and release the GIL while they run). Returns when every slice
    is done; the first exception raised by a slice is raised again then.
    """
    present = [a for a in arrays if a is not None]
    if not present:
        raise ValidationError("elementwise needs at least one array to cut into slices")
    n = present[0].shape[0]
    if any(a.ndim != 1 or a.shape[0] != n for a in present):
        shapes = [None if a is None else a.shape for a in arrays]
        raise ValidationError(f"elementwise needs 1-D arrays of one length (got shapes {shapes})")
    parts = min(update_threads(), n // MIN_ELEMENTS_PER_THREAD)
    if parts <= 1 or getattr(_in_worker, "active", False):
        function(*arrays, **scalars)
        return
    cuts = _bounds(n, parts)

    def cut(lo: int, hi: int) -> List[Optional[np.ndarray]]:
        return [None if a is None else a[lo:hi] for a in arrays]

    pool = _executor(parts - 1)
    futures: "List[Future]" = [
        pool.submit(function, *cut(lo, hi), **scalars) for lo, hi in zip(cuts[1:-1], cuts[2:])
    ]
    try:
        function(*cut(0, cuts[1]), **scalars)
    finally:
        errors = [f.exception() for f in futures]  # waits for every slice: they write into the arrays
    for error in errors:
        if error is not None:
            raise error
