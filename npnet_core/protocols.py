"""The contracts every component honours.

All arrays are 2-D ``(n_samples, n_features)``: rows are samples. Components
preserve the floating dtype they are given (float32 in, float32 out) and never
mutate their inputs. Optimizers work on flat 1-D parameter vectors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Protocol, Tuple, runtime_checkable

if TYPE_CHECKING:  # annotations only: the kinds table reads these protocols without NumPy
    import numpy as np

__all__ = [
    "DISTRIBUTION",
    "PROBABILITIES",
    "Activation",
    "Initializer",
    "Loss",
    "Metric",
    "Optimizer",
    "Regularizer",
    "Schedule",
]

#: What an output activation may declare it ``produces`` and a loss it ``expects``: each row a
#: probability distribution over classes (non-negative, summing to 1), as softmax gives.
DISTRIBUTION = "distribution"
#: ... or each value a probability in [0, 1] of its own (one per label), as sigmoid gives.
PROBABILITIES = "probabilities"


@runtime_checkable
class Activation(Protocol):
    """An activation function and its vector-Jacobian product.

    Hidden activations act elementwise; an output activation may couple the
    units of a row (softmax). ``backward`` never builds per-sample Jacobians.

    An activation may declare what its outputs are, as a class attribute
    ``produces``: :data:`DISTRIBUTION` (each row non-negative, summing to 1:
    softmax) or :data:`PROBABILITIES` (each value in [0, 1]: sigmoid). The
    network reads it: an output activation that produces probabilities makes
    ``predict(labels=True)`` threshold each output at 0.5 (binary and
    multi-label classification) instead of taking the argmax, and a loss that
    ``expects`` what the output activation does not declare gets a warning.
    The contract suite checks what is declared.

    An activation that can be exported to ONNX has a method ``to_onnx(graph,
    x) -> str``: it adds to ``graph`` (an :class:`npnet_core.export.OnnxGraph`)
    the nodes computing its ``forward`` from the tensor named ``x`` and returns
    the name of their output. ``NeuralNetwork.to_onnx`` calls it for each
    layer, and the contract suite compares ONNX Runtime's result with
    ``forward``.

    In training the network reuses the memory of ``z`` and ``grad_a`` from
    batch to batch: they are valid during the call only, so an activation
    that keeps one copies it.
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
    """A per-sample loss and its gradient with respect to the prediction.

    A loss that is defined only for probabilities declares it as a class
    attribute ``expects``: :data:`DISTRIBUTION` (rows summing to 1: categorical
    cross-entropy) or :data:`PROBABILITIES` (each value in [0, 1]: binary
    cross-entropy). A network whose output activation does not declare it
    ``produces`` them warns when it is made, naming the activations that do.
    """

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
    count) describes that network's parameters. An optimizer that has a
    learning rate declares it as a numeric attribute ``learning_rate``, which
    ``update`` reads each time: a :class:`Schedule` sets it for each update and
    puts the configured value back after it. The contract suite scales its
    convergence checks to it, so that a rate of 1e-4 is checked as fairly as
    one of 0.01.

    An optimizer whose updates shrink the parameters toward zero whatever the
    gradient (decoupled weight decay) declares it with the optional attribute
    ``decays_parameters = True`` (a bool; a property may depend on the
    configuration, as ``weight_decay > 0``). With a zero gradient such an
    optimizer may move each parameter toward zero, never past it nor away
    from it; without the declaration it must leave the parameters unchanged.
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


@runtime_checkable
class Schedule(Protocol):
    """The learning rate as a function of the update step.

    The update at ``step`` (counting from 0 over all ``fit`` calls, saved with
    the model) uses ``rate(step, base)``, where ``base`` is the optimizer's own
    ``learning_rate``. A schedule that reacts to training (reduce on plateau)
    also has a method ``npnet_on_epoch_end(network, epoch, logs)``, the training
    event's signature, which ``fit`` calls after each epoch of its network, and
    keeps what it learned in ``state_dict()`` / ``load_state_dict(state)`` (plain
    numbers), which model files save, and then belongs to one network, as an
    optimizer does; a schedule without them is a pure function of the step and
    its configuration, which networks may share.
    """

    name: str

    def rate(self, step: int, base: float) -> float:
        """Return the learning rate of the update at ``step`` (>= 0): finite and >= 0, and > 0 at step 0."""
        ...

    def get_config(self) -> Dict[str, Any]:
        """Return the parameters; ``type(self)(**get_config())`` gives the same rates."""
        ...


@runtime_checkable
class Regularizer(Protocol):
    """Acts during training only: a penalty on the weights, noise on the hidden layers' outputs, or both.

    ``predict``, ``score`` and validation never call a regularizer. A
    regularizer that does one of the two returns the neutral value from the
    other method: ``0.0`` from :meth:`penalty`, ``(a, None)`` from :meth:`perturb`.
    """

    name: str

    def penalty(self, weights: np.ndarray, grad: np.ndarray) -> float:
        """Return the penalty on one layer's weights and add its gradient to ``grad`` in place.

        Called for each layer's weight matrix (never the biases) at each
        training batch; the penalty is added to the batch's mean loss.

        Parameters
        ----------
        weights : ndarray of shape (fan_in, fan_out)
            Never mutated.
        grad : ndarray of shape (fan_in, fan_out)
            The gradient of the batch's mean loss with respect to ``weights``.
        """
        ...

    def perturb(self, a: np.ndarray, layer: int, rng: np.random.Generator) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        """Return hidden layer ``layer``'s output as training sees it, and the factor its gradient takes.

        Parameters
        ----------
        a : ndarray of shape (n_samples, n_units)
            The activation's output; never mutated.
        layer : int
            The hidden layer, counting from 0.
        rng : numpy.random.Generator
            The network's generator: every random draw comes from it.

        Returns
        -------
        out : ndarray of shape (n_samples, n_units), dtype of ``a``
            The perturbed output (``a`` itself when nothing is done).
        scale : ndarray broadcastable to ``a``, or None
            For a multiplicative perturbation ``out = a * scale`` (dropout's
            mask divided by the keep probability), which the backward pass
            multiplies the gradient by; None when the gradient passes unchanged
            (additive noise, or nothing done).
        """
        ...


@runtime_checkable
class Metric(Protocol):
    """A score of a network's outputs against targets.

    Reported per epoch by ``fit(metrics=[...])``, returned by
    ``score(metric=...)`` and watched by early stopping in the direction
    ``greater_is_better`` gives.
    """

    name: str
    greater_is_better: bool

    def compute(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        """Return the score of ``y_pred`` against ``y_true``.

        Parameters
        ----------
        y_pred : ndarray of shape (n_samples, n_outputs)
            The network's outputs (class probabilities for a classifier).
        y_true : ndarray of shape (n_samples, n_outputs) or (n_samples,)
            Targets: one-hot rows or integer class labels for a classifier,
            values for a regression (a 1-D array for one output). Never mutated.
        """
        ...
