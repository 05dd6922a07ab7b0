"""The summary of a network (``net.summary()``, ``str(net)``, the table of ``npnet info``).

The numbers are counted by hand: a dense layer of ``fan_in`` inputs and
``fan_out`` outputs has ``fan_in * fan_out`` weights and ``fan_out`` biases;
the providers' versions come from the installed distributions' metadata.
"""

from __future__ import annotations

import math
import re
from importlib.metadata import version

import numpy as np
import pytest

from npnet_core import MissingComponentWarning, NeuralNetwork, Registry
from npnet_core._summary import summary as summary_function


def layer_rows(text: str):
    """The layer table's rows: [(index, fan_in, fan_out, activation, parameters)]."""
    return [
        (int(i), int(a), int(b), activation, int(params))
        for i, a, b, activation, params in re.findall(
            r"^(\d+) \(Dense\) +(\d+) -> (\d+) +(\S+) +(\d+)$", text, flags=re.MULTILINE
        )
    ]


def component_row(text: str, label: str) -> str:
    """The components table's row for ``label``, its cells separated by two spaces or more."""
    found = re.search(rf"^{re.escape(label)}  .*$", text, flags=re.MULTILINE)
    assert found, text
    return found.group(0)


def test_layers_and_totals_of_a_digits_network():
    """64 -> 64 -> 10: 64*64+64 = 4160 and 64*10+10 = 650 parameters, 4810 in all, 38480 bytes in float64."""
    net = NeuralNetwork([64, 64, 10], "relu", "softmax", "categorical_crossentropy", "adam", seed=0)
    text = net.summary()
    assert text.splitlines()[0] == "NeuralNetwork 64 -> 64 -> 10 (float64)"
    assert layer_rows(text) == [(1, 64, 64, "relu", 4160), (2, 64, 10, "softmax", 650)]
    assert "Total parameters: 4810 (37.6 KiB of float64)" in text  # 38480 / 1024 = 37.58
    assert "Updates so far: 0 (no epochs trained)" in text
    assert net.n_params == 4810  # the network agrees with the hand count


def test_float32_halves_the_bytes_and_per_layer_activations_get_a_row_each():
    """Three layers with an activation each; 4 bytes a parameter in float32."""
    net = NeuralNetwork(
        [5, 7, 3, 2], ["relu", "tanh"], "softmax", "categorical_crossentropy", "sgd", seed=0, dtype="float32"
    )
    text = net.summary()
    # 5*7+7 = 42, 7*3+3 = 24, 3*2+2 = 8: 74 parameters, 296 bytes
    assert layer_rows(text) == [(1, 5, 7, "relu", 42), (2, 7, 3, "tanh", 24), (3, 3, 2, "softmax", 8)]
    assert "Total parameters: 74 (296 bytes of float32)" in text
    assert re.search(r"^hidden activation 1 +relu +npnet-relu-softmax ", text, flags=re.MULTILINE)
    assert re.search(r"^hidden activation 2 +tanh +npnet-sigmoid-tanh ", text, flags=re.MULTILINE)


def test_every_component_with_its_provider_and_parameters():
    """Loss, optimizer, initializer, each regularizer, the schedule: name, distribution, version, parameters."""
    net = NeuralNetwork(
        [4, 8, 3],
        "relu",
        "softmax",
        "categorical_crossentropy",
        ("adam", {"learning_rate": 0.003}),
        seed=0,
        initializer="he_normal",
        regularizers=[("l2", {"factor": 1e-4}), ("dropout", {"rate": 0.2})],
        schedule=("cosine", {"total_steps": 300}),
    )
    text = net.summary()
    expected = [
        ("hidden activation", "relu", "npnet-relu-softmax"),
        ("output activation", "softmax", "npnet-relu-softmax"),
        ("loss", "categorical_crossentropy", "npnet-relu-softmax"),
        ("optimizer", "adam", "npnet-adam"),
        ("initializer", "he_normal", "npnet-initializers"),
        ("regularizer", "l2", "npnet-regularizers"),
        ("regularizer", "dropout", "npnet-regularizers"),
        ("schedule", "cosine", "npnet-schedules"),
    ]
    rows = re.findall(r"^([a-z ]+?)  +(\S+)  +(\S+) (\S+)$", text, flags=re.MULTILINE)
    assert rows == [(label, name, dist, version(dist)) for label, name, dist in expected]
    adam = re.search(r"^optimizer .*\n  parameters: (.*)$", text, flags=re.MULTILINE).group(1)
    assert adam.startswith("learning_rate=0.003, beta_1=0.9, beta_2=0.999")
    assert re.search(r"^regularizer +l2 .*\n  parameters: factor=0\.0001$", text, flags=re.MULTILINE)
    assert re.search(r"^regularizer +dropout .*\n  parameters: rate=0\.2$", text, flags=re.MULTILINE)
    assert re.search(r"^schedule .*\n  parameters: total_steps=300, ", text, flags=re.MULTILINE)
    # the rules are as wide as the widest row of the tables
    width = max(len(line) for line in text.splitlines() if not line.startswith("  parameters"))
    assert "=" * width in text.splitlines()


def test_updates_so_far_after_training():
    """After fit: epochs * ceil(samples / batch size) updates."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 3)), rng.integers(0, 2, size=50)
    net = NeuralNetwork([3, 4, 2], "relu", "softmax", "categorical_crossentropy", "sgd", seed=0)
    net.fit(x, y, 16, 3, categorical=True, verbose=0)
    assert f"Updates so far: {3 * math.ceil(50 / 16)} (3 epochs trained)" in net.summary()  # 12 updates


class StepOptimizer:
    """Gradient descent with a fixed step, registered by no plugin."""

    name = "step"

    def update(self, params, gradient):
        return params - 0.1 * gradient

    def get_config(self):
        return {"step": 0.1}

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass

    def __repr__(self):
        return "StepOptimizer(step=0.1)"


def test_a_component_given_as_an_object_shows_its_repr():
    """No name to make it again by: its repr, and the provider (object)."""
    optimizer = StepOptimizer()
    net = NeuralNetwork([2, 2], "relu", "softmax", "categorical_crossentropy", optimizer, seed=0)
    text = net.summary()
    assert net.component_specs["optimizer"] is None  # made by no name
    assert re.split(r"\s{2,}", component_row(text, "optimizer")) == ["optimizer", "StepOptimizer(step=0.1)", "(object)"]
    assert re.search(r"^optimizer .*\n  parameters: step=0\.1$", text, flags=re.MULTILINE)


def test_no_hidden_layers_leaves_the_hidden_activation_unused():
    net = NeuralNetwork([3, 2], "relu", "softmax", "categorical_crossentropy", "sgd", seed=0)
    text = net.summary()
    assert layer_rows(text) == [(1, 3, 2, "softmax", 8)]
    assert component_row(text, "hidden activation").endswith("(unused: no hidden layers)")


def test_a_missing_plugin_says_what_to_install(tmp_path):
    """A model loaded without the plugin of its optimizer: the row says pip install npnet-adam."""
    import npnet_initializers.plugin
    import npnet_relu_softmax.plugin

    path = NeuralNetwork([3, 4, 2], "relu", "softmax", "categorical_crossentropy", "adam", seed=0).save(
        tmp_path / "m.npz"
    )
    registry = Registry(autoload=False, blocked=(), strict=False)
    for module, distribution in (
        (npnet_relu_softmax.plugin, "npnet-relu-softmax"),
        (npnet_initializers.plugin, "npnet-initializers"),
    ):
        registry.register_plugin(module, distribution, distribution=distribution)
    with pytest.warns(MissingComponentWarning):
        net = NeuralNetwork.load(path, registry=registry)
    row = component_row(net.summary(), "optimizer")
    assert re.split(r"\s{2,}", row) == [
        "optimizer",
        "adam",
        f"npnet-adam {version('npnet-adam')}",
        "not installed (pip install npnet-adam)",
    ]
    assert "parameters: learning_rate=0.001" in net.summary()  # the saved parameters


def test_str_is_the_summary_and_repr_is_unchanged():
    """print(net) prints the summary; repr stays the constructor call."""
    net = NeuralNetwork([3, 2], "relu", "softmax", "categorical_crossentropy", "sgd", seed=0)
    assert str(net) == net.summary() == summary_function(net)
    assert repr(net).startswith("NeuralNetwork([3, 2], 'relu', 'softmax'")
