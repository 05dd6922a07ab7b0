"""Saving writes only what it owns: what it refuses to replace, links it writes through, and SIGTERM.

The targets are made here: a FIFO (os.mkfifo), a UNIX socket, a folder,
symbolic links (to a file, to nothing, to a FIFO, to themselves). The
character device is /dev/null, which is never opened for writing: the tests
that use it replace ``os.open`` and ``os.replace`` by functions that fail the
test, so the refusal is seen to come before anything is opened.
"""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, Iterator, List

import numpy as np
import pytest

from npnet_core import ModelFileError, ModelFileNotFoundError, NeuralNetwork, Registry
from npnet_core.io import atomic_write, check_writable

posix = pytest.mark.skipif(os.name != "posix", reason="POSIX file types and signals")


@pytest.fixture
def net(official_registry: Registry) -> NeuralNetwork:
    return NeuralNetwork(
        [4, 3, 2], "relu", "softmax", "categorical_crossentropy", "adam", seed=0, registry=official_registry
    )


def listing(folder: Path) -> List[str]:
    return sorted(os.listdir(folder))


def saves(net: NeuralNetwork) -> List[Any]:
    """The three ways npnet writes a file: a model, a parameter file, any file through atomic_write."""
    return [
        net.save,
        net.save_params,
        lambda path: atomic_write(Path(path), lambda handle: handle.write(b"data")),
        check_writable,
    ]


SAVE_IDS = ["save", "save_params", "atomic_write", "check_writable"]


# -- targets that are not regular files ---------------------------------------------------------


@posix
@pytest.mark.parametrize("save", range(4), ids=SAVE_IDS)
def test_a_fifo_is_refused_and_stays_a_fifo(tmp_path, net, save):
    """A FIFO at the target is refused naming it; it is still a FIFO afterwards, and nothing else is left."""
    fifo = tmp_path / "pipe.npy"  # .npy: save_params writes exactly this name
    os.mkfifo(fifo)
    with pytest.raises(
        ModelFileError, match=f"cannot write the .*{fifo}: it is a named pipe \\(FIFO\\), not a regular file"
    ):
        saves(net)[save](fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert listing(tmp_path) == ["pipe.npy"]


@pytest.fixture
def short_folder() -> Iterator[Path]:
    """A folder with a short path: a UNIX socket's path is limited to about 100 characters."""
    folder = Path(tempfile.mkdtemp(prefix="npnet-", dir="/tmp" if os.path.isdir("/tmp") else None))
    yield folder
    for name in os.listdir(folder):
        os.unlink(folder / name)
    os.rmdir(folder)


@posix
@pytest.mark.parametrize("save", range(4), ids=SAVE_IDS)
def test_a_socket_is_refused_and_stays_a_socket(short_folder, net, save):
    path = short_folder / "s.npy"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(ModelFileError, match="it is a socket, not a regular file"):
            saves(net)[save](path)
    assert stat.S_ISSOCK(os.lstat(path).st_mode)
    assert listing(short_folder) == ["s.npy"]


@pytest.mark.parametrize("save", range(4), ids=SAVE_IDS)
def test_a_folder_is_refused_and_left_alone(tmp_path, net, save):
    folder = tmp_path / "models.npy"
    folder.mkdir()
    with pytest.raises(ModelFileError, match="it is a folder, not a regular file"):
        saves(net)[save](folder)
    assert folder.is_dir() and listing(folder) == [] and listing(tmp_path) == ["models.npy"]


@pytest.fixture
def nothing_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything is opened or replaced: /dev/null must be refused before."""

    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"opened or replaced {args}: the refusal did not come first")

    monkeypatch.setattr(os, "open", forbidden)
    monkeypatch.setattr(os, "replace", forbidden)


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
@pytest.mark.parametrize("save", [0, 2, 3], ids=[SAVE_IDS[i] for i in (0, 2, 3)])
def test_dev_null_is_refused_before_anything_is_opened(net, nothing_opened, save):
    """`npnet train --save /dev/null` as root would have replaced /dev/null with a regular file.

    (save_params writes /dev/null.npy, as np.save would: a link named .npy to /dev/null stands for it below.)
    """
    with pytest.raises(ModelFileError, match="/dev/null: it is a character device, not a regular file"):
        saves(net)[save]("/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


# -- symbolic links ---------------------------------------------------------------------------------


@posix
def test_a_link_to_a_file_is_written_through(tmp_path, net, official_registry):
    """Saving to a symbolic link writes the file it points to (in its own folder); the link stays a link."""
    (tmp_path / "store").mkdir()
    (tmp_path / "work").mkdir()
    real = tmp_path / "store" / "model.npz"
    real.write_bytes(b"an old model")
    link = tmp_path / "work" / "current.npz"
    link.symlink_to(os.path.join("..", "store", "model.npz"))
    assert check_writable(link) == real.resolve()
    net.save(link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("..", "store", "model.npz")
    assert listing(tmp_path / "work") == ["current.npz"] and listing(tmp_path / "store") == ["model.npz"]
    loaded = NeuralNetwork.load(real, registry=official_registry)
    assert np.array_equal(loaded.params, net.params)


@posix
def test_a_link_to_a_link_to_a_file_is_written_through(tmp_path, net):
    real = tmp_path / "w.npy"
    real.write_bytes(b"old")
    (tmp_path / "one.npy").symlink_to(real)
    (tmp_path / "two.npy").symlink_to(tmp_path / "one.npy")
    net.save_params(tmp_path / "two.npy")
    assert np.array_equal(np.load(real), net.params)
    assert (tmp_path / "one.npy").is_symlink() and (tmp_path / "two.npy").is_symlink()


@posix
@pytest.mark.parametrize("save", range(4), ids=SAVE_IDS)
def test_a_dangling_link_is_refused_and_nothing_is_created(tmp_path, net, save):
    link = tmp_path / "m.npy"
    link.symlink_to(tmp_path / "nowhere.npy")
    with pytest.raises(ModelFileError, match="it is a symbolic link to .*nowhere.npy, which does not exist"):
        saves(net)[save](link)
    assert listing(tmp_path) == ["m.npy"] and link.is_symlink()


@posix
@pytest.mark.parametrize("save", range(4), ids=SAVE_IDS)
def test_a_link_to_a_fifo_is_refused(tmp_path, net, save):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "m.npy").symlink_to(tmp_path / "pipe")
    with pytest.raises(ModelFileError, match="symbolic link to .*pipe, which is a named pipe"):
        saves(net)[save](tmp_path / "m.npy")
    assert stat.S_ISFIFO(os.stat(tmp_path / "pipe").st_mode) and listing(tmp_path) == ["m.npy", "pipe"]


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
@pytest.mark.parametrize("save", range(4), ids=SAVE_IDS)
def test_a_link_to_dev_null_is_refused_before_anything_is_opened(tmp_path, net, save, monkeypatch):
    link = tmp_path / "m.npy"
    link.symlink_to("/dev/null")
    with monkeypatch.context() as patched:
        patched.setattr(os, "open", lambda *a, **k: pytest.fail("opened"))
        patched.setattr(os, "replace", lambda *a, **k: pytest.fail("replaced"))
        with pytest.raises(ModelFileError, match="symbolic link to /dev/null, which is a character device"):
            saves(net)[save](link)
    assert link.is_symlink()


@posix
def test_a_loop_of_links_is_refused(tmp_path, net):
    (tmp_path / "a.npz").symlink_to(tmp_path / "b.npz")
    (tmp_path / "b.npz").symlink_to(tmp_path / "a.npz")
    with pytest.raises(ModelFileError, match="cannot write the model file .*a.npz"):
        net.save(tmp_path / "a.npz")
    assert listing(tmp_path) == ["a.npz", "b.npz"]


@pytest.mark.parametrize("name", ["a\0b.npy", "x" * 5000 + ".npy"], ids=["nul", "too-long"])
@pytest.mark.parametrize("save", range(4), ids=SAVE_IDS)
def test_a_path_that_cannot_name_a_file_is_a_model_file_error(tmp_path, net, save, name):
    with pytest.raises(ModelFileError, match="cannot write the "):
        saves(net)[save](str(tmp_path / name))
    assert listing(tmp_path) == []


# -- folders that cannot be written --------------------------------------------------------------------


def test_a_missing_folder_is_refused_by_check_writable(tmp_path):
    with pytest.raises(ModelFileNotFoundError, match="the folder .*missing does not exist; create it first"):
        check_writable(tmp_path / "missing" / "m.npz")


def test_a_folder_where_nothing_can_be_created_names_the_target_not_the_temporary_file(tmp_path, net, monkeypatch):
    """Permission denied creating the temporary file: the error names the model file and its folder (no '.tmp')."""
    real_open = os.open

    def denied(name: Any, flags: int, *args: Any) -> int:
        if flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied", name)
        return real_open(name, flags, *args)

    monkeypatch.setattr(os, "open", denied)
    for call in (lambda: net.save(tmp_path / "m.npz"), lambda: check_writable(tmp_path / "m.npz", "model file")):
        with pytest.raises(ModelFileError) as excinfo:
            call()
        text = str(excinfo.value)
        assert text.startswith(
            f"cannot write the model file {tmp_path / 'm.npz'}: the folder {tmp_path} is not writable"
        )
        assert ".tmp" not in text
    assert listing(tmp_path) == []


@posix
@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes in read-only folders")
def test_a_read_only_folder_is_refused_before_any_work(tmp_path, net):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ModelFileError, match="is not writable"):
            check_writable(folder / "m.npz")
        with pytest.raises(ModelFileError, match="is not writable"):
            net.save(folder / "m.npz")
    finally:
        folder.chmod(0o700)
    assert listing(folder) == []


def test_check_writable_leaves_nothing_and_returns_the_file(tmp_path):
    """check_writable tries the folder with a temporary file, removed at once; an existing file is untouched."""
    assert check_writable(tmp_path / "m.npz") == tmp_path / "m.npz"
    assert listing(tmp_path) == []
    (tmp_path / "m.npz").write_bytes(b"old")
    check_writable(tmp_path / "m.npz")
    assert listing(tmp_path) == ["m.npz"] and (tmp_path / "m.npz").read_bytes() == b"old"


# -- SIGTERM ----------------------------------------------------------------------------------------------

SIGTERM_CHILD = """
import os, signal, sys, time
import numpy as np
from npnet_core import NeuralNetwork

net = NeuralNetwork([4, 3, 2], "relu", "softmax", "categorical_crossentropy", "adam", seed=1)
real_savez = np.savez

def savez_then_terminated(handle, **arrays):
    handle.write(b"PK\\x03\\x04 the first bytes of the new model")
    handle.flush()
    os.kill(os.getpid(), signal.SIGTERM)  # as `kill <pid>` would, mid-write
    time.sleep(10)  # not reached: the handler runs at once
    real_savez(handle, **arrays)

np.savez = savez_then_terminated
net.save(sys.argv[1])
print("survived")
"""


@posix
def test_sigterm_during_a_save_removes_the_temporary_file_and_ends_the_process(tmp_path, official_registry):
    """A save terminated midway: the process still ends by SIGTERM, the old model is intact, no .tmp is left."""
    path = tmp_path / "model.npz"
    NeuralNetwork([4, 3, 2], "relu", "softmax", "mse", "sgd", seed=0, registry=official_registry).save(path)
    before = path.read_bytes()
    result = subprocess.run(
        [sys.executable, "-c", SIGTERM_CHILD, str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == -signal.SIGTERM, (result.returncode, result.stdout, result.stderr)
    assert "survived" not in result.stdout
    assert listing(tmp_path) == ["model.npz"]
    assert path.read_bytes() == before


def test_the_programs_own_sigterm_handler_is_kept(tmp_path, net, monkeypatch):
    """A SIGTERM handler of the program is left in place during the save (and SIG_DFL is back after ours)."""
    if os.name != "posix":
        pytest.skip("POSIX signals")
    seen = []
    real_savez = np.savez

    def savez(handle: Any, **arrays: Any) -> None:
        seen.append(signal.getsignal(signal.SIGTERM))
        real_savez(handle, **arrays)

    monkeypatch.setattr(np, "savez", savez)

    def handler(signum: int, frame: Any) -> None:  # pragma: no cover - never called
        pass

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        net.save(tmp_path / "a.npz")
        assert signal.getsignal(signal.SIGTERM) is handler
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        net.save(tmp_path / "b.npz")
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert seen[0] is handler and seen[1] not in (handler, signal.SIG_DFL)  # ours, during the second save only


def test_saving_from_another_thread_works(tmp_path, net):
    """Outside the main thread no handler is installed (Python allows none there): the save works as before."""
    errors: List[BaseException] = []

    def save() -> None:
        try:
            net.save(tmp_path / "m.npz")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=save)
    thread.start()
    thread.join(60)
    assert errors == [] and listing(tmp_path) == ["m.npz"]


def test_a_replaced_file_keeps_its_permissions(tmp_path, official_registry):
    """Saving over a private (0600) model, directly or through a link, leaves it private, as editors do."""
    net = NeuralNetwork(
        [3, 2], "relu", "softmax", "categorical_crossentropy", "adam", seed=0, registry=official_registry
    )
    private = tmp_path / "private.npz"
    net.save(private)
    os.chmod(private, 0o600)
    link = tmp_path / "link.npz"
    link.symlink_to(private)
    for path in (private, link):
        net.save(path)
        assert stat.S_IMODE(os.stat(private).st_mode) == 0o600 and link.is_symlink()
