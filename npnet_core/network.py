"""NeuralNetwork: a multi-layer perceptron over one flat parameter vector.

The parameters live in one contiguous vector in the article's layout
``[W_1.ravel(), ..., W_L.ravel(), b_1, ..., b_L]``; ``weights`` and ``biases``
are views into it, and the gradient is written into a second vector of the
same layout, so ``optimizer.update(params, grad)`` gets flat vectors with no
flattening or copying per batch.
"""

from __future__ import annotations

import math
import numbers
import weakref
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _training
from ._labels import check_labels, to_categorical
from ._rng import Seed, make_rng
from ._validation import all_finite, as_float_matrix, check_dtype, check_layers
from .components import ComponentSpec, Registry, get_registry, resolve
from .errors import DivergenceError, InvalidComponentError, UpdateOverflowError, ValidationError
from .kinds import ROLES

__all__ = ["NeuralNetwork"]

# optimizer object id -> the network that owns it (an optimizer's state is one network's)
_OPTIMIZER_OWNERS: "weakref.WeakValueDictionary[int, NeuralNetwork]" = weakref.WeakValueDictionary()


def _clip(gradient: np.ndarray, max_norm: float) -> None:
    """Scale ``gradient`` in place so that its Euclidean norm is at most ``max_norm``."""
    with np.errstate(over="ignore"):
        norm = math.sqrt(float(np.dot(gradient, gradient)))
    if not math.isfinite(norm):  # large finite values overflow the sum of squares: rescale first
        largest = max(abs(float(gradient.max())), abs(float(gradient.min())))
        scaled = gradient / largest
        norm = largest * math.sqrt(float(np.dot(scaled, scaled)))
    if norm > max_norm:
        gradient *= max_norm / norm


class NeuralNetwork:
    """A fully connected network whose components are chosen by name or passed in.

    Parameters
    ----------
    layers : list of int
        Sizes of every layer including input and output: ``[64, 64, 10]``.
    hidden_activation : name, (name, params), Activation, or (f, df)
        Activation of the hidden layers; a list gives one per hidden layer.
    output_activation : name, (name, params), Activation, or (f, df)
        Activation of the output layer (``df`` returns a Jacobian stack).
    loss : name, (name, params), Loss, or (l, dl)
    optimizer : name, (name, params), Optimizer, or any object with ``update``
        An optimizer object belongs to this network only.
    seed : int, Generator or SeedSequence, optional
        Drives initialisation and shuffling: same seed, same training. None
        takes a seed from NumPy's global random state, so ``np.random.seed(0)``,
        the article's idiom, also makes runs repeatable.
    dtype : {"float64", "float32"}, default "float64"
        Dtype of the parameters and of all computation.
    initializer : name, (name, params), or Initializer, default "glorot_uniform"
        Fills each layer's weights and biases before training; any registered
        initializer (``npnet-initializers`` provides ``glorot_uniform``,
        ``glorot_normal``, ``he_uniform``, ``he_normal``, ``lecun_normal``,
        ``article`` and ``zeros``).
    regularizers : list of name, (name, params) or Regularizer, default []
        Act during ``fit`` only, in order: penalties on the weights (``l2``,
        ``l1``, ``l1_l2``), noise on the hidden layers' outputs (``dropout``,
        ``gaussian_noise``), from ``npnet-regularizers`` or any plugin.
    schedule : name, (name, params), or Schedule, optional
        The learning rate of each update, from the optimizer's own
        ``learning_rate`` as the base (``cosine``, ``step``, ``exponential``,
        ``inverse_scaling``, ``reduce_on_plateau``... from ``npnet-schedules``).
        None: the optimizer's rate throughout.
    registry : Registry, optional
        Where names are resolved; default :func:`get_registry`.

    Attributes
    ----------
    layers : list of int
        The layer sizes; ``nlayers`` is their count (the article's attribute).
    n_params : int
        Length of :attr:`params`.
    dtype : numpy.dtype
        float32 or float64.
    hidden_activation, output_activation, loss, optimizer
        The components, as objects (``hidden_activations`` lists one per hidden layer).
    rng : numpy.random.Generator
        Draws the initial weights and each epoch's shuffling.
    initializer : Initializer
        The initializer the weights were filled with.
    regularizers : list of Regularizer
    schedule : Schedule or None
    updates : int
        The number of updates made over all ``fit`` calls: the step the
        schedule gives the next update's rate for.
    registry : Registry
        Where the component names were resolved.
    history : dict of str to list of float
        Metrics per epoch over all ``fit`` calls.

    Examples
    --------
    >>> net = NeuralNetwork([64, 64, 10], "relu", "softmax", "categorical_crossentropy", "adam", seed=0)
    """

    def __init__(
        self,
        layers: Sequence[int],
        hidden_activation: Any,
        output_activation: Any,
        loss: Any,
        optimizer: Any,
        *,
        seed: Seed = None,
        dtype: Any = "float64",
        initializer: Any = "glorot_uniform",
        regularizers: Sequence[Any] = (),
        schedule: Any = None,
        registry: Optional[Registry] = None,
    ) -> None:
        self.layers = check_layers(layers)
        self.nlayers = len(self.layers)
        self.dtype = check_dtype(dtype)
        self.rng = make_rng(seed)
        self.registry = get_registry() if registry is None else registry
        self._specs: Dict[str, Any] = {}
        self._resolve_components(hidden_activation, output_activation, loss, optimizer)
        self.initializer, self._specs["initializer"] = resolve("initializer", initializer, self.registry)
        self._resolve_training_components(regularizers, schedule)
        self.updates = 0
        self._output_gradient = self.registry.output_gradient(self.output_activation, self.loss)
        self._allocate()
        for w, b in zip(self._weights, self._biases):
            self.initializer.initialize(w, b, self.rng)
        #: The metrics of every epoch over all fit calls, one list per metric (loss, accuracy,
        #: val_loss, val_accuracy, epoch_time).
        self.history: Dict[str, List[float]] = {}

    # -- construction -------------------------------------------------------------

    def _resolve_components(self, hidden: Any, output: Any, loss: Any, optimizer: Any) -> None:
        n_hidden = len(self.layers) - 2
        if isinstance(hidden, list):  # one activation per hidden layer
            if len(hidden) != n_hidden:
                raise ValidationError(
                    f"hidden_activation lists {len(hidden)} activations but layers {self.layers} "
                    f"has {n_hidden} hidden layers; give one per hidden layer or a single one for all"
                )
            resolved = [resolve("hidden_activation", s, self.registry) for s in hidden]
            self.hidden_activations = [component for component, _ in resolved]
            self._specs["hidden_activation"] = [spec for _, spec in resolved]
            self.hidden_activation = self.hidden_activations[0] if resolved else None
        else:
            self.hidden_activation, self._specs["hidden_activation"] = resolve(
                "hidden_activation", hidden, self.registry
            )
            self.hidden_activations = [self.hidden_activation] * n_hidden
        self.output_activation, self._specs["output_activation"] = resolve("output_activation", output, self.registry)
        self.loss, self._specs["loss"] = resolve("loss", loss, self.registry)
        self.optimizer, self._specs["optimizer"] = resolve("optimizer", optimizer, self.registry)
        self._claim(optimizer)

    def _resolve_training_components(self, regularizers: Any, schedule: Any) -> None:
        single = isinstance(regularizers, tuple) and len(regularizers) == 2 and isinstance(regularizers[1], Mapping)
        if not isinstance(regularizers, (list, tuple)) or single:
            raise ValidationError(
                f"regularizers must be a list, such as regularizers=['l2'] or [('dropout', {{'rate': 0.2}})] "
                f"(got {regularizers!r})"
            )
        resolved = [resolve("regularizers", spec, self.registry) for spec in regularizers]
        self.regularizers = [component for component, _ in resolved]
        if resolved:
            self._specs["regularizers"] = [spec for _, spec in resolved]
        self.schedule: Any = None
        if schedule is not None:
            self.schedule, self._specs["schedule"] = resolve("schedule", schedule, self.registry)
            self._base_rate()  # the optimizer must have a learning rate to set
        #: the rate the schedule gave the last update (None before any, or without a schedule)
        self._last_rate: Optional[float] = None

    def _base_rate(self) -> float:
        """The optimizer's own ``learning_rate``: the base rate a schedule scales."""
        base = getattr(self.optimizer, "learning_rate", None)
        if isinstance(base, bool) or not isinstance(base, numbers.Real) or not math.isfinite(base):
            raise InvalidComponentError(
                f"the schedule {self.schedule.name!r} sets the optimizer's learning rate before each update, "
                f"but the optimizer {self.optimizer.name!r} has no numeric attribute learning_rate (got {base!r}); "
                "use an optimizer with a learning rate (sgd, adam) or no schedule"
            )
        return float(base)

    def _claim(self, optimizer: Any) -> None:
        """Make an optimizer object this network's own; refuse one another network owns."""
        if isinstance(optimizer, (str, tuple)):
            return  # made fresh from a name: nobody else has it
        owner = _OPTIMIZER_OWNERS.get(id(optimizer))
        if owner is not None and owner is not self:
            raise InvalidComponentError(
                f"this optimizer object ({optimizer!r}) already belongs to another network; its "
                "state (moments, velocity) describes that network's parameters. Pass a new "
                "instance, or a name such as 'adam', which gives every network its own"
            )
        _OPTIMIZER_OWNERS[id(optimizer)] = self

    def _allocate(self) -> None:
        shapes = list(zip(self.layers[:-1], self.layers[1:]))
        n_weights = sum(i * o for i, o in shapes)
        self.n_params = n_weights + sum(o for _, o in shapes)
        self._params = np.zeros(self.n_params, dtype=self.dtype)
        self._grad = np.zeros(self.n_params, dtype=self.dtype)
        self._weights, self._biases = self._views(self._params, shapes, n_weights)
        self._grad_weights, self._grad_biases = self._views(self._grad, shapes, n_weights)

    @staticmethod
    def _views(flat: np.ndarray, shapes: List[Tuple[int, int]], n_weights: int) -> Tuple[list, list]:
        weights, biases = [], []
        w_at, b_at = 0, n_weights
        for fan_in, fan_out in shapes:
            weights.append(flat[w_at : w_at + fan_in * fan_out].reshape(fan_in, fan_out))
            biases.append(flat[b_at : b_at + fan_out].reshape(1, fan_out))
            w_at += fan_in * fan_out
            b_at += fan_out
        return weights, biases

    # -- parameters ---------------------------------------------------------------

    @property
    def params(self) -> np.ndarray:
        """The flat parameter vector (weights then biases); writing into it changes the network."""
        return self._params

    @property
    def weights(self) -> List[np.ndarray]:
        """Weight matrices of shape (fan_in, fan_out), views into :attr:`params`."""
        return list(self._weights)

    @property
    def biases(self) -> List[np.ndarray]:
        """Bias rows of shape (1, fan_out), views into :attr:`params`."""
        return list(self._biases)

    @property
    def gradient(self) -> np.ndarray:
        """The flat gradient of the last training batch, in the layout of :attr:`params`."""
        return self._grad

    def set_params(self, params: Any) -> None:
        """Copy a flat vector of ``n_params`` values into the network."""
        array = np.asarray(params)
        if array.shape != (self.n_params,):
            raise ValidationError(
                f"params must be a flat vector of {self.n_params} values for layers {self.layers} "
                f"(got shape {array.shape})"
            )
        if not np.isfinite(array).all():
            raise ValidationError("params contain NaN or infinite values; refusing to load them")
        self._params[...] = array

    # -- forward and backward ----------------------------------------------------------

    def _activation(self, layer: int) -> Any:
        last = len(self._weights) - 1
        if layer == last:
            return self.output_activation
        return self.hidden_activations[layer]

    def _forward(
        self, x: np.ndarray, perturbed: Optional[List[Tuple[np.ndarray, Any]]] = None
    ) -> Tuple[List[np.ndarray], List[np.ndarray]]:
        """Return the pre-activations ``z_i`` and activations ``a_0 = x, a_1, ...``.

        In training, ``perturbed`` is a list: each hidden layer's output goes
        through the regularizers' ``perturb`` and the list receives, per hidden
        layer, the output before it and the factor its gradient takes.
        """
        zs: List[np.ndarray] = []
        activations = [x]
        last = len(self._weights) - 1
        for layer, (w, b) in enumerate(zip(self._weights, self._biases)):
            z = activations[-1] @ w
            z += b
            zs.append(z)
            a = self._activation(layer).forward(z)
            if perturbed is not None and layer < last:
                clean, scale = a, None
                for regularizer in self.regularizers:
                    a, factor = regularizer.perturb(a, layer, self.rng)
                    if factor is not None:
                        scale = factor if scale is None else scale * factor
                perturbed.append((clean, scale))
            activations.append(a)
        return zs, activations

    def _backward(
        self,
        zs: List[np.ndarray],
        activations: List[np.ndarray],
        y: np.ndarray,
        perturbed: Optional[List[Tuple[np.ndarray, Any]]] = None,
    ) -> None:
        """Write the gradient of the batch-mean loss into :attr:`gradient`."""
        y_pred = activations[-1]
        if self._output_gradient is not None:
            delta = self._output_gradient(y_pred, y)
        else:
            delta = self.output_activation.backward(zs[-1], y_pred, self.loss.backward(y_pred, y))
        delta = delta * (1.0 / y.shape[0])
        for layer in range(len(self._weights) - 1, -1, -1):
            np.matmul(activations[layer].T, delta, out=self._grad_weights[layer])
            np.sum(delta, axis=0, out=self._grad_biases[layer][0])
            if layer:
                grad_a = delta @ self._weights[layer].T
                output = activations[layer]
                if perturbed:
                    output, scale = perturbed[layer - 1]
                    if scale is not None:
                        grad_a *= scale
                delta = self._activation(layer - 1).backward(zs[layer - 1], output, grad_a)

    def _penalty(self) -> float:
        """Add the regularizers' penalty gradients to the weight gradients; return the total penalty."""
        total = 0.0
        for regularizer in self.regularizers:
            for w, grad in zip(self._weights, self._grad_weights):
                total += float(regularizer.penalty(w, grad))
        return total

    def _train_step(self, x: np.ndarray, y: np.ndarray, clip_norm: Optional[float] = None) -> Tuple[float, np.ndarray]:
        """Compute the gradient on one batch, update; return the batch's summed loss and outputs.

        The loss is that of the parameters before the update, with the
        regularizers' penalty counted once per sample (so an epoch's mean loss
        includes it). With a schedule, the update runs at the schedule's rate for
        step :attr:`updates`. With
        ``clip_norm``, a gradient whose Euclidean norm exceeds it is scaled
        down to that norm before the update. Raises :class:`DivergenceError`
        if the loss or the gradient is not finite (the parameters are then
        left as they were), and :class:`UpdateOverflowError` if the update
        made the parameters non-finite (the caller rolls them back).
        """
        perturbed: Optional[List[Tuple[np.ndarray, Any]]] = [] if self.regularizers else None
        with np.errstate(over="ignore", invalid="ignore"):  # checked explicitly below
            zs, activations = self._forward(x, perturbed)
            batch_loss = float(np.sum(self.loss.forward(activations[-1], y), dtype=np.float64))
            self._backward(zs, activations, y, perturbed)
            if self.regularizers:
                batch_loss += self._penalty() * len(x)
            if not math.isfinite(batch_loss):
                raise DivergenceError(f"the loss is {batch_loss}; the parameters are those from before this batch")
            if not all_finite(self._grad):
                raise DivergenceError("the gradient is not finite; the parameters are those from before this batch")
            if clip_norm is not None:
                _clip(self._grad, clip_norm)
            new = self._update() if self.schedule is None else self._scheduled_update()
            if new is not self._params:
                self._params[...] = new
            if not all_finite(self._params):
                raise UpdateOverflowError("the optimizer's update made the parameters non-finite (its step overflowed)")
        self.updates += 1
        return batch_loss, activations[-1]

    def _update(self) -> np.ndarray:
        return self.optimizer.update(self._params, self._grad)

    def _scheduled_update(self) -> np.ndarray:
        """Update at the schedule's rate for step :attr:`updates`, then give the optimizer its own rate back.

        Outside this call the optimizer's ``learning_rate`` is always its own (the
        base), so its ``get_config()``, a model saved from a callback and a rate
        changed by the user between calls all see the configured value.
        """
        base = self._base_rate()
        rate = self.schedule.rate(self.updates, base)
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= float(rate) < math.inf:
            raise InvalidComponentError(
                f"the schedule {self.schedule.name!r} gave the learning rate {rate!r} for step {self.updates}; "
                "a schedule must give a finite number >= 0 (check it with npnet check)"
            )
        self.optimizer.learning_rate = self._last_rate = float(rate)
        try:
            return self._update()
        finally:
            self.optimizer.learning_rate = base

    def _evaluate(
        self, x: np.ndarray, y: np.ndarray, *, accuracy: bool, metrics: Optional[Mapping[str, Any]] = None
    ) -> Dict[str, float]:
        """The mean loss, with ``accuracy`` the argmax agreement, and ``metrics`` of checked data."""
        output = self._forward(x)[1][-1]
        logs = {"loss": float(np.mean(self.loss.forward(output, y), dtype=np.float64))}
        if accuracy:
            logs["accuracy"] = float(np.mean(output.argmax(axis=1) == y.argmax(axis=1)))
        for key, metric in (metrics or {}).items():
            logs[key] = float(metric.compute(output, y))
        return logs

    # -- the article's API ----------------------------------------------------------

    fit = _training.fit

    def predict(self, x: Any, labels: bool = False) -> np.ndarray:
        """Return the network's outputs, or with ``labels=True`` the argmax class of each row.

        Parameters
        ----------
        x : array-like of shape (n_samples, n_inputs), or (n_inputs,) for one sample

        Returns
        -------
        ndarray of shape (n_samples, n_outputs), or (n_samples,) int labels
        """
        x = as_float_matrix("x", x, self.dtype, self.layers[0], promote_vector=True)
        output = self._forward(x)[1][-1]
        return np.argmax(output, axis=1) if labels else output

    def score(self, x: Any, y: Any, accuracy: bool = False, *, metric: Any = None) -> float:
        """Return the mean loss, with ``accuracy=True`` the fraction of correct labels, or a metric's score.

        ``y`` may be integer class labels of shape (n_samples,) or one-hot rows
        of shape (n_samples, n_outputs) in every mode. ``metric`` is a metric
        name (``"f1"``), a ``(name, params)`` pair or a Metric object.
        """
        x = as_float_matrix("x", x, self.dtype, self.layers[0], promote_vector=True)
        n_out = self.layers[-1]
        y_array = np.asarray(y)
        if len(y_array) != len(x):
            raise ValidationError(f"x has {len(x)} samples but y has {len(y_array)}")
        if metric is not None:
            if accuracy:
                raise ValidationError("give accuracy=True or metric=..., not both")
            component, _ = resolve("metric", metric, self.registry)
            return float(component.compute(self._forward(x)[1][-1], self._targets_of(y_array)))
        if accuracy:
            if n_out < 2:
                raise ValidationError("accuracy needs a network with at least two outputs (one per class)")
            truth = self._labels_of(y_array)
            return float(np.mean(np.argmax(self._forward(x)[1][-1], axis=1) == truth))
        return self._evaluate(x, self._targets_of(y_array), accuracy=False)["loss"]

    def _labels_of(self, y: np.ndarray) -> np.ndarray:
        if y.ndim == 2 and y.shape[1] == self.layers[-1]:
            return np.argmax(y, axis=1)
        return check_labels(y, self.layers[-1], name="y")

    def _targets_of(self, y: np.ndarray, categorical: Optional[bool] = None) -> np.ndarray:
        """``y`` as a float matrix of targets; 1-D labels become one-hot for classifiers."""
        n_out = self.layers[-1]
        if categorical and y.ndim == 2:
            raise ValidationError(
                f"categorical=True expects integer class labels of shape (n_samples,), got shape "
                f"{y.shape}; if y is already one-hot, pass categorical=False"
            )
        if categorical or (categorical is None and y.ndim == 1 and n_out > 1):
            return to_categorical(check_labels(y, n_out, name="y"), n_out, dtype=self.dtype)
        if y.ndim == 1 and n_out == 1:
            y = y.reshape(-1, 1)
        if y.ndim == 1:
            raise ValidationError(
                f"y has shape {y.shape} but the network has {n_out} outputs; pass categorical=True "
                "to one-hot encode integer class labels, or give y of shape (n_samples, n_outputs)"
            )
        return as_float_matrix("y", y, self.dtype, n_out)

    def save_params(self, filename: Union[str, Path]) -> Path:
        """Save the flat parameter vector as an article-style ``.npy`` file; return its path."""
        from . import io  # the file formats load when used: `import npnet_core` stays fast

        return io.save_params(self, filename)

    def load_params(self, filename: Union[str, Path]) -> None:
        """Load an article-style ``.npy`` parameter vector saved for the same layers."""
        from . import io

        io.load_params(self, filename)

    # -- whole models -------------------------------------------------------------

    def save(self, path: Union[str, Path]) -> Path:
        """Save the whole model (architecture, components, parameters, optimizer state, history)."""
        from . import io  # zipfile and json: imported by saving and loading only

        return io.save_model(self, path)

    @classmethod
    def load(cls, path: Union[str, Path], *, registry: Optional[Registry] = None) -> "NeuralNetwork":
        """Load a model written by :meth:`save`, resolving its components by name."""
        from . import io

        return io.load_model(cls, path, registry=registry)

    @property
    def component_specs(self) -> Dict[str, Any]:
        """How each component was made, by role (None for components given as unnamed objects)."""
        return dict(self._specs)

    @property
    def components(self) -> Dict[str, Any]:
        """The components by role, as :attr:`component_specs` (a list for per-layer hidden activations)."""
        # each role is an attribute of its name; a per-layer list is kept as `hidden_activations`
        return {
            role: list(self.hidden_activations)
            if ROLES[role].per_layer and isinstance(spec, list)
            else getattr(self, role)
            for role, spec in self._specs.items()
        }

    def __repr__(self) -> str:
        def label(spec: Any, component: Any) -> str:
            if isinstance(spec, list):
                return "[" + ", ".join(label(s, c) for s, c in zip(spec, component)) + "]"
            if isinstance(spec, ComponentSpec):
                return repr(spec.name) if not spec.params else repr((spec.name, spec.params))
            return repr(component)

        components, defaults = self.components, type(self).__init__.__kwdefaults__ or {}
        parts = []
        for role, spec in self._specs.items():
            shown = label(spec, components[role])
            if ROLES[role].keyword:  # shown as keyword arguments, and only when not the default
                if shown == repr(defaults.get(role)):
                    continue
                shown = f"{role}={shown}"
            parts.append(shown)
        return f"NeuralNetwork({self.layers}, {', '.join(parts)}, dtype={self.dtype.name!r})"
