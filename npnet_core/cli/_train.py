"""``npnet train``: train a network on the digits, MNIST or a data file and print a table of metrics;
``npnet train --resume MODEL``: continue training a saved model where it stopped."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ..kinds import ROLES
from ._common import CommandError, check_output_path, number, print_error, table
from ._data import Data, dataset_kind, load
from ._networks import COMPONENT_DEFAULTS, build_network, component_options, describe_network
from ._targets import (
    CLASSIFIERS,
    MULTICLASS,
    MULTILABEL,
    Targets,
    choose_pair,
    detect_targets,
    model_targets,
    output_kind,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..network import NeuralNetwork

__all__ = ["run_train"]


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


def _check_resume(args: argparse.Namespace) -> None:
    """--resume: the model fixes the layers, the components and the dtype; the result goes where --save says."""
    fixed = component_options(args) + (["--dtype"] if args.dtype is not None else [])
    if fixed:
        raise CommandError(
            f"{' and '.join(fixed)}: the model {args.resume} fixes its layers, components and dtype, and --resume "
            f"continues it as it is (npnet info {args.resume} shows them); drop "
            f"{'these options' if len(fixed) > 1 else 'the option'}, or train a new network without --resume"
        )
    if args.save is None:
        raise CommandError(
            f"--resume {args.resume} trains the model further: give --save FILE for the result "
            f"(--save {args.resume} to replace the model; nothing is overwritten unless you ask)"
        )


def _load_targets(args: argparse.Namespace, kind: str, dtype: str) -> Tuple[Data, Optional[Data], List[Any]]:
    """The training data (and MNIST's test files), and their targets, one array each."""
    data = load(args, kind, dtype, subset="train")
    if data.y is None:
        raise CommandError(
            f"{data.source} holds no labels: give a label column (--label-column), an array y, or --labels FILE"
        )
    test = load(args, kind, dtype, subset="test") if kind == "mnist" else None
    ys = [data.y] + ([test.y] if test is not None and test.y is not None else [])
    return data, test, ys


def _new_network(
    args: argparse.Namespace, kind: str
) -> Tuple["NeuralNetwork", Targets, Data, Optional[Data], List[str]]:
    """A network made from the options, for the targets of the data; the lines saying what was chosen."""
    from ..components import get_registry

    for option, default in COMPONENT_DEFAULTS.items():
        if getattr(args, option) is None:
            setattr(args, option, default)
    dtype = args.dtype or "float64"
    activations = args.activation
    n_hidden = len(args.hidden)
    if len(activations) not in (1, n_hidden):
        raise CommandError(
            f"--activation gives {len(activations)} activations for {n_hidden} hidden layers; give one for all, or one per layer"
        )
    data, test, ys = _load_targets(args, kind, dtype)
    pair = choose_pair(detect_targets(args.task, ys), args.output_activation, args.loss, get_registry())
    targets = pair.targets
    specs = {
        "hidden_activation": activations[0] if len(activations) == 1 else list(activations),
        "output_activation": pair.output_activation,
        "loss": pair.loss,
        "optimizer": args.optimizer,
        "initializer": args.initializer,
    }
    if args.regularizers:
        specs["regularizers"] = args.regularizers
    if args.schedule is not None:
        specs["schedule"] = args.schedule
    net = build_network([data.x.shape[1], *args.hidden, targets.n_out], specs, args.seed, dtype)
    lines = [f"data: {data.source}, {len(data.x)} samples of {data.x.shape[1]} inputs; {targets.note}"]
    lines += [pair.picked] if pair.picked else []
    return net, targets, data, test, lines


def _resumed_network(
    args: argparse.Namespace, kind: str
) -> Tuple["NeuralNetwork", Targets, Data, Optional[Data], List[str]]:
    """The model of --resume, and the data's targets as the model takes them."""
    from ..components import MissingComponent
    from ..network import NeuralNetwork

    net = NeuralNetwork.load(args.resume)
    for role, component in net.components.items():  # a component fit needs whose plugin is missing: before any work
        for each in component if isinstance(component, list) else [component]:
            if isinstance(each, MissingComponent) and ROLES[role].needed_for is not None:
                raise each.error(f"npnet train --resume {args.resume}")
    data, test, ys = _load_targets(args, kind, net.dtype.name)
    n_in, n_out = net.layers[0], net.layers[-1]
    if data.x.shape[1] != n_in:
        raise CommandError(f"{data.source} has {data.x.shape[1]} inputs, but the model {args.resume} takes {n_in}")
    model_kind = output_kind(net)
    values = [model_targets(model_kind, n_out, y, data.source) for y in ys]
    epochs, updates = len(net.history.get("loss", [])), net.updates
    lines = [
        f"data: {data.source}, {len(data.x)} samples of {data.x.shape[1]} inputs",
        f"resuming {args.resume}: {epochs} epoch{'s' if epochs != 1 else ''} ({updates} updates) trained so far",
    ]
    return net, Targets(model_kind, values, n_out, ""), data, test, lines


def run_train(args: argparse.Namespace) -> int:
    import numpy as np

    if args.resume is not None:
        _check_resume(args)
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
    make = _new_network if args.resume is None else _resumed_network
    net, targets, data, test, lines = make(args, kind)
    data.y = targets.values[0]
    if test is not None:
        test.y = targets.values[1]
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

    # accuracy where the network's outputs give the labels the targets are
    # (sigmoid outputs trained on one-hot classes are labels too: fit records their accuracy)
    given = output_kind(net)
    accuracy = targets.kind in CLASSIFIERS and (
        given == targets.kind or (given, targets.kind) == (MULTILABEL, MULTICLASS)
    )
    greater_is_better = _check_monitor(args, metrics, accuracy)
    if not args.quiet:
        for line in lines:
            print(line)
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
    epochs_before = len(net.history.get("loss", []))
    try:
        net.fit(x_train, y_train, args.batch_size, args.epochs, categorical=targets.categorical, **options)
    except KeyboardInterrupt:
        done = len(net.history.get("loss", [])) - epochs_before
        print_error(f"interrupted after {done} complete epoch{'s' if done != 1 else ''}; nothing was saved")
        return 130

    epochs_run = len(net.history.get("loss", [])) - epochs_before
    if args.early_stopping is not None and not args.quiet and epochs_run < args.epochs:
        values = np.array(net.history[monitor][epochs_before:], dtype=float)
        best = int(np.nanargmax(values) if greater_is_better else np.nanargmin(values)) + 1
        print(
            f"stopped early after epoch {epochs_run}: {monitor} had not improved for {args.early_stopping} "
            f"epoch{'s' if args.early_stopping > 1 else ''}; the weights of epoch {best} (the "
            f"{'highest' if greater_is_better else 'lowest'} {monitor}) were restored"
        )
    # a metric named accuracy is the column a classifier has anyway
    columns = [key for key in metrics if not (accuracy and key == "accuracy")]
    rows = [["", "loss"] + (["accuracy"] if accuracy else []) + columns + ["samples"]]
    for name, part in (("train", (x_train, y_train)), ("validation", validation), ("test", (x_test, y_test))):
        if part is None or part[0] is None:
            continue
        row = [name, number(net.score(*part))]
        if accuracy:
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
