"""Adagrad (Duchi, Hazan & Singer, 2011), as ``torch.optim.Adagrad`` without learning-rate decay.

For parameters ``p`` and gradient ``g``; ``sum`` starts at
``initial_accumulator_value`` in every entry::

    sum <- sum + g**2
    p   <- p - learning_rate * g / (sqrt(sum) + epsilon)

``epsilon`` is added after the square root, as torch does. Each parameter's
step shrinks as its squared gradients accumulate, so Adagrad slows down on
long runs by design. The learning rate is read at every update.

The update runs in place on one preallocated scratch buffer, so after the
first call an update allocates no parameter-sized array.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

import numpy as np

from npnet_core import optimizer_tools as tools

__all__ = ["Adagrad"]

_STATE = tools.StateLayout(arrays=("sum",), source="Adagrad.state_dict()")


class Adagrad(tools.HyperparametersMixin):
    """Adagrad: divide the gradient by the root of the sum of all its squares so far.

    ``Adagrad(learning_rate=lr, initial_accumulator_value=a, epsilon=e)``
    updates as ``torch.optim.Adagrad(params, lr=lr,
    initial_accumulator_value=a, eps=e)`` with torch's ``lr_decay=0`` and
    ``weight_decay=0`` (the defaults are torch's).

    Parameters
    ----------
    learning_rate : float, default 0.01
        Step size, read at every update (a schedule sets it before each one).
    initial_accumulator_value : float, default 0.0
        Where the sum of squared gradients starts, >= 0; a larger value damps
        the first steps.
    epsilon : float, default 1e-10
        Added to ``sqrt(sum)`` for numerical stability.
    """

    name = "adagrad"
    hyperparameters = {
        "learning_rate": tools.Positive(usual=0.01),
        "initial_accumulator_value": tools.NonNegative(usual=0.0, advice="0 starts the sum from zero as torch does"),
        "epsilon": tools.Positive(usual=1e-10),
    }
    learning_rate: float
    initial_accumulator_value: float
    epsilon: float

    def __init__(
        self, learning_rate: float = 0.01, initial_accumulator_value: float = 0.0, epsilon: float = 1e-10
    ) -> None:
        for key, value in tools.check_hyperparameters(self.name, self.hyperparameters, locals()).items():
            setattr(self, key, value)
        self._sum: Optional[np.ndarray] = None
        self._work: Optional[np.ndarray] = None  # scratch, not state

    def update(self, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """Apply one Adagrad step to ``params`` in place (the rule of the module docstring) and return it."""
        tools.check_update_arrays(self.name, params, gradient)
        if self._sum is None:
            self._sum = np.full_like(params, self.initial_accumulator_value)
        else:
            tools.check_state_matches(self.name, "sum", self._sum, params, "Adagrad(**opt.get_config())")
        work = self._work
        if work is None or work.shape != params.shape or work.dtype != params.dtype:
            work = self._work = np.empty_like(params)
        np.multiply(gradient, gradient, out=work)  # sum = sum + g**2
        self._sum += work
        np.sqrt(self._sum, out=work)  # p -= lr * g / (sqrt(sum) + epsilon)
        work += self.epsilon
        np.divide(gradient, work, out=work)
        work *= self.learning_rate
        params -= work
        return params

    def state_dict(self) -> Dict[str, Any]:
        """``{}`` before the first update, then ``{"sum": copy}``."""
        return {} if self._sum is None else {"sum": self._sum.copy()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state of :meth:`state_dict`, checked against its layout first (the array is copied)."""
        self._sum = tools.check_state(self.name, _STATE, state).get("sum")
        self._work = None
