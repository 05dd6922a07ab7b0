"""An update that overflows the parameters: fit rolls the network back to the state before the batch.

The reference is what the optimizer itself was given: each test optimizer
records the parameters and its own state at every call, so the state "before
the failed batch" is known independently of how fit restores it.
"""

from __future__ import annotations

import copy
import threading

import numpy as np
import pytest
from npnet_adam import Adam

from npnet_core import DivergenceError, NeuralNetwork
from npnet_core.errors import UpdateOverflowError

X = np.random.default_rng(0).normal(size=(40, 3))
Y = np.random.default_rng(1).normal(size=(40, 2))


class Bomb:
    """Momentum SGD that writes inf into the parameters on the calls numbered in ``bombs``.

    ``calls`` counts every call, replays included; ``seen`` records, per call,
    the parameters and the state it was given (test instrumentation, not state).
    """

    name = "bomb"

    def __init__(self, bombs=()):
        self.bombs = set(bombs)
        self.calls = 0
        self.seen = []
        self.step = 0
        self.velocity = None

    def update(self, params, gradient):
        self.calls += 1
        self.seen.append((params.copy(), copy.deepcopy(self.state_dict())))
        self.step += 1
        if self.velocity is None:
            self.velocity = np.zeros_like(params)
        self.velocity *= 0.9
        self.velocity -= 0.05 * gradient
        params += self.velocity
        if self.calls in self.bombs:
            params[0] = np.inf
        return params

    def get_config(self):
        return {}

    def state_dict(self):
        state = {"step": self.step}
        if self.velocity is not None:
            state["velocity"] = self.velocity.copy()
        return state

    def load_state_dict(self, state):
        self.step = state["step"]
        self.velocity = state["velocity"].copy() if "velocity" in state else None


def _assert_state_equal(actual, expected):
    assert actual.keys() == expected.keys()
    for key in expected:
        np.testing.assert_array_equal(actual[key], expected[key])


def _net(optimizer):
    return NeuralNetwork([3, 4, 2], "relu", "identity", "mse", optimizer, seed=0)


@pytest.mark.parametrize("bomb_at, epoch, batch", [(1, 1, 1), (3, 1, 3), (8, 2, 3), (10, 2, 5)])
def test_an_overflowing_update_leaves_the_parameters_and_state_from_before_the_batch(bomb_at, epoch, batch):
    """Epoch and batch are named; params and optimizer state are those the failed update was given."""
    optimizer = Bomb(bombs={bomb_at})
    net = _net(optimizer)
    with pytest.raises(UpdateOverflowError, match=f"epoch {epoch}, batch {batch}: the optimizer's update made"):
        net.fit(X, Y, 8, 3, verbose=0)  # 5 batches per epoch
    params_before, state_before = optimizer.seen[bomb_at - 1]
    np.testing.assert_array_equal(net.params, params_before)
    _assert_state_equal(optimizer.state_dict(), state_before)
    assert len(net.history.get("loss", [])) == epoch - 1  # complete epochs only


def test_the_message_says_what_the_network_holds_and_training_can_go_on(tmp_path):
    """After the rollback the network is finite, its parameters save, and it trains on."""
    optimizer = Bomb(bombs={4})
    net = _net(optimizer)
    with pytest.raises(DivergenceError, match="those from before this batch. Lower the learning rate"):
        net.fit(X, Y, 8, 2, verbose=0)
    net.save_params(tmp_path / "params.npy")
    net.fit(X, Y, 8, 2, verbose=0)
    assert np.isfinite(net.params).all()


def test_an_optimizer_that_does_not_repeat_itself_is_rolled_back_to_the_epochs_start():
    """If the replay of the epoch's batches diverges too, the epoch's start is kept, and said."""
    optimizer = Bomb(bombs={8, 10})  # call 8 is epoch 2, batch 3; its replay (calls 9, 10) overflows too
    net = _net(optimizer)
    with pytest.raises(UpdateOverflowError, match="those from the start of this epoch"):
        net.fit(X, Y, 8, 3, verbose=0)
    params_at_epoch_start, state_at_epoch_start = optimizer.seen[5]  # call 6: epoch 2, batch 1
    np.testing.assert_array_equal(net.params, params_at_epoch_start)
    _assert_state_equal(optimizer.state_dict(), state_at_epoch_start)


def test_an_overflowing_sgd_step_keeps_the_initial_parameters():
    """The official SGD with an absurd learning rate: batch 1 fails, nothing changes."""
    net = _net(("sgd", {"learning_rate": 1e308, "momentum": 0.9}))
    before = net.params.copy()
    with pytest.raises(UpdateOverflowError, match="epoch 1, batch 1"):
        net.fit(np.ones((4, 3)), np.ones((4, 2)) * 5, 4, 1, verbose=0)
    np.testing.assert_array_equal(net.params, before)


ARTICLE_CALLS = []  # outside the object, whose attributes are its state and are rolled back


class ArticleBomb:
    """The article's SGD with momentum (it returns new parameters), overflowing on call ``at``.

    Each call's parameters and momentum go to ``ARTICLE_CALLS``.
    """

    def __init__(self, at, lock=False):
        self.at = at
        ARTICLE_CALLS.clear()
        if lock:
            self.lock = threading.Lock()  # cannot be deep-copied

    def update(self, old_params, gradient):
        if not hasattr(self, "delta_params"):
            self.delta_params = np.zeros_like(old_params)
        ARTICLE_CALLS.append((old_params.copy(), self.delta_params.copy()))
        self.delta_params = 0.9 * self.delta_params - 0.05 * gradient
        new = old_params + self.delta_params
        if len(ARTICLE_CALLS) == self.at:
            new[0] = np.inf
        return new


def test_an_article_style_optimizer_gets_its_own_attributes_back():
    """The article's optimizer keeps its state on itself; that state is rolled back too."""
    optimizer = ArticleBomb(at=7)
    net = _net(optimizer)
    with pytest.raises(UpdateOverflowError, match="epoch 2, batch 2.*from before this batch"):
        net.fit(X, Y, 8, 3, verbose=0)
    params_before, delta_before = ARTICLE_CALLS[6]
    np.testing.assert_array_equal(net.params, params_before)
    np.testing.assert_array_equal(optimizer.delta_params, delta_before)


def test_an_optimizer_whose_state_cannot_be_copied_is_reported_as_such():
    """No copy of the state, no rollback: the message says so instead of pretending."""
    net = _net(ArticleBomb(at=2, lock=True))
    with pytest.raises(UpdateOverflowError, match="cannot be copied, so they could not be rolled back"):
        net.fit(X, Y, 8, 1, verbose=0)


class BombAdam(Adam):
    """The official Adam, writing inf into the parameters on call ``bomb`` (replays included)."""

    def __init__(self, bomb, **config):
        super().__init__(**config)
        self.bomb, self.calls, self.seen = bomb, 0, []

    def update(self, params, gradient):
        self.calls += 1
        self.seen.append((params.copy(), self.state_dict()))
        super().update(params, gradient)
        if self.calls == self.bomb:
            params[-1] = np.inf
        return params


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("clip_norm", [None, 0.5])
def test_adam_is_rolled_back_exactly_on_the_last_partial_batch(dtype, clip_norm):
    """Adam, both dtypes, with clipping, failing on a partial last batch of the second epoch."""
    optimizer = BombAdam(bomb=10, learning_rate=0.01)  # 37 samples by 8: 5 batches, the last of 5 samples
    net = NeuralNetwork([3, 4, 2], "relu", "identity", "mse", optimizer, seed=0, dtype=dtype)
    with pytest.raises(UpdateOverflowError, match="epoch 2, batch 5: .*from before this batch"):
        net.fit(X[:37], Y[:37], 8, 3, verbose=0, clip_norm=clip_norm)
    params_before, state_before = optimizer.seen[9]
    assert net.params.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(net.params, params_before)
    _assert_state_equal(optimizer.state_dict(), state_before)


def test_validation_and_early_stopping_do_not_disturb_the_rollback():
    """The rollback happens inside an epoch: validation and early stopping's best weights are untouched."""
    optimizer = Bomb(bombs={13})  # epoch 3, batch 3 of 5
    net = _net(optimizer)
    with pytest.raises(UpdateOverflowError, match="epoch 3, batch 3"):
        net.fit(X, Y, 8, 5, verbose=0, validation_data=(X[:5], Y[:5]), early_stopping=3)
    np.testing.assert_array_equal(net.params, optimizer.seen[12][0])
    assert len(net.history["val_loss"]) == 2


class Aliasing(Bomb):
    """state_dict returns the live velocity, load_state_dict keeps the array it is given."""

    def state_dict(self):
        return {"step": self.step, "velocity": self.velocity} if self.velocity is not None else {"step": self.step}

    def load_state_dict(self, state):
        self.step = state["step"]
        self.velocity = state.get("velocity")


def test_an_optimizer_sharing_its_state_arrays_is_still_rolled_back_exactly():
    """The checkpoint copies the state, and each restore loads a fresh copy."""
    optimizer = Aliasing(bombs={8})
    net = _net(optimizer)
    with pytest.raises(UpdateOverflowError, match="from before this batch"):
        net.fit(X, Y, 8, 3, verbose=0)
    params_before, state_before = optimizer.seen[7]
    np.testing.assert_array_equal(net.params, params_before)
    _assert_state_equal(optimizer.state_dict(), state_before)


class DriftingReLU:
    """ReLU whose output drifts with every call: state of its own, outside any checkpoint.

    (A random mask would do too, but could draw the same masks again on replay.)
    """

    name = "drifting_relu"

    def __init__(self):
        self.calls = 0

    def forward(self, z):
        self.calls += 1
        return np.maximum(z, 0) * (1.0 + 1e-3 * self.calls)

    def backward(self, z, a, grad_a):
        return grad_a * (z > 0) * (1.0 + 1e-3 * self.calls)


def test_a_replay_that_gives_other_losses_falls_back_to_the_epochs_start():
    """A component the rollback cannot reproduce is detected by the losses, not passed off as exact."""
    optimizer = Bomb(bombs={8})
    net = NeuralNetwork([3, 4, 2], DriftingReLU(), "identity", "mse", optimizer, seed=0)
    with pytest.raises(UpdateOverflowError, match=r"start of this epoch \(its batches ran differently when run again"):
        net.fit(X, Y, 8, 3, verbose=0)
    params_at_epoch_start, state_at_epoch_start = optimizer.seen[5]
    np.testing.assert_array_equal(net.params, params_at_epoch_start)
    _assert_state_equal(optimizer.state_dict(), state_at_epoch_start)


class Unpicklable:
    def __deepcopy__(self, memo):
        raise RuntimeError("cannot copy me")


def test_an_article_optimizer_whose_attributes_cannot_be_copied_still_trains():
    """The checkpoint is insurance: an object deepcopy refuses (any error) trains as before."""
    optimizer = ArticleBomb(at=0)  # never overflows
    optimizer.resource = Unpicklable()
    net = _net(optimizer)
    before = net.params.copy()
    net.fit(X, Y, 8, 2, verbose=0)
    assert not np.array_equal(net.params, before)


class LossBlewUp(DivergenceError):
    def __init__(self, value, where):
        super().__init__(f"the loss is {value} at {where}")


class ExplodingLoss:
    """MSE that raises its own DivergenceError subclass, with its own constructor."""

    name = "exploding"

    def forward(self, y_pred, y_true):
        raise LossBlewUp(np.inf, "the output")

    def backward(self, y_pred, y_true):
        return 2 * (y_pred - y_true)


def test_a_divergence_error_subclass_of_a_component_is_reported_as_divergence():
    net = NeuralNetwork([3, 4, 2], "relu", "identity", ExplodingLoss(), "sgd", seed=0)
    with pytest.raises(DivergenceError, match="epoch 1, batch 1: the loss is inf at the output"):
        net.fit(X, Y, 8, 1, verbose=0)


class Unloadable(Bomb):
    def load_state_dict(self, state):
        raise ValueError("this optimizer cannot load a state")


def test_an_optimizer_that_refuses_its_own_state_is_reported_with_its_words():
    with pytest.raises(
        UpdateOverflowError,
        match=r"could not be rolled back, as restoring the optimizer's state failed \(ValueError\('this optimizer cannot load a state'\)\)",
    ):
        _net(Unloadable(bombs={3})).fit(X, Y, 8, 1, verbose=0)


class RatedBomb(Bomb):
    """A Bomb whose step size is the attribute ``learning_rate``, which a schedule sets."""

    def __init__(self, bombs=()):
        super().__init__(bombs)
        self.learning_rate = 0.05
        self.rates = []

    def update(self, params, gradient):
        self.rates.append(self.learning_rate)
        return super().update(params, gradient * (self.learning_rate / 0.05))


def test_dropout_and_a_schedule_replay_exactly_to_the_batch_before_the_overflow():
    """The generator and the update count are in the checkpoint: dropout's masks and the schedule's rates repeat,
    so the rollback reaches the state before the failed batch, with the count of the updates made before it."""
    optimizer = RatedBomb(bombs={8})  # epoch 2, batch 3
    net = NeuralNetwork(
        [3, 4, 2], "relu", "identity", "mse", optimizer, seed=0,
        regularizers=[("dropout", {"rate": 0.5})], schedule=("step", {"step_size": 2, "gamma": 0.5}),
    )  # fmt: skip
    with pytest.raises(UpdateOverflowError, match="those from before this batch"):
        net.fit(X, Y, 8, 3, verbose=0)
    params_before, state_before = optimizer.seen[7]
    np.testing.assert_array_equal(net.params, params_before)
    _assert_state_equal(optimizer.state_dict(), state_before)
    assert net.updates == 7
    assert optimizer.rates[:10] == [0.05 * 0.5 ** (t // 2) for t in [0, 1, 2, 3, 4, 5, 6, 7, 5, 6]]  # the replay
    assert optimizer.learning_rate == 0.05  # the base is back after fit
