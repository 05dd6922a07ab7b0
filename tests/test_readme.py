"""The Python examples in README.md run as written, in order."""

from __future__ import annotations

import contextlib
import io
import re
import types
from pathlib import Path

import numpy as np

from npnet_core import NeuralNetwork
from npnet_core.testing import central_difference

README = Path(__file__).resolve().parent.parent / "README.md"


def _python_blocks(text: str):
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_readme_python_examples_run(tmp_path, monkeypatch):
    """Every ```python block runs, sharing one namespace as a reader's session would."""
    monkeypatch.chdir(tmp_path)
    blocks = _python_blocks(README.read_text())
    assert len(blocks) >= 4
    namespace: dict = {"__name__": "readme"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for block in blocks:
            exec(compile(block, "README example", "exec"), namespace)
    output = printed.getvalue()
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", output).group(1))
    assert accuracy >= 0.95
    assert float(re.search(r"test f1: ([0-9.]+)", output).group(1)) >= 0.95  # dropout, cosine schedule, adamw
    assert "did you mean 'adam'" in output
    assert float(output.strip().splitlines()[-1]) >= 0.9  # the article-style network learned
    assert (tmp_path / "digits-model.npz").exists()


def test_readme_plugin_example_registers_a_usable_activation(official_registry):
    """The README's plugin module, registered, makes "softsign" usable by name with an exact gradient."""
    namespace: dict = {}
    plugin_block = next(b for b in _python_blocks(README.read_text()) if "@hookimpl" in b)
    exec(compile(plugin_block, "README plugin", "exec"), namespace)
    official_registry.register_plugin(types.SimpleNamespace(**namespace), "npnet-softsign")

    net = NeuralNetwork([3, 4, 2], "softsign", "identity", "mse", "sgd", seed=0, registry=official_registry)
    x, y = np.random.default_rng(0).normal(size=(5, 3)), np.zeros((5, 2))
    expected = central_difference(lambda p: net.score(x, y), net.params)
    zs, activations = net._forward(x)
    net._backward(zs, activations, y)
    np.testing.assert_allclose(net.gradient, expected, rtol=1e-6, atol=1e-9)
    assert type(net.hidden_activation).__name__ == "Softsign"
    z = np.array([[-3.0, 0.0, 1.0]])  # a = z / (1 + |z|), worked by hand
    np.testing.assert_allclose(net.hidden_activation.forward(z), [[-0.75, 0.0, 0.5]])
