"""The classification metrics against scikit-learn.metrics, brute-force loops over the samples and hand-worked cases."""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any, Callable, List, NamedTuple

import numpy as np
import pytest
from npnet_metrics import F1, Accuracy, LogLoss, Precision, Recall, TopKAccuracy
from sklearn import metrics as skm

SCENARIOS = ("random", "class_absent", "never_predicted", "perfect", "ties")
OUTPUTS = (1, 2, 3, 5, 10)
DTYPES = (np.float32, np.float64)


class Case(NamedTuple):
    """Network outputs ``y_pred`` (n, outputs) and the integer labels of their targets."""

    y_pred: np.ndarray
    labels: np.ndarray
    classes: int

    @property
    def score(self) -> np.ndarray:
        """What scikit-learn takes as scores: the probability of class 1 for two classes, else ``y_pred``."""
        return self.y_pred[:, -1] if self.classes == 2 else self.y_pred

    @property
    def predicted(self) -> np.ndarray:
        """The predicted classes, by npnet's convention: argmax, or ``> 0.5`` for one output."""
        if self.y_pred.shape[1] == 1:
            return (self.y_pred[:, 0] > 0.5).astype(int)
        return self.y_pred.argmax(axis=1)


def make_case(outputs: int, dtype: Any, scenario: str, seed: int) -> Case:
    """A random case; ``scenario`` puts in an absent class, a class never predicted, perfect predictions or ties."""
    rng = np.random.default_rng(seed)
    classes = max(outputs, 2)
    n = int(rng.integers(20, 300))
    labels = rng.integers(0, classes, n)
    y_pred = rng.uniform(size=(n, 1)) if outputs == 1 else rng.dirichlet(np.full(classes, 0.7), size=n)
    if scenario == "class_absent":  # the last class never in y_true
        labels[labels == classes - 1] = 0
    elif scenario == "never_predicted":  # class 0 has probability 0, or class 1 never above 0.5
        if outputs == 1:
            y_pred *= 0.5
        else:
            y_pred[:, 0] = 0.0
            y_pred /= y_pred.sum(axis=1, keepdims=True)
    elif scenario == "perfect":
        y_pred = labels[:, np.newaxis].astype(float) if outputs == 1 else np.eye(classes)[labels]
    elif scenario == "ties":  # quantised to quarters: many ties, and exact 0.5
        y_pred = np.round(y_pred * 4) / 4
        if outputs == 2:
            y_pred[:, 0] = 1 - y_pred[:, 1]
    return Case(y_pred.astype(dtype), labels, classes)


CASES = [
    pytest.param(make_case(outputs, dtype, scenario, seed), id=f"{outputs}outputs-{dtype.__name__}-{scenario}")
    for seed, (outputs, dtype, scenario) in enumerate(itertools.product(OUTPUTS, DTYPES, SCENARIOS))
]


def sklearn_quietly(function: Callable[..., float], *args: Any, **kwargs: Any) -> float:
    """Call a scikit-learn metric, ignoring its warnings (k >= n_classes, rows that do not sum to 1)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(function(*args, **kwargs))


def tolerance(case: Case) -> float:
    return 1e-5 if case.y_pred.dtype == np.float32 else 1e-12


# -- against scikit-learn -------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_accuracy_equals_sklearn_accuracy_score_of_the_predicted_classes(case):
    """accuracy is sklearn's accuracy_score of argmax (or > 0.5) against the labels."""
    assert Accuracy().compute(case.y_pred, case.labels) == skm.accuracy_score(case.labels, case.predicted)


@pytest.mark.parametrize("case", CASES)
def test_top_k_accuracy_equals_sklearn_top_k_accuracy_score_for_every_k(case):
    """top_k_accuracy(k) is sklearn's top_k_accuracy_score with labels=range(n_classes), for k = 1 .. n_classes + 1."""
    for k in range(1, case.classes + 2):
        expected = sklearn_quietly(skm.top_k_accuracy_score, case.labels, case.score, k=k, labels=range(case.classes))
        assert TopKAccuracy(k=k).compute(case.y_pred, case.labels) == expected, f"k={k}"


@pytest.mark.parametrize("zero_division", [0.0, 1.0])
@pytest.mark.parametrize(
    "metric, reference", [(Precision, skm.precision_score), (Recall, skm.recall_score), (F1, skm.f1_score)]
)
@pytest.mark.parametrize("case", CASES)
def test_precision_recall_f1_equal_sklearn_macro_averages_over_all_classes(case, metric, reference, zero_division):
    """precision, recall, f1 are sklearn's average="macro" over labels=range(n_classes), with its zero_division."""
    expected = sklearn_quietly(
        reference,
        case.labels,
        case.predicted,
        labels=range(case.classes),
        average="macro",
        zero_division=zero_division,
    )
    got = metric(zero_division=zero_division).compute(case.y_pred, case.labels)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("case", CASES)
def test_log_loss_equals_sklearn_log_loss(case):
    """log_loss is sklearn 1.9's log_loss with labels=range(n_classes): clipped to the dtype's epsilon, not renormalised."""
    expected = sklearn_quietly(skm.log_loss, case.labels, case.score, labels=range(case.classes))  # y_proba in 1.9
    got = LogLoss().compute(case.y_pred, case.labels)
    assert got == pytest.approx(expected, rel=tolerance(case), abs=tolerance(case) * 1e-2)


@pytest.mark.parametrize("case", CASES)
def test_log_loss_with_epsilon_clips_to_it(case):
    """log_loss(epsilon=e) is the mean of -log(clip(p_target, e, 1 - e)), worked in float64."""
    p = case.y_pred.astype(np.float64)
    if case.y_pred.shape[1] == 1:
        p = np.hstack([1 - p, p])
    epsilon = 1e-4
    expected = -np.mean(np.log(np.clip(p[np.arange(case.labels.size), case.labels], epsilon, 1 - epsilon)))
    got = LogLoss(epsilon=epsilon).compute(case.y_pred, case.labels)
    assert got == pytest.approx(expected, rel=tolerance(case))


# -- against brute-force loops ----------------------------------------------------------------


def loop_counts(y_pred: np.ndarray, labels: np.ndarray, classes: int) -> List[List[int]]:
    """[tp, fp, fn] per class, counted one sample at a time (the predicted class: the first maximum, or > 0.5)."""
    counts = [[0, 0, 0] for _ in range(classes)]
    for row, truth in zip(y_pred.tolist(), labels.tolist()):
        if len(row) == 1:
            predicted = 1 if row[0] > 0.5 else 0
        else:
            predicted = max(range(len(row)), key=lambda c: row[c])  # max returns the first of equal keys
        if predicted == truth:
            counts[truth][0] += 1
        else:
            counts[predicted][1] += 1
            counts[truth][2] += 1
    return counts


def loop_macro(counts: List[List[int]], which: str, zero_division: float) -> float:
    scores = []
    for tp, fp, fn in counts:
        numerator, denominator = {
            "precision": (tp, tp + fp),
            "recall": (tp, tp + fn),
            "f1": (2 * tp, 2 * tp + fp + fn),
        }[which]
        scores.append(numerator / denominator if denominator else zero_division)
    return sum(scores) / len(scores)


@pytest.mark.parametrize("zero_division", [0.0, 1.0])
@pytest.mark.parametrize("metric", [Precision, Recall, F1])
@pytest.mark.parametrize("case", CASES)
def test_precision_recall_f1_equal_a_loop_over_samples(case, metric, zero_division):
    """The macro average of per-class ratios of tp, fp, fn counted in a pure-Python loop over the samples."""
    expected = loop_macro(loop_counts(case.y_pred, case.labels, case.classes), metric.name, zero_division)
    got = metric(zero_division=zero_division).compute(case.y_pred, case.labels)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("case", [case for case in CASES if case.values[0].classes > 2])
def test_top_k_accuracy_equals_a_loop_over_samples(case):
    """More than two classes: a row is a hit when fewer than k classes score higher, or equal with a higher index."""
    for k in range(1, case.classes):
        hits = 0
        for row, truth in zip(case.y_pred.tolist(), case.labels.tolist()):
            ahead = sum(1 for c, s in enumerate(row) if s > row[truth] or (s == row[truth] and c > truth))
            hits += ahead < k
        assert TopKAccuracy(k=k).compute(case.y_pred, case.labels) == hits / case.labels.size, f"k={k}"


# -- hand-worked cases ---------------------------------------------------------------------------

#: labels [0, 0, 1, 2] predicted [0, 1, 1, 1] with four outputs: class 3 absent and never predicted.
#: class 0: tp 1, predicted 1, actual 2; class 1: tp 1, predicted 3, actual 1; class 2: tp 0, predicted 0,
#: actual 1; class 3: nothing.
HAND_PRED = np.array([[0.9, 0.1, 0, 0], [0.2, 0.7, 0.1, 0], [0, 1, 0, 0], [0.3, 0.4, 0.3, 0]])
HAND_LABELS = np.array([0, 0, 1, 2])


@pytest.mark.parametrize(
    "metric, zero_division, expected",
    [
        (Precision, 0.0, (1 + 1 / 3 + 0 + 0) / 4),
        (Precision, 1.0, (1 + 1 / 3 + 1 + 1) / 4),
        (Recall, 0.0, (1 / 2 + 1 + 0 + 0) / 4),
        (Recall, 1.0, (1 / 2 + 1 + 0 + 1) / 4),
        (F1, 0.0, (2 / 3 + 2 / 4 + 0 + 0) / 4),
        (F1, 1.0, (2 / 3 + 2 / 4 + 0 + 1) / 4),
    ],
)
def test_macro_averages_worked_by_hand(metric, zero_division, expected):
    """Each class counts in the average; a 0/0 ratio scores zero_division, a 0/positive ratio scores 0."""
    assert metric(zero_division=zero_division).compute(HAND_PRED, HAND_LABELS) == pytest.approx(expected, rel=1e-15)


def test_accuracy_with_one_output_thresholds_at_one_half_exclusive():
    """One output: class 1 when y_pred > 0.5, so 0.5 itself predicts class 0."""
    y_pred = np.array([[0.5], [0.51], [0.2], [0.9]])
    assert Accuracy().compute(y_pred, np.array([0, 1, 1, 0])) == 2 / 4


def test_top_k_accuracy_ties_rank_the_higher_class_first_like_sklearn():
    """With three classes scored [0.4, 0.4, 0.2], k=1 counts class 1 and not class 0; k=2 counts both."""
    y_pred = np.array([[0.4, 0.4, 0.2]] * 2)
    labels = np.array([0, 1])
    assert TopKAccuracy(k=1).compute(y_pred, labels) == 0.5
    assert TopKAccuracy(k=2).compute(y_pred, labels) == 1.0


def test_log_loss_worked_by_hand_and_clipped_to_the_dtype_epsilon():
    """-(ln 0.7 + ln 0.8) / 2; a zero probability of the target costs -ln(eps) of the dtype."""
    y_pred = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    assert LogLoss().compute(y_pred, np.array([0, 2])) == pytest.approx(-(math.log(0.7) + math.log(0.8)) / 2)
    zero = np.array([[1.0, 0.0]])
    for dtype in DTYPES:
        eps = float(np.finfo(dtype).eps)
        assert LogLoss().compute(zero.astype(dtype), np.array([1])) == pytest.approx(-math.log(eps), rel=1e-12)
        assert LogLoss().compute(zero.astype(dtype), np.array([0])) == pytest.approx(-math.log1p(-eps), rel=1e-9)


def test_log_loss_does_not_renormalise_rows():
    """Rows that do not sum to 1 are read as they are: [0.2, 0.2] gives -ln 0.2, as scikit-learn (with a warning)."""
    assert LogLoss().compute(np.array([[0.2, 0.2]]), np.array([0])) == pytest.approx(-math.log(0.2))


def test_perfect_predictions_give_the_best_scores():
    """One-hot predictions of the targets: accuracy, precision, recall, f1 = 1 and log_loss = -ln(1 - eps)."""
    labels = np.array([0, 1, 2, 2, 1])
    perfect = np.eye(4)[labels]  # class 3 absent and never predicted: zero_division=1 keeps the averages at 1
    for metric in (Accuracy(), TopKAccuracy(k=1), Precision(1.0), Recall(1.0), F1(1.0)):
        assert metric.compute(perfect, labels) == 1.0, metric.name
    assert LogLoss().compute(perfect, labels) == pytest.approx(-math.log1p(-np.finfo(np.float64).eps))


# -- targets: labels and one-hot rows agree --------------------------------------------------------

CLASSIFIERS = [Accuracy(), TopKAccuracy(k=1), TopKAccuracy(k=2), Precision(), Recall(), F1(), LogLoss()]


@pytest.mark.parametrize("metric", CLASSIFIERS, ids=lambda m: repr(m))
@pytest.mark.parametrize("case", CASES[::3])
def test_labels_and_one_hot_targets_give_the_same_score(case, metric):
    """Integer labels, float labels (2.0) and one-hot rows of any dtype (or 0/1 columns for one output) score alike."""
    expected = metric.compute(case.y_pred, case.labels)
    outputs = case.y_pred.shape[1]
    forms = [case.labels.astype(np.float32), case.labels.astype(np.int8)]
    if outputs == 1:
        forms += [case.labels[:, np.newaxis].astype(float), case.labels.astype(bool)]
    else:
        one_hot = np.eye(outputs)[case.labels]
        forms += [one_hot, one_hot.astype(np.float32), one_hot.astype(np.int64), one_hot.astype(bool)]
    for y_true in forms:
        assert metric.compute(case.y_pred, y_true) == expected, f"{y_true.dtype} {y_true.shape}"


@pytest.mark.parametrize("metric", CLASSIFIERS, ids=lambda m: repr(m))
def test_lists_are_accepted_like_arrays(metric):
    """Nested lists score as the arrays they describe."""
    y_pred, labels = HAND_PRED, HAND_LABELS
    assert metric.compute(y_pred.tolist(), labels.tolist()) == metric.compute(y_pred, labels)
