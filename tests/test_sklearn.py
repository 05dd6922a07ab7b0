"""npnet_core.sklearn: scikit-learn's own estimator checks, and use as scikit-learn users would."""

from __future__ import annotations

import contextlib
import copy
import doctest
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
from sklearn.datasets import make_blobs  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
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
_QUICK = {"hidden_layer_sizes": (16,), "epochs": 5, "batch_size": 16, "optimizer_params": {"learning_rate": 0.01}}
CHECKED = [
    NPNetClassifier(**_QUICK),
    NPNetRegressor(**_QUICK),
    NPNetClassifier(**_QUICK, dtype="float32"),
    NPNetRegressor(**_QUICK, dtype="float32"),
]


def _expected_failed_checks(estimator):
    """The checks an estimator is known to fail, with the reason (scikit-learn's own mechanism)."""
    if isinstance(estimator, NPNetRegressor) and estimator.dtype == "float32":
        return {
            "check_regressor_multioutput": (
                "dtype='float32' asks for a float32 network, whose predictions are float32 "
                "(npnet keeps float32 throughout); the check requires float64 predictions"
            )
        }
    return {}


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
    pipeline = Pipeline([("scale", StandardScaler()), ("net", NPNetClassifier(epochs=3, random_state=0))])
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
    model = NPNetClassifier(epochs=3, random_state=7).fit(x_train, y_train)
    net = NeuralNetwork([64, 64, 10], "relu", "softmax", "categorical_crossentropy", "adam", seed=7)
    net.fit(x_train, y_train, 32, 3, categorical=True, verbose=0)
    np.testing.assert_array_equal(model.network_.params, net.params)


def test_random_state_makes_training_repeatable(digits):
    x_train, x_test, y_train, _ = digits
    fit = lambda state: NPNetClassifier(epochs=2, random_state=state).fit(x_train, y_train)  # noqa: E731
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
    model = NPNetClassifier(epochs=5, random_state=0).fit(x, named)
    np.testing.assert_array_equal(model.classes_, np.sort(labels))
    predicted = model.predict(x)
    assert predicted.dtype == named.dtype
    assert np.mean(predicted == named) > 0.95
    # the same network as one trained on the indices of the labels in classes_
    indices = np.searchsorted(model.classes_, named)
    on_indices = NPNetClassifier(epochs=5, random_state=0).fit(x, indices)
    np.testing.assert_array_equal(model.predict_proba(x), on_indices.predict_proba(x))
    np.testing.assert_array_equal(predicted, model.classes_[on_indices.predict(x)])


def test_labels_that_cannot_be_sorted_together_are_refused(blobs):
    x, y = blobs
    mixed = np.array(["a", 3, "b"], dtype=object)[y]
    with pytest.raises((TypeError, ValueError)):  # as check_classification_targets raises
        NPNetClassifier(epochs=1).fit(x, mixed)


def test_binary_problems_use_a_two_unit_softmax(blobs):
    x, y = blobs
    keep = y != 2
    named = np.where(y[keep] == 0, "no", "yes")
    model = NPNetClassifier(epochs=10, random_state=0).fit(x[keep], named)
    assert model.network_.layers[-1] == 2
    assert model.predict_proba(x[keep]).shape == (keep.sum(), 2)
    assert model.score(x[keep], named) > 0.95


def test_one_class_is_refused(blobs):
    x, _ = blobs
    with pytest.raises(ValueError, match="at least 2 classes"):
        NPNetClassifier(epochs=1).fit(x, np.full(len(x), "only"))


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
    model = NPNetRegressor(hidden_layer_sizes=(32,), epochs=60, random_state=0, optimizer_params=FAST)
    model.fit(x_train, y_train[:, 0])
    assert model.network_.layers == [2, 32, 1] and model.n_outputs_ == 1
    assert model.score(x_test, y_test[:, 0]) > 0.98


@pytest.mark.parametrize("columns", [None, [0], [0, 1]], ids=["1-D", "one-column", "two-columns"])
def test_regressor_predicts_with_the_dimensionality_of_y(smooth, columns):
    x_train, x_test, y_train, y_test = smooth
    target, truth = (y_train[:, 0], y_test[:, 0]) if columns is None else (y_train[:, columns], y_test[:, columns])
    model = NPNetRegressor(hidden_layer_sizes=(32,), epochs=60, random_state=0, optimizer_params=FAST)
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
    unfitted = pickle.loads(pickle.dumps(NPNetClassifier(epochs=3)))
    assert unfitted.get_params() == NPNetClassifier(epochs=3).get_params()


def test_pickling_a_network_of_unnamed_components_says_why_not(blobs):
    x, y = blobs

    class Relu:  # an Activation object, not a registered name: a model file cannot name it
        name = "my_relu"

        def forward(self, z):
            return np.maximum(z, 0)

        def backward(self, z, a, grad_a):
            return grad_a * (z > 0)

    model = NPNetClassifier(activation=Relu(), epochs=1, random_state=0).fit(x, y)
    with pytest.raises(pickle.PicklingError, match="by name"):
        pickle.dumps(model)


def test_parameters_are_checked_in_fit_not_in_init(blobs):
    x, y = blobs
    bad = [
        {"hidden_layer_sizes": "64"},
        {"hidden_layer_sizes": (64, 0)},
        {"epochs": 0},
        {"batch_size": 2.5},
        {"dtype": "int8"},
        {"optimizer_params": "fast"},
        {"verbose": -1},
        {"optimizer": object(), "optimizer_params": {"learning_rate": 1}},
    ]
    for params in bad:
        model = NPNetClassifier(**params)  # scikit-learn convention: __init__ only stores
        assert model.get_params()[next(iter(params))] is params[next(iter(params))]
        with pytest.raises(ValueError):  # InvalidParameterError, or npnet's ValidationError
            model.fit(x, y)
    with pytest.raises(LookupError, match="did you mean 'adam'"):
        NPNetClassifier(optimizer="adma").fit(x, y)
    with pytest.raises(ValueError, match="learning_rat"):
        NPNetClassifier(optimizer_params={"learning_rat": 0.1}).fit(x, y)


def test_sample_weight_is_not_accepted():
    """Not supported, so not accepted: fit has no sample_weight for meta-estimators to pass."""
    assert not has_fit_parameter(NPNetClassifier(), "sample_weight")
    assert not has_fit_parameter(NPNetRegressor(), "sample_weight")


def test_hidden_layer_sizes_errors_name_the_parameter(blobs):
    x, y = blobs
    with pytest.raises(InvalidParameterError, match="hidden_layer_sizes"):
        NPNetClassifier(hidden_layer_sizes=(64, 0)).fit(x, y)


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
