"""The commands that use a saved model: ``npnet evaluate``, ``npnet predict``, ``npnet info`` and ``npnet export``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ..errors import NpnetError
from ..kinds import ROLES
from ._common import CommandError, check_output_path, number, table
from ._data import Data, dataset_kind, load
from ._networks import describe_network
from ._targets import CLASSIFIERS, MULTILABEL, REGRESSION, model_targets, output_kind

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from ..network import NeuralNetwork

__all__ = ["run_evaluate", "run_export", "run_info", "run_predict", "write_predictions"]


# -- evaluate and predict -------------------------------------------------------------


def _load_model(path: str) -> "NeuralNetwork":
    from ..network import NeuralNetwork

    return NeuralNetwork.load(path)


def _model_data(args: argparse.Namespace, net: "NeuralNetwork", model_kind: str) -> Data:
    kind = dataset_kind(args)
    dtype = net.dtype.name
    n_in, n_out = net.layers[0], net.layers[-1]
    subset = args.subset or "test"
    data = load(args, kind, dtype, subset=subset, n_features=n_in)
    multilabel_csv = (
        (model_kind == MULTILABEL and kind == "file" and args.labels is None and not args.label_column)
        and data.y is not None
        and data.y.ndim == 1
        and data.x.shape[1] == n_in + n_out - 1
    )
    if multilabel_csv:  # a table of the inputs and the model's labels: the last n_out columns are the labels
        data = load(args, kind, dtype, subset=subset, label_column=list(range(-n_out, 0)))
    if data.x.shape[1] != n_in:
        extra = " besides the label column" if data.y is not None and args.labels is None and kind == "file" else ""
        hint = "; choose its data with --data FILE or --dataset" if kind == "digits" and args.dataset is None else ""
        source = "digits (the default data)" if hint else data.source
        raise CommandError(f"{source} has {data.x.shape[1]} inputs{extra}, but the model takes {n_in}{hint}")
    return data


def _missing_loss(net: "NeuralNetwork") -> Optional[str]:
    """Why the loss cannot be computed (its plugin is not installed), or None when it can."""
    from .._summary import missing_status
    from ..components import MissingComponent

    if not isinstance(net.loss, MissingComponent):
        return None
    return f"the loss {net.loss.name!r} is {missing_status(net.loss.spec.distribution)}"


def run_evaluate(args: argparse.Namespace) -> int:
    net = _load_model(args.model)
    kind = output_kind(net)
    data = _model_data(args, net, kind)
    if data.y is None:
        raise CommandError(
            f"{data.source} holds no labels (its {data.x.shape[1]} columns are the model's inputs): evaluating "
            "needs them, as a label column, an array y, or --labels FILE"
        )
    classifier = kind in CLASSIFIERS
    y = model_targets(kind, net.layers[-1], data.y, data.source)
    missing = _missing_loss(net)
    if missing is not None and not classifier:
        raise CommandError(f"{args.model}: evaluating a regressor needs its loss, but {missing}")
    loss = net.score(data.x, y) if missing is None else None
    accuracy = net.score(data.x, y, accuracy=True) if classifier else None
    if args.json:
        print(
            json.dumps(
                {"model": args.model, "data": data.source, "samples": len(data.x), "loss": loss, "accuracy": accuracy},
                indent=2,
            )
        )
        return 0
    print(f"model: {args.model} ({describe_network(net)})")
    print(f"data: {data.source}, {len(data.x)} samples")
    loss_row = ["loss", number(loss)] + ([f"({missing})"] if missing is not None else [])
    rows = [loss_row] + ([["accuracy", number(accuracy)]] if classifier else [])
    width = max(len(row) for row in rows)
    print(table([row + [""] * (width - len(row)) for row in rows]))
    return 0


def write_predictions(values: "np.ndarray", header: List[str], output: Optional[str]) -> None:
    import io

    import numpy as np

    from ..io import atomic_write

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


def run_predict(args: argparse.Namespace) -> int:
    import numpy as np

    if args.output is not None:
        suffix = Path(args.output).suffix.lower()
        if suffix not in (".csv", ".npy"):
            raise CommandError(
                f"--output {args.output}: the name must end in .csv or .npy (got {suffix or 'no extension'})"
            )
        check_output_path(args.output, "--output")
    net = _load_model(args.model)
    kind = output_kind(net)
    data = _model_data(args, net, kind)
    if kind != REGRESSION and not args.outputs:
        # class indices; 0/1 for a binary classifier; a row of 0/1 per sample for a multi-label one
        values = np.asarray(net.predict(data.x, labels=True)).astype(np.int64).reshape(len(data.x), -1)
        header = ["label"] if values.shape[1] == 1 else [f"label_{i}" for i in range(values.shape[1])]
        what = "labels"
    else:
        values = net.predict(data.x)
        header = ["output"] if values.shape[1] == 1 else [f"output_{i}" for i in range(values.shape[1])]
        what = "outputs"
    if values.shape[1] == 1:
        values = values[:, 0]
    write_predictions(values, header, args.output)
    if args.output is not None:
        print(f"wrote the {what} for {len(data.x)} samples of {data.source} to {args.output}")
    return 0


# -- info ------------------------------------------------------------------------------


def _installed(kind: str, saved: Dict[str, Any]) -> Tuple[bool, str]:
    """Whether the saved component resolves now, and a note when it does not, or in another version."""
    from ..components import get_registry

    registry = get_registry()
    name, distribution = saved["name"], saved.get("distribution")
    try:
        entry = registry.lookup(kind, f"{distribution}:{name}" if distribution else name)
    except NpnetError:
        from .._summary import missing_status

        return False, missing_status(distribution)
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
    val_loss = np.array(history.get("val_loss", []), dtype=float)  # null (NaN) where an epoch had none
    if np.isfinite(val_loss).any():
        best = int(np.nanargmin(val_loss))
        summary["best"] = {
            "epoch": best + 1,
            **{k: v[best] for k, v in history.items() if k != "epoch_time" and len(v) > best},
        }
    return summary


def run_info(args: argparse.Namespace) -> int:
    from ..io import read_model_config

    path = Path(args.model)
    config = read_model_config(path)
    components: Dict[str, Any] = {}
    for role in ROLES:
        if role not in config["components"]:  # an optional role the model has not (no schedule)
            continue
        saved = config["components"][role]
        items = saved if isinstance(saved, list) else [saved]
        described = []
        for item in items:
            installed, status = _installed(ROLES[role].kind, item)
            described.append({**item, "installed": installed, "status": status})
        components[role] = described if isinstance(saved, list) else described[0]
    history = config.get("history", {})
    summary = _history_summary(history)
    layers = config["layers"]
    if args.json:
        print(
            json.dumps(
                {
                    "path": str(path),
                    "format_version": config["format_version"],
                    "npnet_core_version": config.get("npnet_core_version"),
                    "layers": layers,
                    "dtype": config["dtype"],
                    "n_params": config.get("n_params"),
                    "updates": config.get("updates", 0),
                    "components": {role: _strip_status(c) for role, c in components.items()},
                    "history_summary": summary,
                    "history": history,
                },
                indent=2,
            )
        )
        return 0
    print(
        f"model: {path} (npnet model format {config['format_version']}, written by npnet-core {config.get('npnet_core_version', '?')})"
    )
    print(_summary_table(config, components))
    if not summary["epochs"]:
        print("training: none recorded")
        return 0
    epochs = summary["epochs"]
    updates = config.get("updates", 0)
    print(
        f"training: {epochs} epoch{'s' if epochs != 1 else ''} ({updates} updates) in {summary['training_time']:.1f}s"
    )
    print("  last epoch: " + _metrics(summary["last"]))
    if "best" in summary:
        best = dict(summary["best"])
        print(f"  lowest val_loss at epoch {best.pop('epoch')}: " + _metrics(best))
    return 0


def _summary_table(config: Dict[str, Any], components: Dict[str, Any]) -> str:
    """The table of ``net.summary()``, from the model file's configuration and the components' status."""
    from .._summary import ComponentRow, component_label, provider_text, summary_table

    layers = config["layers"]
    n_hidden = len(layers) - 2
    hidden = components["hidden_activation"]
    activations = [item["name"] for item in (hidden if isinstance(hidden, list) else [hidden] * n_hidden)]
    activations.append(components["output_activation"]["name"])
    rows = []
    for role, given in components.items():
        per_layer = ROLES[role].per_layer and isinstance(given, list)
        for position, item in enumerate(given if isinstance(given, list) else [given]):
            status = item["status"]
            if ROLES[role].per_layer and not n_hidden:
                status = "(unused: no hidden layers)"
            label = component_label(role, position if per_layer else None)
            provider = provider_text(item.get("distribution"), item.get("version"))
            rows.append(ComponentRow(label, item["name"], provider, status, item.get("params") or {}))
    epochs = len(config.get("history", {}).get("loss", []))
    return summary_table(layers, activations, rows, config["dtype"], config.get("updates", 0), epochs)


def _strip_status(component: Any) -> Any:
    if isinstance(component, list):
        return [_strip_status(c) for c in component]
    return {k: v for k, v in component.items() if k != "status"}


def _metrics(logs: Dict[str, Any]) -> str:
    """The values of one epoch: loss, accuracy and the metrics, then each on the validation data, the learning rate."""
    first = [k for k in ("loss", "accuracy") if k in logs]
    train = first + [k for k in logs if not k.startswith("val_") and k not in (*first, "learning_rate")]
    validation = [f"val_{k}" for k in train if f"val_{k}" in logs]
    keys = train + validation + [k for k in logs if k.startswith("val_") and k not in validation]
    keys += [k for k in logs if k == "learning_rate"]
    return " - ".join(
        f"{key}: {logs[key]:.4g}" if key == "learning_rate" else f"{key}: {logs[key]:.4f}"
        for key in keys
        if isinstance(logs[key], (int, float))
    )


# -- export ---------------------------------------------------------------------------


def run_export(args: argparse.Namespace) -> int:
    check_output_path(args.output, "ONNX")
    output = Path(args.output)
    if output.exists() and Path(args.model).exists() and output.resolve() == Path(args.model).resolve():
        raise CommandError(f"ONNX {args.output}: is the model file itself; give another name, such as model.onnx")
    net = _load_model(args.model)
    try:
        model = net.to_onnx(args.output, opset=args.opset, labels=args.labels)
    except ImportError as exc:  # onnx is an optional extra
        raise CommandError(str(exc)) from None
    outputs = ", ".join(f"{each.name!r}" for each in model.graph.output)
    print(
        f"wrote {args.output}: ONNX opset {model.opset_import[0].version}, input 'input' "
        f"(batch, {net.layers[0]}) {net.dtype.name}, outputs {outputs}"
    )
    return 0
