"""scikit-learn estimators backed by npnet: :class:`NPNetClassifier` and :class:`NPNetRegressor`.

They follow scikit-learn's estimator conventions, so they work in ``Pipeline``,
``GridSearchCV``, ``cross_val_score``, ``clone`` and ``pickle`` like any
scikit-learn estimator, and take the parameters of scikit-learn's
:class:`~sklearn.neural_network.MLPClassifier` where they mean the same
(``hidden_layer_sizes``, ``learning_rate_init``, ``max_iter``, ``warm_start``,
``sample_weight``...)::

    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from npnet_core.sklearn import NPNetClassifier

    model = make_pipeline(StandardScaler(), NPNetClassifier(random_state=0)).fit(x, y)

The components are npnet's, chosen by name from the installed plugins
(``activation="relu"``, ``optimizer="adam"``). The trained
:class:`~npnet_core.NeuralNetwork` is the attribute ``network_``.

scikit-learn is an optional extra: ``pip install npnet-core[sklearn]``.
``import npnet_core`` never imports it; this module does.
"""

from __future__ import annotations

import copy
import inspect
import math
import numbers
import pickle
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple, Union

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin  # type: ignore[import-untyped, import-not-found, unused-ignore]
    from sklearn.metrics import accuracy_score, r2_score  # type: ignore[import-untyped, import-not-found, unused-ignore]
    from sklearn.model_selection import train_test_split  # type: ignore[import-untyped, import-not-found, unused-ignore]
    from sklearn.utils import check_consistent_length, check_random_state  # type: ignore[import-untyped, import-not-found, unused-ignore]
    from sklearn.utils.multiclass import check_classification_targets, type_of_target  # type: ignore[import-untyped, import-not-found, unused-ignore]
    from sklearn.utils.validation import check_array, check_is_fitted, check_non_negative, column_or_1d  # type: ignore[import-untyped, import-not-found, unused-ignore]
except ImportError as exc:
    raise ImportError(
        "npnet_core.sklearn needs scikit-learn, an optional extra of npnet; install it with "
        f"pip install npnet-core[sklearn] (importing scikit-learn failed: {exc})"
    ) from exc

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data  # type: ignore[import-untyped, import-not-found, unused-ignore]

    #: check_array's switch of the check for NaN and infinite values (renamed in 1.6, with validate_data)
    _ALL_FINITE = "ensure_all_finite"
except ImportError:  # pragma: no cover - scikit-learn 1.3 to 1.5
    _ALL_FINITE = "force_all_finite"

    def _validate_data(estimator: Any, X: Any = "no_validation", y: Any = "no_validation", **kwargs: Any) -> Any:
        if kwargs.pop("skip_check_array", False):
            kwargs["cast_to_ndarray"] = False
        return estimator._validate_data(X, y, **kwargs)


from . import optimizer_tools as tools
from ._rows import LazyRows, Matrix, is_lazy
from ._validation import check_dtype, check_matrix, is_mapped
from .errors import InvalidParameterError, ModelFileError
from .hookspecs import hookimpl
from .network import NeuralNetwork

__all__ = ["NPNetClassifier", "NPNetRegressor", "register_onnx_converters"]


#: ``max_iter=None``: the epochs of ``fit`` (npnet's former default of ``epochs``; MLPClassifier's is 200)
_DEFAULT_MAX_ITER = 30
#: ``batch_size="auto"``: ``min(_AUTO_BATCH, n_samples)``, as MLPClassifier's
_AUTO_BATCH = 200
#: the npnet-core releases of the deprecation of ``epochs`` in favour of ``max_iter``
_EPOCHS_DEPRECATED, _EPOCHS_REMOVED = "0.2", "0.4"


class _Config(NamedTuple):
    """The estimator's parameters, checked, in the form NeuralNetwork takes them."""

    hidden_layer_sizes: List[int]
    activation: Any
    optimizer: Any
    batch_size: Union[int, str]
    max_iter: int
    dtype: np.dtype
    verbose: Any
    alpha: float
    dropout: Union[None, float, List[Any]]
    schedule: Any
    early_stopping: bool
    validation_fraction: float
    n_iter_no_change: Union[int, float]
    warm_start: bool

    def batch(self, n_samples: int) -> int:
        """The samples per batch for ``n_samples`` training samples: ``"auto"`` is ``min(200, n_samples)``."""
        return min(_AUTO_BATCH, n_samples) if self.batch_size == "auto" else int(self.batch_size)


class _Targets(NamedTuple):
    """``y`` checked and encoded for the network, and the fitted attributes it gives."""

    n_outputs: int
    #: what the network is fitted on: class indices (softmax, ``categorical``) or a float matrix
    train: np.ndarray
    #: what a validation score compares the predictions with (class indices, 0/1 rows, or the targets)
    truth: np.ndarray
    #: the class index of each sample for a single-label classifier (stratification, class weights), else None
    labels: Optional[np.ndarray]
    #: the fitted attributes (``classes_``, ``n_outputs_``, ...) these targets give the estimator
    attributes: Dict[str, Any]


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidParameterError(f"{name} must be a positive integer (got {value!r})")
    return int(value)


def _batch_size(value: Any) -> Union[int, str]:
    if isinstance(value, str) and value == "auto":
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidParameterError(
            f"batch_size must be a positive integer, or 'auto' for min(200, n_samples) as in MLPClassifier "
            f"(got {value!r})"
        )
    return int(value)


def _hidden_layer_sizes(value: Any) -> List[int]:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise InvalidParameterError(
            f"hidden_layer_sizes must be a tuple of layer sizes such as (64,) or (128, 64), "
            f"or () for no hidden layer (got {value!r})"
        )
    sizes = list(value)
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise InvalidParameterError(
                f"hidden_layer_sizes must hold positive integers, such as (64,) or (128, 64) (got {value!r})"
            )
    return [int(size) for size in sizes]


def _optimizer_spec(optimizer: Any, params: Any, learning_rate_init: Any) -> Any:
    """What NeuralNetwork takes for the optimizer: a name, ``(name, params)``, or a fresh copy of an object."""
    if learning_rate_init is not None:
        if (
            isinstance(learning_rate_init, (bool, np.bool_))
            or not isinstance(learning_rate_init, numbers.Real)
            or not 0 < float(learning_rate_init) < math.inf
        ):
            raise InvalidParameterError(
                f"learning_rate_init must be a positive number, the optimizer's learning rate such as 1e-3, "
                f"or None for the optimizer's own default (got {learning_rate_init!r})"
            )
        if isinstance(params, Mapping) and "learning_rate" in params:
            raise InvalidParameterError(
                f"learning_rate_init={learning_rate_init!r} and optimizer_params={dict(params)!r} both set the "
                "learning rate; give it once, as learning_rate_init (MLPClassifier's name)"
            )
    if params is None and learning_rate_init is None:
        return optimizer if isinstance(optimizer, str) else copy.deepcopy(optimizer)
    if params is not None and not isinstance(params, Mapping):
        raise InvalidParameterError(
            f"optimizer_params must be None or a dict such as {{'beta_1': 0.8}} (got {params!r})"
        )
    if not isinstance(optimizer, str):
        given = "optimizer_params" if params is not None else "learning_rate_init"
        raise InvalidParameterError(
            f"{given} applies to an optimizer given by name, such as optimizer='adam' "
            f"(got optimizer={optimizer!r}); put the parameters in that object instead"
        )
    options = dict(params or {})
    if learning_rate_init is not None:
        options["learning_rate"] = learning_rate_init
    return (optimizer, options)


def _seed(random_state: Any) -> int:
    """An npnet seed from scikit-learn's ``random_state`` (None, an int or a RandomState)."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool) and int(random_state) >= 0:
        return int(random_state)  # the same seed as NeuralNetwork(..., seed=random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _alpha(value: Any) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not 0 <= float(value) < math.inf:
        raise InvalidParameterError(
            f"alpha must be a finite number >= 0, the strength of the L2 penalty as in MLPClassifier; "
            f"0 turns it off (got {value!r})"
        )
    return float(value)


def _dropout(value: Any, hidden_layer_sizes: List[int]) -> Union[None, float, List[Any]]:
    """``None`` for no dropout, or the rate(s) as ``("dropout", {"rate": ...})`` takes them (checked there)."""
    if value is None:
        return None
    if isinstance(value, np.ndarray) and value.ndim == 0:  # np.array(0.2): one rate
        value = value.item()
    if isinstance(value, (list, tuple, np.ndarray)):
        rates = list(np.asarray(value).tolist()) if isinstance(value, np.ndarray) else list(value)
        if len(rates) != len(hidden_layer_sizes):
            raise InvalidParameterError(
                f"dropout has {len(rates)} rate(s) {rates!r}, but hidden_layer_sizes={tuple(hidden_layer_sizes)!r} "
                f"gives {len(hidden_layer_sizes)} hidden layer(s); give one rate per hidden layer, or a single "
                "float for all of them"
            )
        return rates
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) and value == 0:
        return None  # no dropout, as None
    if not hidden_layer_sizes:
        raise InvalidParameterError(
            f"dropout acts on the hidden layers' outputs, and hidden_layer_sizes=() gives none "
            f"(got dropout={value!r}); use dropout=None"
        )
    return value  # a rate, or something the dropout regularizer refuses with its own message


def _schedule_spec(schedule: Any) -> Any:
    """What NeuralNetwork takes for the schedule: None, a name, ``(name, params)``, or a fresh copy of an object."""
    if schedule is None or isinstance(schedule, str):
        return schedule
    if isinstance(schedule, tuple) and len(schedule) == 2 and isinstance(schedule[1], Mapping):
        return (schedule[0], dict(schedule[1]))
    return copy.deepcopy(schedule)  # a schedule that reacts keeps state: each fit starts a fresh one


def _validation_fraction(value: Any) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not 0 <= float(value) < 1:
        raise InvalidParameterError(
            f"validation_fraction must be a number in [0, 1), the fraction of the samples early stopping "
            f"holds out (got {value!r}); the usual value is 0.1"
        )
    return float(value)


def _n_iter_no_change(value: Any) -> Union[int, float]:
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) and value == math.inf:
        return math.inf  # as scikit-learn allows: never stop, but keep the best epoch
    return _positive_int("n_iter_no_change", value)


def _max_iter(owner: str, max_iter: Any, epochs: Any) -> int:
    """The epochs of ``fit`` from ``max_iter`` and the deprecated ``epochs`` (scikit-learn's way of renaming)."""
    if not (isinstance(epochs, str) and epochs == "deprecated"):
        if max_iter is not None:
            raise InvalidParameterError(
                f"{owner} got both epochs={epochs!r} and max_iter={max_iter!r}; epochs is deprecated since "
                f"npnet-core {_EPOCHS_DEPRECATED} and will be removed in {_EPOCHS_REMOVED}: give max_iter only"
            )
        warnings.warn(
            f"{owner}'s parameter epochs was renamed max_iter (MLPClassifier's name) in npnet-core "
            f"{_EPOCHS_DEPRECATED}; epochs will be removed in {_EPOCHS_REMOVED}. Use max_iter={epochs!r} instead",
            FutureWarning,
            stacklevel=5,
        )
        return _positive_int("epochs", epochs)
    return _DEFAULT_MAX_ITER if max_iter is None else _positive_int("max_iter", max_iter)


def _dense(y: np.ndarray) -> np.ndarray:
    """``y`` as a dense array (a sparse multi-label indicator matrix becomes one)."""
    return np.asarray(y.toarray()) if hasattr(y, "toarray") else y


def _sample_weight(sample_weight: Any, X: np.ndarray) -> Optional[np.ndarray]:
    """``sample_weight`` as float64 of shape (n_samples,), finite and >= 0, by the rules of scikit-learn's own
    sample weight check (a number weighs every sample alike), written with its public functions."""
    if sample_weight is None:
        return None
    n_samples = len(X)
    if isinstance(sample_weight, numbers.Number):
        weights = np.full(n_samples, sample_weight, dtype=np.float64)
    else:
        weights = check_array(
            sample_weight, accept_sparse=False, ensure_2d=False, dtype=np.float64, order="C", input_name="sample_weight"
        )
        if weights.ndim != 1:
            raise ValueError(
                f"Sample weights must be 1D array or scalar, got {weights.ndim}D array. Expected either a scalar "
                f"value or a 1D array of length {n_samples}."
            )
        if weights.shape != (n_samples,):
            raise ValueError(f"sample_weight.shape == {weights.shape}, expected {(n_samples,)}: one weight per sample")
    if not np.isfinite(weights).all():
        raise ValueError(f"sample_weight must be finite (got {sample_weight!r})")
    check_non_negative(weights, "sample_weight")
    _check_some_weight(weights, "sample_weight")
    return weights


#: "no y given" to _check_data (None is a y, which fit refuses)
_NO_Y: Any = object()


def _check_data(
    estimator: Any, X: Any, y: Any = _NO_Y, *, dtype: Any, reset: bool, y_numeric: bool = False
) -> Tuple[Any, Any]:
    """``X`` (and ``y``, if given) checked by scikit-learn's rules, ``X`` converted to ``dtype`` in C order,
    unless it is read as it is used: then the network converts and checks it a batch (a chunk) at a time.

    A memory-mapped ``X`` keeps its dtype and layout, and its values are checked
    by the network as it reads them, not in a pass of scikit-learn's. An
    array-like read by selections (an h5py dataset, a zarr array: ``is_lazy``)
    is checked by its ``shape`` and ``dtype`` and passed on unread (as
    ``LazyRows``); ``y`` is then checked as ``validate_data(multi_output=True)``
    checks it.
    """
    if is_lazy(X):
        X = check_matrix("X", X, None)  # a ValidationError is a ValueError
        if y is _NO_Y:
            _validate_data(estimator, X, reset=reset, skip_check_array=True)  # n_features_in_, feature names
            return X, None
        _validate_data(estimator, X, y, reset=reset, skip_check_array=True)  # and a y of None refused
        # _check_y(multi_output=True), with public functions: validate_data(y=...) would also reset feature names
        y = check_array(
            y,
            accept_sparse="csr",
            ensure_2d=False,
            dtype=None,
            input_name="y",
            estimator=estimator,
            **{_ALL_FINITE: True},
        )
        if y_numeric and y.dtype.kind == "O":
            y = y.astype(np.float64)
        check_consistent_length(X, y)
        return X, y
    if isinstance(X, np.ndarray) and is_mapped(X):
        options: Dict[str, Any] = {"dtype": "numeric", _ALL_FINITE: False}
    else:
        options = {"dtype": dtype, "order": "C"}
    if y is _NO_Y:
        return _validate_data(estimator, X, reset=reset, **options), None
    if y_numeric:
        options["y_numeric"] = True
    X, y = _validate_data(estimator, X, y, reset=reset, multi_output=True, **options)
    return X, y


def _check_some_weight(weights: np.ndarray, what: str) -> None:
    if not np.any(weights > 0):
        raise ValueError(
            f"Sample weights must contain at least one non-zero number: {what} gives every sample the "
            "weight zero, so there is nothing to learn from"
        )


class _EarlyStopping:
    """Early stopping as scikit-learn's MLP does it, as a callback of ``NeuralNetwork.fit``.

    After each epoch it scores the held-out samples with ``score(network)``
    (weighted by their sample weights, as scikit-learn's ``score``), keeps a
    copy of the parameters of the best score, and stops training once the
    score has not improved for more than ``n_iter_no_change`` epochs. A
    strictly greater score is an improvement (scikit-learn's rule with
    ``tol`` tending to 0). The best score, its parameters and the count
    start where a previous ``fit`` left them (``warm_start``).
    """

    def __init__(
        self,
        network: NeuralNetwork,
        score: Callable[[NeuralNetwork], float],
        n_iter_no_change: Union[int, float],
        best: float,
        best_params: Optional[np.ndarray],
        count: int,
    ) -> None:
        self.network, self.score, self.n_iter_no_change = network, score, n_iter_no_change
        self.best, self.best_params, self.count = best, best_params, count
        self.scores: List[float] = []

    @hookimpl
    def npnet_on_epoch_end(self, network: Any) -> bool:
        if network is not self.network:  # another network of the same registry, training in another thread
            return False
        score = float(self.score(network))
        self.scores.append(score)
        if score > self.best:
            self.best, self.best_params, self.count = score, network.params.copy(), 0
        else:
            self.count += 1
        return self.count > self.n_iter_no_change


# -- pickling ------------------------------------------------------------------------
#
# A NeuralNetwork holds its registry (a plugin manager holding modules), so it cannot be
# pickled itself. A pickled estimator carries the network as the bytes of npnet's own model
# file instead: components by name and parameters, parameters, optimizer state, random
# generator state and history, restored exactly by NeuralNetwork.load through the default
# registry of the process that unpickles it.


class _SavedNetwork:
    """A NeuralNetwork as the bytes of its ``.npz`` model file (see :meth:`NeuralNetwork.save`)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __reduce__(self) -> Tuple[Any, Tuple[bytes]]:
        return (_SavedNetwork, (self.data,))

    @classmethod
    def of(cls, network: NeuralNetwork, owner: str) -> "_SavedNetwork":
        with tempfile.TemporaryDirectory(prefix="npnet-") as folder:
            path = Path(folder) / "network.npz"
            try:
                network.save(path)
            except ModelFileError as exc:
                raise pickle.PicklingError(f"cannot pickle this {owner}: {exc}") from exc
            return cls(path.read_bytes())

    def restore(self) -> NeuralNetwork:
        with tempfile.TemporaryDirectory(prefix="npnet-") as folder:
            path = Path(folder) / "network.npz"
            path.write_bytes(self.data)
            return NeuralNetwork.load(path)


# -- the estimators ---------------------------------------------------------------------


class _NPNetEstimator(BaseEstimator):
    """What the classifier and the regressor share: parameters, network, training, pickling."""

    # fitted attributes, set from the targets when a network is made (_Targets.attributes)
    n_outputs_: int
    out_activation_: str

    def __init__(
        self,
        hidden_layer_sizes: Any = (64,),
        activation: Any = "relu",
        optimizer: Any = "adam",
        optimizer_params: Optional[Dict[str, Any]] = None,
        batch_size: Union[int, str] = 32,
        max_iter: Optional[int] = None,
        dtype: str = "float64",
        random_state: Any = None,
        verbose: int = 0,
        alpha: float = 0.0,
        dropout: Any = None,
        schedule: Any = None,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        *,
        learning_rate_init: Optional[float] = None,
        warm_start: bool = False,
        epochs: Any = "deprecated",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.optimizer_params = optimizer_params
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose
        self.alpha = alpha
        self.dropout = dropout
        self.schedule = schedule
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.learning_rate_init = learning_rate_init
        self.warm_start = warm_start
        self.epochs = epochs

    # -- what the classifier and the regressor define ------------------------------------

    def _check_X_y(self, X: Any, y: Any, *, dtype: Any, reset: bool) -> Tuple[np.ndarray, np.ndarray]:
        """``X`` and ``y`` checked by scikit-learn's rules (``reset``: a new fit, which records ``n_features_in_``)."""
        raise NotImplementedError

    def _targets(self, y: np.ndarray, *, continuing: bool, partial: bool, classes: Any = None) -> _Targets:
        """``y`` encoded for the network; ``continuing``: for the fitted network (warm start, ``partial_fit``)."""
        raise NotImplementedError

    def _weights(self, sample_weight: Any, X: np.ndarray, targets: _Targets, *, partial: bool) -> Optional[np.ndarray]:
        """The weight of each sample (``sample_weight``, and the classifier's ``class_weight``), or None."""
        return _sample_weight(sample_weight, X)

    def _loss(self) -> str:
        raise NotImplementedError

    def _categorical(self) -> bool:
        """Whether the network's targets are class indices, one-hot encoded by ``NeuralNetwork.fit``."""
        return False

    def _l2_factor(self, alpha: float, batch: float, n_outputs: int) -> float:
        """npnet's ``l2`` factor that weighs the penalty as scikit-learn's ``alpha`` does (see the class docstring)."""
        raise NotImplementedError

    def _score_outputs(self, outputs: np.ndarray, truth: np.ndarray, weights: Optional[np.ndarray]) -> float:
        """The validation score of early stopping for these outputs: scikit-learn's ``score``."""
        raise NotImplementedError

    # -- parameters ----------------------------------------------------------------------

    def _config(self) -> _Config:
        """Check the parameters (scikit-learn checks them in fit, never in __init__)."""
        owner = type(self).__name__
        hidden_layer_sizes = _hidden_layer_sizes(self.hidden_layer_sizes)
        return _Config(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=self.activation if isinstance(self.activation, str) else copy.deepcopy(self.activation),
            optimizer=_optimizer_spec(self.optimizer, self.optimizer_params, self.learning_rate_init),
            batch_size=_batch_size(self.batch_size),
            max_iter=_max_iter(owner, self.max_iter, self.epochs),
            dtype=check_dtype(self.dtype),
            verbose=self.verbose,  # NeuralNetwork.fit checks it
            alpha=_alpha(self.alpha),
            dropout=_dropout(self.dropout, hidden_layer_sizes),
            schedule=_schedule_spec(self.schedule),  # NeuralNetwork checks it
            early_stopping=tools.Flag().check(owner, "early_stopping", self.early_stopping),
            validation_fraction=_validation_fraction(self.validation_fraction),
            n_iter_no_change=_n_iter_no_change(self.n_iter_no_change),
            warm_start=tools.Flag().check(owner, "warm_start", self.warm_start),
        )

    # -- training ------------------------------------------------------------------------

    def _fit(self, X: Any, y: Any, sample_weight: Any) -> None:
        """``fit``: train a new network, or with ``warm_start`` the fitted one, for ``max_iter`` epochs."""
        config = self._config()
        warm = config.warm_start and hasattr(self, "network_")
        dtype = self.network_.dtype if warm else config.dtype
        X, y = self._check_X_y(X, y, dtype=dtype, reset=not warm)
        targets = self._targets(y, continuing=warm, partial=False)
        weights = self._weights(sample_weight, X, targets, partial=False)
        if warm:
            layers = [X.shape[1], *config.hidden_layer_sizes, targets.n_outputs]
            if layers != self.network_.layers:
                raise ValueError(
                    f"warm_start=True continues the fitted network, of layers {self.network_.layers}, but "
                    f"hidden_layer_sizes={self.hidden_layer_sizes!r} and the data give layers {layers}; set "
                    "warm_start=False to train a new network"
                )
        seed = _seed(self.random_state)
        train, validation = self._split(config, X, targets, weights, seed) if config.early_stopping else (None, None)
        X_train, y_train, w_train = (X, targets.train, weights) if train is None else train
        if not warm:
            self._new_network(config, X_train.shape[1], targets, seed, w_train, len(X_train))
        self._train(config, X_train, y_train, w_train, config.max_iter, validation)

    def _partial_fit(self, X: Any, y: Any, sample_weight: Any, classes: Any = None) -> None:
        """``partial_fit``: one epoch on ``X`` and ``y``, continuing the network if there is one."""
        config = self._config()
        if config.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True (as in scikit-learn): it trains one epoch "
                "on the data it is given, with nothing held out; use fit, or early_stopping=False"
            )
        first = not hasattr(self, "network_")
        dtype = config.dtype if first else self.network_.dtype
        X, y = self._check_X_y(X, y, dtype=dtype, reset=first)
        targets = self._targets(y, continuing=not first, partial=True, classes=classes)
        weights = self._weights(sample_weight, X, targets, partial=True)
        if first:
            self._new_network(config, X.shape[1], targets, _seed(self.random_state), weights, len(X))
        self._train(config, X, targets.train, weights, 1)

    def _split(
        self, config: _Config, X: Matrix, targets: _Targets, weights: Optional[np.ndarray], seed: int
    ) -> Tuple[Tuple[Matrix, np.ndarray, Optional[np.ndarray]], Tuple[Any, ...]]:
        """Hold out ``validation_fraction`` of the samples for early stopping: the training and validation parts.

        Data read as it is used (memory-mapped, an h5py dataset) is split by views of its rows, not copied.
        """
        n_val = math.ceil(config.validation_fraction * len(X))
        if n_val < 2:
            raise ValueError(
                f"The validation set is too small: validation_fraction={config.validation_fraction} of "
                f"{len(X)} samples holds out {n_val}, and early stopping needs at least 2. Increase "
                "validation_fraction or the size of your dataset"
            )
        # scikit-learn's split, from the estimator's random_state: random, and stratified for a single-label
        # classifier (the same rows as train_test_split(X, y, ...) would give)
        rows, held_out = train_test_split(
            np.arange(len(X)), test_size=config.validation_fraction, random_state=seed, stratify=targets.labels
        )
        w_train = w_val = None
        if weights is not None:
            w_train, w_val = weights[rows], weights[held_out]
            _check_some_weight(w_train, "sample_weight on the training part of early stopping's split")
            if not np.any(w_val > 0):
                raise ValueError(
                    "The sample weights of the validation set early stopping holds out are all zero, so it "
                    "cannot be scored; use another random_state or a larger validation_fraction"
                )
        if isinstance(X, LazyRows) or is_mapped(X):  # rows read as they are used: views, nothing read now
            lazy = LazyRows(X)
            X_train, X_val = lazy.select(rows), lazy.select(held_out)
        else:
            X_train, X_val = X[rows], X[held_out]
        validation = (X_val, targets.train[held_out], targets.truth[held_out], w_val)
        return (X_train, targets.train[rows], w_train), validation

    def _new_network(
        self, config: _Config, n_inputs: int, targets: _Targets, seed: int, weights: Optional[np.ndarray], n: int
    ) -> None:
        """Adopt the fitted attributes of ``targets`` and make a new network ``network_`` for ``n`` samples."""
        for name, value in targets.attributes.items():
            setattr(self, name, value)
        layers = [n_inputs, *config.hidden_layer_sizes, targets.n_outputs]
        regularizers: List[Any] = []
        if config.alpha > 0:
            # the weight of a full batch: its samples, or with sample weights their expected sum
            batch = config.batch(n)
            if weights is None:
                full = float(min(batch, n))
            else:
                total = float(np.sum(weights))
                full = total if batch >= n else total * batch / n
            regularizers.append(("l2", {"factor": self._l2_factor(config.alpha, full, targets.n_outputs)}))
        if config.dropout is not None:
            regularizers.append(("dropout", {"rate": config.dropout}))
        self.network_ = NeuralNetwork(
            layers,
            config.activation,
            self.out_activation_,
            self._loss(),
            config.optimizer,
            seed=seed,
            dtype=config.dtype,
            regularizers=regularizers,
            schedule=config.schedule,
        )
        self.loss_curve_: List[float] = []
        self.n_iter_ = 0
        self.best_loss_: Optional[float] = None
        self.validation_scores_: Optional[List[float]] = None
        self.best_validation_score_: Optional[float] = None
        self._best_params: Optional[np.ndarray] = None
        self._no_improvement_count = 0

    def _train(
        self,
        config: _Config,
        X: Matrix,
        y: np.ndarray,
        weights: Optional[np.ndarray],
        epochs: int,
        validation: Optional[Tuple[Any, ...]] = None,
    ) -> None:
        options: Dict[str, Any] = {}
        if weights is not None:
            options["sample_weight"] = weights
        stopper = None
        if validation is not None:
            X_val, y_val, truth, w_val = validation
            if self.validation_scores_ is None:  # early stopping starts: else it goes on (warm_start)
                best, best_params, count = -math.inf, None, 0
                self.validation_scores_ = []
            else:
                best = -math.inf if self.best_validation_score_ is None else self.best_validation_score_
                best_params, count = self._best_params, self._no_improvement_count

            def score(network: NeuralNetwork) -> float:
                return self._score_outputs(network.predict(X_val), truth, w_val)

            stopper = _EarlyStopping(self.network_, score, config.n_iter_no_change, best, best_params, count)
            # validation_data puts val_loss (and val_accuracy) in the network's history and the progress display
            options.update(validation_data=(X_val, y_val), callbacks=[stopper])
        batch_size = config.batch(len(X))
        run = self.network_.fit(X, y, batch_size, epochs, self._categorical(), verbose=config.verbose, **options)
        losses = [float(loss) for loss in np.ravel(run)]
        self.loss_curve_ = self.loss_curve_ + losses
        self.loss_ = self.loss_curve_[-1]
        self.n_iter_ += len(losses)  # the epochs run
        if stopper is None:
            self.best_loss_ = min(self.loss_curve_)
            self.validation_scores_ = self.best_validation_score_ = self._best_params = None
            self._no_improvement_count = 0
        else:
            self.best_loss_ = None
            self.validation_scores_ = list(self.validation_scores_ or []) + stopper.scores
            self.best_validation_score_ = stopper.best
            self._best_params, self._no_improvement_count = stopper.best_params, stopper.count
            if stopper.best_params is not None:  # keep the network of the best epoch
                self.network_.set_params(stopper.best_params)

    def _outputs(self, X: Any) -> np.ndarray:
        """The fitted network's outputs for ``X``, after checking ``X`` against what fit saw."""
        check_is_fitted(self)
        X, _ = _check_data(self, X, dtype=self.network_.dtype, reset=False)
        return self.network_.predict(X)

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(super().__getstate__())  # the base may hand back the instance's own __dict__
        if isinstance(state.get("network_"), NeuralNetwork):
            state["network_"] = _SavedNetwork.of(state["network_"], type(self).__name__)
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        if isinstance(state.get("network_"), _SavedNetwork):
            state = dict(state, network_=state["network_"].restore())
        # an estimator pickled by npnet-core 0.1: the parameters added since take their defaults (its epochs
        # stays, and warns at the next fit), and a fitted one the attributes its network implies
        signature = inspect.signature(type(self).__init__).parameters.values()
        defaults = {p.name: p.default for p in signature if p.default is not inspect.Parameter.empty}
        state = {**{name: value for name, value in defaults.items() if name not in state}, **state}
        network = state.get("network_")
        if isinstance(network, NeuralNetwork) and "out_activation_" not in state:
            implied = {
                "n_outputs_": network.layers[-1],
                "out_activation_": network.output_activation.name,
                "_multilabel": False,
                "_label_dtype": None,
                "_best_params": None,
                "_no_improvement_count": 0,
            }
            state = {**implied, **state}
        super().__setstate__(state)


_PARAMETERS = """
    hidden_layer_sizes : tuple of int, default=(64,)
        The size of each hidden layer; ``()`` gives none, an int one.
        (MLPClassifier's default is ``(100,)``.)
    activation : str, (name, params) or list, default="relu"
        The hidden layers' activation, by name from the installed npnet plugins
        (``"relu"``, ``"identity"``, ``"tanh"``, ``"sigmoid"`` (MLPClassifier's
        ``"logistic"``), or any that a plugin adds); a list gives one per
        hidden layer.
    optimizer : str, default="adam"
        The optimizer by name (``"adam"``, ``"sgd"``, or any that a plugin
        adds): MLPClassifier's ``solver``.
    optimizer_params : dict, default=None
        The optimizer's other parameters, such as ``{"beta_1": 0.8}`` or
        ``{"momentum": 0.9}``; the network gets ``(optimizer, optimizer_params)``.
    batch_size : int or "auto", default=32
        Samples per mini-batch (at most all of them); ``"auto"`` is
        ``min(200, n_samples)``, MLPClassifier's default.
    max_iter : int, default=None
        The epochs (passes over the training data) of ``fit``; None gives 30
        (MLPClassifier's default is 200). Without early stopping, ``fit``
        trains exactly ``max_iter`` epochs; ``partial_fit`` makes one.
    dtype : {"float64", "float32"}, default="float64"
        The network's dtype: of its parameters, its computation and its outputs.
    random_state : int, RandomState instance or None, default=None
        Drives the initial weights and the shuffling. An int gives the same
        network as ``NeuralNetwork(..., seed=random_state)``; None draws a seed
        from NumPy's global random state.
    verbose : int, default=0
        Passed to :meth:`NeuralNetwork.fit`: 0 is silent, 1 or 2 report each epoch.
    alpha : float, default=0.0
        The strength of the L2 penalty on the weights (not the biases), as in
        scikit-learn's MLP, which adds ``alpha / 2 * ||W||² / batch`` to the
        mean loss of each batch of ``batch`` samples (with sample weights,
        ``batch`` is their sum). The network gets npnet's
        ``("l2", {"factor": ...})`` (``npnet-regularizers``) with the factor
        that gives scikit-learn's gradient (the class description says which);
        0 adds none (MLPClassifier's default is 0.0001). The factor is fixed
        when the network is made, for a full batch of
        ``min(batch_size, n_samples)`` samples (the training samples, or those
        of the first ``partial_fit``; with sample weights, their expected
        sum): a shorter batch, such as the last of an epoch, is penalised as
        a full one (scikit-learn divides by its size).
    dropout : float or list of float, default=None
        Inverted dropout on the hidden layers' outputs during training, one
        rate for all or a list with one per hidden layer: the network gets
        ``("dropout", {"rate": dropout})`` (``npnet-regularizers``). None or
        0 adds none.
    schedule : str, (name, params) or Schedule, default=None
        The learning rate of each update, by name from the installed npnet
        plugins (``"cosine"``, ``("step", {"step_size": 100})``,
        ``"reduce_on_plateau"``... from ``npnet-schedules``) or an object
        (copied at each ``fit``). None: the optimizer's rate throughout.
    early_stopping : bool, default=False
        As in scikit-learn's MLP: ``fit`` holds out ``validation_fraction`` of
        the samples (and their weights) with
        :func:`sklearn.model_selection.train_test_split` (randomly, from
        ``random_state``; stratified for single-label classification), scores
        them after each epoch as ``score`` would, with their sample weights
        (see ``validation_scores_``), stops once the score has not improved
        for more than ``n_iter_no_change`` epochs, and keeps the network of
        the best epoch. There is no ``tol``: every strict improvement counts,
        where scikit-learn's needs one of at least ``tol=1e-4``. Without
        early stopping, ``fit`` trains ``max_iter`` epochs (scikit-learn's
        would also stop when the training loss stalls). ``partial_fit``
        refuses it, as scikit-learn's does.
    validation_fraction : float, default=0.1
        The fraction of the samples early stopping holds out; at least 2 of them.
    n_iter_no_change : int, default=10
        The epochs early stopping waits for an improvement: it stops after
        ``n_iter_no_change + 1`` epochs in a row without one, as scikit-learn
        does. ``numpy.inf`` never stops early, but still keeps the best epoch.
    learning_rate_init : float, default=None
        The optimizer's learning rate, MLPClassifier's name for it: the
        network gets ``(optimizer, {**optimizer_params, "learning_rate":
        learning_rate_init})``. None keeps the optimizer's own default (0.001
        for ``adam``, as MLPClassifier's; 0.01 for ``sgd``). Giving it and
        ``optimizer_params["learning_rate"]`` both is an error.
    warm_start : bool, default=False
        True: ``fit`` continues training the fitted network, with its
        optimizer state, random generator and schedule as they are, for
        ``max_iter`` more epochs, when the data has its features and
        classes (or targets); ``loss_curve_`` and ``n_iter_`` go on counting.
        Two fits of ``max_iter=m`` then train exactly as one of ``2 * m``
        (scikit-learn's instead makes a new optimizer at each ``fit``). The
        parameters that make the network (``hidden_layer_sizes``,
        ``activation``, ``optimizer``, ``alpha``, ``dtype``...) apply only
        when a new one is made. False: each ``fit`` trains a new network.
    epochs : int
        Deprecated since npnet-core 0.2, removed in 0.4: the former name of
        ``max_iter``. Setting it warns (``FutureWarning``); setting it and
        ``max_iter`` both is an error."""

_ATTRIBUTES = """
    network_ : NeuralNetwork
        The trained network (see :class:`npnet_core.NeuralNetwork`).
    n_features_in_ : int
        The number of features seen in fit.
    feature_names_in_ : ndarray of shape (n_features,)
        The feature names seen in fit, if ``X`` was a data frame with string column names.
    n_outputs_ : int
        The number of output units.
    out_activation_ : str
        The output activation's name.
    loss_curve_ : list of float
        The mean training loss of each epoch (weighted by the sample weights,
        if any), ``partial_fit``'s included.
    loss_ : float
        The last of them.
    n_iter_ : int
        The number of epochs trained, over all calls (scikit-learn's counts
        those of the last call).
    best_loss_ : float or None
        The least of ``loss_curve_``; None with early stopping.
    validation_scores_ : list of float or None
        With early stopping, the score of the held-out samples after each
        epoch, as scikit-learn's: the accuracy for the classifier (subset
        accuracy for multi-label targets), R² (averaged over the targets)
        for the regressor, weighted by the held-out samples' weights. None
        without.
    best_validation_score_ : float or None
        With early stopping, the best of them, that of the network kept; None without."""

_CLASS_WEIGHT = """
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes (MLPClassifier has none; this is scikit-learn's
        usual parameter): each sample's weight is ``sample_weight`` times its
        class's weight. A dict ``{class label: weight}`` (classes not in it
        weigh 1); ``"balanced"``: ``n_samples / (n_classes * np.bincount(y))``,
        as :func:`sklearn.utils.class_weight.compute_class_weight`, with the
        counts weighted by ``sample_weight`` if given. For single-label
        targets; ``partial_fit`` refuses ``"balanced"``, which needs the
        counts of all the data."""


class NPNetClassifier(ClassifierMixin, _NPNetEstimator):
    __doc__ = f"""A multi-layer perceptron classifier trained by npnet.

    The output layer depends on the targets, as in scikit-learn's
    :class:`~sklearn.neural_network.MLPClassifier`:

    - class labels of more than two classes: a softmax unit per class and the
      categorical cross-entropy loss;
    - two classes: one ``sigmoid`` unit, the probability of ``classes_[1]``,
      and the ``binary_crossentropy`` loss; ``predict_proba`` gives the two
      columns ``[1 - p, p]``;
    - a multi-label indicator matrix of 0/1 of shape ``(n_samples, n_labels)``
      (:func:`~sklearn.utils.multiclass.type_of_target` says
      ``"multilabel-indicator"``): a ``sigmoid`` unit per label and the
      ``binary_crossentropy`` loss; ``predict`` gives the 0/1 matrix, ``score``
      the subset accuracy.

    ``sigmoid`` and ``binary_crossentropy`` come from the ``npnet-sigmoid-tanh``
    plugin. Class labels may be of any type (strings, integers, ...); they are
    mapped to output units in sorted order, as
    :class:`sklearn.preprocessing.LabelEncoder` does.

    With ``alpha``, the network gets ``("l2", {{"factor": alpha / (2 * batch)}})``
    with softmax, and ``alpha / (2 * batch * n_outputs)`` with sigmoid units:
    the categorical cross-entropy is scikit-learn's log loss, so the gradient on
    a batch of ``batch`` samples is that of
    :class:`~sklearn.neural_network.MLPClassifier` with the same ``alpha`` and
    weights; npnet's binary cross-entropy is the mean over the labels where
    scikit-learn's is their sum, so with ``n_outputs`` sigmoid units the
    gradient is ``1 / n_outputs`` times scikit-learn's (the same for a binary
    problem). Early stopping scores the held-out samples by their accuracy, as
    scikit-learn does.

    Parameters
    ----------{_PARAMETERS}{_CLASS_WEIGHT}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted (for multi-label targets, the label indices
        ``0..n_labels - 1``); with softmax, output unit ``i`` is
        ``classes_[i]``.{_ATTRIBUTES}

    Examples
    --------
    >>> from npnet_core.datasets import load_digits
    >>> from npnet_core.sklearn import NPNetClassifier
    >>> X, y = load_digits()
    >>> model = NPNetClassifier(max_iter=10, random_state=0).fit(X, y)
    >>> model.predict(X[:3])
    array([0, 1, 2])
    """

    classes_: np.ndarray
    _multilabel: bool
    _label_dtype: Any

    def __init__(
        self,
        hidden_layer_sizes: Any = (64,),
        activation: Any = "relu",
        optimizer: Any = "adam",
        optimizer_params: Optional[Dict[str, Any]] = None,
        batch_size: Union[int, str] = 32,
        max_iter: Optional[int] = None,
        dtype: str = "float64",
        random_state: Any = None,
        verbose: int = 0,
        alpha: float = 0.0,
        dropout: Any = None,
        schedule: Any = None,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        *,
        learning_rate_init: Optional[float] = None,
        warm_start: bool = False,
        class_weight: Any = None,
        epochs: Any = "deprecated",
    ) -> None:
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            optimizer=optimizer,
            optimizer_params=optimizer_params,
            batch_size=batch_size,
            max_iter=max_iter,
            dtype=dtype,
            random_state=random_state,
            verbose=verbose,
            alpha=alpha,
            dropout=dropout,
            schedule=schedule,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            learning_rate_init=learning_rate_init,
            warm_start=warm_start,
            epochs=epochs,
        )
        self.class_weight = class_weight

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> "NPNetClassifier":
        """Train a new network on ``X`` and the targets ``y`` (with ``warm_start``, the fitted one); return self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels of any type, at least two classes; or a multi-label
            indicator matrix of 0/1.
        sample_weight : array-like of shape (n_samples,), default=None
            A finite weight >= 0 per sample: each batch's loss and gradient
            are the weighted means ``sum(w * loss) / sum(w)``, so on a full
            batch integer weights equal repeating the samples, and a weight
            of 0 drops one. Multiplied by ``class_weight``'s.

        Returns
        -------
        self : NPNetClassifier
        """
        self._fit(X, y, sample_weight)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None) -> "NPNetClassifier":
        """Train one epoch on ``X`` and ``y``, continuing the network if there is one; return self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        classes : array-like of shape (n_classes,), default=None
            Every class of the problem: required on the first call (when the
            estimator is not fitted yet) for class labels, optional afterwards,
            when it must be ``classes_``. For a multi-label ``y``, None or the
            label indices ``np.arange(n_labels)``.
        sample_weight : array-like of shape (n_samples,), default=None
            As in :meth:`fit`.

        Returns
        -------
        self : NPNetClassifier
        """
        self._partial_fit(X, y, sample_weight, classes)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return the probability of each class, in the order of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes) or (n_samples, n_labels)
            Softmax outputs, or for two classes ``[1 - p, p]`` from the sigmoid
            output ``p``: each row sums to 1. For multi-label targets, the
            probability of each label (rows need not sum to 1).
        """
        outputs = self._outputs(X)
        if self._multilabel or self.n_outputs_ > 1:
            return outputs
        p = outputs[:, 0]
        return np.column_stack([1 - p, p])

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Return the log of :meth:`predict_proba` (``-inf`` where a probability underflowed to 0)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """Return the predicted class label of each sample, or the 0/1 labels of multi-label targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels from ``classes_``: the most probable, for two classes
            ``classes_[1]`` where its probability exceeds 0.5; for multi-label
            targets, 1 where a label's probability exceeds 0.5, in the dtype
            of ``y`` in fit (as MLPClassifier).
        """
        indices = self._indices(self._outputs(X))  # first: it checks that the estimator is fitted
        if self._multilabel:
            return indices.astype(self._label_dtype)
        return self.classes_.take(indices)

    # -- targets and weights -------------------------------------------------------------

    def _check_X_y(self, X: Any, y: Any, *, dtype: Any, reset: bool) -> Tuple[np.ndarray, np.ndarray]:
        X, y = _check_data(self, X, y, dtype=dtype, reset=reset)
        y = _dense(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)  # a column of labels: scikit-learn's DataConversionWarning
        check_classification_targets(y)
        return X, y

    def _targets(self, y: np.ndarray, *, continuing: bool, partial: bool, classes: Any = None) -> _Targets:
        name = type(self).__name__
        kind = type_of_target(y)
        if kind == "multilabel-indicator":
            return self._multilabel_targets(y, continuing=continuing, classes=classes)
        if y.ndim != 1:
            raise ValueError(
                f"{name} takes y as class labels of shape (n_samples,) or as a multi-label indicator matrix "
                f"of 0/1 of shape (n_samples, n_labels); this y of shape {y.shape} is {kind!r} (columns of "
                "class labels), which it does not support"
            )
        if continuing and self._multilabel:
            raise ValueError(
                f"{name} was fitted on multi-label targets (a 0/1 matrix of {self.n_outputs_} columns); "
                f"y is now {kind!r} class labels: give the same kind of targets"
            )
        if partial and (classes is not None or not continuing):
            if classes is None:
                raise ValueError(
                    "classes must be given on the first call to partial_fit: every class label of "
                    "the problem, since later batches may hold only some of them"
                )
            classes = _sorted_classes(np.asarray(classes))
            if continuing and not np.array_equal(classes, self.classes_):
                raise ValueError(
                    f"classes {classes!r} differ from those of the first call to partial_fit "
                    f"or of fit, {self.classes_!r}"
                )
            if len(classes) < 2:
                raise ValueError(f"{name} needs at least 2 classes; classes has {len(classes)}")
        elif continuing:
            classes = self.classes_
            if not partial:  # warm_start: the same classes, as MLPClassifier requires
                found = _sorted_classes(y)
                if set(found.tolist()) != set(classes.tolist()):
                    raise ValueError(
                        f"warm_start can only be used where y has the same classes as in the previous call to "
                        f"fit. Previously got {classes!r}, y has {found!r}; set warm_start=False to train a new "
                        "network"
                    )
        else:
            classes = _sorted_classes(y)
            if len(classes) < 2:
                raise ValueError(
                    f"{name} needs samples of at least 2 classes to learn from; y has 1 class ({classes.tolist()[0]!r})"
                )
        indices = _encode(classes, y)
        if len(classes) == 2:  # one sigmoid unit: the probability of classes[1]
            n_outputs, activation, train = 1, "sigmoid", indices.reshape(-1, 1).astype(np.float64)
        else:
            n_outputs, activation, train = len(classes), "softmax", indices
        attributes = {
            "classes_": classes,
            "n_outputs_": n_outputs,
            "out_activation_": activation,
            "_multilabel": False,
            "_label_dtype": None,
        }
        return _Targets(n_outputs, train, indices, indices, attributes)

    def _multilabel_targets(self, y: np.ndarray, *, continuing: bool, classes: Any) -> _Targets:
        name = type(self).__name__
        n_labels = y.shape[1]
        if classes is not None and not np.array_equal(np.asarray(classes), np.arange(n_labels)):
            raise ValueError(
                f"y is a multi-label indicator matrix of {n_labels} columns, whose classes are the label "
                f"indices np.arange({n_labels}); give classes=None or those (got classes={classes!r})"
            )
        if continuing and not self._multilabel:
            raise ValueError(
                f"{name} was fitted on the class labels {self.classes_!r}; y is now a multi-label indicator "
                "matrix: give the same kind of targets"
            )
        if continuing and n_labels != self.n_outputs_:
            raise ValueError(f"y has {n_labels} labels (columns), but {name} was fitted with {self.n_outputs_}")
        attributes = {
            "classes_": np.arange(n_labels),
            "n_outputs_": n_labels,
            "out_activation_": "sigmoid",
            "_multilabel": True,
            "_label_dtype": y.dtype,
        }
        return _Targets(n_labels, y.astype(np.float64), y, None, attributes)

    def _weights(self, sample_weight: Any, X: np.ndarray, targets: _Targets, *, partial: bool) -> Optional[np.ndarray]:
        weights = _sample_weight(sample_weight, X)
        if self.class_weight is not None:
            per_class = self._class_weights(targets, weights, partial=partial)
            assert targets.labels is not None  # _class_weights refuses multi-label targets
            by_class = per_class[targets.labels]
            weights = by_class if weights is None else weights * by_class
        if weights is None:
            return None
        _check_some_weight(
            weights, "sample_weight" if self.class_weight is None else "sample_weight times class_weight"
        )
        if not partial and targets.labels is not None:
            weighed = np.unique(targets.labels[weights > 0])
            if len(weighed) < 2:
                only = targets.attributes["classes_"].tolist()[weighed[0]]
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes with a positive weight to learn "
                    f"from; sample_weight (times class_weight) leaves only the class {only!r}"
                )
        return weights

    def _class_weights(self, targets: _Targets, weights: Optional[np.ndarray], *, partial: bool) -> np.ndarray:
        """The weight of each class, in the order of ``classes_``, from ``class_weight``."""
        class_weight = self.class_weight
        if targets.labels is None:
            raise ValueError(
                "class_weight weighs the classes of single-label targets, and y is a multi-label indicator "
                "matrix; weigh its samples with sample_weight instead"
            )
        classes = targets.attributes["classes_"]
        if isinstance(class_weight, str) and class_weight == "balanced":
            if partial:
                raise ValueError(
                    "class_weight='balanced' needs the class counts of all the data, which partial_fit does not "
                    "see; compute them once with sklearn.utils.class_weight.compute_class_weight('balanced', "
                    "classes=classes, y=y) and give class_weight as a dict {class label: weight}"
                )
            # n_samples / (n_classes * bincount(y)), the counts weighted by sample_weight as compute_class_weight's
            counts = np.bincount(targets.labels, weights=weights, minlength=len(classes)).astype(np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                per_class = np.sum(counts) / (len(classes) * counts)
            per_class[counts == 0] = 0.0  # a class whose samples all weigh 0 stays so
            return per_class
        if not isinstance(class_weight, Mapping):
            raise InvalidParameterError(
                f"class_weight must be None, 'balanced' or a dict {{class label: weight}} (got {class_weight!r})"
            )
        labels = classes.tolist()  # Python values: a key 1 finds the label np.int64(1), "a" finds np.str_("a")
        per_class = np.ones(len(labels))
        missing = []
        for i, label in enumerate(labels):
            if label in class_weight:
                value = class_weight[label]
                if (
                    isinstance(value, (bool, np.bool_))
                    or not isinstance(value, numbers.Real)
                    or not 0 <= float(value) < math.inf
                ):
                    raise InvalidParameterError(
                        f"class_weight must give each class a finite weight >= 0; it gives {label!r} the weight "
                        f"{value!r}"
                    )
                per_class[i] = float(value)
            else:
                missing.append(label)
        known = set(labels)
        unknown = [key for key in class_weight if key not in known]
        if missing and unknown:  # scikit-learn's rule: unknown keys are an error when a class has no weight
            raise ValueError(
                f"class_weight has the keys {unknown!r}, which are not classes of y ({classes!r}), and no weight "
                f"for the classes {missing!r}; its keys must be class labels"
            )
        return per_class

    # -- the network ---------------------------------------------------------------------

    def _loss(self) -> str:
        return "categorical_crossentropy" if self.out_activation_ == "softmax" else "binary_crossentropy"

    def _categorical(self) -> bool:
        return bool(self.out_activation_ == "softmax")

    def _l2_factor(self, alpha: float, batch: float, n_outputs: int) -> float:
        if self.out_activation_ == "softmax":
            return alpha / (2 * batch)  # the cross-entropy is scikit-learn's log loss: the same gradient
        # npnet's binary cross-entropy is the mean over the outputs, scikit-learn's their sum: scaled alike
        return alpha / (2 * batch * n_outputs)

    def _indices(self, outputs: np.ndarray) -> np.ndarray:
        """The class index of each row of outputs, or the 0/1 matrix for multi-label targets (``p > 0.5``)."""
        if self._multilabel:
            return (outputs > 0.5).astype(np.int64)
        if self.n_outputs_ == 1:  # p > 0.5 gives classes_[1], as MLPClassifier's LabelBinarizer
            return (outputs[:, 0] > 0.5).astype(np.intp)
        return np.argmax(outputs, axis=1)

    def _score_outputs(self, outputs: np.ndarray, truth: np.ndarray, weights: Optional[np.ndarray]) -> float:
        return float(accuracy_score(truth, self._indices(outputs), sample_weight=weights))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def _more_tags(self) -> Dict[str, Any]:  # pragma: no cover - scikit-learn < 1.6
        return {"multilabel": True}


def _sorted_classes(y: np.ndarray) -> np.ndarray:
    """The distinct labels of ``y``, sorted."""
    try:
        return np.unique(y)
    except TypeError as exc:  # labels that cannot be ordered together, such as 1 and "a"
        raise ValueError(f"the class labels in y cannot be sorted together ({exc}); use labels of one type") from exc


def _encode(classes: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The index in ``classes`` (sorted) of each label of ``y``."""
    indices = np.searchsorted(classes, y)
    found = classes[np.minimum(indices, len(classes) - 1)] == y
    if not np.all(found):
        unknown = np.unique(np.asarray(y)[~found])
        raise ValueError(f"y has labels that are not among the classes {classes!r}: {unknown!r}")
    return indices


class NPNetRegressor(RegressorMixin, _NPNetEstimator):
    __doc__ = f"""A multi-layer perceptron regressor trained by npnet.

    An identity output layer with one unit per target and the mean squared
    error loss. ``y`` may be 1-D (one target) or 2-D (several); ``predict``
    returns the dimensionality ``y`` had in fit. The targets are not scaled:
    scale large targets (for example with
    :class:`sklearn.compose.TransformedTargetRegressor`).

    With ``alpha``, the network gets ``("l2", {{"factor": alpha / (n_outputs * batch)}})``:
    npnet's mean squared error, ``mean((p - y)**2)`` over the targets, has
    ``2 / n_outputs`` times the gradient of scikit-learn's squared loss, and the
    factor scales the penalty alike, so that the gradient on a batch of
    ``batch`` samples is ``2 / n_outputs`` times that of
    :class:`~sklearn.neural_network.MLPRegressor` with the same ``alpha`` and
    weights (SGD with learning rate ``lr * n_outputs / 2`` takes its steps with
    ``lr``). Early stopping scores the held-out samples by their R², as
    scikit-learn does.

    Parameters
    ----------{_PARAMETERS}

    Attributes
    ----------{_ATTRIBUTES}

    Examples
    --------
    >>> import numpy as np
    >>> from npnet_core.sklearn import NPNetRegressor
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> model = NPNetRegressor(max_iter=100, random_state=0).fit(X, X.ravel() ** 2)
    >>> model.predict(X[:2]).shape
    (2,)
    """

    _y_ndim: int

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> "NPNetRegressor":
        """Train a new network on ``X`` and the targets ``y`` (with ``warm_start``, the fitted one); return self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            A finite weight >= 0 per sample: each batch's loss and gradient
            are the weighted means ``sum(w * loss) / sum(w)``, so on a full
            batch integer weights equal repeating the samples, and a weight
            of 0 drops one.

        Returns
        -------
        self : NPNetRegressor
        """
        self._fit(X, y, sample_weight)
        return self

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> "NPNetRegressor":
        """Train one epoch on ``X`` and ``y`` (shaped as for :meth:`fit`), continuing the network if there is one; return self."""
        self._partial_fit(X, y, sample_weight)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Return the predicted targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            1-D if ``y`` was 1-D in fit.
        """
        outputs = self._outputs(X)
        return outputs.ravel() if self._y_ndim == 1 else outputs

    def _check_X_y(self, X: Any, y: Any, *, dtype: Any, reset: bool) -> Tuple[np.ndarray, np.ndarray]:
        return _check_data(self, X, y, dtype=dtype, reset=reset, y_numeric=True)

    def _targets(self, y: np.ndarray, *, continuing: bool, partial: bool, classes: Any = None) -> _Targets:
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        if continuing and n_outputs != self.n_outputs_:
            raise ValueError(f"y has {n_outputs} targets, but {type(self).__name__} was fitted with {self.n_outputs_}")
        attributes = {"n_outputs_": n_outputs, "out_activation_": "identity", "_y_ndim": y.ndim}
        return _Targets(n_outputs, y, y, None, attributes)

    def _loss(self) -> str:
        return "mean_squared_error"

    def _l2_factor(self, alpha: float, batch: float, n_outputs: int) -> float:
        # npnet's mean squared error, mean((p - y)**2) over the targets, has the gradient 2 / n_outputs times
        # scikit-learn's (p - y); its penalty is scaled alike: alpha / (2 * batch) * (2 / n_outputs)
        return alpha / (n_outputs * batch)

    def _score_outputs(self, outputs: np.ndarray, truth: np.ndarray, weights: Optional[np.ndarray]) -> float:
        predicted = outputs.ravel() if truth.ndim == 1 else outputs
        return float(r2_score(truth, predicted, sample_weight=weights))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _more_tags(self) -> Dict[str, Any]:  # pragma: no cover - scikit-learn < 1.6
        return {"multioutput": True}


def register_onnx_converters() -> None:
    """Register converters for :class:`NPNetClassifier` and :class:`NPNetRegressor` with skl2onnx.

    After this call, ``skl2onnx.to_onnx`` converts a pipeline holding either
    estimator, as it converts one holding MLPClassifier or MLPRegressor: the
    classifier gives the outputs ``label`` and ``probabilities`` (a ZipMap of
    them unless converted with ``options={id(estimator): {"zipmap": False}}``;
    the options ``zipmap``, ``nocl`` and ``output_class_labels`` are those of
    skl2onnx's classifiers), the regressor ``variable`` of shape
    ``(batch, n_outputs)``. The network is the one ``network_.to_onnx()``
    exports, computing in its own dtype (the input is cast to it). Calling it
    again is harmless.

    Needs skl2onnx and onnx (``pip install npnet-core[onnx] skl2onnx``),
    imported by this call only; raises :class:`ImportError` without them.
    Converting raises :class:`~npnet_core.errors.ExportError` for a network
    with an activation that cannot be exported. The "Deploying" page of the
    documentation shows a pipeline converted and run in ONNX Runtime.
    """
    from ._sklearn_onnx import register

    register()
