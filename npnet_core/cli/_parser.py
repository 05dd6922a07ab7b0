"""The ``npnet`` parser, every command's options and help, and ``main``: run a command, turn its
errors into one line and an exit status."""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Callable, Optional, Sequence, Tuple

from ..errors import NpnetError
from ..kinds import KINDS
from ._common import (
    ComponentList,
    Formatter,
    Parser,
    fraction,
    os_error_message,
    positive_int,
    print_error,
    show_warning,
)
from ._data import add_data_arguments
from ._models import run_evaluate, run_export, run_info, run_predict
from ._networks import add_component_arguments
from ._plugins import run_check, run_new_plugin, run_plugins
from ._train import run_train

__all__ = ["main"]

_TRAIN_EXAMPLES = """\
examples:
  npnet train                                   # the embedded digits, one hidden layer of 64
  npnet train --hidden 128 64 --optimizer adam:learning_rate=0.003 --epochs 50 \\
              --validation-split 0.2 --early-stopping 5 --save digits.npz --plot curves.png
  npnet train --dataset mnist --data-dir ~/mnist --epochs 10 --save mnist.npz
  npnet train --data iris.csv --label-column species_id --hidden 16 --epochs 200
  npnet train --data x.npy --labels y.npy --task regression
  npnet train --regularizer l2:factor=1e-4 --regularizer dropout:rate=0.2 \\
              --schedule cosine:total_steps=3000 --metrics f1,top_k_accuracy:k=3 \\
              --validation-split 0.2 --early-stopping 5 --monitor val_f1
  npnet train --data spam.csv                   # labels 0/1: one sigmoid output, binary_crossentropy
  npnet train --data tags.csv --label-column a,b,c   # multi-label: three 0/1 columns
  npnet train --resume digits.npz --epochs 10 --save digits.npz

Without --output-activation and --loss, the labels choose them: sigmoid and
binary_crossentropy for labels 0/1 and for several 0/1 columns (multi-label),
softmax and categorical_crossentropy for more classes, identity and
mean_squared_error otherwise. The table at the end gives the loss, the
accuracy and each of --metrics of the final network on the training,
validation and test samples. A progress bar is shown on a terminal (with tqdm
installed: pip install npnet-core[progress]), one line per epoch otherwise.
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

A classifier gives each sample's class label (the argmax of its outputs); a
binary classifier (one sigmoid output) 0 or 1 (output > 0.5); a multi-label
classifier a row of 0/1, one per output. --outputs gives the raw outputs
(probabilities for softmax and sigmoid). A regressor gives its outputs.
"""

_INFO_EXAMPLES = """\
examples:
  npnet info digits.npz
  npnet info digits.npz --json

The model file is read without loading its components, so info works even
when a plugin the model needs is not installed (and says which to install).
"""

_EXPORT_EXAMPLES = """\
examples:
  npnet export digits.npz digits.onnx
  npnet export digits.npz digits.onnx --labels --opset 13

Each activation writes its own ONNX nodes (a plugin's activation without an
export is refused, by name). Regularizers act only in training and export as
nothing.
"""

#: (name, runner, help, description, examples): the commands, in the order `npnet --help` lists them
_COMMANDS: Tuple[Tuple[str, Callable[[argparse.Namespace], int], str, str, Optional[str]], ...] = (
    (
        "train",
        run_train,
        "train a network on the digits, MNIST, or a data file; print a table of metrics",
        "Train a network and print the loss, accuracy and metrics on the train, validation and test samples.",
        _TRAIN_EXAMPLES,
    ),
    (
        "evaluate",
        run_evaluate,
        "the loss and accuracy of a saved model on data",
        "Print the loss (and for a classifier the accuracy) of a saved model on data.",
        _EVALUATE_EXAMPLES,
    ),
    (
        "predict",
        run_predict,
        "a saved model's predictions for data, as CSV or .npy",
        "Write a saved model's predictions, one per sample: labels for a classifier, outputs for a regressor.",
        _PREDICT_EXAMPLES,
    ),
    (
        "info",
        run_info,
        "describe a model file: layers, components, training history",
        "Describe a model file: its layers, each component with its provider, version and "
        "parameters, its dtype and number of parameters, and a summary of its training history.",
        _INFO_EXAMPLES,
    ),
    (
        "export",
        run_export,
        "write a saved model as an ONNX model, to predict with ONNX Runtime",
        "Write a saved model as an ONNX model (needs pip install npnet-core[onnx]): input 'input' of shape "
        "(batch, n_features) in the model's dtype, output 'output' (what predict gives: probabilities for "
        "softmax and sigmoid outputs), and with --labels an int64 output 'label' (the predicted labels).",
        _EXPORT_EXAMPLES,
    ),
    (
        "plugins",
        run_plugins,
        "list installed plugins and their components",
        "List the installed plugin distributions with their versions and the components each "
        "provides, by kind; names provided by more than one plugin (CONFLICT); plugins that failed to load (FAILED).",
        None,
    ),
    (
        "check",
        run_check,
        "run the contract suite over installed components (all by default)",
        "Run the contract suite over installed components (all by default); exit 1 if any fails.",
        None,
    ),
    (
        "new-plugin",
        run_new_plugin,
        "write a plugin distribution with a working example component, its tests and README",
        "Write a plugin distribution with a working example component, its tests and README.",
        None,
    ),
)
#: the commands about a model file, which take its path first
_MODEL_COMMANDS = ("evaluate", "predict", "info", "export")


def _parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="npnet",
        description="Train, evaluate and inspect npnet networks; list and check the installed plugins.",
        epilog="Run `npnet COMMAND --help` for each command's options.",
        formatter_class=Formatter,
    )
    from .._version import __version__

    parser.add_argument("--version", action="version", version=f"npnet-core {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    parser.set_defaults(subparsers=commands.choices)
    for name, run, help_text, description, examples in _COMMANDS:
        command = commands.add_parser(
            name, help=help_text, description=description, epilog=examples, formatter_class=Formatter
        )
        command.set_defaults(run=run)
        if name in _MODEL_COMMANDS:
            command.add_argument(
                "model", metavar="MODEL", help="a model file written by npnet train --save or net.save()"
            )

    train = commands.choices["train"]
    add_data_arguments(train, command="train")
    add_component_arguments(train)
    fitting = train.add_argument_group("training")
    fitting.add_argument(
        "--resume",
        metavar="MODEL",
        help="continue training a saved model where it stopped (its parameters, optimizer state, updates and "
        "history), on the data given, as NeuralNetwork.load(MODEL).fit(...); its layers and components are "
        "the model's, so no network option goes with it, and --save is required (it may be MODEL itself)",
    )
    fitting.add_argument("--epochs", type=positive_int, default=30, help="passes over the training data (default 30)")
    fitting.add_argument("--batch-size", type=positive_int, default=32, help="samples per batch (default 32)")
    fitting.add_argument(
        "--test-size",
        type=fraction,
        metavar="FRACTION",
        help="the fraction of the samples held out, shuffled, as the test set (default 0.25; 0 for none); "
        "MNIST uses its own t10k test set",
    )
    fitting.add_argument(
        "--validation-split",
        type=fraction,
        default=0.0,
        metavar="FRACTION",
        help="the fraction of the training samples (taken from their end) held out to validate each epoch (default 0: none)",
    )
    fitting.add_argument(
        "--early-stopping",
        type=positive_int,
        metavar="PATIENCE",
        help="stop when the value --monitor watches (the validation loss by default) has not improved for "
        "PATIENCE epochs and keep the best epoch's weights (a val_ value needs --validation-split)",
    )
    fitting.add_argument(
        "--metrics",
        action=ComponentList,
        nargs="+",
        metavar="LIST",
        help="metrics to report per epoch and in the final table, as specs separated by commas or spaces, "
        "e.g. f1,top_k_accuracy:k=3 (`npnet plugins` lists the installed metrics)",
    )
    fitting.add_argument(
        "--monitor",
        metavar="KEY",
        help="what --early-stopping watches: loss, accuracy or a metric of --metrics, with val_ for its value "
        "on the validation samples (default val_loss); losses improve downwards, metrics as they say",
    )
    output = train.add_argument_group("output")
    output.add_argument("--save", metavar="MODEL", help="save the trained model to this file (an .npz archive)")
    output.add_argument(
        "--plot",
        metavar="FILE.png",
        help="draw the loss, accuracy and each metric per epoch, train and validation, and the learning rate "
        "with --schedule, to this image (needs matplotlib: pip install npnet-core[plot])",
    )
    output.add_argument("--quiet", "-q", action="store_true", help="no progress output: print only the final table")

    evaluate = commands.choices["evaluate"]
    add_data_arguments(evaluate, command="evaluate")
    evaluate.add_argument("--json", action="store_true", help="print the result as JSON")

    predict = commands.choices["predict"]
    add_data_arguments(predict, command="predict")
    predict.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write to FILE: .csv (with a header row) or .npy; default: CSV on standard output",
    )
    predict.add_argument("--outputs", action="store_true", help="the network's raw outputs instead of class labels")

    info = commands.choices["info"]
    info.add_argument("--json", action="store_true", help="print everything as JSON, with the full history")

    export = commands.choices["export"]
    export.add_argument("output", metavar="OUTPUT", help="the ONNX file to write (.onnx)")
    export.add_argument(
        "--opset",
        type=positive_int,
        metavar="N",
        help="the ONNX opset to target, from 13 to the newest the installed onnx knows (default 17)",
    )
    export.add_argument("--labels", action="store_true", help="add the output 'label': the predicted labels")

    plugins = commands.choices["plugins"]
    plugins.add_argument(
        "--params", "-p", action="store_true", help="also list each component's parameters and defaults"
    )
    plugins.add_argument("--json", action="store_true", help="print everything as JSON, with the parameters")

    check = commands.choices["check"]
    check.add_argument("names", nargs="*", metavar="NAME", help="component names, e.g. adam or npnet-adam:adam")
    check.add_argument("--json", action="store_true", help="print the results as JSON")

    new = commands.choices["new-plugin"]
    new.add_argument("name", metavar="NAME", help="the distribution name, e.g. npnet-rmsprop")
    new.add_argument(
        "--kind",
        required=True,
        choices=list(KINDS),
        help="the kind of component: " + ", ".join(f"{kind.name} ({kind.scaffold})" for kind in KINDS.values()),
    )
    new.add_argument(
        "--directory", default=".", metavar="DIR", help="write the plugin to DIR/NAME (default: the current directory)"
    )
    new.add_argument(
        "--component-name",
        metavar="COMPONENT",
        help="the name the component is registered as (default: NAME without 'npnet-', '-' turned into '_')",
    )
    return parser


def _check_command(parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """Refuse an unknown command as argparse would (status 2), proposing the nearest: trian -> train."""
    names = [name for name, *_ in _COMMANDS]
    for word in argv:
        if word in ("-h", "--help", "--version") or word in names:
            return  # argparse takes it from here
        if not word.startswith("-"):
            import difflib

            close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else f" (choose from {', '.join(names)})"
            parser.error(f"argument COMMAND: invalid choice: {word!r}{hint}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``npnet`` command; return the exit status."""
    parser = _parser()
    _check_command(parser, sys.argv[1:] if argv is None else list(argv))
    args, extra = parser.parse_known_args(argv)
    if extra:
        args.subparsers[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    with warnings.catch_warnings():
        warnings.showwarning = show_warning  # restored on exit; one line per warning, no source line
        try:
            return int(args.run(args))
        except NpnetError as exc:
            print_error(str(exc))
        except KeyboardInterrupt:
            print_error("interrupted")
            return 130
        except BrokenPipeError:  # the reader went away (npnet ... | head): stop quietly
            _silence_stdout()
            return 1
        except OSError as exc:
            print_error(os_error_message(exc))
    return 1


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that flushing it at exit raises no second BrokenPipeError."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (captured output)
        pass
