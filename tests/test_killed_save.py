"""A process killed while saving never leaves a broken model file behind, nor (on SIGTERM) a temporary file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from npnet_core import NeuralNetwork

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL and SIGTERM")]

# The child saves a large model (about 32 MB) over the same path again and again.
CHILD = """
import sys
from npnet_core import NeuralNetwork
net = NeuralNetwork([2000, 2000, 10], "relu", "softmax", "categorical_crossentropy", "adam", seed=1)
print("ready", flush=True)
while True:
    net.save(sys.argv[1])
"""


def kill_midway(tmp_path: Path, path: Path, signum: int) -> int:
    """Start a child saving over ``path`` again and again, send it ``signum`` during a write; its exit code."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        # wait until a write is in progress: its temporary file exists beside the target
        while not list(tmp_path.glob(".model.npz.*.tmp")):
            assert time.monotonic() < deadline, "the child never started writing"
            time.sleep(0.001)
        os.kill(child.pid, signum)
    finally:
        child.wait(timeout=30)
        assert child.stdout is not None
        child.stdout.close()
    return child.returncode


def test_a_save_killed_midway_leaves_the_previous_or_the_new_file_intact(tmp_path: Path) -> None:
    """SIGKILL during save: the path still holds a complete, loadable model (old or new), never a torn one."""
    path = tmp_path / "model.npz"
    old = NeuralNetwork([2000, 2000, 10], "relu", "softmax", "categorical_crossentropy", "adam", seed=0)
    old.save(path)
    assert kill_midway(tmp_path, path, signal.SIGKILL) == -signal.SIGKILL
    loaded = NeuralNetwork.load(path)  # complete and consistent, whichever it is
    assert loaded.layers == [2000, 2000, 10]
    seed_0, seed_1 = (
        NeuralNetwork([2000, 2000, 10], "relu", "softmax", "categorical_crossentropy", "adam", seed=s).params
        for s in (0, 1)
    )
    assert np.array_equal(loaded.params, seed_0) or np.array_equal(loaded.params, seed_1)


def test_a_save_terminated_midway_leaves_no_temporary_file(tmp_path: Path) -> None:
    """SIGTERM during save (what `kill`, systemd and schedulers send): the process ends by SIGTERM as before,
    the path holds a complete model, and the temporary file is removed (repeated kills used to pile them up)."""
    path = tmp_path / "model.npz"
    NeuralNetwork([2000, 2000, 10], "relu", "softmax", "categorical_crossentropy", "adam", seed=0).save(path)
    for _ in range(3):
        assert kill_midway(tmp_path, path, signal.SIGTERM) == -signal.SIGTERM
        assert sorted(os.listdir(tmp_path)) == ["model.npz"]
    assert NeuralNetwork.load(path).layers == [2000, 2000, 10]


def test_sigterm_ends_the_process_even_when_a_library_cleanup_replaces_the_exception(tmp_path: Path) -> None:
    """zipfile's own cleanup raises ValueError over the interruption (seen with np.savez): SIGTERM still ends
    the process by SIGTERM, and the temporary file is still removed."""
    child = f"""
import os, signal
from pathlib import Path
from npnet_core import _files

def write(handle):
    handle.write(b"partial")
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):
            pass
    finally:
        raise ValueError("a library's cleanup failed over the interruption")

_files.atomic_write(Path({str(tmp_path / "model.npz")!r}), write)
"""
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGTERM, done.stderr
    assert os.listdir(tmp_path) == []
