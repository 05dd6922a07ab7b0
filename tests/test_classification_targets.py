"""Binary and multi-label classification, the output/loss pairing warning, and sample weights.

References: scikit-learn's ``accuracy_score`` (subset accuracy for multi-label),
``(outputs > 0.5)`` worked out here for the labels, repeated rows for integer
sample weights on a full batch, and ``np.average`` for the weighted loss.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from npnet_core import ComponentMismatchWarning, NeuralNetwork, Registry
from npnet_core.errors import InvalidComponentError, ValidationError


def binary_problem(n: int = 200, seed: int = 0):
    """Two features; the label says whether a point lies above the line x1 = 0.5 x0."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    return x, (x[:, 1] > 0.5 * x[:, 0]).astype(np.int64)


def multilabel_problem(n: int = 300, seed: int = 1):
    """Four features, three labels each set by the sign of one feature: rows with 0, 1, 2 or 3 labels."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    return x, (x[:, :3] > 0).astype(np.int64)


# -- binary ---------------------------------------------------------------------------------


def test_one_sigmoid_output_learns_binary_labels_given_as_a_vector(official_registry: Registry) -> None:
    """Labels 0/1 of shape (n,) train a one-output network; labels and accuracy follow outputs > 0.5."""
    x, y = binary_problem()
    net = NeuralNetwork([2, 8, 1], "tanh", "sigmoid", "binary_crossentropy", "adam", seed=0, registry=official_registry)
    net.fit(x, y, 16, 60, verbose=0)
    outputs = net.predict(x)
    labels = net.predict(labels=True, x=x)
    assert outputs.shape == (200, 1) and labels.shape == (200,) and labels.dtype.kind == "i"
    assert np.array_equal(labels, (outputs[:, 0] > 0.5).astype(int))
    accuracy = net.score(x, y, accuracy=True)
    assert accuracy == np.mean(labels == y)
    assert accuracy >= 0.95
    # fit reports the same accuracy as score for the training rows (before each update, so close, not equal)
    assert abs(net.history["accuracy"][-1] - accuracy) < 0.05
    # labels of shape (n, 1) are the same targets
    assert net.score(x, y.reshape(-1, 1), accuracy=True) == accuracy


def test_binary_validation_reports_accuracy(official_registry: Registry) -> None:
    x, y = binary_problem()
    net = NeuralNetwork([2, 8, 1], "tanh", "sigmoid", "binary_crossentropy", "adam", seed=0, registry=official_registry)
    net.fit(x[:150], y[:150], 16, 5, validation_data=(x[150:], y[150:]), verbose=0)
    assert net.history["val_accuracy"][-1] == net.score(x[150:], y[150:], accuracy=True)


def test_accuracy_of_probabilities_needs_0_1_labels(official_registry: Registry) -> None:
    x, _ = binary_problem(20)
    net = NeuralNetwork([2, 3, 1], "tanh", "sigmoid", "binary_crossentropy", "adam", seed=0, registry=official_registry)
    with pytest.raises(ValidationError, match="0/1 labels"):
        net.score(x, np.full(20, 0.3), accuracy=True)


def test_accuracy_of_one_unbounded_output_is_refused(official_registry: Registry) -> None:
    x, y = binary_problem(20)
    net = NeuralNetwork([2, 3, 1], "relu", "identity", "mse", "adam", seed=0, registry=official_registry)
    with pytest.raises(ValidationError, match="sigmoid"):
        net.score(x, y, accuracy=True)


# -- multi-label ----------------------------------------------------------------------------


def test_several_sigmoid_outputs_learn_multilabel_targets(official_registry: Registry) -> None:
    """(n, k) 0/1 targets that are not one-hot: labels (n, k), accuracy is subset accuracy (scikit-learn's)."""
    metrics = pytest.importorskip("sklearn.metrics")
    x, y = multilabel_problem()
    assert not (y.sum(axis=1) == 1).all()  # really multi-label
    net = NeuralNetwork(
        [4, 16, 3], "relu", "sigmoid", "binary_crossentropy", "adam", seed=0, registry=official_registry
    )
    net.fit(x, y, 16, 60, verbose=0)
    labels = net.predict(x, labels=True)
    assert labels.shape == (300, 3)
    assert np.array_equal(labels, (net.predict(x) > 0.5).astype(int))
    accuracy = net.score(x, y, accuracy=True)
    assert accuracy == pytest.approx(metrics.accuracy_score(y, labels), abs=0)
    assert accuracy >= 0.9
    assert "accuracy" in net.history


# -- what the components declare --------------------------------------------------------------


@pytest.mark.parametrize(
    "output, loss, usual",
    [("relu", "categorical_crossentropy", "'softmax'"), ("identity", "binary_crossentropy", "'sigmoid'")],
)
def test_an_output_that_is_not_what_the_loss_expects_warns_naming_the_usual_one(
    official_registry: Registry, output: str, loss: str, usual: str
) -> None:
    with pytest.warns(ComponentMismatchWarning, match=f"usual output activation for it is {usual}"):
        NeuralNetwork([3, 4, 2], "relu", output, loss, "adam", seed=0, registry=official_registry)


@pytest.mark.parametrize(
    "output, loss",
    [
        ("softmax", "categorical_crossentropy"),
        ("sigmoid", "binary_crossentropy"),
        ("softmax", "binary_crossentropy"),  # a distribution's values are probabilities too
        ("relu", "mse"),  # mse expects nothing
    ],
)
def test_pairs_that_fit_do_not_warn(official_registry: Registry, output: str, loss: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        NeuralNetwork([3, 4, 2], "relu", output, loss, "adam", seed=0, registry=official_registry)


def test_the_warning_comes_from_declarations_not_names(official_registry: Registry) -> None:
    """A third-party loss declaring it expects a distribution is checked too; one declaring nothing is not."""

    class Expecting:
        name = "kl_divergence"
        expects = "distribution"

        def forward(self, y_pred, y_true):
            return np.zeros(len(y_pred))

        def backward(self, y_pred, y_true):
            return np.zeros_like(y_pred)

    class Silent(Expecting):
        expects = None

    with pytest.warns(ComponentMismatchWarning, match="'kl_divergence'.*'softmax'"):
        NeuralNetwork([3, 4, 2], "relu", "relu", Expecting(), "adam", seed=0, registry=official_registry)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        NeuralNetwork([3, 4, 2], "relu", "relu", Silent(), "adam", seed=0, registry=official_registry)


# -- sample weights -----------------------------------------------------------------------------


def weighted_net(registry: Registry, optimizer="sgd") -> NeuralNetwork:
    return NeuralNetwork([4, 6, 3], "tanh", "softmax", "categorical_crossentropy", optimizer, seed=3, registry=registry)


def classes(n: int = 30, seed: int = 2):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)), rng.integers(0, 3, size=n)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_integer_weights_on_a_full_batch_equal_repeating_rows(official_registry: Registry, optimizer: str) -> None:
    x, y = classes()
    weights = np.random.default_rng(5).integers(0, 4, size=len(x))
    weights[0] = 2  # not all 0
    weighted, repeated = weighted_net(official_registry, optimizer), weighted_net(official_registry, optimizer)
    weighted.fit(x, y, 1000, 5, categorical=True, sample_weight=weights, verbose=0)
    repeated.fit(np.repeat(x, weights, axis=0), np.repeat(y, weights), 1000, 5, categorical=True, verbose=0)
    np.testing.assert_allclose(weighted.params, repeated.params, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(weighted.history["loss"], repeated.history["loss"], rtol=1e-12)


def test_the_epoch_loss_is_the_weighted_mean(official_registry: Registry) -> None:
    x, y = classes()
    weights = np.random.default_rng(6).uniform(0, 3, size=len(x))
    net = weighted_net(official_registry)
    per_sample = net.loss.forward(net.predict(x), np.eye(3)[y])  # the loss before the (only) update
    net.fit(x, y, 1000, 1, categorical=True, sample_weight=weights, verbose=0)
    assert net.history["loss"][0] == pytest.approx(np.average(per_sample, weights=weights), rel=1e-12)


def test_a_batch_of_zero_weights_makes_no_update(official_registry: Registry) -> None:
    x, y = classes(8)
    net = weighted_net(official_registry)
    before = net.params.copy()
    # batches of 4 in the order the network's generator draws; weights 0 on all but one sample
    weights = np.zeros(8)
    weights[0] = 1.0
    net.fit(x, y, 4, 1, categorical=True, sample_weight=weights, verbose=0)
    assert net.updates == 1  # only the batch holding sample 0 updated
    assert not np.array_equal(net.params, before)


@pytest.mark.parametrize(
    "weights, match",
    [
        (np.ones(5), r"shape \(30,\)"),
        (np.full(30, -1.0), "finite and >= 0"),
        (np.r_[np.ones(29), np.nan], "sample 29"),
        (np.zeros(30), "weight 0"),
        ("heavy", "numbers"),
    ],
)
def test_bad_sample_weights_are_refused(official_registry: Registry, weights, match: str) -> None:
    x, y = classes()
    net = weighted_net(official_registry)
    before = net.params.copy()
    with pytest.raises(ValidationError, match=match):
        net.fit(x, y, 10, 1, categorical=True, sample_weight=weights, verbose=0)
    assert np.array_equal(net.params, before)


def test_weights_split_with_the_rows_held_out(official_registry: Registry) -> None:
    """validation_split holds out the last rows and their weights: training weights are the first ones."""
    x, y = classes(40)
    weights = np.r_[np.random.default_rng(7).uniform(0.5, 2, size=30), np.zeros(10)]
    split, given = weighted_net(official_registry), weighted_net(official_registry)
    split.fit(x, y, 1000, 3, categorical=True, sample_weight=weights, validation_split=0.25, verbose=0)
    given.fit(x[:30], y[:30], 1000, 3, categorical=True, sample_weight=weights[:30], verbose=0)
    np.testing.assert_array_equal(split.params, given.params)
    with pytest.raises(ValidationError, match="every training sample"):
        weighted_net(official_registry).fit(
            x, y, 10, 1, categorical=True, sample_weight=weights[::-1], validation_split=0.75, verbose=0
        )


def test_a_first_batch_of_zero_weights_does_not_skip_the_component_checks(official_registry: Registry) -> None:
    """The results of the components are checked on the first batch that updates: here the second one."""

    class WrongShape:  # an article-style optimizer whose update returns a vector of the wrong length
        def update(self, params, gradient):
            return params[:-1]

    x, y = classes(8)
    net = NeuralNetwork(
        [4, 6, 3], "tanh", "softmax", "categorical_crossentropy", WrongShape(), seed=3, registry=official_registry
    )
    weights = np.ones(8)
    first_batch = net.rng.bit_generator.state  # the permutation fit draws first, drawn here from a copy
    probe = np.random.Generator(type(net.rng.bit_generator)())
    probe.bit_generator.state = first_batch
    weights[probe.permutation(8)[:4]] = 0.0  # the first batch of 4 weighs nothing
    with pytest.raises(InvalidComponentError):
        net.fit(x, y, 4, 1, categorical=True, sample_weight=weights, verbose=0)


def test_weights_of_any_scale_give_the_same_training(official_registry: Registry) -> None:
    """Multiplying every weight by a constant changes nothing, even near the largest float."""
    x, y = classes()
    weights = np.random.default_rng(8).uniform(0.1, 1, size=len(x))
    small, huge = weighted_net(official_registry), weighted_net(official_registry)
    small.fit(x, y, 7, 2, categorical=True, sample_weight=weights, verbose=0)
    huge.fit(x, y, 7, 2, categorical=True, sample_weight=weights * 1e307, verbose=0)
    np.testing.assert_allclose(huge.params, small.params, rtol=1e-12, atol=1e-15)


def test_a_metric_that_refuses_the_targets_does_so_before_any_update(official_registry: Registry) -> None:
    x, y = multilabel_problem(40)
    net = NeuralNetwork([4, 8, 3], "relu", "sigmoid", "binary_crossentropy", "adam", seed=0, registry=official_registry)
    before = net.params.copy()
    with pytest.raises(ValidationError, match="not one-hot"):
        net.fit(x, y, 8, 2, metrics=["f1"], verbose=0)
    assert np.array_equal(net.params, before) and net.updates == 0
