"""Learning-rate schedules: ``rate(step, base)`` is the rate of the update at ``step``, from the optimizer's ``base``.

Each formula below is the closed form of its PyTorch, Keras or scikit-learn
counterpart, written with ``t`` for ``step`` (the number of updates before
this one, over all ``fit`` calls) and ``base`` for the optimizer's own
``learning_rate``. Every rate is a finite number >= 0, and > 0 at step 0:
``cosine`` with ``final_fraction=0`` gives 0 from step ``total_steps`` on, and a
decay's ``gamma ** t`` underflows to 0 after very many updates, never to NaN.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Dict, Mapping, Optional

import numpy as np

from npnet_core import optimizer_tools as tools
from npnet_core.errors import InvalidParameterError, ValidationError
from npnet_core.hookspecs import hookimpl

from ._constraints import Choice, Interval, Steps, Text

__all__ = ["Constant", "CosineDecay", "ExponentialDecay", "InverseScaling", "ReduceOnPlateau", "StepDecay"]


class Constant(tools.HyperparametersMixin):
    """``rate = base``: the optimizer's own rate throughout, as without a schedule.

    PyTorch: no scheduler. Keras: a float ``learning_rate``. scikit-learn:
    ``learning_rate="constant"``.
    """

    name = "constant"

    def rate(self, step: int, base: float) -> float:
        return float(base)


class StepDecay(tools.HyperparametersMixin):
    """``rate = base * gamma ** (t // step_size)``: the rate falls by ``gamma`` every ``step_size`` updates.

    PyTorch: ``StepLR(step_size, gamma)`` stepped after each update. Keras:
    ``ExponentialDecay(base, decay_steps=step_size, decay_rate=gamma, staircase=True)``.

    Parameters
    ----------
    step_size : int >= 1
        Updates between two decays.
    gamma : float in (0, 1], default 0.1
        The factor of each decay.
    """

    name = "step"
    hyperparameters = {
        "step_size": Steps(1, advice="it counts updates (batches), e.g. 10 epochs' worth"),
        "gamma": Interval(0.0, 1.0, low_open=True, advice="the usual value is 0.1"),
    }

    def __init__(self, step_size: int, gamma: float = 0.1) -> None:
        config = tools.check_hyperparameters(self.name, self.hyperparameters, locals())
        self.step_size, self.gamma = config["step_size"], config["gamma"]

    def rate(self, step: int, base: float) -> float:
        return float(base) * self.gamma ** (step // self.step_size)


class ExponentialDecay(tools.HyperparametersMixin):
    """``rate = base * gamma ** t``: the rate falls by ``gamma`` at every update.

    PyTorch: ``ExponentialLR(gamma)`` stepped after each update. Keras:
    ``ExponentialDecay(base, decay_steps=1, decay_rate=gamma)``.

    Parameters
    ----------
    gamma : float in (0, 1]
        The factor of each update; ``gamma = 0.5 ** (1 / h)`` halves the rate every ``h`` updates.
    """

    name = "exponential"
    hyperparameters = {
        "gamma": Interval(
            0.0, 1.0, low_open=True, advice="give a factor close to 1, e.g. 0.999 to halve the rate every 693 updates"
        )
    }

    def __init__(self, gamma: float) -> None:
        self.gamma = tools.check_hyperparameters(self.name, self.hyperparameters, locals())["gamma"]

    def rate(self, step: int, base: float) -> float:
        return float(base) * self.gamma**step


class CosineDecay(tools.HyperparametersMixin):
    """Cosine annealing from ``base`` to ``final = final_fraction * base`` over ``total_steps`` updates, after a linear warm-up.

    With ``W = warmup_steps``, ``T = total_steps - W`` and ``s = t - W``::

        t < W:        rate = base * (t + 1) / W
        W <= t < T+W: rate = final + (base - final) * (1 + cos(pi * s / T)) / 2
        t >= T+W:     rate = final

    So ``total_steps`` counts the warm-up too, and the rate stays at ``final``
    after ``total_steps`` updates (0 with ``final_fraction=0``: further
    training leaves the parameters as they are).

    PyTorch (``W = 0``): ``CosineAnnealingLR(T_max=total_steps, eta_min=final)`` up
    to ``total_steps``, where PyTorch's rate would rise again. Keras (``W = 0``):
    ``CosineDecay(base, decay_steps=total_steps, alpha=final_fraction)``.

    Parameters
    ----------
    total_steps : int >= 1
        Updates from the first to the end of the decay, warm-up included.
    final_fraction : float in [0, 1], default 0.0
        The final rate, as a fraction of ``base``.
    warmup_steps : int >= 0 and < total_steps, default 0
        Updates of linear warm-up, from ``base / W`` up to ``base``.
    """

    name = "cosine"
    hyperparameters = {
        "total_steps": Steps(1, advice="give the number of updates of the whole training, epochs * batches per epoch"),
        "final_fraction": Interval(0.0, 1.0, advice="the usual value is 0.0 (decay to 0)"),
        "warmup_steps": Steps(0, advice="the usual value is 0 (no warm-up)"),
    }

    def __init__(self, total_steps: int, final_fraction: float = 0.0, warmup_steps: int = 0) -> None:
        config = tools.check_hyperparameters(self.name, self.hyperparameters, locals())
        if config["warmup_steps"] >= config["total_steps"]:
            raise InvalidParameterError(
                f"{self.name}: warmup_steps must be < total_steps, which counts the warm-up too "
                f"(got warmup_steps={config['warmup_steps']}, total_steps={config['total_steps']}); "
                "raise total_steps to the whole training's number of updates, or lower warmup_steps"
            )
        self.total_steps, self.final_fraction = config["total_steps"], config["final_fraction"]
        self.warmup_steps = config["warmup_steps"]

    def rate(self, step: int, base: float) -> float:
        base = float(base)
        warmup = self.warmup_steps
        if step < warmup:
            return base * (step + 1) / warmup
        final = self.final_fraction * base
        length, since = self.total_steps - warmup, step - warmup
        if since >= length:
            return final
        return final + (base - final) * (1.0 + math.cos(math.pi * since / length)) / 2.0


class InverseScaling(tools.HyperparametersMixin):
    """``rate = base / (t + 1) ** power``.

    scikit-learn: ``learning_rate="invscaling"`` with ``power_t=power``
    (``SGDOptimizer.iteration_ends(t)``), where ``t`` counts updates here.

    Parameters
    ----------
    power : float >= 0, default 0.5
        The exponent; 0 keeps the rate at ``base``.
    """

    name = "inverse_scaling"
    hyperparameters = {"power": Interval(0.0, advice="the usual value is 0.5 (scikit-learn's power_t)")}

    def __init__(self, power: float = 0.5) -> None:
        self.power = tools.check_hyperparameters(self.name, self.hyperparameters, locals())["power"]

    def rate(self, step: int, base: float) -> float:
        return float(base) / (step + 1) ** self.power


def _state_number(owner: str, key: str, value: Any) -> float:
    """A finite number of a state (0-d arrays, as ``np.load`` gives, too) as a float; bools are refused."""
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValidationError(
            f"{owner}: state[{key!r}] must be a finite number (got {tools.show_value(value)}); "
            "pass a dict returned by ReduceOnPlateau.state_dict()"
        )
    return float(value)


class ReduceOnPlateau(tools.HyperparametersMixin):
    """``rate = max(base * multiplier, min(min_rate, base))``, the multiplier falling by ``factor`` on each plateau.

    The multiplier starts at 1. At each epoch end, ``logs[monitor]`` improves
    when it is below the best value so far minus ``min_delta`` (``mode="min"``)
    or above it plus ``min_delta`` (``mode="max"``; the first value always
    improves, a NaN never does). After ``patience`` epochs in a row without
    improvement, the multiplier is multiplied by ``factor`` and the count starts
    again. A ``base`` at or below ``min_rate`` is never reduced.

    Keras: ``ReduceLROnPlateau(monitor, factor, patience, mode, min_delta,
    cooldown=0, min_lr=min_rate)``, which it follows epoch for epoch. PyTorch:
    ``ReduceLROnPlateau(mode, factor, patience=patience - 1, threshold=min_delta,
    threshold_mode="abs", min_lr=min_rate)`` (PyTorch reduces after more than
    ``patience`` bad epochs, Keras after ``patience``).

    The multiplier, the best value and the count of epochs without improvement
    are the state (``state_dict()``), saved with the model. It never stops
    training.

    Parameters
    ----------
    patience : int >= 0, default 10
        Epochs without improvement before a reduction.
    factor : float in (0, 1), default 0.1
    monitor : str, default "loss"
        The key of the epoch logs watched: ``loss``, ``val_loss`` (with
        validation data), ``accuracy``, or a metric given to ``fit``.
    mode : "min" or "max", default "min"
        Whether lower or greater values of ``monitor`` are better.
    min_delta : float >= 0, default 1e-4
        The smallest change that counts as an improvement (absolute).
    min_rate : float >= 0, default 0.0
        The rate never goes below it.
    """

    name = "reduce_on_plateau"
    hyperparameters = {
        "patience": Steps(0, advice="the usual value is 10 (epochs)"),
        "factor": Interval(0.0, 1.0, low_open=True, high_open=True, advice="the usual value is 0.1"),
        "monitor": Text(advice="give a key of the epoch logs: 'loss', 'val_loss' or a metric's name"),
        "mode": Choice(("min", "max")),
        "min_delta": Interval(0.0, advice="the usual value is 1e-4"),
        "min_rate": Interval(0.0, advice="the usual value is 0.0"),
    }

    def __init__(
        self,
        patience: int = 10,
        factor: float = 0.1,
        monitor: str = "loss",
        mode: str = "min",
        min_delta: float = 1e-4,
        min_rate: float = 0.0,
    ) -> None:
        config = tools.check_hyperparameters(self.name, self.hyperparameters, locals())
        self.patience, self.factor, self.monitor = config["patience"], config["factor"], config["monitor"]
        self.mode, self.min_delta, self.min_rate = config["mode"], config["min_delta"], config["min_rate"]
        self._multiplier = 1.0
        self._best: Optional[float] = None
        self._wait = 0

    def rate(self, step: int, base: float) -> float:
        base = float(base)
        return max(base * self._multiplier, min(self.min_rate, base))

    @hookimpl
    def npnet_on_epoch_end(self, network: Any, epoch: int, logs: Mapping[str, Any]) -> None:
        """Count the epoch as an improvement of ``logs[monitor]`` or not; reduce after ``patience`` without."""
        if self.monitor not in logs:
            found = ", ".join(repr(key) for key in logs) or "nothing"
            advice = (
                "give fit validation data (validation_data=(x_val, y_val) or validation_split=0.1)"
                if self.monitor.startswith("val_")
                else f"give fit the metric (metrics=[{self.monitor!r}])"
            )
            raise ValidationError(
                f"{self.name}: monitor={self.monitor!r} is not in the epoch's logs (found {found}); "
                f"{advice}, or monitor a key found, e.g. monitor='loss'"
            )
        current = float(logs[self.monitor])
        if math.isfinite(current) and self._improves(current):
            self._best, self._wait = current, 0
            return
        self._wait += 1
        if self._wait >= self.patience:
            self._multiplier *= self.factor
            self._wait = 0

    def _improves(self, current: float) -> bool:
        if self._best is None:
            return True
        if self.mode == "min":
            return current < self._best - self.min_delta
        return current > self._best + self.min_delta

    def state_dict(self) -> Dict[str, Any]:
        """Return ``{"multiplier": float, "best": float or None (no epoch yet), "wait": int}``: plain JSON."""
        return {"multiplier": self._multiplier, "best": self._best, "wait": self._wait}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state returned by :meth:`state_dict`; a bad one raises ValidationError and changes nothing."""
        advice = "pass a dict returned by ReduceOnPlateau.state_dict()"
        if not isinstance(state, Mapping):
            raise ValidationError(f"{self.name}: state must be a dict (got {type(state).__name__}); {advice}")
        expected = {"multiplier", "best", "wait"}
        if set(state) != expected:
            problems = [f"missing {sorted(expected - set(state))!r}"] if expected - set(state) else []
            problems += [f"unknown {sorted(set(state) - expected, key=str)!r}"] if set(state) - expected else []
            raise ValidationError(
                f"{self.name}: state keys should be {sorted(expected)!r}: {' and '.join(problems)}; {advice}"
            )
        multiplier = _state_number(self.name, "multiplier", state["multiplier"])
        if not 0.0 <= multiplier <= 1.0:
            raise ValidationError(
                f"{self.name}: state['multiplier'] must be in [0, 1], a product of factors < 1 "
                f"(got {tools.show_value(multiplier)}); {advice}"
            )
        best = None if state["best"] is None else _state_number(self.name, "best", state["best"])
        wait = tools.Count(minimum=0).check(self.name, "wait", state["wait"])
        self._multiplier, self._best, self._wait = multiplier, best, wait
