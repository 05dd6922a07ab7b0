"""The article's complete example runs on npnet unchanged apart from its imports."""

from __future__ import annotations

import contextlib
import io

import article_code
import numpy as np
import pytest

from npnet_core import NeuralNetwork


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(seed: int):
    np.random.seed(seed)  # the article draws from NumPy's global state; so does npnet with seed=None
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        result = article_code.run_example()
    return result, printed.getvalue()


def test_article_example_runs_and_keeps_the_article_api(in_tmp):
    """fit returns per-epoch losses, score gives accuracy, save_params/load_params round-trip."""
    (nn, clone, losses, accuracy, (x_test, y_test)), printed = _run(0)
    assert isinstance(losses, np.ndarray) and losses.shape == (20,)
    assert losses[-1] < losses[0] / 5
    assert printed.splitlines()[-1] == str(accuracy)
    assert len(printed.splitlines()) == 21  # one line per epoch, then the accuracy: no per-batch lines
    assert (in_tmp / "digits_params.npy").stat().st_size == 38_608  # SEED.md 2.4: 4810 float64 values
    np.testing.assert_array_equal(clone.predict(x_test), nn.predict(x_test))
    assert np.mean(nn.predict(x_test, labels=True) == y_test) == accuracy


def test_article_example_is_repeatable_under_numpy_global_seed(in_tmp):
    """np.random.seed makes the article's example repeatable, as it did for the article's code."""
    (first, *_), _ = _run(3)
    (second, *_), _ = _run(3)
    np.testing.assert_array_equal(first.params, second.params)


@pytest.mark.slow
def test_article_components_with_momentum_reach_96_percent_in_20_epochs(in_tmp):
    """The article's tuples and SGD(momentum=0.9): mean test accuracy over 12 seeds >= 96%."""
    accuracies = [_run(seed)[0][3] for seed in range(12)]
    assert np.mean(accuracies) >= 0.96, accuracies


def test_article_optimizer_object_belongs_to_one_network():
    """Sharing one article SGD between two networks is refused instead of mixing their state."""
    shared = article_code.SGD(momentum=0.9)
    pair = (article_code.relu, article_code.d_relu)
    out = (article_code.softmax, article_code.d_softmax)
    loss = (article_code.categorical_crossentropy, article_code.d_categorical_crossentropy)
    first = NeuralNetwork([4, 3, 2], pair, out, loss, shared)
    with pytest.raises(TypeError, match="already belongs to another network"):
        NeuralNetwork([5, 3, 2], pair, out, loss, shared)
    assert first.optimizer.optimizer is shared
