"""Activations: ReLU, identity and softmax (the contract is :class:`npnet_core.protocols.Activation`).

Outputs are fresh arrays, so callers may modify them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnet_core.protocols import DISTRIBUTION

from ._common import Stateless, as_float

__all__ = ["Identity", "ReLU", "Softmax"]


class ReLU(Stateless):
    """Rectified linear unit, ``a = max(z, 0)`` elementwise.

    The derivative is taken as 0 at exactly ``z == 0``.
    """

    name = "relu"

    def forward(self, z: np.ndarray) -> np.ndarray:
        """Return ``max(z, 0)``."""
        return np.maximum(as_float(z), 0)

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        """Return ``grad_a * (z > 0)``."""
        z = as_float(z)
        return as_float(grad_a, z.dtype) * (z > 0)

    def to_onnx(self, graph: Any, x: str) -> str:
        """ONNX's ``Relu``."""
        return graph.node("Relu", [x])


class Identity(Stateless):
    """The identity, ``a = z``: the output activation for regression."""

    name = "identity"

    def forward(self, z: np.ndarray) -> np.ndarray:
        return as_float(z).copy()

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        """Return a copy of ``grad_a``."""
        return np.array(grad_a, dtype=as_float(z).dtype)

    def to_onnx(self, graph: Any, x: str) -> str:
        """ONNX's ``Identity``."""
        return graph.node("Identity", [x])


class Softmax(Stateless):
    """Row-wise softmax, ``a_ij = exp(z_ij) / sum_k exp(z_ik)``.

    The row maximum is subtracted before ``exp``, so no entry overflows and
    every row sums to 1 (the largest entry is exactly ``exp(0) = 1``).
    """

    name = "softmax"
    produces = DISTRIBUTION

    def forward(self, z: np.ndarray) -> np.ndarray:
        """Return the softmax of each row: non-negative, summing to 1."""
        z = as_float(z)
        a = z - z.max(axis=1, keepdims=True)
        np.exp(a, out=a)
        a /= a.sum(axis=1, keepdims=True)
        return a

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        """Return ``a * (grad_a - sum(grad_a * a))`` per row, computed from ``a`` alone."""
        dtype = as_float(z).dtype
        a = as_float(a, dtype)
        grad_a = as_float(grad_a, dtype)
        grad_z = grad_a - (grad_a * a).sum(axis=1, keepdims=True)
        grad_z *= a
        return grad_z

    def to_onnx(self, graph: Any, x: str) -> str:
        """ONNX's ``Softmax`` over each row (axis 1)."""
        return graph.node("Softmax", [x], axis=1)
