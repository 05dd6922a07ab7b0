"""Weight penalties: each adds ``factor * (a norm of W)`` to the batch's mean loss, and its gradient to ``grad``.

Keras's convention: no 1/2 in front of the L2 term, so its gradient is
``2 * factor * W``. Reductions run in the dtype of ``W`` through ``np.dot``
(BLAS), and each penalty allocates at most one array shaped like ``W``.
"""

from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from npnet_core import optimizer_tools as tools
from npnet_core.optimizer_tools import NonNegative

__all__ = ["L1", "L1L2", "L2"]


class _Penalty(tools.HyperparametersMixin):
    """A regularizer that only penalizes the weights: :meth:`perturb` returns ``(a, None)``."""

    name: str

    def perturb(self, a: np.ndarray, layer: int, rng: np.random.Generator) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        return a, None


class L2(_Penalty):
    """``factor * sum(W**2)``, gradient ``2 * factor * W``.

    Keras: ``keras.regularizers.L2(l2=factor)``. PyTorch: ``torch.optim.SGD(weight_decay=2 * factor)``.
    """

    name = "l2"
    hyperparameters = {"factor": NonNegative(usual=0.01)}

    def __init__(self, factor: float = 0.01) -> None:
        self.factor = tools.check_hyperparameters(self.name, self.hyperparameters, locals())["factor"]

    def penalty(self, weights: np.ndarray, grad: np.ndarray) -> float:
        if self.factor == 0.0:
            return 0.0
        flat = weights.ravel()
        grad += (2.0 * self.factor) * weights
        return float(self.factor * np.dot(flat, flat))


class L1(_Penalty):
    """``factor * sum(|W|)``, gradient ``factor * sign(W)`` (0 where ``W`` is 0).

    Keras: ``keras.regularizers.L1(l1=factor)``.
    """

    name = "l1"
    hyperparameters = {"factor": NonNegative(usual=0.01)}

    def __init__(self, factor: float = 0.01) -> None:
        self.factor = tools.check_hyperparameters(self.name, self.hyperparameters, locals())["factor"]

    def penalty(self, weights: np.ndarray, grad: np.ndarray) -> float:
        if self.factor == 0.0:
            return 0.0
        sign = np.sign(weights)
        total = np.dot(sign.ravel(), weights.ravel())  # sum(|W|), as sign(W) * W = |W| exactly
        sign *= self.factor
        grad += sign
        return float(self.factor * total)


class L1L2(_Penalty):
    """``l1 * sum(|W|) + l2 * sum(W**2)``, gradient ``l1 * sign(W) + 2 * l2 * W``.

    Keras: ``keras.regularizers.L1L2(l1=l1, l2=l2)`` (whose defaults are 0.0).
    """

    name = "l1_l2"
    hyperparameters = {"l1": NonNegative(usual=0.01), "l2": NonNegative(usual=0.01)}

    def __init__(self, l1: float = 0.01, l2: float = 0.01) -> None:
        config = tools.check_hyperparameters(self.name, self.hyperparameters, locals())
        self.l1, self.l2 = config["l1"], config["l2"]

    def penalty(self, weights: np.ndarray, grad: np.ndarray) -> float:
        flat = weights.ravel()
        total = 0.0
        work = None  # one scratch array, shared by the two terms
        if self.l2 != 0.0:
            work = np.multiply(weights, 2.0 * self.l2)
            grad += work
            total += float(self.l2 * np.dot(flat, flat))
        if self.l1 != 0.0:
            work = np.sign(weights, out=work)
            total += float(self.l1 * np.dot(work.ravel(), flat))
            work *= self.l1
            grad += work
        return total
