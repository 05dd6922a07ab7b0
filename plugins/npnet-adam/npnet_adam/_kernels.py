"""The fused updates of Adam, AdamW (with or without AMSGrad) and Adamax, compiled by numba.

Imported only by :mod:`npnet_adam._fast`, and only when numba is importable
(the ``fast`` extra): importing this module imports numba. Each kernel makes one
pass over the parameters, the gradient and the state, and computes for every
element exactly the operations of the NumPy path of :mod:`npnet_adam.adam`, in
the same order and in the parameters' dtype, so that the results are the same
to the last bit:

- the scalars (``beta_1``, ``1 - beta_1``, ``epsilon * c``, the step size, ...)
  are computed by the caller in Python floats, as the NumPy path computes them,
  and passed already cast to the parameters' dtype, as NumPy casts a Python
  float operand to a float32 array's dtype;
- every product, sum, quotient and square root is rounded to the dtype on its
  own: no ``fastmath``, so LLVM neither fuses a product and a sum into one FMA
  nor reorders the operations;
- ``error_model="numpy"``: a quotient by zero gives inf or NaN, as NumPy's does,
  instead of raising ``ZeroDivisionError``;
- the maximum returns NaN when either operand is NaN, as ``np.maximum`` does.

The kernels are compiled on first use for each dtype (``cache=True``: numba
keeps the machine code in ``__pycache__`` beside this file, or in the user's
cache folder when that is not writable, so later processes load it).
"""

from __future__ import annotations

import importlib

import numpy as np

numba = importlib.import_module("numba")  # no stubs: the decorated kernels are typed Any

__all__ = ["adam", "adam_amsgrad", "adamax"]

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


@numba.njit(**_JIT)
def _maximum(x, y):
    """``np.maximum(x, y)`` of two scalars: NaN if either is NaN, else the larger."""
    return x if x >= y or x != x else y


@numba.njit(**_JIT)
def adam(params, gradient, m, v, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2, epsilon_c, step_size, decay):
    """One AdamW step in place (``decay`` = 1: Adam), as ``Adam._adam_step`` after ``params *= decay``."""
    for i in range(params.shape[0]):
        g = gradient[i]
        m_i = m[i] * beta_1 + g * one_minus_beta_1  # m *= b1; work = g * (1 - b1); m += work
        m[i] = m_i
        v_i = v[i] * beta_2 + (g * g) * one_minus_beta_2  # v *= b2; work = g * g; work *= 1 - b2; v += work
        v[i] = v_i
        work = m_i / (np.sqrt(v_i) + epsilon_c) * step_size  # work = sqrt(v) + eps c; work = m / work; *= step
        params[i] = params[i] * decay - work  # params *= decay (AdamW), then params -= work


@numba.njit(**_JIT)
def adam_amsgrad(
    params, gradient, m, v, v_max, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2, epsilon_c, step_size, decay
):
    """:func:`adam` with AMSGrad: ``v_max = max(v_max, v)`` is kept and used in place of ``v``."""
    for i in range(params.shape[0]):
        g = gradient[i]
        m_i = m[i] * beta_1 + g * one_minus_beta_1
        m[i] = m_i
        v_i = v[i] * beta_2 + (g * g) * one_minus_beta_2
        v[i] = v_i
        v_max_i = _maximum(v_max[i], v_i)  # np.maximum(v_max, v, out=v_max)
        v_max[i] = v_max_i
        work = m_i / (np.sqrt(v_max_i) + epsilon_c) * step_size
        params[i] = params[i] * decay - work


@numba.njit(**_JIT)
def adamax(params, gradient, m, u, beta_1, one_minus_beta_1, beta_2, epsilon, step_size):
    """One Adamax step in place, as ``Adamax.update``."""
    for i in range(params.shape[0]):
        g = gradient[i]
        m_i = m[i] * beta_1 + g * one_minus_beta_1  # m *= b1; work = g * (1 - b1); m += work
        m[i] = m_i
        u_i = _maximum(u[i] * beta_2, np.abs(g) + epsilon)  # u *= b2; work = |g| + eps; u = max(u, work)
        u[i] = u_i
        params[i] = params[i] - m_i / u_i * step_size  # work = m / u; work *= lr / (1 - b1**t); params -= work
