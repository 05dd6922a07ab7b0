"""Training curves: the loss and accuracy of each epoch, drawn with matplotlib.

matplotlib is an optional dependency (``pip install npnet-core[plot]``); it is
imported only when a plot is drawn. The figure is rendered with the Agg
backend on its own canvas, so plotting works without a display and never
changes the backend or the figures of ``matplotlib.pyplot``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, List, Mapping, Optional, Sequence

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


def plot_history(history: Mapping[str, Sequence[float]], path: PathLike, *, title: Optional[str] = None) -> Path:
    """Draw the training curves in ``history`` to an image file; return its path.

    Parameters
    ----------
    history : mapping of str to lists of float
        As in :attr:`NeuralNetwork.history`: ``loss`` (required), and when
        present ``val_loss``, ``accuracy`` and ``val_accuracy``, one value per
        epoch.
    path : path
        The image to write; its extension chooses the format (``.png``,
        ``.pdf``, ``.svg``, ...). It is written atomically.
    title : str, optional
        A title above the panels.

    Two panels, loss and accuracy per epoch, each with the training and (when
    present) validation curves; a network without accuracy (a regressor) gets
    the loss panel only. When there is a validation loss, a dotted line marks
    the epoch where it was lowest. A loss that falls by more than a factor of
    100 is drawn on a log scale.
    """
    path = Path(path)
    fmt = image_format(path)
    loss = _series(history, "loss")
    if loss is None:
        raise ValidationError("the history has no 'loss' values to plot; train the network first")
    val_loss = _series(history, "val_loss")
    accuracy = _series(history, "accuracy")
    val_accuracy = _series(history, "val_accuracy")

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    panels = 2 if accuracy is not None or val_accuracy is not None else 1
    figure = Figure(figsize=(5.0 * panels + 1.0, 4.2), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, panels, squeeze=False)[0]
    # epochs without validation hold NaN: the best epoch is the lowest among the others
    measured = [i for i, v in enumerate(val_loss or []) if math.isfinite(v)]
    best = min(measured, key=val_loss.__getitem__) + 1 if val_loss and measured else None

    def draw(ax: Any, train: Optional[List[float]], validation: Optional[List[float]], name: str, mark: bool) -> None:
        for values, curve, style in ((train, "train", "-"), (validation, "validation", "--")):
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

    draw(axes[0], loss, val_loss, "loss", True)
    values = [v for v in loss + (val_loss or []) if math.isfinite(v)]
    if values and min(values) > 0 and max(values) > 100 * min(values):  # spans orders of magnitude: show them all
        axes[0].set_yscale("log")
        axes[0].set_ylabel("loss (log scale)")
    if panels == 2:
        draw(axes[1], accuracy, val_accuracy, "accuracy", False)
    if title:
        figure.suptitle(title)
    atomic_write(path, lambda handle: figure.savefig(handle, format=fmt, dpi=100))
    return path
