"""Small reference components and data for the checks that build a network.

The core ships no components of its own (they all come from plugins), so the
checks that train a network (an optimizer's, a regularizer's) use these: tanh,
softmax with cross-entropy from logits, Glorot-uniform weights and plain
gradient descent, each a few lines of textbook formulas.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Tuple

import numpy as np

__all__ = ["GlorotUniform", "GradientDescent", "SoftmaxCrossEntropy", "Tanh", "small_classification"]


class GlorotUniform:
    """``W ~ U(-r, r)`` with ``r = sqrt(6 / (fan_in + fan_out))``, ``b = 0``."""

    name = "reference_glorot_uniform"

    def initialize(self, weights: np.ndarray, biases: np.ndarray, rng: np.random.Generator) -> None:
        limit = np.sqrt(6.0 / sum(weights.shape))
        weights[...] = rng.uniform(-limit, limit, size=weights.shape)
        biases[...] = 0


class GradientDescent:
    """``params - learning_rate * gradient``, a new array each update; no state."""

    name = "reference_gradient_descent"

    def __init__(self, learning_rate: float = 0.1) -> None:
        self.learning_rate = learning_rate

    def update(self, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        return params - self.learning_rate * gradient

    def get_config(self) -> Dict[str, Any]:
        return {"learning_rate": self.learning_rate}

    def state_dict(self) -> Dict[str, Any]:
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        pass


class Tanh:
    """tanh, with ``grad_z = grad_a * (1 - a^2)``."""

    name = "reference_tanh"

    def forward(self, z: np.ndarray) -> np.ndarray:
        return np.tanh(z)

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        return grad_a * (1 - a * a)


class _Softmax:
    name = "reference_softmax"

    def forward(self, z: np.ndarray) -> np.ndarray:
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        return a * (grad_a - np.sum(grad_a * a, axis=1, keepdims=True))


class SoftmaxCrossEntropy:
    """Cross-entropy of probability rows, ``-sum(y log p)``, with p clipped at the dtype's tiny."""

    name = "reference_crossentropy"

    @staticmethod
    def activation() -> Any:
        return _Softmax()

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        p = np.maximum(y_pred, np.finfo(y_pred.dtype).tiny)
        return -np.sum(y_true * np.log(p), axis=1)

    def backward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        return -y_true / np.maximum(y_pred, np.finfo(y_pred.dtype).tiny)


def small_classification(n: int = 96) -> Tuple[np.ndarray, np.ndarray]:
    """Three Gaussian blobs in 4 dimensions, one-hot targets; fixed by seed."""
    rng = np.random.default_rng(0)
    labels = np.arange(n) % 3
    centres = rng.normal(scale=2.0, size=(3, 4))
    x = centres[labels] + rng.normal(size=(n, 4))
    return x, np.eye(3)[labels]
