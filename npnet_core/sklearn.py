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
import numbers
import pickle
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin  # type: ignore[import-untyped, import-not-found, unused-ignore]
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

    def _config(self) -> _Config:
        """Check the parameters (scikit-learn checks them in fit, never in __init__)."""
        return _Config(
            hidden_layer_sizes=_hidden_layer_sizes(self.hidden_layer_sizes),
            activation=self.activation if isinstance(self.activation, str) else copy.deepcopy(self.activation),
            optimizer=_optimizer_spec(self.optimizer, self.optimizer_params),
            batch_size=_positive_int("batch_size", self.batch_size),
            epochs=_positive_int("epochs", self.epochs),
            dtype=check_dtype(self.dtype),
            verbose=self.verbose,  # NeuralNetwork.fit checks it
        )

    def _start(self, config: _Config, n_inputs: int, n_outputs: int) -> None:
        """Make a new network ``network_`` and reset what training records."""
        layers = [n_inputs, *config.hidden_layer_sizes, n_outputs]
        self.network_ = NeuralNetwork(
            layers,
            config.activation,
            self._output_activation,
            self._loss,
            config.optimizer,
            seed=_seed(self.random_state),
            dtype=config.dtype,
        )
        self.loss_curve_: List[float] = []
        self.n_iter_ = 0

    def _train(self, config: _Config, X: np.ndarray, y: np.ndarray, epochs: int, categorical: bool) -> None:
        run = self.network_.fit(X, y, config.batch_size, epochs, categorical, verbose=config.verbose)
        losses = [float(loss) for loss in np.ravel(run)]
        self.loss_curve_ = self.loss_curve_ + losses
        self.loss_ = self.loss_curve_[-1]
        self.n_iter_ += len(losses)  # the epochs run

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
        Passed to :meth:`NeuralNetwork.fit`: 0 is silent, 1 or 2 report each epoch."""

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
        The number of epochs trained."""


class NPNetClassifier(ClassifierMixin, _NPNetEstimator):
    __doc__ = f"""A multi-layer perceptron classifier trained by npnet.

    A softmax output layer with one unit per class (two for a binary problem)
    and the categorical cross-entropy loss. Class labels may be of any type
    (strings, integers, ...); they are mapped to output units in sorted order,
    as :class:`sklearn.preprocessing.LabelEncoder` does.

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
        self._start(config, X.shape[1], len(classes))
        self._train(config, X, _encode(classes, y), config.epochs, categorical=True)
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
            self._start(config, X.shape[1], len(classes))
        self._train(config, X, encoded, 1, categorical=True)
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
        self._start(config, X.shape[1], self.n_outputs_)
        self._train(config, X, y, config.epochs, categorical=False)
        return self

    def partial_fit(self, X: Any, y: Any) -> "NPNetRegressor":
        """Train one epoch on ``X`` and ``y`` (shaped as for :meth:`fit`), continuing the network if there is one; return self."""
        config = self._config()
        first = not hasattr(self, "network_")
        dtype = config.dtype if first else self.network_.dtype
        X, y = _validate_data(self, X, y, reset=first, dtype=dtype, order="C", multi_output=True, y_numeric=True)
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        if first:
            self._y_ndim = y.ndim
            self.n_outputs_ = n_outputs
            self._start(config, X.shape[1], n_outputs)
        elif n_outputs != self.n_outputs_:
            raise ValueError(f"y has {n_outputs} targets, but {type(self).__name__} was fitted with {self.n_outputs_}")
        self._train(config, X, y, 1, categorical=False)
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
