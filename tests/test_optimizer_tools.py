"""npnet_core.optimizer_tools: the checks optimizer plugins share, and elementwise updates in threads."""

from __future__ import annotations

import multiprocessing
import sys
import threading

import numpy as np
import pytest
from npnet_adam import Adam
from npnet_sgd_momentum import SGD

from npnet_core.errors import InvalidParameterError, ValidationError
from npnet_core.optimizer_tools import (
    MIN_ELEMENTS_PER_THREAD,
    check_flag,
    check_fraction,
    check_positive,
    check_state_matches,
    check_update_arrays,
    elementwise,
    update_threads,
)

N = 4 * MIN_ELEMENTS_PER_THREAD + 123  # long enough for 4 threads, not a multiple of anything


@pytest.fixture
def threads(monkeypatch):
    def use(count):
        monkeypatch.setenv("NPNET_NUM_THREADS", str(count))

    return use


# -- elementwise -----------------------------------------------------------------------


def _record_slices(calls):
    lock = threading.Lock()

    def function(a, b, *, offset):
        with lock:
            calls.append((threading.current_thread().name, a[0], len(a), b[0]))
        a += offset

    return function


@pytest.mark.parametrize("count", [2, 3, 4])
def test_elementwise_covers_every_element_once_in_contiguous_slices(threads, count):
    """Slices tile the vector without gap or overlap, one per thread, the first on the caller."""
    threads(count)
    a, b = np.arange(N, dtype=np.float64), np.arange(N, dtype=np.float64) * 2
    calls = []
    elementwise(_record_slices(calls), a, b, offset=0.5)
    np.testing.assert_array_equal(a, np.arange(N) + 0.5)  # every element once
    starts = sorted(int(start) for _, start, _, _ in calls)
    lengths = {int(start): length for _, start, length, _ in calls}
    assert len(calls) == count
    assert starts[0] == 0 and all(lo + lengths[lo] == hi for lo, hi in zip(starts, starts[1:]))
    assert all(start % 64 == 0 for start in starts)
    assert all(b_start == 2 * a_start for _, a_start, _, b_start in calls)  # the same cut in every array
    assert threading.current_thread().name in {name for name, *_ in calls}


def test_short_vectors_and_one_thread_stay_on_the_calling_thread(threads):
    """Below the per-thread minimum, or with NPNET_NUM_THREADS=1, there is one call, on the caller."""
    threads(4)
    calls = []
    elementwise(_record_slices(calls), np.zeros(MIN_ELEMENTS_PER_THREAD * 2 - 1), np.zeros(MIN_ELEMENTS_PER_THREAD * 2 - 1), offset=1)
    assert len(calls) == 1 and calls[0][0] == threading.current_thread().name
    threads(1)
    calls.clear()
    elementwise(_record_slices(calls), np.zeros(N), np.zeros(N), offset=1)
    assert len(calls) == 1


def test_none_is_passed_through_to_every_slice(threads):
    threads(2)
    seen = []
    elementwise(lambda a, nothing: seen.append(nothing), np.zeros(N), None)
    assert seen == [None, None]


def test_an_exception_in_a_slice_is_raised_after_every_slice_is_done(threads):
    """The caller does not return while threads still write into the arrays."""
    threads(3)
    done = []

    def function(a):
        if a[0] != 0:
            done.append(len(a))
            raise FloatingPointError("slice failed")
        a[:] = 1.0

    a = np.arange(N, dtype=np.float64)
    with pytest.raises(FloatingPointError, match="slice failed"):
        elementwise(function, a)
    assert len(done) == 2


def test_an_elementwise_call_inside_a_slice_runs_there(threads):
    """A nested call runs on the worker's thread instead of waiting for the pool it occupies."""
    threads(2)
    a = np.zeros(N)

    def outer(part):
        elementwise(lambda inner: np.add(inner, 1.0, out=inner), part)

    elementwise(outer, a)
    np.testing.assert_array_equal(a, 1.0)


def test_bad_arrays_and_a_bad_thread_count_are_refused(threads):
    with pytest.raises(ValidationError, match=r"1-D arrays of one length \(got shapes \[\(10,\), \(9,\)\]\)"):
        elementwise(np.negative, np.zeros(10), np.zeros(9))
    with pytest.raises(ValidationError, match="at least one array"):
        elementwise(np.negative, None)
    threads("two")
    with pytest.raises(ValidationError, match="NPNET_NUM_THREADS must be a positive integer \\(got 'two'\\)"):
        update_threads()
    threads(0)
    with pytest.raises(ValidationError, match="NPNET_NUM_THREADS"):
        update_threads()


def _child_sum(queue):
    a = np.zeros(N)
    elementwise(lambda part: np.add(part, 2.0, out=part), a)
    queue.put(float(a.sum()))


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_a_forked_child_starts_its_own_threads(threads):
    """A child forked after the pool started gets a fresh pool, not the parent's dead threads."""
    threads(2)
    elementwise(lambda part: None, np.zeros(N))  # the parent's pool exists now
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child_sum, args=(queue,))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert queue.get(timeout=5) == 2.0 * N


@pytest.mark.parametrize(
    "make",
    [
        lambda: Adam(learning_rate=0.01),
        lambda: Adam(amsgrad=True),
        lambda: SGD(learning_rate=0.1, momentum=0.9),
        lambda: SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
        lambda: SGD(learning_rate=0.1),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_official_optimizers_give_the_same_bits_on_any_number_of_threads(threads, make, dtype):
    """Elementwise arithmetic on slices is the arithmetic on the whole: results are bit-identical."""
    rng = np.random.default_rng(0)
    gradients = [rng.normal(size=N).astype(dtype) for _ in range(5)]
    results = []
    for count in (1, 2, 3):
        threads(count)
        optimizer, params = make(), np.ones(N, dtype=dtype)
        for gradient in gradients:
            optimizer.update(params, gradient)
        results.append((params, optimizer.state_dict()))
    for params, state in results[1:]:
        assert params.tobytes() == results[0][0].tobytes()
        assert all(np.array_equal(state[key], results[0][1][key]) for key in state)


# -- checks ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -1.0, float("nan"), float("inf"), "0.1", True, None])
def test_check_positive_refuses_what_is_not_a_finite_positive_number(value):
    with pytest.raises(InvalidParameterError, match=r"^lion: learning_rate must be a finite number > 0 \(got .*\); the usual value is 0.0001$"):
        check_positive("lion", "learning_rate", value, usual=1e-4)


def test_checks_return_plain_python_values():
    """Plain floats and bools, so that float32 arrays are never promoted by a NumPy scalar."""
    assert type(check_positive("o", "lr", np.float32(0.5), usual=1)) is float
    assert type(check_fraction("o", "beta", np.float64(0.9), advice="")) is float
    assert check_fraction("o", "beta", 0, advice="") == 0.0
    assert check_flag("o", "flag", np.bool_(True)) is True


@pytest.mark.parametrize("value", [1, 1.0, -0.1, float("nan"), "0.9", False])
def test_check_fraction_refuses_values_outside_0_1(value):
    with pytest.raises(InvalidParameterError, match=r"^o: beta must be in \[0, 1\) \(got .*\); the usual value is 0.9$"):
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
    with pytest.raises(ValidationError, match=r"velocity was built for params of shape \(3,\) and dtype float64, but update\(\) got shape \(4,\) and dtype float64.*e\.g\. O\(\)"):
        check_state_matches("o", "velocity", np.zeros(3), np.zeros(4), "O()")
    with pytest.raises(ValidationError, match="moments were built .* dtype float32"):
        check_state_matches("o", "moments", np.zeros(3), np.zeros(3, dtype=np.float32), "O()")
