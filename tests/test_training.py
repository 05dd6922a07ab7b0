"""fit beyond the article: validation, early stopping, history, progress, training hooks."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np
import pytest

from npnet_core import NeuralNetwork, ValidationError, hookimpl, to_categorical
from npnet_core import _progress as progress_module


def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    x = rng.normal(size=(n, 4)) + labels[:, None]
    return x, labels


def _net(optimizer="adam", seed=0, **options):
    return NeuralNetwork([4, 8, 3], "relu", "softmax", "categorical_crossentropy", optimizer, seed=seed, **options)


class Frozen:
    """An article-style optimizer that never changes the parameters."""

    def update(self, params, gradient):
        return params


class Recorder:
    """A callback plugin that records the training events it sees."""

    def __init__(self, stop_at=None):
        self.events, self.params, self.stop_at = [], [], stop_at

    @hookimpl
    def npnet_on_train_begin(self, network, epochs):
        self.events.append(("begin", epochs))

    @hookimpl
    def npnet_on_epoch_end(self, network, epoch, logs):
        self.events.append(("epoch", epoch, dict(logs)))
        self.params.append(network.params.copy())
        return epoch == self.stop_at

    @hookimpl
    def npnet_on_train_end(self, network, history):
        self.events.append(("end", len(history["loss"])))


# -- validation -------------------------------------------------------------------------


def test_validation_split_holds_out_the_last_samples():
    """validation_split=f trains on the first samples and validates on the last ceil(f n), as Keras does."""
    x, y = _data()
    split = _net()
    split.fit(x, y, 8, 3, categorical=True, validation_split=0.25, verbose=0)
    explicit = _net()
    explicit.fit(x[:45], y[:45], 8, 3, categorical=True, validation_data=(x[45:], y[45:]), verbose=0)
    np.testing.assert_array_equal(split.params, explicit.params)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert split.history[key] == explicit.history[key]


def test_history_holds_train_and_validation_metrics_per_epoch():
    """history: loss, accuracy, val_loss, val_accuracy, epoch_time; the last val_loss is score() on the validation data."""
    x, y = _data()
    net = _net()
    losses = net.fit(x[:40], y[:40], 8, 4, categorical=True, validation_data=(x[40:], y[40:]), verbose=0)
    assert set(net.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "epoch_time"}
    assert all(len(values) == 4 for values in net.history.values())
    assert net.history["loss"] == losses.tolist()
    assert net.history["val_loss"][-1] == pytest.approx(net.score(x[40:], y[40:]))
    assert net.history["val_accuracy"][-1] == net.score(x[40:], y[40:], accuracy=True)


def test_training_accuracy_is_measured_on_each_batch_before_its_update():
    """With parameters that never change, the epoch's accuracy equals score(accuracy=True) on the training data."""
    x, y = _data()
    net = _net(optimizer=Frozen())
    net.fit(x, y, 7, 1, categorical=True, verbose=0)
    assert net.history["accuracy"] == [net.score(x, y, accuracy=True)]


def test_validation_labels_may_be_integers_or_one_hot():
    """validation_data accepts labels or one-hot rows with the same result."""
    x, y = _data()
    with_labels, with_one_hot = _net(), _net()
    with_labels.fit(x[:40], y[:40], 8, 2, categorical=True, validation_data=(x[40:], y[40:]), verbose=0)
    with_one_hot.fit(
        x[:40], y[:40], 8, 2, categorical=True, validation_data=(x[40:], to_categorical(y[40:], 3)), verbose=0
    )
    assert with_labels.history["val_loss"] == with_one_hot.history["val_loss"]


def test_a_regressor_records_no_accuracy():
    """A one-output network has loss and val_loss in its history but no accuracy."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 2))
    net = NeuralNetwork([2, 4, 1], "relu", "identity", "mse", "adam", seed=0)
    net.fit(x, x.sum(axis=1), 5, 2, validation_split=0.2, verbose=0)
    assert set(net.history) == {"loss", "val_loss", "epoch_time"}


@pytest.mark.parametrize(
    "options, message",
    [
        ({"validation_split": 1.0}, "fraction in \\[0, 1\\)"),
        ({"validation_split": -0.1}, "fraction in \\[0, 1\\)"),
        ({"validation_split": "0.2"}, "fraction in \\[0, 1\\)"),
        ({"validation_split": 0.2, "validation_data": ([[0.0] * 4], [0])}, "not both"),
        ({"validation_data": [[0.0] * 4]}, "pair \\(x_val, y_val\\)"),
        ({"validation_data": (np.ones((2, 5)), [0, 1])}, "x_val must have 4 columns"),
        ({"early_stopping": 3}, "give validation_data or validation_split"),
        ({"early_stopping": 0, "validation_split": 0.2}, "patience"),
        ({"verbose": 3}, "verbose must be 0"),
    ],
)
def test_bad_training_options_are_refused_before_training(options, message):
    """Wrong validation, early-stopping and verbosity options raise ValidationError; nothing changes."""
    x, y = _data()
    net = _net()
    before = net.params.tobytes()
    with pytest.raises(ValidationError, match=message):
        net.fit(x, y, 8, 2, categorical=True, **options)
    assert net.params.tobytes() == before and net.history == {}


# -- early stopping -------------------------------------------------------------------


def test_early_stopping_stops_after_patience_and_restores_the_best_epoch():
    """Training stops `patience` epochs after the best validation loss, with that epoch's parameters back."""
    x, y = _data(n=90, seed=1)
    # a learning rate so high that the validation loss soon gets worse
    net = _net(optimizer=("sgd", {"learning_rate": 3.0}), seed=2)
    recorder = Recorder()
    losses = net.fit(
        x, y, 8, 40, categorical=True, validation_split=0.3, early_stopping=3, verbose=0, callbacks=[recorder]
    )
    val = net.history["val_loss"]
    best = int(np.argmin(val))
    assert len(losses) == len(val) == best + 1 + 3 < 40
    np.testing.assert_array_equal(net.params, recorder.params[best])


def test_early_stopping_never_triggers_while_the_validation_loss_improves():
    """If the validation loss improves every epoch, all epochs run and the last parameters stay."""
    x, y = _data()
    net = _net(optimizer=("adam", {"learning_rate": 1e-3}))
    recorder = Recorder()
    net.fit(x, y, 8, 5, categorical=True, validation_split=0.2, early_stopping=2, verbose=0, callbacks=[recorder])
    assert np.all(np.diff(net.history["val_loss"]) < 0)  # the premise: improving throughout
    assert len(net.history["loss"]) == 5
    np.testing.assert_array_equal(net.params, recorder.params[-1])


# -- training hooks -------------------------------------------------------------------


def test_callbacks_see_every_event_and_can_stop_training():
    """A callback gets train begin, each epoch's logs and train end; returning True stops after that epoch."""
    x, y = _data()
    net = _net()
    recorder = Recorder(stop_at=3)
    losses = net.fit(x, y, 8, 10, categorical=True, validation_split=0.2, verbose=0, callbacks=[recorder])
    assert len(losses) == 3
    assert recorder.events[0] == ("begin", 10) and recorder.events[-1] == ("end", 3)
    epochs = [event for event in recorder.events if event[0] == "epoch"]
    assert [e[1] for e in epochs] == [1, 2, 3]
    assert set(epochs[0][2]) == {"loss", "accuracy", "val_loss", "val_accuracy", "epoch_time"}
    assert not net.registry.plugin_manager.is_registered(recorder)  # registered for that call only


def test_a_plugin_in_the_registry_observes_every_network(official_registry):
    """A plugin registered in the registry receives the training events of networks that use it."""
    recorder = Recorder()
    official_registry.register_plugin(recorder, "observer")
    net = NeuralNetwork(
        [4, 3], "relu", "softmax", "categorical_crossentropy", "sgd", seed=0, registry=official_registry
    )
    x, y = _data()
    net.fit(x, y, 8, 2, categorical=True, verbose=0)
    assert [e[0] for e in recorder.events] == ["begin", "epoch", "epoch", "end"]


def test_hook_specs_validate_training_hook_implementations(official_registry):
    """A training hook with a misspelled argument is refused when registered."""

    class Misspelled:
        @hookimpl
        def npnet_on_epoch_end(self, network, epoch, metrics):
            pass

    with pytest.raises(Exception, match="metrics"):
        official_registry.register_plugin(Misspelled(), "misspelled")


# -- progress ---------------------------------------------------------------------------


def test_verbose_2_prints_one_line_per_epoch_with_every_metric(capsys):
    """verbose=2: 'Epoch i/n - loss: ... - accuracy: ... - val_loss: ... - val_accuracy: ... - t s'."""
    x, y = _data()
    _net().fit(x, y, 8, 2, categorical=True, validation_split=0.2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("Epoch 2/2 - loss: ")
    assert " - accuracy: " in lines[1] and " - val_loss: " in lines[1] and " - val_accuracy: " in lines[1]
    assert lines[1].endswith("s")


class FakeTqdm:
    """Records what a tqdm bar is asked to do."""

    bars: list = []

    def __init__(self, total, desc, **options):
        self.total, self.desc, self.n, self.postfix, self.closed = total, desc, 0, "", False
        FakeTqdm.bars.append(self)

    def update(self, k):
        self.n += k

    def set_postfix_str(self, text, refresh=True):
        self.postfix = text

    def close(self):
        self.closed = True


def test_verbose_1_on_a_terminal_shows_one_bar_per_epoch(monkeypatch):
    """On a terminal with tqdm, each epoch gets a bar over its batches, closed with the epoch's metrics."""
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    FakeTqdm.bars = []
    monkeypatch.setitem(sys.modules, "tqdm.auto", type(sys)("tqdm.auto"))
    sys.modules["tqdm.auto"].tqdm = FakeTqdm
    x, y = _data()
    _net().fit(x, y, 8, 3, categorical=True, verbose=1)
    assert [bar.desc for bar in FakeTqdm.bars] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert all(bar.n == bar.total == 8 and bar.closed for bar in FakeTqdm.bars)  # ceil(60 / 8) batches
    assert FakeTqdm.bars[-1].postfix.startswith("loss: ")
    assert sys.stdout.getvalue() == ""  # the bar is the only output


def test_verbose_1_without_a_terminal_prints_lines(capsys):
    """Output to a pipe or file gets one line per epoch, never per batch."""
    x, y = _data()
    _net().fit(x, y, 2, 2, categorical=True, verbose=1)
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_format_metrics_skips_undefined_values():
    """NaN metrics (none defined) are left out; the time comes last."""
    logs = {"loss": 0.5, "accuracy": float("nan"), "epoch_time": 0.25}
    text = progress_module.format_metrics(logs)
    assert text == f"loss: {logs['loss']:.4f} - {logs['epoch_time']:.2f}s"  # as documented: "loss: 0.1234 - 0.05s"


def test_history_stays_aligned_across_fits_with_and_without_validation(tmp_path):
    """Every history list has one entry per epoch; metrics missing from an epoch are NaN and survive saving."""
    x, y = _data()
    net = _net()
    net.fit(x, y, 8, 2, categorical=True, validation_split=0.2, verbose=0)
    net.fit(x, y, 8, 2, categorical=True, verbose=0)
    assert {len(values) for values in net.history.values()} == {4}
    assert np.isnan(net.history["val_loss"][2:]).all() and np.isfinite(net.history["val_loss"][:2]).all()
    loaded = NeuralNetwork.load(net.save(tmp_path / "m.npz"))
    np.testing.assert_array_equal(loaded.history["val_loss"], net.history["val_loss"])


def test_a_misspelled_training_hook_in_a_callback_is_an_error():
    """A callback whose npnet_on_* hook has no specification is refused, not silently ignored."""

    class Typo:
        @hookimpl
        def npnet_on_epoch_ends(self, network, epoch, logs):
            pass

    x, y = _data()
    net = _net()
    with pytest.raises(Exception, match="npnet_on_epoch_ends"):
        net.fit(x, y, 8, 1, categorical=True, verbose=0, callbacks=[Typo()])
    assert not any(isinstance(p, Typo) for p in net.registry.plugin_manager.get_plugins())


def test_a_multi_output_regressor_records_no_accuracy():
    """Accuracy is recorded only for one-hot targets: a two-output regression gets loss metrics alone."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 2))
    net = NeuralNetwork([2, 4, 2], "relu", "identity", "mse", "adam", seed=0)
    net.fit(x, np.c_[x.sum(axis=1), x[:, 0]], 5, 2, validation_split=0.2, verbose=0)
    assert set(net.history) == {"loss", "val_loss", "epoch_time"}


class InterruptingAdam:
    """Adam that sends this process Ctrl-C in the middle of its n-th update."""

    def __init__(self, at):
        import npnet_adam

        self.inner, self.at, self.calls, self.name = npnet_adam.Adam(), at, 0, "adam"

    def update(self, params, gradient):
        import os
        import signal

        self.calls += 1
        if self.calls == self.at:
            os.kill(os.getpid(), signal.SIGINT)  # arrives while the update is running
        return self.inner.update(params, gradient)

    def get_config(self):
        return {}

    def state_dict(self):
        return self.inner.state_dict()

    def load_state_dict(self, state):
        self.inner.load_state_dict(state)


@pytest.fixture
def python_ctrl_c_handler():
    """Python's own Ctrl-C handler, as in a terminal (a background job may start with SIGINT ignored)."""
    import signal

    original = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, original)


def test_ctrl_c_stops_at_a_batch_boundary_with_a_consistent_state(python_ctrl_c_handler):
    """Ctrl-C during an update lets that batch finish; parameters equal those of an uninterrupted run of as many batches."""
    import signal

    x, y = _data()
    net = _net(optimizer=InterruptingAdam(at=10), seed=3)
    with pytest.raises(KeyboardInterrupt, match="epoch 2 after batch 2"):
        net.fit(x, y, 8, 5, categorical=True, validation_split=0.0, verbose=0)  # 8 batches per epoch
    assert net.optimizer.calls == 10 and net.optimizer.state_dict()["step"] == 10
    assert len(net.history["loss"]) == 1  # the complete epoch only
    reference = _net(seed=3)
    reference.fit(x, y, 8, 1, categorical=True, verbose=0)  # epoch 1: 8 batches
    # epoch 2 draws the same permutation; run its first 2 batches by hand
    order = reference.rng.permutation(len(x))
    targets = to_categorical(y, 3)
    for start in (0, 8):
        index = order[start : start + 8]
        reference._train_step(x[index], targets[index])
    np.testing.assert_array_equal(net.params, reference.params)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


def test_clip_norm_scales_a_large_gradient_down_to_the_norm():
    """With clip_norm, one SGD step moves the parameters by learning_rate * clip_norm exactly when the gradient is larger."""
    x, y = _data()
    net = _net(optimizer=("sgd", {"learning_rate": 0.1}))
    start = net.params.copy()
    zs, activations = net._forward(x)
    net._backward(zs, activations, to_categorical(y, 3))
    norm = np.linalg.norm(net.gradient)
    clip = norm / 4
    net.fit(x, y, len(x), 1, categorical=True, verbose=0, clip_norm=clip)
    step = net.params - start
    assert np.linalg.norm(step) == pytest.approx(0.1 * clip, rel=1e-9)
    np.testing.assert_allclose(step, -0.1 * net.gradient, rtol=1e-9)  # the clipped gradient, same direction


def test_clip_norm_leaves_a_small_gradient_alone():
    """A gradient already within the norm is not changed."""
    x, y = _data()
    clipped, plain = _net(optimizer="sgd"), _net(optimizer="sgd")
    clipped.fit(x, y, 8, 1, categorical=True, verbose=0, clip_norm=1e6)
    plain.fit(x, y, 8, 1, categorical=True, verbose=0)
    np.testing.assert_array_equal(clipped.params, plain.params)


@pytest.mark.parametrize("bad", [0, -1.0, float("inf"), "1", True])
def test_clip_norm_must_be_positive(bad):
    """clip_norm is a positive finite number."""
    x, y = _data()
    with pytest.raises(ValidationError, match="clip_norm must be a positive number"):
        _net().fit(x, y, 8, 1, categorical=True, verbose=0, clip_norm=bad)


def test_clip_norm_clips_a_gradient_whose_squares_overflow():
    """A finite gradient of norm ~1e200 (its sum of squares overflows) is scaled to the norm, not zeroed."""
    from npnet_core.network import _clip

    gradient = np.array([3e200, 4e200])
    _clip(gradient, 1.0)
    np.testing.assert_allclose(gradient, [0.6, 0.8], rtol=1e-12)


def test_history_with_validation_gaps_plots_and_summarises(tmp_path, capsys):
    """A history whose first epochs have no validation plots, and npnet info summarises it without error."""
    pytest.importorskip("matplotlib")
    from npnet_core.cli import main
    from npnet_core.plotting import plot_history

    x, y = _data()
    net = _net()
    net.fit(x, y, 8, 2, categorical=True, verbose=0)
    net.fit(x, y, 8, 2, categorical=True, validation_split=0.2, verbose=0)
    plot_history(net.history, tmp_path / "curves.png")
    assert (tmp_path / "curves.png").read_bytes().startswith(b"\x89PNG")
    path = net.save(tmp_path / "m.npz")
    assert main(["info", str(path)]) == 0
    best = 3 + int(np.argmin(net.history["val_loss"][2:]))
    assert f"lowest val_loss at epoch {best}" in capsys.readouterr().out


def test_format_metrics_keeps_small_learning_rates_readable():
    """A learning rate of 3e-5 shows as such, not as 0.0000."""
    assert progress_module.format_metrics({"loss": 0.5, "learning_rate": 3e-5}) == "loss: 0.5000 - learning_rate: 3e-05"


def test_history_keys_keep_the_order_of_the_epoch_logs():
    """The history lists its metrics in the order fit logs them, whatever PYTHONHASHSEED (no set iteration)."""
    code = (
        "import numpy as np\n"
        "from npnet_core import NeuralNetwork\n"
        "x = np.random.default_rng(0).normal(size=(30, 3)); y = np.arange(30) % 3\n"
        "net = NeuralNetwork([3, 4, 3], 'relu', 'softmax', 'categorical_crossentropy', 'adam', seed=0)\n"
        "net.fit(x, y, 10, 1, categorical=True, verbose=0, validation_split=0.2)\n"
        "print(list(net.history))\n"
    )
    orders = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
        ).stdout
        for seed in range(4)
    }  # fmt: skip
    assert orders == {"['loss', 'accuracy', 'val_loss', 'val_accuracy', 'epoch_time']\n"}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_step_workspace_changes_no_result_and_is_not_copied(monkeypatch, dtype):
    """fit writes its products into buffers kept between batches (the last batch smaller, a second fit with a
    larger batch): the parameters and history equal those of steps that allocate every array, to the bit. The
    buffers are let go when fit returns."""
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((203, 12)), rng.integers(0, 4, 203)

    rows = {True: [], False: []}

    def trained(reuse: bool) -> NeuralNetwork:
        net = NeuralNetwork([12, 9, 7, 4], "relu", "softmax", "categorical_crossentropy", "adam", seed=0, dtype=dtype)

        class Workspace:  # what the buffers hold at the end of each epoch
            @hookimpl
            def npnet_on_epoch_end(self, network, epoch, logs):
                rows[reuse].append(network._workspace.rows)

        if not reuse:
            forward, backward = net._forward, net._backward
            monkeypatch.setattr(net, "_forward", lambda *a, reuse=False, **k: forward(*a, **k))
            monkeypatch.setattr(net, "_backward", lambda *a, reuse=False, **k: backward(*a, **k))
        net.fit(x, y, 16, 2, categorical=True, verbose=0, callbacks=[Workspace()])
        net.fit(x, y, 50, 1, categorical=True, verbose=0, callbacks=[Workspace()])
        return net

    reused, allocated = trained(True), trained(False)
    assert rows == {True: [16, 16, 50], False: [0, 0, 0]}
    assert reused._workspace.rows == 0 and reused._workspace.products == []
    np.testing.assert_array_equal(reused.params, allocated.params)
    for key in ("loss", "accuracy"):
        assert reused.history[key] == allocated.history[key]
