"""The network options (--hidden, --activation, --output-activation, --loss, --optimizer, --initializer,
--regularizer, --schedule, --task, --seed), and building and describing a network from its components."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, Dict, List, Tuple

from ..errors import ComponentNotFoundError, NpnetError
from ..kinds import ROLES
from ._common import CommandError, component_spec, non_negative_int, positive_int

if TYPE_CHECKING:  # pragma: no cover
    from ..network import NeuralNetwork

__all__ = ["COMPONENT_DEFAULTS", "add_component_arguments", "build_network", "component_options", "describe_network"]

#: what a new network has when the option is not given (the options default to None, so that
#: --resume can tell the options given, which the resumed model fixes)
COMPONENT_DEFAULTS: Dict[str, Any] = {
    "hidden": [64],
    "activation": [("relu", {})],
    "optimizer": ("adam", {}),
    "initializer": ("glorot_uniform", {}),
    "task": "auto",
}


def add_component_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "network",
        "A component is NAME, DISTRIBUTION:NAME (to pin the plugin that provides it), or either "
        "followed by :KEY=VALUE[,KEY=VALUE...], e.g. adam:learning_rate=0.003. Values are read as "
        "true/false, integers, decimals, or else text. `npnet plugins --params` lists the "
        "installed components and their parameters.",
    )
    group.add_argument(
        "--hidden",
        type=positive_int,
        nargs="*",
        metavar="SIZE",
        help="hidden layer sizes (default: one layer of 64; --hidden with no size: none)",
    )
    group.add_argument(
        "--activation",
        type=component_spec,
        nargs="+",
        metavar="SPEC",
        help="hidden activation, one for all hidden layers or one per layer (default relu)",
    )
    group.add_argument(
        "--output-activation",
        type=component_spec,
        metavar="SPEC",
        help="output activation (default: from the labels, with --loss: sigmoid for binary labels 0/1 and "
        "for multi-label 0/1 columns, softmax for more classes, identity for regression; given alone, "
        "the loss matching it)",
    )
    group.add_argument(
        "--loss",
        type=component_spec,
        metavar="SPEC",
        help="loss (default: binary_crossentropy for binary and multi-label labels, categorical_crossentropy "
        "for more classes, mean_squared_error for regression; given alone, the output activation matching it)",
    )
    group.add_argument(
        "--optimizer",
        type=component_spec,
        metavar="SPEC",
        help="optimizer (default adam), e.g. adam:learning_rate=0.003 or sgd:learning_rate=0.1,momentum=0.9",
    )
    group.add_argument(
        "--initializer",
        type=component_spec,
        metavar="SPEC",
        help="how each layer's weights and biases start (default glorot_uniform), e.g. he_normal",
    )
    group.add_argument(
        ROLES["regularizers"].option,
        dest="regularizers",
        type=component_spec,
        action="append",
        metavar="SPEC",
        help="a regularizer, active in training only; repeat the option for several, applied in order, "
        "e.g. --regularizer l2:factor=1e-4 --regularizer dropout:rate=0.2 (default: none)",
    )
    group.add_argument(
        ROLES["schedule"].option,
        type=component_spec,
        metavar="SPEC",
        help="the learning rate of each update, from the optimizer's learning_rate as the base, e.g. "
        "cosine:total_steps=3000 (default: none, the optimizer's rate throughout)",
    )
    group.add_argument(
        "--task",
        choices=["auto", "classification", "regression"],
        help="auto (the default): classification when the labels are whole numbers 0, 1, 2, ... (or "
        "one-hot rows, or several columns of 0/1: multi-label), regression otherwise",
    )
    group.add_argument(
        "--seed", type=non_negative_int, default=0, help="seed for the split, initialisation and shuffling (default 0)"
    )


def _spec_text(spec: Tuple[str, Dict[str, Any]]) -> str:
    from ..components import format_component

    return format_component(*spec)


def _pinned_hints(specs: Dict[str, Any]) -> List[str]:
    """For ``adam:lr`` read as the distribution 'adam': how to write a parameter instead."""
    from ..components import get_registry

    registry = get_registry()
    hints = []
    for role, value in specs.items():
        for name, _params in value if isinstance(value, list) else [value]:
            head, colon, tail = name.partition(":")
            if colon and head in registry.names(ROLES[role].kind):
                hints.append(
                    f"{ROLES[role].option} {name!r} reads as the {ROLES[role].kind} {tail!r} of the distribution "
                    f"{head!r}; to give {head} a parameter, write {head}:{tail}=VALUE"
                )
    return hints


def build_network(layers: List[int], specs: Dict[str, Any], seed: int, dtype: str) -> "NeuralNetwork":
    from ..network import NeuralNetwork

    try:
        return NeuralNetwork(layers, **specs, seed=seed, dtype=dtype)
    except ComponentNotFoundError as exc:
        hints = _pinned_hints(specs)
        if hints:
            raise ComponentNotFoundError("\n".join([str(exc), *hints])) from None
        raise
    except NpnetError:
        raise
    except (TypeError, ValueError, ArithmeticError) as exc:  # a plugin's factory refusing its parameters
        shown = ", ".join(_option_text(role, spec) for role, spec in specs.items())
        raise CommandError(f"cannot build the network ({shown}): {type(exc).__name__}: {exc}") from None


def _option_text(role: str, spec: Any) -> str:
    """The options that gave ``spec``: ``--activation relu tanh``, ``--regularizer l2 --regularizer dropout``."""
    option = ROLES[role].option
    if isinstance(spec, tuple):
        return f"{option} {_spec_text(spec)}"
    if ROLES[role].many:
        return " ".join(f"{option} {_spec_text(s)}" for s in spec)
    return f"{option} {' '.join(map(_spec_text, spec))}"


def component_options(args: argparse.Namespace) -> List[str]:
    """The network options given on the command line (those --resume refuses), as written."""
    given = [
        ("--hidden", args.hidden),
        ("--activation", args.activation),
        ("--output-activation", args.output_activation),
        ("--loss", args.loss),
        ("--optimizer", args.optimizer),
        ("--initializer", args.initializer),
        (ROLES["regularizers"].option, args.regularizers),
        (ROLES["schedule"].option, args.schedule),
        ("--task", args.task),
    ]
    return [option for option, value in given if value is not None]


def describe_network(net: "NeuralNetwork") -> str:
    """``64 -> 64 -> 10; relu, softmax, ..., regularizers l2 + dropout, schedule cosine (... parameters, float64)``."""

    components = net.components

    def name(role: str) -> str:
        spec, component = net.component_specs[role], components[role]
        pairs = zip(spec, component) if isinstance(spec, list) else [(spec, component)]
        # one per hidden layer: relu/tanh; several applied in turn: l2 + dropout
        separator = " + " if ROLES[role].many else "/"
        return separator.join(s.name if s is not None else str(getattr(c, "name", "?")) for s, c in pairs)

    layers = " -> ".join(map(str, net.layers))
    parts = [f"{role} {name(role)}" if ROLES[role].keyword else name(role) for role in net.component_specs]
    return f"{layers}; {', '.join(parts)} ({net.n_params} parameters, {net.dtype.name})"
