"""The contracts every component honours.

All arrays are 2-D ``(n_samples, n_features)``: rows are samples. Components
preserve the floating dtype they are given (float32 in, float32 out) and never
mutate their inputs. Optimizers work on flat 1-D parameter vectors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Mapping, Protocol, runtime_checkable

if TYPE_CHECKING:  # annotations only: the kinds table reads these protocols without NumPy
    import numpy as np

__all__ = ["Activation", "Initializer", "Loss", "Optimizer"]


@runtime_checkable
class Activation(Protocol):
    """An activation function and its vector-Jacobian product.

    Hidden activations act elementwise; an output activation may couple the
    units of a row (softmax). ``backward`` never builds per-sample Jacobians.
    """

    name: str

    def forward(self, z: np.ndarray) -> np.ndarray:
        """Return ``a = f(z)``.

        Parameters
        ----------
        z : ndarray of shape (n_samples, n_units)

        Returns
        -------
        a : ndarray of shape (n_samples, n_units), dtype of ``z``
        """
        ...

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        """Return ``grad_z``, the vector-Jacobian product ``grad_a @ J_f(z)`` per row.

        Parameters
        ----------
        z : ndarray of shape (n_samples, n_units)
            The input given to :meth:`forward`.
        a : ndarray of shape (n_samples, n_units)
            What :meth:`forward` returned for ``z``.
        grad_a : ndarray of shape (n_samples, n_units)
            Gradient of a scalar with respect to ``a``.

        Returns
        -------
        grad_z : ndarray of shape (n_samples, n_units), dtype of ``z``
        """
        ...


@runtime_checkable
class Loss(Protocol):
    """A per-sample loss and its gradient with respect to the prediction."""

    name: str

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """Return the loss of each sample.

        Parameters
        ----------
        y_pred, y_true : ndarray of shape (n_samples, n_outputs)

        Returns
        -------
        loss : ndarray of shape (n_samples,), dtype of ``y_pred``
        """
        ...

    def backward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """Return the gradient of each sample's loss with respect to ``y_pred``.

        Not divided by the number of samples: the network does that once.

        Returns
        -------
        grad : ndarray of shape (n_samples, n_outputs), dtype of ``y_pred``
        """
        ...


@runtime_checkable
class Optimizer(Protocol):
    """A gradient-based update rule over one flat parameter vector.

    An optimizer instance belongs to one network: its state (moments, step
    count) describes that network's parameters.
    """

    name: str

    def update(self, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """Return the updated parameters.

        May update ``params`` in place and return it (the fast path) or return
        a new array of the same shape and dtype. Never mutates ``gradient``.

        Parameters
        ----------
        params, gradient : ndarray of shape (n_params,)
        """
        ...

    def get_config(self) -> Dict[str, Any]:
        """Return the hyperparameters; ``type(self)(**get_config())`` is equivalent."""
        ...

    def state_dict(self) -> Dict[str, Any]:
        """Return the state (arrays and numbers) needed to resume exactly."""
        ...

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state returned by :meth:`state_dict`."""
        ...


@runtime_checkable
class Initializer(Protocol):
    """Fills one layer's weights and biases, in place, before training.

    ``weights`` and ``biases`` are views into the network's parameter vector:
    write into them (``weights[...] = ...``) and keep their dtype. Every random
    draw comes from ``rng``, the network's generator, so the same seed gives the
    same network.
    """

    name: str

    def initialize(self, weights: np.ndarray, biases: np.ndarray, rng: np.random.Generator) -> None:
        """Fill ``weights`` and ``biases`` in place.

        Parameters
        ----------
        weights : ndarray of shape (fan_in, fan_out)
        biases : ndarray of shape (1, fan_out)
        rng : numpy.random.Generator
        """
        ...
