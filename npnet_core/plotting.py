"""Training curves: the loss, accuracy, metrics and learning rate of each epoch, drawn with matplotlib.

matplotlib is an optional dependency (``pip install npnet-core[plot]``); it is
imported only when a plot is drawn. The figure is rendered with the Agg
backend on its own canvas, so plotting works without a display and never
changes the backend or the figures of ``matplotlib.pyplot``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, List, Mapping, Optional, Sequence, Tuple

from .errors import NpnetError, ValidationError
from .io import PathLike, atomic_write

__all__ = ["MissingDependencyError", "image_format", "plot_history", "require_matplotlib", "supported_formats"]


class MissingDependencyError(NpnetError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


def require_matplotlib() -> None:
    """Raise :class:`MissingDependencyError` unless matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingDependencyError(
            "plotting needs matplotlib, which is not installed: pip install npnet-core[plot]"
        ) from None


def supported_formats() -> List[str]:
    """The file extensions matplotlib can write (``png``, ``pdf``, ``svg``, ...)."""
    require_matplotlib()
    from matplotlib.backend_bases import FigureCanvasBase

    return sorted(FigureCanvasBase.get_supported_filetypes())


def image_format(path: PathLike) -> str:
    """The image format matplotlib will write ``path`` in, from its extension; refuse an unknown one."""
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    formats = supported_formats()
    if suffix not in formats:
        shown = f"'.{suffix}'" if suffix else "no extension"
        raise ValidationError(
            f"cannot tell the image format of {path} ({shown}); end the name in .png or one of "
            + ", ".join("." + f for f in formats if f != "png")
        )
    return suffix


def _series(history: Mapping[str, Any], key: str) -> Optional[List[float]]:
    values = history.get(key)
    if values is None or len(values) == 0:
        return None
    return [float(v) for v in values]


#: history keys that are not a curve of their own: drawn elsewhere, or not per-epoch values worth drawing
_NOT_METRICS = ("loss", "accuracy", "learning_rate", "epoch_time")


def _metric_names(history: Mapping[str, Any]) -> List[str]:
    """The metrics in ``history`` besides loss and accuracy, in its order: ``f1`` for ``f1`` and ``val_f1``."""
    names: List[str] = []
    for key in history:
        name = key[4:] if key.startswith("val_") else key
        if name not in _NOT_METRICS and name not in names:
            names.append(name)
    return names


def plot_history(history: Mapping[str, Sequence[float]], path: PathLike, *, title: Optional[str] = None) -> Path:
    """Draw the training curves in ``history`` to an image file; return its path.

    Parameters
    ----------
    history : mapping of str to lists of float
        As in :attr:`NeuralNetwork.history`: ``loss`` (required), and when
        present ``val_loss``, ``accuracy``, ``val_accuracy``, each metric with
        its ``val_`` counterpart, and ``learning_rate``, one value per epoch.
    path : path
        The image to write; its extension chooses the format (``.png``,
        ``.pdf``, ``.svg``, ...). It is written atomically.
    title : str, optional
        A title above the panels.

    One panel per quantity, each with the training and (when present)
    validation curves: the loss, the accuracy (a classifier's), each metric,
    then the learning rate (with a schedule) of each epoch's last update, on a
    log scale unless a rate is 0. Up to three panels side by side, then further rows. When
    there is a validation loss, a dotted line marks the epoch where it was
    lowest. A loss that falls by more than a factor of 100 is drawn on a log
    scale.
    """
    path = Path(path)
    fmt = image_format(path)
    loss = _series(history, "loss")
    if loss is None:
        raise ValidationError("the history has no 'loss' values to plot; train the network first")
    val_loss = _series(history, "val_loss")
    # (name, train, validation): the panels, in order
    panels: List[Tuple[str, Optional[List[float]], Optional[List[float]]]] = [("loss", loss, val_loss)]
    for name in ("accuracy", *_metric_names(history)):
        train, validation = _series(history, name), _series(history, f"val_{name}")
        if train is not None or validation is not None:
            panels.append((name, train, validation))
    rate = _series(history, "learning_rate")
    if rate is not None:
        panels.append(("learning rate", rate, None))

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = math.ceil(len(panels) / 3)
    columns = math.ceil(len(panels) / rows)
    figure = Figure(figsize=(5.0 * columns + 1.0, 4.2 * rows), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for unused in axes[len(panels) :]:
        unused.remove()
    # epochs without validation hold NaN: the best epoch is the lowest among the others
    measured = [i for i, v in enumerate(val_loss or []) if math.isfinite(v)]
    best = min(measured, key=val_loss.__getitem__) + 1 if val_loss and measured else None

    def draw(ax: Any, train: Optional[List[float]], validation: Optional[List[float]], name: str, mark: bool) -> None:
        first = "each epoch's last update" if name == "learning rate" else "train"
        for values, curve, style in ((train, first, "-"), (validation, "validation", "--")):
            if values is not None:
                epochs = range(1, len(values) + 1)
                ax.plot(epochs, values, style, marker="o" if len(values) <= 30 else None, markersize=3, label=curve)
        if best is not None:
            label = f"lowest validation loss (epoch {best})" if mark else None
            ax.axvline(best, color="grey", linestyle=":", linewidth=1, label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_title(name)
        ax.grid(True, alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend()

    for ax, (name, train, validation) in zip(axes, panels):
        draw(ax, train, validation, name, ax is axes[0])
        values = [v for v in (train or []) + (validation or []) if math.isfinite(v)]
        positive = bool(values) and min(values) > 0
        # the loss when it spans orders of magnitude; a rate always (schedules decay geometrically)
        if positive and (name == "learning rate" or (name == "loss" and max(values) > 100 * min(values))):
            ax.set_yscale("log")
            ax.set_ylabel(f"{name} (log scale)")
    if title:
        figure.suptitle(title)
    atomic_write(path, lambda handle: figure.savefig(handle, format=fmt, dpi=100))
    return path
