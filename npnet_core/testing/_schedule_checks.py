"""Contract checks for learning-rate schedules.

Each check works on deep copies of the schedule it is given, so that a
schedule's state (if it keeps one) starts afresh in every check.
"""

from __future__ import annotations

import copy
import json
import math
import numbers
from typing import Any, List

import numpy as np

from ._report import assert_allclose, violation

__all__ = ["check_schedule_config_round_trip", "check_schedule_pure", "check_schedule_rates_finite_positive"]

#: The bases (the optimizer's learning_rate) the checks ask for rates with.
BASES = (1e-3, 0.1)
#: Every step up to 2000, then a few far ones: a schedule is asked for them after long training.
STEPS = [*range(2001), 10**4, 10**5, 10**6]
#: The steps the purity and round-trip checks compare.
COMPARED_STEPS = list(range(501))


def _rates(schedule: Any, steps: List[int], base: float = 0.1) -> np.ndarray:
    return np.array([schedule.rate(step, base) for step in steps], dtype=np.float64)


def check_schedule_rates_finite_positive(schedule: Any) -> None:
    """rate(step, base) is a real number, finite and >= 0 at every step, and > 0 at step 0."""
    check = "check_schedule_rates_finite_positive"
    for base in BASES:
        s = copy.deepcopy(schedule)
        for step in STEPS:
            with np.errstate(all="ignore"):  # the rule is about the rates, not about warnings
                rate = s.rate(step, base)
            if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
                raise violation(
                    schedule,
                    check,
                    f"rate({step}, {base:g}) returned {rate!r} of type {type(rate).__name__}; expected a real "
                    "number (return float(...), not an array)",
                )
            value = float(rate)
            if step == 0 and not (math.isfinite(value) and value > 0):
                raise violation(
                    schedule,
                    check,
                    f"rate(0, {base:g}) returned {value!r}; expected a finite rate > 0, as a zero first rate makes "
                    "no training (a warmup counts from step + 1)",
                )
            if not (math.isfinite(value) and value >= 0):
                raise violation(
                    schedule,
                    check,
                    f"rate({step}, {base:g}) returned {value!r}; expected a finite rate >= 0 (clamp the formula "
                    "for steps past the end of the schedule)",
                )


def check_schedule_pure(schedule: Any) -> None:
    """The rates depend on the step alone: the same asked again or in descending order, whatever np.random's state."""
    check = "check_schedule_pure"
    by_seed = []
    for global_seed in (1, 2):
        np.random.seed(global_seed)
        by_seed.append(_rates(copy.deepcopy(schedule), COMPARED_STEPS))
    if not np.array_equal(by_seed[0], by_seed[1]):
        raise violation(
            schedule,
            check,
            "two copies gave different rates for steps 0..500 after different np.random.seed calls; "
            "a rate must not draw from np.random's global state",
        )
    s = copy.deepcopy(schedule)
    first = _rates(s, COMPARED_STEPS)
    context = "rate must be a function of the step (and of state changed only by epoch events), not of earlier calls"
    assert_allclose(
        schedule,
        check,
        _rates(s, COMPARED_STEPS),
        first,
        rtol=0,
        atol=0,
        what="the rates of steps 0..500 asked a second time",
        context=context,
    )
    descending = COMPARED_STEPS[::-1]
    assert_allclose(
        schedule,
        check,
        _rates(s, descending)[::-1],
        first,
        rtol=0,
        atol=0,
        what="the rates of steps 500..0 asked in descending order",
        context=context,
    )


def check_schedule_config_round_trip(schedule: Any) -> None:
    """``get_config()`` is JSON-serialisable and ``type(s)(**config)``, rebuilt from its JSON, gives the same rates."""
    check = "check_schedule_config_round_trip"
    config = schedule.get_config()
    try:
        saved = json.loads(json.dumps(config))
    except (TypeError, ValueError) as exc:
        raise violation(
            schedule,
            check,
            f"get_config() returned {config!r}, which json.dumps refuses ({exc}); model files save it as JSON: "
            "return plain int, float, str, bool, list and dict values",
        ) from exc
    try:
        rebuilt = type(schedule)(**saved)
    except Exception as exc:
        raise violation(
            schedule,
            check,
            f"{type(schedule).__name__}(**{saved!r}) raised {type(exc).__name__}: {exc}",
        ) from exc
    assert_allclose(
        schedule,
        check,
        _rates(rebuilt, COMPARED_STEPS),
        _rates(copy.deepcopy(schedule), COMPARED_STEPS),
        rtol=0,
        atol=0,
        what="the rates of steps 0..500 of the rebuilt schedule",
        context=f"rebuilt from get_config() = {config!r}",
    )
