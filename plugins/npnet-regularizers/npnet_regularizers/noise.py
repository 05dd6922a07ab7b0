"""Noise on the hidden layers' outputs during training: dropout and Gaussian noise.

Each takes one value for every hidden layer, or a list with one per hidden
layer; a layer whose value is 0 is left alone, and nothing is drawn for it.
Draws are made in the dtype of ``a`` (``Generator.random`` and
``standard_normal`` draw float32 directly); other floating dtypes draw in
float64 and are rounded.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Optional, Tuple, Union

import numpy as np

from npnet_core import optimizer_tools as tools
from npnet_core.errors import ValidationError

from ._constraints import PerLayer

__all__ = ["Dropout", "GaussianNoise"]

#: the dtypes NumPy's Generator draws in directly
_DRAWN_DIRECTLY = (np.dtype(np.float32), np.dtype(np.float64))


class _LayerNoise(tools.HyperparametersMixin):
    """A regularizer that only perturbs: :meth:`penalty` returns 0.0. Its one parameter may be given per layer."""

    name: str
    #: the parameter that may be a list, one value per hidden layer
    per_layer: ClassVar[str]

    def penalty(self, weights: np.ndarray, grad: np.ndarray) -> float:
        return 0.0

    def get_config(self) -> Dict[str, Any]:
        value = getattr(self, self.per_layer)
        return {self.per_layer: list(value) if isinstance(value, list) else value}

    def _for_layer(self, layer: int) -> float:
        """The parameter's value for hidden layer ``layer``."""
        value: Union[float, List[float]] = getattr(self, self.per_layer)
        if not isinstance(value, list):
            return value
        if 0 <= layer < len(value):
            return value[layer]
        given = f"{len(value)} {self.per_layer}{'' if len(value) == 1 else 's'} {'was' if len(value) == 1 else 'were'}"
        raise ValidationError(
            f"{self.name}: {given} given ({self.per_layer}={value!r}), one per hidden layer, but the network has "
            f"more hidden layers: hidden layer {layer} (counting from 0) has none; give one {self.per_layer} per "
            f"hidden layer, or a single number for all of them"
            if layer >= 0
            else f"{self.name}: hidden layer {layer} does not exist; hidden layers count from 0"
        )


class Dropout(_LayerNoise):
    """Inverted dropout: each output is kept with probability ``1 - rate`` and then divided by ``1 - rate``.

    ``scale = (u >= rate) / (1 - rate)`` in the dtype of ``a``, for ``u`` uniform in [0, 1)
    drawn from ``rng``; ``out = a * scale``, so ``E[out] = a``.

    Parameters
    ----------
    rate : float in [0, 1), or a list of them (one per hidden layer), default 0.5
        The probability of dropping each output.

    Keras: ``keras.layers.Dropout(rate)`` after each hidden layer. PyTorch: ``torch.nn.Dropout(p=rate)``.
    """

    name = "dropout"
    per_layer = "rate"
    hyperparameters = {"rate": PerLayer(tools.Fraction(advice="usual values are 0.1 to 0.5; 0 turns dropout off"))}

    def __init__(self, rate: Union[float, List[float]] = 0.5) -> None:
        self.rate = tools.check_hyperparameters(self.name, self.hyperparameters, locals())["rate"]

    def perturb(self, a: np.ndarray, layer: int, rng: np.random.Generator) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        rate = self._for_layer(layer)
        if rate == 0.0:
            return a, None
        dtype = a.dtype
        if dtype in _DRAWN_DIRECTLY:
            scale = rng.random(a.shape, dtype=dtype)
            np.greater_equal(scale, rate, out=scale)  # the mask: 1 where kept, 0 where dropped
        else:
            scale = (rng.random(a.shape) >= rate).astype(dtype)
        scale *= dtype.type(1.0 / (1.0 - rate))
        return a * scale, scale


class GaussianNoise(_LayerNoise):
    """Additive noise: ``out = a + stddev * n``, ``n`` standard normal drawn from ``rng`` in the dtype of ``a``.

    Parameters
    ----------
    stddev : float >= 0, or a list of them (one per hidden layer), default 0.1
        The noise's standard deviation. (Keras has no default; npnet's is
        there so that ``npnet check`` can build it by name.)

    Keras: ``keras.layers.GaussianNoise(stddev)`` after each hidden layer. PyTorch: no layer;
    ``a + stddev * torch.randn_like(a)`` in training mode.
    """

    name = "gaussian_noise"
    per_layer = "stddev"
    hyperparameters = {"stddev": PerLayer(tools.NonNegative(usual=0.1))}

    def __init__(self, stddev: Union[float, List[float]] = 0.1) -> None:
        self.stddev = tools.check_hyperparameters(self.name, self.hyperparameters, locals())["stddev"]

    def perturb(self, a: np.ndarray, layer: int, rng: np.random.Generator) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        stddev = self._for_layer(layer)
        if stddev == 0.0:
            return a, None
        dtype = a.dtype
        if dtype in _DRAWN_DIRECTLY:
            out = rng.standard_normal(a.shape, dtype=dtype)
        else:
            out = rng.standard_normal(a.shape).astype(dtype)
        out *= dtype.type(stddev)
        out += a
        return out, None
