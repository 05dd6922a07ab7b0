"""The training loop: validation of the data, shuffled mini-batches, history, progress.

Each epoch draws a permutation of the sample indices from the network's
generator and gathers each batch into a reused contiguous buffer; the data set
itself is never copied or reshuffled.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, Iterator, Tuple

import numpy as np

from .errors import DivergenceError, ValidationError
from .validation import as_float_matrix, check_positive_int

if TYPE_CHECKING:  # pragma: no cover
    from .network import NeuralNetwork

__all__ = ["fit", "iter_batches"]


def iter_batches(
    x: np.ndarray, y: np.ndarray, batch_size: int, order: np.ndarray
) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
    """Yield ``(x_batch, y_batch)`` in ``order``, the last batch possibly smaller.

    The batches are contiguous copies written into two buffers that are reused:
    each pair is valid until the next one is drawn.
    """
    rows = min(batch_size, len(x))
    x_buffer = np.empty((rows, x.shape[1]), dtype=x.dtype)
    y_buffer = np.empty((rows, y.shape[1]), dtype=y.dtype)
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        m = len(index)
        yield (
            np.take(x, index, axis=0, out=x_buffer[:m]),
            np.take(y, index, axis=0, out=y_buffer[:m]),
        )


def _check_data(net: "NeuralNetwork", x: Any, y: Any, categorical: bool) -> Tuple[np.ndarray, np.ndarray]:
    x_array = as_float_matrix("x", x, net.dtype, net.layers[0])
    y_array = np.asarray(y)
    if y_array.ndim == 0 or len(y_array) != len(x_array):
        raise ValidationError(
            f"x and y must have one row per sample: x has {len(x_array)} rows, "
            f"y has shape {y_array.shape}"
        )
    return x_array, net._targets_of(y_array, categorical=bool(categorical))


def fit(
    net: "NeuralNetwork",
    x: Any,
    y: Any,
    batch_size: int,
    epochs: int,
    categorical: bool = False,
    *,
    verbose: int = 1,
) -> np.ndarray:
    """Train ``net``; see :meth:`NeuralNetwork.fit`."""
    batch_size = check_positive_int("batch_size", batch_size)
    epochs = check_positive_int("epochs", epochs)
    x_array, y_array = _check_data(net, x, y, categorical)
    n = len(x_array)
    losses = np.empty(epochs)
    for epoch in range(epochs):
        started = time.perf_counter()
        order = net.rng.permutation(n)
        total = 0.0
        for batch, (x_batch, y_batch) in enumerate(iter_batches(x_array, y_array, batch_size, order)):
            try:
                total += net._train_step(x_batch, y_batch)
            except DivergenceError as exc:
                raise DivergenceError(
                    f"training diverged at epoch {epoch + 1}, batch {batch + 1}: {exc}. Lower the "
                    "learning rate or scale the inputs (for example to [0, 1])"
                ) from None
        losses[epoch] = total / n
        elapsed = time.perf_counter() - started
        net.history["loss"].append(float(losses[epoch]))
        net.history["epoch_time"].append(elapsed)
        if verbose:
            print(f"Epoch {epoch + 1}/{epochs} - loss: {losses[epoch]:.6f} - {elapsed:.2f}s", file=sys.stdout, flush=True)
    return losses
