"""The schedules against their references: PyTorch's chainable schedulers written out as loops, scikit-learn's
invscaling optimizer, Keras's ReduceLROnPlateau written out as a loop, and values worked by hand."""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Dict, List

import numpy as np
import pytest
from npnet_schedules import Constant, CosineDecay, ExponentialDecay, InverseScaling, ReduceOnPlateau, StepDecay

from npnet_core.errors import ValidationError
from npnet_core.testing import assert_hyperparameters_refused

#: how many updates the references run: more than 300, as the brief of the references asks
STEPS = 400
RTOL = 1e-12


def rates(schedule: Any, base: float, steps: int = STEPS) -> np.ndarray:
    return np.array([schedule.rate(t, base) for t in range(steps)])


# -- PyTorch's schedulers, from torch/optim/lr_scheduler.py, as plain loops -------------------------------------
# Each loop holds the optimizer's lr (group["lr"]) and applies the scheduler's *chainable* get_lr() once per
# update: the lr of update t is the one after t calls of scheduler.step(), i.e. with last_epoch == t.


def torch_step_lr(base: float, step_size: int, gamma: float, steps: int) -> List[float]:
    """StepLR.get_lr: ``group["lr"]`` unchanged when ``last_epoch == 0 or last_epoch % step_size != 0``, else times gamma."""
    lr, out = base, []
    for last_epoch in range(steps):
        if last_epoch != 0 and last_epoch % step_size == 0:
            lr = lr * gamma
        out.append(lr)
    return out


def torch_exponential_lr(base: float, gamma: float, steps: int) -> List[float]:
    """ExponentialLR.get_lr: ``group["lr"]`` at last_epoch 0, then ``group["lr"] * gamma``."""
    lr, out = base, []
    for last_epoch in range(steps):
        if last_epoch != 0:
            lr = lr * gamma
        out.append(lr)
    return out


def torch_cosine_annealing_lr(base: float, t_max: int, eta_min: float, steps: int) -> List[float]:
    """CosineAnnealingLR.get_lr, the recursive form (scheduler.step() without an epoch argument)."""
    lr, out = base, []
    for last_epoch in range(steps):
        if last_epoch == 0:
            pass
        elif (last_epoch - 1 - t_max) % (2 * t_max) == 0:
            lr = lr + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
        else:
            lr = (1 + math.cos(math.pi * last_epoch / t_max)) / (1 + math.cos(math.pi * (last_epoch - 1) / t_max)) * (
                lr - eta_min
            ) + eta_min
        out.append(lr)
    return out


def torch_linear_lr(base: float, start_factor: float, end_factor: float, total_iters: int, steps: int) -> List[float]:
    """LinearLR.get_lr, the recursive form."""
    lr, out = base, []
    for last_epoch in range(steps):
        if last_epoch == 0:
            lr = lr * start_factor
        elif last_epoch <= total_iters:
            lr = lr * (
                1.0
                + (end_factor - start_factor)
                / (total_iters * start_factor + (last_epoch - 1) * (end_factor - start_factor))
            )
        out.append(lr)
    return out


def torch_warmup_then_cosine(base: float, warmup: int, total: int, eta_min: float, steps: int) -> List[float]:
    """SequentialLR([LinearLR(start_factor=1/W, total_iters=W-1), CosineAnnealingLR(T_max=total-W, eta_min)], [W]).

    At the milestone SequentialLR restarts the cosine at its epoch 0, whose lr is the base.
    """
    warm = torch_linear_lr(base, 1.0 / warmup, 1.0, warmup - 1, warmup) if warmup else []
    return warm + torch_cosine_annealing_lr(base, total - warmup, eta_min, steps - warmup)


@pytest.mark.parametrize("step_size, gamma", [(1, 0.9), (7, 0.5), (30, 0.1), (100, 0.99), (5, 1.0)])
def test_step_matches_torch_step_lr_loop(step_size, gamma):
    """Over 400 updates, step equals StepLR stepped once per update, written as its chainable loop."""
    np.testing.assert_allclose(
        rates(StepDecay(step_size, gamma), 0.3), torch_step_lr(0.3, step_size, gamma, STEPS), rtol=RTOL, atol=0
    )


def test_step_by_hand():
    """step_size=3, gamma=0.5, base 2: three updates at 2, three at 1, then 0.5."""
    assert [StepDecay(3, 0.5).rate(t, 2.0) for t in range(7)] == [2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 0.5]


@pytest.mark.parametrize("gamma", [0.999, 0.99, 0.95, 1.0])
def test_exponential_matches_torch_exponential_lr_loop(gamma):
    """Over 400 updates, exponential equals ExponentialLR stepped once per update, written as its chainable loop."""
    np.testing.assert_allclose(
        rates(ExponentialDecay(gamma), 0.01), torch_exponential_lr(0.01, gamma, STEPS), rtol=RTOL, atol=0
    )


@pytest.mark.parametrize("total_steps, final_fraction", [(STEPS - 1, 0.0), (350, 0.1), (300, 0.5), (1, 0.0)])
def test_cosine_matches_torch_cosine_annealing_lr_loop(total_steps, final_fraction):
    """Up to total_steps, cosine without warm-up equals CosineAnnealingLR(T_max=total_steps, eta_min=final_fraction*base)."""
    base = 0.05
    expected = torch_cosine_annealing_lr(base, total_steps, final_fraction * base, total_steps + 1)
    got = rates(CosineDecay(total_steps, final_fraction), base, total_steps + 1)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)


def test_cosine_stays_at_its_final_rate_where_torch_rises_again():
    """Past total_steps the rate stays at final_fraction * base; PyTorch's cosine would climb back towards the base."""
    base, total = 0.1, 50
    schedule = CosineDecay(total, final_fraction=0.2)
    assert [schedule.rate(t, base) for t in (total, total + 1, 10 * total, 10**9)] == [pytest.approx(0.02)] * 4
    assert torch_cosine_annealing_lr(base, total, 0.02, 2 * total + 1)[-1] == pytest.approx(base)
    assert CosineDecay(total).rate(total, base) == 0.0  # final_fraction 0: 0 from total_steps on


@pytest.mark.parametrize("warmup, total, final_fraction", [(1, 320, 0.0), (10, 400, 0.0), (100, 400, 0.25)])
def test_cosine_with_warmup_matches_torch_sequential_linear_then_cosine(warmup, total, final_fraction):
    """With warm-up, cosine equals LinearLR from base/W to base over W updates, then CosineAnnealingLR over the rest."""
    base = 0.02
    expected = torch_warmup_then_cosine(base, warmup, total, final_fraction * base, total + 1)
    np.testing.assert_allclose(
        rates(CosineDecay(total, final_fraction, warmup), base, total + 1), expected, rtol=RTOL, atol=0
    )


def test_cosine_with_warmup_by_hand():
    """total_steps=10, warmup_steps=4, base 1: 1/4, 2/4, 3/4, 1, then (1 + cos(pi s / 6)) / 2 for s = t - 4, then 0."""
    schedule = CosineDecay(10, warmup_steps=4)
    got = [schedule.rate(t, 1.0) for t in range(12)]
    half_sqrt3 = math.sqrt(3) / 2
    expected = [0.25, 0.5, 0.75, 1.0, 1.0, (1 + half_sqrt3) / 2, 0.75, 0.5, 0.25, (1 - half_sqrt3) / 2, 0.0, 0.0]
    np.testing.assert_allclose(got, expected, rtol=1e-15, atol=1e-16)


def test_cosine_with_final_fraction_by_hand():
    """total_steps=4, final_fraction=0.5, base 2: half-way down (t=2) the rate is (2 + 1) / 2, and it ends at 1."""
    schedule = CosineDecay(4, final_fraction=0.5)
    assert schedule.rate(0, 2.0) == 2.0
    assert schedule.rate(2, 2.0) == pytest.approx(1.5, rel=1e-15)
    assert schedule.rate(4, 2.0) == schedule.rate(40, 2.0) == 1.0


@pytest.mark.parametrize("power", [0.5, 0.25, 1.0, 0.0, 2.5])
def test_inverse_scaling_matches_scikit_learn_invscaling(power):
    """The rate of update t is what scikit-learn's SGDOptimizer(lr_schedule="invscaling") holds after iteration_ends(t)."""
    from sklearn.neural_network._stochastic_optimizers import SGDOptimizer

    base = 0.1
    optimizer = SGDOptimizer([np.zeros(3)], learning_rate_init=base, lr_schedule="invscaling", power_t=power)
    schedule = InverseScaling(power)
    assert schedule.rate(0, base) == optimizer.learning_rate  # before the first iteration ends
    for t in range(STEPS):
        optimizer.iteration_ends(t)
        assert schedule.rate(t, base) == pytest.approx(optimizer.learning_rate, rel=RTOL, abs=0), t


def test_constant_gives_the_base():
    """constant gives the base at every step, as a Python float."""
    got = [Constant().rate(t, np.float32(0.25)) for t in (0, 1, 10**9)]
    assert got == [0.25] * 3 and all(type(r) is float for r in got)


@pytest.mark.parametrize(
    "schedule",
    [Constant(), StepDecay(3), ExponentialDecay(0.9), CosineDecay(10, 0.1, 2), InverseScaling(), ReduceOnPlateau()],
    ids=lambda s: s.name,
)
def test_rates_are_python_floats_even_from_numpy_bases(schedule):
    """A float32 or NumPy-integer base gives a Python float (the optimizer's learning_rate keeps its type)."""
    for base in (np.float32(0.1), np.float64(0.1), 1):
        assert type(schedule.rate(5, base)) is float


# -- PyTorch itself, when installed ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["step", "exponential", "cosine", "cosine_warmup"])
def test_schedules_match_torch_when_installed(name):
    """Against torch.optim.lr_scheduler itself, stepped after each optimizer step (skipped without torch)."""
    torch = pytest.importorskip("torch")
    schedulers = torch.optim.lr_scheduler
    base, total, warmup = 0.1, 350, 50
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    optimizer = torch.optim.SGD([param], lr=base)
    ours: Any
    if name == "step":
        ours, theirs = StepDecay(30, 0.5), schedulers.StepLR(optimizer, step_size=30, gamma=0.5)
    elif name == "exponential":
        ours, theirs = ExponentialDecay(0.99), schedulers.ExponentialLR(optimizer, gamma=0.99)
    elif name == "cosine":
        ours = CosineDecay(total, 0.1)
        theirs = schedulers.CosineAnnealingLR(optimizer, T_max=total, eta_min=0.1 * base)
    else:
        ours = CosineDecay(total, 0.1, warmup)
        linear = schedulers.LinearLR(optimizer, start_factor=1 / warmup, end_factor=1.0, total_iters=warmup - 1)
        cosine = schedulers.CosineAnnealingLR(optimizer, T_max=total - warmup, eta_min=0.1 * base)
        theirs = schedulers.SequentialLR(optimizer, [linear, cosine], milestones=[warmup])
    for t in range(total + 1):
        assert ours.rate(t, base) == pytest.approx(optimizer.param_groups[0]["lr"], rel=1e-12, abs=1e-15), t
        optimizer.step()
        theirs.step()


# -- reduce_on_plateau ------------------------------------------------------------------------------------------


def run_epochs(schedule: ReduceOnPlateau, values: List[float], base: float, monitor: str = "loss") -> List[float]:
    """Feed one value per epoch to the hook; return the rate after each epoch."""
    out = []
    for epoch, value in enumerate(values, start=1):
        assert schedule.npnet_on_epoch_end(network=None, epoch=epoch, logs={monitor: value, "epoch_time": 0.1}) is None
        out.append(schedule.rate(epoch * 10, base))
    return out


def keras_reduce_lr_on_plateau(
    values: List[float], lr: float, *, mode: str, patience: int, factor: float, min_delta: float, min_lr: float
) -> List[float]:
    """keras.callbacks.ReduceLROnPlateau.on_epoch_end with cooldown=0, as a loop; the lr after each epoch.

    best starts at +inf ("min") or -inf ("max"); an epoch improves when ``np.less(current, best - min_delta)``
    ("min") or ``np.greater(current, best + min_delta)`` ("max"), and then best = current, wait = 0; otherwise
    wait += 1, and when wait >= patience and lr > min_lr, lr = max(lr * factor, min_lr) and wait = 0.
    (Keras compares lr with np.float32(min_lr); the values here make that the same as min_lr.)
    """
    if mode == "min":
        best, improves = math.inf, lambda current, best: np.less(current, best - min_delta)
    else:
        best, improves = -math.inf, lambda current, best: np.greater(current, best + min_delta)
    wait, out = 0, []
    for current in values:
        if improves(current, best):
            best, wait = current, 0
        else:
            wait += 1
            if wait >= patience and lr > min_lr:
                lr, wait = max(lr * factor, min_lr), 0
        out.append(lr)
    return out


def test_reduce_on_plateau_by_hand():
    """patience=2, factor=0.5, min_delta=0.1, base 1, a hand-worked sequence of losses.

    epoch  loss  improves (loss < best - 0.1)  best  wait  multiplier
      1    1.00  yes (first)                   1.00   0     1
      2    0.95  no  (0.95 >= 0.90)            1.00   1     1
      3    0.85  yes (0.85 < 0.90)             0.85   0     1
      4    0.80  no  (0.80 >= 0.75)            0.85   1     1
      5    0.80  no                            0.85   2->0  0.5
      6    0.70  yes (0.70 < 0.75)             0.70   0     0.5
      7    nan   no  (NaN never improves)      0.70   1     0.5
      8    0.65  no  (0.65 >= 0.60)            0.70   2->0  0.25
      9    0.65  no                            0.70   1     0.25
     10    0.65  no                            0.70   2->0  0.125
    """
    schedule = ReduceOnPlateau(patience=2, factor=0.5, min_delta=0.1)
    losses = [1.0, 0.95, 0.85, 0.8, 0.8, 0.7, math.nan, 0.65, 0.65, 0.65]
    assert run_epochs(schedule, losses, 1.0) == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.125]
    assert schedule.state_dict() == {"multiplier": 0.125, "best": 0.7, "wait": 0}


def test_reduce_on_plateau_max_mode_and_min_rate_by_hand():
    """mode="max", patience=1, factor=0.1, min_delta=0, min_rate=0.02, base 1: accuracy 0.5, 0.5, 0.6, 0.6, 0.6.

    Epoch 2 does not beat 0.5: rate 0.1; epoch 3 improves; epoch 4 does not: 0.01, floored at 0.02; epoch 5: still 0.02.
    """
    schedule = ReduceOnPlateau(patience=1, factor=0.1, monitor="val_accuracy", mode="max", min_delta=0.0, min_rate=0.02)
    got = run_epochs(schedule, [0.5, 0.5, 0.6, 0.6, 0.6], 1.0, monitor="val_accuracy")
    np.testing.assert_allclose(got, [1.0, 0.1, 0.1, 0.02, 0.02], rtol=1e-15)


def test_reduce_on_plateau_non_finite_values_never_become_the_best():
    """A NaN first epoch, or an infinite accuracy, counts as no improvement (Keras: NaN < inf is False), so the
    best stays a finite number that JSON can save. patience=1, factor=0.5: NaN reduces, 1.0 improves, inf reduces."""
    schedule = ReduceOnPlateau(patience=1, factor=0.5, mode="max")
    assert run_epochs(schedule, [math.nan, 1.0, math.inf], 1.0) == [0.5, 0.5, 0.25]
    assert schedule.state_dict() == {"multiplier": 0.25, "best": 1.0, "wait": 0}


def test_reduce_on_plateau_never_reduces_a_base_below_min_rate():
    """As in Keras, a rate already at or below min_rate is left as it is (not raised to min_rate)."""
    schedule = ReduceOnPlateau(patience=0, min_rate=0.5)
    assert run_epochs(schedule, [1.0, 1.0, 1.0], 0.1) == [0.1, 0.1, 0.1]


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize(
    "patience, factor, min_delta, min_rate", [(3, 0.5, 1e-3, 0.0), (0, 0.1, 0.0, 1e-3), (5, 0.7, 0.02, 0.0)]
)
def test_reduce_on_plateau_follows_keras_loop(mode, patience, factor, min_delta, min_rate):
    """On 300 epochs of a noisy, plateauing curve (with repeated values and NaNs), the rate is Keras's epoch for epoch."""
    rng = np.random.default_rng(patience)
    curve = np.round(np.exp(-np.arange(300) / 60) + rng.normal(0, 0.02, 300), 2)
    curve[rng.integers(0, 300, 5)] = np.nan
    values = [float(v) for v in (curve if mode == "min" else -curve)]
    base = 0.3
    schedule = ReduceOnPlateau(patience, factor, mode=mode, min_delta=min_delta, min_rate=min_rate)
    expected = keras_reduce_lr_on_plateau(
        values, base, mode=mode, patience=patience, factor=factor, min_delta=min_delta, min_lr=min_rate
    )
    got = run_epochs(schedule, values, base)
    assert len(set(expected)) > 3  # the curve does plateau, several times
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)


def test_reduce_on_plateau_hook_registers_with_pluggy_and_never_stops_training():
    """The method is a hookimpl whose arguments match npnet_on_epoch_end; through pluggy it returns no stop request."""
    import pluggy

    from npnet_core import hookspecs

    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    schedule = ReduceOnPlateau(patience=0, factor=0.5)
    manager.register(schedule)
    manager.check_pending()
    results = [manager.hook.npnet_on_epoch_end(network=None, epoch=e, logs={"loss": 1.0}) for e in (1, 2)]
    assert results == [[], []]
    assert schedule.rate(0, 1.0) == 0.5  # the second epoch did not improve: patience 0 reduces at once


@pytest.mark.parametrize(
    "monitor, words",
    [
        ("val_loss", ["'val_loss'", "'loss', 'epoch_time'", "validation_data", "monitor='loss'"]),
        ("f1", ["'f1'", "'loss', 'epoch_time'", "metrics=['f1']", "monitor='loss'"]),
    ],
)
def test_reduce_on_plateau_missing_monitor_says_what_is_there_and_what_to_do(monitor, words):
    """A monitor absent from the logs raises ValidationError naming the keys present and the fix."""
    schedule = ReduceOnPlateau(monitor=monitor)
    with pytest.raises(ValidationError) as info:
        schedule.npnet_on_epoch_end(network=None, epoch=1, logs={"loss": 0.5, "epoch_time": 0.1})
    message = str(info.value)
    assert message.startswith("reduce_on_plateau: ")
    for word in words:
        assert word in message
    assert schedule.state_dict() == {"multiplier": 1.0, "best": None, "wait": 0}


def test_reduce_on_plateau_state_round_trip_through_json():
    """A state saved as JSON after some epochs and loaded into a fresh schedule continues exactly as the original."""
    values = [1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.79, 0.5, 0.5, 0.5, 0.5]
    original = ReduceOnPlateau(patience=3, factor=0.5)
    run_epochs(original, values[:8], 1.0)
    state = original.state_dict()
    assert all(type(v) in (float, int) for v in state.values())
    resumed = ReduceOnPlateau(**original.get_config())
    resumed.load_state_dict(json.loads(json.dumps(state, allow_nan=False)))
    assert resumed.state_dict() == state
    assert run_epochs(resumed, values[8:], 1.0) == run_epochs(original, values[8:], 1.0)
    assert resumed.state_dict() == original.state_dict()


def test_reduce_on_plateau_fresh_state_is_json_and_loads():
    """Before any epoch the best is None (JSON null), and that state loads."""
    schedule = ReduceOnPlateau()
    state = json.loads(json.dumps(schedule.state_dict(), allow_nan=False))
    assert state == {"multiplier": 1.0, "best": None, "wait": 0}
    schedule.load_state_dict(state)


def test_reduce_on_plateau_state_accepts_numpy_numbers():
    """0-d arrays and NumPy scalars, as np.load gives, are read as plain numbers."""
    schedule = ReduceOnPlateau()
    schedule.load_state_dict({"multiplier": np.array(0.25), "best": np.float32(0.5), "wait": np.array(3)})
    assert schedule.state_dict() == {"multiplier": 0.25, "best": 0.5, "wait": 3}
    assert [type(v) for v in schedule.state_dict().values()] == [float, float, int]


@pytest.mark.parametrize(
    "state, words",
    [
        ([1.0, None, 0], ["state must be a dict", "got list"]),
        ({"multiplier": 1.0, "best": None}, ["missing ['wait']"]),
        ({"multiplier": 1.0, "best": None, "wait": 0, "cooldown": 0}, ["unknown ['cooldown']"]),
        ({"multiplier": 2.0, "best": None, "wait": 0}, ["multiplier", "[0, 1]", "got 2.0"]),
        ({"multiplier": math.nan, "best": None, "wait": 0}, ["multiplier", "finite"]),
        ({"multiplier": True, "best": None, "wait": 0}, ["multiplier", "got True"]),
        ({"multiplier": "1", "best": None, "wait": 0}, ["multiplier", "got '1'"]),
        ({"multiplier": 1.0, "best": math.inf, "wait": 0}, ["best", "finite", "got inf"]),
        ({"multiplier": 1.0, "best": "low", "wait": 0}, ["best", "got 'low'"]),
        ({"multiplier": 1.0, "best": None, "wait": -1}, ["wait", "integer >= 0", "got -1"]),
        ({"multiplier": 1.0, "best": None, "wait": 1.5}, ["wait", "integer >= 0", "got 1.5"]),
    ],
)
def test_reduce_on_plateau_refuses_bad_states_and_keeps_its_own(state, words):
    """A bad state raises ValidationError saying what is wrong, and the schedule keeps the state it had."""
    schedule = ReduceOnPlateau(patience=1)
    run_epochs(schedule, [1.0, 1.0, 0.5], 1.0)
    before = schedule.state_dict()
    with pytest.raises(ValidationError) as info:
        schedule.load_state_dict(state)
    message = str(info.value)
    assert message.startswith("reduce_on_plateau: ")
    for word in words:
        assert word in message, message
    assert schedule.state_dict() == before


# -- parameters -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "factory, kwargs, words, numbers",
    [
        (StepDecay, {"step_size": 0}, ["step_size", "integer >= 1", "updates"], {"got": 0}),
        (StepDecay, {"step_size": 2.5}, ["step_size", "integer"], {"got": 2.5}),
        (StepDecay, {"step_size": True}, ["step_size", "got True"], {}),
        (StepDecay, {"step_size": 10, "gamma": 0.0}, ["gamma", "in (0, 1]"], {"got": 0.0, "the usual value is": 0.1}),
        (StepDecay, {"step_size": 10, "gamma": 1.5}, ["gamma", "in (0, 1]"], {"got": 1.5}),
        (ExponentialDecay, {"gamma": -0.5}, ["gamma", "in (0, 1]", "e.g."], {"got": -0.5}),
        (ExponentialDecay, {"gamma": math.nan}, ["gamma"], {"got": math.nan}),
        (ExponentialDecay, {"gamma": "0.9"}, ["gamma", "got '0.9'"], {}),
        (CosineDecay, {"total_steps": 0}, ["total_steps", "integer >= 1", "epochs * batches"], {"got": 0}),
        (CosineDecay, {"total_steps": 100.0}, ["total_steps", "integer"], {"got": 100.0}),
        (CosineDecay, {"total_steps": 10, "final_fraction": 1.5}, ["final_fraction", "in [0, 1]"], {"got": 1.5}),
        (CosineDecay, {"total_steps": 10, "final_fraction": -0.1}, ["final_fraction"], {"got": -0.1}),
        (CosineDecay, {"total_steps": 10, "warmup_steps": -1}, ["warmup_steps", "integer >= 0"], {"got": -1}),
        (
            CosineDecay,
            {"total_steps": 10, "warmup_steps": 10},
            ["warmup_steps must be < total_steps", "raise total_steps", "lower warmup_steps"],
            {"warmup_steps=": 10, "total_steps=": 10},
        ),
        (InverseScaling, {"power": -0.5}, ["power", "finite number >= 0"], {"got": -0.5, "the usual value is": 0.5}),
        (InverseScaling, {"power": math.inf}, ["power", "finite"], {"got": math.inf}),
        (ReduceOnPlateau, {"patience": -1}, ["patience", "integer >= 0"], {"got": -1, "the usual value is": 10}),
        (ReduceOnPlateau, {"factor": 1.0}, ["factor", "in (0, 1)"], {"got": 1.0, "the usual value is": 0.1}),
        (ReduceOnPlateau, {"factor": 0}, ["factor", "in (0, 1)"], {"got": 0}),
        (ReduceOnPlateau, {"monitor": ""}, ["monitor", "non-empty string", "'val_loss'"], {}),
        (ReduceOnPlateau, {"monitor": None}, ["monitor", "got None"], {}),
        (ReduceOnPlateau, {"mode": "auto"}, ["mode", "'min' or 'max'", "got 'auto'"], {}),
        (ReduceOnPlateau, {"min_delta": -1e-4}, ["min_delta", ">= 0"], {"got": -1e-4}),
        (ReduceOnPlateau, {"min_rate": math.inf}, ["min_rate", "finite"], {"got": math.inf}),
    ],
)
def test_bad_parameters_raise_invalid_parameter_error(factory, kwargs, words, numbers):
    """Bad parameters raise InvalidParameterError (a ValueError) naming the schedule, the parameter, the value and a fix."""
    message = assert_hyperparameters_refused(factory, kwargs, words=words, numbers=numbers)
    assert message.startswith(f"{factory.name}: ")


def test_required_parameters_are_required():
    """step, exponential and cosine have no default for what sets their length or speed."""
    for factory in (StepDecay, ExponentialDecay, CosineDecay):
        with pytest.raises(TypeError):
            factory()


CONFIGURED: Dict[str, Callable[[], Any]] = {
    "constant": Constant,
    "step": lambda: StepDecay(7, 0.3),
    "exponential": lambda: ExponentialDecay(0.97),
    "cosine": lambda: CosineDecay(total_steps=90, final_fraction=0.1, warmup_steps=12),
    "inverse_scaling": lambda: InverseScaling(0.7),
    "reduce_on_plateau": lambda: ReduceOnPlateau(4, 0.2, "val_loss", "max", 0.01, 1e-5),
}


@pytest.mark.parametrize("name", sorted(CONFIGURED))
def test_get_config_is_plain_json_and_rebuilds_the_same_rates(name):
    """get_config() holds plain Python values, survives JSON, and rebuilds a schedule with the same rates."""
    schedule = CONFIGURED[name]()
    config = schedule.get_config()
    assert list(config) == list(type(schedule).hyperparameters)
    assert json.loads(json.dumps(config, allow_nan=False)) == config
    rebuilt = type(schedule)(**json.loads(json.dumps(config)))
    assert rebuilt.get_config() == config
    assert [rebuilt.rate(t, 0.1) for t in range(200)] == [schedule.rate(t, 0.1) for t in range(200)]


def test_get_config_from_numpy_numbers_is_plain_python():
    """NumPy integers and floats given as parameters come back from get_config() as int and float."""
    config = CosineDecay(np.int64(100), np.float32(0.5), np.int32(10)).get_config()
    assert config == {"total_steps": 100, "final_fraction": 0.5, "warmup_steps": 10}
    assert [type(v) for v in config.values()] == [int, float, int]
    assert type(StepDecay(np.int64(3), 1).get_config()["gamma"]) is float


def test_repr_shows_the_configuration():
    """repr() reads like the call that builds the schedule."""
    assert (
        repr(CosineDecay(1500, warmup_steps=100))
        == "CosineDecay(total_steps=1500, final_fraction=0.0, warmup_steps=100)"
    )


def test_text_spec_parameters_build_a_schedule():
    """The CLI spec cosine:total_steps=1500,warmup_steps=100 gives ints that the constructor takes."""
    from npnet_core.components import parse_component

    name, params = parse_component("cosine:total_steps=1500,warmup_steps=100")
    schedule = CosineDecay(**params)
    assert (name, schedule.total_steps, schedule.warmup_steps) == ("cosine", 1500, 100)
    assert schedule.rate(0, 0.01) == pytest.approx(0.0001)  # the warm-up's first update: base / 100


@pytest.mark.parametrize("name", sorted(CONFIGURED))
def test_rates_are_finite_and_non_negative_far_out(name):
    """Even after 10**9 updates, every rate is a finite number >= 0 (gamma ** step underflows to 0, never to NaN)."""
    schedule = CONFIGURED[name]()
    for step in (0, 1, 10**3, 10**6, 10**9):
        rate = schedule.rate(step, 0.1)
        assert math.isfinite(rate) and rate >= 0, (step, rate)
