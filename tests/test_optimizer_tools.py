"""npnet_core.optimizer_tools (the declarative checks) and the optimizer assertions of npnet_core.testing.

Messages are compared as a template with each number replaced by ``#`` plus the
list of those numbers (``split_numbers``), never by matching printed digits.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from npnet_core.errors import InvalidParameterError, ValidationError
from npnet_core.optimizer_tools import (
    Count,
    Flag,
    Fraction,
    HyperparametersMixin,
    Positive,
    StateLayout,
    check_flag,
    check_fraction,
    check_hyperparameters,
    check_positive,
    check_state,
    check_state_matches,
    check_update_arrays,
)
from npnet_core.testing import (
    assert_bad_updates_refused,
    assert_config_round_trip,
    assert_hyperparameters_refused,
    assert_state_refused,
    assert_state_round_trip,
    assert_trajectory_matches,
    assert_update_in_place,
    minimise_quadratic,
    split_numbers,
)

NAN, INF = float("nan"), float("inf")


def same_numbers(got, expected):
    """Equal lists of numbers, NaN equal to NaN."""
    return len(got) == len(expected) and all((math.isnan(a) and math.isnan(b)) or a == b for a, b in zip(got, expected))


def refusal(error, call, *args):
    """The message of the ``error`` that ``call(*args)`` raises, as (template, numbers)."""
    with pytest.raises(error) as info:
        call(*args)
    return split_numbers(str(info.value))


# -- hyperparameter constraints ----------------------------------------------------------------


@pytest.mark.parametrize("value", [1, 0.5, 1e-300, np.float32(0.5), np.int64(3)])
def test_positive_accepts_finite_numbers_above_zero_as_python_floats(value):
    """Any real number > 0 and finite comes back as a Python float of the same value."""
    checked = Positive(usual=1e-4).check("lion", "learning_rate", value)
    assert type(checked) is float and checked == float(value)


@pytest.mark.parametrize(
    "value, shown, numbers",
    [
        (0, "#", [0]),
        (-1.0, "#", [-1.0]),
        (NAN, "#", [NAN]),
        (INF, "#", [INF]),
        ("fast", "'fast'", []),
        (True, "True", []),
        (np.bool_(True), "np.True_", []),
        (None, "None", []),
    ],
)
def test_positive_refuses_what_is_not_a_finite_positive_number(value, shown, numbers):
    """The message says the rule, the value and the usual value: an InvalidParameterError."""
    template, found = refusal(InvalidParameterError, Positive(usual=1e-4).check, "lion", "learning_rate", value)
    assert template == f"lion: learning_rate must be a finite number > # (got {shown}); the usual value is #"
    assert same_numbers(found, [0, *numbers, 1e-4])


@pytest.mark.parametrize("value", [0, 0.0, 0.5, 0.999999, np.float64(0.9), np.int8(0)])
def test_fraction_accepts_zero_up_to_but_not_one_as_python_floats(value):
    """[0, 1): 0 is in, anything below 1 is in, as a Python float."""
    checked = Fraction(usual=0.9).check("o", "beta", value)
    assert type(checked) is float and checked == float(value)


@pytest.mark.parametrize(
    "value, shown, numbers",
    [(1, "#", [1]), (1.0, "#", [1.0]), (-0.1, "#", [-0.1]), (NAN, "#", [NAN]), (INF, "#", [INF]), ("x", "'x'", [])]
    + [(False, "False", []), (None, "None", [])],
)
def test_fraction_refuses_values_outside_0_1(value, shown, numbers):
    """The message says [0, 1), the value and the usual value."""
    template, found = refusal(InvalidParameterError, Fraction(usual=0.9).check, "o", "beta", value)
    assert template == f"o: beta must be in [#, #) (got {shown}); the usual value is #"
    assert same_numbers(found, [0, 1, *numbers, 0.9])


def test_fraction_ends_with_its_advice_when_given_one():
    """advice= replaces "the usual value is ..." at the end of the message."""
    template, found = refusal(InvalidParameterError, Fraction(advice="use 0.0 for none").check, "sgd", "momentum", 2)
    assert template == "sgd: momentum must be in [#, #) (got #); use # for none"
    assert found == [0, 1, 2, 0]


@pytest.mark.parametrize("arguments", [{}, {"usual": 0.9, "advice": "or this"}])
def test_fraction_takes_exactly_one_of_usual_and_advice(arguments):
    """Neither or both is a mistake of the table's author: TypeError."""
    with pytest.raises(TypeError, match="one of usual= .* or advice="):
        Fraction(**arguments)


@pytest.mark.parametrize("value, expected", [(True, True), (False, False), (np.bool_(True), True)])
def test_flag_accepts_booleans_as_python_bools(value, expected):
    """True and False, NumPy's too, come back as Python bools."""
    assert Flag().check("o", "flag", value) is expected


@pytest.mark.parametrize("value, shown", [(1, "#"), (0, "#"), (1.0, "#"), ("yes", "'yes'"), (None, "None")])
def test_flag_refuses_what_is_not_a_bool(value, shown):
    """0 and 1 are not flags: the message says True or False and shows the value."""
    template, _ = refusal(InvalidParameterError, Flag().check, "o", "flag", value)
    assert template == f"o: flag must be True or False (got {shown})"


TABLE = {"learning_rate": Positive(usual=0.01), "beta": Fraction(usual=0.9), "nesterov": Flag()}


def test_check_hyperparameters_returns_plain_values_in_the_table_order():
    """Every value is checked and converted; keys not in the table (self from locals()) are ignored."""
    values = {"self": object(), "nesterov": np.bool_(False), "beta": 0, "learning_rate": np.float32(0.5)}
    config = check_hyperparameters("o", TABLE, values)
    assert list(config) == ["learning_rate", "beta", "nesterov"]
    assert config == {"learning_rate": 0.5, "beta": 0.0, "nesterov": False}
    assert [type(value) for value in config.values()] == [float, float, bool]


def test_check_hyperparameters_reports_the_first_bad_value_in_table_order():
    """With two bad values, the one listed first in the table is reported."""
    template, _ = refusal(
        InvalidParameterError, check_hyperparameters, "o", TABLE, {"learning_rate": 1, "beta": 2, "nesterov": 0}
    )
    assert template.startswith("o: beta must be in")


def test_check_hyperparameters_needs_a_value_for_every_constrained_name():
    """A table naming a parameter __init__ does not pass is the author's mistake: TypeError."""
    with pytest.raises(TypeError, match=r"no value for \['nesterov'\]"):
        check_hyperparameters("o", TABLE, {"learning_rate": 0.1, "beta": 0.5})


class Tabled(HyperparametersMixin):
    hyperparameters = {"learning_rate": Positive(usual=0.01), "nesterov": Flag()}

    def __init__(self, learning_rate=0.01, nesterov=False):
        self.learning_rate, self.nesterov = 0.25, True


def test_mixin_reads_get_config_and_repr_from_the_table():
    """get_config() lists the table's names with the attributes' values; repr() reads like the call."""
    assert Tabled().get_config() == {"learning_rate": 0.25, "nesterov": True}
    assert repr(Tabled()) == "Tabled(learning_rate=0.25, nesterov=True)"


# -- the state ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 7, np.int64(3), np.array(4), np.uint8(2)])
def test_count_accepts_integers_from_its_minimum_as_python_ints(value):
    """Integers, NumPy integers and 0-d integer arrays (what np.load gives back) pass as ints."""
    checked = Count(minimum=0).check("o", "step", value)
    assert type(checked) is int and checked == int(value)


@pytest.mark.parametrize(
    "value, shown, numbers",
    [(-1, "#", [-1]), (2.0, "#", [2.0]), (True, "True", []), ("3", "'#'", [3]), (None, "None", [])]
    + [(np.array(2.0), "array(#)", [2.0])],
)
def test_count_refuses_what_is_not_an_integer_in_range(value, shown, numbers):
    """Floats, bools, strings and negative numbers are refused with a ValidationError."""
    template, found = refusal(ValidationError, Count(minimum=0).check, "o", "step", value)
    assert template == f"o: state['step'] must be an integer >= # (got {shown})"
    assert found == [0, *numbers]


M = np.ones(3)
STEPPED = StateLayout(
    arrays=("m", "v"), counters={"step": Count()}, step="step", hints={"v_max": "the hint"}, source="O.state_dict()"
)
FREE = StateLayout(arrays=("a", "b"))
NONE = StateLayout(hints={"velocity": "no state with momentum=0"}, source="O.state_dict()")


@pytest.mark.parametrize(
    "layout, state, expected",
    [
        (STEPPED, {"step": 0}, {"step": 0}),
        (STEPPED, {"step": np.array(2), "m": M, "v": M}, {"step": 2, "m": M, "v": M}),
        (FREE, {}, {}),
        (FREE, {"a": M, "b": 2 * M}, {"a": M, "b": 2 * M}),
        (NONE, {}, {}),
    ],
)
def test_check_state_returns_counters_as_ints_and_copies_of_the_arrays(layout, state, expected):
    """A state that fits its layout comes back checked: ints, and arrays that are copies."""
    checked = check_state("o", layout, state)
    assert checked.keys() == expected.keys()
    for key, value in expected.items():
        assert type(checked[key]) is type(value) and np.array_equal(checked[key], value)
        if isinstance(value, np.ndarray):
            assert checked[key] is not state[key]


PASS = "pass a dict returned by O.state_dict()"


@pytest.mark.parametrize(
    "layout, state, template, numbers",
    [
        (STEPPED, [("step", 0)], "o: state must be a dict returned by O.state_dict() (got list)", []),
        (STEPPED, {"m": M, "v": M}, f"o: state is missing 'step'; {PASS}", []),
        (STEPPED, {"step": -1}, "o: state['step'] must be an integer >= # (got #)", [0, -1]),
        (
            STEPPED,
            {"step": 2, "m": M},
            f"o: state keys for step=# should be ['m', 'step', 'v']: missing ['v']; {PASS}",
            [2],
        ),
        (
            STEPPED,
            {"step": 0, "m": M, "v": M},
            f"o: state keys for step=# should be ['step']: unknown ['m', 'v']; the arrays ['m', 'v'] come with step > # only; {PASS}",
            [0, 0],
        ),
        (
            STEPPED,
            {"step": 1, "m": M, "v": M, "v_max": M, 5: M},
            "o: state keys for step=# should be ['m', 'step', 'v']: unknown [#, 'v_max']; the hint",
            [1, 5],
        ),
        (
            STEPPED,
            {"step": 1, "m": M, "v": M.astype(np.float32)},
            f"o: the state arrays must share one shape and dtype (got m: (#,) float64, v: (#,) float32); {PASS}",
            [3, 3],
        ),
        (
            STEPPED,
            {"step": 1, "m": [1.0], "v": M},
            f"o: state['m'] must be a floating-point ndarray (got list); {PASS}",
            [],
        ),
        (
            STEPPED,
            {"step": 1, "m": M, "v": np.ones(3, dtype=np.int64)},
            f"o: state['v'] must be a floating-point ndarray (got ndarray int64); {PASS}",
            [],
        ),
        (
            STEPPED,
            {"step": 1, "m": M.reshape(3, 1), "v": M.reshape(3, 1)},
            f"o: state['m'] must be one-dimensional, shaped like the parameter vector (got shape (#, #)); {PASS}",
            [3, 1],
        ),
        (
            STEPPED,
            {"step": 1, "m": np.array(1.0), "v": np.array(1.0)},
            f"o: state['m'] must be one-dimensional, shaped like the parameter vector (got shape ()); {PASS}",
            [],
        ),
        (
            STEPPED,
            {"step": 1, "m": M, "v": np.array([1.0, NAN, -INF])},
            f"o: state['v'] holds # NaN or infinite value(s) of #; a state from a diverged run cannot be resumed, "
            f"{PASS}",
            [2, 3],
        ),
        (
            FREE,
            {"a": M},
            "o: state keys should be [] or ['a', 'b']: missing ['b']; pass a dict returned by state_dict()",
            [],
        ),
        (
            FREE,
            {"a": M, "b": np.ones(4)},
            "o: the state arrays must share one shape and dtype (got a: (#,) float64, b: (#,) float64); pass a dict returned by state_dict()",
            [3, 4],
        ),
        (NONE, {"velocity": M}, "o: state keys should be []: unknown ['velocity']; no state with momentum=#", [0]),
    ],
)
def test_check_state_refuses_what_does_not_fit_the_layout(layout, state, template, numbers):
    """Each broken rule gives a ValidationError saying what was expected, what came and what to do."""
    assert refusal(ValidationError, check_state, "o", layout, state) == (template, numbers)


@pytest.mark.parametrize("arguments", [{"step": "step"}, {"arrays": ("step",), "counters": {"step": Count()}}])
def test_state_layout_refuses_a_contradictory_description(arguments):
    """A step counter that is not a counter, or a key both array and counter, is the author's mistake."""
    with pytest.raises(TypeError, match="StateLayout"):
        StateLayout(**arguments)


# -- update arguments --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, gradient, message",
    [
        ([1.0, 2.0], np.zeros(2), "params must be a floating-point numpy array updated in place (got list)"),
        (
            np.zeros(2, dtype=np.int64),
            np.zeros(2),
            "params must be a floating-point numpy array updated in place (got ndarray int64)",
        ),
        (
            np.zeros(2),
            np.zeros(3),
            "gradient has shape (#,) but params has shape (#,); pass the gradient of these parameters",
        ),
    ],
)
def test_check_update_arrays(params, gradient, message):
    """What update cannot work on is refused with a ValidationError saying what came."""
    template, _ = refusal(ValidationError, check_update_arrays, "o", params, gradient)
    assert template.startswith("o: " + message)


def test_check_update_arrays_refuses_read_only_params():
    """The update is in place, so read-only params are refused."""
    params = np.zeros(2)
    params.flags.writeable = False
    with pytest.raises(ValidationError, match="read-only"):
        check_update_arrays("o", params, np.zeros(2))


def test_check_state_matches_names_both_shapes_and_the_way_out():
    """State built for other params: both shapes and dtypes, one network per instance, how to make a new one."""
    check_state_matches("o", "velocity", np.zeros(3), np.zeros(3), "O()")
    template, numbers = refusal(ValidationError, check_state_matches, "o", "velocity", np.zeros(3), np.zeros(4), "O()")
    assert template == (
        "o: this optimizer's velocity was built for params of shape (#,) and dtype float64, but update() got shape "
        "(#,) and dtype float64; an optimizer instance belongs to one network: create a new one for this network, "
        "e.g. O()"
    )
    assert numbers == [3, 4]
    template, _ = refusal(
        ValidationError, check_state_matches, "o", "moments", np.zeros(3), np.zeros(3, np.float32), "O()"
    )
    assert "moments were built" in template and "dtype float32" in template


# -- the assertions of npnet_core.testing, on a correct optimizer and on broken ones -----------


class Heavy(HyperparametersMixin):
    """Heavy-ball momentum written with the declarative tools: v = mu v - lr g; p = p + v."""

    name = "heavy"
    hyperparameters = {"learning_rate": Positive(usual=0.1), "momentum": Fraction(usual=0.5)}
    state_layout = StateLayout(
        arrays=("velocity",), counters={"step": Count()}, step="step", source="Heavy.state_dict()"
    )

    def __init__(self, learning_rate=0.1, momentum=0.5):
        config = check_hyperparameters(self.name, self.hyperparameters, locals())
        self.learning_rate, self.momentum = config["learning_rate"], config["momentum"]
        self._step, self._velocity, self._work = 0, None, None

    def update(self, params, gradient):
        check_update_arrays(self.name, params, gradient)
        if self._velocity is None:
            self._velocity = np.zeros_like(params)
        check_state_matches(self.name, "velocity", self._velocity, params, "Heavy()")
        if self._work is None or self._work.shape != params.shape or self._work.dtype != params.dtype:
            self._work = np.empty_like(params)
        np.multiply(gradient, self.learning_rate, out=self._work)
        self._velocity *= self.momentum
        self._velocity -= self._work
        params += self._velocity
        self._step += 1
        return params

    def state_dict(self):
        state = {"step": self._step}
        return state if self._velocity is None else {**state, "velocity": self._velocity.copy()}

    def load_state_dict(self, state):
        checked = check_state(self.name, self.state_layout, state)
        self._step, self._velocity, self._work = checked["step"], checked.get("velocity"), None


def heavy_ball(learning_rate=0.1, momentum=0.5):
    """The reference, one step written out: v = mu v - lr g; p = p + v."""

    def step(p, g, state):
        v = momentum * state.get("velocity", 0.0) - learning_rate * g
        return p + v, {"velocity": v, "step": state.get("step", 0) + 1}

    return step


def test_a_correct_optimizer_passes_every_assertion():
    """Heavy, written with optimizer_tools, passes the assertions; none of them modifies it."""
    opt = Heavy(learning_rate=0.05)
    for assertion in (assert_update_in_place, assert_state_round_trip, assert_config_round_trip):
        assertion(opt)
    assert_bad_updates_refused(opt)
    assert_trajectory_matches(opt, heavy_ball(0.05), steps=50, state_keys=("step", "velocity"))
    assert_trajectory_matches(opt, heavy_ball(0.05), steps=20, dtype=np.float32, reference_dtype=np.float64, rtol=1e-5)
    assert_state_refused(opt, {"step": -2}, words=["state['step']"], numbers={"got": -2, ">=": 0})
    assert_hyperparameters_refused(Heavy, {"momentum": 1}, words=["momentum"], numbers={"the usual value is": 0.5})
    assert minimise_quadratic(opt, [1.0, 2.0], steps=200) < 1e-6
    assert opt.state_dict() == {"step": 0}


class Copying(Heavy):
    def update(self, params, gradient):
        return super().update(params.copy(), gradient)


class Allocating(Heavy):
    def update(self, params, gradient):
        self._work = None  # a new scratch array every time
        return super().update(params, gradient)


class Leaky(Heavy):
    def state_dict(self):
        return {"step": self._step} if self._velocity is None else {"step": self._step, "velocity": self._velocity}


class Forgetful(Heavy):
    def load_state_dict(self, state):
        check_state(self.name, self.state_layout, state)


class NumpyConfig(Heavy):
    def get_config(self):
        return {**super().get_config(), "learning_rate": np.float64(self.learning_rate)}


class Unchecked(Heavy):
    def update(self, params, gradient):
        params = np.asarray(params, dtype=np.float64)
        return params


class Unbound(Heavy):
    """Adopts parameters of any size silently, though its velocity belongs to other ones."""

    def update(self, params, gradient):
        if self._velocity is not None and self._velocity.shape != np.shape(params):
            self._velocity = None
        return super().update(params, gradient)


@pytest.mark.parametrize(
    "assertion, broken, words",
    [
        (assert_update_in_place, Copying(), "returned a new array"),
        (assert_update_in_place, Allocating(), "allocated"),
        (assert_state_round_trip, Leaky(), "return copies"),
        (assert_state_round_trip, Forgetful(), "differ from the uninterrupted run"),
        (assert_config_round_trip, NumpyConfig(), "not plain Python"),
        (assert_bad_updates_refused, Unchecked(), "raised no ValidationError"),
        (assert_bad_updates_refused, Unbound(), "raised no ValidationError"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Heavy) else None,
)
def test_each_assertion_catches_the_optimizer_that_breaks_its_rule(assertion, broken, words):
    """A broken optimizer fails with an AssertionError that names it and the broken rule."""
    with pytest.raises(AssertionError) as info:
        assertion(broken)
    assert str(info.value).startswith("heavy: ") and words in str(info.value)


def test_trajectory_assertion_names_the_first_update_that_differs():
    """A reference with another learning rate differs from update 1; the message gives the index and both values."""
    with pytest.raises(AssertionError) as info:
        assert_trajectory_matches(Heavy(), heavy_ball(learning_rate=0.1000001), steps=5, rtol=1e-12)
    template, numbers = split_numbers(str(info.value))
    assert template.startswith("heavy: after update # of #, the parameters differ from the reference at index #")
    assert numbers[:2] == [1, 5]


def test_trajectory_assertion_compares_the_state_it_is_told_to():
    """A reference whose velocity is off while the parameters agree is caught through state_keys."""

    def off_velocity(p, g, state):
        p, state = heavy_ball()(p, g, state)
        return p, {**state, "velocity": state["velocity"] + 1.0}

    with pytest.raises(AssertionError, match=r"state_dict\(\)\['velocity'\] differ"):
        assert_trajectory_matches(Heavy(), off_velocity, steps=3, state_keys=("velocity",))


def test_refusal_assertions_check_words_and_numbers():
    """A missing word, a wrong number, or no refusal at all fails, saying which."""
    with pytest.raises(AssertionError, match="lacks 'beta'"):
        assert_hyperparameters_refused(Heavy, {"momentum": 1}, words=["beta"])
    with pytest.raises(AssertionError, match="after 'got'"):
        assert_hyperparameters_refused(Heavy, {"momentum": 1}, numbers={"got": 2})
    with pytest.raises(AssertionError, match="raised no InvalidParameterError"):
        assert_hyperparameters_refused(Heavy, {"momentum": 0.25})
    with pytest.raises(AssertionError, match="raised no ValidationError"):
        assert_state_refused(Heavy(), {"step": 0})


def test_split_numbers_takes_numbers_standing_alone():
    """Numbers become #, but not the digits of names (beta_1) or dtypes (float64)."""
    template, numbers = split_numbers("beta_1 in [0, 1) (got -1e-08, nan, inf); float64 (3,) step=2")
    assert template == "beta_1 in [#, #) (got #, #, #); float64 (#,) step=#"
    assert same_numbers(numbers, [0.0, 1.0, -1e-08, NAN, INF, 3.0, 2.0])


@pytest.mark.parametrize(
    "call, expected",
    [
        (lambda: check_positive("lion", "learning_rate", 0.5, usual=1e-4), 0.5),
        (lambda: check_fraction("lion", "beta", 0.25, advice="the usual value is 0.9"), 0.25),
        (lambda: check_flag("lion", "decoupled", np.bool_(True)), True),
    ],
    ids=["check_positive", "check_fraction", "check_flag"],
)
def test_the_functions_of_release_0_1_accept_and_convert(call, expected):
    """check_positive, check_fraction and check_flag (kept for 0.1's plugins) return plain Python values."""
    value = call()
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: check_positive("lion", "learning_rate", -1, usual=1e-4), ["lion: learning_rate", "> 0", "usual"]),
        (lambda: check_fraction("lion", "beta", 1, advice="use 0.9"), ["lion: beta", "[0, 1)", "use 0.9"]),
        (lambda: check_flag("lion", "decoupled", 1), ["lion: decoupled", "True or False"]),
    ],
    ids=["check_positive", "check_fraction", "check_flag"],
)
def test_the_functions_of_release_0_1_refuse_as_the_constraints_do(call, words):
    """Each 0.1 function refuses a bad value with InvalidParameterError naming the optimizer, the parameter and a fix."""
    with pytest.raises(InvalidParameterError) as excinfo:
        call()
    assert all(word in str(excinfo.value) for word in words), str(excinfo.value)
