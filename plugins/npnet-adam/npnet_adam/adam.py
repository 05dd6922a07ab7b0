"""The Adam optimizer (Kingma & Ba, 2015), with the optional AMSGrad variant.

Algorithm 1 of the paper, for parameters ``p`` and gradient ``g`` (``m`` and
``v`` start at zero, ``t`` at 0)::

    t <- t + 1
    m <- beta_1 * m + (1 - beta_1) * g
    v <- beta_2 * v + (1 - beta_2) * g**2
    m_hat = m / (1 - beta_1**t)
    v_hat = v / (1 - beta_2**t)
    p <- p - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

AMSGrad (Reddi et al., 2018) keeps ``v_max <- max(v_max, v)`` and uses it in
place of ``v``; it is bias-corrected by ``1 - beta_2**t`` as in PyTorch.

The implementation folds both bias corrections into scalars, which is the same
formula rearranged::

    c = sqrt(1 - beta_2**t)
    p <- p - (learning_rate * c / (1 - beta_1**t)) * m / (sqrt(v) + epsilon * c)

and runs in place on preallocated buffers, so after the first call an update
allocates no parameter-sized array.
"""

from __future__ import annotations

import math
import operator
from typing import Any, Dict, Mapping, Optional

import numpy as np

from npnet_core.errors import ValidationError
from npnet_core.optimizer_tools import (
    check_flag,
    check_fraction,
    check_positive,
    check_state_matches,
    check_update_arrays,
    show_value,
)

__all__ = ["Adam"]


class Adam:
    """Adam: adaptive moment estimation, optionally AMSGrad.

    Parameters
    ----------
    learning_rate : float, default 0.001
        Step size; a finite number > 0.
    beta_1 : float, default 0.9
        Decay of the first-moment (mean) estimate ``m``, in [0, 1).
    beta_2 : float, default 0.999
        Decay of the second-moment (uncentred variance) estimate ``v``, in [0, 1).
    epsilon : float, default 1e-8
        Added to ``sqrt(v_hat)`` for numerical stability; a finite number > 0.
    amsgrad : bool, default False
        Use ``v_max = max(v_max, v)`` in place of ``v`` (AMSGrad).

    Raises
    ------
    npnet_core.errors.InvalidParameterError
        If a hyperparameter has a bad type or value.

    Notes
    -----
    See the module docstring for the formulas. The result agrees with the
    unrearranged Algorithm 1 to within rounding (about 1e-15 relative per step
    in float64). An optimizer belongs to one network: its moments have the
    shape and dtype of that network's parameters.
    """

    name = "adam"

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        amsgrad: bool = False,
    ) -> None:
        # Python floats, so that float32 parameters are never promoted to float64.
        self.learning_rate = check_positive("adam", "learning_rate", learning_rate, usual=0.001)
        self.epsilon = check_positive("adam", "epsilon", epsilon, usual=1e-08)
        self.amsgrad = check_flag("adam", "amsgrad", amsgrad)
        self.beta_1 = check_fraction("adam", "beta_1", beta_1, advice="the usual value is 0.9")
        self.beta_2 = check_fraction("adam", "beta_2", beta_2, advice="the usual value is 0.999")
        self._step = 0
        self._m: Optional[np.ndarray] = None
        self._v: Optional[np.ndarray] = None
        self._v_max: Optional[np.ndarray] = None  # amsgrad only
        self._work: Optional[np.ndarray] = None  # scratch, not state

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def get_config(self) -> Dict[str, Any]:
        """Return the hyperparameters as plain Python values.

        Returns
        -------
        config : dict
            Keys ``learning_rate``, ``beta_1``, ``beta_2``, ``epsilon`` (float)
            and ``amsgrad`` (bool); ``Adam(**config)`` is an equivalent fresh
            optimizer.
        """
        return {
            "learning_rate": self.learning_rate,
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }

    def update(self, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """Apply one Adam step to ``params`` in place and return it.

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
            the moments built by earlier updates. Nothing is changed then.
        """
        self._prepare(params, gradient)
        m, v, work = self._m, self._v, self._work
        assert m is not None and v is not None and work is not None
        b1, b2 = self.beta_1, self.beta_2
        self._step += 1
        t = self._step

        m *= b1  # m = b1 * m + (1 - b1) * g
        np.multiply(gradient, 1.0 - b1, out=work)
        m += work
        v *= b2  # v = b2 * v + (1 - b2) * g**2
        np.multiply(gradient, gradient, out=work)
        work *= 1.0 - b2
        v += work
        if self._v_max is not None:  # amsgrad
            np.maximum(self._v_max, v, out=self._v_max)
            v = self._v_max

        c = math.sqrt(1.0 - b2**t)
        step_size = self.learning_rate * c / (1.0 - b1**t)
        np.sqrt(v, out=work)  # p -= step_size * m / (sqrt(v) + epsilon * c)
        work += self.epsilon * c
        np.divide(m, work, out=work)
        work *= step_size
        params -= work
        return params

    def _prepare(self, params: Any, gradient: Any) -> None:
        """Check the arrays and allocate the buffers on first use."""
        check_update_arrays("adam", params, gradient)
        if self._m is None:
            self._m = np.zeros_like(params)
            self._v = np.zeros_like(params)
            if self.amsgrad:
                self._v_max = np.zeros_like(params)
        else:
            check_state_matches("adam", "moments", self._m, params, "Adam(**opt.get_config())")
        if self._work is None:
            self._work = np.empty_like(params)

    def state_dict(self) -> Dict[str, Any]:
        """Return a copy of the state needed to resume exactly.

        Returns
        -------
        state : dict
            ``{"step": int}`` before the first update; afterwards also
            ``"m"`` and ``"v"`` (and ``"v_max"`` with amsgrad), ndarrays of
            shape (n_params,) with the parameters' dtype.
        """
        state: Dict[str, Any] = {"step": self._step}
        for key, array in (("m", self._m), ("v", self._v), ("v_max", self._v_max)):
            if array is not None:
                state[key] = array.copy()
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state returned by :meth:`state_dict` (the arrays are copied).

        Parameters
        ----------
        state : mapping
            ``{"step": 0}``, or ``{"step": int > 0, "m": ndarray, "v": ndarray}``
            plus ``"v_max"`` when ``amsgrad`` is on; arrays of one shape and
            one floating dtype.

        Raises
        ------
        npnet_core.errors.ValidationError
            If keys are missing or unknown, ``step`` is not an integer >= 0,
            or the arrays are not floating arrays of one shape and dtype.
            Nothing is changed in that case.
        """
        if not isinstance(state, Mapping):
            raise ValidationError(
                f"adam: state must be a dict returned by Adam.state_dict() (got {type(state).__name__})"
            )
        if "step" not in state:
            raise ValidationError("adam: state is missing 'step'; pass a dict returned by Adam.state_dict()")
        try:
            if isinstance(state["step"], (bool, np.bool_)):
                raise TypeError
            step = operator.index(state["step"])
        except TypeError:
            step = -1
        if step < 0:
            raise ValidationError(f"adam: state['step'] must be an integer >= 0 (got {show_value(state['step'])})")

        array_keys = ["m", "v", "v_max"] if self.amsgrad else ["m", "v"]
        expected = {"step", *array_keys} if step > 0 else {"step"}
        unknown = sorted(set(state) - expected, key=str)
        missing = sorted(expected - set(state))
        if unknown or missing:
            problems = []
            if missing:
                problems.append(f"missing {missing!r}")
            if unknown:
                problems.append(f"unknown {unknown!r}")
            hint = "pass a dict returned by Adam.state_dict()"
            if step == 0 and set(unknown) & set(array_keys):
                hint = "moments come with step > 0 only; " + hint
            elif "v_max" in missing:
                hint = "this Adam has amsgrad=True; was the state saved from one with amsgrad=False?"
            elif "v_max" in unknown:
                hint = "this Adam has amsgrad=False; was the state saved from one with amsgrad=True?"
            raise ValidationError(
                f"adam: state keys for step={step} should be {sorted(expected)!r}: {' and '.join(problems)}; {hint}"
            )

        arrays = [state[key] for key in array_keys] if step > 0 else []
        for key, array in zip(array_keys, arrays):
            if not isinstance(array, np.ndarray) or not np.issubdtype(array.dtype, np.floating):
                raise ValidationError(
                    f"adam: state[{key!r}] must be a floating-point ndarray (got {type(array).__name__} "
                    f"{getattr(array, 'dtype', '')}); pass a dict returned by Adam.state_dict()"
                )
        if any(a.shape != arrays[0].shape or a.dtype != arrays[0].dtype for a in arrays):
            found = ", ".join(f"{k}: {a.shape} {a.dtype}" for k, a in zip(array_keys, arrays))
            raise ValidationError(
                f"adam: the state arrays must share one shape and dtype (got {found}); "
                "pass a dict returned by Adam.state_dict()"
            )

        copies = [a.copy() for a in arrays] + [None] * (3 - len(arrays))
        self._step = step
        self._m, self._v, self._v_max = copies
        self._work = None
