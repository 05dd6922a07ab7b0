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

from npnet_core.errors import InvalidParameterError, ValidationError
from npnet_core.optimizer_tools import (
    check_flag,
    check_fraction,
    check_positive,
    check_state_matches,
    check_update_arrays,
)

__all__ = ["SGD"]


class SGD:
    """Stochastic gradient descent with optional (Nesterov) momentum.

    Parameters
    ----------
    learning_rate : float, default 0.01
        Step size ``lr``; a finite number > 0.
    momentum : float, default 0.0
        Velocity decay ``mu`` in [0, 1). With 0 the optimizer keeps no state.
    nesterov : bool, default False
        Use Nesterov momentum (requires ``momentum > 0``).

    Raises
    ------
    npnet_core.errors.InvalidParameterError
        If a hyperparameter has a bad type or value.

    Notes
    -----
    ``v <- mu * v - lr * g``, then ``p <- p + v`` (classical) or
    ``p <- p + mu * v - lr * g`` (Nesterov). With the defaults, and with any
    momentum when ``nesterov=False``, the result is bit-identical to
    ``delta = mu * delta - lr * g; p = p + delta``.

    An optimizer with momentum belongs to one network: its velocity has the
    shape and dtype of that network's parameters.
    """

    name = "sgd"

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False) -> None:
        # Python floats, so that float32 parameters are never promoted to float64.
        self.learning_rate = check_positive("sgd", "learning_rate", learning_rate, usual=0.01)
        self.momentum = check_fraction("sgd", "momentum", momentum, advice="use 0.0 for plain SGD or a value like 0.9")
        self.nesterov = check_flag("sgd", "nesterov", nesterov)
        if self.nesterov and self.momentum == 0:
            raise InvalidParameterError(
                "sgd: nesterov=True requires momentum > 0 (got momentum=0.0); "
                "set momentum, e.g. 0.9, or use nesterov=False"
            )
        self._velocity: Optional[np.ndarray] = None  # the state (momentum > 0 only)
        self._work: Optional[np.ndarray] = None  # scratch for lr * g, not state

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def get_config(self) -> Dict[str, Any]:
        """Return the hyperparameters as plain Python values.

        Returns
        -------
        config : dict
            ``{"learning_rate": float, "momentum": float, "nesterov": bool}``;
            ``SGD(**config)`` is an equivalent fresh optimizer.
        """
        return {"learning_rate": self.learning_rate, "momentum": self.momentum, "nesterov": self.nesterov}

    def update(self, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """Apply one step to ``params`` in place and return it.

        Parameters
        ----------
        params : ndarray of shape (n_params,), floating dtype
            Updated in place; its dtype is kept (float32 stays float32).
        gradient : ndarray of shape (n_params,)
            Gradient of the loss with respect to ``params``; not modified.

        Returns
        -------
        params : ndarray of shape (n_params,)
            The same object as the ``params`` argument.

        Raises
        ------
        npnet_core.errors.ValidationError
            If ``params`` is not a writeable floating array, if ``gradient``
            has another shape, or if ``params`` differs in shape or dtype from
            the velocity built by earlier updates.
        """
        check_update_arrays("sgd", params, gradient)
        if self.momentum > 0:
            if self._velocity is None:
                self._velocity = np.zeros_like(params)
            else:
                check_state_matches("sgd", "velocity", self._velocity, params, "SGD(**opt.get_config())")
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
        """Return a copy of the state needed to resume exactly.

        Returns
        -------
        state : dict
            ``{"velocity": ndarray of shape (n_params,)}`` once an update with
            momentum > 0 has run, otherwise ``{}``.
        """
        return {} if self._velocity is None else {"velocity": self._velocity.copy()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state returned by :meth:`state_dict` (the arrays are copied).

        Parameters
        ----------
        state : mapping
            ``{}`` (a fresh optimizer) or, with momentum > 0,
            ``{"velocity": ndarray of shape (n_params,)}``.

        Raises
        ------
        npnet_core.errors.ValidationError
            If ``state`` has unknown keys or a velocity that is not a floating
            array. Nothing is changed in that case.
        """
        if not isinstance(state, Mapping):
            raise ValidationError(
                f"sgd: state must be a dict returned by SGD.state_dict() (got {type(state).__name__})"
            )
        allowed = {"velocity"} if self.momentum > 0 else set()
        unknown = sorted(set(state) - allowed, key=str)
        if unknown:
            hint = (
                "with momentum=0 SGD keeps no state; was this state saved from an SGD with momentum > 0?"
                if self.momentum == 0
                else "the only state of SGD is 'velocity'"
            )
            raise ValidationError(f"sgd: unknown state key(s) {unknown!r}; {hint}")
        velocity = state.get("velocity")
        if velocity is not None and not (
            isinstance(velocity, np.ndarray) and np.issubdtype(velocity.dtype, np.floating)
        ):
            raise ValidationError(
                f"sgd: state['velocity'] must be a floating-point ndarray (got {type(velocity).__name__} "
                f"{getattr(velocity, 'dtype', '')}); pass a dict returned by SGD.state_dict()"
            )
        self._velocity = None if velocity is None else velocity.copy()
