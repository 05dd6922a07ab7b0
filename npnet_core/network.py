"""NeuralNetwork: a multi-layer perceptron over one flat parameter vector.

The parameters live in one contiguous vector in the article's layout
``[W_1.ravel(), ..., W_L.ravel(), b_1, ..., b_L]``; ``weights`` and ``biases``
are views into it, and the gradient is written into a second vector of the
same layout, so ``optimizer.update(params, grad)`` gets flat vectors with no
flattening or copying per batch.

``predict``, ``score`` and validation go through the data a chunk of rows at a
time (:data:`~npnet_core._validation.CHUNK_BYTES` of temporaries), converting
each chunk to the network's dtype as it is read. A network is used by one
``fit`` at a time and read by any number of threads when no ``fit`` runs; a use
that would conflict raises (:class:`_Users`).
"""

from __future__ import annotations

import contextlib
import math
import numbers
import threading
import weakref
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _training
from ._labels import check_labels, to_categorical
from ._rng import Seed, make_rng
from ._rows import Matrix
from ._validation import (
    all_finite,
    as_float_matrix,
    as_float_rows,
    check_dtype,
    check_layers,
    check_matrix,
    check_memory,
    format_bytes,
    rows_per_chunk,
)
from .components import (
    ComponentSpec,
    MissingComponent,
    Registry,
    check_activation_result,
    check_loss_result,
    check_output_gradient_result,
    check_update_result,
    get_registry,
    produces,
    resolve,
    warn_if_mismatched,
)
from .errors import ConcurrentUseError, DivergenceError, InvalidComponentError, UpdateOverflowError, ValidationError
from .kinds import ROLES
from .protocols import PROBABILITIES

__all__ = ["NeuralNetwork"]

# component object id -> the network that owns it (an optimizer's or a schedule's state is one network's)
_OWNERS: "weakref.WeakValueDictionary[int, NeuralNetwork]" = weakref.WeakValueDictionary()


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


class _Users:
    """Who is using a network, so that a use that would conflict raises instead of corrupting.

    ``fit`` changes the parameters at every batch: it runs alone, one call at a
    time. Reading uses (``predict``, ``score``, ``save``) run in any number of
    threads together, and in ``fit``'s own thread (a callback between batches).
    Other writers (``set_params``, ``load_params``) run alone too, or from
    ``fit``'s own thread. A conflict raises at once: nothing waits.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._uses: List[Tuple[Optional[int], str, str, bool]] = []  # thread id and name, use, exclusive

    def __reduce__(self) -> Tuple[type, Tuple[()]]:  # a copied or unpickled network is in use by nobody
        return (type(self), ())

    @contextlib.contextmanager
    def use(self, what: str, *, exclusive: bool = False) -> Iterator[None]:
        """Run the ``with`` block as a use ``what`` of the network; raise if it conflicts with one running."""
        thread = threading.current_thread()
        entry = (thread.ident, thread.name, what, exclusive)
        with self._lock:
            for ident, name, other, other_exclusive in self._uses:
                if ident != thread.ident and (exclusive or other_exclusive):
                    raise ConcurrentUseError(self._conflict(what, other, f"in thread {name!r}"))
                if what == other == "fit":
                    raise ConcurrentUseError(self._conflict(what, other, "in this thread (a callback called fit?)"))
            self._uses.append(entry)
        try:
            yield
        finally:
            with self._lock:
                self._uses.remove(entry)

    @staticmethod
    def _conflict(what: str, other: str, where: str) -> str:
        if other == "fit":
            reason = (
                "fit changes the parameters at every batch. A network trains in one thread at a time and is read "
                "when no fit runs: call it after fit returns, from a callback of that fit, or on a copy "
                "(NeuralNetwork.load of a saved model)"
            )
        else:
            reason = f"{what} would change the parameters {other} is reading; call it after {other} returns"
        return f"cannot call {what} on this network while {other} runs on it {where}: {reason}"


class _Workspace:
    """Buffers a training step writes its matrix products into, kept from batch to batch.

    Per layer, the pre-activation ``z`` and (below the first layer) the
    gradient with respect to the layer's input, for up to :attr:`rows` rows.
    """

    def __init__(self) -> None:
        self.rows = 0
        self.products: List[np.ndarray] = []
        self.input_gradients: List[np.ndarray] = []

    def clear(self) -> None:
        """Let the buffers go (``fit`` does when it returns)."""
        self.rows, self.products, self.input_gradients = 0, [], []

    def reserve(self, rows: int, layers: Sequence[int], dtype: np.dtype) -> None:
        """Make the buffers hold at least ``rows`` rows of ``layers`` in ``dtype``."""
        if rows > self.rows or self.products[0].dtype != dtype:
            self.products = [np.empty((rows, width), dtype=dtype) for width in layers[1:]]
            self.input_gradients = [np.empty((rows, width), dtype=dtype) for width in layers[1:-1]]
            self.rows = rows


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
        for role, component in self.components.items():  # a loaded model's placeholders stand in for it only
            for each in component if isinstance(component, list) else [component]:
                if isinstance(each, MissingComponent):
                    self._claim(each, role, "the configuration its model file saved", each.name)
        self.updates = 0
        self._users = _Users()
        self._workspace = _Workspace()
        # a loss whose plugin is missing has no gradient to fuse; the hooks of other plugins never see it
        missing_loss = isinstance(self.loss, MissingComponent)
        self._output_gradient = (
            None if missing_loss else self.registry.output_gradient(self.output_activation, self.loss)
        )
        warn_if_mismatched(self.output_activation, self.loss, self.registry, stacklevel=2)
        self._allocate()
        if not isinstance(self.initializer, MissingComponent):  # a loaded model's: its saved parameters follow
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
        self._claim(optimizer, "optimizer", "moments, velocity", "adam")

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
            if callable(getattr(self.schedule, "state_dict", None)):  # a stateless schedule may be shared
                self._claim(schedule, "schedule", "what it learned from the epochs", "reduce_on_plateau")
            if not isinstance(self.optimizer, MissingComponent) and not isinstance(self.schedule, MissingComponent):
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

    def _claim(self, component: Any, role: str, state: str, example: str) -> None:
        """Make a component object with state this network's own; refuse one another network owns."""
        if isinstance(component, (str, tuple)):
            return  # made fresh from a name: nobody else has it
        owner = _OWNERS.get(id(component))
        if owner is not None and owner is not self:
            raise InvalidComponentError(
                f"this {role} object ({component!r}) already belongs to another network; its "
                f"state ({state}) describes that network's training. Pass a new "
                f"instance, or a name such as {example!r}, which gives every network its own"
            )
        _OWNERS[id(component)] = self

    def _allocate(self) -> None:
        shapes = list(zip(self.layers[:-1], self.layers[1:]))
        n_weights = sum(i * o for i, o in shapes)
        self.n_params = n_weights + sum(o for _, o in shapes)
        what = f"a network of layers {self.layers} ({self.n_params:,} parameters in {self.dtype.name})"
        advice = (
            "training keeps four vectors of its parameters' size (parameters, gradient and an optimizer's two "
            "moments); use smaller layers, or dtype='float32' for half the memory"
        )
        check_memory(4 * self.n_params * self.dtype.itemsize, what, advice)
        try:
            self._params = np.zeros(self.n_params, dtype=self.dtype)
            self._grad = np.zeros(self.n_params, dtype=self.dtype)
        except (MemoryError, ValueError) as exc:  # more than the system gives, or than NumPy can index
            raise ValidationError(
                f"{what} needs {format_bytes(2 * self.n_params * self.dtype.itemsize)} for its parameters and "
                f"gradient, which NumPy could not allocate ({type(exc).__name__}: {exc}); {advice}"
            ) from None
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
        with self._users.use("set_params", exclusive=True):
            self._params[...] = array

    # -- forward and backward ----------------------------------------------------------

    def _activation(self, layer: int) -> Any:
        last = len(self._weights) - 1
        if layer == last:
            return self.output_activation
        return self.hidden_activations[layer]

    def _spec(self, role: str, layer: int = 0) -> Optional[ComponentSpec]:
        """The spec of the component in ``role`` (of hidden layer ``layer`` for a per-layer list), for messages."""
        spec = self._specs.get(role)
        if isinstance(spec, list):
            spec = spec[layer]
        return spec if isinstance(spec, ComponentSpec) else None

    def _activation_spec(self, layer: int) -> Optional[ComponentSpec]:
        if layer == len(self._weights) - 1:
            return self._spec("output_activation")
        return self._spec("hidden_activation", layer)

    def _forward(
        self,
        x: np.ndarray,
        perturbed: Optional[List[Tuple[np.ndarray, Any]]] = None,
        *,
        check: bool = False,
        reuse: bool = False,
    ) -> Tuple[List[np.ndarray], List[np.ndarray]]:
        """Return the pre-activations ``z_i`` and activations ``a_0 = x, a_1, ...``.

        In training, ``perturbed`` is a list: each hidden layer's output goes
        through the regularizers' ``perturb`` and the list receives, per hidden
        layer, the output before it and the factor its gradient takes. With
        ``check``, each activation's result is checked (shape and dtype). With
        ``reuse``, the ``z_i`` are written into the workspace's buffers, valid
        until the next such call.
        """
        zs: List[np.ndarray] = []
        activations = [x]
        last = len(self._weights) - 1
        rows = len(x)
        if reuse:
            self._workspace.reserve(rows, self.layers, self.dtype)
        for layer, (w, b) in enumerate(zip(self._weights, self._biases)):
            if reuse:
                z = np.matmul(activations[-1], w, out=self._workspace.products[layer][:rows])
            else:
                z = activations[-1] @ w
            z += b
            zs.append(z)
            a = self._activation(layer).forward(z)
            if check:
                check_activation_result(self._activation(layer), "forward", z, a, self._activation_spec(layer))
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
        *,
        check: bool = False,
        weights: Optional[np.ndarray] = None,
        reuse: bool = False,
    ) -> None:
        """Write the gradient of the batch-mean loss into :attr:`gradient` (``check``: components' results).

        With ``weights`` (one per row, summing to a positive number), the mean is weighted. With
        ``reuse``, the gradients with respect to the layers' inputs go into the workspace's buffers
        (reserved by ``_forward(reuse=True)``).
        """
        y_pred = activations[-1]
        if self._output_gradient is not None:
            delta = self._output_gradient(y_pred, y)
            if check:
                check_output_gradient_result(self._output_gradient, y_pred, delta)
        else:
            grad_y = self.loss.backward(y_pred, y)
            if check:
                check_loss_result(self.loss, "backward", y_pred, grad_y, self._spec("loss"))
            delta = self.output_activation.backward(zs[-1], y_pred, grad_y)
            if check:
                last = len(self._weights) - 1
                check_activation_result(self.output_activation, "backward", zs[-1], delta, self._activation_spec(last))
        if weights is None:
            delta = delta * (1.0 / y.shape[0])
        else:
            delta = delta * (weights / weights.sum()).astype(self.dtype)[:, None]
        for layer in range(len(self._weights) - 1, -1, -1):
            np.matmul(activations[layer].T, delta, out=self._grad_weights[layer])
            np.add.reduce(delta, axis=0, out=self._grad_biases[layer][0])
            if layer:
                if reuse:
                    out = self._workspace.input_gradients[layer - 1][: len(delta)]
                    grad_a = np.matmul(delta, self._weights[layer].T, out=out)
                else:
                    grad_a = delta @ self._weights[layer].T
                output = activations[layer]
                if perturbed:
                    output, scale = perturbed[layer - 1]
                    if scale is not None:
                        grad_a *= scale
                delta = self._activation(layer - 1).backward(zs[layer - 1], output, grad_a)
                if check:
                    activation, spec = self._activation(layer - 1), self._activation_spec(layer - 1)
                    check_activation_result(activation, "backward", zs[layer - 1], delta, spec)

    def _penalty(self) -> float:
        """Add the regularizers' penalty gradients to the weight gradients; return the total penalty."""
        total = 0.0
        for regularizer in self.regularizers:
            for w, grad in zip(self._weights, self._grad_weights):
                total += float(regularizer.penalty(w, grad))
        return total

    def _train_step(
        self,
        x: np.ndarray,
        y: np.ndarray,
        clip_norm: Optional[float] = None,
        *,
        check: bool = False,
        weights: Optional[np.ndarray] = None,
    ) -> Tuple[float, np.ndarray]:
        """Compute the gradient on one batch, update; return the batch's summed loss and outputs.

        The loss is that of the parameters before the update, with the
        regularizers' penalty counted once per sample (so an epoch's mean loss
        includes it). With ``weights`` (float64, one per row), the gradient is
        that of the weighted mean loss, the summed loss is weighted (the
        penalty counted once per unit of weight), and a batch whose weights
        are all 0 makes no update. With a schedule, the update runs at the
        schedule's rate for step :attr:`updates`. With
        ``clip_norm``, a gradient whose Euclidean norm exceeds it is scaled
        down to that norm before the update. Raises :class:`DivergenceError`
        if the loss or the gradient is not finite (the parameters are then
        left as they were), and :class:`UpdateOverflowError` if the update
        made the parameters non-finite (the caller rolls them back). With
        ``check`` (``fit``'s first batch), what each component returns is
        checked for shape and dtype, and one that is wrong raises
        :class:`InvalidComponentError` naming it (``fit`` then puts back the
        parameters, which an optimizer may have changed in place).
        """
        perturbed: Optional[List[Tuple[np.ndarray, Any]]] = [] if self.regularizers else None
        with np.errstate(over="ignore", invalid="ignore"):  # checked explicitly below
            zs, activations = self._forward(x, perturbed, check=check, reuse=True)
            losses = self.loss.forward(activations[-1], y)
            if check:
                check_loss_result(self.loss, "forward", activations[-1], losses, self._spec("loss"))
            if weights is None:
                batch_loss, total_weight = float(np.sum(losses, dtype=np.float64)), float(len(x))
            else:
                batch_loss, total_weight = float(np.dot(weights, losses.astype(np.float64))), float(weights.sum())
                if total_weight == 0:  # nothing to learn from: no update
                    return 0.0, activations[-1]
            self._backward(zs, activations, y, perturbed, check=check, weights=weights, reuse=True)
            if self.regularizers:
                batch_loss += self._penalty() * total_weight
            if not math.isfinite(batch_loss):
                raise DivergenceError(f"the loss is {batch_loss}; the parameters are those from before this batch")
            if not all_finite(self._grad):
                raise DivergenceError("the gradient is not finite; the parameters are those from before this batch")
            if clip_norm is not None:
                _clip(self._grad, clip_norm)
            new = self._update() if self.schedule is None else self._scheduled_update()
            if check:
                check_update_result(self.optimizer, self._params, new, self._spec("optimizer"))
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

    def _infer(self, x: np.ndarray) -> np.ndarray:
        """The outputs for a chunk of checked rows, keeping no layer's values longer than needed."""
        a = x
        for layer, (w, b) in enumerate(zip(self._weights, self._biases)):
            z = a @ w
            z += b
            a = self._activation(layer).forward(z)
        return a

    def _chunks(self, x: Matrix, name: str = "x", offset: int = 0) -> Iterator[Tuple[int, np.ndarray]]:
        """Yield ``(first row, outputs)`` for ``x`` (checked by ``check_matrix``) a chunk of rows at a time.

        Each chunk is read with one slice ``x[start:stop]`` (the rows of an
        array-like such as an h5py dataset are read only then), converted to
        the network's dtype and checked for NaN and infinite values as it is
        read (messages number the rows from ``offset``). A chunk takes about
        ``CHUNK_BYTES`` of temporaries; data of one chunk or less is computed
        in one piece, exactly as without chunks.
        """
        rows = rows_per_chunk(self.dtype.itemsize * (self.layers[0] + 2 * sum(self.layers[1:])))
        for start in range(0, len(x), rows):
            yield start, self._infer(as_float_rows(name, x[start : start + rows], self.dtype, offset + start))

    def _outputs(self, x: Matrix, labels: bool = False) -> np.ndarray:
        """The outputs (or with ``labels``, the labels they give) for all of ``x``, computed chunk by chunk."""
        result: Optional[np.ndarray] = None
        for start, output in self._chunks(x):
            values = self._labels(output) if labels else output
            if start == 0 and len(values) == len(x):
                return values
            if result is None:
                result = np.empty((len(x),) + values.shape[1:], dtype=values.dtype)
            result[start : start + len(values)] = values
        assert result is not None  # x has at least one row
        return result

    @property
    def _thresholded(self) -> bool:
        """Whether the outputs are probabilities of their own (binary, multi-label): each gives a 0/1 label."""
        return produces(self.output_activation) == PROBABILITIES

    def _labels(self, output: np.ndarray) -> np.ndarray:
        """The labels outputs give: the argmax class of each row, or ``output > 0.5`` (int 0/1, 1-D for one output)."""
        if self._thresholded:
            labels = (output > 0.5).astype(np.int64)
            return labels[:, 0] if labels.shape[1] == 1 else labels
        return np.argmax(output, axis=1)

    def _correct(self, output: np.ndarray, target: np.ndarray) -> int:
        """How many rows of ``output`` give all the labels of ``target`` (one-hot rows, or 0/1 values)."""
        if self._thresholded:
            return int(np.count_nonzero(((output > 0.5) == (target > 0.5)).all(axis=1)))
        return int(np.count_nonzero(output.argmax(axis=1) == target.argmax(axis=1)))

    def _is_classification(self, targets: np.ndarray) -> bool:
        """Whether ``targets`` (a float matrix) are labels whose accuracy means something."""
        if self._thresholded:
            return bool(((targets == 0) | (targets == 1)).all())
        return self.layers[-1] > 1 and bool(
            ((targets == 0) | (targets == 1)).all() and (targets.sum(axis=1) == 1).all()
        )

    def _require(self, use: str) -> None:
        """Raise ComponentNotFoundError if ``use`` ("score", "fit") needs a component whose plugin is missing."""
        needs = ("predict", "score") if use == "score" else ("predict", "score", "fit")
        for role, component in self.components.items():
            for each in component if isinstance(component, list) else [component]:
                if isinstance(each, MissingComponent) and ROLES[role].needed_for in needs:
                    raise each.error(use)

    def _evaluate(
        self,
        x: Matrix,
        y: np.ndarray,
        *,
        accuracy: bool,
        metrics: Optional[Mapping[str, Any]] = None,
        name: str = "x",
        offset: int = 0,
    ) -> Dict[str, float]:
        """The mean loss, with ``accuracy`` the argmax agreement, and ``metrics``.

        ``y`` is checked; ``x`` is read by chunk (:meth:`_chunks`, with ``name`` and ``offset``).
        """
        self._require("score")
        losses, correct = [], 0
        outputs = np.empty((len(x), self.layers[-1]), dtype=self.dtype) if metrics else None
        for start, output in self._chunks(x, name, offset):
            target = y[start : start + len(output)]
            losses.append(self.loss.forward(output, target))
            if accuracy:
                correct += self._correct(output, target)
            if outputs is not None:
                outputs[start : start + len(output)] = output
        per_sample = losses[0] if len(losses) == 1 else np.concatenate(losses)
        logs = {"loss": float(np.mean(per_sample, dtype=np.float64))}
        if accuracy:
            logs["accuracy"] = correct / len(x)
        for key, metric in (metrics or {}).items():
            logs[key] = float(metric.compute(outputs, y))
        return logs

    # -- the article's API ----------------------------------------------------------

    fit = _training.fit

    def predict(self, x: Any, labels: bool = False) -> np.ndarray:
        """Return the network's outputs, or with ``labels=True`` the label of each row.

        The labels are the argmax class of each row, or, when the output
        activation produces probabilities of their own (``sigmoid``: binary and
        multi-label classification), ``output > 0.5`` as 0/1.

        Parameters
        ----------
        x : array-like of shape (n_samples, n_inputs), or (n_inputs,) for one sample

        Returns
        -------
        ndarray of shape (n_samples, n_outputs); with ``labels``, int of shape
        (n_samples,) (classes, or 0/1 for one sigmoid output) or (n_samples, n_outputs) (multi-label)

        Notes
        -----
        The rows go through the network a chunk at a time (about 32 MiB of
        temporaries), each converted to the network's dtype as it is read, so a
        memory-mapped file is never copied whole, and an array-like such as an
        h5py dataset or a zarr array is read a slice ``x[start:stop]`` at a
        time, never whole. Safe to call from several threads at once; not
        while ``fit`` runs on the network in another thread (that raises).
        """
        with self._users.use("predict"):
            x = check_matrix("x", x, self.layers[0], promote_vector=True)
            return self._outputs(x, labels=labels)

    def score(self, x: Any, y: Any, accuracy: bool = False, *, metric: Any = None) -> float:
        """Return the mean loss, with ``accuracy=True`` the fraction of correct labels, or a metric's score.

        ``y`` may be integer class labels of shape (n_samples,) or one-hot rows
        of shape (n_samples, n_outputs) in every mode; for outputs that are
        probabilities of their own (sigmoid), 0/1 targets of shape
        (n_samples,) for one output or (n_samples, n_outputs), and the
        accuracy is the fraction of rows whose every label is right (subset
        accuracy, as scikit-learn's ``accuracy_score``). ``metric`` is a metric
        name (``"f1"``), a ``(name, params)`` pair or a Metric object. ``x``
        is read a chunk at a time, as by :meth:`predict`. The loss needs the
        loss's plugin; accuracy and metrics do not.
        """
        with self._users.use("score"):
            x = check_matrix("x", x, self.layers[0], promote_vector=True)
            n_out = self.layers[-1]
            y_array = np.asarray(y)
            if len(y_array) != len(x):
                raise ValidationError(f"x has {len(x)} samples but y has {len(y_array)}")
            if metric is not None:
                if accuracy:
                    raise ValidationError("give accuracy=True or metric=..., not both")
                component, _ = resolve("metric", metric, self.registry)
                targets = self._targets_of(y_array)
                return float(component.compute(self._outputs(x), targets))
            if accuracy:
                if self._thresholded:
                    targets = self._targets_of(y_array)
                    if not self._is_classification(targets):
                        raise ValidationError(
                            f"accuracy compares labels: the {self.output_activation.name!r} outputs are "
                            "probabilities, so y must hold 0/1 labels; use score(x, y) for the loss"
                        )
                    return sum(self._correct(out, targets[i : i + len(out)]) for i, out in self._chunks(x)) / len(x)
                if n_out < 2:
                    raise ValidationError(
                        "accuracy needs a classifier: one output per class (softmax), or outputs that are "
                        "probabilities of their own (sigmoid) for binary and multi-label labels"
                    )
                truth = self._labels_of(y_array)
                return float(np.mean(self._outputs(x, labels=True) == truth))
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

        with self._users.use("save_params"):
            return io.save_params(self, filename)

    def load_params(self, filename: Union[str, Path]) -> None:
        """Load an article-style ``.npy`` parameter vector saved for the same layers."""
        from . import io

        with self._users.use("load_params", exclusive=True):
            io.load_params(self, filename)

    # -- whole models -------------------------------------------------------------

    def save(self, path: Union[str, Path]) -> Path:
        """Save the whole model (architecture, components, parameters, optimizer state, history)."""
        from . import io  # zipfile and json: imported by saving and loading only

        with self._users.use("save"):
            return io.save_model(self, path)

    def to_onnx(self, path: Union[str, Path, None] = None, *, opset: Optional[int] = None, labels: bool = False) -> Any:
        """Export to ONNX (``pip install npnet-core[onnx]``); see :func:`npnet_core.export.to_onnx`."""
        from .export import to_onnx

        with self._users.use("to_onnx"):
            return to_onnx(self, path, opset=opset, labels=labels)

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

    def summary(self) -> str:
        """Return a table of the layers (shapes, activations, parameters) and of every component with its
        distribution and version, the totals and the dtype; ``print(net)`` shows it."""
        from ._summary import summary

        return summary(self)

    def __str__(self) -> str:
        return self.summary()

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
