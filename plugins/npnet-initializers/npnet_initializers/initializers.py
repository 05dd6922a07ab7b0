"""Weight initializers: each fills a layer's ``weights`` (fan_in, fan_out) and ``biases`` (1, fan_out) in place.

The first five draw exactly as npnet-core 0.1 did (same generator calls, in the
same order), so a seeded network is the same bit for bit.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ArticleNormal", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "LecunNormal", "Zeros"]


class GlorotUniform:
    """``W ~ U(-r, r)`` with ``r = sqrt(6 / (fan_in + fan_out))``, ``b = 0``.

    PyTorch: ``torch.nn.init.xavier_uniform_`` (gain 1).
    """

    name = "glorot_uniform"

    def initialize(self, weights: np.ndarray, biases: np.ndarray, rng: np.random.Generator) -> None:
        fan_in, fan_out = weights.shape
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        weights[...] = rng.uniform(-limit, limit, size=weights.shape)
        biases[...] = 0


class GlorotNormal:
    """``W ~ N(0, sqrt(2 / (fan_in + fan_out)))``, ``b = 0``.

    PyTorch: ``torch.nn.init.xavier_normal_`` (gain 1).
    """

    name = "glorot_normal"

    def initialize(self, weights: np.ndarray, biases: np.ndarray, rng: np.random.Generator) -> None:
        fan_in, fan_out = weights.shape
        weights[...] = rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=weights.shape)
        biases[...] = 0


class HeUniform:
    """``W ~ U(-r, r)`` with ``r = sqrt(6 / fan_in)``, ``b = 0``.

    PyTorch: ``torch.nn.init.kaiming_uniform_(nonlinearity="relu")`` (``a=0``, ``mode="fan_in"``).
    """

    name = "he_uniform"

    def initialize(self, weights: np.ndarray, biases: np.ndarray, rng: np.random.Generator) -> None:
        limit = np.sqrt(6.0 / weights.shape[0])
        weights[...] = rng.uniform(-limit, limit, size=weights.shape)
        biases[...] = 0


class HeNormal:
    """``W ~ N(0, sqrt(2 / fan_in))``, ``b = 0``.

    PyTorch: ``torch.nn.init.kaiming_normal_(nonlinearity="relu")`` (``a=0``, ``mode="fan_in"``).
    """

    name = "he_normal"

    def initialize(self, weights: np.ndarray, biases: np.ndarray, rng: np.random.Generator) -> None:
        weights[...] = rng.normal(0.0, np.sqrt(2.0 / weights.shape[0]), size=weights.shape)
        biases[...] = 0


class LecunNormal:
    """``W ~ N(0, sqrt(1 / fan_in))`` (untruncated), ``b = 0``.

    PyTorch: ``torch.nn.init.kaiming_normal_(nonlinearity="linear")`` (``mode="fan_in"``).
    """

    name = "lecun_normal"

    def initialize(self, weights: np.ndarray, biases: np.ndarray, rng: np.random.Generator) -> None:
        weights[...] = rng.normal(0.0, np.sqrt(1.0 / weights.shape[0]), size=weights.shape)
        biases[...] = 0


class ArticleNormal:
    """The article's "Xavier variant": ``W`` and ``b`` both ``~ N(0, sqrt(1 / (fan_in + fan_out)))``, drawn W then b.

    PyTorch: no counterpart.
    """

    name = "article"

    def initialize(self, weights: np.ndarray, biases: np.ndarray, rng: np.random.Generator) -> None:
        fan_in, fan_out = weights.shape
        std = np.sqrt(1.0 / (fan_in + fan_out))
        weights[...] = rng.normal(0.0, std, size=weights.shape)
        biases[...] = rng.normal(0.0, std, size=biases.shape)


class Zeros:
    """``W = 0``, ``b = 0``; draws nothing.

    PyTorch: ``torch.nn.init.zeros_``.
    """

    name = "zeros"

    def initialize(self, weights: np.ndarray, biases: np.ndarray, rng: np.random.Generator) -> None:
        weights[...] = 0
        biases[...] = 0
