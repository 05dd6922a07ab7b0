"""Stochastic gradient descent with optional classical or Nesterov momentum.

The update rules, for parameters ``p``, gradient ``g``, learning rate ``lr``
and momentum ``mu`` (the velocity ``v`` starts at zero):

* plain (``mu == 0``): ``p <- p - lr * g``
* momentum: ``v <- mu * v - lr * g``; ``p <- p + v``
* Nesterov (the Keras formulation): ``v <- mu * v - lr * g``;
  ``p <- p + mu * v - lr * g`` (computed as ``(p - lr * g) + mu * v`` so that
  one scratch buffer suffices; equal to the Keras result up to rounding)

The updates run in place on preallocated buffers, so after the first call an
update allocates no parameter-sized array.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

import numpy as np

from npnet_core import optimizer_tools as tools
from npnet_core.errors import InvalidParameterError

__all__ = ["SGD"]

#: The state without and with momentum: nothing, or the velocity once an update has run.
_STATE = {
    False: tools.StateLayout(
        hints={"velocity": "with momentum=0 SGD keeps no state; was this state saved from an SGD with momentum > 0?"},
        source="SGD.state_dict()",
    ),
    True: tools.StateLayout(arrays=("velocity",), source="SGD.state_dict()"),
}


class SGD(tools.HyperparametersMixin):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    Parameters
    ----------
    learning_rate : float, default 0.01
        Step size ``lr``.
    momentum : float, default 0.0
        Velocity decay ``mu``. With 0 the optimizer keeps no state.
    nesterov : bool, default False
        Use Nesterov momentum (requires ``momentum > 0``).

    Notes
    -----
    With the defaults, and with any momentum when
    ``nesterov=False``, the result is bit-identical to the article's
    ``delta = mu * delta - lr * g; p = p + delta``.
    """

    name = "sgd"
    hyperparameters = {
        "learning_rate": tools.Positive(usual=0.01),
        "momentum": tools.Fraction(advice="use 0.0 for plain SGD or a value like 0.9"),
        "nesterov": tools.Flag(),
    }

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False) -> None:
        config = tools.check_hyperparameters(self.name, self.hyperparameters, locals())
        self.learning_rate, self.momentum = config["learning_rate"], config["momentum"]
        self.nesterov = config["nesterov"]
        if self.nesterov and self.momentum == 0:
            raise InvalidParameterError(
                "sgd: nesterov=True requires momentum > 0 (got momentum=0.0); "
                "set momentum, e.g. 0.9, or use nesterov=False"
            )
        self._velocity: Optional[np.ndarray] = None  # the state (momentum > 0 only)
        self._work: Optional[np.ndarray] = None  # scratch for lr * g, not state

    def update(self, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """Apply one step to ``params`` in place (the rules of the module docstring)."""
        tools.check_update_arrays("sgd", params, gradient)
        if self.momentum > 0:
            if self._velocity is None:
                self._velocity = np.zeros_like(params)
            else:
                tools.check_state_matches("sgd", "velocity", self._velocity, params, "SGD(**opt.get_config())")
        work = self._work
        if work is None or work.shape != params.shape or work.dtype != params.dtype:
            work = self._work = np.empty_like(params)
        np.multiply(gradient, self.learning_rate, out=work)  # lr * g
        if self.momentum == 0:
            params -= work
            return params
        velocity = self._velocity
        assert velocity is not None
        velocity *= self.momentum  # v = mu * v - lr * g
        velocity -= work
        if self.nesterov:  # p = p - lr * g + mu * v
            params -= work
            np.multiply(velocity, self.momentum, out=work)
            params += work
        else:  # p = p + v
            params += velocity
        return params

    def state_dict(self) -> Dict[str, Any]:
        """``{}``, or ``{"velocity": copy}`` once an update with momentum > 0 has run."""
        return {} if self._velocity is None else {"velocity": self._velocity.copy()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state of :meth:`state_dict`, checked against its layout (``_STATE``) first."""
        self._velocity = tools.check_state(self.name, _STATE[self.momentum > 0], state).get("velocity")
