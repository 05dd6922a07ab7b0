"""The training loop: data checks, shuffled mini-batches, validation, early stopping, history.

Each epoch draws a permutation of the sample indices from the network's
generator and gathers each batch into a reused contiguous buffer, converted
there to the network's dtype; the data set itself is never copied, converted
or reshuffled. Data in memory is checked for NaN and infinite values before
training; a memory-mapped file is checked as its batches are read in the first
epoch (one read of the file, not two), and the network is put back as it was
before ``fit`` if a value is refused. After each epoch the metrics go to the
network's history, the progress display, and the ``npnet_on_epoch_end`` hook,
whose implementations may stop training.

One ``fit`` runs on a network at a time, and no ``predict`` from another thread
while it runs (``NeuralNetwork._users``).

:func:`fit` is :meth:`NeuralNetwork.fit <npnet_core.NeuralNetwork.fit>` itself (the
class assigns it), so its signature and docstring are written once, here; it
drives the network's private batch step, as a method does.
"""

from __future__ import annotations

import contextlib
import copy
import math
import numbers
import signal
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import pluggy

from . import hookspecs
from ._progress import make_progress
from ._rows import LazyRows, Matrix
from ._validation import (
    check_finite,
    check_matrix,
    check_memory,
    check_positive_int,
    first_non_finite,
    is_mapped,
    non_finite_error,
)
from .components import ArticleOptimizer, call_hook, parse_component, resolve
from .errors import DivergenceError, InvalidComponentError, UpdateOverflowError, ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from .network import NeuralNetwork

__all__ = ["Checkpoint", "checkpoint", "directions", "fit", "iter_batches", "resolve_metrics", "restore"]

_Data = Tuple[Matrix, np.ndarray]


def iter_batches(
    x: Matrix, y: np.ndarray, batch_size: int, order: np.ndarray, dtype: Any = None
) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
    """Yield ``(x_batch, y_batch)`` in ``order``, the last batch possibly smaller.

    The batches are contiguous copies written into two buffers that are reused:
    each pair is valid until the next one is drawn. ``x_batch`` has ``dtype``
    (default: ``x``'s), converted batch by batch, so ``x`` is never copied whole.
    The rows of an array-like (:class:`LazyRows`) are read with one selection
    of increasing indices per batch, then written in ``order``'s order.
    """
    rows = min(batch_size, len(x))
    x_buffer = np.empty((rows, x.shape[1]), dtype=x.dtype if dtype is None else dtype)
    # take cannot convert as it writes: a batch of another dtype is gathered first, then converted
    same_dtype = isinstance(x, LazyRows) or x_buffer.dtype == x.dtype  # LazyRows.take converts as it writes
    gathered = x_buffer if same_dtype else np.empty_like(x_buffer, dtype=x.dtype)
    y_buffer = np.empty((rows, y.shape[1]), dtype=y.dtype)
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        m = len(index)
        if isinstance(x, LazyRows):
            x.take(index, out=x_buffer[:m])
        else:
            # mode="clip" lets take write straight into `out` (the default "raise" buffers a copy);
            # the indices come from a permutation, so nothing is ever clipped
            np.take(x, index, axis=0, out=gathered[:m], mode="clip")
            if gathered is not x_buffer:
                with np.errstate(over="ignore"):  # beyond float32's range: inf, refused by the data checks
                    x_buffer[:m] = gathered[:m]
        yield x_buffer[:m], np.take(y, index, axis=0, out=y_buffer[:m], mode="clip")


def _check_data(net: "NeuralNetwork", x: Any, y: Any, categorical: Optional[bool], name: str = "") -> _Data:
    """``x`` checked but not converted (the batches are), and the targets.

    The values of data in memory are checked here; those of a memory-mapped
    file or an array-like read by selections (:class:`LazyRows`) as they are
    read (``_Loop``). ``y`` is loaded whole.
    """
    x_array = check_matrix(f"x{name}", x, net.layers[0])
    if isinstance(x_array, LazyRows):
        # the training rows are read by indices: reading one now, an array-like that cannot fails before training
        # (validation rows are read by slices, and a read refused then puts the network back)
        if not name:
            x_array.check_reads("x")
    elif not is_mapped(x_array):
        check_finite(f"x{name}", x_array, net.dtype)
    y_array = np.asarray(y)
    if y_array.ndim == 0 or len(y_array) != len(x_array):
        raise ValidationError(
            f"x{name} and y{name} must have one row per sample: x{name} has {len(x_array)} rows, "
            f"y{name} has shape {y_array.shape}"
        )
    return x_array, net._targets_of(y_array, categorical=categorical)


def _validation(
    net: "NeuralNetwork", data: _Data, validation_data: Any, validation_split: Any, categorical: bool
) -> Tuple[_Data, Optional[_Data]]:
    """Split off or check the validation data; return the training and validation pairs."""
    x, y = data
    if validation_data is not None:
        if validation_split:
            raise ValidationError("give validation_data or validation_split, not both")
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValidationError(
                f"validation_data must be a pair (x_val, y_val) (got {type(validation_data).__name__})"
            )
        # labels are one-hot encoded for a classifier whatever `categorical` says: as in score()
        return data, _check_data(net, validation_data[0], validation_data[1], None, name="_val")
    if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real):
        raise ValidationError(f"validation_split must be a fraction in [0, 1) (got {validation_split!r})")
    fraction = float(validation_split)
    if not 0 <= fraction < 1:
        raise ValidationError(f"validation_split must be a fraction in [0, 1) (got {validation_split})")
    if fraction == 0:
        return data, None
    n_val = int(math.ceil(fraction * len(x)))
    if n_val >= len(x):
        raise ValidationError(f"validation_split={validation_split} leaves no training samples out of {len(x)}")
    # the last samples, before any shuffling, as Keras does: the same split on every call
    if isinstance(x, LazyRows):  # views: nothing is read
        return (x.select(slice(None, -n_val)), y[:-n_val]), (x.select(slice(-n_val, None)), y[-n_val:])
    return (x[:-n_val], y[:-n_val]), (x[-n_val:], y[-n_val:])


def _schedule_epoch_end(net: "NeuralNetwork", epoch: int, logs: Dict[str, float]) -> bool:
    """Tell a schedule that reacts to epochs (reduce on plateau) that one of its network's ended.

    Called directly, not through the registry's hooks, which every network of
    that registry shares: a schedule hears only its own network.
    """
    hook = getattr(net.schedule, "npnet_on_epoch_end", None)
    return bool(hook(network=net, epoch=epoch, logs=logs)) if callable(hook) else False


def _check_clip_norm(clip_norm: Any) -> Optional[float]:
    if clip_norm is None:
        return None
    if isinstance(clip_norm, bool) or not isinstance(clip_norm, numbers.Real) or not 0 < float(clip_norm) < math.inf:
        raise ValidationError(
            f"clip_norm must be a positive number, the largest gradient norm allowed (got {clip_norm!r})"
        )
    return float(clip_norm)


def resolve_metrics(metrics: Any, registry: Any) -> Dict[str, Any]:
    """The metrics ``fit`` reports, by history key: the name as given (for a pair, its name; for an object, its
    name), without a ``DISTRIBUTION:`` pin."""
    if metrics is None:
        return {}
    single = isinstance(metrics, tuple) and len(metrics) == 2 and isinstance(metrics[1], Mapping)
    if not isinstance(metrics, (list, tuple)) or single:
        raise ValidationError(f"metrics must be a list, such as metrics=['accuracy', 'f1'] (got {metrics!r})")
    resolved: Dict[str, Any] = {}
    for spec in metrics:
        metric, _ = resolve("metric", spec, registry)
        name = spec if isinstance(spec, str) else spec[0] if isinstance(spec, tuple) else metric.name
        if "=" in name:  # a text spec: "top_k_accuracy:k=3"
            name = parse_component(name)[0]
        key = name.rpartition(":")[2]  # a pinned "npnet-metrics:f1" is reported as f1
        if key in resolved or key in ("loss", "epoch_time", "learning_rate"):
            raise ValidationError(f"metrics name {key!r} twice, or a key fit records itself; give each metric once")
        resolved[key] = metric
    return resolved


def _try_metrics(net: "NeuralNetwork", metrics: Dict[str, Any], train: _Data) -> None:
    """Compute each metric once on the first rows, so that one refusing these targets (a metric for one-hot
    classes given multi-label rows) raises before the first update, not after the first epoch."""
    if metrics:
        x, y = train
        rows = min(len(x), 256)
        outputs = net._outputs(x[:rows])
        for metric in metrics.values():
            metric.compute(outputs, y[:rows])


class _Monitor(NamedTuple):
    """What early stopping watches: a history key, and whether a greater value is better."""

    key: str
    greater_is_better: bool
    patience: int


def directions(metrics: Dict[str, Any], classifier: bool) -> Dict[str, bool]:
    """What ``fit`` records (without ``val_``) and whether a greater value of each is better."""
    recorded = {"loss": False, **({"accuracy": True} if classifier else {})}
    recorded.update({key: bool(metric.greater_is_better) for key, metric in metrics.items()})
    return recorded


def _check_monitor(
    early_stopping: Any, monitor: str, metrics: Dict[str, Any], classifier: bool, validation: Optional[_Data]
) -> Optional[_Monitor]:
    if early_stopping is None:
        if monitor != "val_loss":
            raise ValidationError(
                f"monitor={monitor!r} chooses what early stopping watches: give early_stopping=PATIENCE too"
            )
        return None
    patience = check_positive_int("early_stopping (the patience in epochs)", early_stopping)
    if not isinstance(monitor, str):
        raise ValidationError(f"monitor must be a history key such as 'val_loss' or 'val_f1' (got {monitor!r})")
    name = monitor[4:] if monitor.startswith("val_") else monitor
    directions_ = directions(metrics, classifier)
    if name not in directions_:
        raise ValidationError(
            f"early stopping cannot monitor {monitor!r}: fit records {', '.join(sorted(directions_))} (and "
            f"val_ of each when validating); to watch another metric, list it in metrics=[...]"
        )
    if monitor != name and validation is None:
        raise ValidationError(
            f"early stopping watches {monitor!r}, a validation metric: give validation_data or "
            f"validation_split too, or monitor={name!r}"
        )
    return _Monitor(monitor, directions_[name], patience)


def _check_sample_weight(sample_weight: Any, n: int) -> Optional[np.ndarray]:
    """``sample_weight`` as float64 of shape (n,), finite and >= 0, not all 0; None stays None."""
    if sample_weight is None:
        return None
    try:
        weights = np.array(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"sample_weight must be numbers, one per sample ({exc})") from None
    if weights.shape != (n,):
        raise ValidationError(f"sample_weight must have one weight per sample, shape ({n},); got shape {weights.shape}")
    bad = np.flatnonzero(~np.isfinite(weights) | (weights < 0))
    if len(bad):
        raise ValidationError(
            f"sample_weight must be finite and >= 0; sample {int(bad[0])} has the weight {weights[bad[0]]}"
        )
    if not weights.any():
        raise ValidationError("sample_weight gives every sample the weight 0: there is nothing to learn from")
    return weights / weights.max()  # the same weighted means, and no sum of large weights overflows


def _record(history: Dict[str, List[float]], logs: Dict[str, float]) -> None:
    """Append an epoch's metrics, keeping every list one entry per epoch (NaN where a metric is missing).

    New keys come after the known ones, in the order of ``logs``: the history's order does not depend on
    string hashing.
    """
    epochs_before = len(history.get("loss", []))
    for key in [*history, *(key for key in logs if key not in history)]:
        history.setdefault(key, [math.nan] * epochs_before).append(logs.get(key, math.nan))


@contextlib.contextmanager
def _interrupts_at_batch_boundaries() -> Iterator[Callable[[], bool]]:
    """Hold Ctrl-C (SIGINT) until the running batch is done; yield a function telling if it came.

    A batch's update then always completes, so the parameters and the optimizer
    state stay consistent. A second Ctrl-C interrupts at once. Outside the main
    thread, or when the program has its own SIGINT handler, nothing changes.
    """
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield lambda: False
        return
    received: List[int] = []

    def hold(signum: int, frame: Any) -> None:
        if received:
            raise KeyboardInterrupt("training interrupted at once by a second Ctrl-C")
        received.append(signum)

    signal.signal(signal.SIGINT, hold)
    try:
        yield lambda: bool(received)
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _with_callbacks(net: "NeuralNetwork", callbacks: Sequence[Any]) -> Callable[..., List[Any]]:
    """Return ``hook(name, **kwargs)``: the training hook ``name`` of every installed plugin, then of the callbacks.

    The installed plugins' hooks go through :func:`~npnet_core.components.call_hook`,
    which names a plugin that raises; the callbacks are registered on a plugin
    manager of this call's own, not on the registry's, which every network of the
    registry shares: a ``fit`` running in another thread never calls them, and a
    callback's own exception propagates as raised.
    """
    installed = net.registry.plugin_manager
    own = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    own.add_hookspecs(hookspecs)
    for callback in callbacks:
        if not installed.is_registered(callback) and not own.is_registered(callback):
            own.register(callback)
    try:
        own.check_pending()  # a misspelled npnet_on_* hook is an error, not silence
    except pluggy.PluginValidationError as exc:
        raise InvalidComponentError(f"a callback passed to fit has a hook npnet does not know: {exc}") from exc

    def hook(name: str, **kwargs: Any) -> List[Any]:
        results = call_hook(net.registry, name, **kwargs)
        returned = getattr(own.hook, name)(**kwargs)
        return results + [result for result in returned if result is not None]

    return hook


def fit(
    net: "NeuralNetwork",
    x: Any,
    y: Any,
    batch_size: int,
    epochs: int,
    categorical: bool = False,
    *,
    validation_data: Any = None,
    validation_split: float = 0.0,
    early_stopping: Optional[int] = None,
    monitor: str = "val_loss",
    metrics: Optional[Sequence[Any]] = None,
    verbose: int = 1,
    callbacks: Sequence[Any] = (),
    clip_norm: Optional[float] = None,
    sample_weight: Any = None,
) -> np.ndarray:
    """Train with mini-batches; return the loss of each epoch.

    Parameters
    ----------
    x : array-like of shape (n_samples, n_inputs)
    y : array-like of shape (n_samples, n_outputs), or (n_samples,) class labels
        with ``categorical=True``.
    batch_size, epochs : int
    categorical : bool, default False
        One-hot encode integer class labels ``y`` (the article's switch).
    validation_data : (x_val, y_val), optional
        _Data to evaluate after each epoch; ``y_val`` may be labels or one-hot.
    validation_split : float, default 0.0
        Hold out this fraction of the samples, taken from the end of
        ``x`` and ``y`` before any shuffling, as validation data.
    early_stopping : int, optional
        Patience: stop when the monitored value has not improved for this
        many epochs, and restore the parameters of the best epoch.
    monitor : str, default "val_loss"
        What early stopping watches: ``loss``, ``accuracy`` (classifiers)
        or a metric's key, with ``val_`` for its value on the validation
        data. Losses improve downwards, metrics in the direction their
        ``greater_is_better`` says.
    metrics : list of name, (name, params) or Metric, optional
        Reported after each epoch on the training batches' outputs (before
        each batch's update, as the loss) and on the validation data:
        ``metrics=["f1"]`` adds ``history["f1"]`` and ``history["val_f1"]``.
    verbose : {0, 1, 2}, default 1
        0: silent; 1: a progress bar on a terminal (with tqdm installed),
        otherwise one line per epoch; 2: one line per epoch.
    callbacks : sequence of objects, optional
        Objects with ``npnet_on_*`` hook implementations, registered for
        this call only: they see every epoch's metrics and may stop training.
    clip_norm : float, optional
        Scale each batch's gradient down to this Euclidean norm when it is
        larger (gradient clipping by norm).
    sample_weight : array-like of shape (n_samples,), optional
        A finite weight >= 0 per sample: each batch's loss and gradient are
        weighted means, ``sum(w * loss) / sum(w)`` (a batch whose weights are
        all 0 makes no update), so on a full batch integer weights equal
        repeating rows. With ``validation_split`` the weights of the rows held
        out are not used: validation, accuracy and metrics are unweighted.

    Returns
    -------
    losses : ndarray of shape (epochs_run,)
        Each epoch's mean per-sample training loss (measured before each
        batch's update; with ``sample_weight``, the weighted mean). The full metrics, also of
        earlier calls, are in :attr:`history`.

    Raises
    ------
    ValidationError
        Bad data or options, before anything changes; a batch too large for
        memory. NaN or infinite values of a memory-mapped ``x``, or of an
        array-like read a selection at a time (an h5py dataset), are found as
        their batch is read, and the network is then put back as it was
        before ``fit``. Another ``fit`` on this network, or a ``predict``,
        ``score`` or ``save`` of it in another thread, running: a network
        trains in one thread at a time, and nothing waits.
    ComponentNotFoundError
        The network was loaded from a model file whose loss, optimizer,
        regularizer or schedule comes from a plugin that is not installed.
    InvalidComponentError
        A component returned a result of the wrong shape or dtype on the
        first batch, or an installed plugin's training hook raised.
    DivergenceError
        A NaN or infinite batch loss or gradient: the message names the
        epoch and batch, and the parameters are those from before that
        batch. A non-finite validation loss: the message names the epoch,
        and the parameters are those the epoch ended with.
        :class:`~npnet_core.errors.UpdateOverflowError` when the
        optimizer's step made the parameters non-finite: the parameters
        and the optimizer state are rolled back, and the message says to
        what (before that batch; the start of the epoch if running its
        batches again gives other losses; not at all if the optimizer's
        state cannot be copied).
    KeyboardInterrupt
        Ctrl-C, acted on at the next batch boundary; the history keeps the
        complete epochs.
    """
    with net._users.use("fit", exclusive=True):  # one fit at a time, and no predict from another thread
        net._require("fit")
        batch_size = check_positive_int("batch_size", batch_size)
        epochs = check_positive_int("epochs", epochs)
        if verbose not in (0, 1, 2):  # True and False count as 1 and 0
            raise ValidationError(
                f"verbose must be 0 (silent), 1 (progress) or 2 (one line per epoch) (got {verbose!r})"
            )
        data = _check_data(net, x, y, bool(categorical))
        weights = _check_sample_weight(sample_weight, len(data[0]))
        train, validation = _validation(net, data, validation_data, validation_split, bool(categorical))
        if weights is not None:
            weights = weights[: len(train[0])]  # the rows validation_split holds out come last
            if not weights.any():
                raise ValidationError(
                    "sample_weight gives every training sample the weight 0: there is nothing to learn from"
                )
        _check_batch_memory(net, batch_size, len(train[0]))
        classifier = net._is_classification(train[1])
        resolved = resolve_metrics(metrics, net.registry)
        _try_metrics(net, resolved, train)
        watched = _check_monitor(early_stopping, monitor, resolved, classifier, validation)
        loop = _Loop(net, train, validation, batch_size, watched)
        loop.weights = weights
        loop.classifier, loop.metrics = classifier, resolved
        loop.clip_norm = _check_clip_norm(clip_norm)
        if validation_data is None:
            loop.validation_name = ("x", len(train[0]))
        hook = _with_callbacks(net, callbacks)
        with _interrupts_at_batch_boundaries() as interrupted:
            loop.interrupted = interrupted
            hook("npnet_on_train_begin", network=net, epochs=epochs)
            progress = make_progress(int(verbose), epochs, loop.n_batches)
            try:
                for epoch in range(1, epochs + 1):
                    logs = loop.run_epoch(epoch, progress)
                    _record(net.history, logs)
                    progress.end_epoch(epoch, logs)
                    stop = loop.should_stop(logs)
                    stop |= any(hook("npnet_on_epoch_end", network=net, epoch=epoch, logs=logs))
                    stop |= _schedule_epoch_end(net, epoch, logs)
                    if interrupted():  # Ctrl-C during validation or the hooks: the epoch is complete
                        raise KeyboardInterrupt(
                            f"training interrupted after epoch {epoch}: the history holds the {epoch} complete epochs"
                        )
                    if stop:
                        break
            finally:
                progress.close()
                net._workspace.clear()  # buffers of a batch's size: not kept beyond fit
            loop.restore_best()
            hook("npnet_on_train_end", network=net, history=net.history)
        return np.array(loop.losses)


def _check_batch_memory(net: "NeuralNetwork", batch_size: int, n_samples: int) -> None:
    """Refuse a batch whose layer values alone would not fit in memory, before anything is allocated.

    A batch keeps, per row, the input gathered and converted, and for every
    layer its pre-activation, activation, the value regularizers perturb and
    the gradient flowing back: about ``2 * n_in + 4 * (h_1 + ... + n_out)`` values.
    """
    rows = min(batch_size, n_samples)
    per_row = net.dtype.itemsize * (2 * net.layers[0] + 4 * sum(net.layers[1:]))
    check_memory(
        rows * per_row,
        f"a batch of {rows} rows (batch_size={batch_size}) through layers {net.layers}",
        "give a smaller batch_size",
    )


class Checkpoint(NamedTuple):
    """What :func:`restore` puts back: the parameters, the optimizer's state, the update count and the
    generator's state (dropout draws its masks from it, so a replay draws the same ones)."""

    params: np.ndarray
    state: Any
    updates: int
    rng: Dict[str, Any]


def checkpoint(net: "NeuralNetwork") -> Optional[Checkpoint]:
    """A copy of what training changes, or None if the optimizer's state cannot be copied.

    The state is deep-copied here and again at each :func:`restore`, so an
    optimizer whose ``state_dict`` returns its live arrays, or whose
    ``load_state_dict`` keeps the arrays it is given, cannot change it.
    """
    try:
        if isinstance(net.optimizer, ArticleOptimizer):  # its state is on the user's object
            state = net.optimizer.snapshot()
        else:
            state = copy.deepcopy(net.optimizer.state_dict())
    except Exception:  # the checkpoint is insurance: training goes on without it
        return None
    if state is None:
        return None
    return Checkpoint(net.params.copy(), state, net.updates, copy.deepcopy(dict(net.rng.bit_generator.state)))


def restore(net: "NeuralNetwork", saved: Checkpoint) -> None:
    """Put back what :func:`checkpoint` copied."""
    net.params[...] = saved.params
    net.updates = saved.updates
    net.rng.bit_generator.state = saved.rng
    if isinstance(net.optimizer, ArticleOptimizer):
        net.optimizer.restore(saved.state)
    else:
        net.optimizer.load_state_dict(copy.deepcopy(saved.state))


class _Loop:
    """One call of ``fit``: the epochs, their metrics, and early stopping's best weights."""

    def __init__(
        self, net: "NeuralNetwork", train: _Data, validation: Optional[_Data], batch_size: int, watched: Any
    ) -> None:
        self.net, self.train, self.validation = net, train, validation
        self.batch_size, self.watched = batch_size, watched
        self.n_batches = math.ceil(len(train[0]) / batch_size)
        # accuracy means something only for one-hot targets (classes), not for regression outputs
        self.classifier = False
        self.metrics: Dict[str, Any] = {}
        self.losses: List[float] = []
        self.best = math.inf
        self.best_params: Optional[np.ndarray] = None
        self.waited = 0
        self.interrupted: Callable[[], bool] = lambda: False
        self.clip_norm: Optional[float] = None
        #: the training rows' sample weights (float64), or None
        self.weights: Optional[np.ndarray] = None
        #: whether a batch of this fit has updated, its components' results checked
        self.checked = False
        #: the name and first row of the validation data in messages: x_val, or the end of x when split off
        self.validation_name: Tuple[str, int] = ("x_val", 0)
        # memory-mapped data is checked as it is read (the training rows in the first epoch, the validation
        # rows at each evaluation); a value refused then puts back the network as it was before fit
        self.mapped = is_mapped(train[0]) or (validation is not None and is_mapped(validation[0]))
        self.before = checkpoint(net) if self.mapped else None

    def run_epoch(self, epoch: int, progress: Any) -> Dict[str, float]:
        started = time.perf_counter()
        x, y = self.train
        n = len(x)
        order = self.net.rng.permutation(n)
        start = checkpoint(self.net)
        batch_losses: List[float] = []  # to check a replay against, should one be needed
        # the metrics see the outputs of every batch, as the loss and accuracy do
        outputs = np.empty((n, y.shape[1]), dtype=self.net.dtype) if self.metrics else None
        total, correct = 0.0, 0
        seen = 0
        weighed = 0.0  # the weight of the rows seen (their count without sample weights)
        check_rows = epoch == 1 and is_mapped(x)
        batches = iter_batches(x, y, self.batch_size, order, self.net.dtype)
        if self.mapped:
            batches = self._read(batches)
        for batch, (x_batch, y_batch) in enumerate(batches, start=1):
            if check_rows:
                bad = first_non_finite(x_batch)
                if bad is not None:
                    row = int(order[seen + bad[0]])
                    raise self._refused(non_finite_error("x", row, bad[1], first=False)) from None
            weights = self._weights_of(order, seen, len(x_batch))
            # what the components return is checked on the first batch of each fit that updates (cheap: shapes,
            # dtypes); a batch whose sample weights are all 0 makes no update, and the next one is checked
            check = not self.checked
            try:
                loss, output = self.net._train_step(x_batch, y_batch, self.clip_norm, check=check, weights=weights)
            except UpdateOverflowError as exc:
                kept = self._roll_back(start, order, batch_losses)
                raise UpdateOverflowError(self._diverged(epoch, batch, f"{exc}{kept}")) from None
            except DivergenceError as exc:
                raise DivergenceError(self._diverged(epoch, batch, str(exc))) from None
            except InvalidComponentError:  # a component's result refused: undo an update made in place
                if start is not None:
                    restore(self.net, start)
                raise
            batch_losses.append(loss)
            self.checked = self.checked or weights is None or bool(weights.any())
            if self.interrupted():
                raise KeyboardInterrupt(
                    f"training interrupted at epoch {epoch} after batch {batch}: the parameters and the "
                    f"optimizer state are those after that batch; the history holds the {epoch - 1} "
                    "complete epochs"
                )
            total += loss
            if outputs is not None:
                outputs[seen : seen + len(x_batch)] = output
            seen += len(x_batch)
            weighed += len(x_batch) if weights is None else float(weights.sum())
            if self.classifier:
                correct += self.net._correct(output, y_batch)
            progress.batch_done(total / weighed if weighed else 0.0)
        logs = {"loss": total / weighed}
        if self.classifier:
            logs["accuracy"] = correct / n
        if outputs is not None:
            targets = y[order]
            logs.update({key: float(metric.compute(outputs, targets)) for key, metric in self.metrics.items()})
        if self.validation is not None:
            name, offset = self.validation_name
            try:
                with np.errstate(over="ignore", invalid="ignore"):  # checked just below
                    validated = self.net._evaluate(
                        *self.validation, accuracy=self.classifier, metrics=self.metrics, name=name, offset=offset
                    )
            except ValidationError as exc:  # only memory-mapped data is checked as it is read
                if not self.mapped:
                    raise
                raise self._refused(exc) from None
            if not math.isfinite(validated["loss"]):
                raise DivergenceError(
                    f"training diverged at epoch {epoch}: the validation loss is {validated['loss']}. Lower the "
                    "learning rate or scale the inputs (for example to [0, 1])"
                )
            logs.update({f"val_{key}": value for key, value in validated.items()})
        if self.net._last_rate is not None:  # the rate of the epoch's last update
            logs["learning_rate"] = self.net._last_rate
        logs["epoch_time"] = time.perf_counter() - started
        self.losses.append(logs["loss"])
        return logs

    def _weights_of(self, order: np.ndarray, start: int, rows: int) -> Optional[np.ndarray]:
        """The sample weights of the batch of ``rows`` rows from position ``start`` of ``order`` (None without)."""
        return None if self.weights is None else self.weights[order[start : start + rows]]

    def _read(self, batches: Iterator[Tuple[np.ndarray, np.ndarray]]) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
        """The batches of data read as it is used: a read that fails (an I/O error, rows the array-like does not
        have) puts the network back as before ``fit``, as a refused value does."""
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except ValidationError as exc:
                raise self._refused(exc) from None
            except (OSError, IndexError, ValueError, TypeError) as exc:
                failed = ValidationError(f"reading the rows of a batch of x failed ({type(exc).__name__}: {exc})")
                raise self._refused(failed) from exc
            yield batch

    def _refused(self, error: ValidationError) -> ValidationError:
        """A value of memory-mapped data refused as it was read: the network put back as before ``fit``."""
        checked = "the data is memory-mapped or read a selection at a time, so its values are checked as they are read"
        if self.before is None:
            return ValidationError(
                f"{error}. Note: {checked}, and the optimizer's state cannot be copied, so the parameters are "
                "those after the batches before"
            )
        try:
            restore(self.net, self.before)
        except Exception as exc:  # the optimizer refuses its own state: say so, with its words
            return ValidationError(
                f"{error}. Note: {checked}; the network could not be put back as it was before fit, as "
                f"restoring the optimizer's state failed ({exc!r})"
            )
        return ValidationError(f"{error}. Note: {checked}; the network is as it was before fit")

    @staticmethod
    def _diverged(epoch: int, batch: int, what: str) -> str:
        return (
            f"training diverged at epoch {epoch}, batch {batch}: {what}. Lower the learning rate or scale "
            "the inputs (for example to [0, 1])"
        )

    def _roll_back(self, start: Optional[Checkpoint], order: np.ndarray, losses: List[float]) -> str:
        """Undo an update that overflowed the parameters; return what the network now holds.

        Copying the parameters and the optimizer state before every batch would
        cost a pass over them per batch; instead the epoch's start is restored
        and the epoch's batches before the failed one are run again, in the same
        order. Each must give the loss it gave the first time (``losses``), to
        the bit; then the state is that from before the failed batch. Dropout
        replays exactly, as the generator's state is part of the checkpoint. If
        one does not (a component or an optimizer with randomness of its own),
        the epoch's start is restored instead.
        """
        if start is None:
            return "; the optimizer's state cannot be copied, so they could not be rolled back"
        try:
            restore(self.net, start)
        except Exception as exc:  # the optimizer refuses its own state: say so, with its words
            return f"; they could not be rolled back, as restoring the optimizer's state failed ({exc!r})"
        try:
            epoch_batches = iter_batches(*self.train, self.batch_size, order, self.net.dtype)
            for batch, (expected, (x_batch, y_batch)) in enumerate(zip(losses, epoch_batches)):
                weights = self._weights_of(order, batch * self.batch_size, len(x_batch))
                loss, _ = self.net._train_step(x_batch, y_batch, self.clip_norm, weights=weights)
                if loss != expected:
                    break
            else:
                return "; the parameters and the optimizer's state are those from before this batch"
        except Exception:  # the replay diverged or failed where the first run did not
            pass
        restore(self.net, start)  # the batches ran differently the second time: keep the epoch's start
        return (
            "; the parameters and the optimizer's state are those from the start of this epoch (its batches "
            "ran differently when run again)"
        )

    def should_stop(self, logs: Dict[str, float]) -> bool:
        """Track the best monitored value; True once it has not improved for ``patience`` epochs."""
        if self.watched is None:
            return False
        value = logs[self.watched.key]
        value = -value if self.watched.greater_is_better else value
        if value < self.best:
            self.best = value
            self.best_params = self.net.params.copy()
            self.waited = 0
            return False
        self.waited += 1
        return self.waited >= self.watched.patience

    def restore_best(self) -> None:
        """With early stopping, put back the parameters of the best validation loss."""
        if self.best_params is not None:
            self.net.params[...] = self.best_params
