"""scikit-learn estimators backed by npnet: :class:`NPNetClassifier` and :class:`NPNetRegressor`.

They follow scikit-learn's estimator conventions, so they work in ``Pipeline``,
``GridSearchCV``, ``cross_val_score``, ``clone`` and ``pickle`` like any
scikit-learn estimator::

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
import math
import numbers
import pickle
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple, Union

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin  # type: ignore[import-untyped, import-not-found, unused-ignore]
    from sklearn.metrics import r2_score  # type: ignore[import-untyped, import-not-found, unused-ignore]
    from sklearn.model_selection import train_test_split  # type: ignore[import-untyped, import-not-found, unused-ignore]
    from sklearn.utils import check_random_state  # type: ignore[import-untyped, import-not-found, unused-ignore]
    from sklearn.utils.multiclass import check_classification_targets  # type: ignore[import-untyped, import-not-found, unused-ignore]
    from sklearn.utils.validation import check_is_fitted  # type: ignore[import-untyped, import-not-found, unused-ignore]
except ImportError as exc:
    raise ImportError(
        "npnet_core.sklearn needs scikit-learn, an optional extra of npnet; install it with "
        f"pip install npnet-core[sklearn] (importing scikit-learn failed: {exc})"
    ) from exc

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data  # type: ignore[import-untyped, import-not-found, unused-ignore]
except ImportError:  # pragma: no cover - scikit-learn 1.3 to 1.5

    def _validate_data(estimator: Any, X: Any = "no_validation", y: Any = "no_validation", **kwargs: Any) -> Any:
        return estimator._validate_data(X, y, **kwargs)


from . import optimizer_tools as tools
from ._validation import check_dtype
from .errors import InvalidParameterError, ModelFileError
from .network import NeuralNetwork

__all__ = ["NPNetClassifier", "NPNetRegressor"]


class _Config(NamedTuple):
    """The estimator's parameters, checked, in the form NeuralNetwork takes them."""

    hidden_layer_sizes: List[int]
    activation: Any
    optimizer: Any
    batch_size: int
    epochs: int
    dtype: np.dtype
    verbose: Any
    alpha: float
    dropout: Union[None, float, List[Any]]
    schedule: Any
    early_stopping: bool
    validation_fraction: float
    n_iter_no_change: Union[int, float]


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidParameterError(f"{name} must be a positive integer (got {value!r})")
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


def _optimizer_spec(optimizer: Any, params: Any) -> Any:
    """What NeuralNetwork takes for the optimizer: a name, ``(name, params)``, or a fresh copy of an object."""
    if params is None:
        return optimizer if isinstance(optimizer, str) else copy.deepcopy(optimizer)
    if not isinstance(params, Mapping):
        raise InvalidParameterError(
            f"optimizer_params must be None or a dict such as {{'learning_rate': 1e-3}} (got {params!r})"
        )
    if not isinstance(optimizer, str):
        raise InvalidParameterError(
            "optimizer_params applies to an optimizer given by name, such as optimizer='adam' "
            f"(got optimizer={optimizer!r}); put the parameters in that object instead"
        )
    return (optimizer, dict(params))


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


class _R2Score:
    """R² of the outputs, as :func:`sklearn.metrics.r2_score` (its ``uniform_average`` over the targets).

    The validation score of :class:`NPNetRegressor`'s early stopping, as
    :class:`~sklearn.neural_network.MLPRegressor` scores its validation set
    (of 2 samples or more). ``fit`` also reports it on the training batches,
    where a single sample gives NaN (R² needs two) without scikit-learn's warning.
    """

    name = "r2"
    greater_is_better = True

    def compute(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        return float(r2_score(y_true, y_pred)) if len(y_true) > 1 else math.nan


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

    _output_activation = ""
    _loss = ""
    _categorical = False
    #: the history key of the validation score early stopping watches, and the metrics fit adds for it
    _monitor = ""

    def __init__(
        self,
        hidden_layer_sizes: Any = (64,),
        activation: Any = "relu",
        optimizer: Any = "adam",
        optimizer_params: Optional[Dict[str, Any]] = None,
        batch_size: int = 32,
        epochs: int = 30,
        dtype: str = "float64",
        random_state: Any = None,
        verbose: int = 0,
        alpha: float = 0.0,
        dropout: Any = None,
        schedule: Any = None,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.optimizer_params = optimizer_params
        self.batch_size = batch_size
        self.epochs = epochs
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose
        self.alpha = alpha
        self.dropout = dropout
        self.schedule = schedule
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change

    def _config(self) -> _Config:
        """Check the parameters (scikit-learn checks them in fit, never in __init__)."""
        hidden_layer_sizes = _hidden_layer_sizes(self.hidden_layer_sizes)
        return _Config(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=self.activation if isinstance(self.activation, str) else copy.deepcopy(self.activation),
            optimizer=_optimizer_spec(self.optimizer, self.optimizer_params),
            batch_size=_positive_int("batch_size", self.batch_size),
            epochs=_positive_int("epochs", self.epochs),
            dtype=check_dtype(self.dtype),
            verbose=self.verbose,  # NeuralNetwork.fit checks it
            alpha=_alpha(self.alpha),
            dropout=_dropout(self.dropout, hidden_layer_sizes),
            schedule=_schedule_spec(self.schedule),  # NeuralNetwork checks it
            early_stopping=tools.Flag().check(type(self).__name__, "early_stopping", self.early_stopping),
            validation_fraction=_validation_fraction(self.validation_fraction),
            n_iter_no_change=_n_iter_no_change(self.n_iter_no_change),
        )

    def _l2_factor(self, alpha: float, batch: int, n_outputs: int) -> float:
        """npnet's ``l2`` factor that weighs the penalty as scikit-learn's ``alpha`` does (see the class docstring)."""
        raise NotImplementedError

    def _start(self, config: _Config, n_inputs: int, n_outputs: int, seed: int, n_samples: int) -> None:
        """Make a new network ``network_`` for training on ``n_samples`` samples, and reset what training records."""
        layers = [n_inputs, *config.hidden_layer_sizes, n_outputs]
        regularizers: List[Any] = []
        if config.alpha > 0:
            batch = min(config.batch_size, n_samples)  # the samples of a full batch
            regularizers.append(("l2", {"factor": self._l2_factor(config.alpha, batch, n_outputs)}))
        if config.dropout is not None:
            regularizers.append(("dropout", {"rate": config.dropout}))
        self.network_ = NeuralNetwork(
            layers,
            config.activation,
            self._output_activation,
            self._loss,
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

    def _fit_new(self, config: _Config, X: np.ndarray, y: np.ndarray, n_outputs: int, encode: Callable) -> None:
        """Train a new network on ``X`` and ``y`` for ``epochs``, holding out a validation set with early stopping."""
        seed = _seed(self.random_state)
        validation = None
        if config.early_stopping:
            n_val = math.ceil(config.validation_fraction * len(X))
            if n_val < 2:
                raise ValueError(
                    f"The validation set is too small: validation_fraction={config.validation_fraction} of "
                    f"{len(X)} samples holds out {n_val}, and early stopping needs at least 2. Increase "
                    "validation_fraction or the size of your dataset"
                )
            # scikit-learn's split, from the estimator's random_state: random, and stratified for a classifier
            X, X_val, y, y_val = train_test_split(
                X, y, test_size=config.validation_fraction, random_state=seed, stratify=y if self._categorical else None
            )
            validation = (X_val, encode(y_val))
        self._start(config, X.shape[1], n_outputs, seed, len(X))
        self._train(config, X, encode(y), config.epochs, validation)

    def _train(
        self,
        config: _Config,
        X: np.ndarray,
        y: np.ndarray,
        epochs: int,
        validation: Optional[Tuple[np.ndarray, np.ndarray]] = None,
    ) -> None:
        options: Dict[str, Any] = {}
        if validation is not None:
            # scikit-learn stops once the score has not improved for more than n_iter_no_change epochs
            no_change = config.n_iter_no_change
            patience = config.epochs if no_change == math.inf else int(no_change) + 1
            metrics = [_R2Score()] if self._monitor == "val_r2" else None
            options = dict(validation_data=validation, early_stopping=patience, monitor=self._monitor, metrics=metrics)
        run = self.network_.fit(X, y, config.batch_size, epochs, self._categorical, verbose=config.verbose, **options)
        losses = [float(loss) for loss in np.ravel(run)]
        self.loss_curve_ = self.loss_curve_ + losses
        self.loss_ = self.loss_curve_[-1]
        self.n_iter_ += len(losses)  # the epochs run
        if validation is None:
            self.best_loss_ = min(self.loss_curve_)
        else:
            self.validation_scores_ = [float(score) for score in self.network_.history[self._monitor][-len(losses) :]]
            self.best_validation_score_ = max(self.validation_scores_)

    def _check_partial_fit(self, config: _Config) -> None:
        if config.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True (as in scikit-learn): it trains one epoch "
                "on the data it is given, with nothing held out; use fit, or early_stopping=False"
            )

    def _outputs(self, X: Any) -> np.ndarray:
        """The fitted network's outputs for ``X``, after checking ``X`` against what fit saw."""
        check_is_fitted(self)
        X = _validate_data(self, X, reset=False, dtype=self.network_.dtype, order="C")
        return self.network_.predict(X)

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(super().__getstate__())  # the base may hand back the instance's own __dict__
        if isinstance(state.get("network_"), NeuralNetwork):
            state["network_"] = _SavedNetwork.of(state["network_"], type(self).__name__)
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        if isinstance(state.get("network_"), _SavedNetwork):
            state = dict(state, network_=state["network_"].restore())
        super().__setstate__(state)


_PARAMETERS = """
    hidden_layer_sizes : tuple of int, default=(64,)
        The size of each hidden layer; ``()`` gives none, an int one.
    activation : str, (name, params) or list, default="relu"
        The hidden layers' activation, by name from the installed npnet plugins
        (``"relu"``, ``"identity"``, or any that a plugin adds); a list gives
        one per hidden layer.
    optimizer : str, default="adam"
        The optimizer by name (``"adam"``, ``"sgd"``, or any that a plugin adds).
    optimizer_params : dict, default=None
        The optimizer's parameters, such as ``{"learning_rate": 1e-3}``; the
        network gets ``(optimizer, optimizer_params)``.
    batch_size : int, default=32
        Samples per mini-batch (at most all of them).
    epochs : int, default=30
        Passes over the training data in ``fit``; ``partial_fit`` makes one.
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
        mean loss of each batch of ``batch`` samples. The network gets npnet's
        ``("l2", {"factor": ...})`` (``npnet-regularizers``) with the factor
        that gives scikit-learn's gradient (the class description says which);
        0 adds none. The factor is fixed when the network is made, for a
        batch of ``min(batch_size, n_samples)`` samples (the training samples,
        or those of the first ``partial_fit``): a shorter batch, such as the
        last of an epoch, is penalised as a full one (scikit-learn divides by
        its size).
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
        the samples with :func:`sklearn.model_selection.train_test_split`
        (randomly, from ``random_state``; stratified for the classifier),
        scores them after each epoch (see ``validation_scores_``), stops once
        the score has not improved for more than ``n_iter_no_change`` epochs,
        and keeps the network of the best epoch. There is no ``tol``: every
        strict improvement counts, where scikit-learn's needs one of at least
        ``tol=1e-4``. Without early stopping, ``fit`` trains ``epochs`` epochs
        (scikit-learn's would also stop when the training loss stalls).
        ``partial_fit`` refuses it, as scikit-learn's does.
    validation_fraction : float, default=0.1
        The fraction of the samples early stopping holds out; at least 2 of them.
    n_iter_no_change : int, default=10
        The epochs early stopping waits for an improvement: it stops after
        ``n_iter_no_change + 1`` epochs in a row without one, as scikit-learn
        does. ``numpy.inf`` never stops early, but still keeps the best epoch."""

_ATTRIBUTES = """
    network_ : NeuralNetwork
        The trained network (see :class:`npnet_core.NeuralNetwork`).
    n_features_in_ : int
        The number of features seen in fit.
    feature_names_in_ : ndarray of shape (n_features,)
        The feature names seen in fit, if ``X`` was a data frame with string column names.
    loss_curve_ : list of float
        The mean training loss of each epoch, ``partial_fit``'s included.
    loss_ : float
        The last of them.
    n_iter_ : int
        The number of epochs trained.
    best_loss_ : float or None
        The least of ``loss_curve_``; None with early stopping.
    validation_scores_ : list of float or None
        With early stopping, the score of the held-out samples after each
        epoch, as scikit-learn's: the accuracy for the classifier, R²
        (averaged over the targets) for the regressor. None without.
    best_validation_score_ : float or None
        With early stopping, the best of them, that of the network kept; None without."""


class NPNetClassifier(ClassifierMixin, _NPNetEstimator):
    __doc__ = f"""A multi-layer perceptron classifier trained by npnet.

    A softmax output layer with one unit per class (two for a binary problem)
    and the categorical cross-entropy loss. Class labels may be of any type
    (strings, integers, ...); they are mapped to output units in sorted order,
    as :class:`sklearn.preprocessing.LabelEncoder` does.

    With ``alpha``, the network gets ``("l2", {{"factor": alpha / (2 * batch)}})``:
    the categorical cross-entropy is scikit-learn's log loss, so the gradient
    on a batch of ``batch`` samples is that of :class:`~sklearn.neural_network.MLPClassifier`
    with the same ``alpha`` and weights. Early stopping scores the held-out
    samples by their accuracy, as scikit-learn does; the accuracy moves in
    steps of ``1 / n_held_out``, larger than scikit-learn's ``tol=1e-4`` for
    fewer than 10,000 held-out samples, where the two stop alike.

    Parameters
    ----------{_PARAMETERS}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted; output unit ``i`` is ``classes_[i]``.{_ATTRIBUTES}

    Examples
    --------
    >>> from npnet_core.datasets import load_digits
    >>> from npnet_core.sklearn import NPNetClassifier
    >>> X, y = load_digits()
    >>> model = NPNetClassifier(epochs=10, random_state=0).fit(X, y)
    >>> model.predict(X[:3])
    array([0, 1, 2])
    """

    _output_activation = "softmax"
    _loss = "categorical_crossentropy"
    _categorical = True
    _monitor = "val_accuracy"  # scikit-learn scores a classifier's validation set by its accuracy

    def _l2_factor(self, alpha: float, batch: int, n_outputs: int) -> float:
        return alpha / (2 * batch)  # the cross-entropy is scikit-learn's log loss: the same gradient

    def fit(self, X: Any, y: Any) -> "NPNetClassifier":
        """Train a new network on ``X`` and the class labels ``y``; return self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels of any type; at least two classes.

        Returns
        -------
        self : NPNetClassifier
        """
        config = self._config()
        X, y = _validate_data(self, X, y, dtype=config.dtype, order="C")
        check_classification_targets(y)
        classes = _sorted_classes(y)
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes to learn from; "
                f"y has 1 class ({classes[0]!r})"
            )
        self.classes_ = classes
        self._fit_new(config, X, y, len(classes), lambda labels: _encode(classes, labels))
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> "NPNetClassifier":
        """Train one epoch on ``X`` and ``y``, continuing the network if there is one; return self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every class of the problem: required on the first call (when the
            estimator is not fitted yet), optional afterwards, when it must be
            ``classes_``.

        Returns
        -------
        self : NPNetClassifier
        """
        config = self._config()
        self._check_partial_fit(config)
        first = not hasattr(self, "network_")
        if first and classes is None:
            raise ValueError(
                "classes must be given on the first call to partial_fit: every class label of "
                "the problem, since later batches may hold only some of them"
            )
        dtype = config.dtype if first else self.network_.dtype
        X, y = _validate_data(self, X, y, reset=first, dtype=dtype, order="C")
        check_classification_targets(y)
        if classes is not None:
            classes = _sorted_classes(np.asarray(classes))
            if not first and not np.array_equal(classes, self.classes_):
                raise ValueError(
                    f"classes {classes!r} differ from those of the first call to partial_fit "
                    f"or of fit, {self.classes_!r}"
                )
            if len(classes) < 2:
                raise ValueError(f"{type(self).__name__} needs at least 2 classes; classes has {len(classes)}")
        else:
            classes = self.classes_
        encoded = _encode(classes, y)
        if first:
            self.classes_ = classes
            self._start(config, X.shape[1], len(classes), _seed(self.random_state), len(X))
        self._train(config, X, encoded, 1)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return the probability of each class, the softmax outputs, in the order of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Each row sums to 1.
        """
        return self._outputs(X)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Return the log of :meth:`predict_proba` (``-inf`` where a probability underflowed to 0)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """Return the most probable class label of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)  # first: it checks that the estimator is fitted
        return self.classes_.take(np.argmax(proba, axis=1))


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
    ----------
    n_outputs_ : int
        The number of targets.{_ATTRIBUTES}

    Examples
    --------
    >>> import numpy as np
    >>> from npnet_core.sklearn import NPNetRegressor
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> model = NPNetRegressor(epochs=100, random_state=0).fit(X, X.ravel() ** 2)
    >>> model.predict(X[:2]).shape
    (2,)
    """

    _output_activation = "identity"
    _loss = "mean_squared_error"
    _monitor = "val_r2"  # scikit-learn scores a regressor's validation set by its R²

    def _l2_factor(self, alpha: float, batch: int, n_outputs: int) -> float:
        # npnet's mean squared error, mean((p - y)**2) over the targets, has the gradient 2 / n_outputs times
        # scikit-learn's (p - y); its penalty is scaled alike: alpha / (2 * batch) * (2 / n_outputs)
        return alpha / (n_outputs * batch)

    def fit(self, X: Any, y: Any) -> "NPNetRegressor":
        """Train a new network on ``X`` and the targets ``y``; return self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        self : NPNetRegressor
        """
        config = self._config()
        X, y = _validate_data(self, X, y, dtype=config.dtype, order="C", multi_output=True, y_numeric=True)
        self._y_ndim = y.ndim
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        self._fit_new(config, X, y, self.n_outputs_, lambda targets: targets)
        return self

    def partial_fit(self, X: Any, y: Any) -> "NPNetRegressor":
        """Train one epoch on ``X`` and ``y`` (shaped as for :meth:`fit`), continuing the network if there is one; return self."""
        config = self._config()
        self._check_partial_fit(config)
        first = not hasattr(self, "network_")
        dtype = config.dtype if first else self.network_.dtype
        X, y = _validate_data(self, X, y, reset=first, dtype=dtype, order="C", multi_output=True, y_numeric=True)
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        if first:
            self._y_ndim = y.ndim
            self.n_outputs_ = n_outputs
            self._start(config, X.shape[1], n_outputs, _seed(self.random_state), len(X))
        elif n_outputs != self.n_outputs_:
            raise ValueError(f"y has {n_outputs} targets, but {type(self).__name__} was fitted with {self.n_outputs_}")
        self._train(config, X, y, 1)
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

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _more_tags(self) -> Dict[str, Any]:  # pragma: no cover - scikit-learn < 1.6
        return {"multioutput": True}
