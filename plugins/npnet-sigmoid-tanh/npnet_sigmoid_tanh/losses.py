"""Loss: binary cross-entropy (the contract is :class:`npnet_core.protocols.Loss`).

``y_true`` is converted to the dtype of ``y_pred``.
"""

from __future__ import annotations

import numpy as np

from npnet_core.protocols import PROBABILITIES

from ._common import Stateless, as_float

__all__ = ["BinaryCrossentropy"]


class BinaryCrossentropy(Stateless):
    """Binary cross-entropy, the mean over the outputs of ``-(y log p + (1 - y) log(1 - p))`` per row.

    Each output is a probability of its own (one per label, as
    :class:`~npnet_sigmoid_tanh.Sigmoid` gives), so this serves binary
    (one output) and multi-label classification; it is
    ``torch.nn.BCELoss(reduction="none")(p, y).mean(dim=1)``. ``y_true`` may
    hold any value in ``[0, 1]`` (soft labels).

    Both ``p`` and ``1 - p`` are clipped below at the smallest normal number
    of the dtype (``np.finfo(dtype).tiny``), as categorical cross-entropy
    clips ``p``: a prediction of exactly 0 or 1 gives a large but finite loss
    (each log term at most ``-log(tiny)``, about 87.3 in float32 and 708.4 in
    float64; PyTorch clamps each log at -100 instead) and a finite gradient.

    Declares ``expects = "probabilities"``
    (:data:`npnet_core.protocols.PROBABILITIES`): each prediction must lie in
    ``[0, 1]``.
    """

    name = "binary_crossentropy"
    expects = PROBABILITIES

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """Return ``-mean(y log max(p, tiny) + (1 - y) log max(1 - p, tiny), axis=1)``.

        ``log(1 - p)`` is computed as ``log1p(-p)``, exact for small ``p``.
        """
        y_pred = as_float(y_pred)
        y_true = as_float(y_true, y_pred.dtype)
        log_tiny = np.log(np.finfo(y_pred.dtype).tiny)
        log_p = np.maximum(y_pred, np.finfo(y_pred.dtype).tiny)
        np.log(log_p, out=log_p)
        # log(1 - p) for p < 1 (there 1 - p >= eps / 2 > tiny); log(tiny) for p >= 1
        log_q = np.full_like(y_pred, log_tiny)
        np.log1p(-y_pred, out=log_q, where=y_pred < 1)
        log_p *= y_true
        log_q *= 1 - y_true
        log_p += log_q
        return -log_p.mean(axis=1)

    def backward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """Return ``(p - y) / (p (1 - p)) / n_outputs``, clipped as the loss is.

        For ``tiny <= p < 1`` this one-term form is used: it stays exact for
        soft labels where ``p`` is close to ``y``. Elsewhere (``p`` at or
        beyond 0 or 1, where the loss is clipped) it is the two-term form
        ``((1 - y) / max(1 - p, tiny) - y / max(p, tiny)) / n_outputs``: finite,
        and for hard labels the derivative of the clipped loss (``p = y = 1``
        gives ``-1 / n_outputs``, where the one-term form would be ``0 / 0``).
        """
        y_pred = as_float(y_pred)
        y_true = as_float(y_true, y_pred.dtype)
        tiny = np.finfo(y_pred.dtype).tiny
        clipped_p = np.maximum(y_pred, tiny)
        clipped_q = np.subtract(1, y_pred)
        np.maximum(clipped_q, tiny, out=clipped_q)
        grad = np.divide(1 - y_true, clipped_q)
        grad -= y_true / clipped_p
        # p < 1 means 1 - p >= eps / 2 > tiny: there clipped_p * clipped_q = p (1 - p) >= tiny / 2
        inside = (y_pred >= tiny) & (y_pred < 1)
        clipped_p *= clipped_q
        np.divide(y_pred - y_true, clipped_p, out=grad, where=inside)
        grad /= y_pred.shape[1]
        return grad
