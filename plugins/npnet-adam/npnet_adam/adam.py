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
from typing import Any, Dict, Mapping, Optional

import numpy as np

from npnet_core import optimizer_tools as tools

__all__ = ["Adam"]

#: The state with amsgrad off and on: ``step``, and the moments once ``step`` > 0.
_STATE = {
    amsgrad: tools.StateLayout(
        arrays=("m", "v", "v_max") if amsgrad else ("m", "v"),
        counters={"step": tools.Count(minimum=0)},
        step="step",
        hints={"v_max": f"this Adam has amsgrad={amsgrad}; was the state saved from one with amsgrad={not amsgrad}?"},
        source="Adam.state_dict()",
    )
    for amsgrad in (False, True)
}


class Adam(tools.HyperparametersMixin):
    """Adam: adaptive moment estimation, optionally AMSGrad.

    Parameters
    ----------
    learning_rate : float, default 0.001
        Step size.
    beta_1 : float, default 0.9
        Decay of the first-moment (mean) estimate ``m``.
    beta_2 : float, default 0.999
        Decay of the second-moment (uncentred variance) estimate ``v``.
    epsilon : float, default 1e-8
        Added to ``sqrt(v_hat)`` for numerical stability.
    amsgrad : bool, default False
        Use ``v_max = max(v_max, v)`` in place of ``v`` (AMSGrad).

    Notes
    -----
    The result agrees with the unrearranged Algorithm 1 to
    within rounding (about 1e-15 relative per step in float64).
    """

    name = "adam"
    hyperparameters = {
        "learning_rate": tools.Positive(usual=0.001),
        "beta_1": tools.Fraction(usual=0.9),
        "beta_2": tools.Fraction(usual=0.999),
        "epsilon": tools.Positive(usual=1e-8),
        "amsgrad": tools.Flag(),
    }

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        amsgrad: bool = False,
    ) -> None:
        config = tools.check_hyperparameters(self.name, self.hyperparameters, locals())
        self.learning_rate, self.beta_1, self.beta_2 = config["learning_rate"], config["beta_1"], config["beta_2"]
        self.epsilon, self.amsgrad = config["epsilon"], config["amsgrad"]
        self._step = 0
        self._m: Optional[np.ndarray] = None
        self._v: Optional[np.ndarray] = None
        self._v_max: Optional[np.ndarray] = None  # amsgrad only
        self._work: Optional[np.ndarray] = None  # scratch, not state

    def update(self, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """Apply one Adam step to ``params`` in place (the folded formula of the module docstring)."""
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
        tools.check_update_arrays("adam", params, gradient)
        if self._m is None:
            self._m = np.zeros_like(params)
            self._v = np.zeros_like(params)
            if self.amsgrad:
                self._v_max = np.zeros_like(params)
        else:
            tools.check_state_matches("adam", "moments", self._m, params, "Adam(**opt.get_config())")
        if self._work is None:
            self._work = np.empty_like(params)

    def state_dict(self) -> Dict[str, Any]:
        """``{"step": t}``, and once t > 0 copies of ``m`` and ``v`` (and ``v_max`` with amsgrad)."""
        state: Dict[str, Any] = {"step": self._step}
        for key, array in (("m", self._m), ("v", self._v), ("v_max", self._v_max)):
            if array is not None:
                state[key] = array.copy()
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state of :meth:`state_dict`, checked against its layout (``_STATE``) first."""
        checked = tools.check_state(self.name, _STATE[self.amsgrad], state)
        self._step = checked["step"]
        self._m, self._v, self._v_max = (checked.get(key) for key in ("m", "v", "v_max"))
        self._work = None
