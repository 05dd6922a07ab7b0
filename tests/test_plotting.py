"""plot_history: training curves as an image, matplotlib imported only when drawing."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from npnet_core import NeuralNetwork, ValidationError  # noqa: E402
from npnet_core.plotting import MissingDependencyError, plot_history, require_matplotlib  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parent.parent

HISTORY = {
    "loss": [1.0, 0.6, 0.4, 0.35],
    "accuracy": [0.5, 0.7, 0.8, 0.85],
    "val_loss": [1.1, 0.7, 0.5, 0.55],
    "val_accuracy": [0.45, 0.65, 0.75, 0.74],
    "epoch_time": [0.1, 0.1, 0.1, 0.1],
}


def png_size(path):
    """(width, height) from a PNG's IHDR chunk, after checking the signature."""
    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_two_panels_for_a_classifier(tmp_path):
    """Loss and accuracy side by side: a PNG 1100 pixels wide and 420 high."""
    path = plot_history(HISTORY, tmp_path / "curves.png", title="a title")
    assert path == tmp_path / "curves.png"
    assert png_size(path) == (1100, 420)


def test_one_panel_for_a_regressor(tmp_path):
    """Without accuracy (a regressor) only the loss panel is drawn."""
    assert png_size(plot_history({"loss": [3.0, 2.0]}, tmp_path / "loss.png")) == (600, 420)


def test_the_history_of_a_trained_network(tmp_path):
    """A network's own history (train only, no validation) plots as it is."""
    net = NeuralNetwork([2, 3, 2], "relu", "softmax", "categorical_crossentropy", "adam", seed=0)
    net.fit([[0, 1], [1, 0]], [0, 1], 2, 3, categorical=True, verbose=0)
    assert png_size(plot_history(net.history, str(tmp_path / "net.png"))) == (1100, 420)


def test_the_extension_chooses_the_format(tmp_path):
    """.svg and .pdf are written as such; an unknown extension is refused before drawing."""
    assert (plot_history(HISTORY, tmp_path / "c.svg")).read_text().lstrip().startswith("<?xml")
    assert (tmp_path / "c.svg").read_text().count("<svg") == 1
    assert plot_history(HISTORY, tmp_path / "c.pdf").read_bytes().startswith(b"%PDF")
    for name in ("c.xyz", "noextension"):
        with pytest.raises(ValidationError, match=r"cannot tell the image format of .*; end the name in .png"):
            plot_history(HISTORY, tmp_path / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pdf", "c.svg"]


def test_an_empty_history_is_refused(tmp_path):
    """Nothing to plot is an error, not an empty picture."""
    with pytest.raises(ValidationError, match="has no 'loss' values to plot"):
        plot_history({"loss": []}, tmp_path / "empty.png")
    assert not (tmp_path / "empty.png").exists()


def test_missing_matplotlib_names_the_extra(monkeypatch, tmp_path):
    """Without matplotlib: one line naming pip install npnet-core[plot], an ImportError too."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    with pytest.raises(
        MissingDependencyError,
        match=r"^plotting needs matplotlib, which is not installed: pip install npnet-core\[plot\]$",
    ):
        require_matplotlib()
    with pytest.raises(ImportError):
        plot_history(HISTORY, tmp_path / "curves.png")


def test_importing_npnet_does_not_import_matplotlib_or_tqdm():
    """matplotlib and tqdm are optional extras: importing the CLI and plotting module imports neither."""
    code = (
        "import sys, npnet_core, npnet_core.cli, npnet_core.plotting, npnet_core.datasets\n"
        "from npnet_core.cli._parser import _parser\n"
        "_parser()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'tqdm')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def drawn_figure(monkeypatch, history, path):
    """Plot ``history`` to ``path``; return the matplotlib Figure as it was saved."""
    from matplotlib.figure import Figure

    saved = []
    original = Figure.savefig

    def savefig(self, *args, **kwargs):
        saved.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", savefig)
    plot_history(history, path)
    (figure,) = saved
    return figure


def curves(ax):
    """The curves of a panel, by legend label: {label: y values} (the epoch marker has no data of interest)."""
    return {line.get_label(): list(line.get_ydata()) for line in ax.get_lines() if line.get_linestyle() != ":"}


def test_metrics_and_learning_rate_get_panels(monkeypatch, tmp_path):
    """Each metric with its val_ counterpart in a panel, the learning rate last on a log scale, three a row."""
    rates = [0.01 * 0.5**epoch for epoch in range(4)]
    history = {
        **HISTORY,
        "f1": [0.4, 0.6, 0.7, 0.8],
        "val_f1": [0.3, 0.5, 0.6, 0.6],
        "mae": [0.3, 0.2, 0.1, 0.05],  # a metric reported on the training batches only
        "learning_rate": rates,
    }
    figure = drawn_figure(monkeypatch, history, tmp_path / "all.png")
    assert [ax.get_title() for ax in figure.axes] == ["loss", "accuracy", "f1", "mae", "learning rate"]
    loss, _, f1, mae, rate = figure.axes
    assert curves(f1) == {"train": history["f1"], "validation": history["val_f1"]}
    assert curves(mae) == {"train": history["mae"]}
    assert curves(rate) == {"each epoch's last update": rates}
    assert rate.get_yscale() == "log" and loss.get_yscale() == "linear"
    # the lowest validation loss (epoch 3) is marked in every panel
    assert all(
        [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == ":"] == [3] for ax in figure.axes
    )
    # two rows of three, the sixth place left empty: (5 * 3 + 1) by (4.2 * 2) inches at 100 dpi
    assert png_size(tmp_path / "all.png") == (1600, 840)


def test_four_panels_make_two_rows_of_two(tmp_path):
    """Loss, accuracy, a metric and the rate: a square of panels, (5 * 2 + 1) by (4.2 * 2) inches."""
    history = {**HISTORY, "f1": [0.4, 0.6, 0.7, 0.8], "learning_rate": [0.1, 0.1, 0.01, 0.01]}
    assert png_size(plot_history(history, tmp_path / "four.png")) == (1100, 840)


def test_a_rate_of_zero_keeps_a_linear_scale(monkeypatch, tmp_path):
    """A schedule that reaches 0 (cosine to its end) cannot be drawn on a log scale: linear then."""
    history = {"loss": [1.0, 0.5, 0.4], "learning_rate": [0.1, 0.05, 0.0]}
    figure = drawn_figure(monkeypatch, history, tmp_path / "zero.png")
    assert [ax.get_title() for ax in figure.axes] == ["loss", "learning rate"]
    assert figure.axes[1].get_yscale() == "linear" and curves(figure.axes[1])["each epoch's last update"][-1] == 0.0
