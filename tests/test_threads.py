"""Threads: many predicts at once are safe; fit runs alone, and a use that would conflict with it raises.

Each test holds one thread inside a call (an optimizer's update, an activation's
forward) with ``threading.Event``, so the other call is made while the first is
certainly running: no sleeps, no timing.
"""

from __future__ import annotations

import copy
import pickle
import threading

import numpy as np
import pytest

from npnet_core import NeuralNetwork, NpnetError, hookimpl

WAIT = 30  # seconds: only reached if the code under test hangs

X = np.random.default_rng(0).normal(size=(64, 4))
LABELS = np.arange(64) % 3


class Held:
    """Lets a call running in one thread be held there until the test releases it."""

    def __init__(self):
        self.inside, self.release = threading.Event(), threading.Event()
        self.holding = True

    def hold(self):
        if self.holding and threading.current_thread() is not threading.main_thread():
            self.holding = False  # once
            self.inside.set()
            assert self.release.wait(WAIT), "the test never released the held call"


class HeldOptimizer:
    """An article-style optimizer (plain SGD) whose first update in a worker thread waits, mid-batch."""

    def __init__(self, held):
        self.held = held

    def update(self, params, gradient):
        params -= 0.01 * gradient
        self.held.hold()  # the parameters are half-way through fit's batch
        return params


def _net(optimizer="sgd", output=None):
    output = "softmax" if output is None else output
    return NeuralNetwork([4, 5, 3], "relu", output, "categorical_crossentropy", optimizer, seed=0)


class Worker(threading.Thread):
    """Runs ``call`` in a thread and keeps its result or exception."""

    def __init__(self, call):
        super().__init__(daemon=True)
        self.call, self.result, self.error = call, None, None
        self.start()

    def run(self):
        try:
            self.result = self.call()
        except BaseException as exc:  # handed to the test
            self.error = exc

    def outcome(self):
        self.join(WAIT)
        assert not self.is_alive(), "the worker did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def _fit(net, epochs=1):
    return lambda: net.fit(X, LABELS, 16, epochs, categorical=True, verbose=0)


def test_fit_predict_score_save_and_set_params_during_another_threads_fit_raise_and_change_nothing(tmp_path):
    """The issue's two fits from two threads: the second raises at once, naming the fit running; so do the other
    uses while fit holds the parameters mid-batch. The first fit then finishes as if alone."""
    held = Held()
    net = _net(HeldOptimizer(held))
    alone = _net(HeldOptimizer(Held()))  # the same training with nobody in the way (held only in a worker)
    alone.fit(X, LABELS, 16, 2, categorical=True, verbose=0)
    worker = Worker(_fit(net, epochs=2))
    assert held.inside.wait(WAIT)
    snapshot = net.params.copy()
    calls = {
        "fit": _fit(net),
        "predict": lambda: net.predict(X),
        "score": lambda: net.score(X, LABELS),
        "save": lambda: net.save(tmp_path / "model.npz"),
        "set_params": lambda: net.set_params(np.zeros(net.n_params)),
        "load_params": lambda: net.load_params(tmp_path / "params.npy"),
    }
    alone.save_params(tmp_path / "params.npy")
    for what, call in calls.items():
        with pytest.raises(
            NpnetError,
            match=rf"cannot call {what} on this network while fit runs on it in thread "
            r"'Thread-\d+.*': fit changes the parameters at every batch",
        ):
            call()
        np.testing.assert_array_equal(net.params, snapshot)
    assert not (tmp_path / "model.npz").exists()
    held.release.set()
    losses = worker.outcome()
    np.testing.assert_array_equal(net.params, alone.params)
    np.testing.assert_array_equal(losses, alone.history["loss"])
    np.testing.assert_array_equal(net.predict(X), alone.predict(X))  # usable again once fit returned


class HeldIdentity:
    """The identity activation; its forward waits the first time a worker thread calls it."""

    name = "held_identity"

    def __init__(self, held):
        self.held = held

    def forward(self, z):
        self.held.hold()
        return z.copy()

    def backward(self, z, a, grad_a):
        return grad_a


def test_predicts_run_together_but_fit_and_set_params_during_a_predict_raise():
    held = Held()
    net = NeuralNetwork([4, 5, 3], "relu", HeldIdentity(held), "mse", "sgd", seed=0)
    expected = net.predict(X)
    worker = Worker(lambda: net.predict(X))
    assert held.inside.wait(WAIT)
    np.testing.assert_array_equal(net.predict(X), expected)  # a second predict while the first is inside
    assert net.score(X, np.zeros((64, 3))) >= 0
    with pytest.raises(
        NpnetError, match=r"cannot call fit on this network while predict runs on it in thread 'Thread-"
    ):
        net.fit(X, np.zeros((64, 3)), 16, 1, verbose=0)
    with pytest.raises(
        NpnetError,
        match=r"cannot call set_params on this network while predict runs on it.*would change "
        "the parameters predict is reading",
    ):
        net.set_params(np.zeros(net.n_params))
    held.release.set()
    np.testing.assert_array_equal(worker.outcome(), expected)
    net.fit(X, np.zeros((64, 3)), 16, 1, verbose=0)  # free again


def test_many_threads_predicting_at_once_get_what_one_thread_gets():
    net = _net()
    x = np.random.default_rng(1).normal(size=(2000, 4))
    expected = net.predict(x)
    start = threading.Barrier(8)

    def predict_often():
        start.wait(WAIT)
        return [net.predict(x) for _ in range(20)]

    workers = [Worker(predict_often) for _ in range(8)]
    for worker in workers:
        for result in worker.outcome():
            np.testing.assert_array_equal(result, expected)


class EpochCallback:
    """Calls ``action(network)`` at each epoch's end, in fit's own thread, and keeps what it returned or raised."""

    def __init__(self, action):
        self.action, self.seen = action, []

    @hookimpl
    def npnet_on_epoch_end(self, network, epoch, logs):
        try:
            self.seen.append(self.action(network))
        except NpnetError as exc:
            self.seen.append(exc)


def test_a_callback_may_predict_score_save_and_set_params_in_fits_thread_but_not_fit_again(tmp_path):
    net = _net()
    reads = EpochCallback(
        lambda n: (n.predict(X).shape, n.score(X, LABELS) > 0, n.save(tmp_path / "m.npz").name, n.set_params(n.params))
    )
    refits = EpochCallback(lambda n: n.fit(X, LABELS, 16, 1, categorical=True, verbose=0))
    net.fit(X, LABELS, 16, 2, categorical=True, verbose=0, callbacks=[reads, refits])
    assert reads.seen == [((64, 3), True, "m.npz", None)] * 2
    assert [str(error) for error in refits.seen] == [
        "cannot call fit on this network while fit runs on it in this thread (a callback called fit?): fit changes the "
        "parameters at every batch. A network trains in one thread at a time and is read when no fit runs: call "
        "it after fit returns, from a callback of that fit, or on a copy (NeuralNetwork.load of a saved model)"
    ] * 2
    assert len(net.history["loss"]) == 2


def test_a_fit_that_fails_leaves_the_network_free():
    net = _net()
    with pytest.raises(NpnetError):
        net.fit(X, LABELS + 5, 16, 1, categorical=True, verbose=0)
    net.fit(X, LABELS, 16, 1, categorical=True, verbose=0)
    worker = Worker(lambda: net.predict(X))
    assert worker.outcome().shape == (64, 3)


def test_a_copy_of_a_network_in_use_is_used_by_nobody():
    """deepcopy and pickle (as scikit-learn's clone and joblib do) give a record of uses that is empty and its own."""
    held = Held()
    net = _net(HeldOptimizer(held))
    worker = Worker(_fit(net))
    assert held.inside.wait(WAIT)
    for users in (copy.deepcopy(net._users), pickle.loads(pickle.dumps(net._users))):
        with users.use("fit", exclusive=True):
            pass
    with pytest.raises(NpnetError, match="while fit runs"):
        with net._users.use("fit", exclusive=True):
            pass
    held.release.set()
    worker.outcome()


def test_a_callback_hears_only_its_own_fit_while_another_fit_runs_in_another_thread():
    """Two networks of the same registry train at once, each with a callback: neither hears the other's epochs."""
    held = Held()

    class Recorder:
        def __init__(self):
            self.networks = []

        @hookimpl
        def npnet_on_epoch_end(self, network, epoch, logs):
            self.networks.append(network)

    background, foreground = (
        NeuralNetwork([4, 5, 3], "relu", "softmax", "categorical_crossentropy", HeldOptimizer(held), seed=0),
        _net(),
    )
    heard_background, heard_foreground = Recorder(), Recorder()
    worker = Worker(lambda: background.fit(X, LABELS, 64, 2, categorical=True, verbose=0, callbacks=[heard_background]))
    assert held.inside.wait(WAIT)  # the background fit is mid-batch, its callback registered
    foreground.fit(X, LABELS, 16, 3, categorical=True, verbose=0, callbacks=[heard_foreground])
    held.release.set()
    worker.outcome()
    assert heard_foreground.networks == [foreground] * 3
    assert heard_background.networks == [background] * 2
