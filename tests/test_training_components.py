"""Regularizers, schedules and metrics inside the network and fit, with components written here.

The official ones (npnet-regularizers, npnet-schedules, npnet-metrics) are
tested against their references in their own distributions; these tests check
what the network does with any component of the kinds: the penalty in the
loss and the gradient (central differences), the perturbation's mask reused
by the backward pass, nothing at inference, the rate of each update, the
update count across fit calls and files, the metrics in the history, and
early stopping in each metric's direction.
"""

from __future__ import annotations

import json
import zipfile
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pytest

from npnet_core import NeuralNetwork, hookimpl
from npnet_core.errors import InvalidComponentError, ModelFileError, ValidationError
from npnet_core.testing import central_difference


class SquaredPenalty:
    """factor * sum(W**2), its gradient 2 * factor * W: Keras' l2."""

    name = "squared_penalty"

    def __init__(self, factor: float = 0.1) -> None:
        self.factor = factor

    def get_config(self) -> Dict[str, Any]:
        return {"factor": self.factor}

    def penalty(self, weights: np.ndarray, grad: np.ndarray) -> float:
        grad += 2 * self.factor * weights
        return self.factor * float(np.sum(weights**2))

    def perturb(self, a: np.ndarray, layer: int, rng: np.random.Generator) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        return a, None


class FixedMask:
    """Multiplies each hidden layer's output by a mask fixed in advance: dropout without the randomness."""

    name = "fixed_mask"

    def __init__(self, masks: List[np.ndarray]) -> None:
        self.masks = masks

    def penalty(self, weights: np.ndarray, grad: np.ndarray) -> float:
        return 0.0

    def perturb(self, a: np.ndarray, layer: int, rng: np.random.Generator) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        scale = self.masks[layer][: len(a)]
        return a * scale, scale


class Shift:
    """Adds a fixed offset to each hidden output: additive noise without the randomness."""

    name = "shift"

    def __init__(self, offset: float) -> None:
        self.offset = offset

    def penalty(self, weights: np.ndarray, grad: np.ndarray) -> float:
        return 0.0

    def perturb(self, a: np.ndarray, layer: int, rng: np.random.Generator) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        return a + self.offset, None


class Dropout:
    """Inverted dropout, drawn from the network's generator."""

    name = "test_dropout"

    def __init__(self, rate: float = 0.5) -> None:
        self.rate = rate

    def get_config(self) -> Dict[str, Any]:
        return {"rate": self.rate}

    def penalty(self, weights: np.ndarray, grad: np.ndarray) -> float:
        return 0.0

    def perturb(self, a: np.ndarray, layer: int, rng: np.random.Generator) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        scale = (rng.random(a.shape) >= self.rate) / (1 - self.rate)
        return a * scale, scale


class Halving:
    """base * 0.5 ** (step // every)."""

    name = "halving"

    def __init__(self, every: int = 1) -> None:
        self.every = every

    def rate(self, step: int, base: float) -> float:
        return base * 0.5 ** (step // self.every)

    def get_config(self) -> Dict[str, Any]:
        return {"every": self.every}


class Plateau:
    """Halves the rate whenever the training loss did not go down: a schedule with state and an epoch hook."""

    name = "plateau"

    def __init__(self) -> None:
        self.multiplier, self.best = 1.0, float("inf")

    def rate(self, step: int, base: float) -> float:
        return base * self.multiplier

    def get_config(self) -> Dict[str, Any]:
        return {}

    @hookimpl
    def npnet_on_epoch_end(self, network: Any, epoch: int, logs: Dict[str, float]) -> None:
        if logs["loss"] >= self.best:
            self.multiplier /= 2
        self.best = min(self.best, logs["loss"])

    def state_dict(self) -> Dict[str, Any]:
        return {"multiplier": self.multiplier, "best": self.best}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        self.multiplier, self.best = state["multiplier"], state["best"]


class MacroF1:
    """Macro F1 over the output classes, written out class by class."""

    name = "macro_f1"
    greater_is_better = True

    def compute(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        truth = y_true.argmax(axis=1) if y_true.ndim == 2 else y_true
        guess = y_pred.argmax(axis=1)
        scores = []
        for c in range(y_pred.shape[1]):
            tp = np.sum((guess == c) & (truth == c))
            fp, fn = np.sum((guess == c) & (truth != c)), np.sum((guess != c) & (truth == c))
            scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
        return float(np.mean(scores))


class Errors:
    """The number of misclassified samples: lower is better."""

    name = "errors"
    greater_is_better = False

    def compute(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        return float(np.sum(y_pred.argmax(axis=1) != y_true.argmax(axis=1)))


class Plugin:
    @hookimpl
    def npnet_register_regularizers(self, register):
        register("squared_penalty", SquaredPenalty)
        register("test_dropout", Dropout)

    @hookimpl
    def npnet_register_schedules(self, register):
        register("halving", Halving)
        register("plateau", Plateau)

    @hookimpl
    def npnet_register_metrics(self, register):
        register("macro_f1", MacroF1)
        register("errors", Errors)


@pytest.fixture
def registry(official_registry):
    official_registry.register_plugin(Plugin(), "test-components")
    return official_registry


def _data(n: int = 90, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5).astype(int)
    return x, y


def _net(registry, optimizer: Any = "sgd", **options) -> NeuralNetwork:
    return NeuralNetwork(
        [4, 6, 5, 3], "relu", "softmax", "categorical_crossentropy", optimizer, registry=registry, **options
    )


# -- penalties -------------------------------------------------------------------------------


def test_penalty_is_in_the_gradient_and_the_reported_loss(registry):
    """Gradient = central differences of mean loss + factor * sum of every layer's squared weights (not biases)."""
    net = _net(registry, regularizers=[("squared_penalty", {"factor": 0.05})], seed=1)
    rng = np.random.default_rng(2)
    net.params[...] = rng.normal(scale=0.5, size=net.n_params)
    x, labels = _data(7)
    y = np.eye(3)[labels]

    def objective(params: np.ndarray) -> float:
        saved = net.params.copy()
        net.params[...] = params
        value = float(np.mean(net.loss.forward(net.predict(x), y))) + 0.05 * sum(
            float(np.sum(w**2)) for w in net.weights
        )
        net.params[...] = saved
        return value

    expected_gradient = central_difference(objective, net.params.copy())
    expected_loss = objective(net.params.copy())
    before = net.params.copy()
    net.optimizer.learning_rate = 0.0  # the step changes nothing: compare at these parameters
    loss, _ = net._train_step(x, y)

    np.testing.assert_allclose(net.gradient, expected_gradient, rtol=1e-6, atol=1e-9)
    assert loss / len(x) == pytest.approx(expected_loss, rel=1e-12)
    np.testing.assert_array_equal(net.params, before)


def test_two_regularizers_add_up(registry):
    """Penalties given as a list add: two of 0.05 are one of 0.1."""
    x, labels = _data(8)
    y = np.eye(3)[labels]
    gradients = []
    for regularizers in ([("squared_penalty", {"factor": 0.05})] * 2, [("squared_penalty", {"factor": 0.1})]):
        net = _net(registry, regularizers=regularizers, seed=3)
        net._train_step(x, y)
        gradients.append(net.gradient.copy())
    np.testing.assert_allclose(gradients[0], gradients[1], rtol=1e-12)


# -- perturbations ------------------------------------------------------------------------


def test_a_multiplicative_perturbation_reuses_its_mask_in_the_backward_pass(registry):
    """With a fixed mask, the gradient equals central differences of the loss of the masked network."""
    rng = np.random.default_rng(4)
    masks = [(rng.random((5, 6)) > 0.3) / 0.7, (rng.random((5, 5)) > 0.3) / 0.7]
    net = _net(registry, regularizers=[FixedMask(masks)], seed=5)
    net.params[...] = rng.normal(scale=0.5, size=net.n_params)
    x = rng.normal(size=(5, 4))
    y = np.eye(3)[rng.integers(0, 3, size=5)]

    def masked_loss(params: np.ndarray) -> float:
        saved = net.params.copy()
        net.params[...] = params
        h1 = np.maximum(x @ net.weights[0] + net.biases[0], 0) * masks[0]
        h2 = np.maximum(h1 @ net.weights[1] + net.biases[1], 0) * masks[1]
        out = net.output_activation.forward(h2 @ net.weights[2] + net.biases[2])
        net.params[...] = saved
        return float(np.mean(net.loss.forward(out, y)))

    expected = central_difference(masked_loss, net.params.copy())
    net.optimizer.learning_rate = 0.0
    net._train_step(x, y)
    np.testing.assert_allclose(net.gradient, expected, rtol=1e-6, atol=1e-9)


def test_an_additive_perturbation_passes_the_gradient_unchanged(registry):
    """Additive noise (here a fixed shift) shifts the next layer's input; the gradient matches central differences."""
    rng = np.random.default_rng(6)
    net = _net(registry, regularizers=[Shift(0.3)], seed=7)
    net.params[...] = rng.normal(scale=0.5, size=net.n_params)
    x = rng.normal(size=(6, 4))
    y = np.eye(3)[rng.integers(0, 3, size=6)]

    def shifted_loss(params: np.ndarray) -> float:
        saved = net.params.copy()
        net.params[...] = params
        h1 = np.maximum(x @ net.weights[0] + net.biases[0], 0) + 0.3
        h2 = np.maximum(h1 @ net.weights[1] + net.biases[1], 0) + 0.3
        out = net.output_activation.forward(h2 @ net.weights[2] + net.biases[2])
        net.params[...] = saved
        return float(np.mean(net.loss.forward(out, y)))

    expected = central_difference(shifted_loss, net.params.copy())
    net.optimizer.learning_rate = 0.0
    net._train_step(x, y)
    np.testing.assert_allclose(net.gradient, expected, rtol=1e-6, atol=1e-9)


def test_regularizers_act_in_training_only(registry):
    """predict, score and validation are those of the network without regularizers."""
    x, y = _data()
    plain = _net(registry, seed=8)
    regularized = _net(registry, regularizers=["test_dropout", ("squared_penalty", {"factor": 1.0})], seed=8)
    np.testing.assert_array_equal(plain.params, regularized.params)
    np.testing.assert_array_equal(regularized.predict(x), plain.predict(x))
    np.testing.assert_array_equal(regularized.predict(x), regularized.predict(x))
    assert regularized.score(x, y) == plain.score(x, y)


def test_dropout_training_is_repeatable_with_a_seed_and_differs_without(registry):
    """The masks come from the network's generator: same seed, same parameters after training."""
    x, y = _data()
    trained = []
    for seed in (9, 9, 10):
        net = _net(registry, regularizers=[("test_dropout", {"rate": 0.3})], seed=seed)
        net.fit(x, y, 16, 3, categorical=True, verbose=0)
        trained.append(net.params.copy())
    np.testing.assert_array_equal(trained[0], trained[1])
    assert not np.array_equal(trained[0], trained[2])


def test_regularizers_must_be_a_list(registry):
    with pytest.raises(ValidationError, match="regularizers must be a list"):
        _net(registry, regularizers=("squared_penalty", {"factor": 0.1}))
    with pytest.raises(ValidationError, match="regularizers must be a list"):
        _net(registry, regularizers="squared_penalty")


# -- schedules -----------------------------------------------------------------------------


class RateRecorder:
    """An SGD step that records the learning rate of each update."""

    name = "rate_recorder"

    def __init__(self, learning_rate: float = 0.1) -> None:
        self.learning_rate = learning_rate
        self.rates: List[float] = []

    def update(self, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        self.rates.append(self.learning_rate)
        params -= self.learning_rate * gradient
        return params

    def get_config(self) -> Dict[str, Any]:
        return {"learning_rate": self.learning_rate}

    def state_dict(self) -> Dict[str, Any]:
        return {}

    def load_state_dict(self, state: Any) -> None:
        pass


def test_each_update_uses_the_schedules_rate_for_its_step_across_fit_calls(registry):
    """The update at step t uses rate(t, base); steps count over all fit calls; the base comes back after fit."""
    x, y = _data(40)
    optimizer = RateRecorder(0.2)
    net = _net(registry, optimizer=optimizer, schedule=("halving", {"every": 3}), seed=11)
    net.fit(x, y, 10, 2, categorical=True, verbose=0)  # 4 batches per epoch: steps 0..7
    net.fit(x, y, 10, 1, categorical=True, verbose=0)  # steps 8..11
    assert optimizer.rates == [0.2 * 0.5 ** (t // 3) for t in range(12)]
    assert net.updates == 12
    assert optimizer.learning_rate == 0.2
    assert net.history["learning_rate"] == [0.2 * 0.5 ** (t // 3) for t in (3, 7, 11)]  # each epoch's last update


def test_a_schedule_needs_an_optimizer_with_a_learning_rate(registry):
    class NoRate(RateRecorder):
        def __init__(self) -> None:
            super().__init__()
            del self.learning_rate

    with pytest.raises(InvalidComponentError, match="has no numeric attribute learning_rate"):
        _net(registry, optimizer=NoRate(), schedule="halving")


def test_a_schedule_giving_a_bad_rate_is_named(registry):
    class Broken(Halving):
        def rate(self, step: int, base: float) -> float:
            return float("nan")

    net = _net(registry, schedule=Broken())
    x, y = _data(20)
    with pytest.raises(InvalidComponentError, match="gave the learning rate nan for step 0"):
        net.fit(x, y, 10, 1, categorical=True, verbose=0)
    assert net.optimizer.learning_rate == net.optimizer.get_config()["learning_rate"]


def test_a_schedule_reacts_to_epochs_and_its_state_is_saved(registry, tmp_path):
    """A schedule with an epoch hook sees each epoch's logs; its state and the update count survive a file."""
    x, y = _data(40)
    net = _net(registry, optimizer=("sgd", {"learning_rate": 5.0}), schedule="plateau", seed=12)
    net.fit(x, y, 10, 6, categorical=True, verbose=0)
    losses = net.history["loss"]
    halvings = sum(later >= min(losses[:i]) for i, later in enumerate(losses) if i)
    assert net.schedule.multiplier == 0.5**halvings
    loaded = NeuralNetwork.load(net.save(tmp_path / "m.npz"), registry=registry)
    assert loaded.schedule.state_dict() == net.schedule.state_dict()
    assert loaded.updates == net.updates == 24

    net.fit(x, y, 10, 2, categorical=True, verbose=0)
    loaded.fit(x, y, 10, 2, categorical=True, verbose=0)
    np.testing.assert_array_equal(loaded.params, net.params)


def test_resuming_from_a_file_continues_the_schedule(registry, tmp_path):
    """Save after some updates, load, train on: the same parameters as training straight through."""
    x, y = _data(40)

    def make() -> NeuralNetwork:
        return _net(registry, optimizer="adam", schedule=("halving", {"every": 5}), seed=13)

    straight = make()
    straight.fit(x, y, 10, 4, categorical=True, verbose=0)
    resumed = make()
    resumed.fit(x, y, 10, 2, categorical=True, verbose=0)
    resumed = NeuralNetwork.load(resumed.save(tmp_path / "half.npz"), registry=registry)
    resumed.fit(x, y, 10, 2, categorical=True, verbose=0)
    np.testing.assert_array_equal(resumed.params, straight.params)
    assert resumed.updates == 16


def test_model_files_keep_regularizers_and_schedule_by_name(registry, tmp_path):
    net = _net(
        registry,
        regularizers=[("squared_penalty", {"factor": 0.01}), ("test_dropout", {"rate": 0.2})],
        schedule=("halving", {"every": 4}),
        seed=14,
    )
    path = net.save(tmp_path / "m.npz")
    with zipfile.ZipFile(path) as archive, archive.open("config.npy") as member:
        config = json.loads(str(np.lib.format.read_array(member)))
    assert config["format_version"] == 3
    assert [c["name"] for c in config["components"]["regularizers"]] == ["squared_penalty", "test_dropout"]
    assert config["components"]["schedule"]["params"] == {"every": 4}
    loaded = NeuralNetwork.load(path, registry=registry)
    assert [type(r) for r in loaded.regularizers] == [SquaredPenalty, Dropout]
    assert loaded.regularizers[1].rate == 0.2 and loaded.schedule.every == 4
    for role in ("regularizers", "schedule"):
        assert loaded.component_specs[role] == net.component_specs[role]


def test_a_network_without_regularizers_or_schedule_saves_neither(registry, tmp_path):
    path = _net(registry, seed=15).save(tmp_path / "m.npz")
    with zipfile.ZipFile(path) as archive, archive.open("config.npy") as member:
        config = json.loads(str(np.lib.format.read_array(member)))
    assert "regularizers" not in config["components"] and "schedule" not in config["components"]
    assert "schedule_state" not in config and config["updates"] == 0


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c["components"].__setitem__("regularizers", {"name": "l2"}), "must be an array of components"),
        (lambda c: c["components"].__setitem__("regularizers", [{"params": {}}]), r"\[0\]\['name'\] is missing"),
        (lambda c: c.__setitem__("updates", -1), "'updates' must be a count >= 0"),
        (lambda c: c.__setitem__("updates", 1.5), "'updates' must be an integer"),
        (lambda c: c.__setitem__("schedule_state", {"x": 1}), "holds a schedule state, but its schedule"),
    ],
)
def test_damaged_regularizers_updates_and_schedule_state_are_refused(registry, tmp_path, change, message):
    net = _net(registry, regularizers=["squared_penalty"], schedule="halving", seed=16)
    path = net.save(tmp_path / "m.npz")
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    config = json.loads(str(arrays["config"]))
    change(config)
    arrays["config"] = np.array(json.dumps(config))
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ModelFileError, match=message):
        NeuralNetwork.load(tmp_path / "bad.npz", registry=registry)


# -- metrics ---------------------------------------------------------------------------------


def test_metrics_are_recorded_for_training_and_validation(registry):
    """history[key] per epoch; val_key equals the metric on the validation data at the epoch's end."""
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    x, y = _data(120)
    net = _net(registry, optimizer="adam", seed=17)
    net.fit(x, y, 16, 3, categorical=True, verbose=0, metrics=["macro_f1", Errors()], validation_split=0.25)
    assert len(net.history["macro_f1"]) == len(net.history["val_macro_f1"]) == len(net.history["val_errors"]) == 3
    x_val, y_val = x[-30:], y[-30:]
    expected = sklearn_metrics.f1_score(y_val, net.predict(x_val, labels=True), average="macro", labels=range(3))
    assert net.history["val_macro_f1"][-1] == pytest.approx(expected, rel=1e-12)
    assert net.history["val_errors"][-1] == np.sum(net.predict(x_val, labels=True) != y_val)
    assert net.score(x_val, y_val, metric="macro_f1") == pytest.approx(expected, rel=1e-12)


def test_training_metrics_see_every_batch_before_its_update(registry):
    """The training value of a metric agrees with the accuracy fit records on the same outputs."""
    x, y = _data(100)
    net = _net(registry, optimizer="adam", seed=18)
    net.fit(x, y, 16, 2, categorical=True, verbose=0, metrics=["errors"])
    np.testing.assert_allclose(np.array(net.history["errors"]) / len(x), 1 - np.array(net.history["accuracy"]))


@pytest.mark.parametrize("metric, direction", [("macro_f1", "max"), ("errors", "min")])
def test_early_stopping_follows_the_metrics_direction(registry, metric, direction):
    """The restored parameters are those of the best epoch in the metric's direction."""
    x, y = _data(120)
    net = _net(registry, optimizer=("sgd", {"learning_rate": 0.5}), seed=19)
    kept = []

    class Keep:
        @hookimpl
        def npnet_on_epoch_end(self, network, epoch, logs):
            kept.append(network.params.copy())

    net.fit(
        x, y, 16, 12, categorical=True, verbose=0, metrics=[metric], validation_split=0.25,
        early_stopping=3, monitor=f"val_{metric}", callbacks=[Keep()],
    )  # fmt: skip
    values = np.array(net.history[f"val_{metric}"])
    best = int(np.argmax(values) if direction == "max" else np.argmin(values))
    np.testing.assert_array_equal(net.params, kept[best])


def test_monitor_must_name_something_fit_records(registry):
    x, y = _data()
    net = _net(registry)
    with pytest.raises(ValidationError, match="list it in metrics"):
        net.fit(x, y, 16, 1, categorical=True, validation_split=0.2, early_stopping=2, monitor="val_macro_f1")
    with pytest.raises(ValidationError, match="a validation metric: give validation_data"):
        net.fit(x, y, 16, 1, categorical=True, early_stopping=2, monitor="val_loss")
    net.fit(x, y, 16, 2, categorical=True, verbose=0, early_stopping=1, monitor="loss")  # training loss: no validation


def test_metric_names_must_be_unique_and_known(registry):
    x, y = _data()
    net = _net(registry)
    with pytest.raises(ValidationError, match="twice"):
        net.fit(x, y, 16, 1, categorical=True, metrics=["macro_f1", "macro_f1"])
    with pytest.raises(ValidationError, match="metrics must be a list"):
        net.fit(x, y, 16, 1, categorical=True, metrics="macro_f1")
    with pytest.raises(Exception, match="macro_f1"):  # did-you-mean from the registry
        net.fit(x, y, 16, 1, categorical=True, metrics=["macro_f2"])


def test_text_specs_with_parameters_work_wherever_components_do(registry):
    """'name:key=value,...' as on the command line, from Python, for any role and for metrics."""
    net = _net(
        registry,
        optimizer="sgd:learning_rate=0.05,momentum=0.5",
        regularizers=["squared_penalty:factor=0.25"],
        schedule="halving:every=3",
    )
    assert (net.optimizer.learning_rate, net.optimizer.momentum) == (0.05, 0.5)
    assert net.regularizers[0].factor == 0.25 and net.schedule.every == 3
    assert net.component_specs["schedule"].params == {"every": 3}


# -- what a review found ------------------------------------------------------------------------


def test_outside_an_update_the_optimizer_shows_its_own_rate(registry, tmp_path):
    """A callback sees the base rate, and a model it saves mid-fit loads with the base and resumes the schedule."""
    x, y = _data(40)
    seen = []

    class SaveEachEpoch:
        @hookimpl
        def npnet_on_epoch_end(self, network, epoch, logs):
            seen.append(network.optimizer.learning_rate)
            network.save(tmp_path / f"epoch{epoch}.npz")

    net = _net(registry, optimizer=("sgd", {"learning_rate": 0.1}), schedule=("halving", {"every": 2}), seed=20)
    net.fit(x, y, 10, 2, categorical=True, verbose=0, callbacks=[SaveEachEpoch()])
    assert seen == [0.1, 0.1] and net.history["learning_rate"] == [0.1 * 0.5 ** (3 // 2), 0.1 * 0.5 ** (7 // 2)]
    resumed = NeuralNetwork.load(tmp_path / "epoch1.npz", registry=registry)
    assert resumed.optimizer.learning_rate == 0.1 and resumed.updates == 4
    resumed.fit(x, y, 10, 1, categorical=True, verbose=0)
    np.testing.assert_array_equal(resumed.params, net.params)


def test_a_schedule_hears_only_its_own_networks_epochs(registry):
    """Another network trained meanwhile (here from a callback) does not reach this network's schedule."""
    x, y = _data(40)
    heard = []

    class Listening(Halving):
        def npnet_on_epoch_end(self, network, epoch, logs):
            heard.append(network)

    other = _net(registry, seed=21)

    class TrainOther:
        @hookimpl
        def npnet_on_epoch_end(self, network, epoch, logs):
            if network is not other:
                other.fit(x, y, 10, 2, categorical=True, verbose=0)

    net = _net(registry, schedule=Listening(), seed=22)
    net.fit(x, y, 10, 3, categorical=True, verbose=0, callbacks=[TrainOther()])
    assert heard == [net, net, net]


def test_a_text_spec_metric_is_recorded_under_its_name(registry):
    x, y = _data(60)
    net = _net(registry, seed=23)
    net.fit(x, y, 10, 1, categorical=True, verbose=0, metrics=["npnet-metrics:top_k_accuracy:k=2"])
    assert "top_k_accuracy" in net.history and "k=2" not in net.history


def test_a_metric_called_accuracy_on_a_regression_keeps_its_validation_value(registry):
    """Only the built-in accuracy is left out for a regression; a metric of that name is reported and watched."""

    class WithinHalf:
        name = "accuracy"
        greater_is_better = True

        def compute(self, y_pred, y_true):
            return float(np.mean(np.abs(y_pred - y_true) < 0.5))

    rng = np.random.default_rng(24)
    x = rng.normal(size=(80, 4))
    targets = np.stack([x[:, 0], x[:, 1] - x[:, 2]], axis=1)
    net = NeuralNetwork([4, 8, 2], "relu", "identity", "mse", "adam", seed=25, registry=registry)
    net.fit(x, targets, 16, 4, verbose=0, metrics=[WithinHalf()], validation_split=0.25, early_stopping=2,
            monitor="val_accuracy")  # fmt: skip
    expected = WithinHalf().compute(net.predict(x[-20:]), targets[-20:])
    assert net.history["val_accuracy"][int(np.argmax(net.history["val_accuracy"]))] == expected


def test_monitor_without_early_stopping_is_an_error(registry):
    x, y = _data()
    with pytest.raises(ValidationError, match="give early_stopping=PATIENCE too"):
        _net(registry).fit(x, y, 16, 1, categorical=True, monitor="val_macro_f1")


def test_a_schedule_with_state_belongs_to_one_network_and_a_stateless_one_may_be_shared(registry):
    """A reduce-on-plateau object's state is one network's training: a second network refuses it."""
    plateau = Plateau()
    owner = _net(registry, schedule=plateau, seed=26)  # kept alive: a network that is gone owns nothing
    with pytest.raises(InvalidComponentError, match="this schedule object .* already belongs to another network"):
        _net(registry, schedule=plateau, seed=27)
    halving = Halving()
    first, second = _net(registry, schedule=halving, seed=28), _net(registry, schedule=halving, seed=29)
    assert first.schedule is second.schedule is halving and owner.schedule is plateau
