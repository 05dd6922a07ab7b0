"""Bad input at every public entry point: a typed npnet error, a helpful message, nothing changed.

Each case calls one entry point wrongly and states the error type and a part of
the message that says what was expected, what came or what to do. After the
call the network's flat parameter vector must be byte-identical.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable, NamedTuple, Type

import numpy as np
import pytest

from npnet_core import (
    ComponentNotFoundError,
    InvalidComponentError,
    InvalidParameterError,
    ModelFileError,
    ModelFileNotFoundError,
    NeuralNetwork,
    NpnetError,
    ValidationError,
    get_registry,
    to_categorical,
)

X = np.random.default_rng(0).normal(size=(12, 4))
LABELS = np.arange(12) % 3
ONE_HOT = to_categorical(LABELS, 3)


def make_net(**options: Any) -> NeuralNetwork:
    return NeuralNetwork([4, 5, 3], "relu", "softmax", "categorical_crossentropy", "adam", seed=0, **options)


def with_nan(array: np.ndarray, row: int = 1, col: int = 2) -> np.ndarray:
    bad = array.astype(float)
    bad[row, col] = np.nan
    return bad


class Case(NamedTuple):
    call: Callable[[NeuralNetwork, Path], Any]
    error: Type[NpnetError]
    message: str


def _fit(**kwargs: Any) -> Callable[[NeuralNetwork, Path], Any]:
    args = {"x": X, "y": LABELS, "batch_size": 4, "epochs": 1, "categorical": True, "verbose": 0, **kwargs}
    return lambda net, tmp: net.fit(**args)


def _write(name: str, content: Any) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            np.save(path, content)
        return path

    return make


CASES = {
    # fit: the data
    "fit-x-1d": Case(_fit(x=X[:, 0]), ValidationError, r"x must be 2-D \(n_samples, 4\)"),
    "fit-x-3d": Case(_fit(x=X.reshape(12, 2, 2)), ValidationError, "x must be 2-D"),
    "fit-x-wrong-width": Case(_fit(x=X[:, :3]), ValidationError, "x must have 4 columns"),
    "fit-x-nan": Case(
        _fit(x=with_nan(X)), ValidationError, "x contains NaN or infinite values .first at row 1, column 2"
    ),
    "fit-x-inf": Case(_fit(x=np.where(X > 1.5, np.inf, X)), ValidationError, "x contains NaN or infinite"),
    "fit-x-empty": Case(_fit(x=np.empty((0, 4)), y=np.empty(0, int)), ValidationError, "x is empty"),
    "fit-x-strings": Case(_fit(x=np.array([["a"] * 4] * 12)), ValidationError, "x must be numeric"),
    "fit-x-complex": Case(_fit(x=X + 1j), ValidationError, "x must be real, not complex"),
    "fit-x-objects": Case(_fit(x=np.array([[object()] * 4] * 12)), ValidationError, "x must be numeric"),
    "fit-y-length": Case(_fit(y=LABELS[:10]), ValidationError, "one row per sample: x has 12 rows"),
    "fit-y-scalar": Case(_fit(y=3), ValidationError, "one row per sample"),
    "fit-labels-out-of-range": Case(_fit(y=LABELS + 1), ValidationError, "class indices below 3"),
    "fit-labels-negative": Case(_fit(y=LABELS - 1), ValidationError, "non-negative class indices"),
    "fit-labels-fractional": Case(_fit(y=LABELS + 0.5), ValidationError, "whole class indices"),
    "fit-labels-nan": Case(_fit(y=np.where(LABELS == 0, np.nan, LABELS)), ValidationError, "whole class indices"),
    "fit-labels-2d-with-categorical": Case(
        _fit(y=ONE_HOT), ValidationError, "if y is already one-hot, pass categorical=False"
    ),
    "fit-labels-without-categorical": Case(_fit(categorical=False), ValidationError, "pass categorical=True"),
    "fit-targets-nan": Case(_fit(y=with_nan(ONE_HOT), categorical=False), ValidationError, "y contains NaN"),
    "fit-targets-wrong-width": Case(
        _fit(y=ONE_HOT[:, :2], categorical=False), ValidationError, "y must have 3 columns"
    ),
    # fit: the sizes and options
    "fit-batch-zero": Case(_fit(batch_size=0), ValidationError, "batch_size must be a positive integer .got 0"),
    "fit-batch-float": Case(  # the value given, shown as repr() shows it
        _fit(batch_size=4.0),
        ValidationError,
        rf"batch_size must be a positive integer \(got {re.escape(repr(4.0))} of type float",
    ),
    "fit-batch-bool": Case(_fit(batch_size=True), ValidationError, "batch_size must be a positive integer"),
    "fit-epochs-negative": Case(_fit(epochs=-2), ValidationError, "epochs must be a positive integer .got -2"),
    "fit-epochs-string": Case(_fit(epochs="3"), ValidationError, "epochs must be a positive integer"),
    "fit-validation-split-one": Case(
        _fit(validation_split=1.0), ValidationError, r"validation_split must be a fraction in \[0, 1\)"
    ),
    "fit-validation-data-shape": Case(
        _fit(validation_data=(X[:, :2], LABELS)), ValidationError, "x_val must have 4 columns"
    ),
    "fit-early-stopping-alone": Case(
        _fit(early_stopping=2), ValidationError, "early stopping watches 'val_loss', a validation metric"
    ),
    "fit-verbose-5": Case(_fit(verbose=5), ValidationError, "verbose must be 0 .silent., 1 .progress. or 2"),
    # predict and score
    "predict-wrong-width": Case(lambda net, tmp: net.predict(X[:, :2]), ValidationError, "x must have 4 columns"),
    "predict-nan": Case(lambda net, tmp: net.predict(with_nan(X)), ValidationError, "x contains NaN"),
    "predict-empty": Case(lambda net, tmp: net.predict(np.empty((0, 4))), ValidationError, "x is empty"),
    "predict-3d": Case(lambda net, tmp: net.predict(np.ones((2, 2, 4))), ValidationError, "x must be 2-D"),
    "score-length": Case(lambda net, tmp: net.score(X, LABELS[:5]), ValidationError, "x has 12 samples but y has 5"),
    "score-labels-out-of-range": Case(
        lambda net, tmp: net.score(X, LABELS + 3, accuracy=True), ValidationError, "below 3"
    ),
    "score-nan-targets": Case(lambda net, tmp: net.score(X, with_nan(ONE_HOT)), ValidationError, "y contains NaN"),
    # article parameter files
    "load-params-missing": Case(
        lambda net, tmp: net.load_params(tmp / "nothing.npy"),
        ModelFileNotFoundError,
        "no parameter file at .*nothing.npy: the file does not exist",
    ),
    "load-model-missing": Case(
        lambda net, tmp: NeuralNetwork.load(tmp / "gone.npz"), ModelFileNotFoundError, "no model file at .*gone.npz"
    ),
    "load-params-wrong-size": Case(
        lambda net, tmp: net.load_params(_write("w.npy", np.zeros(net.n_params + 3))(tmp)),
        ModelFileError,
        "need a flat vector of 43 parameters",
    ),
    "load-params-2d": Case(
        lambda net, tmp: net.load_params(_write("w.npy", np.zeros((1, 43)))(tmp)), ModelFileError, "shape \\(1, 43\\)"
    ),
    "load-params-garbage": Case(
        lambda net, tmp: net.load_params(_write("w.npy", b"not numpy at all")(tmp)),
        ModelFileError,
        "not an .npy parameter file",
    ),
    "load-params-nan": Case(
        lambda net, tmp: net.load_params(_write("w.npy", np.full(43, np.nan))(tmp)), ValidationError, "NaN or infinite"
    ),
    "set-params-wrong-size": Case(
        lambda net, tmp: net.set_params(np.zeros(7)), ValidationError, "flat vector of 43 values"
    ),
    # whole-model files
    "load-model-garbage": Case(
        lambda net, tmp: NeuralNetwork.load(_write("m.npz", b"\x00" * 64)(tmp)),
        ModelFileError,
        "not an npnet model file",
    ),
    "load-model-npy": Case(
        lambda net, tmp: NeuralNetwork.load(_write("m.npy", np.zeros(3))(tmp)), ModelFileError, "single .npy array"
    ),
    "save-model-to-missing-folder": Case(
        lambda net, tmp: net.save(tmp / "no" / "such" / "m.npz"),
        ModelFileNotFoundError,
        "the folder .*such does not exist; create it first",
    ),
    "save-params-to-missing-folder": Case(
        lambda net, tmp: net.save_params(tmp / "nowhere" / "w"), ModelFileNotFoundError, "does not exist"
    ),
    # registry look-ups and components
    "unknown-optimizer": Case(
        lambda net, tmp: make_net().__class__([4, 3], "relu", "softmax", "categorical_crossentropy", "adma"),
        ComponentNotFoundError,
        "did you mean 'adamax' or 'adam'",
    ),
    "unknown-activation": Case(
        lambda net, tmp: NeuralNetwork([4, 3], "rellu", "softmax", "categorical_crossentropy", "adam"),
        ComponentNotFoundError,
        "no activation named 'rellu'",
    ),
    "unknown-loss": Case(
        lambda net, tmp: NeuralNetwork([4, 3], "relu", "softmax", "crossentropy", "adam"),
        ComponentNotFoundError,
        "no loss named 'crossentropy'",
    ),
    "misspelled-hyperparameter": Case(
        lambda net, tmp: NeuralNetwork(
            [4, 3], "relu", "softmax", "categorical_crossentropy", ("adam", {"learning_rat": 0.1})
        ),
        InvalidParameterError,
        "did you mean 'learning_rate'",
    ),
    "negative-learning-rate": Case(
        lambda net, tmp: NeuralNetwork(
            [4, 3], "relu", "softmax", "categorical_crossentropy", ("adam", {"learning_rate": -1})
        ),
        InvalidParameterError,
        "learning_rate",
    ),
    "beta-out-of-range": Case(
        lambda net, tmp: NeuralNetwork(
            [4, 3], "relu", "softmax", "categorical_crossentropy", ("adam", {"beta_1": 1.0})
        ),
        InvalidParameterError,
        r"beta_1 must be in \[0, 1\)",
    ),
    "momentum-out-of-range": Case(
        lambda net, tmp: NeuralNetwork(
            [4, 3], "relu", "softmax", "categorical_crossentropy", ("sgd", {"momentum": -0.5})
        ),
        InvalidParameterError,
        "momentum",
    ),
    "not-an-activation": Case(
        lambda net, tmp: NeuralNetwork([4, 3], object(), "softmax", "categorical_crossentropy", "adam"),
        InvalidComponentError,
        "hidden_activation must be",
    ),
    "not-a-loss": Case(
        lambda net, tmp: NeuralNetwork([4, 3], "relu", "softmax", 42, "adam"), InvalidComponentError, "loss must be"
    ),
    "not-an-optimizer": Case(
        lambda net, tmp: NeuralNetwork([4, 3], "relu", "softmax", "categorical_crossentropy", "adam".encode()),
        InvalidComponentError,
        "optimizer must be",
    ),
    "name-not-a-string": Case(
        lambda net, tmp: get_registry().lookup("optimizer", 3),
        InvalidComponentError,
        "must be a string such as 'adam' .got 3",
    ),
    # construction
    "layers-too-few": Case(
        lambda net, tmp: NeuralNetwork([4], "relu", "softmax", "categorical_crossentropy", "adam"),
        ValidationError,
        "at least an input and an output size",
    ),
    "layers-zero": Case(
        lambda net, tmp: NeuralNetwork([4, 0, 3], "relu", "softmax", "categorical_crossentropy", "adam"),
        ValidationError,
        r"layers\[1\] must be a positive integer",
    ),
    "layers-float": Case(
        lambda net, tmp: NeuralNetwork([4, 2.5, 3], "relu", "softmax", "categorical_crossentropy", "adam"),
        ValidationError,
        r"layers\[1\] must be a positive integer",
    ),
    "dtype-int": Case(
        lambda net, tmp: make_net(dtype="int64"), InvalidParameterError, "dtype must be 'float32' or 'float64'"
    ),
    "seed-negative": Case(
        lambda net, tmp: NeuralNetwork([4, 3], "relu", "softmax", "categorical_crossentropy", "adam", seed=-1),
        ValidationError,
        "seed must be None, a non-negative int",
    ),
    "initializer-unknown": Case(
        lambda net, tmp: make_net(initializer="xavier"), ComponentNotFoundError, "no initializer named 'xavier'"
    ),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_bad_input_gets_a_typed_error_and_changes_nothing(case: Case, tmp_path: Path) -> None:
    """The entry point raises the npnet error with a helpful message; the parameters stay byte-identical."""
    net = make_net()
    before = net.params.tobytes()
    optimizer_state = {k: np.copy(v) for k, v in net.optimizer.state_dict().items()}
    with pytest.raises(case.error, match=case.message):
        case.call(net, tmp_path)
    assert net.params.tobytes() == before
    assert net.history == {}
    assert {k: np.copy(v) for k, v in net.optimizer.state_dict().items()} == optimizer_state


def test_the_battery_is_large_enough() -> None:
    """At least 40 distinct bad inputs are covered."""
    assert len(CASES) >= 40
