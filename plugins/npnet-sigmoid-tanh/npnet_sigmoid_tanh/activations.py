"""Activations: sigmoid and tanh (the contract is :class:`npnet_core.protocols.Activation`).

Outputs are fresh arrays, so callers may modify them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnet_core.protocols import PROBABILITIES

from ._common import Stateless, as_float

__all__ = ["Sigmoid", "Tanh"]


class Sigmoid(Stateless):
    """The logistic sigmoid, ``a = 1 / (1 + exp(-z))`` elementwise.

    Computed from ``e = exp(-|z|)``, which never overflows: ``1 / (1 + e)``
    for ``z >= 0`` and ``e / (1 + e)`` for ``z < 0``. So no input gives an
    overflow warning, small outputs keep their full relative precision, and
    large ``|z|`` saturate to exactly 0 or 1 (from ``z`` about -745 and 37 in
    float64, -104 and 17 in float32).

    Declares ``produces = "probabilities"``
    (:data:`npnet_core.protocols.PROBABILITIES`): each output lies in
    ``[0, 1]``, independently per unit.
    """

    name = "sigmoid"
    produces = PROBABILITIES

    def forward(self, z: np.ndarray) -> np.ndarray:
        """Return ``1 / (1 + exp(-z))``, without overflow for any ``z``."""
        z = as_float(z)
        e = np.abs(z)
        np.negative(e, out=e)
        np.exp(e, out=e)  # exp(-|z|) in (0, 1]; underflows quietly to 0
        a = np.add(e, 1)
        np.divide(1, a, out=a)  # 1 / (1 + e): sigmoid(|z|)
        np.multiply(a, e, out=a, where=z < 0)  # e / (1 + e): sigmoid(-|z|)
        return a

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        """Return ``grad_a * a * (1 - a)``, computed from ``a`` alone.

        Where the output has saturated to exactly 0 or 1 this is 0; the fused
        gradient of sigmoid with binary cross-entropy does not depend on it.
        """
        dtype = as_float(z).dtype
        a = as_float(a, dtype)
        grad_z = 1 - a
        grad_z *= a
        grad_z *= as_float(grad_a, dtype)
        return grad_z

    def to_onnx(self, graph: Any, x: str) -> str:
        """The nodes of :meth:`forward` (see :class:`npnet_core.export.OnnxGraph`).

        float64: the same steps as :meth:`forward`, ``e = Exp(Neg(Abs(x)))``,
        ``a = Div(1, Add(e, 1))`` and ``Where(Less(x, 0), Mul(a, e), a)``:
        ONNX Runtime's float64 ``Sigmoid`` is within an ulp of 1 but loses the
        relative precision of small outputs (at ``z = -40`` it is off by more
        than the value), which these keep. float32: ONNX's ``Sigmoid``, within
        one float32 eps of ``forward``.
        """
        if graph.dtype != np.float64:
            return str(graph.node("Sigmoid", [x]))
        e = graph.node("Exp", [graph.node("Neg", [graph.node("Abs", [x])])])
        one = graph.constant(1.0)
        a = graph.node("Div", [one, graph.node("Add", [e, one])])
        return str(graph.node("Where", [graph.node("Less", [x, graph.constant(0.0)]), graph.node("Mul", [a, e]), a]))


class Tanh(Stateless):
    """The hyperbolic tangent, ``a = tanh(z)`` elementwise, in ``[-1, 1]``."""

    name = "tanh"

    def forward(self, z: np.ndarray) -> np.ndarray:
        """Return ``tanh(z)`` (finite for any ``z``, exactly ±1 beyond about ±19 in float64)."""
        return np.tanh(as_float(z))

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        """Return ``grad_a * (1 - a**2)``, computed from ``a`` as ``(1 - a) * (1 + a)``.

        The factored form keeps full relative precision where ``|a|`` is
        close to 1 (``1 - a`` is then exact), which ``1 - a * a`` does not.
        """
        dtype = as_float(z).dtype
        a = as_float(a, dtype)
        grad_z = 1 - a
        grad_z *= 1 + a
        grad_z *= as_float(grad_a, dtype)
        return grad_z

    def to_onnx(self, graph: Any, x: str) -> str:
        """ONNX's ``Tanh``, in both dtypes (within 4 ulps of NumPy's ``tanh`` in ONNX Runtime)."""
        return str(graph.node("Tanh", [x]))
