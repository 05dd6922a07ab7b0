"""RMSprop (Tieleman & Hinton, 2012), with optional centring and momentum, as ``torch.optim.RMSprop``.

For parameters ``p`` and gradient ``g``, with ``rho`` the decay of the running
mean of ``g**2`` (torch's ``alpha``); the arrays start at zero::

    square_avg <- rho * square_avg + (1 - rho) * g**2
    if centered:
        grad_avg <- rho * grad_avg + (1 - rho) * g
        denom = sqrt(square_avg - grad_avg**2) + epsilon
    else:
        denom = sqrt(square_avg) + epsilon
    if momentum > 0:
        momentum_buffer <- momentum * momentum_buffer + g / denom
        p <- p - learning_rate * momentum_buffer
    else:
        p <- p - learning_rate * g / denom

``epsilon`` is added *after* the square root, as torch does. The learning rate is read at every update and multiplies the
momentum buffer, which itself does not hold it, as in torch: a schedule's
new rate applies to the whole step at once.

The updates run in place on one preallocated scratch buffer, so after the
first call an update allocates no parameter-sized array.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple

import numpy as np

from npnet_core import optimizer_tools as tools

__all__ = ["RMSprop"]


def _state_layout(momentum: float, centered: bool) -> tools.StateLayout:
    """The state of an RMSprop with this momentum and centring: all its arrays once it has updated, or none."""
    arrays: Tuple[str, ...] = ("square_avg",)
    arrays += ("momentum_buffer",) if momentum > 0 else ()
    arrays += ("grad_avg",) if centered else ()
    saved_from = "momentum = 0" if momentum > 0 else "momentum > 0"
    return tools.StateLayout(
        arrays=arrays,
        hints={
            "momentum_buffer": f"this RMSprop has momentum={momentum}; was the state saved from one with {saved_from}?",
            "grad_avg": f"this RMSprop has centered={centered}; was the state saved from one with centered={not centered}?",
        },
        source="RMSprop.state_dict()",
    )


class RMSprop(tools.HyperparametersMixin):
    """RMSprop: divide the gradient by a running root mean square of its recent values.

    ``RMSprop(learning_rate=lr, rho=r, epsilon=e, momentum=m, centered=c)``
    updates as ``torch.optim.RMSprop(params, lr=lr, alpha=r, eps=e,
    momentum=m, centered=c)`` (the defaults are torch's).

    Parameters
    ----------
    learning_rate : float, default 0.01
        Step size, read at every update (a schedule sets it before each one).
    rho : float, default 0.99
        Decay of the running means, in [0, 1) (torch's ``alpha``).
    epsilon : float, default 1e-8
        Added to the square root of the (centred) running mean square.
    momentum : float, default 0.0
        Decay of the momentum buffer, in [0, 1); 0 keeps no buffer.
    centered : bool, default False
        Divide by an estimate of the standard deviation of the gradient
        (``sqrt(square_avg - grad_avg**2)``) rather than its root mean square.

    Notes
    -----
    With ``centered=True`` and a gradient that stays exactly the same over
    thousands of updates, ``square_avg - grad_avg**2`` falls to rounding
    noise and may round below zero; its square root is then NaN, as in
    torch, and training stops with ``DivergenceError``.
    """

    name = "rmsprop"
    hyperparameters = {
        "learning_rate": tools.Positive(usual=0.01),
        "rho": tools.Fraction(usual=0.99),
        "epsilon": tools.Positive(usual=1e-8),
        "momentum": tools.Fraction(advice="use 0.0 for no momentum or a value like 0.9"),
        "centered": tools.Flag(),
    }
    learning_rate: float
    rho: float
    epsilon: float
    momentum: float
    centered: bool

    def __init__(
        self,
        learning_rate: float = 0.01,
        rho: float = 0.99,
        epsilon: float = 1e-8,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        for key, value in tools.check_hyperparameters(self.name, self.hyperparameters, locals()).items():
            setattr(self, key, value)
        self._square_avg: Optional[np.ndarray] = None
        self._momentum_buffer: Optional[np.ndarray] = None  # momentum > 0 only
        self._grad_avg: Optional[np.ndarray] = None  # centered only
        self._work: Optional[np.ndarray] = None  # scratch, not state

    def update(self, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """Apply one RMSprop step to ``params`` in place (the rules of the module docstring) and return it."""
        tools.check_update_arrays(self.name, params, gradient)
        if self._square_avg is None:
            self._square_avg = np.zeros_like(params)
            if self.momentum > 0:
                self._momentum_buffer = np.zeros_like(params)
            if self.centered:
                self._grad_avg = np.zeros_like(params)
        else:
            tools.check_state_matches(self.name, "state", self._square_avg, params, "RMSprop(**opt.get_config())")
        work = self._work
        if work is None or work.shape != params.shape or work.dtype != params.dtype:
            work = self._work = np.empty_like(params)
        rho = self.rho

        square_avg = self._square_avg  # square_avg = rho * square_avg + (1 - rho) * g**2
        square_avg *= rho
        np.multiply(gradient, gradient, out=work)
        work *= 1.0 - rho
        square_avg += work
        if self._grad_avg is not None:  # centered
            grad_avg = self._grad_avg  # grad_avg = rho * grad_avg + (1 - rho) * g
            grad_avg *= rho
            np.multiply(gradient, 1.0 - rho, out=work)
            grad_avg += work
            np.multiply(grad_avg, grad_avg, out=work)  # denom = sqrt(square_avg - grad_avg**2) + epsilon
            np.subtract(square_avg, work, out=work)
            with np.errstate(invalid="ignore"):  # below zero by rounding: NaN, as in torch (see Notes)
                np.sqrt(work, out=work)
        else:
            np.sqrt(square_avg, out=work)  # denom = sqrt(square_avg) + epsilon
        work += self.epsilon
        np.divide(gradient, work, out=work)  # g / denom
        if self._momentum_buffer is not None:  # buffer = momentum * buffer + g / denom; p -= lr * buffer
            buffer = self._momentum_buffer
            buffer *= self.momentum
            buffer += work
            np.multiply(buffer, self.learning_rate, out=work)
        else:  # p -= lr * g / denom
            work *= self.learning_rate
        params -= work
        return params

    def state_dict(self) -> Dict[str, Any]:
        """``{}`` before the first update, then copies of ``square_avg`` (and ``momentum_buffer``, ``grad_avg``)."""
        state: Dict[str, Any] = {}
        for key, array in (
            ("square_avg", self._square_avg),
            ("momentum_buffer", self._momentum_buffer),
            ("grad_avg", self._grad_avg),
        ):
            if array is not None:
                state[key] = array.copy()
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state of :meth:`state_dict`, checked against its layout first (arrays are copied)."""
        checked = tools.check_state(self.name, _state_layout(self.momentum, self.centered), state)
        self._square_avg, self._momentum_buffer, self._grad_avg = (
            checked.get(key) for key in ("square_avg", "momentum_buffer", "grad_avg")
        )
        self._work = None
