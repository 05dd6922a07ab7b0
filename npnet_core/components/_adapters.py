"""The article's components as protocol objects.

The article passes ``(function, derivative)`` tuples and any object with
``.update(old_params, gradient)``. These adapters make them behave as
:class:`~npnet_core.protocols.Activation`, :class:`~npnet_core.protocols.Loss`
and :class:`~npnet_core.protocols.Optimizer`, with the article's shapes:

- a hidden derivative is elementwise: ``df(z)`` has the shape of ``z``;
- an output derivative is a Jacobian stack: ``df(z)`` has shape ``(n, m, m)``;
- a loss derivative is a stack of row vectors: ``dl(p, y)`` has shape ``(n, 1, m)``;
- a loss returns one value per sample, shaped ``(n,)`` or ``(n, 1)``.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

import numpy as np

from ..errors import InvalidComponentError, ValidationError

__all__ = [
    "ArticleElementwiseActivation",
    "ArticleJacobianActivation",
    "ArticleLoss",
    "ArticleOptimizer",
    "is_function_pair",
]


def is_function_pair(spec: object) -> bool:
    """Return whether ``spec`` is the article's ``(function, derivative)`` tuple."""
    return isinstance(spec, tuple) and len(spec) == 2 and all(callable(f) for f in spec)


def _label(function: Callable[..., Any]) -> str:
    return getattr(function, "__name__", type(function).__name__)


class _FunctionPair:
    def __init__(self, pair: Tuple[Callable[..., Any], Callable[..., Any]]) -> None:
        if not is_function_pair(pair):
            raise InvalidComponentError(f"expected a (function, derivative) tuple of two callables, got {pair!r}")
        self.function, self.derivative = pair
        self.name = _label(self.function)

    @staticmethod
    def accepts(spec: object) -> bool:
        """Whether ``spec`` is the article's ``(function, derivative)`` tuple."""
        return is_function_pair(spec)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(({_label(self.function)}, {_label(self.derivative)}))"


class ArticleElementwiseActivation(_FunctionPair):
    """A hidden activation ``(f, df)`` whose derivative acts elementwise."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        return self.function(z)

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        return grad_a * self.derivative(z)


class ArticleJacobianActivation(_FunctionPair):
    """An output activation ``(f, df)`` whose derivative is a ``(n, m, m)`` Jacobian stack."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        return self.function(z)

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        jacobians = self.derivative(z)
        n, m = z.shape
        if np.shape(jacobians) != (n, m, m):
            raise ValidationError(
                f"the derivative {_label(self.derivative)} of an output activation must return a "
                f"Jacobian stack of shape {(n, m, m)}, got shape {np.shape(jacobians)}"
            )
        return np.matmul(grad_a[:, None, :], jacobians)[:, 0, :]


class ArticleLoss(_FunctionPair):
    """A loss ``(l, dl)``: ``l(p, y)`` per sample, ``dl(p, y)`` of shape ``(n, 1, m)``."""

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        values = np.asarray(self.function(y_pred, y_true))
        n = y_pred.shape[0]
        if values.size != n:
            raise ValidationError(
                f"the loss {self.name} must return one value per sample ({n}), got shape {values.shape}"
            )
        return values.reshape(n)

    def backward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        grad = np.asarray(self.derivative(y_pred, y_true))
        if grad.size != y_pred.size:
            raise ValidationError(
                f"the loss derivative {_label(self.derivative)} must return shape "
                f"{(y_pred.shape[0], 1, y_pred.shape[1])}, got shape {grad.shape}"
            )
        return grad.reshape(y_pred.shape)


class ArticleOptimizer:
    """Any object with ``.update(old_params, gradient) -> new_params``.

    Its state is whatever the object keeps; npnet cannot save it, so
    :meth:`state_dict` is empty and a model holding one is saved without
    optimizer state.
    """

    def __init__(self, optimizer: Any) -> None:
        if not callable(getattr(optimizer, "update", None)):
            raise InvalidComponentError(
                f"an optimizer must be a name such as 'adam', a (name, params) pair, or an object "
                f"with a method update(params, gradient) -> new_params; got {optimizer!r}"
            )
        self.optimizer = optimizer
        self.name = type(optimizer).__name__

    @staticmethod
    def accepts(spec: object) -> bool:
        """Whether ``spec`` has the article's ``update(old_params, gradient)``."""
        return callable(getattr(spec, "update", None))

    def update(self, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        return self.optimizer.update(params, gradient)

    @property
    def learning_rate(self) -> Any:
        """The wrapped object's ``learning_rate`` (the article's SGD has one), for a schedule to set."""
        return getattr(self.optimizer, "learning_rate", None)

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self.optimizer.learning_rate = value

    def get_config(self) -> Dict[str, Any]:
        return {}

    def state_dict(self) -> Dict[str, Any]:
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        if state:
            raise ValidationError(
                f"{self.name} is an article-style optimizer without state_dict(); "
                f"cannot load the state keys {sorted(state)}"
            )

    def snapshot(self) -> Optional[Dict[str, Any]]:
        """A deep copy of the wrapped object's attributes, where its state lives.

        Used to roll back a diverged batch; None when the object has no
        ``__dict__`` or its attributes cannot be copied (any error of
        ``copy.deepcopy``): training then goes on without a rollback.
        """
        try:
            return copy.deepcopy(vars(self.optimizer))
        except Exception:  # no __dict__, or attributes deepcopy refuses (locks, proxies, files)
            return None

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        """Give the wrapped object back the attributes of :meth:`snapshot`."""
        attributes = vars(self.optimizer)
        attributes.clear()
        attributes.update(copy.deepcopy(dict(snapshot)))

    def __repr__(self) -> str:
        return f"ArticleOptimizer({self.optimizer!r})"
