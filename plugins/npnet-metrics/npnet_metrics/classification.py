"""Classification metrics: ``y_pred`` holds one score (a probability) per class, ``y_true`` the classes.

The classes are the network's outputs, ``0 .. n_outputs - 1``; one output is a
binary classifier whose output is the probability of class 1 (two classes, 0
and 1). ``y_true`` is one-hot rows or integer labels (0/1 targets for one
output). The predicted class of a row is its argmax (the first on ties), or
``y_pred > 0.5`` for one output.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, Optional, Tuple

import numpy as np

from npnet_core import optimizer_tools as tools
from npnet_core.errors import InvalidParameterError, ValidationError

from ._targets import class_count, predicted_labels, targets

__all__ = ["F1", "Accuracy", "LogLoss", "Precision", "Recall", "TopKAccuracy"]


# -- what the parameters accept (constraints for optimizer_tools.check_hyperparameters) --


@dataclass(frozen=True)
class _AtLeastOne:
    """An integer >= 1, returned as an int; bools are refused."""

    usual: int

    def check(self, owner: str, name: str, value: Any) -> int:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
            raise InvalidParameterError(
                f"{owner}: {name} must be an integer >= 1 (got {tools.show_value(value)}); "
                f"the usual value is {self.usual}"
            )
        return int(value)


@dataclass(frozen=True)
class _ZeroDivision:
    """0 or 1, returned as a float: the score of a class whose ratio is 0/0."""

    def check(self, owner: str, name: str, value: Any) -> float:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or value not in (0, 1):
            raise InvalidParameterError(
                f"{owner}: {name} must be 0.0 or 1.0, the score given to a class whose ratio is 0/0 "
                f"(got {tools.show_value(value)}); the usual value is 0.0"
            )
        return float(value)


@dataclass(frozen=True)
class _Clip:
    """None, or a number in (0, 0.5) returned as a float."""

    def check(self, owner: str, name: str, value: Any) -> Optional[float]:
        if value is None:
            return None
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not 0 < value < 0.5:
            raise InvalidParameterError(
                f"{owner}: {name} must be None (the machine epsilon of y_pred's dtype, as scikit-learn uses) "
                f"or a number in (0, 0.5) (got {tools.show_value(value)}); the usual value is None"
            )
        return float(value)


# -- the metrics ---------------------------------------------------------------------------


class Accuracy(tools.HyperparametersMixin):
    """The fraction of rows whose predicted class is the target's.

    scikit-learn: ``accuracy_score(labels, y_pred.argmax(axis=1))``.
    """

    name = "accuracy"
    greater_is_better = True

    def compute(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        pred, labels = targets(self.name, y_pred, y_true, "labels")
        return float(np.mean(predicted_labels(pred) == labels))


class TopKAccuracy(tools.HyperparametersMixin):
    """The fraction of rows whose target class is among the ``k`` highest scores.

    ``k >= n_classes`` gives 1.0. With more than two classes, ties rank the
    higher class index first, as scikit-learn's stable descending sort does.
    With two classes (one or two outputs), ``k = 1`` is :class:`Accuracy`,
    which is scikit-learn's ``p_1 > 0.5`` when the rows sum to 1.

    scikit-learn: ``top_k_accuracy_score(labels, y_pred, k=k, labels=range(n_classes))``,
    with ``y_pred[:, -1]`` for two classes.

    Parameters
    ----------
    k : int, default 5
    """

    name = "top_k_accuracy"
    greater_is_better = True
    hyperparameters = {"k": _AtLeastOne(usual=5)}

    def __init__(self, k: int = 5) -> None:
        self.k: int = tools.check_hyperparameters(self.name, self.hyperparameters, locals())["k"]

    def compute(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        pred, labels = targets(self.name, y_pred, y_true, "labels")
        if self.k >= class_count(pred):
            return 1.0
        if pred.shape[1] <= 2:  # two classes and k = 1
            return float(np.mean(predicted_labels(pred) == labels))
        score = pred[np.arange(labels.size), labels][:, np.newaxis]
        later = np.arange(pred.shape[1]) > labels[:, np.newaxis]
        ahead = np.count_nonzero((pred > score) | ((pred == score) & later), axis=1)
        return float(np.mean(ahead < self.k))


class _MacroAverage(tools.HyperparametersMixin):
    """A per-class ratio of confusion counts, averaged over all the network's classes (macro average).

    Every class counts, also one absent from ``y_true`` and never predicted; a
    class whose ratio is 0/0 scores ``zero_division``.
    """

    name: str
    greater_is_better = True
    hyperparameters = {"zero_division": _ZeroDivision()}

    def __init__(self, zero_division: float = 0.0) -> None:
        self.zero_division: float = tools.check_hyperparameters(self.name, self.hyperparameters, locals())[
            "zero_division"
        ]

    def compute(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        pred, labels = targets(self.name, y_pred, y_true, "labels")
        k = class_count(pred)
        counts = np.bincount(labels * k + predicted_labels(pred), minlength=k * k).reshape(k, k)
        numerator, denominator = self._ratio(np.diag(counts), counts.sum(axis=0), counts.sum(axis=1))
        per_class = np.divide(numerator, denominator, out=np.full(k, self.zero_division), where=denominator > 0)
        return float(np.mean(per_class))

    def _ratio(
        self, true_positives: np.ndarray, predicted: np.ndarray, actual: np.ndarray
    ) -> Tuple[np.ndarray, np.ndarray]:
        """The numerator and denominator of each class's ratio, from its counts (all int arrays of shape (k,))."""
        raise NotImplementedError


class Precision(_MacroAverage):
    """Macro-averaged precision: ``TP_c / (TP_c + FP_c)`` per class ``c``, averaged over all classes.

    scikit-learn: ``precision_score(labels, predicted, average="macro", labels=range(n_classes), zero_division=0.0)``.

    Parameters
    ----------
    zero_division : {0.0, 1.0}, default 0.0
        The precision of a class never predicted.
    """

    name = "precision"

    def _ratio(
        self, true_positives: np.ndarray, predicted: np.ndarray, actual: np.ndarray
    ) -> Tuple[np.ndarray, np.ndarray]:
        return true_positives, predicted


class Recall(_MacroAverage):
    """Macro-averaged recall: ``TP_c / (TP_c + FN_c)`` per class ``c``, averaged over all classes.

    scikit-learn: ``recall_score(labels, predicted, average="macro", labels=range(n_classes), zero_division=0.0)``.

    Parameters
    ----------
    zero_division : {0.0, 1.0}, default 0.0
        The recall of a class absent from ``y_true``.
    """

    name = "recall"

    def _ratio(
        self, true_positives: np.ndarray, predicted: np.ndarray, actual: np.ndarray
    ) -> Tuple[np.ndarray, np.ndarray]:
        return true_positives, actual


class F1(_MacroAverage):
    """Macro-averaged F1: ``2 TP_c / (2 TP_c + FP_c + FN_c)`` per class ``c``, averaged over all classes.

    That is the harmonic mean of the class's precision and recall (0 when
    either is 0). scikit-learn: ``f1_score(labels, predicted, average="macro",
    labels=range(n_classes), zero_division=0.0)``.

    Parameters
    ----------
    zero_division : {0.0, 1.0}, default 0.0
        The F1 of a class absent from ``y_true`` and never predicted.
    """

    name = "f1"

    def _ratio(
        self, true_positives: np.ndarray, predicted: np.ndarray, actual: np.ndarray
    ) -> Tuple[np.ndarray, np.ndarray]:
        return 2 * true_positives, predicted + actual


class LogLoss(tools.HyperparametersMixin):
    """The mean of ``-log p``, where ``p`` is the probability a row gives its target class.

    ``p`` is clipped to ``[epsilon, 1 - epsilon]``; rows are not renormalised.
    With one output ``y``, ``p`` is ``y`` for class 1 and ``1 - y`` for class 0.

    scikit-learn: ``log_loss(labels, y_pred, labels=range(n_outputs))`` (1.5 and later,
    which clip to the machine epsilon of ``y_pred``'s dtype, float64 for integers).

    Parameters
    ----------
    epsilon : float in (0, 0.5) or None, default None
        None: the machine epsilon of ``y_pred``'s dtype (float32: 1.19e-7,
        float64: 2.2e-16), as scikit-learn 1.5 and later; 1e-15 is the
        ``eps`` of earlier scikit-learn.

    Raises
    ------
    ValidationError
        If ``y_pred`` holds values outside [0, 1].
    """

    name = "log_loss"
    greater_is_better = False
    hyperparameters = {"epsilon": _Clip()}

    def __init__(self, epsilon: Optional[float] = None) -> None:
        self.epsilon: Optional[float] = tools.check_hyperparameters(self.name, self.hyperparameters, locals())[
            "epsilon"
        ]

    def compute(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        pred, labels = targets(self.name, y_pred, y_true, "labels")
        if pred.dtype not in (np.float32, np.float64):
            pred = pred.astype(np.float64)
        low, high = pred.min(), pred.max()
        if low < 0 or high > 1:
            raise ValidationError(
                f"{self.name}: y_pred must hold probabilities in [0, 1] (got {tools.show_value(low)} to "
                f"{tools.show_value(high)}); use a softmax output activation (a sigmoid for one output)"
            )
        if pred.shape[1] == 1:
            p = np.where(labels == 1, pred[:, 0], 1 - pred[:, 0])
        else:
            p = pred[np.arange(labels.size), labels]
        epsilon = np.finfo(pred.dtype).eps if self.epsilon is None else self.epsilon
        return float(-np.mean(np.log(np.clip(p.astype(np.float64), epsilon, 1 - epsilon))))
