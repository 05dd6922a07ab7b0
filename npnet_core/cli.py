"""The ``npnet`` command.

``npnet train`` trains a network on the embedded digits data (75/25 split) and
prints the test accuracy; ``npnet plugins`` lists the installed plugins and
the components they provide; ``npnet check`` runs the contract suite over
installed components; ``npnet new-plugin`` writes a plugin distribution to
start from.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from .errors import NpnetError

__all__ = ["main"]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _train(args: argparse.Namespace) -> int:
    from .datasets import load_digits, train_test_split
    from .network import NeuralNetwork

    x, y = load_digits(dtype=args.dtype)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, seed=args.seed)
    layers = [x.shape[1], *args.hidden, 10]
    net = NeuralNetwork(
        layers, "relu", "softmax", "categorical_crossentropy", args.optimizer, seed=args.seed, dtype=args.dtype
    )
    print(f"training {layers} with {args.optimizer} on digits: {len(x_train)} train, {len(x_test)} test samples")
    net.fit(x_train, y_train, args.batch_size, args.epochs, categorical=True, verbose=1)
    accuracy = net.score(x_test, y_test, accuracy=True)
    print(f"test accuracy: {accuracy:.4f}")
    if args.save:
        print(f"saved the model to {net.save(args.save)}")
    return 0


def _plugins(args: argparse.Namespace) -> int:
    from .registry import KINDS, get_registry

    registry = get_registry()
    for plugin in registry.plugins:
        provider = f"{plugin.distribution} {plugin.version}" if plugin.distribution else "(no distribution)"
        print(f"{plugin.name}: {provider}")
        for kind in KINDS:
            names = [e.name + (f" (aliases: {', '.join(e.aliases)})" if e.aliases else "") for e in plugin.components if e.kind == kind]
            if names:
                print(f"  {'losses' if kind == 'loss' else kind + 's'}: {', '.join(names)}")
    for failure in registry.failures:
        print(f"FAILED {failure.describe()}")
    return 0


def _table(rows: List[List[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def _check(args: argparse.Namespace) -> int:
    import json

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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="npnet", description="Train and inspect npnet networks.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train = commands.add_parser("train", help="train on the embedded digits data and print the test accuracy")
    train.add_argument("--epochs", type=_positive_int, default=30, help="passes over the training data (default 30)")
    train.add_argument("--batch-size", type=_positive_int, default=32, help="samples per batch (default 32)")
    train.add_argument("--hidden", type=_positive_int, nargs="*", default=[64], help="hidden layer sizes (default 64)")
    train.add_argument("--optimizer", default="adam", help="optimizer name (default adam)")
    train.add_argument("--seed", type=int, default=0, help="seed for the split, initialisation and shuffling (default 0)")
    train.add_argument("--dtype", choices=["float64", "float32"], default="float64", help="(default float64)")
    train.add_argument("--save", metavar="MODEL", help="save the trained model to this .npz file")
    train.set_defaults(run=_train)
    plugins = commands.add_parser("plugins", help="list installed plugins and their components")
    plugins.set_defaults(run=_plugins)
    check = commands.add_parser(
        "check", help="run the contract suite over installed components (all by default)"
    )
    check.add_argument("names", nargs="*", metavar="NAME", help="component names, e.g. adam or npnet-adam:adam")
    check.add_argument("--json", action="store_true", help="print the results as JSON")
    check.set_defaults(run=_check)
    new = commands.add_parser(
        "new-plugin", help="write a plugin distribution with a working example component, its tests and README"
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


def main(argv: Optional[List[str]] = None) -> int:
    """Run the ``npnet`` command; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except (NpnetError, OSError) as exc:
        print(f"npnet: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
