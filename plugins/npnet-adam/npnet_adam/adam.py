"""The Adam optimizer (Kingma & Ba, 2015), with the optional AMSGrad variant, and AdamW.

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

AdamW (Loshchilov & Hutter, 2019) first decays the parameters, then makes the
same Adam step, as ``torch.optim.AdamW`` does::

    p <- p * (1 - learning_rate * weight_decay)

With numba installed (``pip install npnet-adam[fast]``), Adam, AdamW and Adamax
update float32 and float64 parameter vectors in one fused pass over the
parameters, the gradient and the state (:mod:`npnet_adam._kernels`) instead of
the NumPy path's dozen passes; the operations and their order are the same, so
are the results, to the last bit. ``NPNET_ADAM_NUMBA=0`` in the environment
keeps the NumPy path (:mod:`npnet_adam._fast`); ``update_path`` tells which path
an optimizer's last update took.
"""

from __future__ import annotations

import math
from typing import Any, Dict, Mapping, Optional, Tuple

import numpy as np

from npnet_core import optimizer_tools as tools

from . import _fast

__all__ = ["Adam", "AdamW", "Adamax"]


def _state_layout(owner: str, amsgrad: bool) -> tools.StateLayout:
    """The state of ``owner`` (a class name): ``step``, and the moments once ``step`` > 0."""
    return tools.StateLayout(
        arrays=("m", "v", "v_max") if amsgrad else ("m", "v"),
        counters={"step": tools.Count(minimum=0)},
        step="step",
        hints={
            "v_max": f"this {owner} has amsgrad={amsgrad}; was the state saved from one with amsgrad={not amsgrad}?"
        },
        source=f"{owner}.state_dict()",
    )


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

    Attributes
    ----------
    update_path : str or None
        ``"numba"`` if the last update ran the fused kernel, ``"numpy"`` if it
        ran the NumPy path, None before the first update. Informative only: the
        two give the same results, and it is not part of the state.

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
    learning_rate: float
    beta_1: float
    beta_2: float
    epsilon: float
    amsgrad: bool
    update_path: Optional[str] = None

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        amsgrad: bool = False,
    ) -> None:
        self._configure(locals())

    def _configure(self, values: Mapping[str, Any]) -> None:
        """Check ``values`` (``__init__``'s locals) against :attr:`hyperparameters`, keep them, and reset the state."""
        for key, value in tools.check_hyperparameters(self.name, self.hyperparameters, values).items():
            setattr(self, key, value)
        self._step = 0
        self._m: Optional[np.ndarray] = None
        self._v: Optional[np.ndarray] = None
        self._v_max: Optional[np.ndarray] = None  # amsgrad only
        self._work: Optional[np.ndarray] = None  # scratch, not state

    def update(self, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """Apply one Adam step to ``params`` in place (the folded formula of the module docstring)."""
        self._prepare(params, gradient)
        fused = _fast.kernels()
        if fused is not None and _fast.fusable(params, gradient, self._scalars()):
            return self._fused_step(fused, params, gradient, 1.0)
        self.update_path = "numpy"
        return self._adam_step(params, gradient)

    def _scalars(self) -> Tuple[Any, ...]:
        """The hyperparameters the update computes with, for :func:`~npnet_adam._fast.fusable`."""
        return (self.learning_rate, self.beta_1, self.beta_2, self.epsilon)

    def _fused_step(self, fused: Any, params: np.ndarray, gradient: np.ndarray, decay: float) -> np.ndarray:
        """``params *= decay``, then the Adam step, in one pass of the numba kernel; the same scalars as
        :meth:`_adam_step`, cast to the parameters' dtype as NumPy casts them."""
        m, v = self._m, self._v
        assert m is not None and v is not None
        b1, b2 = self.beta_1, self.beta_2
        self._step += 1
        t = self._step
        c = math.sqrt(1.0 - b2**t)
        step_size = self.learning_rate * c / (1.0 - b1**t)
        cast = params.dtype.type
        scalars = (cast(b1), cast(1.0 - b1), cast(b2), cast(1.0 - b2), cast(self.epsilon * c), cast(step_size))
        if self._v_max is None:
            fused.adam(params, gradient, m, v, *scalars, cast(decay))
        else:
            fused.adam_amsgrad(params, gradient, m, v, self._v_max, *scalars, cast(decay))
        self.update_path = "numba"
        return params

    def _adam_step(self, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """The Adam step, on arrays checked by :meth:`_prepare`."""
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
        tools.check_update_arrays(self.name, params, gradient)
        if self._m is None:
            self._m = np.zeros_like(params)
            self._v = np.zeros_like(params)
            if self.amsgrad:
                self._v_max = np.zeros_like(params)
        else:
            fresh = f"{type(self).__name__}(**opt.get_config())"
            tools.check_state_matches(self.name, "moments", self._m, params, fresh)
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
        """Restore a state of :meth:`state_dict`, checked against its layout (:func:`_state_layout`) first."""
        checked = tools.check_state(self.name, _state_layout(type(self).__name__, self.amsgrad), state)
        self._step = checked["step"]
        self._m, self._v, self._v_max = (checked.get(key) for key in ("m", "v", "v_max"))
        self._work = None


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay, as ``torch.optim.AdamW``.

    Each update first multiplies every parameter by ``1 - learning_rate *
    weight_decay`` (with the learning rate of that update), then makes the
    Adam step; the decay never enters the moments. It applies to the whole
    parameter vector, biases included, as torch's AdamW does to all the
    parameters it is given.

    Parameters
    ----------
    weight_decay : float, default 0.01
        Decay coefficient, finite and >= 0 (0: exactly Adam).

    The other parameters are those of :class:`Adam`.
    """

    name = "adamw"
    hyperparameters = {
        **{key: value for key, value in Adam.hyperparameters.items() if key != "amsgrad"},
        "weight_decay": tools.NonNegative(usual=0.01, advice="0 turns the decay off"),
        "amsgrad": tools.Flag(),
    }
    weight_decay: float

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        weight_decay: float = 0.01,
        amsgrad: bool = False,
    ) -> None:
        self._configure(locals())

    @property
    def decays_parameters(self) -> bool:
        """True when ``weight_decay > 0``: every update shrinks the parameters toward zero, whatever the gradient.

        The contract suite then checks that a zero gradient only shrinks them
        (``check_zero_gradient_keeps_parameters``), rather than keeps them.
        """
        return self.weight_decay > 0

    def update(self, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """Decay ``params`` in place by ``1 - learning_rate * weight_decay``, then make the Adam step."""
        self._prepare(params, gradient)
        fused = _fast.kernels()
        if fused is not None and _fast.fusable(params, gradient, (*self._scalars(), self.weight_decay)):
            return self._fused_step(fused, params, gradient, 1.0 - self.learning_rate * self.weight_decay)
        self.update_path = "numpy"
        params *= 1.0 - self.learning_rate * self.weight_decay
        return self._adam_step(params, gradient)


#: Adamax's state: ``step``, and ``m`` and ``u`` once ``step`` > 0.
_ADAMAX_STATE = tools.StateLayout(
    arrays=("m", "u"), counters={"step": tools.Count(minimum=0)}, step="step", source="Adamax.state_dict()"
)


class Adamax(tools.HyperparametersMixin):
    """Adamax: Adam with the infinity norm, as ``torch.optim.Adamax``.

    Algorithm 2 of Kingma & Ba (2015), with torch's ``epsilon`` inside the
    maximum (``m`` and ``u`` start at zero, ``t`` at 0)::

        t <- t + 1
        m <- beta_1 * m + (1 - beta_1) * g
        u <- max(beta_2 * u, |g| + epsilon)
        p <- p - (learning_rate / (1 - beta_1**t)) * m / u

    ``u`` needs no bias correction. ``Adamax(learning_rate=lr, beta_1=b1,
    beta_2=b2, epsilon=e)`` is ``torch.optim.Adamax(params, lr=lr,
    betas=(b1, b2), eps=e)``, with the same defaults. The learning rate is read
    at every update; the update runs in place on one preallocated scratch buffer.

    Parameters
    ----------
    learning_rate : float, default 0.002
        Step size.
    beta_1 : float, default 0.9
        Decay of the first-moment estimate ``m``.
    beta_2 : float, default 0.999
        Decay of the infinity-norm estimate ``u``.
    epsilon : float, default 1e-8
        Added to ``|g|`` inside the maximum, so that ``u`` > 0.

    Attributes
    ----------
    update_path : str or None
        ``"numba"`` or ``"numpy"``: the path of the last update, as :class:`Adam`'s.
    """

    name = "adamax"
    hyperparameters = {
        "learning_rate": tools.Positive(usual=0.002),
        "beta_1": tools.Fraction(usual=0.9),
        "beta_2": tools.Fraction(usual=0.999),
        "epsilon": tools.Positive(usual=1e-8),
    }
    learning_rate: float
    beta_1: float
    beta_2: float
    epsilon: float
    update_path: Optional[str] = None

    def __init__(
        self, learning_rate: float = 0.002, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8
    ) -> None:
        for key, value in tools.check_hyperparameters(self.name, self.hyperparameters, locals()).items():
            setattr(self, key, value)
        self._step = 0
        self._m: Optional[np.ndarray] = None
        self._u: Optional[np.ndarray] = None
        self._work: Optional[np.ndarray] = None  # scratch, not state

    def update(self, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """Apply one Adamax step to ``params`` in place (the rules of the class docstring) and return it."""
        tools.check_update_arrays(self.name, params, gradient)
        if self._m is None or self._u is None:
            self._m, self._u = np.zeros_like(params), np.zeros_like(params)
        else:
            tools.check_state_matches(self.name, "moments", self._m, params, "Adamax(**opt.get_config())")
        work = self._work
        if work is None or work.shape != params.shape or work.dtype != params.dtype:
            work = self._work = np.empty_like(params)
        m, u, b1 = self._m, self._u, self.beta_1
        fused = _fast.kernels()
        if fused is not None and _fast.fusable(params, gradient, (self.learning_rate, b1, self.beta_2, self.epsilon)):
            self._step += 1
            cast = params.dtype.type
            step_size = cast(self.learning_rate / (1.0 - b1**self._step))
            fused.adamax(
                params, gradient, m, u, cast(b1), cast(1.0 - b1), cast(self.beta_2), cast(self.epsilon), step_size
            )
            self.update_path = "numba"
            return params
        self.update_path = "numpy"
        self._step += 1

        m *= b1  # m = b1 * m + (1 - b1) * g
        np.multiply(gradient, 1.0 - b1, out=work)
        m += work
        u *= self.beta_2  # u = max(b2 * u, |g| + epsilon)
        np.abs(gradient, out=work)
        work += self.epsilon
        np.maximum(u, work, out=u)
        np.divide(m, u, out=work)  # p -= (lr / (1 - b1**t)) * m / u
        work *= self.learning_rate / (1.0 - b1**self._step)
        params -= work
        return params

    def state_dict(self) -> Dict[str, Any]:
        """``{"step": t}``, and once t > 0 copies of ``m`` and ``u``."""
        state: Dict[str, Any] = {"step": self._step}
        if self._m is not None and self._u is not None:
            state.update(m=self._m.copy(), u=self._u.copy())
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state of :meth:`state_dict`, checked against its layout first (arrays are copied)."""
        checked = tools.check_state(self.name, _ADAMAX_STATE, state)
        self._step, self._m, self._u = checked["step"], checked.get("m"), checked.get("u")
        self._work = None
