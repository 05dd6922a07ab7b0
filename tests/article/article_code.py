"""The article's components and its example, as SEED.md 2.1 describes them.

Everything below the imports is the article's code apart from its
``NeuralNetwork`` class, which comes from npnet: its activation, loss and
optimizer functions (with their weaknesses: ``np.vectorize``, Jacobian stacks,
``EPS``), and its digits example. Only the imports differ: the data and the
split come from ``npnet_core.datasets`` instead of scikit-learn.
"""

import numpy as np

from npnet_core import NeuralNetwork, to_categorical  # noqa: F401  (the article exports both)
from npnet_core.datasets import load_digits, train_test_split

EPS = np.finfo(np.float64).eps


def identity(x):
    return x


def d_identity(x):
    n, m = x.shape
    return np.tile(np.identity(m), (n, 1, 1))


def relu(x):
    return np.maximum(x, 0)


def d_relu(x):
    return np.vectorize(lambda v: 1 if v > 0 else 0)(x)


def softmax(x):
    z = x - np.max(x, axis=1, keepdims=True)
    e = np.exp(z)
    return e / (np.sum(e, axis=1, keepdims=True) + EPS)


def d_softmax(x):
    s = softmax(x)
    return np.array([np.diag(row) - np.outer(row, row) for row in s])


def mean_squared_error(y_pred, y_true):
    return np.mean((y_pred - y_true) ** 2, axis=1).reshape(-1, 1)


def d_mean_squared_error(y_pred, y_true):
    return np.expand_dims((2 / y_pred.shape[1]) * (y_pred - y_true), 1)


def categorical_crossentropy(y_pred, y_true):
    return -np.log(np.sum(y_true * y_pred, axis=1) + EPS)


def d_categorical_crossentropy(y_pred, y_true):
    return np.expand_dims(-y_true / (y_pred + EPS), 1)


class SGD:
    def __init__(self, learning_rate=0.01, momentum=0.0):
        self.learning_rate = learning_rate
        self.momentum = momentum

    def update(self, old_params, gradient):
        if not hasattr(self, "delta_params"):
            self.delta_params = np.zeros_like(old_params)
        self.delta_params = self.momentum * self.delta_params - self.learning_rate * gradient
        return old_params + self.delta_params


def run_example():
    """The article's digits example; returns what it printed and computed."""
    x, y = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25)

    nn = NeuralNetwork(
        [64, 64, 10],
        (relu, d_relu),
        (softmax, d_softmax),
        (categorical_crossentropy, d_categorical_crossentropy),
        SGD(momentum=0.9),
    )
    losses = nn.fit(x_train, y_train, 32, 20, categorical=True)
    accuracy = nn.score(x_test, y_test, accuracy=True)
    print(accuracy)

    nn.save_params("digits_params")
    clone = NeuralNetwork(
        [64, 64, 10],
        (relu, d_relu),
        (softmax, d_softmax),
        (categorical_crossentropy, d_categorical_crossentropy),
        SGD(momentum=0.9),
    )
    clone.load_params("digits_params.npy")
    return nn, clone, losses, accuracy, (x_test, y_test)
