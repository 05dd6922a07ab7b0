"""NeuralNetwork: parameter layout, the article's API semantics, dtypes, and training rules."""

from __future__ import annotations

import tracemalloc

import npnet_adam
import numpy as np
import pytest

from npnet_core import (
    ComponentNotFoundError,
    DivergenceError,
    InvalidComponentError,
    InvalidParameterError,
    NeuralNetwork,
    ValidationError,
    to_categorical,
)
from npnet_core.testing import central_difference


def _net(layers=(3, 4, 2), output="softmax", loss="categorical_crossentropy", optimizer="sgd", **options):
    return NeuralNetwork(list(layers), "relu", output, loss, optimizer, **options)


class Recorder:
    """An article-style optimizer that records what it is given and changes nothing."""

    def __init__(self):
        self.calls = []

    def update(self, old_params, gradient):
        self.calls.append((old_params, gradient.copy()))
        return old_params


# -- parameters ------------------------------------------------------------------------


@pytest.mark.parametrize("layers, size", [([64, 64, 10], 4810), ([784, 256, 10], 203530), ([3, 1], 4)])
def test_parameter_count_matches_the_article(layers, size):
    """n_params is the article's flat-vector size (SEED.md 2.2)."""
    assert _net(layers).params.shape == (size,)


def test_weights_and_biases_are_views_in_the_article_layout():
    """params is [W_1.ravel(), ..., W_L.ravel(), b_1, ..., b_L] and weights/biases are views into it."""
    net = _net((3, 4, 2), seed=0)
    expected = np.concatenate([w.ravel() for w in net.weights] + [b.ravel() for b in net.biases])
    np.testing.assert_array_equal(net.params, expected)
    assert [w.shape for w in net.weights] == [(3, 4), (4, 2)]
    assert [b.shape for b in net.biases] == [(1, 4), (1, 2)]
    assert all(np.shares_memory(a, net.params) for a in net.weights + net.biases)
    net.params[0] = 42.0
    assert net.weights[0][0, 0] == 42.0


def test_optimizer_gets_the_flat_parameter_and_gradient_vectors():
    """update() receives the network's own flat vectors, with no copy per batch."""
    recorder = Recorder()
    net = _net(optimizer=recorder, seed=0)
    net.fit(np.ones((4, 3)), np.array([0, 1, 0, 1]), batch_size=2, epochs=1, categorical=True, verbose=0)
    assert len(recorder.calls) == 2
    for params, gradient in recorder.calls:
        assert params is net.params
        assert gradient.shape == params.shape


def test_an_optimizer_returning_a_new_vector_is_copied_into_the_views():
    """An article-style optimizer that returns a new array updates params, weights and biases."""

    class Halve:
        def update(self, old_params, gradient):
            return old_params / 2

    net = _net(optimizer=Halve(), seed=0)
    before = net.params.copy()
    net.fit(np.ones((2, 3)), np.array([0, 1]), 2, 1, categorical=True, verbose=0)
    np.testing.assert_array_equal(net.params, before / 2)
    assert net.weights[0][0, 0] == before[0] / 2


def test_set_params_refuses_the_wrong_size_and_keeps_the_parameters():
    """set_params with a vector of the wrong size raises and leaves params byte-identical."""
    net = _net(seed=0)
    before = net.params.tobytes()
    with pytest.raises(ValidationError, match=f"{net.n_params} values"):
        net.set_params(np.zeros(net.n_params + 1))
    assert net.params.tobytes() == before


# -- initialisation ------------------------------------------------------------------


def test_article_initializer_draws_weights_then_biases_from_normal_with_the_article_std():
    """initializer='article': W and b ~ N(0, sqrt(1/(fan_in+fan_out))), W then b, layer by layer."""
    net = _net((5, 4, 3), initializer="article", seed=7)
    rng = np.random.default_rng(7)
    for (fan_in, fan_out), w, b in zip([(5, 4), (4, 3)], net.weights, net.biases):
        std = np.sqrt(1 / (fan_in + fan_out))
        np.testing.assert_array_equal(w, rng.normal(0, std, size=(fan_in, fan_out)))
        np.testing.assert_array_equal(b, rng.normal(0, std, size=(1, fan_out)))


def test_default_initializer_is_glorot_uniform_with_zero_biases():
    """The default draws W ~ U(-r, r), r = sqrt(6/(fan_in+fan_out)), and sets biases to 0."""
    net = _net((200, 100, 10), seed=0)
    limit = np.sqrt(6 / 300)
    w = net.weights[0]
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit
    assert abs(w.std() - limit / np.sqrt(3)) < 0.01 * limit  # the std of U(-r, r)
    assert all((b == 0).all() for b in net.biases)


def test_unknown_initializer_suggests_the_close_name():
    """A misspelled initializer raises ComponentNotFoundError naming the close match and the installed ones."""
    with pytest.raises(
        ComponentNotFoundError, match="(?s)did you mean .he_normal.*installed initializers: .*glorot_uniform"
    ):
        _net(initializer="he_nromal")


def test_same_seed_gives_the_same_training_and_another_seed_does_not():
    """seed fixes initialisation and shuffling; a different seed changes both."""
    x = np.random.default_rng(0).normal(size=(40, 3))
    y = np.arange(40) % 2
    runs = []
    for seed in (1, 1, 2):
        net = _net(seed=seed, optimizer="adam")
        net.fit(x, y, 8, 3, categorical=True, verbose=0)
        runs.append(net.params.copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


# -- fit -------------------------------------------------------------------------------


def test_one_full_batch_epoch_is_one_sgd_step_on_the_mean_loss():
    """batch_size >= n: one epoch is params - lr * (finite-difference gradient of the mean loss)."""
    rng = np.random.default_rng(0)
    x, labels = rng.normal(size=(6, 3)), rng.integers(0, 2, size=6)
    y = to_categorical(labels, 2)
    net = _net(optimizer=("sgd", {"learning_rate": 0.5}), seed=0)
    net.params[...] = rng.normal(size=net.n_params)
    start = net.params.copy()
    loss_before = net.score(x, y)
    gradient = central_difference(lambda p: net.score(x, y), net.params)

    losses = net.fit(x, labels, batch_size=100, epochs=1, categorical=True, verbose=0)

    np.testing.assert_allclose(net.params, start - 0.5 * gradient, rtol=1e-6, atol=1e-9)
    assert losses[0] == pytest.approx(loss_before, rel=1e-12)


def test_epoch_loss_weights_a_partial_last_batch_by_its_size():
    """The epoch loss is the mean per-sample loss, not the mean of batch means (SEED.md 2.5)."""
    rng = np.random.default_rng(1)
    x, labels = rng.normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
    net = _net(optimizer=Recorder(), seed=0)  # parameters never change: every batch sees the same net
    per_sample = net.loss.forward(net.predict(x), to_categorical(labels, 2))
    losses = net.fit(x, labels, batch_size=2, epochs=1, categorical=True, verbose=0)
    assert losses[0] == pytest.approx(per_sample.mean(), rel=1e-12)


def test_fit_returns_one_loss_per_epoch_and_records_the_history():
    """fit returns an array of shape (epochs,) and history holds the losses and epoch times."""
    net = _net(seed=0, optimizer="adam")
    x, y = np.random.default_rng(0).normal(size=(30, 3)), np.arange(30) % 2
    losses = net.fit(x, y, 8, 4, categorical=True, verbose=0)
    assert losses.shape == (4,)
    assert net.history["loss"] == losses.tolist()
    assert len(net.history["epoch_time"]) == 4 and min(net.history["epoch_time"]) > 0
    net.fit(x, y, 8, 2, categorical=True, verbose=0)
    assert len(net.history["loss"]) == 6  # a second fit continues training and the history


def test_fit_prints_one_line_per_epoch_and_nothing_when_silent(capsys):
    """verbose=1 prints one line per epoch (never per batch); verbose=0 prints nothing."""
    net = _net(seed=0)
    x, y = np.ones((100, 3)), np.arange(100) % 2
    net.fit(x, y, 4, 3, categorical=True, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[0].startswith("Epoch 1/3 - loss: ")
    net.fit(x, y, 4, 3, categorical=True, verbose=0)
    assert capsys.readouterr().out == ""


def test_fit_never_modifies_or_copies_the_data_set_per_epoch():
    """Training leaves x untouched and allocates far less than the data set (batches only)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20000, 50)).astype(np.float32)  # 4 MB
    y = (np.arange(20000) % 2).astype(np.int64)
    x_before = x.copy()
    net = NeuralNetwork([50, 16, 2], "relu", "softmax", "categorical_crossentropy", "sgd", dtype="float32", seed=0)
    tracemalloc.start()
    try:
        net.fit(x, y, 64, 3, categorical=True, verbose=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(x, x_before)
    # one-hot targets (20000 x 2 float32 = 160 kB) and the permutation (160 kB) are allowed;
    # a copy of x per epoch (4 MB) is not
    assert peak < 1_000_000, peak


class DtypeSpy:
    """An elementwise activation that records the dtypes it sees."""

    name = "spy"

    def __init__(self):
        self.seen = set()

    def forward(self, z):
        self.seen.add(z.dtype)
        return np.maximum(z, 0)

    def backward(self, z, a, grad_a):
        self.seen.update({z.dtype, a.dtype, grad_a.dtype})
        return grad_a * (z > 0)


def test_float32_network_never_upcasts():
    """dtype='float32': parameters, gradients, every layer's arrays and predictions stay float32."""
    spy = DtypeSpy()
    net = NeuralNetwork([3, 5, 2], spy, "softmax", "categorical_crossentropy", "adam", dtype="float32", seed=0)
    x = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
    net.fit(x, np.arange(20) % 2, 4, 2, categorical=True, verbose=0)
    assert spy.seen == {np.dtype(np.float32)}
    assert net.params.dtype == net.gradient.dtype == np.float32
    assert net.predict(x).dtype == np.float32
    assert net.optimizer.state_dict()["m"].dtype == np.float32


def test_nan_in_inputs_is_refused_before_training():
    """NaN or inf in x or y raises ValidationError and leaves the parameters byte-identical."""
    net = _net(loss="mse", output="identity", seed=0)
    before = net.params.tobytes()
    x, y = np.ones((4, 3)), np.ones((4, 2))
    x[2, 1] = np.nan
    with pytest.raises(ValidationError, match="row 2, column 1"):
        net.fit(x, y, 2, 1, verbose=0)
    y[0, 0] = np.inf
    with pytest.raises(ValidationError, match="y contains NaN or infinite"):
        net.fit(np.ones((4, 3)), y, 2, 1, verbose=0)
    assert net.params.tobytes() == before


def test_divergence_stops_training_naming_epoch_and_batch_with_finite_parameters():
    """A loss that overflows raises DivergenceError naming epoch and batch; params stay finite."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 3)) * 100, rng.normal(size=(64, 2)) * 100
    net = _net(output="identity", loss="mse", optimizer=("sgd", {"learning_rate": 10.0}), seed=0)
    with pytest.raises(DivergenceError, match=r"epoch \d+, batch \d+"):
        net.fit(x, y, 8, 50, verbose=0)
    assert np.isfinite(net.params).all()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"batch_size": 2.5}, "batch_size must be a positive integer"),
        ({"epochs": -1}, "epochs must be a positive integer"),
        ({"epochs": True}, "epochs must be a positive integer"),
    ],
)
def test_fit_refuses_non_positive_sizes(kwargs, message):
    """batch_size and epochs must be positive integers (bools and floats refused)."""
    args = {"batch_size": 2, "epochs": 1, **kwargs}
    with pytest.raises(ValidationError, match=message):
        _net().fit(np.ones((4, 3)), np.array([0, 1, 0, 1]), categorical=True, verbose=0, **args)


def test_labels_without_categorical_get_a_hint():
    """1-D labels for a multi-output net without categorical=True raise, suggesting it."""
    with pytest.raises(ValidationError, match="categorical=True"):
        _net().fit(np.ones((4, 3)), np.array([0, 1, 0, 1]), 2, 1, verbose=0)
    with pytest.raises(ValidationError, match="pass categorical=False"):
        _net().fit(np.ones((4, 3)), np.eye(2)[[0, 1, 0, 1]], 2, 1, categorical=True, verbose=0)


def test_labels_beyond_the_output_width_are_refused():
    """Class labels >= the number of outputs raise instead of building a wider one-hot."""
    with pytest.raises(ValidationError, match="below 2"):
        _net().fit(np.ones((3, 3)), np.array([0, 1, 2]), 2, 1, categorical=True, verbose=0)


# -- predict and score --------------------------------------------------------------------


def _hand_network():
    """A [2, 2] identity/MSE network with W = [[1, 0], [0, 2]] and b = [0.5, -1]."""
    net = NeuralNetwork([2, 2], "relu", "identity", "mse", "sgd")
    net.params[...] = [1.0, 0.0, 0.0, 2.0, 0.5, -1.0]
    return net


def test_predict_computes_the_affine_map_worked_by_hand():
    """predict([1, 3]) = [1*1 + 0.5, 3*2 - 1] = [1.5, 5]; a 1-D x is one sample."""
    net = _hand_network()
    np.testing.assert_array_equal(net.predict(np.array([1.0, 3.0])), [[1.5, 5.0]])
    np.testing.assert_array_equal(net.predict([[1.0, 3.0], [0.0, 0.0]], labels=True), [1, 0])


def test_score_gives_the_mean_loss_worked_by_hand():
    """score = mean over samples of mean((p - y)^2): ((0.5^2 + 1^2)/2 + (0 + 0)/2) / 2 = 0.3125."""
    net = _hand_network()
    x = np.array([[1.0, 3.0], [0.0, 0.0]])  # predictions [1.5, 5] and [0.5, -1]
    y = np.array([[1.0, 4.0], [0.5, -1.0]])
    assert net.score(x, y) == pytest.approx(0.3125)


def test_score_accepts_labels_or_one_hot_in_both_modes():
    """score(accuracy=True) and score() give the same value for labels and their one-hot rows."""
    rng = np.random.default_rng(0)
    net = _net(seed=0)
    x, labels = rng.normal(size=(12, 3)), rng.integers(0, 2, size=12)
    one_hot = to_categorical(labels, 2)
    assert net.score(x, labels, accuracy=True) == net.score(x, one_hot, accuracy=True)
    assert net.score(x, labels, accuracy=True) == np.mean(net.predict(x, labels=True) == labels)
    assert net.score(x, labels) == net.score(x, one_hot)


# -- to_categorical ---------------------------------------------------------------------


def test_to_categorical_matches_the_hand_encoding():
    """[2, 0, 1] -> rows e_2, e_0, e_1; the width is max + 1 unless num_classes is given."""
    np.testing.assert_array_equal(to_categorical([2, 0, 1]), [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert to_categorical([0, 1], num_classes=4).shape == (2, 4)
    assert to_categorical([0, 1], dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(to_categorical(np.array([1.0, 0.0])), [[0, 1], [1, 0]])


@pytest.mark.parametrize(
    "labels, message",
    [([-1, 0], "non-negative"), ([0.5, 1], "whole class indices"), ([[0, 1]], "1-D"), ([3], "below 2")],
)
def test_to_categorical_refuses_bad_labels(labels, message):
    """Negative, fractional, 2-D or too-large labels raise ValidationError."""
    with pytest.raises(ValidationError, match=message):
        to_categorical(labels, num_classes=2)


# -- construction ------------------------------------------------------------------------


@pytest.mark.parametrize("layers", [[5], [5, 0, 2], [5, True, 2], "64,10", [5, 2.0]])
def test_bad_layer_sizes_are_refused(layers):
    """layers must hold at least two positive integers."""
    with pytest.raises(ValidationError, match="layer"):
        NeuralNetwork(layers, "relu", "softmax", "categorical_crossentropy", "sgd")


def test_hidden_activation_list_must_match_the_hidden_layers():
    """A list of hidden activations must have one entry per hidden layer."""
    with pytest.raises(ValidationError, match="2 hidden layers"):
        NeuralNetwork([3, 4, 4, 2], ["relu"], "softmax", "categorical_crossentropy", "sgd")


def test_unsupported_dtype_is_refused():
    """Only float32 and float64 networks exist."""
    with pytest.raises(InvalidParameterError, match="float32"):
        _net(dtype="int32")


def test_a_plain_function_is_not_taken_for_an_activation():
    """Passing relu without its derivative explains the accepted forms."""
    with pytest.raises(InvalidComponentError, match=r"article's \(relu, d_relu\)"):
        NeuralNetwork([3, 2], np.tanh, "softmax", "categorical_crossentropy", "sgd")


def test_each_network_gets_its_own_optimizer_state():
    """By name every network gets a new optimizer; one optimizer object cannot serve two networks."""
    first, second = _net(optimizer="adam"), _net(optimizer="adam")
    assert first.optimizer is not second.optimizer
    shared = npnet_adam.Adam()
    owner = _net(optimizer=shared)
    with pytest.raises(InvalidComponentError, match="already belongs to another network"):
        _net(optimizer=shared)
    assert owner.optimizer is shared


def test_repr_shows_components_by_name():
    """repr names the layers, components with their parameters, and dtype."""
    optimizer = ("adam", {"learning_rate": 0.01})
    net = _net(optimizer=optimizer)
    assert repr(net) == (
        f"NeuralNetwork([3, 4, 2], 'relu', 'softmax', 'categorical_crossentropy', {optimizer!r}, dtype='float64')"
    )


def test_a_large_but_finite_float32_gradient_is_not_taken_for_divergence():
    """A float32 gradient of norm above 1.8e19 (whose square overflows) is finite and trains."""
    net = NeuralNetwork([1, 1], "relu", "identity", "mse", ("sgd", {"learning_rate": 1e-21}), dtype="float32", seed=0)
    net.params[...] = [1.0, 0.0]
    net.fit(np.array([[1e10]], dtype=np.float32), np.array([[-1e10]], dtype=np.float32), 1, 1, verbose=0)
    # dL/dw = x * 2 (w x - y) = 1e10 * 4e10 = 4e20, whose square overflows float32; the step is 0.4
    assert np.isfinite(net.params).all()
    assert net.params[0] == pytest.approx(0.6, rel=1e-3)
