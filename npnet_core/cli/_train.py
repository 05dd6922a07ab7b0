"""``npnet train``: train a network on the digits, MNIST or a data file and print a table of metrics."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ._common import CommandError, check_output_path, number, print_error, table
from ._data import Data, class_labels, dataset_kind, load
from ._networks import build_network, describe_network

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["run_train"]


#: the most classes a whole-number label column is taken to mean without --task
_MAX_AUTO_CLASSES = 1000


def _split_labels_and_task(
    args: argparse.Namespace, ys: List["np.ndarray"]
) -> Tuple[str, List["np.ndarray"], int, str]:
    """Decide classification or regression; return the task, the prepared targets, outputs and a note."""
    import numpy as np

    labels = [class_labels(y) for y in ys]
    whole = all(label is not None for label in labels)
    if args.task == "classification" and not whole:
        bad = next(y for y, label in zip(ys, labels) if label is None)
        raise CommandError(
            "--task classification needs class labels 0, 1, 2, ... (or one-hot rows); these labels are "
            f"of shape {bad.shape} with values such as {bad.ravel()[:3].tolist()}"
        )
    if whole and args.task != "regression":
        n_classes = max(int(label.max()) for label in labels) + 1  # type: ignore[union-attr]
        if args.task == "classification" or n_classes <= _MAX_AUTO_CLASSES:
            if n_classes < 2:
                raise CommandError("the labels hold a single class (0); a classifier needs at least two classes")
            return (
                "classification",
                labels,
                n_classes,
                f"classification into {n_classes} classes (labels 0..{n_classes - 1})",
            )  # type: ignore[return-value]
    targets = [y.reshape(len(y), -1).astype(np.float64) for y in ys]
    n_out = targets[0].shape[1]
    note = f"regression of {n_out} target{'s' if n_out > 1 else ''}"
    if whole:
        note += f" (whole-number labels up to {max(int(np.max(y)) for y in ys)} are too many classes; --task classification to insist)"
    return "regression", targets, n_out, note


def _split(args: argparse.Namespace, data: Data, test: Optional[Data]) -> Tuple[Any, ...]:
    from ..datasets import train_test_split

    if test is not None:
        return data.x, test.x, data.y, test.y
    test_size = 0.25 if args.test_size is None else args.test_size
    if test_size == 0:
        return data.x, None, data.y, None
    return train_test_split(data.x, data.y, test_size=test_size, seed=args.seed)


def _resolve_metrics(specs: List[Tuple[str, Dict[str, Any]]]) -> Dict[str, Any]:
    """The metrics of ``--metrics`` by history key, resolved now so that a wrong name fails before any work."""
    from .._training import resolve_metrics
    from ..components import get_registry

    keys = [name.rpartition(":")[2] for name, _ in specs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise CommandError(f"--metrics names {repeated[0]!r} twice; give each metric once")
    return resolve_metrics(specs, get_registry())


def _check_monitor(args: argparse.Namespace, metrics: Dict[str, Any], classification: bool) -> Optional[bool]:
    """Whether a greater value of the monitored key is better (None without --early-stopping)."""
    if args.early_stopping is None:
        return None
    monitor = args.monitor or "val_loss"
    name = monitor[4:] if monitor.startswith("val_") else monitor
    from .._training import directions

    recorded = directions(metrics, classification)
    if name not in recorded:
        hint = "accuracy is recorded for classifiers only" if name == "accuracy" else f"add {name} to --metrics"
        raise CommandError(f"--monitor {monitor}: training records {', '.join(recorded)} (and val_ of each); {hint}")
    return recorded[name]


def run_train(args: argparse.Namespace) -> int:
    import numpy as np

    if args.plot is not None:
        from ..plotting import image_format, require_matplotlib

        require_matplotlib()
        image_format(Path(args.plot))
    check_output_path(args.save, "--save")
    check_output_path(args.plot, "--plot")
    kind = dataset_kind(args)
    if kind == "mnist" and args.test_size is not None:
        raise CommandError("--test-size does not apply to MNIST, whose test set is its own t10k files")
    monitor = args.monitor or "val_loss"
    if args.monitor is not None and args.early_stopping is None:
        raise CommandError("--monitor chooses what --early-stopping watches: add --early-stopping PATIENCE too")
    if args.early_stopping is not None and monitor.startswith("val_") and not args.validation_split:
        watched = "the validation loss" if monitor == "val_loss" else f"{monitor}, a validation value"
        raise CommandError(
            f"--early-stopping watches {watched}: add --validation-split, e.g. 0.2, or --monitor {monitor[4:]}"
        )
    metrics = _resolve_metrics(args.metrics or [])
    dtype = args.dtype
    data = load(args, kind, dtype, subset="train")
    if data.y is None:
        raise CommandError(
            f"{data.source} holds no labels: give a label column (--label-column), an array y, or --labels FILE"
        )
    test = load(args, kind, dtype, subset="test") if kind == "mnist" else None
    ys = [data.y] + ([test.y] if test is not None and test.y is not None else [])
    task, targets, n_out, note = _split_labels_and_task(args, ys)
    data.y = targets[0]
    if test is not None:
        test.y = targets[1]
    x_train, x_test, y_train, y_test = _split(args, data, test)
    n_val = math.ceil(args.validation_split * len(x_train))  # the end of the training part, as fit does
    if n_val >= len(x_train):
        raise CommandError(
            f"--validation-split {args.validation_split} leaves no training samples out of {len(x_train)}"
        )
    validation = None
    if n_val:
        validation = (x_train[-n_val:], y_train[-n_val:])
        x_train, y_train = x_train[:-n_val], y_train[:-n_val]

    classification = task == "classification"
    greater_is_better = _check_monitor(args, metrics, classification)
    activations = args.activation
    n_hidden = len(args.hidden)
    if len(activations) not in (1, n_hidden):
        raise CommandError(
            f"--activation gives {len(activations)} activations for {n_hidden} hidden layers; give one for all, or one per layer"
        )
    specs = {
        "hidden_activation": activations[0] if len(activations) == 1 else list(activations),
        "output_activation": args.output_activation or (("softmax", {}) if classification else ("identity", {})),
        "loss": args.loss or (("categorical_crossentropy", {}) if classification else ("mean_squared_error", {})),
        "optimizer": args.optimizer,
        "initializer": args.initializer,
    }
    if args.regularizers:
        specs["regularizers"] = args.regularizers
    if args.schedule is not None:
        specs["schedule"] = args.schedule
    layers = [data.x.shape[1], *args.hidden, n_out]
    net = build_network(layers, specs, args.seed, dtype)
    if not args.quiet:
        print(f"data: {data.source}, {len(data.x)} samples of {data.x.shape[1]} inputs; {note}")
        parts = [
            f"{len(x_train)} train",
            f"{n_val} validation" if n_val else None,
            f"{len(x_test)} test" if x_test is not None else "no test",
        ]
        print("split: " + ", ".join(p for p in parts if p) + " samples")
        print(f"network: {describe_network(net)}")
    options: Dict[str, Any] = {"verbose": 0 if args.quiet else 1}
    if validation is not None:
        options["validation_data"] = validation
    if args.early_stopping is not None:
        options["early_stopping"] = args.early_stopping
        options["monitor"] = monitor
    if args.metrics:
        options["metrics"] = list(args.metrics)
    try:
        net.fit(x_train, y_train, args.batch_size, args.epochs, categorical=classification, **options)
    except KeyboardInterrupt:
        done = len(net.history.get("loss", []))
        print_error(f"interrupted after {done} complete epoch{'s' if done != 1 else ''}; nothing was saved")
        return 130

    epochs_run = len(net.history.get("loss", []))
    if args.early_stopping is not None and not args.quiet and epochs_run < args.epochs:
        values = np.array(net.history[monitor], dtype=float)
        best = int(np.nanargmax(values) if greater_is_better else np.nanargmin(values)) + 1
        print(
            f"stopped early after epoch {epochs_run}: {monitor} had not improved for {args.early_stopping} "
            f"epoch{'s' if args.early_stopping > 1 else ''}; the weights of epoch {best} (the "
            f"{'highest' if greater_is_better else 'lowest'} {monitor}) were restored"
        )
    # a metric named accuracy is the column a classifier has anyway
    columns = [key for key in metrics if not (classification and key == "accuracy")]
    rows = [["", "loss"] + (["accuracy"] if classification else []) + columns + ["samples"]]
    for name, part in (("train", (x_train, y_train)), ("validation", validation), ("test", (x_test, y_test))):
        if part is None or part[0] is None:
            continue
        row = [name, number(net.score(*part))]
        if classification:
            row.append(number(net.score(*part, accuracy=True)))
        row.extend(number(net.score(*part, metric=metrics[key])) for key in columns)
        rows.append(row + [str(len(part[0]))])
    print(table(rows))
    if args.save:
        print(f"saved the model to {net.save(args.save)}")
    if args.plot:
        from ..plotting import plot_history

        title = f"{' -> '.join(map(str, net.layers))} on {data.source}"
        print(f"plotted the training curves to {plot_history(net.history, args.plot, title=title)}")
    return 0
