"""What the targets are, and the output activation and loss that go with them.

Four kinds of targets, and of networks:

- multiclass: class labels 0..n-1 (or one-hot rows) with more than two classes;
  one output per class, softmax and categorical_crossentropy;
- binary: labels 0 and 1; one output, sigmoid and binary_crossentropy;
- multilabel: k > 1 columns of 0/1 that are not one-hot rows; k outputs, sigmoid
  and binary_crossentropy (each output a probability of its own);
- regression: anything else; identity and mean_squared_error.

What a component is comes from what it declares (``produces``, ``expects``:
:mod:`npnet_core.protocols`), not from its name; only the defaults are named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ..errors import AmbiguousComponentError, NpnetError
from ..kinds import KINDS
from ._common import CommandError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from ..components import Registry
    from ..network import NeuralNetwork

__all__ = [
    "BINARY",
    "CLASSIFIERS",
    "MULTICLASS",
    "MULTILABEL",
    "REGRESSION",
    "Pair",
    "Targets",
    "choose_pair",
    "class_labels",
    "detect_targets",
    "model_targets",
    "output_kind",
]

MULTICLASS, BINARY, MULTILABEL, REGRESSION = "multiclass", "binary", "multilabel", "regression"
#: the kinds whose outputs give labels, and so an accuracy
CLASSIFIERS = (MULTICLASS, BINARY, MULTILABEL)

Spec = Tuple[str, Dict[str, Any]]
#: the defaults, by the declaration they make (what an activation produces, what a loss expects)
_SIGMOID: Spec = ("sigmoid", {})
_BINARY_CROSSENTROPY: Spec = ("binary_crossentropy", {})
_SOFTMAX: Spec = ("softmax", {})
_CATEGORICAL_CROSSENTROPY: Spec = ("categorical_crossentropy", {})
_IDENTITY: Spec = ("identity", {})
_MEAN_SQUARED_ERROR: Spec = ("mean_squared_error", {})

#: the most classes a whole-number label column is taken to mean without --task
_MAX_AUTO_CLASSES = 1000
_CHOOSE = "give --output-activation and --loss to choose"


def class_labels(y: "np.ndarray") -> "Optional[np.ndarray]":
    """``y`` as int64 class indices if it holds whole non-negative numbers (or one-hot rows), else None."""
    import numpy as np

    if y.ndim == 2:
        if y.shape[1] > 1 and np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all():
            return np.argmax(y, axis=1)
        return None
    if y.dtype == bool:
        return y.astype(np.int64)
    if not np.issubdtype(y.dtype, np.number) or not np.isfinite(y).all():
        return None
    if (y != np.round(y)).any() or y.min() < 0:
        return None
    return y.astype(np.int64)


def _is_multilabel(y: "np.ndarray") -> bool:
    """Whether ``y`` is k > 1 columns of 0/1 whose rows are not all one-hot."""
    import numpy as np

    return y.ndim == 2 and y.shape[1] > 1 and bool(np.isin(y, (0, 1)).all()) and class_labels(y) is None


@dataclass
class Targets:
    """The targets of the training data (and of MNIST's test files), prepared for ``fit``."""

    #: MULTICLASS, BINARY, MULTILABEL or REGRESSION
    kind: str
    #: int labels (multiclass, binary) or float matrices (multilabel, regression), one per data set
    values: List["np.ndarray"]
    #: the outputs the network needs
    n_out: int
    #: what they are, for the data line: ``classification into 10 classes (labels 0..9)``
    note: str

    @property
    def categorical(self) -> bool:
        """Whether ``fit`` one-hot encodes them (``categorical=True``)."""
        return self.kind == MULTICLASS


def detect_targets(task: str, ys: List["np.ndarray"]) -> Targets:
    """Tell the kind of the targets ``ys`` (``--task``: auto, classification or regression)."""
    import numpy as np

    labels = [class_labels(y) for y in ys]
    whole = all(label is not None for label in labels)
    multilabel = all(_is_multilabel(y) for y in ys) and len({y.shape[1] for y in ys}) == 1
    if task == "classification" and not (whole or multilabel):
        bad = next(y for y, label in zip(ys, labels) if label is None)
        raise CommandError(
            "--task classification needs class labels 0, 1, 2, ... (or one-hot rows, or columns of 0/1 for "
            f"multi-label); these labels are of shape {bad.shape} with values such as {bad.ravel()[:3].tolist()}"
        )
    if task != "regression" and multilabel:
        k = ys[0].shape[1]
        values = [y.astype(np.float64) for y in ys]
        return Targets(MULTILABEL, values, k, f"multi-label classification: {k} labels of 0/1 per sample")
    if whole and task != "regression":
        n_classes = max(int(label.max()) for label in labels) + 1  # type: ignore[union-attr]
        if task == "classification" or n_classes <= _MAX_AUTO_CLASSES:
            if n_classes < 2:
                raise CommandError("the labels hold a single class (0); a classifier needs at least two classes")
            if n_classes == 2:
                return Targets(BINARY, labels, 1, "binary classification (labels 0/1)")  # type: ignore[arg-type]
            note = f"classification into {n_classes} classes (labels 0..{n_classes - 1})"
            return Targets(MULTICLASS, labels, n_classes, note)  # type: ignore[arg-type]
    targets = [y.reshape(len(y), -1).astype(np.float64) for y in ys]
    n_out = targets[0].shape[1]
    note = f"regression of {n_out} target{'s' if n_out > 1 else ''}"
    if whole:
        note += (
            f" (whole-number labels up to {max(int(np.max(y)) for y in ys)} are too many classes; "
            "--task classification to insist)"
        )
    return Targets(REGRESSION, targets, n_out, note)


# -- the output activation and the loss -----------------------------------------------------------------


@dataclass
class Pair:
    """The output activation and loss chosen for the targets, and what was picked without being asked."""

    output_activation: Spec
    loss: Spec
    targets: Targets
    #: one line saying what was picked and why (None when the user gave the output activation or the loss)
    picked: Optional[str] = None


def _declared(registry: "Registry", kind: str, spec: Spec, attribute: str) -> Any:
    """What the component ``spec`` names declares in ``attribute`` (None when it cannot be looked up)."""
    try:
        entry = registry.lookup(kind, spec[0])
    except NpnetError:  # build_network says what is wrong with the name
        return None
    return getattr(entry.factory, attribute, None)


def _installed(registry: "Registry", kind: str, name: str) -> bool:
    try:
        registry.lookup(kind, name)
    except AmbiguousComponentError:  # installed twice: building the network says how to pin one
        return True
    except NpnetError:
        return False
    return True


def _install_hint(names: List[Tuple[str, str]]) -> str:
    """``pip install npnet-sigmoid-tanh`` for the official distributions of ``(kind, name)`` pairs."""
    distributions = sorted({KINDS[kind].official.get(name, "") for kind, name in names} - {""})
    return f"pip install {' '.join(distributions)}" if distributions else "install a plugin that provides them"


def _with_units(targets: Targets, output_produces: Any) -> Targets:
    """Binary labels become two classes, one output each, for an output activation giving a distribution."""
    from ..protocols import DISTRIBUTION

    if targets.kind == BINARY and output_produces == DISTRIBUTION:
        return Targets(MULTICLASS, targets.values, 2, "classification into 2 classes (labels 0..1)")
    return targets


def choose_pair(targets: Targets, output: Optional[Spec], loss: Optional[Spec], registry: "Registry") -> Pair:
    """The output activation and loss for ``targets``: those given, the missing one matched to the other.

    With neither given, the pair of the targets' kind (sigmoid and
    binary_crossentropy for binary and multi-label targets, softmax and
    categorical_crossentropy for classes, identity and mean_squared_error
    for regression), said in :attr:`Pair.picked`. Binary labels without the
    sigmoid pair installed fall back to softmax over two outputs.
    """
    from ..protocols import DISTRIBUTION, PROBABILITIES

    kind = targets.kind
    if kind == REGRESSION:
        picked = None
        if output is None and loss is None:
            picked = f"real-valued targets: output identity, loss mean_squared_error ({_CHOOSE})"
        return Pair(output or _IDENTITY, loss or _MEAN_SQUARED_ERROR, targets, picked)
    sigmoid_pair = [("activation", _SIGMOID[0]), ("loss", _BINARY_CROSSENTROPY[0])]
    has_sigmoid_pair = all(_installed(registry, k, name) for k, name in sigmoid_pair)
    if output is None and loss is None:
        if kind == MULTICLASS:
            picked = f"{targets.n_out} classes: output softmax, loss categorical_crossentropy ({_CHOOSE})"
            return Pair(_SOFTMAX, _CATEGORICAL_CROSSENTROPY, targets, picked)
        if has_sigmoid_pair:
            what = (
                "binary labels 0/1"
                if kind == BINARY
                else f"multi-label targets ({targets.n_out} columns of 0/1, not one-hot)"
            )
            return Pair(
                _SIGMOID, _BINARY_CROSSENTROPY, targets, f"{what}: output sigmoid, loss binary_crossentropy ({_CHOOSE})"
            )
        hint = _install_hint(sigmoid_pair)
        if kind == BINARY:
            picked = (
                "binary labels 0/1: output softmax over 2 outputs, loss categorical_crossentropy (sigmoid and "
                f"binary_crossentropy, for one output, are not installed: {hint}; or {_CHOOSE})"
            )
            return Pair(_SOFTMAX, _CATEGORICAL_CROSSENTROPY, _with_units(targets, DISTRIBUTION), picked)
        raise CommandError(
            f"multi-label targets ({targets.n_out} columns of 0/1) need an output activation giving each output a "
            f"probability of its own, with its loss: sigmoid and binary_crossentropy, which are not installed "
            f"({hint}); or give --output-activation and --loss, or --task regression"
        )
    if loss is None:
        produced = _declared(registry, "activation", output, "produces")  # type: ignore[arg-type]
        if produced == PROBABILITIES:
            loss = _BINARY_CROSSENTROPY
        elif produced == DISTRIBUTION:
            loss = _CATEGORICAL_CROSSENTROPY
        else:  # outputs of any value: a loss for any value (a probability loss would warn and may diverge)
            loss = _MEAN_SQUARED_ERROR
        return Pair(output, loss, _with_units(targets, produced))  # type: ignore[arg-type]
    if output is None:
        expected = _declared(registry, "loss", loss, "expects")
        if expected == DISTRIBUTION or (expected != PROBABILITIES and kind == MULTICLASS):
            output = _SOFTMAX
        elif kind == BINARY and not _installed(registry, "activation", _SIGMOID[0]):
            output = _SOFTMAX  # over two outputs: one output through softmax would always be 1
        else:
            output = _SIGMOID
    produced = _declared(registry, "activation", output, "produces")
    return Pair(output, loss, _with_units(targets, produced))


# -- a saved model ---------------------------------------------------------------------------------------


def output_kind(net: "NeuralNetwork") -> str:
    """What a network's outputs are: MULTICLASS, BINARY, MULTILABEL or REGRESSION.

    Outputs that are probabilities of their own (sigmoid) are binary with one
    output, multi-label with more; a distribution (softmax) over two or more
    outputs is classes; an output activation that declares nothing gives
    classes with two or more outputs unless it is identity, as before the
    declarations.
    """
    from ..components import produces
    from ..protocols import DISTRIBUTION, PROBABILITIES

    produced = produces(net.output_activation)
    n_out = net.layers[-1]
    if produced == PROBABILITIES:
        return BINARY if n_out == 1 else MULTILABEL
    if n_out >= 2 and (produced == DISTRIBUTION or getattr(net.output_activation, "name", None) != "identity"):
        return MULTICLASS
    return REGRESSION


def _examples(y: "np.ndarray") -> str:
    import numpy as np

    return str(np.unique(y)[:5].tolist())


def model_targets(kind: str, n_out: int, y: "np.ndarray", source: str) -> "np.ndarray":
    """``y`` prepared for a model of ``kind`` with ``n_out`` outputs (as :class:`Targets`), or a CommandError."""
    import numpy as np

    if kind == MULTICLASS:
        labels = class_labels(y)
        if labels is None:
            raise CommandError(
                f"{source}: the model is a classifier, but the labels are not class indices 0, 1, 2, ..."
            )
        if labels.max() >= n_out:
            raise CommandError(
                f"{source}: the labels go up to {labels.max()}, but the model has {n_out} classes (0..{n_out - 1})"
            )
        return labels
    if kind == BINARY:
        # labels of shape (n,) or (n, 1), or one-hot rows of two classes
        labels = class_labels(y.reshape(-1) if y.ndim == 2 and y.shape[1] == 1 else y)
        if labels is None or labels.max() > 1:
            raise CommandError(
                f"{source}: the model is a binary classifier (one output, a probability), so the labels must be "
                f"0 or 1; these are of shape {y.shape} with values such as {_examples(y)}"
            )
        return labels
    if kind == MULTILABEL:
        if y.ndim != 2 or y.shape[1] != n_out or not np.isin(y, (0, 1)).all():
            raise CommandError(
                f"{source}: the model is a multi-label classifier of {n_out} labels, so the targets must be "
                f"{n_out} columns of 0/1 (in a CSV table, --label-column with {n_out} columns); these are of "
                f"shape {y.shape} with values such as {_examples(y)}"
            )
        return y.astype(np.float64)
    targets = y.reshape(len(y), -1)
    if targets.shape[1] != n_out:
        raise CommandError(
            f"{source}: the model has {n_out} output{'s' if n_out != 1 else ''}, but the targets have "
            f"{targets.shape[1]} column{'s' if targets.shape[1] != 1 else ''}"
        )
    return targets.astype(np.float64)
