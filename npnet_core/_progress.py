"""How training reports its progress: nothing, one line per epoch, or a progress bar.

``verbose=1`` shows a tqdm progress bar per epoch when standard output is a
terminal and tqdm is installed (the ``progress`` extra), and otherwise one line
per epoch, which suits logs. ``verbose=2`` always prints one line per epoch.
Nothing is ever printed per batch to a file or pipe.
"""

from __future__ import annotations

import math
import sys
from typing import Any, Dict, Optional

__all__ = ["format_metrics", "make_progress"]


def format_metrics(logs: Dict[str, float]) -> str:
    """``"loss: 0.1234 - accuracy: 0.9650 - ... - 0.05s"``: the metrics, then the epoch's time.

    The learning rate, often 1e-4 or less, keeps four significant digits instead of four decimals.
    """
    parts = [
        f"{key}: {value:.4g}" if key == "learning_rate" else f"{key}: {value:.4f}"
        for key, value in logs.items()
        if key != "epoch_time" and not math.isnan(value)
    ]
    if "epoch_time" in logs:
        parts.append(f"{logs['epoch_time']:.2f}s")
    return " - ".join(parts)


class _Silent:
    def batch_done(self, running_loss: float) -> None:
        pass

    def end_epoch(self, epoch: int, logs: Dict[str, float]) -> None:
        pass

    def close(self) -> None:
        pass


class _Lines(_Silent):
    """One line per epoch on standard output."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def end_epoch(self, epoch: int, logs: Dict[str, float]) -> None:
        print(f"Epoch {epoch}/{self.epochs} - {format_metrics(logs)}", file=sys.stdout, flush=True)


class _Bar(_Silent):
    """A tqdm bar over the batches of each epoch, left on screen with the epoch's metrics."""

    def __init__(self, tqdm: Any, epochs: int, n_batches: int) -> None:
        self.tqdm, self.epochs, self.n_batches = tqdm, epochs, n_batches
        self.bar: Optional[Any] = None
        self.epoch = 0

    def batch_done(self, running_loss: float) -> None:
        if self.bar is None:
            self.epoch += 1
            self.bar = self.tqdm(
                total=self.n_batches,
                desc=f"Epoch {self.epoch}/{self.epochs}",
                unit="batch",
                leave=True,
                file=sys.stdout,
                dynamic_ncols=True,
            )
        self.bar.update(1)
        if self.bar.n % 10 == 0 or self.bar.n == self.n_batches:
            self.bar.set_postfix_str(f"loss: {running_loss:.4f}", refresh=False)

    def end_epoch(self, epoch: int, logs: Dict[str, float]) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(format_metrics(logs))
            self.bar.close()
            self.bar = None

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def make_progress(verbose: int, epochs: int, n_batches: int) -> Any:
    """Return the progress display for ``verbose`` (0, 1 or 2)."""
    if verbose == 0:
        return _Silent()
    if verbose == 1 and sys.stdout.isatty():
        try:
            from tqdm.auto import tqdm  # type: ignore[import-untyped]  # optional, no stubs
        except ImportError:  # the progress extra is optional: fall back to lines
            return _Lines(epochs)
        return _Bar(tqdm, epochs, n_batches)
    return _Lines(epochs)
