"""A model predicts with its activations' plugins alone: the training components' plugins may be missing.

Loading needs the activations; ``predict`` works with them alone, ``score``
and ``evaluate`` also need the loss, and only ``fit`` needs the optimizer,
regularizers and schedule. A model loaded without some is saved back whole.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import npnet_relu_softmax.plugin
import numpy as np
import pytest

from npnet_core import ComponentNotFoundError, MissingComponentWarning, NeuralNetwork, Registry
from npnet_core.components import MissingComponent
from npnet_core.io import read_model_config


def digits_like(n: int = 60):
    rng = np.random.default_rng(0)
    return rng.uniform(size=(n, 8)), rng.integers(0, 3, size=n)


@pytest.fixture
def trained(tmp_path: Path, official_registry: Registry) -> Path:
    """A model trained with adam, l2, dropout and reduce_on_plateau (which keeps state), saved."""
    x, y = digits_like()
    net = NeuralNetwork(
        [8, 16, 3],
        "relu",
        "softmax",
        "categorical_crossentropy",
        "adam",
        seed=0,
        regularizers=["l2", ("dropout", {"rate": 0.1})],
        schedule=("reduce_on_plateau", {"patience": 1}),
        registry=official_registry,
    )
    net.fit(x, y, 16, 3, categorical=True, verbose=0)
    return net.save(tmp_path / "model.npz")


def test_predict_and_score_need_only_the_activations_and_the_loss(trained: Path, registry_of) -> None:
    full = NeuralNetwork.load(trained, registry=registry_of())
    with pytest.warns(MissingComponentWarning) as caught:
        net = NeuralNetwork.load(trained, registry=registry_of("npnet-relu-softmax"))
    message = str(caught[0].message)
    for hint in ("npnet-adam", "npnet-regularizers", "npnet-schedules", "npnet-initializers"):
        assert f"pip install {hint}" in message
    assert "predict, score and evaluate work; fit needs them" in message
    x, y = digits_like()
    np.testing.assert_array_equal(net.predict(x), full.predict(x))
    assert net.score(x, y) == full.score(x, y)
    assert net.score(x, y, accuracy=True) == full.score(x, y, accuracy=True)
    assert isinstance(net.optimizer, MissingComponent) and isinstance(net.schedule, MissingComponent)
    assert "not installed" in repr(net.optimizer)


@pytest.mark.parametrize("missing", ["npnet-adam", "npnet-regularizers", "npnet-schedules"])
def test_fit_needs_every_training_component(trained: Path, registry_of, missing: str) -> None:
    everything = registry_of().plugins
    with pytest.warns(MissingComponentWarning, match=f"pip install {missing}"):
        net = NeuralNetwork.load(trained, registry=registry_of(*(p.name for p in everything if p.name != missing)))
    before = net.params.copy()
    x, y = digits_like()
    with pytest.raises(ComponentNotFoundError, match=f"(?s)fit needs .*pip install {missing}"):
        net.fit(x, y, 16, 1, categorical=True, verbose=0)
    assert np.array_equal(net.params, before)
    net.predict(x)  # still predicts


def test_a_model_loaded_without_its_training_plugins_is_saved_whole(trained: Path, tmp_path: Path, registry_of) -> None:
    """Saved again and loaded where the plugins are, it resumes exactly as the original would."""
    with pytest.warns(MissingComponentWarning):
        partial = NeuralNetwork.load(trained, registry=registry_of("npnet-relu-softmax"))
    again = partial.save(tmp_path / "again.npz")
    original_config, again_config = read_model_config(trained), read_model_config(again)
    for key in ("components", "optimizer_state", "optimizer_arrays", "schedule_state", "updates", "rng"):
        assert again_config[key] == original_config[key], key
    full = registry_of()
    resumed, original = NeuralNetwork.load(again, registry=full), NeuralNetwork.load(trained, registry=full)
    x, y = digits_like()
    for net in (resumed, original):
        net.fit(x, y, 16, 2, categorical=True, verbose=0)
    np.testing.assert_array_equal(resumed.params, original.params)


def test_score_needs_the_loss(tmp_path: Path, official_registry: Registry) -> None:
    """Without the loss's plugin, predict and accuracy work; the loss raises with the install hint."""
    x = np.random.default_rng(0).normal(size=(20, 3))
    y = (x[:, 0] > 0).astype(int)
    net = NeuralNetwork([3, 4, 2], "relu", "softmax", "categorical_crossentropy", "sgd", registry=official_registry)
    path = net.save(tmp_path / "m.npz")

    class OnlyActivations:  # relu and softmax, without the losses of npnet-relu-softmax
        npnet_register_activations = staticmethod(npnet_relu_softmax.plugin.npnet_register_activations)

    registry = Registry(autoload=False, blocked=(), strict=False)
    registry.register_plugin(OnlyActivations(), "activations", distribution="activations", version="1")
    with pytest.warns(MissingComponentWarning, match="predict works; score and evaluate need the loss"):
        loaded = NeuralNetwork.load(path, registry=registry)
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))
    assert loaded.score(x, y, accuracy=True) == net.score(x, y, accuracy=True)
    with pytest.raises(
        ComponentNotFoundError, match="(?s)score needs the model's loss.*pip install npnet-relu-softmax"
    ):
        loaded.score(x, y)


def test_a_missing_activation_still_refuses_to_load(tmp_path: Path, official_registry: Registry, registry_of) -> None:
    net = NeuralNetwork([3, 4, 2], "tanh", "softmax", "categorical_crossentropy", "sgd", registry=official_registry)
    path = net.save(tmp_path / "m.npz")
    with pytest.raises(ComponentNotFoundError, match="pip install npnet-sigmoid-tanh"):
        NeuralNetwork.load(path, registry=registry_of("npnet-relu-softmax", "npnet-sgd-momentum"))


@pytest.mark.slow
def test_blocking_the_optimizer_plugin_leaves_predict_and_score_working(trained: Path) -> None:
    """The installed plugins, with NPNET_BLOCK_PLUGINS=npnet-adam, in a fresh interpreter."""
    script = textwrap.dedent(
        f"""
        import warnings
        import numpy as np
        from npnet_core import NeuralNetwork, ComponentNotFoundError
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            net = NeuralNetwork.load({str(trained)!r})
        print("warned:", [str(w.message) for w in caught])
        x = np.random.default_rng(0).uniform(size=(5, 8))
        print("predict:", net.predict(x, labels=True).tolist())
        print("score:", round(net.score(x, [0, 1, 2, 0, 1]), 3))
        try:
            net.fit(x, [0, 1, 2, 0, 1], 5, 1, categorical=True, verbose=0)
        except ComponentNotFoundError as exc:
            print("fit:", exc)
        """
    )
    env = {**os.environ, "NPNET_BLOCK_PLUGINS": "npnet-adam"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "pip install npnet-adam" in done.stdout.split("predict:")[0]
    assert "predict: [" in done.stdout and "score: " in done.stdout
    assert "fit: fit needs the model's optimizer" in done.stdout


def test_other_plugins_hooks_never_see_a_missing_loss(tmp_path: Path, official_registry: Registry, registry_of) -> None:
    """A third-party npnet_output_gradient hook that reads the loss's attributes does not stop the load."""
    from npnet_core import hookimpl

    class Fuser:
        @hookimpl
        def npnet_output_gradient(self, activation, loss):
            return None if loss.delta < 0 else None  # reads an attribute a Huber loss has

    net = NeuralNetwork([3, 4, 1], "relu", "identity", "huber", "sgd", registry=official_registry)
    path = net.save(tmp_path / "huber.npz")
    registry = registry_of("npnet-relu-softmax", "npnet-sgd-momentum", "npnet-initializers")
    registry.register_plugin(Fuser(), "fuser")
    with pytest.warns(MissingComponentWarning, match="pip install npnet-regression-losses"):
        loaded = NeuralNetwork.load(path, registry=registry)
    x = np.ones((2, 3))
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))


def test_a_placeholder_stands_in_for_its_own_model_only(trained: Path, registry_of) -> None:
    """A missing component taken from a loaded model into a new network is refused, not used."""
    from npnet_core import InvalidComponentError

    with pytest.warns(MissingComponentWarning):
        old = NeuralNetwork.load(trained, registry=registry_of("npnet-relu-softmax", "npnet-adam"))
    with pytest.raises(InvalidComponentError, match="already belongs to another network"):
        NeuralNetwork([8, 3], "relu", "softmax", "categorical_crossentropy", "adam", initializer=old.initializer)
    with pytest.raises(InvalidComponentError, match="whose plugin is not installed"):
        NeuralNetwork([8, 3], "relu", "softmax", "categorical_crossentropy", old.initializer)
