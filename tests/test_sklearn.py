"""npnet_core.sklearn: scikit-learn's own estimator checks, and use as scikit-learn users would."""

from __future__ import annotations

import ast
import contextlib
import copy
import doctest
import inspect
import io
import pickle
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_blobs, make_classification  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score, r2_score, recall_score  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.model_selection import train_test_split as train_test_split_sk  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.class_weight import compute_class_weight  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402
from sklearn.utils.validation import check_is_fitted, has_fit_parameter  # noqa: E402

import npnet_core.sklearn  # noqa: E402
from npnet_core import InvalidParameterError, NeuralNetwork  # noqa: E402
from npnet_core.datasets import load_digits, train_test_split  # noqa: E402
from npnet_core.sklearn import NPNetClassifier, NPNetRegressor  # noqa: E402

SKLEARN_VERSION = tuple(int(part) for part in re.findall(r"\d+", sklearn.__version__)[:2])
ROOT = Path(__file__).resolve().parent.parent

# -- scikit-learn's estimator checks -------------------------------------------------------

# Small and quick: the checks fit tens to a few hundred samples, many times over.
_QUICK = {"hidden_layer_sizes": (16,), "max_iter": 5, "batch_size": 16, "optimizer_params": {"learning_rate": 0.01}}
# every training option away from its default: a penalty, dropout and a schedule; early stopping
_REGULARIZED = {"alpha": 1e-3, "dropout": 0.1, "schedule": ("exponential", {"gamma": 0.999})}
_EARLY_STOPPING = {"early_stopping": True, "validation_fraction": 0.2, "n_iter_no_change": 2}
CHECKED = [
    NPNetClassifier(**_QUICK),
    NPNetRegressor(**_QUICK),
    NPNetClassifier(**_QUICK, dtype="float32"),
    NPNetRegressor(**_QUICK, dtype="float32"),
    NPNetClassifier(**_QUICK, **_REGULARIZED),
    NPNetRegressor(**_QUICK, **_REGULARIZED),
    NPNetClassifier(**{**_QUICK, "max_iter": 20}, **_EARLY_STOPPING),
    NPNetRegressor(**{**_QUICK, "max_iter": 20}, **_EARLY_STOPPING),
    # full batches (batch_size="auto" is min(200, n_samples)): integer sample weights equal repeated samples
    NPNetClassifier(**{**_QUICK, "batch_size": "auto", "max_iter": 100}),
    NPNetRegressor(**{**_QUICK, "batch_size": "auto", "max_iter": 100}),
    NPNetClassifier(**_QUICK, class_weight="balanced"),
]

# the checks that call partial_fit, which refuses early stopping as scikit-learn's MLP does
_PARTIAL_FIT_CHECKS = (
    "check_fit_score_takes_y",
    "check_n_features_in_after_fitting",
    "check_estimators_partial_fit_n_features",
)


_MULTILABEL_CHECKS = (
    "check_classifiers_multilabel_representation_invariance",
    "check_classifiers_multilabel_output_format_predict",
    "check_classifiers_multilabel_output_format_predict_proba",
    "check_classifiers_multilabel_output_format_decision_function",
)


def _expected_failed_checks(estimator):
    """The checks an estimator is known to fail, with the reason (scikit-learn's own mechanism)."""
    failed = {}
    if estimator.early_stopping:
        reason = "partial_fit raises ValueError with early_stopping=True, as MLPClassifier's and MLPRegressor's do"
        failed.update(dict.fromkeys(_PARTIAL_FIT_CHECKS, reason))
    if isinstance(estimator, NPNetRegressor) and estimator.dtype == "float32":
        failed["check_regressor_multioutput"] = (
            "dtype='float32' asks for a float32 network, whose predictions are float32 "
            "(npnet keeps float32 throughout); the check requires float64 predictions"
        )
    if isinstance(estimator, NPNetClassifier) and estimator.class_weight == "balanced":
        reason = "partial_fit refuses class_weight='balanced', as SGDClassifier's does: it needs the counts of all y"
        failed.update(dict.fromkeys(_PARTIAL_FIT_CHECKS, reason))
        reason = "class_weight weighs the classes of single-label targets: fit refuses it for multi-label y"
        failed.update(dict.fromkeys(_MULTILABEL_CHECKS, reason))
    if isinstance(estimator, NPNetClassifier) and estimator.batch_size != "auto" and not estimator.dropout:
        failed["check_class_weight_classifiers"] = (
            "each mini-batch's loss is a weighted mean, normalised by that batch's weights (as MLPClassifier's): "
            "with class weights 1000 : 0.0001, a batch without a sample of class 0 takes a full step towards the "
            "other classes; with full batches (batch_size='auto', as MLPClassifier's default here) the check passes"
        )
    if estimator.batch_size != "auto" or estimator.dropout or estimator.early_stopping:
        # weighted rows equal repeated rows on a full batch only: repeating rows changes the mini-batches,
        # dropout's draws and early stopping's split
        failed["check_sample_weight_equivalence_on_dense_data"] = (
            "mini-batches, dropout and early stopping's split differ between weighted and repeated rows; "
            "on full batches (batch_size='auto' here) the check passes"
        )
    return failed


if SKLEARN_VERSION >= (1, 6):
    _strict = {"xfail_strict": True} if SKLEARN_VERSION >= (1, 8) else {}

    @parametrize_with_checks(CHECKED, expected_failed_checks=_expected_failed_checks, **_strict)
    def test_sklearn_estimator_checks(estimator, check):
        """Every check of scikit-learn's estimator suite passes (or fails as declared)."""
        check(estimator)

else:  # pragma: no cover

    def test_sklearn_estimator_checks():
        pytest.skip("expected_failed_checks in parametrize_with_checks needs scikit-learn >= 1.6")


# -- optional dependency ----------------------------------------------------------------------


def _run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_npnet_core_does_not_import_sklearn():
    """scikit-learn is an optional extra: importing npnet (and training) never imports it."""
    result = _run_python(
        "import sys, npnet_core, npnet_core.datasets\n"
        "from npnet_core import NeuralNetwork\n"
        "NeuralNetwork([2, 2], 'relu', 'softmax', 'categorical_crossentropy', 'adam')\n"
        "print(sorted(m for m in sys.modules if m == 'sklearn' or m.startswith('sklearn.')))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_missing_sklearn_says_what_to_install():
    """Without scikit-learn, importing npnet_core.sklearn says: pip install npnet-core[sklearn]."""
    result = _run_python(
        "import sys\n"
        "sys.modules['sklearn'] = None  # as if it were not installed\n"
        "try:\n"
        "    import npnet_core.sklearn\n"
        "except ImportError as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ImportError ")
    assert "pip install npnet-core[sklearn]" in result.stdout


# -- the digits, as a scikit-learn user would use them ---------------------------------------


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits()
    return train_test_split(x, y, test_size=0.25, seed=0)


@pytest.fixture(scope="module")
def digits_model(digits):
    x_train, _, y_train, _ = digits
    return NPNetClassifier(random_state=0).fit(x_train, y_train)


def test_digits_accuracy_is_that_of_mlpclassifier(digits, digits_model):
    """On the same split, with the same architecture and epochs, as accurate as MLPClassifier."""
    x_train, x_test, y_train, y_test = digits
    mlp = MLPClassifier(hidden_layer_sizes=(64,), batch_size=32, max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 30 epochs: it would like more
        mlp.fit(x_train, y_train)
    ours, theirs = digits_model.score(x_test, y_test), mlp.score(x_test, y_test)
    assert ours >= 0.95
    assert ours >= theirs - 0.03, (ours, theirs)


def test_fitted_attributes(digits, digits_model):
    x_train, *_ = digits
    check_is_fitted(digits_model)
    assert digits_model.n_features_in_ == 64
    np.testing.assert_array_equal(digits_model.classes_, np.arange(10))
    assert isinstance(digits_model.network_, NeuralNetwork)
    assert digits_model.network_.layers == [64, 64, 10]
    assert digits_model.n_iter_ == 30 and len(digits_model.loss_curve_) == 30
    assert digits_model.loss_ == digits_model.loss_curve_[-1] < digits_model.loss_curve_[0]
    assert not hasattr(NPNetClassifier(), "network_")


def test_predict_proba_is_a_distribution_whose_argmax_is_predict(digits, digits_model):
    _, x_test, _, _ = digits
    proba = digits_model.predict_proba(x_test)
    assert proba.shape == (len(x_test), 10)
    assert (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(digits_model.classes_[proba.argmax(axis=1)], digits_model.predict(x_test))
    np.testing.assert_allclose(digits_model.predict_log_proba(x_test), np.log(proba))


def test_pipeline_in_grid_search_over_layers_and_optimizer_params(digits):
    """GridSearchCV tunes a Pipeline([StandardScaler(), NPNetClassifier()]) through its parameters."""
    x_train, x_test, y_train, y_test = digits
    pipeline = Pipeline([("scale", StandardScaler()), ("net", NPNetClassifier(max_iter=3, random_state=0))])
    grid = {
        "net__hidden_layer_sizes": [(16,), (64,)],
        "net__optimizer_params": [None, {"learning_rate": 3e-3}],
    }
    search = GridSearchCV(pipeline, grid, cv=3).fit(x_train, y_train)
    assert len(search.cv_results_["params"]) == 4
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all() and len(set(scores)) == 4  # the parameters reached the network
    assert search.best_params_ == {"net__hidden_layer_sizes": (64,), "net__optimizer_params": {"learning_rate": 3e-3}}
    best = search.best_estimator_.named_steps["net"]
    assert best.network_.layers == [64, 64, 10]
    assert best.network_.optimizer.get_config()["learning_rate"] == 3e-3
    assert search.score(x_test, y_test) >= 0.9


def test_an_int_random_state_trains_exactly_as_neural_network_with_that_seed(digits):
    """The estimator adds nothing to npnet's training: same seed, same parameters."""
    x_train, _, y_train, _ = digits
    model = NPNetClassifier(max_iter=3, random_state=7).fit(x_train, y_train)
    net = NeuralNetwork([64, 64, 10], "relu", "softmax", "categorical_crossentropy", "adam", seed=7)
    net.fit(x_train, y_train, 32, 3, categorical=True, verbose=0)
    np.testing.assert_array_equal(model.network_.params, net.params)


def test_random_state_makes_training_repeatable(digits):
    x_train, x_test, y_train, _ = digits
    fit = lambda state: NPNetClassifier(max_iter=2, random_state=state).fit(x_train, y_train)  # noqa: E731
    np.testing.assert_array_equal(fit(3).predict_proba(x_test), fit(3).predict_proba(x_test))
    np.testing.assert_array_equal(
        fit(np.random.RandomState(5)).predict_proba(x_test), fit(np.random.RandomState(5)).predict_proba(x_test)
    )
    assert not np.array_equal(fit(3).predict_proba(x_test), fit(4).predict_proba(x_test))
    np.random.seed(0)
    first = fit(None).predict_proba(x_test)
    np.random.seed(0)
    np.testing.assert_array_equal(first, fit(None).predict_proba(x_test))  # None: NumPy's global state


# -- labels ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def blobs():
    x, y = make_blobs(n_samples=300, centers=3, cluster_std=0.6, random_state=0)
    return StandardScaler().fit_transform(x), y


@pytest.mark.parametrize(
    "labels",
    [np.array(["cat", "dog", "eel"]), np.array(["cat", "dog", "eel"], dtype=object), np.array([1000, -5, 10])],
    ids=["strings", "string-objects", "non-contiguous-ints"],
)
def test_class_labels_of_any_type_round_trip(blobs, labels):
    """Labels map to output units in sorted order, as LabelEncoder's, and come back as given."""
    x, y = blobs
    named = labels[y]
    model = NPNetClassifier(max_iter=5, random_state=0).fit(x, named)
    np.testing.assert_array_equal(model.classes_, np.sort(labels))
    predicted = model.predict(x)
    assert predicted.dtype == named.dtype
    assert np.mean(predicted == named) > 0.95
    # the same network as one trained on the indices of the labels in classes_
    indices = np.searchsorted(model.classes_, named)
    on_indices = NPNetClassifier(max_iter=5, random_state=0).fit(x, indices)
    np.testing.assert_array_equal(model.predict_proba(x), on_indices.predict_proba(x))
    np.testing.assert_array_equal(predicted, model.classes_[on_indices.predict(x)])


def test_labels_that_cannot_be_sorted_together_are_refused(blobs):
    x, y = blobs
    mixed = np.array(["a", 3, "b"], dtype=object)[y]
    with pytest.raises((TypeError, ValueError)):  # as check_classification_targets raises
        NPNetClassifier(max_iter=1).fit(x, mixed)


def test_binary_problems_use_one_sigmoid_unit_as_mlpclassifier(blobs):
    """Two classes: one sigmoid output p (the probability of classes_[1]), binary cross-entropy, proba [1 - p, p]."""
    x, y = blobs
    keep = y != 2
    named = np.where(y[keep] == 0, "no", "yes")
    model = NPNetClassifier(max_iter=10, random_state=0).fit(x[keep], named)
    assert model.network_.layers[-1] == 1 and model.n_outputs_ == 1 and model.out_activation_ == "sigmoid"
    assert model.network_.output_activation.name == "sigmoid" and model.network_.loss.name == "binary_crossentropy"
    proba = model.predict_proba(x[keep])
    assert proba.shape == (keep.sum(), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_array_equal(proba[:, 1], model.network_.predict(x[keep])[:, 0])  # p is the unit's output
    predicted = model.predict(x[keep])
    np.testing.assert_array_equal(predicted, model.classes_[proba.argmax(axis=1)])
    np.testing.assert_array_equal(predicted == "yes", proba[:, 1] > 0.5)
    assert model.score(x[keep], named) > 0.95
    # what MLPClassifier gives for the same problem: classes, shapes and dtypes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier(max_iter=10, random_state=0).fit(x[keep], named)
    np.testing.assert_array_equal(model.classes_, mlp.classes_)
    assert mlp.n_outputs_ == model.n_outputs_ and mlp.out_activation_ == "logistic"
    assert mlp.predict_proba(x[keep]).shape == proba.shape and mlp.predict(x[keep]).dtype == predicted.dtype


def test_one_class_is_refused(blobs):
    x, _ = blobs
    with pytest.raises(ValueError, match="at least 2 classes"):
        NPNetClassifier(max_iter=1).fit(x, np.full(len(x), "only"))


def test_partial_fit_learns_in_batches_and_checks_its_classes(digits):
    x_train, x_test, y_train, y_test = digits
    model = NPNetClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be given"):
        model.partial_fit(x_train, y_train)
    for epoch in range(10):
        for start in range(0, len(x_train), 300):
            part = slice(start, start + 300)
            model.partial_fit(x_train[part], y_train[part], classes=np.arange(10) if epoch == start == 0 else None)
    assert model.n_iter_ == 10 * 5
    assert model.score(x_test, y_test) > 0.9
    with pytest.raises(ValueError, match="not among the classes"):
        model.partial_fit(x_train[:5], np.full(5, 10))
    with pytest.raises(ValueError, match="differ"):
        model.partial_fit(x_train[:5], y_train[:5], classes=np.arange(11))
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(x_train[:5, :10], y_train[:5])


# -- regression ------------------------------------------------------------------------------


FAST = {"learning_rate": 0.01}


@pytest.fixture(scope="module")
def smooth():
    """A smooth function of two variables on [-1, 1]^2: a sine and a parabola."""
    x = np.random.default_rng(0).uniform(-1, 1, size=(500, 2))
    y = np.column_stack([np.sin(np.pi * x[:, 0]) + x[:, 1] ** 2, np.cos(np.pi * x[:, 1])])
    return x[:400], x[400:], y[:400], y[400:]


def test_regressor_fits_a_smooth_function(smooth):
    x_train, x_test, y_train, y_test = smooth
    model = NPNetRegressor(hidden_layer_sizes=(32,), max_iter=60, random_state=0, optimizer_params=FAST)
    model.fit(x_train, y_train[:, 0])
    assert model.network_.layers == [2, 32, 1] and model.n_outputs_ == 1
    assert model.score(x_test, y_test[:, 0]) > 0.98


@pytest.mark.parametrize("columns", [None, [0], [0, 1]], ids=["1-D", "one-column", "two-columns"])
def test_regressor_predicts_with_the_dimensionality_of_y(smooth, columns):
    x_train, x_test, y_train, y_test = smooth
    target, truth = (y_train[:, 0], y_test[:, 0]) if columns is None else (y_train[:, columns], y_test[:, columns])
    model = NPNetRegressor(hidden_layer_sizes=(32,), max_iter=60, random_state=0, optimizer_params=FAST)
    predicted = model.fit(x_train, target).predict(x_test)
    assert predicted.shape == truth.shape and predicted.dtype == np.float64
    assert model.score(x_test, truth) > 0.95  # R², averaged over the targets


def test_regressor_partial_fit_continues_training(smooth):
    x_train, x_test, y_train, y_test = smooth
    model = NPNetRegressor(hidden_layer_sizes=(32,), random_state=0, optimizer_params={"learning_rate": 0.01})
    scores = []
    for _ in range(3):
        for _ in range(10):
            model.partial_fit(x_train, y_train)
        scores.append(model.score(x_test, y_test))
    assert model.n_iter_ == 30 and scores == sorted(scores) and scores[-1] > 0.9
    with pytest.raises(ValueError, match="targets"):
        model.partial_fit(x_train, y_train[:, 0])


# -- alpha: scikit-learn's L2 penalty ------------------------------------------------------------


def _problem(n_outputs, n=24, seed=1):
    """A small problem: 4 features, and 3 classes or ``n_outputs`` regression targets."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    if n_outputs is None:
        return x, np.arange(n) % 3
    y = np.column_stack([np.sin(x[:, 0]) + x[:, 1], x[:, 2] * x[:, 3]])[:, :n_outputs]
    return x, (y[:, 0] if n_outputs == 1 else y)


_HEADS = {
    "classifier": ("softmax", "categorical_crossentropy"),
    "regressor": ("identity", "mean_squared_error"),
    "sigmoid": ("sigmoid", "binary_crossentropy"),
}


def _start_and_order(head, n_outputs, n_samples, seed=0):
    """The initial weights and biases of the estimators' network for ``_problem``, and its first epoch's order.

    The network of ``NeuralNetwork(..., seed=random_state)`` (the estimator's, as a test above shows)
    draws its initial weights from its generator ``rng``, and then each epoch's order of the samples.
    """
    net = NeuralNetwork([4, 5, n_outputs], "relu", *_HEADS[head], "sgd", seed=seed)
    return [w.copy() for w in net.weights], [b.ravel().copy() for b in net.biases], net.rng.permutation(n_samples)


def _sklearn_epoch(mlp, x, y, weights, biases, sample_weight=None):
    """One epoch of scikit-learn's ``mlp`` on ``x`` and ``y`` in their order, from these weights; return it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # one epoch: it would like more
        mlp.fit(x, y)  # sets up the layers; then from our weights:
        mlp.coefs_, mlp.intercepts_ = [w.copy() for w in weights], [b.copy() for b in biases]
        if sample_weight is None:
            mlp.set_params(warm_start=True).fit(x, y)
        else:
            mlp.set_params(warm_start=True).fit(x, y, sample_weight=sample_weight)
    return mlp


@pytest.mark.parametrize("alpha", [0.0, 0.5])
@pytest.mark.parametrize("batch_size", [8, 24, 100], ids=["mini-batches", "one-batch", "batch-above-n"])
def test_alpha_takes_the_sgd_steps_of_mlpclassifier(alpha, batch_size):
    """An epoch of SGD takes, batch by batch, the steps of MLPClassifier with that alpha from the same weights."""
    x, y = _problem(None)
    lr = 0.3
    params = dict(hidden_layer_sizes=(5,), alpha=alpha, batch_size=batch_size, max_iter=1, random_state=0)
    model = NPNetClassifier(optimizer="sgd", optimizer_params={"learning_rate": lr}, **params)
    weights, biases, order = _start_and_order("classifier", 3, len(x))
    model.fit(x, y)
    mlp = MLPClassifier(
        hidden_layer_sizes=(5,),
        alpha=alpha,
        batch_size=min(batch_size, len(x)),  # as scikit-learn would clip it, with a warning
        solver="sgd",
        learning_rate_init=lr,
        momentum=0.0,
        shuffle=False,
        max_iter=1,
    )
    _sklearn_epoch(mlp, x[order], y[order], weights, biases)
    for ours, theirs in zip(model.network_.weights, mlp.coefs_):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-13)
    for ours, theirs in zip(model.network_.biases, mlp.intercepts_):
        np.testing.assert_allclose(ours.ravel(), theirs, rtol=1e-10, atol=1e-13)
    # the epoch's mean loss, penalty included, is scikit-learn's too
    assert model.loss_curve_[0] == pytest.approx(mlp.loss_curve_[-1], rel=1e-12)
    assert model.loss_curve_[0] > 0 and not np.allclose(model.network_.weights[0], weights[0])


@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("batch_size", [8, 24])
def test_alpha_takes_the_sgd_steps_of_mlpregressor_at_its_learning_rate_scaled(n_outputs, batch_size):
    """npnet's MSE has 2 / n_outputs times scikit-learn's gradient: at lr * n_outputs / 2, the same SGD steps."""
    x, y = _problem(n_outputs)
    lr, alpha = 0.05, 0.8
    model = NPNetRegressor(
        hidden_layer_sizes=(5,),
        optimizer="sgd",
        optimizer_params={"learning_rate": lr * n_outputs / 2},
        alpha=alpha,
        batch_size=batch_size,
        max_iter=1,
        random_state=0,
    )
    weights, biases, order = _start_and_order("regressor", n_outputs, len(x))
    model.fit(x, y)
    mlp = MLPRegressor(
        hidden_layer_sizes=(5,),
        alpha=alpha,
        batch_size=batch_size,
        solver="sgd",
        learning_rate_init=lr,
        momentum=0.0,
        shuffle=False,
        max_iter=1,
    )
    _sklearn_epoch(mlp, x[order], y[order], weights, biases)
    for ours, theirs in zip(model.network_.weights, mlp.coefs_):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-13)
    for ours, theirs in zip(model.network_.biases, mlp.intercepts_):
        np.testing.assert_allclose(ours.ravel(), theirs, rtol=1e-10, atol=1e-13)
    if n_outputs == 1:  # mean((p - y)**2) + alpha / batch * ||W||², twice scikit-learn's loss
        assert model.loss_curve_[0] == pytest.approx(2 * mlp.loss_curve_[-1], rel=1e-12)


def test_alpha_penalty_on_one_batch_is_sklearns_formula():
    """On one batch of n samples: loss + alpha / 2 * sum(W**2) / n, and the gradient + alpha * W / n."""
    x, y = _problem(None, n=30)
    lr, alpha = 0.1, 2.0

    def one_step(alpha):
        model = NPNetClassifier(
            hidden_layer_sizes=(5,),
            optimizer="sgd",
            optimizer_params={"learning_rate": lr},
            alpha=alpha,
            batch_size=64,  # more than the samples: one batch of 30
            max_iter=1,
            random_state=0,
        )
        return model.fit(x, y)

    plain, penalised = one_step(0.0), one_step(alpha)
    weights = _start_and_order("classifier", 3, len(x))[0]
    squares = sum(float(np.sum(w**2)) for w in weights)
    assert penalised.loss_curve_[0] - plain.loss_curve_[0] == pytest.approx(alpha / 2 * squares / 30, rel=1e-9)
    for start, w_plain, w_penalised in zip(weights, plain.network_.weights, penalised.network_.weights):
        # w_plain = start - lr * grad and w_penalised = start - lr * (grad + alpha * start / n)
        np.testing.assert_allclose(w_plain - w_penalised, lr * alpha * start / 30, rtol=1e-9, atol=1e-15)
    for b_plain, b_penalised in zip(plain.network_.biases, penalised.network_.biases):
        np.testing.assert_array_equal(b_plain, b_penalised)  # the biases are not penalised


def test_alpha_zero_adds_no_regularizer(blobs):
    x, y = blobs
    assert NPNetClassifier(max_iter=1, random_state=0).fit(x, y).network_.regularizers == []
    assert NPNetClassifier(alpha=0, dropout=0.0, max_iter=1, random_state=0).fit(x, y).network_.regularizers == []
    model = NPNetClassifier(alpha=1e-2, max_iter=1, random_state=0).fit(x, y)
    assert [r.name for r in model.network_.regularizers] == ["l2"]


# -- dropout and schedule ------------------------------------------------------------------------------


@pytest.mark.parametrize("dropout", [0.3, [0.3, 0.0], (0.1, 0.2), np.array([0.2, 0.1])], ids=str)
def test_dropout_trains_as_neural_network_with_the_dropout_regularizer(blobs, dropout):
    x, y = blobs
    model = NPNetClassifier(hidden_layer_sizes=(8, 8), dropout=dropout, max_iter=3, random_state=4).fit(x, y)
    rate = dropout if isinstance(dropout, float) else [float(r) for r in dropout]
    assert [r.get_config() for r in model.network_.regularizers] == [{"rate": rate}]
    net = NeuralNetwork(
        [2, 8, 8, 3],
        "relu",
        "softmax",
        "categorical_crossentropy",
        "adam",
        seed=4,
        regularizers=[("dropout", {"rate": rate})],
    )
    net.fit(x, y, 32, 3, categorical=True, verbose=0)
    np.testing.assert_array_equal(model.network_.params, net.params)
    without = NPNetClassifier(hidden_layer_sizes=(8, 8), max_iter=3, random_state=4).fit(x, y)
    assert not np.array_equal(model.network_.params, without.network_.params)  # the dropout acted
    assert model.dropout is dropout  # the parameter as given


def test_dropout_errors_name_the_parameter(blobs):
    x, y = blobs
    with pytest.raises(InvalidParameterError, match=r"dropout has 3 rate.*2 hidden layer"):
        NPNetClassifier(hidden_layer_sizes=(8, 8), dropout=[0.1, 0.2, 0.3]).fit(x, y)
    with pytest.raises(InvalidParameterError, match=r"hidden_layer_sizes=\(\) gives none"):
        NPNetClassifier(hidden_layer_sizes=(), dropout=0.5).fit(x, y)
    with pytest.raises(InvalidParameterError, match=r"dropout: rate must be in \[0, 1\)"):
        NPNetClassifier(dropout=1.0).fit(x, y)


def test_a_step_schedule_sets_the_learning_rate_of_each_update(blobs):
    """step: rate = base * gamma ** (update // step_size); the history logs the rate of each epoch's last update."""
    x, y = blobs  # 300 samples, 30 batches of 10 per epoch
    schedule = ("step", {"step_size": 45, "gamma": 0.5})
    model = NPNetClassifier(optimizer="sgd", optimizer_params={"learning_rate": 0.2}, batch_size=10, max_iter=4)
    model.set_params(schedule=schedule, random_state=0).fit(x, y)
    expected = [0.2 * 0.5 ** ((30 * epoch - 1) // 45) for epoch in range(1, 5)]
    np.testing.assert_allclose(model.network_.history["learning_rate"], expected, rtol=1e-15)
    assert model.network_.optimizer.learning_rate == 0.2  # fit gives the optimizer its base rate back
    assert model.network_.updates == 120


def test_a_schedule_object_is_copied_at_each_fit(blobs):
    """A schedule that keeps state starts afresh at each fit, and the estimator's object stays as given."""
    npnet_schedules = pytest.importorskip("npnet_schedules")
    x, y = blobs
    schedule = npnet_schedules.ReduceOnPlateau(patience=1, factor=0.5, min_delta=10.0)  # reduces every epoch
    model = NPNetClassifier(max_iter=6, schedule=schedule, random_state=0)
    first = model.fit(x, y).network_.params.copy()
    rates = model.network_.history["learning_rate"]
    assert min(rates) < max(rates)  # it reduced the rate on a plateau of the loss
    np.testing.assert_array_equal(model.fit(x, y).network_.params, first)
    assert model.network_.schedule is not schedule
    assert schedule.state_dict() == npnet_schedules.ReduceOnPlateau().state_dict()  # never trained with


# -- early stopping ------------------------------------------------------------------------------


def _sklearn_stopping(scores, n_iter_no_change, tol):
    """scikit-learn's MLP rule on validation scores: (the epoch it stops after, or None, the index of the epoch kept).

    Each epoch whose score is below the best so far plus ``tol`` counts one without improvement, any
    other resets the count; training stops when the count exceeds ``n_iter_no_change``. The epoch kept
    is the first of the greatest score.
    """
    best, count = -np.inf, 0
    for epoch, score in enumerate(scores, start=1):
        count = count + 1 if score < best + tol else 0
        best = max(best, score)
        if count > n_iter_no_change:
            return epoch, int(np.argmax(scores[:epoch]))
    return None, int(np.argmax(scores))


def test_the_stopping_rule_written_out_is_sklearns(blobs):
    """The rule the tests below hold npnet to reproduces MLPClassifier's own epochs."""
    x, y = blobs
    for n_iter_no_change in (1, 3):
        mlp = MLPClassifier(hidden_layer_sizes=(8,), early_stopping=True, n_iter_no_change=n_iter_no_change)
        mlp.set_params(learning_rate_init=0.01, max_iter=200, random_state=0).fit(x, y)
        assert mlp.n_iter_ < 200  # it stopped early
        stopped, _ = _sklearn_stopping(mlp.validation_scores_, n_iter_no_change, mlp.tol)
        assert stopped == mlp.n_iter_


def test_classifier_early_stopping_holds_out_a_stratified_split_and_stops_as_sklearn(blobs):
    x, y = blobs
    model = NPNetClassifier(hidden_layer_sizes=(8,), max_iter=200, early_stopping=True, n_iter_no_change=3)
    model.set_params(validation_fraction=0.2, random_state=0, optimizer_params={"learning_rate": 0.003}).fit(x, y)
    # scikit-learn's split: 60 of the 300, 20 of each class, drawn by train_test_split from random_state
    x_train, x_val, y_train, y_val = train_test_split_sk(x, y, test_size=0.2, random_state=0, stratify=y)
    scores = model.validation_scores_
    assert len(scores) == model.n_iter_ == len(model.loss_curve_) < 200
    stopped, kept = _sklearn_stopping(scores, 3, tol=1e-4)  # 1/60 > tol: tol changes nothing here
    assert model.n_iter_ == stopped
    assert model.best_validation_score_ == max(scores) == scores[kept]
    assert model.score(x_val, y_val) == model.best_validation_score_  # the network kept is the best epoch's
    assert model.best_loss_ is None
    # trained on the rest only, and scored on the held-out samples: as NeuralNetwork with that validation data
    net = NeuralNetwork(
        [2, 8, 3], "relu", "softmax", "categorical_crossentropy", ("adam", {"learning_rate": 0.003}), seed=0
    )
    net.fit(x_train, y_train, 32, stopped, categorical=True, verbose=0, validation_data=(x_val, y_val))
    assert net.history["val_accuracy"] == scores
    np.testing.assert_array_equal(net.history["loss"], model.loss_curve_)


def test_regressor_early_stopping_scores_r2_on_a_random_split(smooth):
    x_train, _, y_train, _ = smooth  # 400 samples, two targets
    params = dict(hidden_layer_sizes=(16,), max_iter=300, early_stopping=True, n_iter_no_change=4, random_state=3)
    model = NPNetRegressor(**params, optimizer_params={"learning_rate": 0.03}).fit(x_train, y_train)
    _, x_val, _, y_val = train_test_split_sk(x_train, y_train, test_size=0.1, random_state=3)
    scores = model.validation_scores_
    assert len(set(scores)) == len(scores)  # no ties, where tol=0 and npnet's strict rule would differ
    stopped, kept = _sklearn_stopping(scores, 4, tol=0.0)
    assert stopped is not None and model.n_iter_ == stopped
    assert model.best_validation_score_ == scores[kept]
    assert model.best_validation_score_ == pytest.approx(r2_score(y_val, model.predict(x_val)), rel=1e-12)
    assert model.best_validation_score_ == pytest.approx(model.score(x_val, y_val), rel=1e-12)


def test_early_stopping_never_stops_with_an_infinite_n_iter_no_change(blobs):
    x, y = blobs
    model = NPNetClassifier(max_iter=8, early_stopping=True, n_iter_no_change=np.inf, random_state=0).fit(x, y)
    assert model.n_iter_ == 8 and len(model.validation_scores_) == 8


def test_early_stopping_refusals(blobs):
    x, y = blobs
    model = NPNetClassifier(max_iter=2, early_stopping=True, random_state=0)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        model.partial_fit(x, y, classes=[0, 1, 2])
    assert not hasattr(model, "network_")
    with pytest.raises(ValueError, match="validation set is too small"):
        NPNetRegressor(early_stopping=True, validation_fraction=0.01).fit(x[:50], y[:50])
    with pytest.raises(ValueError, match="least populated class"):  # train_test_split's, as MLPClassifier's
        NPNetClassifier(early_stopping=True).fit(x[:21], np.r_[np.zeros(20), 1])
    without = NPNetClassifier(max_iter=2, random_state=0).fit(x, y)
    assert without.validation_scores_ is None and without.best_validation_score_ is None
    assert without.best_loss_ == min(without.loss_curve_)


# -- scoring ---------------------------------------------------------------------------------------------


def test_cross_val_score_with_f1_macro_scores_the_predictions(blobs):
    """scoring="f1_macro" scores predict's labels: as f1_score on each fold, fitted by hand."""
    x, y = blobs
    named = np.array(["ant", "bee", "cow"])[y]
    model = NPNetClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    folds = StratifiedKFold(n_splits=3)
    scores = cross_val_score(model, x, named, scoring="f1_macro", cv=folds)
    expected = []
    for train, test in folds.split(x, named):
        fitted = clone(model).fit(x[train], named[train])
        expected.append(f1_score(named[test], fitted.predict(x[test]), average="macro"))
    np.testing.assert_allclose(scores, expected, rtol=1e-15)
    assert len(set(expected)) > 1 and min(expected) < 1  # not a saturated score that anything would give


def test_score_is_accuracy_and_r2_as_sklearns(blobs, smooth):
    x, y = blobs
    model = NPNetClassifier(hidden_layer_sizes=(4,), max_iter=1, random_state=0).fit(x, y)
    assert model.score(x, y) == accuracy_score(y, model.predict(x)) < 1
    x_train, x_test, y_train, y_test = smooth
    regressor = NPNetRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit(x_train, y_train)
    assert regressor.score(x_test, y_test) == pytest.approx(r2_score(y_test, regressor.predict(x_test)), rel=1e-12)


# -- the new parameters in scikit-learn's object protocol ----------------------------------------------

_OPTIONS = {
    "alpha": 1e-3,
    "dropout": [0.2, 0.1],
    "hidden_layer_sizes": (8, 8),
    "early_stopping": True,
    "validation_fraction": 0.25,
    "n_iter_no_change": 3,
}


def test_get_params_set_params_and_clone_carry_the_new_parameters(blobs):
    npnet_schedules = pytest.importorskip("npnet_schedules")
    schedule = npnet_schedules.CosineDecay(total_steps=100, warmup_steps=5)
    model = NPNetClassifier(**_OPTIONS, schedule=schedule, max_iter=3, random_state=0)
    params = model.get_params()
    assert {key: params[key] for key in _OPTIONS} == _OPTIONS and params["schedule"] is schedule
    twin = clone(model)
    twin_params = twin.get_params()
    assert twin_params["schedule"] is not schedule and twin_params["schedule"].get_config() == schedule.get_config()
    assert {key: twin_params[key] for key in _OPTIONS} == _OPTIONS
    assert twin.dropout is not model.dropout  # clone copies the list
    x, y = blobs
    np.testing.assert_array_equal(twin.fit(x, y).network_.params, model.fit(x, y).network_.params)
    model.set_params(alpha=0.5, dropout=None, schedule="constant", early_stopping=False)
    assert model.get_params()["alpha"] == 0.5 and model.get_params()["schedule"] == "constant"
    model.fit(x, y)
    assert [r.name for r in model.network_.regularizers] == ["l2"] and model.network_.schedule.name == "constant"
    assert model.validation_scores_ is None


def test_grid_search_tunes_alpha(blobs):
    x, y = blobs
    model = NPNetClassifier(max_iter=5, random_state=0, optimizer_params={"learning_rate": 0.01})
    search = GridSearchCV(model, {"alpha": [0.0, 1e4]}, cv=3).fit(x, y)
    # an enormous penalty shrinks the weights to almost nothing: outputs near 1/3 each, chance accuracy
    low, high = search.cv_results_["mean_test_score"]
    assert low > 0.95 and high < 0.5 and search.best_params_ == {"alpha": 0.0}
    shrunk = clone(model).set_params(alpha=1e4).fit(x, y)
    assert max(np.abs(w).max() for w in shrunk.network_.weights) < 0.1
    np.testing.assert_allclose(shrunk.predict_proba(x), 1 / 3, atol=0.05)


def test_pickled_model_keeps_its_training_options_and_trains_on_identically(blobs):
    """Penalty, dropout (its draws from the network's generator) and a schedule's state survive pickling."""
    x, y = blobs
    plateau = ("reduce_on_plateau", {"patience": 2, "factor": 0.5, "min_delta": 10.0})  # reduces every 2 epochs
    options = dict(alpha=1e-2, dropout=0.3, schedule=plateau)
    model = NPNetClassifier(**options, max_iter=6, random_state=0).fit(x, y)
    restored = pickle.loads(pickle.dumps(model))
    assert restored.get_params() == model.get_params()
    assert [r.get_config() for r in restored.network_.regularizers] == [
        r.get_config() for r in model.network_.regularizers
    ]
    assert restored.network_.schedule.get_config() == model.network_.schedule.get_config()
    assert restored.network_.schedule.state_dict() == model.network_.schedule.state_dict()
    assert restored.network_.updates == model.network_.updates
    assert restored.best_loss_ == model.best_loss_ and restored.validation_scores_ is None
    model.partial_fit(x, y)  # the original itself, not a copy: a copy would go through the same pickling
    restored.partial_fit(x, y)
    np.testing.assert_array_equal(restored.network_.params, model.network_.params)
    assert restored.network_.schedule.state_dict() == model.network_.schedule.state_dict()
    stopping = NPNetRegressor(early_stopping=True, max_iter=3, random_state=0).fit(x, y.astype(float))
    again = pickle.loads(pickle.dumps(stopping))
    assert again.validation_scores_ == stopping.validation_scores_
    assert again.best_validation_score_ == stopping.best_validation_score_


# -- the scikit-learn object protocol -----------------------------------------------------------


def test_clone_copies_the_parameters_and_not_the_fit(digits_model):
    params = {"hidden_layer_sizes": (8, 8), "optimizer_params": {"learning_rate": 1e-2}, "random_state": 3}
    model = NPNetRegressor(**params)
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    assert twin.optimizer_params is not model.optimizer_params
    fitted_twin = clone(digits_model)
    assert fitted_twin.get_params() == digits_model.get_params()
    with pytest.raises(NotFittedError):
        fitted_twin.predict(np.zeros((1, 64)))


def test_pickled_model_predicts_and_trains_on_identically(digits, digits_model):
    """A pickle keeps the network, its optimizer state and its random generator."""
    x_train, x_test, y_train, _ = digits
    restored = pickle.loads(pickle.dumps(digits_model))
    assert type(restored.network_) is NeuralNetwork and restored.network_ is not digits_model.network_
    np.testing.assert_array_equal(restored.predict_proba(x_test), digits_model.predict_proba(x_test))
    np.testing.assert_array_equal(restored.predict(x_test), digits_model.predict(x_test))
    assert restored.get_params() == digits_model.get_params()
    assert restored.loss_curve_ == digits_model.loss_curve_
    # training on: identical steps (a copy, so that the shared fixture stays as it was)
    original = copy.deepcopy(digits_model)
    original.partial_fit(x_train, y_train)
    restored.partial_fit(x_train, y_train)
    np.testing.assert_array_equal(restored.network_.params, original.network_.params)
    unfitted = pickle.loads(pickle.dumps(NPNetClassifier(max_iter=3)))
    assert unfitted.get_params() == NPNetClassifier(max_iter=3).get_params()


def test_an_estimator_pickled_by_npnet_core_0_1_predicts_and_refits(blobs):
    """The state 0.1 pickled (epochs, no max_iter; a binary problem on two softmax units) still works."""
    x, y = blobs
    keep = y != 2
    net = NeuralNetwork([2, 8, 2], "relu", "softmax", "categorical_crossentropy", "adam", seed=0)
    losses = net.fit(x[keep], y[keep], 32, 3, categorical=True, verbose=0).tolist()
    parameters = dict(hidden_layer_sizes=(8,), activation="relu", optimizer="adam", optimizer_params=None)
    parameters.update(batch_size=32, epochs=3, dtype="float64", random_state=0, verbose=0, alpha=0.0, dropout=None)
    parameters.update(schedule=None, early_stopping=False, validation_fraction=0.1, n_iter_no_change=10)
    fitted = dict(network_=net, classes_=np.array([0, 1]), n_features_in_=2, loss_curve_=losses, loss_=losses[-1])
    fitted.update(n_iter_=3, best_loss_=min(losses), validation_scores_=None, best_validation_score_=None)
    model = NPNetClassifier.__new__(NPNetClassifier)
    model.__setstate__({**parameters, **fitted, "_sklearn_version": sklearn.__version__})
    assert model.get_params()["epochs"] == 3 and model.get_params()["max_iter"] is None
    np.testing.assert_array_equal(model.predict_proba(x[keep]), net.predict(x[keep]))
    np.testing.assert_array_equal(model.predict(x[keep]), net.predict(x[keep]).argmax(axis=1))
    with pytest.warns(FutureWarning, match="max_iter=3"):
        model.fit(x, y)  # refitted: the new network, for the 3 epochs it was given
    assert model.n_iter_ == 3 and model.network_.layers == [2, 8, 3]


def test_pickling_a_network_of_unnamed_components_says_why_not(blobs):
    x, y = blobs

    class Relu:  # an Activation object, not a registered name: a model file cannot name it
        name = "my_relu"

        def forward(self, z):
            return np.maximum(z, 0)

        def backward(self, z, a, grad_a):
            return grad_a * (z > 0)

    model = NPNetClassifier(activation=Relu(), max_iter=1, random_state=0).fit(x, y)
    with pytest.raises(pickle.PicklingError, match="by name"):
        pickle.dumps(model)


def test_parameters_are_checked_in_fit_not_in_init(blobs):
    x, y = blobs
    bad = [
        {"hidden_layer_sizes": "64"},
        {"hidden_layer_sizes": (64, 0)},
        {"max_iter": 0},
        {"batch_size": 2.5},
        {"dtype": "int8"},
        {"optimizer_params": "fast"},
        {"verbose": -1},
        {"optimizer": object(), "optimizer_params": {"learning_rate": 1}},
        {"alpha": -1.0},
        {"alpha": float("nan")},
        {"alpha": "1e-4"},
        {"dropout": 1.0},
        {"dropout": [0.1, 0.2]},  # two rates, one hidden layer
        {"dropout": "half"},
        {"schedule": ("step", {"step_size": 0})},
        {"early_stopping": 1},
        {"validation_fraction": 1.0},
        {"validation_fraction": -0.1},
        {"n_iter_no_change": 0},
        {"n_iter_no_change": 2.5},
        {"batch_size": "big"},
        {"learning_rate_init": 0},
        {"learning_rate_init": "fast"},
        {"learning_rate_init": float("inf")},
        {"learning_rate_init": 0.1, "optimizer_params": {"learning_rate": 0.1}},
        {"learning_rate_init": 0.1, "optimizer": object()},
        {"warm_start": 1},
        {"class_weight": "equal"},
        {"class_weight": {0: -1.0}},
        {"class_weight": {0: float("nan")}},
        {"class_weight": {0: "heavy"}},
        {"class_weight": {5: 2.0}},  # not a class, while classes 0, 1, 2 have no weight
    ]
    for params in bad:
        model = NPNetClassifier(**params)  # scikit-learn convention: __init__ only stores
        assert model.get_params()[next(iter(params))] is params[next(iter(params))]
        with pytest.raises(ValueError):  # InvalidParameterError, or npnet's ValidationError
            model.fit(x, y)
    with pytest.raises(LookupError, match="did you mean .*'adam'"):
        NPNetClassifier(optimizer="adma").fit(x, y)
    with pytest.raises(ValueError, match="learning_rat"):
        NPNetClassifier(optimizer_params={"learning_rat": 0.1}).fit(x, y)
    with pytest.raises(LookupError, match="did you mean 'cosine'"):
        NPNetClassifier(schedule="cosin").fit(x, y)
    checked = [("alpha", -1.0), ("validation_fraction", 1.0), ("n_iter_no_change", 0), ("max_iter", 0)]
    checked += [("learning_rate_init", -1.0), ("batch_size", "big"), ("warm_start", "yes"), ("class_weight", "equal")]
    for name, value in checked:
        with pytest.raises(InvalidParameterError, match=name):
            NPNetClassifier(**{name: value}).fit(x, y)


def test_fit_and_partial_fit_accept_sample_weight():
    """As MLPClassifier's (scikit-learn 1.7): meta-estimators see that fit takes sample_weight."""
    for estimator in (NPNetClassifier(), NPNetRegressor()):
        assert has_fit_parameter(estimator, "sample_weight")
        assert "sample_weight" in inspect.signature(estimator.partial_fit).parameters


def test_hidden_layer_sizes_errors_name_the_parameter(blobs):
    x, y = blobs
    with pytest.raises(InvalidParameterError, match="hidden_layer_sizes"):
        NPNetClassifier(hidden_layer_sizes=(64, 0)).fit(x, y)


# -- MLPClassifier's parameter names -------------------------------------------------------------------


def _fit_params(estimator, x, y, **fit_params):
    return estimator.fit(x, y, **fit_params).network_.params.copy()


@pytest.mark.parametrize(
    "optimizer, others", [("adam", {}), ("sgd", {}), ("sgd", {"momentum": 0.9, "nesterov": True})], ids=str
)
def test_learning_rate_init_is_optimizer_params_learning_rate(blobs, optimizer, others):
    """learning_rate_init=0.1 trains exactly as optimizer_params={"learning_rate": 0.1}, with the other parameters."""
    x, y = blobs
    base = dict(hidden_layer_sizes=(8,), optimizer=optimizer, max_iter=3, random_state=0)
    named = NPNetClassifier(**base, learning_rate_init=0.1, optimizer_params=others or None).fit(x, y)
    given = NPNetClassifier(**base, optimizer_params={**others, "learning_rate": 0.1}).fit(x, y)
    np.testing.assert_array_equal(named.network_.params, given.network_.params)
    assert named.network_.optimizer.get_config() == given.network_.optimizer.get_config()
    assert named.network_.optimizer.get_config()["learning_rate"] == 0.1
    default = NPNetClassifier(**base, optimizer_params=others or None).fit(x, y)  # the optimizer's own rate
    assert not np.array_equal(default.network_.params, named.network_.params)
    assert named.get_params()["optimizer_params"] == (others or None)  # the parameter as given


def test_learning_rate_init_and_optimizer_params_learning_rate_together_is_an_error(blobs):
    x, y = blobs
    model = NPNetClassifier(learning_rate_init=0.1, optimizer_params={"learning_rate": 0.1})
    with pytest.raises(InvalidParameterError, match=r"learning_rate_init=0\.1 and optimizer_params=.*give it once"):
        model.fit(x, y)


def test_max_iter_is_the_number_of_epochs_and_none_is_thirty(blobs):
    x, y = blobs
    assert NPNetClassifier(max_iter=7, random_state=0).fit(x, y).n_iter_ == 7
    assert NPNetClassifier().get_params()["max_iter"] is None
    assert NPNetRegressor(random_state=0).fit(x, y.astype(float)).n_iter_ == 30


@pytest.mark.parametrize("estimator", [NPNetClassifier, NPNetRegressor])
def test_epochs_is_a_deprecated_alias_of_max_iter(blobs, estimator):
    """As scikit-learn deprecates a renamed parameter: a "deprecated" default, a FutureWarning, both an error."""
    x, y = blobs
    y = y if estimator is NPNetClassifier else y.astype(float)
    assert estimator().get_params()["epochs"] == "deprecated"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning when epochs is not set
        renamed = estimator(max_iter=4, random_state=0).fit(x, y)
    with pytest.warns(FutureWarning, match=r"epochs was renamed max_iter .* Use max_iter=4 instead") as record:
        old = estimator(epochs=4, random_state=0).fit(x, y)
    assert record[0].filename == __file__  # the warning points at the caller's line
    np.testing.assert_array_equal(old.network_.params, renamed.network_.params)
    assert old.n_iter_ == 4 and clone(old).get_params()["epochs"] == 4
    with pytest.raises(InvalidParameterError, match="both epochs=4 and max_iter=4"):
        estimator(epochs=4, max_iter=4).fit(x, y)
    with pytest.warns(FutureWarning), pytest.raises(InvalidParameterError, match="epochs must be a positive integer"):
        estimator(epochs=0).fit(x, y)


@pytest.mark.parametrize("n_samples", [50, 300])
def test_batch_size_auto_is_min_200_and_n_samples(blobs, n_samples):
    x, y = blobs
    x, y = x[:n_samples], y[:n_samples]
    auto = NPNetClassifier(batch_size="auto", max_iter=2, random_state=0).fit(x, y)
    given = NPNetClassifier(batch_size=min(200, n_samples), max_iter=2, random_state=0).fit(x, y)
    np.testing.assert_array_equal(auto.network_.params, given.network_.params)
    assert auto.network_.updates == 2 * -(-n_samples // min(200, n_samples))


def _parameter_table():
    """The rows of docs/sklearn.md's table "MLPClassifier parameter -> NPNet parameter", as lists of cells."""
    text = (ROOT / "docs" / "sklearn.md").read_text(encoding="utf-8")
    table = text[text.index("| MLPClassifier parameter |") :].split("\n\n")[0]
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in table.splitlines()[2:]]


def _literal(cell):
    """The Python value of a cell holding one literal in backticks, such as `(100,)`; None for anything else."""
    match = re.fullmatch(r"`([^`]*)`", cell)
    if not match:
        return None
    try:
        return ast.literal_eval(match.group(1))
    except (ValueError, SyntaxError):
        return None


def test_docs_table_maps_every_mlpclassifier_parameter_with_both_defaults():
    """The table names every MLPClassifier parameter, with its default and the NPNet parameter and default."""
    rows = _parameter_table()
    theirs, ours = MLPClassifier().get_params(), NPNetClassifier().get_params()
    assert [row[0].strip("`") for row in rows] == list(inspect.signature(MLPClassifier).parameters)
    same_names = 0
    for mlp_name, mlp_default, npnet_name, npnet_default, _ in rows:
        name = mlp_name.strip("`")
        assert _literal(mlp_default) == theirs[name] or mlp_default == f"`{theirs[name]!r}`", (name, mlp_default)
        target = re.fullmatch(r"`(\w+)`", npnet_name)
        if target and target.group(1) in ours:  # an NPNet parameter: its default as the table says
            assert f"`{ours[target.group(1)]!r}`" == npnet_default, (name, npnet_default)
            same_names += target.group(1) == name
    # the parameters the brief names are MLPClassifier's, in both estimators
    shared = ["hidden_layer_sizes", "activation", "learning_rate_init", "batch_size", "max_iter", "random_state"]
    shared += ["warm_start", "early_stopping", "validation_fraction", "n_iter_no_change", "alpha", "verbose"]
    assert same_names == len(shared)
    for estimator in (NPNetClassifier(), NPNetRegressor()):
        assert set(shared) <= set(estimator.get_params()) and set(shared) <= set(theirs)


# -- warm_start ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("task", ["multiclass", "binary", "regression"])
def test_warm_start_fits_twice_exactly_as_one_fit_of_twice_the_epochs(blobs, task):
    """The network goes on with its optimizer state, generator and schedule: fit(m) + fit(m) == fit(2 m)."""
    x, y = blobs
    estimator, y = {
        "multiclass": (NPNetClassifier, y),
        "binary": (NPNetClassifier, np.where(y == 0, "a", "b")),
        "regression": (NPNetRegressor, y.astype(float)),
    }[task]
    options = dict(hidden_layer_sizes=(8,), schedule=("step", {"step_size": 20, "gamma": 0.5}), random_state=3)
    warm = estimator(**options, max_iter=3, warm_start=True)
    first = warm.fit(x, y).network_
    warm.fit(x, y)
    assert warm.network_ is first  # the same network, trained on
    once = estimator(**options, max_iter=6).fit(x, y)
    np.testing.assert_array_equal(warm.network_.params, once.network_.params)
    assert warm.loss_curve_ == once.loss_curve_ and warm.n_iter_ == once.n_iter_ == 6
    assert warm.network_.optimizer.state_dict().keys() == once.network_.optimizer.state_dict().keys()
    # without warm_start, each fit trains a new network: the second equals the first
    cold = estimator(**options, max_iter=3)
    params = cold.fit(x, y).network_.params.copy()
    np.testing.assert_array_equal(cold.fit(x, y).network_.params, params)
    assert not np.array_equal(params, warm.network_.params)


def test_warm_start_refuses_data_the_network_cannot_continue_on(blobs):
    x, y = blobs
    model = NPNetClassifier(hidden_layer_sizes=(8,), max_iter=2, warm_start=True, random_state=0).fit(x, y)
    params = model.network_.params.copy()
    with pytest.raises(ValueError, match=r"warm_start can only be used where y has the same classes"):
        model.fit(x[y != 2], y[y != 2])
    with pytest.raises(ValueError, match="features"):
        model.fit(np.c_[x, x], y)
    with pytest.raises(ValueError, match=r"layers \[2, 8, 3\].*layers \[2, 4, 3\].*warm_start=False"):
        model.set_params(hidden_layer_sizes=(4,)).fit(x, y)
    with pytest.raises(ValueError, match="multi-label"):
        model.set_params(hidden_layer_sizes=(8,)).fit(x, np.c_[y == 0, y == 1, y == 2].astype(int))
    np.testing.assert_array_equal(model.network_.params, params)  # nothing trained
    model.fit(x, y)  # the same classes, in any order of samples
    assert model.n_iter_ == 4
    assert model.set_params(warm_start=False).fit(x[y != 2], y[y != 2]).network_.layers == [2, 8, 1]


def test_warm_start_with_early_stopping_keeps_the_best_epoch_of_all(blobs):
    """As MLPClassifier: the validation scores and the best network carry over to the next fit."""
    x, y = blobs
    model = NPNetClassifier(hidden_layer_sizes=(4,), max_iter=5, early_stopping=True, n_iter_no_change=2)
    model.set_params(warm_start=True, random_state=0, validation_fraction=0.2)
    model.fit(x, y)
    first = list(model.validation_scores_)
    model.fit(x, y)
    assert model.validation_scores_[: len(first)] == first
    assert len(model.validation_scores_) == model.n_iter_ == len(model.loss_curve_) > len(first)
    assert model.best_validation_score_ == max(model.validation_scores_)
    _, x_val, _, y_val = train_test_split_sk(x, y, test_size=0.2, random_state=0, stratify=y)
    assert model.score(x_val, y_val) == model.best_validation_score_  # the network kept is the best of all


# -- sample_weight ------------------------------------------------------------------------------------

# one batch holds every sample (of the weighted rows and of the repeated ones)
_FULL_BATCH = dict(hidden_layer_sizes=(5,), batch_size=1000, max_iter=5, random_state=0)


def _task(task, n=24):
    """A small problem of ``n`` samples and 4 features, and its estimator."""
    rng = np.random.default_rng(11)
    x = rng.normal(size=(n, 4))
    if task == "multiclass":
        return x, np.array(["ant", "bee", "cow"])[np.arange(n) % 3], NPNetClassifier
    if task == "binary":
        return x, np.where(np.arange(n) % 2 == 0, "no", "yes"), NPNetClassifier
    if task == "multilabel":
        return x, (x[:, :3] > 0).astype(int), NPNetClassifier
    return x, np.column_stack([np.sin(x[:, 0]), x[:, 1] * x[:, 2]]), NPNetRegressor


_TASKS = ["multiclass", "binary", "multilabel", "regression"]


@pytest.mark.parametrize("alpha", [0.0, 0.3])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("task", _TASKS)
def test_integer_sample_weights_on_a_full_batch_equal_repeated_rows(task, optimizer, alpha):
    """Weighted means: a weight of k counts a row k times, the alpha penalty included (float64, 1e-12)."""
    x, y, estimator = _task(task)
    counts = np.random.default_rng(5).integers(1, 5, size=len(x))
    options = dict(_FULL_BATCH, optimizer=optimizer, alpha=alpha)
    weighted = estimator(**options).fit(x, y, sample_weight=counts)
    repeated = estimator(**options).fit(np.repeat(x, counts, axis=0), np.repeat(y, counts, axis=0))
    np.testing.assert_allclose(weighted.network_.params, repeated.network_.params, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-12)
    plain = estimator(**options).fit(x, y)  # the weights matter
    assert not np.allclose(plain.network_.params, weighted.network_.params, rtol=1e-6, atol=0)
    # partial_fit too: one epoch on a full batch
    classes = {"classes": np.unique(y)} if task in ("multiclass", "binary") else {}
    once = estimator(**options).partial_fit(x, y, sample_weight=counts, **classes)
    again = estimator(**options).partial_fit(np.repeat(x, counts, axis=0), np.repeat(y, counts, axis=0), **classes)
    np.testing.assert_allclose(once.network_.params, again.network_.params, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("task", _TASKS)
def test_zero_sample_weights_on_a_full_batch_equal_dropping_rows(task):
    x, y, estimator = _task(task, n=30)
    keep = np.arange(len(x)) % 5 != 1  # every class and label keeps samples
    weights = keep.astype(float)
    weighted = estimator(**_FULL_BATCH).fit(x, y, sample_weight=weights)
    dropped = estimator(**_FULL_BATCH).fit(x[keep], y[keep])
    np.testing.assert_allclose(weighted.network_.params, dropped.network_.params, rtol=1e-12, atol=1e-12)
    assert not np.allclose(estimator(**_FULL_BATCH).fit(x, y).network_.params, dropped.network_.params)


def test_sample_weight_is_checked_by_sklearns_rules(blobs):
    x, y = blobs
    model = NPNetClassifier(max_iter=1)
    for bad in (-np.ones(len(x)), np.full(len(x), np.nan), np.ones(len(x) + 1), np.ones((len(x), 2))):
        with pytest.raises(ValueError):
            model.fit(x, y, sample_weight=bad)
    with pytest.raises(ValueError, match="weight.*zero"):
        model.fit(x, y, sample_weight=np.zeros(len(x)))
    with pytest.raises(ValueError, match=r"at least 2 classes with a positive weight.*only the class 1"):
        model.fit(x, y, sample_weight=(y == 1).astype(float))
    with pytest.raises(ValueError, match="weight.*zero"):
        NPNetRegressor(max_iter=1).partial_fit(x, y.astype(float), sample_weight=np.zeros(len(x)))
    assert not hasattr(model, "network_")
    weights = np.linspace(0.5, 2, len(x))
    model.fit(x, y, sample_weight=weights.tolist())  # any array-like; a scalar weighs every sample alike
    model.set_params(random_state=0)
    scalar = model.fit(x, y, sample_weight=3.0).network_.params.copy()
    np.testing.assert_allclose(scalar, model.fit(x, y).network_.params, rtol=1e-12, atol=1e-15)


def test_early_stopping_splits_the_weights_with_the_rows_and_scores_with_them(blobs):
    """The split of the rows takes their weights along; the held-out score is weighted, as MLPClassifier's."""
    x, y = blobs
    weights = np.where(np.arange(len(x)) % 3 == 0, 5.0, 0.5)
    options = dict(hidden_layer_sizes=(4,), max_iter=40, early_stopping=True, n_iter_no_change=3, random_state=0)
    model = NPNetClassifier(**options, learning_rate_init=0.003, validation_fraction=0.2)
    model.fit(x, y, sample_weight=weights)
    x_train, x_val, y_train, y_val, w_train, w_val = train_test_split_sk(
        x, y, weights, test_size=0.2, random_state=0, stratify=y
    )
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert model.best_validation_score_ == pytest.approx(model.score(x_val, y_val, sample_weight=w_val), rel=1e-15)
    # trained on the training part with its weights: as NeuralNetwork.fit given them, epoch by epoch
    net = NeuralNetwork(
        [2, 4, 3], "relu", "softmax", "categorical_crossentropy", ("adam", {"learning_rate": 0.003}), seed=0
    )
    net.fit(x_train, y_train, 32, model.n_iter_, categorical=True, verbose=0, sample_weight=w_train)
    np.testing.assert_array_equal(net.history["loss"], model.loss_curve_)
    # the weights reached the score: here the weighted accuracy differs from the unweighted one
    assert model.best_validation_score_ != accuracy_score(y_val, model.predict(x_val))


# -- class_weight ---------------------------------------------------------------------------------------


def _imbalanced(n=40):
    """4 features; 26 samples of "ant", 10 of "bee", 4 of "cow"."""
    x = np.random.default_rng(2).normal(size=(n, 4))
    y = np.array(["ant"] * 26 + ["bee"] * 10 + ["cow"] * 4)
    return x, y


def test_balanced_class_weight_is_its_definition_on_a_full_batch():
    """class_weight="balanced" trains as each class's rows weighted n_samples / (n_classes * count)."""
    x, y = _imbalanced()
    classes, codes = np.unique(y, return_inverse=True)
    definition = len(y) / (len(classes) * np.bincount(codes))
    np.testing.assert_allclose(definition, [40 / 78, 40 / 30, 40 / 12], rtol=1e-15)
    np.testing.assert_allclose(compute_class_weight("balanced", classes=classes, y=y), definition, rtol=1e-15)
    balanced = NPNetClassifier(**_FULL_BATCH, class_weight="balanced").fit(x, y)
    weighted = NPNetClassifier(**_FULL_BATCH).fit(x, y, sample_weight=definition[codes])
    np.testing.assert_allclose(balanced.network_.params, weighted.network_.params, rtol=1e-12, atol=1e-12)
    plain = NPNetClassifier(**_FULL_BATCH).fit(x, y)
    assert not np.allclose(plain.network_.params, balanced.network_.params)


def test_class_weight_multiplies_sample_weight(blobs):
    """class_weight and sample_weight combine by multiplication, on mini-batches too (the same weights exactly)."""
    x, y = _imbalanced()
    classes, codes = np.unique(y, return_inverse=True)
    weights = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    options = dict(hidden_layer_sizes=(5,), batch_size=8, max_iter=3, random_state=0)
    as_dict = NPNetClassifier(**options, class_weight={"ant": 0.5, "cow": 3.0}).fit(x, y, sample_weight=weights)
    by_hand = NPNetClassifier(**options).fit(x, y, sample_weight=weights * np.array([0.5, 1.0, 3.0])[codes])
    np.testing.assert_array_equal(as_dict.network_.params, by_hand.network_.params)
    # balanced with sample weights: counts weighted by them, as compute_class_weight(..., sample_weight=) does
    counts = np.bincount(codes, weights=weights)
    per_class = counts.sum() / (len(classes) * counts)
    if "sample_weight" in inspect.signature(compute_class_weight).parameters:
        reference = compute_class_weight("balanced", classes=classes, y=y, sample_weight=weights)
        np.testing.assert_allclose(per_class, reference, rtol=1e-14)
    balanced = NPNetClassifier(**options, class_weight="balanced").fit(x, y, sample_weight=weights)
    expected = NPNetClassifier(**options).fit(x, y, sample_weight=weights * per_class[codes])
    np.testing.assert_allclose(balanced.network_.params, expected.network_.params, rtol=1e-12, atol=1e-12)


def test_balanced_class_weight_raises_the_recall_of_a_rare_class():
    x, y = make_classification(n_samples=600, n_features=4, weights=[0.93], class_sep=0.6, random_state=0)
    x_train, x_test, y_train, y_test = train_test_split_sk(x, y, test_size=0.5, random_state=0, stratify=y)
    options = dict(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    plain = NPNetClassifier(**options).fit(x_train, y_train)
    balanced = NPNetClassifier(**options, class_weight="balanced").fit(x_train, y_train)
    assert recall_score(y_test, balanced.predict(x_test)) > recall_score(y_test, plain.predict(x_test)) + 0.2


def test_class_weight_refusals(blobs):
    x, y = blobs
    with pytest.raises(ValueError, match=r"keys \[7\], which are not classes.*no weight for the classes \[1, 2\]"):
        NPNetClassifier(class_weight={0: 2.0, 7: 1.0}).fit(x, y)
    NPNetClassifier(class_weight={0: 2.0, 1: 1.0, 2: 1.0, 7: 1.0}, max_iter=1).fit(x, y)  # scikit-learn's rule
    with pytest.raises(ValueError, match="partial_fit does not see"):
        NPNetClassifier(class_weight="balanced").partial_fit(x, y, classes=[0, 1, 2])
    NPNetClassifier(class_weight={0: 2.0}).partial_fit(x, y, classes=[0, 1, 2])  # a dict needs no counts
    with pytest.raises(ValueError, match="multi-label"):
        NPNetClassifier(class_weight="balanced").fit(x, np.c_[y == 0, y == 1].astype(int))
    with pytest.raises(ValueError, match="weight.*zero"):
        NPNetClassifier(class_weight={0: 0, 1: 0, 2: 0}).fit(x, y)


# -- sigmoid outputs: binary and multi-label targets ------------------------------------------------


def _sigmoid_problem(target):
    x, _ = _problem(None)  # 24 samples, 4 features
    if target == "binary":
        return x, np.where(x[:, 0] + x[:, 1] > 0, "yes", "no"), 1
    return x, (x[:, :3] > 0).astype(int), 3


@pytest.mark.parametrize(
    "alpha, batch_size, weighted",
    [(0.0, 8, False), (0.5, 8, False), (0.5, 24, False), (0.0, 8, True), (0.5, 24, True)],
    ids=["mini-batches", "alpha", "alpha-one-batch", "weighted", "weighted-alpha-one-batch"],
)
@pytest.mark.parametrize("target", ["binary", "multilabel"])
def test_sigmoid_outputs_take_the_sgd_steps_of_mlpclassifier(target, alpha, batch_size, weighted):
    """MLPClassifier's logistic outputs and log loss: the same steps, at learning rate lr * n_outputs.

    npnet's binary cross-entropy is the mean over the outputs, scikit-learn's their sum; alpha is scaled
    alike, so SGD at lr * n_outputs takes scikit-learn's steps at lr. With sample weights, each batch is a
    weighted mean as scikit-learn's (its penalty divided by the batch's weights: the same on one batch).
    """
    if weighted and "sample_weight" not in inspect.signature(MLPClassifier.fit).parameters:
        pytest.skip("this scikit-learn's MLPClassifier takes no sample_weight (added in 1.7)")
    x, y, n_outputs = _sigmoid_problem(target)
    lr = 0.3
    weights = np.random.default_rng(4).uniform(0.2, 3.0, size=len(x)) if weighted else None
    model = NPNetClassifier(hidden_layer_sizes=(5,), optimizer="sgd", learning_rate_init=lr * n_outputs)
    model.set_params(alpha=alpha, batch_size=batch_size, max_iter=1, random_state=0).fit(x, y, sample_weight=weights)
    assert model.network_.layers == [4, 5, n_outputs] and model.out_activation_ == "sigmoid"
    initial_weights, biases, order = _start_and_order("sigmoid", n_outputs, len(x))
    mlp = MLPClassifier(hidden_layer_sizes=(5,), alpha=alpha, batch_size=batch_size, solver="sgd")
    mlp.set_params(learning_rate_init=lr, momentum=0.0, shuffle=False, max_iter=1)
    _sklearn_epoch(mlp, x[order], y[order], initial_weights, biases, None if weights is None else weights[order])
    assert mlp.out_activation_ == "logistic"
    for ours, theirs in zip(model.network_.weights, mlp.coefs_):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-13)
    for ours, theirs in zip(model.network_.biases, mlp.intercepts_):
        np.testing.assert_allclose(ours.ravel(), theirs, rtol=1e-10, atol=1e-13)
    if not weighted:  # the epoch's loss, penalty included: scikit-learn's over n_outputs
        assert model.loss_curve_[0] == pytest.approx(mlp.loss_curve_[-1] / n_outputs, rel=1e-12)
    assert not np.allclose(model.network_.weights[0], initial_weights[0])


@pytest.fixture(scope="module")
def three_labels():
    """Three labels of two features: x0 > 0, x1 > 0 and x0 + x1 > 0."""
    x = np.random.default_rng(0).uniform(-1, 1, size=(500, 2))
    labels = np.column_stack([x[:, 0] > 0, x[:, 1] > 0, x[:, 0] + x[:, 1] > 0]).astype(np.int64)
    return x[:400], x[400:], labels[:400], labels[400:]


def test_multilabel_targets_get_a_sigmoid_unit_per_label_and_are_learned(three_labels):
    x_train, x_test, y_train, y_test = three_labels
    model = NPNetClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=60, random_state=0)
    model.fit(x_train, y_train)
    assert model.network_.layers == [2, 16, 3] and model.n_outputs_ == 3 and model.out_activation_ == "sigmoid"
    assert model.network_.loss.name == "binary_crossentropy"
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    proba = model.predict_proba(x_test)
    assert proba.shape == (100, 3) and (proba > 0).all() and (proba < 1).all()
    predicted = model.predict(x_test)
    assert predicted.shape == (100, 3) and predicted.dtype == y_test.dtype
    np.testing.assert_array_equal(predicted, (proba > 0.5).astype(int))
    assert model.score(x_test, y_test) == accuracy_score(y_test, predicted) > 0.9  # every label right
    # what MLPClassifier gives for the same targets: classes, shapes and dtypes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier(hidden_layer_sizes=(16,), max_iter=60, random_state=0).fit(x_train, y_train)
    np.testing.assert_array_equal(model.classes_, mlp.classes_)
    assert mlp.n_outputs_ == model.n_outputs_ and mlp.out_activation_ == "logistic"
    assert mlp.predict(x_test).shape == predicted.shape and mlp.predict(x_test).dtype == predicted.dtype
    assert mlp.predict_proba(x_test).shape == proba.shape


def test_multilabel_score_is_subset_accuracy_not_per_label(three_labels):
    x_train, x_test, y_train, y_test = three_labels
    model = NPNetClassifier(hidden_layer_sizes=(2,), max_iter=1, random_state=0).fit(x_train, y_train)
    predicted = model.predict(x_test)
    subset = np.mean((predicted == y_test).all(axis=1))
    assert model.score(x_test, y_test) == subset < np.mean(predicted == y_test)  # not the per-label accuracy


def test_multilabel_early_stopping_and_partial_fit(three_labels):
    x_train, _, y_train, _ = three_labels
    model = NPNetClassifier(hidden_layer_sizes=(8,), max_iter=30, early_stopping=True, random_state=0)
    model.set_params(learning_rate_init=0.01, n_iter_no_change=2).fit(x_train, y_train)
    _, x_val, _, y_val = train_test_split_sk(x_train, y_train, test_size=0.1, random_state=0)  # not stratified
    assert model.best_validation_score_ == max(model.validation_scores_) == model.score(x_val, y_val)
    online = NPNetClassifier(hidden_layer_sizes=(8,), random_state=0)
    online.partial_fit(x_train[:200], y_train[:200])  # classes need not be given: the columns are the labels
    online.partial_fit(x_train[200:], y_train[200:], classes=[0, 1, 2])
    assert online.n_iter_ == 2 and online.n_outputs_ == 3
    with pytest.raises(ValueError, match=r"np\.arange\(3\)"):
        NPNetClassifier().partial_fit(x_train, y_train, classes=[0, 1])
    with pytest.raises(ValueError, match="multi-label"):
        online.partial_fit(x_train, y_train[:, 0])
    with pytest.raises(ValueError, match="labels"):
        online.partial_fit(x_train, y_train[:, :2])


def test_multiclass_multioutput_targets_are_refused(blobs):
    x, y = blobs
    with pytest.raises(ValueError, match="multiclass-multioutput"):
        NPNetClassifier(max_iter=1).fit(x, np.c_[y, y])


# -- documentation ----------------------------------------------------------------------------


def test_docstring_examples_run():
    """The Examples sections of npnet_core.sklearn run as written."""
    result = doctest.testmod(npnet_core.sklearn, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 6 and result.failed == 0


def test_docs_page_examples_run(tmp_path, monkeypatch):
    """Every ```python block of docs/sklearn.md runs, in order, in one namespace."""
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "sklearn.md").read_text(), flags=re.DOTALL)
    assert len(blocks) >= 3
    namespace: dict = {"__name__": "docs_sklearn"}
    with contextlib.redirect_stdout(io.StringIO()):
        for block in blocks:
            exec(compile(block, "docs/sklearn.md", "exec"), namespace)


def test_dropout_given_as_a_zero_dimensional_array_is_one_rate():
    """np.array(0.2), as a parameter grid may give it, is the rate for every hidden layer."""
    x, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
    model = NPNetClassifier(hidden_layer_sizes=(4, 4), dropout=np.array(0.2), max_iter=1, random_state=0).fit(x, y)
    assert [r.rate for r in model.network_.regularizers] == [0.2]
