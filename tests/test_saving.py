"""Saving and loading: the article's flat ``.npy`` files and whole ``.npz`` models.

Each test checks one rule and is named for it. References are built
independently where possible: the article layout from ``net.weights`` and
``net.biases`` with ``np.concatenate``, the suffix rule and the bytes from
``np.save`` itself, file modes from a file made with ``open``.
"""

from __future__ import annotations

import json
import os
import pickle
import stat
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import npnet_adam
import npnet_adam.plugin
import npnet_initializers.plugin
import npnet_relu_softmax.plugin
import npnet_sgd_momentum
import npnet_sgd_momentum.plugin
import numpy as np
import pytest

from npnet_core import (
    ComponentNotFoundError,
    MissingComponentWarning,
    ModelFileError,
    NeuralNetwork,
    Registry,
    get_registry,
    hookimpl,
)
from npnet_core.datasets import load_digits

CLASSIFIER = ("relu", "softmax", "categorical_crossentropy")
ADAM = ("adam", {"learning_rate": 0.003})
# what a model saves: the given parameters completed by the optimizer's get_config()
ADAM_SAVED = {"learning_rate": 0.003, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-08, "amsgrad": False}
NESTEROV = ("sgd", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True})
BATCH = 50  # 1797 digits = 35 * 50 + 47: the last batch of every epoch is short


# -- helpers --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits() -> tuple:
    """The digits data (1797 x 64, labels 0..9), loaded once."""
    return load_digits()


def make_net(registry: Optional[Registry], layers=(64, 32, 10), optimizer: Any = ADAM, **kwargs: Any) -> NeuralNetwork:
    kwargs.setdefault("seed", 0)
    return NeuralNetwork(list(layers), *CLASSIFIER, optimizer, registry=registry, **kwargs)


def train(net: NeuralNetwork, digits: tuple, epochs: int) -> None:
    x, y = digits
    net.fit(x, y, BATCH, epochs, categorical=True, verbose=0)


def article_vector(net: NeuralNetwork) -> np.ndarray:
    """The article's layout, built from the weight and bias views, not from ``net.params``."""
    return np.concatenate([w.ravel() for w in net.weights] + [b.ravel() for b in net.biases])


def assert_same_state(expected: Dict[str, Any], actual: Dict[str, Any]) -> None:
    assert sorted(actual) == sorted(expected)
    for key, value in expected.items():
        if isinstance(value, np.ndarray):
            assert isinstance(actual[key], np.ndarray), key
            assert actual[key].dtype == value.dtype, key
            assert np.array_equal(actual[key], value), key
        else:
            assert type(actual[key]) is type(value) and actual[key] == value, key


def read_archive(path: Path) -> Dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def read_config(path: Path) -> Dict[str, Any]:
    return json.loads(str(read_archive(path)["config"]))


def rewrite(source: Path, target: Path, edit: Callable[[Dict[str, Any]], Any] = lambda c: c, **replace: Any) -> Path:
    """Copy the model at ``source`` to ``target`` with its config edited and arrays replaced or dropped (None)."""
    arrays = read_archive(source)
    config = edit(json.loads(str(arrays["config"])))
    arrays["config"] = np.array(json.dumps(config))
    for name, value in replace.items():
        if value is None:
            arrays.pop(name, None)
        else:
            arrays[name] = value
    with open(target, "wb") as handle:
        np.savez(handle, **arrays)
    return target


def folder_listing(folder: Path) -> List[str]:
    return sorted(os.listdir(folder))


def message(excinfo: pytest.ExceptionInfo) -> str:
    return str(excinfo.value)


class MakeFolder:
    """A pickle payload whose only effect on unpickling is to create a folder."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.mkdir, (str(self.marker),))


# the article's components, written as (function, derivative) tuples


def _relu(x):
    return np.maximum(x, 0)


def _d_relu(x):
    return (x > 0).astype(x.dtype)


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _d_softmax(x):
    s = _softmax(x)
    return np.stack([np.diag(row) - np.outer(row, row) for row in s])


def _cce(y_pred, y_true):
    return -np.log(np.sum(y_true * y_pred, axis=1) + 1e-12)


def _d_cce(y_pred, y_true):
    return np.expand_dims(-y_true / (y_pred + 1e-12), 1)


class ArticleSGD:
    """The article's optimizer shape: an object with ``update(old_params, gradient)``."""

    def update(self, old_params, gradient):
        return old_params - 0.01 * gradient


class Leaky:
    """A third-party activation (not an official one)."""

    name = "leaky"

    def forward(self, z):
        return np.where(z > 0, z, z * 0.1)

    def backward(self, z, a, grad_a):
        return grad_a * np.where(z > 0, 1.0, 0.1).astype(z.dtype)


class LeakyPlugin:
    @hookimpl
    def npnet_register_activations(self, register):
        register("leaky", Leaky)


class OtherAdam(npnet_adam.Adam):
    """Another distribution's optimizer that is also called "adam"."""


class OtherAdamPlugin:
    @hookimpl
    def npnet_register_optimizers(self, register):
        register("adam", OtherAdam)


def hand_registry(*extra: tuple) -> Registry:
    """A registry with the official plugins and ``extra`` (plugin, distribution) pairs, by hand."""
    registry = Registry(autoload=False, blocked=(), strict=False)
    for module, distribution in (
        (npnet_relu_softmax.plugin, "npnet-relu-softmax"),
        (npnet_sgd_momentum.plugin, "npnet-sgd-momentum"),
        (npnet_adam.plugin, "npnet-adam"),
        (npnet_initializers.plugin, "npnet-initializers"),
        *extra,
    ):
        registry.register_plugin(module, distribution, distribution=distribution, version="0.1.0")
    return registry


@pytest.fixture
def saved_model(tmp_path: Path, official_registry: Registry, digits: tuple) -> Path:
    """A trained adam model (with optimizer arrays and history) saved as model.npz."""
    net = make_net(official_registry)
    train(net, digits, 1)
    return net.save(tmp_path / "model.npz")


# -- 1. the article's flat .npy files -------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_save_params_writes_article_layout(tmp_path, official_registry, digits, dtype):
    """save_params writes one 1-D .npy of the network's dtype: [W_1.ravel(), ..., W_L.ravel(), b_1, ..., b_L]."""
    net = make_net(official_registry, layers=(64, 16, 12, 10), dtype=dtype)
    train(net, digits, 1)  # biases are no longer zero
    path = net.save_params(tmp_path / "weights.npy")
    saved = np.load(path, allow_pickle=False)
    expected = article_vector(net)
    assert saved.ndim == 1 and saved.dtype == np.dtype(dtype)
    assert np.array_equal(saved, expected)
    assert np.array_equal(saved[: 64 * 16], net.weights[0].ravel())  # W_1 first, row-major
    assert np.array_equal(saved[-10:], net.biases[-1].ravel())  # b_L last
    np.save(tmp_path / "reference.npy", expected)
    assert path.read_bytes() == (tmp_path / "reference.npy").read_bytes()


def test_save_params_64_64_10_is_4810_values_in_38608_bytes(tmp_path, official_registry):
    """For layers [64, 64, 10] float64 the file holds 4810 values and is exactly 38,608 bytes."""
    net = make_net(official_registry, layers=(64, 64, 10))
    path = net.save_params(tmp_path / "w.npy")
    assert np.load(path, allow_pickle=False).shape == (4810,)
    assert path.stat().st_size == 38_608


@pytest.mark.parametrize("name", ["w", "w.npy", "w.txt", "w.npy.bak", "w.NPY"])
def test_save_params_appends_npy_like_np_save(tmp_path, official_registry, name):
    """save_params appends .npy when missing, as np.save does, and returns the path it wrote."""
    net = make_net(official_registry)
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    path = net.save_params(ours / name)
    np.save(theirs / name, net.params)
    assert folder_listing(ours) == folder_listing(theirs) == [path.name]
    assert path == ours / folder_listing(theirs)[0]


@pytest.mark.parametrize("given", ["w", "w.npy"])
def test_load_params_finds_file_with_or_without_suffix(tmp_path, official_registry, digits, given):
    """load_params finds the file save_params wrote whether the name has .npy or not."""
    source = make_net(official_registry, seed=1)
    train(source, digits, 1)
    source.save_params(tmp_path / "w")
    target = make_net(official_registry, seed=2)
    target.load_params(tmp_path / given)
    assert np.array_equal(target.params, source.params)


def test_load_params_missing_file_raises_file_not_found(tmp_path, official_registry):
    """load_params of a file that exists neither with nor without .npy raises FileNotFoundError."""
    net = make_net(official_registry)
    with pytest.raises(FileNotFoundError):
        net.load_params(tmp_path / "nothing")


def test_load_params_into_fresh_network_gives_identical_predictions(tmp_path, official_registry, digits):
    """A fresh network with the same layers predicts exactly as the saved one after load_params."""
    x, _ = digits
    source = make_net(official_registry, seed=3)
    train(source, digits, 2)
    path = source.save_params(tmp_path / "trained")
    fresh = make_net(official_registry, seed=4)
    assert not np.array_equal(fresh.predict(x), source.predict(x))
    fresh.load_params(path)
    assert np.array_equal(fresh.predict(x), source.predict(x))
    for w_fresh, w_source in zip(fresh.weights + fresh.biases, source.weights + source.biases):
        assert np.array_equal(w_fresh, w_source)


@pytest.mark.parametrize(
    "saved_layers, shape",
    [
        ((64, 48, 10), None),  # other hidden size: only the total size differs
        ((64, 64, 10), None),  # 4810 values into a network of 2410
        ((64, 10), None),  # fewer layers
        ((64, 32, 10), (2410, 1)),  # the right number of values, but 2-D
        ((64, 32, 10), (10, 241)),
    ],
)
def test_load_params_refuses_other_sizes_and_leaves_network_untouched(tmp_path, official_registry, saved_layers, shape):
    """A file from other layer sizes (or not 1-D) gives ModelFileError naming both sizes; the network is unchanged."""
    source = make_net(official_registry, layers=saved_layers, seed=5)
    vector = source.params if shape is None else source.params.reshape(shape)
    path = tmp_path / "other.npy"
    np.save(path, vector)
    target = make_net(official_registry, layers=(64, 32, 10), seed=6)
    before = target.params.tobytes()
    with pytest.raises(ModelFileError) as excinfo:
        target.load_params(path)
    text = message(excinfo)
    assert str(target.n_params) in text  # what the network needs
    assert str(vector.shape) in text  # what the file holds
    assert target.params.tobytes() == before


def _write_garbage(path: Path, n_params: int, kind: str) -> None:
    if kind == "random bytes":
        path.write_bytes(np.random.default_rng(0).bytes(4000))
    elif kind == "text":
        path.write_text("W_1 = [[0.1, 0.2], ...]\n")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        np.save(path, np.ones(n_params))
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "npz archive":
        with open(path, "wb") as handle:
            np.savez(handle, params=np.ones(n_params))
    elif kind == "object array":
        np.save(path, np.array([{"w": 1.0}] * n_params, dtype=object), allow_pickle=True)
    elif kind == "strings":
        np.save(path, np.array(["0.5"] * n_params))
    elif kind == "complex":
        np.save(path, np.ones(n_params, dtype=complex))
    elif kind == "structured":
        np.save(path, np.zeros(n_params, dtype=[("w", "f8")]))
    else:  # pragma: no cover
        raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    ["random bytes", "text", "empty", "truncated", "npz archive", "object array", "strings", "complex", "structured"],
)
def test_load_params_refuses_files_that_are_not_parameter_vectors(tmp_path, official_registry, kind):
    """A garbage, truncated, non-.npy or non-numeric file gives ModelFileError naming it; the network is unchanged."""
    net = make_net(official_registry)
    path = tmp_path / "bad.npy"
    _write_garbage(path, net.n_params, kind)
    before = net.params.tobytes()
    with pytest.raises(ModelFileError) as excinfo:
        net.load_params(path)
    assert "bad.npy" in message(excinfo)
    if kind not in ("object array",):
        assert "pickle" not in message(excinfo).lower()  # no false claim of pickled data
    assert net.params.tobytes() == before


# -- 2. whole models ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_save_load_round_trip_keeps_everything(tmp_path, official_registry, digits, dtype):
    """load(save(net)) has the same predictions, layers, dtype, components, params, optimizer state and history."""
    x, _ = digits
    net = make_net(official_registry, layers=(64, 24, 10), dtype=dtype)
    train(net, digits, 2)
    path = net.save(tmp_path / "model.npz")
    loaded = NeuralNetwork.load(path, registry=official_registry)

    assert loaded.layers == [64, 24, 10]
    assert loaded.dtype == np.dtype(dtype) and loaded.params.dtype == np.dtype(dtype)
    assert np.array_equal(loaded.params, net.params)
    prediction = loaded.predict(x)
    assert prediction.dtype == np.dtype(dtype)
    assert np.array_equal(prediction, net.predict(x))
    specs = {role: (spec.name, spec.params) for role, spec in loaded.component_specs.items()}
    assert specs == {
        "hidden_activation": ("relu", {}),
        "output_activation": ("softmax", {}),
        "loss": ("categorical_crossentropy", {}),
        "optimizer": ("adam", ADAM_SAVED),
        "initializer": ("glorot_uniform", {}),
    }
    assert isinstance(loaded.optimizer, npnet_adam.Adam) and loaded.optimizer is not net.optimizer
    assert loaded.optimizer.get_config() == net.optimizer.get_config()
    state = net.optimizer.state_dict()
    assert state["step"] == 2 * 36 and state["m"].dtype == np.dtype(dtype)
    assert_same_state(state, loaded.optimizer.state_dict())
    assert loaded.history == net.history and len(loaded.history["loss"]) == 2


def test_model_file_holds_arrays_and_json_config(tmp_path, official_registry, digits):
    """The .npz holds params, the optimizer arrays and a JSON config with format, version, layers, components, dtype."""
    net = make_net(official_registry, layers=(64, 20, 10), dtype="float32")
    train(net, digits, 1)
    path = net.save(tmp_path / "model.npz")
    arrays = read_archive(path)
    assert sorted(arrays) == ["config", "optimizer.m", "optimizer.v", "params"]
    assert arrays["config"].ndim == 0 and arrays["config"].dtype.kind == "U"
    assert arrays["params"].dtype == np.float32 and np.array_equal(arrays["params"], article_vector(net))
    state = net.optimizer.state_dict()
    assert np.array_equal(arrays["optimizer.m"], state["m"]) and np.array_equal(arrays["optimizer.v"], state["v"])

    config = json.loads(str(arrays["config"]))
    assert config["format"] == "npnet-model" and config["format_version"] == 3
    assert config["layers"] == [64, 20, 10] and config["dtype"] == "float32"
    official = {"distribution": "npnet-relu-softmax", "version": "0.1.0", "params": {}}
    assert config["components"] == {
        "hidden_activation": {"name": "relu", **official},
        "output_activation": {"name": "softmax", **official},
        "loss": {"name": "categorical_crossentropy", **official},
        "optimizer": {
            "name": "adam",
            "params": ADAM_SAVED,
            "distribution": "npnet-adam",
            "version": "0.1.0",
        },
        "initializer": {
            "name": "glorot_uniform",
            "params": {},
            "distribution": "npnet-initializers",
            "version": "0.1.0",
        },
    }
    assert config["history"]["loss"] == net.history["loss"]


def test_save_writes_exactly_the_given_path(tmp_path, official_registry):
    """save(path) writes the file at exactly path (no suffix added) and returns it."""
    net = make_net(official_registry)
    path = net.save(tmp_path / "model.bin")
    assert path == tmp_path / "model.bin"
    assert folder_listing(tmp_path) == ["model.bin"]
    assert NeuralNetwork.load(path, registry=official_registry).layers == net.layers


def test_load_with_installed_plugins_uses_default_registry(tmp_path, digits):
    """NeuralNetwork.load(path) without a registry resolves through the installed plugins."""
    x, _ = digits
    net = make_net(None, optimizer=NESTEROV)
    train(net, digits, 1)
    path = net.save(tmp_path / "model.npz")
    assert read_config(path)["components"]["optimizer"]["distribution"] == "npnet-sgd-momentum"
    loaded = NeuralNetwork.load(path)
    assert loaded.registry is get_registry()
    assert isinstance(loaded.optimizer, npnet_sgd_momentum.SGD)
    assert loaded.optimizer.get_config() == {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}
    assert_same_state(net.optimizer.state_dict(), loaded.optimizer.state_dict())
    assert np.array_equal(loaded.predict(x), net.predict(x))


def test_per_layer_hidden_activations_round_trip(tmp_path, official_registry):
    """Hidden activations given as a list, one per hidden layer, are saved as a list and come back in order."""
    x = np.random.default_rng(0).normal(size=(20, 6))
    net = NeuralNetwork(
        [6, 5, 4, 3],
        ["relu", "identity"],
        "softmax",
        "categorical_crossentropy",
        "adam",
        seed=0,
        registry=official_registry,
    )
    path = net.save(tmp_path / "model.npz")
    hidden = read_config(path)["components"]["hidden_activation"]
    assert [c["name"] for c in hidden] == ["relu", "identity"]
    loaded = NeuralNetwork.load(path, registry=official_registry)
    assert [spec.name for spec in loaded.component_specs["hidden_activation"]] == ["relu", "identity"]
    assert [a.name for a in loaded.hidden_activations] == ["relu", "identity"]
    assert np.array_equal(loaded.predict(x), net.predict(x))
    # the order matters: the same parameters with relu in both hidden layers predict otherwise
    both_relu = NeuralNetwork(
        [6, 5, 4, 3], "relu", "softmax", "categorical_crossentropy", "adam", seed=0, registry=official_registry
    )
    both_relu.set_params(net.params)
    assert not np.array_equal(both_relu.predict(x), net.predict(x))


def test_registered_class_object_is_saved_by_name_with_its_config(tmp_path, official_registry):
    """An optimizer object of a registered class (npnet_adam.Adam(...)) is saved as "adam" with its get_config()."""
    optimizer = npnet_adam.Adam(learning_rate=0.01, amsgrad=True)
    net = make_net(official_registry, optimizer=optimizer)
    path = net.save(tmp_path / "model.npz")
    saved = read_config(path)["components"]["optimizer"]
    assert saved == {
        "name": "adam",
        "params": {"learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8, "amsgrad": True},
        "distribution": "npnet-adam",
        "version": "0.1.0",
    }
    loaded = NeuralNetwork.load(path, registry=official_registry)
    assert type(loaded.optimizer) is npnet_adam.Adam and loaded.optimizer is not optimizer
    assert loaded.optimizer.get_config() == optimizer.get_config()


def test_load_pins_the_saved_distribution_when_a_name_is_ambiguous(tmp_path, official_registry):
    """When several plugins provide a saved name, loading takes the distribution the model was saved with."""
    path = make_net(official_registry).save(tmp_path / "model.npz")
    official_registry.register_plugin(OtherAdamPlugin(), "npnet-other-adam", distribution="npnet-other-adam")
    loaded = NeuralNetwork.load(path, registry=official_registry)
    assert type(loaded.optimizer) is npnet_adam.Adam


@pytest.mark.parametrize("bit_generator", ["PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"])
def test_random_generator_state_round_trips(tmp_path, official_registry, bit_generator):
    """The network's random generator (any NumPy bit generator) is saved and continues the same stream."""
    rng = np.random.Generator(getattr(np.random, bit_generator)(3))
    net = make_net(official_registry, seed=rng)
    net.rng.random(7)  # move away from the start
    path = net.save(tmp_path / "model.npz")
    loaded = NeuralNetwork.load(path, registry=official_registry)
    assert type(loaded.rng.bit_generator) is type(rng.bit_generator)
    assert loaded.rng is not rng
    assert np.array_equal(loaded.rng.random(50), net.rng.random(50))
    assert np.array_equal(loaded.rng.permutation(100), net.rng.permutation(100))


def test_load_leaves_numpy_global_random_state_alone(tmp_path, official_registry):
    """Loading a model draws nothing from NumPy's global random state (np.random.seed stays reproducible)."""
    path = make_net(official_registry).save(tmp_path / "model.npz")
    saved_state = np.random.get_state()
    try:
        np.random.seed(12345)
        expected = np.random.random(3)
        np.random.seed(12345)
        NeuralNetwork.load(path, registry=official_registry)
        assert np.array_equal(np.random.random(3), expected)
    finally:
        np.random.set_state(saved_state)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_saved_files_get_ordinary_permissions(tmp_path, official_registry):
    """Model and parameter files get the mode a plain open() would give (the umask), not a temp file's 0600."""
    net = make_net(official_registry)
    old_umask = os.umask(0o027)
    try:
        with open(tmp_path / "reference", "wb"):
            pass
        model = net.save(tmp_path / "model.npz")
        params = net.save_params(tmp_path / "w.npy")
    finally:
        os.umask(old_umask)
    expected = stat.S_IMODE((tmp_path / "reference").stat().st_mode)
    assert expected == 0o640
    assert stat.S_IMODE(model.stat().st_mode) == expected
    assert stat.S_IMODE(params.stat().st_mode) == expected


# -- 3. resuming training -------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optimizer", [ADAM, NESTEROV], ids=["adam", "sgd-nesterov"])
def test_resume_after_save_and_load_is_bit_identical(tmp_path, official_registry, digits, optimizer, dtype):
    """6 epochs straight equal 3 epochs, save, load, 3 more epochs, bit for bit (seeded, uneven last batch)."""
    assert len(digits[0]) % BATCH != 0
    straight = make_net(official_registry, optimizer=optimizer, dtype=dtype, seed=11)
    start = straight.params.copy()
    train(straight, digits, 6)

    first = make_net(official_registry, optimizer=optimizer, dtype=dtype, seed=11)
    train(first, digits, 3)
    resumed = NeuralNetwork.load(first.save(tmp_path / "half.npz"), registry=official_registry)
    del first
    train(resumed, digits, 3)

    assert not np.array_equal(straight.params, start)
    assert resumed.params.dtype == np.dtype(dtype)
    assert np.array_equal(resumed.params, straight.params)
    assert_same_state(straight.optimizer.state_dict(), resumed.optimizer.state_dict())
    assert resumed.history["loss"] == straight.history["loss"]


def test_resume_comparison_detects_lost_state(tmp_path, official_registry, digits):
    """The resume check can fail: a fresh generator or a fresh optimizer after loading changes the result."""
    straight = make_net(official_registry, optimizer=NESTEROV, seed=11)
    train(straight, digits, 4)
    first = make_net(official_registry, optimizer=NESTEROV, seed=11)
    train(first, digits, 2)
    path = first.save(tmp_path / "half.npz")

    new_rng = NeuralNetwork.load(path, registry=official_registry)
    new_rng.rng = np.random.default_rng(11)
    train(new_rng, digits, 2)
    new_optimizer = NeuralNetwork.load(path, registry=official_registry)
    new_optimizer.optimizer.load_state_dict({})
    train(new_optimizer, digits, 2)
    faithful = NeuralNetwork.load(path, registry=official_registry)
    train(faithful, digits, 2)

    assert np.array_equal(faithful.params, straight.params)
    assert not np.array_equal(new_rng.params, straight.params)
    assert not np.array_equal(new_optimizer.params, straight.params)


# -- 4. loading never unpickles; unreadable files -------------------------------------


def test_object_array_in_model_is_refused_mentioning_pickle(tmp_path, official_registry):
    """An .npz holding an object array is refused with ModelFileError that says pickle."""
    path = tmp_path / "evil.npz"
    with open(path, "wb") as handle:
        np.savez(handle, config=np.array([{"a": 1}], dtype=object), params=np.zeros(3))
    with pytest.raises(ModelFileError) as excinfo:
        NeuralNetwork.load(path, registry=official_registry)
    assert "pickle" in message(excinfo).lower() and "evil.npz" in message(excinfo)


def test_pickled_payload_never_runs(tmp_path, official_registry):
    """Pickled objects in model or parameter files are never unpickled: their side effect never happens."""
    control = tmp_path / "control"
    pickle.loads(pickle.dumps(MakeFolder(control)))  # the payload works when unpickled
    assert control.is_dir()

    marker = tmp_path / "marker"
    payload = np.array([MakeFolder(marker)], dtype=object)
    net = make_net(official_registry)
    in_model = tmp_path / "model.npz"
    with open(in_model, "wb") as handle:
        np.savez(handle, config=payload, params=net.params)
    config = np.array(json.dumps(read_config(net.save(tmp_path / "good.npz"))))
    in_optimizer = tmp_path / "optimizer.npz"
    with open(in_optimizer, "wb") as handle:
        np.savez(handle, config=config, params=net.params, **{"optimizer.m": payload})
    plain_pickle = tmp_path / "model.pkl"
    plain_pickle.write_bytes(pickle.dumps(MakeFolder(marker)))
    in_npy = tmp_path / "params.npy"
    np.save(in_npy, np.array([MakeFolder(marker)] * net.n_params, dtype=object), allow_pickle=True)

    for path in (in_model, in_optimizer, plain_pickle, in_npy):
        with pytest.raises(ModelFileError):
            NeuralNetwork.load(path, registry=official_registry)
    for path in (in_npy, plain_pickle, in_model):
        with pytest.raises(ModelFileError):
            net.load_params(path)
    assert not marker.exists()


@pytest.mark.parametrize("fraction", [0.5, 0.1, 0.9, 0.999])
def test_truncated_model_gives_model_file_error(tmp_path, official_registry, saved_model, fraction):
    """A model file cut short gives ModelFileError naming the file."""
    data = saved_model.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(ModelFileError) as excinfo:
        NeuralNetwork.load(cut, registry=official_registry)
    assert "cut.npz" in message(excinfo)


def test_corrupted_model_gives_model_file_error(tmp_path, official_registry, saved_model):
    """A model file with damaged parameter bytes (bad CRC) gives ModelFileError."""
    data = bytearray(saved_model.read_bytes())
    at = bytes(data).find(read_archive(saved_model)["params"].tobytes()) + 100
    assert at > 100
    data[at] ^= 0xFF
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(bytes(data))
    with pytest.raises(ModelFileError) as excinfo:
        NeuralNetwork.load(damaged, registry=official_registry)
    assert "damaged.npz" in message(excinfo)


def _open_descriptors_to(path: Path) -> List[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target == str(path):
            found.append(fd)
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
@pytest.mark.parametrize("reader", ["load", "load_params"])
@pytest.mark.parametrize("kind", ["truncated", "npz with object array", "random bytes"])
def test_refused_file_is_closed(tmp_path, official_registry, saved_model, reader, kind):
    """A file refused with ModelFileError is closed at once, not left open until garbage collection."""
    path = (tmp_path / "refused.npz").resolve()
    data = saved_model.read_bytes()
    if kind == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif kind == "npz with object array":
        with open(path, "wb") as handle:
            np.savez(handle, config=np.array([{"a": 1}], dtype=object), params=np.zeros(3))
    else:
        path.write_bytes(np.random.default_rng(2).bytes(3000))
    net = make_net(official_registry)
    with pytest.raises(ModelFileError) as excinfo:
        if reader == "load":
            NeuralNetwork.load(path, registry=official_registry)
        else:
            net.load_params(path)
    assert _open_descriptors_to(path) == [], excinfo.value  # the traceback is still alive here


@pytest.mark.parametrize("kind", ["random bytes", "empty", "text"])
def test_non_archive_file_gives_model_file_error(tmp_path, official_registry, kind):
    """Random bytes, an empty file or text give ModelFileError saying it is not an npnet model, not that it is pickled."""
    path = tmp_path / "junk.npz"
    if kind == "random bytes":
        path.write_bytes(np.random.default_rng(1).bytes(5000))
    elif kind == "empty":
        path.write_bytes(b"")
    else:
        path.write_text('{"format": "npnet-model"}')
    with pytest.raises(ModelFileError) as excinfo:
        NeuralNetwork.load(path, registry=official_registry)
    text = message(excinfo)
    assert "junk.npz" in text and "npnet model" in text
    assert "pickle" not in text.lower()


def test_plain_npy_gives_model_file_error(tmp_path, official_registry):
    """An article .npy parameter file given to NeuralNetwork.load gives ModelFileError pointing to load_params."""
    path = make_net(official_registry).save_params(tmp_path / "weights.npy")
    with pytest.raises(ModelFileError) as excinfo:
        NeuralNetwork.load(path, registry=official_registry)
    text = message(excinfo)
    assert "weights.npy" in text and ".npy" in text and "load_params" in text


@pytest.mark.parametrize("dropped", ["config", "params"])
def test_archive_without_config_or_params_gives_model_file_error(tmp_path, official_registry, saved_model, dropped):
    """An .npz lacking 'config' or 'params' gives ModelFileError naming what it found."""
    path = rewrite(saved_model, tmp_path / "partial.npz", **{dropped: None})
    with pytest.raises(ModelFileError) as excinfo:
        NeuralNetwork.load(path, registry=official_registry)
    assert "not an npnet model" in message(excinfo) and dropped in message(excinfo)


def test_other_format_version_gives_model_file_error(tmp_path, official_registry, saved_model):
    """A config of a format_version this release cannot read gives ModelFileError naming it and those it reads."""
    path = rewrite(saved_model, tmp_path / "future.npz", lambda c: {**c, "format_version": 4})
    with pytest.raises(ModelFileError) as excinfo:
        NeuralNetwork.load(path, registry=official_registry)
    text = message(excinfo)
    assert "version 4" in text and "versions 1, 2, 3" in text


def as_version_1(config: Dict[str, Any], initializer: Any) -> Dict[str, Any]:
    """``config`` written as format version 1 did: the initializer named at the top level."""
    components = {role: spec for role, spec in config["components"].items() if role != "initializer"}
    return {**config, "format_version": 1, "components": components, "initializer": initializer}


@pytest.mark.parametrize("initializer", [[], None, 3, {"name": "he_normal"}])
def test_a_version_1_file_with_a_damaged_initializer_gives_model_file_error(
    tmp_path, official_registry, saved_model, initializer
):
    """A version 1 config whose initializer is not a name is refused as damaged, naming the field, not upgraded blindly."""
    path = rewrite(saved_model, tmp_path / "old.npz", lambda c: as_version_1(c, initializer))
    with pytest.raises(ModelFileError, match=r"components\['initializer'\]\['name'\] must be a string"):
        NeuralNetwork.load(path, registry=official_registry)


def test_a_version_1_file_loads_with_its_initializer_as_a_component(tmp_path, official_registry, saved_model):
    """A version 1 config naming "he_normal" loads with that initializer, predicting as the file's parameters say."""
    path = rewrite(saved_model, tmp_path / "old.npz", lambda c: as_version_1(c, "he_normal"))
    old, new = (
        NeuralNetwork.load(path, registry=official_registry),
        NeuralNetwork.load(saved_model, registry=official_registry),
    )
    assert old.component_specs["initializer"].name == "he_normal"
    assert np.array_equal(old.params, new.params)


@pytest.mark.parametrize(
    "config",
    [
        np.array(json.dumps({"class_name": "Sequential", "layers": [64, 10]})),
        np.array(json.dumps({"format": "keras-model", "format_version": 1})),
        np.array(json.dumps([1, 2, 3])),
        np.array(json.dumps("npnet-model")),
        np.array("null"),
        np.array("{not json"),
        np.array(5.0),
    ],
    ids=["other-json", "other-format", "list", "string", "null", "invalid", "number"],
)
def test_config_that_is_not_an_npnet_model_gives_model_file_error(tmp_path, official_registry, config):
    """A config that is not an npnet model's JSON gives ModelFileError (never AttributeError or KeyError)."""
    path = tmp_path / "other.npz"
    with open(path, "wb") as handle:
        np.savez(handle, config=config, params=np.zeros(2410))
    with pytest.raises(ModelFileError) as excinfo:
        NeuralNetwork.load(path, registry=official_registry)
    assert "other.npz" in message(excinfo)


def _drop(key: str) -> Callable[[Dict[str, Any]], Dict[str, Any]]:
    return lambda c: {k: v for k, v in c.items() if k != key}


def _drop_component(role: str) -> Callable[[Dict[str, Any]], Dict[str, Any]]:
    def edit(c):
        c["components"].pop(role)
        return c

    return edit


def _set(path: tuple, value: Any) -> Callable[[Dict[str, Any]], Dict[str, Any]]:
    def edit(c):
        place = c
        for key in path[:-1]:
            place = place[key]
        place[path[-1]] = value
        return c

    return edit


@pytest.mark.parametrize(
    "edit",
    [
        _drop("layers"),
        _drop("dtype"),
        _drop("components"),
        _drop("rng"),
        _drop_component("optimizer"),
        _set(("components", "loss"), "categorical_crossentropy"),
        _set(("components", "optimizer", "params"), [0.003]),
        _set(("layers",), "64-32-10"),
        _set(("rng",), {"bit_generator": "PCG64", "state": "nope"}),
        _set(("rng",), {"bit_generator": "Mersenne"}),
        _set(("history",), [1.0, 2.0]),
        _set(("optimizer_arrays",), ["m", "v", "extra"]),
    ],
    ids=[
        "no-layers",
        "no-dtype",
        "no-components",
        "no-rng",
        "no-optimizer",
        "loss-not-object",
        "params-not-object",
        "layers-not-list",
        "bad-rng-state",
        "unknown-bit-generator",
        "history-not-object",
        "missing-optimizer-array",
    ],
)
def test_incomplete_npnet_config_gives_model_file_error(tmp_path, official_registry, saved_model, edit):
    """A config marked npnet-model v1 but missing or mangling a field gives ModelFileError naming the file."""
    path = rewrite(saved_model, tmp_path / "mangled.npz", edit)
    with pytest.raises(ModelFileError) as excinfo:
        NeuralNetwork.load(path, registry=official_registry)
    assert "mangled.npz" in message(excinfo)


def test_params_inconsistent_with_config_give_model_file_error(tmp_path, official_registry, saved_model):
    """'params' of the wrong size or dtype for the saved layers gives ModelFileError."""
    wrong_size = rewrite(saved_model, tmp_path / "size.npz", params=np.zeros(10))
    wrong_dtype = rewrite(
        saved_model, tmp_path / "dtype.npz", params=read_archive(saved_model)["params"].astype(np.float32)
    )
    for path in (wrong_size, wrong_dtype):
        with pytest.raises(ModelFileError) as excinfo:
            NeuralNetwork.load(path, registry=official_registry)
        assert "inconsistent" in message(excinfo)


def test_missing_model_file_raises_file_not_found(tmp_path, official_registry):
    """Loading a model path that does not exist raises FileNotFoundError."""
    with pytest.raises(FileNotFoundError):
        NeuralNetwork.load(tmp_path / "absent.npz", registry=official_registry)


# -- 5. a missing plugin -----------------------------------------------------------


def test_missing_plugin_names_the_distribution_to_install(tmp_path, empty_registry):
    """An adam model loads without npnet-adam, warning with pip install npnet-adam; fit raises
    ComponentNotFoundError saying so."""
    path = make_net(None).save(tmp_path / "model.npz")  # saved with the installed plugins
    empty_registry.register_plugin(
        npnet_relu_softmax.plugin, "npnet-relu-softmax", distribution="npnet-relu-softmax", version="0.1.0"
    )
    with pytest.warns(MissingComponentWarning, match="pip install npnet-adam"):
        net = NeuralNetwork.load(path, registry=empty_registry)
    with pytest.raises(ComponentNotFoundError) as excinfo:
        net.fit(np.zeros((2, 64)), [0, 1], 2, 1, verbose=0)
    assert "pip install npnet-adam" in message(excinfo)
    assert "'adam'" in message(excinfo)


def test_missing_third_party_plugin_names_its_distribution(tmp_path, official_registry):
    """A model using a third-party plugin's component names that plugin's distribution when it is missing."""
    registry = hand_registry((LeakyPlugin(), "npnet-leaky"))
    net = NeuralNetwork([4, 3, 2], "leaky", "softmax", "categorical_crossentropy", "sgd", seed=0, registry=registry)
    path = net.save(tmp_path / "model.npz")
    assert read_config(path)["components"]["hidden_activation"]["distribution"] == "npnet-leaky"
    with pytest.raises(ComponentNotFoundError) as excinfo:
        NeuralNetwork.load(path, registry=official_registry)
    assert "pip install npnet-leaky" in message(excinfo)
    # with the plugin present it loads
    assert NeuralNetwork.load(path, registry=registry).hidden_activation.name == "leaky"


# -- 6. atomic writes -----------------------------------------------------------------


def _failing_writer(error: BaseException) -> Callable[..., None]:
    def write(file: Any, *args: Any, **kwargs: Any) -> None:
        file.write(b"PK\x03\x04 half of a file")
        file.flush()
        raise error

    return write


@pytest.mark.parametrize(
    "error", [OSError(28, "No space left on device"), KeyboardInterrupt()], ids=["oserror", "interrupt"]
)
def test_failed_model_write_keeps_previous_file(tmp_path, official_registry, monkeypatch, error):
    """If writing a model fails midway, the previous file is byte-identical and no temporary file is left.

    An OSError is a ModelFileError naming the model file (not the temporary file); Ctrl-C stays itself.
    """
    path = make_net(official_registry, seed=1).save(tmp_path / "model.npz")
    before = path.read_bytes()
    monkeypatch.setattr(np, "savez", _failing_writer(error))
    with pytest.raises(ModelFileError if isinstance(error, OSError) else type(error)) as excinfo:
        make_net(official_registry, seed=2).save(path)
    if isinstance(error, OSError):
        assert f"cannot write the model file {path}: no space left" in message(excinfo) and ".tmp" not in message(
            excinfo
        )
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert folder_listing(tmp_path) == ["model.npz"]


@pytest.mark.parametrize(
    "error", [OSError(28, "No space left on device"), KeyboardInterrupt()], ids=["oserror", "interrupt"]
)
def test_failed_params_write_keeps_previous_file(tmp_path, official_registry, monkeypatch, error):
    """If writing a parameter file fails midway, the previous file is byte-identical and no temporary file is left."""
    path = make_net(official_registry, seed=1).save_params(tmp_path / "w.npy")
    before = path.read_bytes()
    monkeypatch.setattr(np, "save", _failing_writer(error))
    with pytest.raises(ModelFileError if isinstance(error, OSError) else type(error)) as excinfo:
        make_net(official_registry, seed=2).save_params(path)
    if isinstance(error, OSError):
        assert f"cannot write the parameter file {path}" in message(excinfo) and ".tmp" not in message(excinfo)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert folder_listing(tmp_path) == ["w.npy"]


def test_failed_first_write_leaves_nothing(tmp_path, official_registry, monkeypatch):
    """If the first write to a path fails, neither the file nor a temporary file is left; the error names the path."""
    monkeypatch.setattr(np, "savez", _failing_writer(OSError(5, "I/O error")))
    with pytest.raises(ModelFileError, match="model.npz: I/O error"):
        make_net(official_registry).save(tmp_path / "model.npz")
    assert folder_listing(tmp_path) == []


def test_saving_over_an_existing_file_replaces_it(tmp_path, official_registry, digits):
    """Saving to an existing path replaces the file with the new model or parameters."""
    x, _ = digits
    old, new = make_net(official_registry, seed=1), make_net(official_registry, seed=2)
    path = old.save(tmp_path / "model.npz")
    new.save(path)
    assert np.array_equal(NeuralNetwork.load(path, registry=official_registry).predict(x), new.predict(x))
    params = old.save_params(tmp_path / "w.npy")
    new.save_params(params)
    assert np.array_equal(np.load(params, allow_pickle=False), new.params)
    assert folder_listing(tmp_path) == ["model.npz", "w.npy"]


@pytest.mark.parametrize(
    "state, fragment",
    [
        ({"step": 1, "m": np.zeros(3), "v": np.zeros(3)}, "state array 'm' has shape (3,)"),
        ({"step": 1, "m": np.zeros(2410, np.float32), "v": np.zeros(2410, np.float32)}, "dtype float32"),
        ({"step": [1, 2]}, "optimizer_state['step'] must be a plain value"),
        ({"step": 1, "m 1": np.zeros(2410)}, "an array's name"),
    ],
    ids=["shape", "dtype", "list-scalar", "array-name"],
)
def test_a_model_that_would_not_load_back_is_not_written(tmp_path, official_registry, monkeypatch, state, fragment):
    """An optimizer state the loader would refuse (arrays not (n_params,) of the network's dtype, scalars
    that are not plain values, array names that make no member name) is refused at save, writing nothing."""
    net = make_net(official_registry)
    monkeypatch.setattr(net.optimizer, "state_dict", lambda: state)
    with pytest.raises(ModelFileError, match="would not load back") as excinfo:
        net.save(tmp_path / "model.npz")
    assert fragment in message(excinfo)
    assert folder_listing(tmp_path) == []


# -- 7. networks that cannot be saved whole -------------------------------------------


@pytest.mark.parametrize(
    "components",
    [
        ((_relu, _d_relu), (_softmax, _d_softmax), (_cce, _d_cce), ArticleSGD()),
        ((_relu, _d_relu), "softmax", "categorical_crossentropy", "adam"),
        ("relu", "softmax", (_cce, _d_cce), "adam"),
        ("relu", "softmax", "categorical_crossentropy", ArticleSGD()),
    ],
    ids=["article", "hidden-tuple", "loss-tuple", "update-object"],
)
def test_unnamed_components_cannot_be_saved_whole(tmp_path, official_registry, components):
    """A network with (function, derivative) tuples or an object with .update refuses save(): give names or use save_params."""
    net = NeuralNetwork([6, 5, 3], *components, seed=0, registry=official_registry)
    with pytest.raises(ModelFileError) as excinfo:
        net.save(tmp_path / "model.npz")
    text = message(excinfo)
    assert "by name" in text and "save_params" in text
    assert folder_listing(tmp_path) == []
    path = net.save_params(tmp_path / "w.npy")  # the article's file still works
    assert np.array_equal(np.load(path, allow_pickle=False), article_vector(net))


def test_numpy_scalar_hyperparameters_are_saved_as_plain_numbers(tmp_path, official_registry):
    """A learning rate given as a NumPy scalar is written as a JSON number and read back equal."""
    net = NeuralNetwork(
        [3, 2],
        "relu",
        "softmax",
        "categorical_crossentropy",
        ("adam", {"learning_rate": np.float64(0.01), "amsgrad": np.bool_(True)}),
        seed=0,
        registry=official_registry,
    )
    loaded = NeuralNetwork.load(net.save(tmp_path / "m.npz"), registry=official_registry)
    saved = loaded.component_specs["optimizer"].params
    assert saved == {**ADAM_SAVED, "learning_rate": 0.01, "amsgrad": True}
    assert type(saved["learning_rate"]) is float and type(saved["amsgrad"]) is bool
