"""The npnet command: train on the embedded digits, list plugins, fail cleanly."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from npnet_core import NeuralNetwork
from npnet_core.cli import main


def test_train_prints_epochs_and_the_test_accuracy(capsys):
    """npnet train prints one line per epoch and a test accuracy that reflects learning."""
    assert main(["train", "--epochs", "5", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert len(re.findall(r"^Epoch \d+/5 - loss: ", out, flags=re.MULTILINE)) == 5
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", out).group(1))
    assert 0.85 <= accuracy <= 1.0


def test_train_saves_a_loadable_model(tmp_path, capsys):
    """npnet train --save writes a model that loads and has the trained layers and optimizer."""
    path = tmp_path / "model.npz"
    assert main(["train", "--epochs", "1", "--hidden", "16", "8", "--optimizer", "sgd", "--save", str(path)]) == 0
    net = NeuralNetwork.load(path)
    assert net.layers == [64, 16, 8, 10]
    assert net.component_specs["optimizer"].name == "sgd"


def test_unknown_optimizer_is_a_one_line_error_without_traceback(capsys):
    """A misspelled component name exits 1 with npnet's message, not a traceback."""
    assert main(["train", "--optimizer", "adma"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("npnet: error: no optimizer named 'adma'; did you mean 'adam'?")
    assert "Traceback" not in err


def test_bad_argument_exits_with_usage(capsys):
    """A non-positive --epochs is refused by the argument parser with exit status 2."""
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--epochs", "0"])
    assert exit_info.value.code == 2
    assert "expected a positive integer" in capsys.readouterr().err


def test_plugins_lists_the_official_distributions(capsys):
    """npnet plugins lists each plugin with its distribution, version and components."""
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "relu-softmax: npnet-relu-softmax 0.1.0" in out
    assert "losses: mean_squared_error (aliases: mse), categorical_crossentropy" in out
    assert "adam: npnet-adam 0.1.0" in out


def test_module_entry_runs_as_a_subprocess():
    """python -m npnet_core --help works from a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-m", "npnet_core", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "train" in result.stdout and "plugins" in result.stdout
