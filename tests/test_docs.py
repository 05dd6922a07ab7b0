"""The documentation site builds without a warning, and the examples on its pages run.

Conventions for the code blocks of the Markdown pages under ``docs/``:

- ```` ```python ```` blocks of the user-facing pages (``PAGES``: index, getting-started,
  user-guide, cli) are run here, in order, in one namespace per page and in a temporary
  folder, as a reader pasting them one after another would.
- ```` ```python-file ```` shows a Python file's contents (a plugin module, a test file)
  that is meant to be saved, not pasted: it is highlighted as Python (``docs/conf.py``
  registers the name) and not run. ```` ```toml ````, ```` ```text ```` (program output)
  and ```` ```console ```` (commands with a ``$`` prompt) are shown only, too.
- In ``docs/cli.md``, every line of a ```` ```sh ```` block is an ``npnet`` command: they
  run in page order with the page's ```` ```python ```` blocks, through
  ``npnet_core.cli.main`` in the same folder, and must exit with 0. A command that cannot
  run here (MNIST files, ``pip install``) goes in a ```` ```console ```` block. The
  ```` ```sh ```` blocks of the other pages (install commands) are not run.
- ``docs/sklearn.md`` is run by ``tests/test_sklearn.py``. ``docs/design.md`` is only
  built here; the plugin author's pages (``docs/plugins.md``, ``docs/plugins/``) are built
  here and their examples run by ``tests/test_plugin_pages.py``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import glob
import importlib.util
import io
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import pytest

from npnet_core import get_registry
from npnet_core.cli import main
from npnet_core.kinds import KINDS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = ["index", "getting-started", "user-guide", "scaling", "deploying"]  # and cli, run by test_cli_page_commands_run
#: the optional libraries a page's examples import
NEEDS = {"scaling": ("sklearn", "distributed"), "deploying": ("onnx", "onnxruntime", "sklearn", "skl2onnx")}

# ```python exactly (not ```python-file), up to the closing fence on a line of its own
_BLOCK = re.compile(r"^```(python|sh)\n(.*?)^```[ \t]*$", flags=re.DOTALL | re.MULTILINE)


def _blocks(page: str, kinds: Tuple[str, ...] = ("python",)) -> List[Tuple[str, str]]:
    """The page's code blocks of the given info strings, in order, as ``(kind, text)``."""
    text = (DOCS / f"{page}.md").read_text(encoding="utf-8")
    return [(kind, body) for kind, body in _BLOCK.findall(text) if kind in kinds]


@contextlib.contextmanager
def _global_random_state():
    """Restore NumPy's global random state: the user guide seeds it to show seed=None."""
    state = np.random.get_state()
    try:
        yield
    finally:
        np.random.set_state(state)


def _run_python(page: str, blocks: List[str]) -> str:
    """Run the blocks in one namespace; return what they printed."""
    namespace: Dict[str, object] = {"__name__": f"docs_{page.replace('-', '_')}"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), _global_random_state():
        for number, block in enumerate(blocks, start=1):
            exec(compile(block, f"docs/{page}.md, python block {number}", "exec"), namespace)
    return printed.getvalue()


def _number_after(label: str, output: str) -> float:
    match = re.search(re.escape(label) + r"\s*([0-9.]+)", output)
    assert match, f"{label!r} not printed in:\n{output}"
    return float(match.group(1))


# -- the site ------------------------------------------------------------------------------


def _require_sphinx() -> None:
    missing = [name for name in ("sphinx", "myst_parser") if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(
            f"building the documentation needs {' and '.join(missing)}: pip install -e .[docs] "
            "(requirements-dev.txt installs it)"
        )


def _build(out: Path, *, prelude: str = "") -> subprocess.CompletedProcess:
    """``sphinx-build -W --keep-going -b html docs OUT`` in a new interpreter, after ``prelude``."""
    code = (
        f"{prelude}\nimport sys\nfrom sphinx.cmd.build import main\n"
        f"sys.exit(main(['-W', '--keep-going', '-q', '-b', 'html', {str(DOCS)!r}, {str(out)!r}]))\n"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_site_builds_without_warnings(tmp_path):
    """Sphinx builds every page and the API reference with warnings as errors."""
    _require_sphinx()
    result = _build(tmp_path / "html")
    assert result.returncode == 0, f"sphinx-build failed:\n{result.stdout}\n{result.stderr}"
    html = tmp_path / "html"
    kind_pages = [f"plugins/{kind}" for kind in KINDS]
    for page in [*PAGES, "cli", "api", "performance", "design", "plugins", *kind_pages, "sklearn"]:
        assert (html / f"{page}.html").is_file(), page
    index = (html / "index.html").read_text(encoding="utf-8")
    for title in ("Getting started", "User guide", "The command line", "API reference", "Performance"):
        assert title in index
    api = (html / "api.html").read_text(encoding="utf-8")
    for name in (
        "npnet_core.NeuralNetwork",
        "npnet_core.Registry",
        "npnet_core.protocols.Optimizer",
        "npnet_core.kinds.KINDS",
        "npnet_core.kinds.ROLES",
        "npnet_core.kinds.kind_of",
        "npnet_core.hookspecs.npnet_on_epoch_end",
        "npnet_core.components.resolve",
        "npnet_core.io.save_model",
        "npnet_core.datasets.load_digits",
        "npnet_core.testing.parametrize_with_checks",
        "npnet_core.testing.check_installed",
        "npnet_core.testing.ComponentReport",
        "npnet_core.scaffold.new_plugin",
        "npnet_core.errors.NpnetError",
        "npnet_core.sklearn.NPNetClassifier",
        "npnet_core.plotting.plot_history",
        # made from the kinds table when the page is built (docs/conf.py): every kind's hook and checks
        *(f"npnet_core.hookspecs.{kind.hook}" for kind in KINDS.values()),
        *(f"npnet_core.testing.{check}" for kind in KINDS.values() for check in kind.checks),
    ):
        assert f'id="{name}"' in api, f"{name} is missing from the API reference"


@pytest.mark.slow
def test_site_builds_without_scikit_learn(tmp_path):
    """Without scikit-learn (an optional extra), the API reference is built from a stand-in."""
    _require_sphinx()
    block = (
        "import sys\n"
        "class _NoScikitLearn:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'sklearn' or name.startswith('sklearn.'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, _NoScikitLearn())\n"
    )
    result = _build(tmp_path / "html", prelude=block)
    assert result.returncode == 0, f"sphinx-build failed without scikit-learn:\n{result.stdout}\n{result.stderr}"
    assert 'id="npnet_core.sklearn.NPNetClassifier"' in (tmp_path / "html" / "api.html").read_text(encoding="utf-8")


# -- the examples --------------------------------------------------------------------------


def _toctree_entries() -> List[str]:
    """The entries of the index's toctrees: page names, or glob patterns (``plugins/*``) under ``:glob:``."""
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    entries = []
    for body in re.findall(r"^```\{toctree\}\n(.*?)^```", index, flags=re.DOTALL | re.MULTILINE):
        globbed = re.search(r"^:glob:$", body, flags=re.MULTILINE) is not None
        for line in body.splitlines():
            line = line.strip()
            if line and not line.startswith(":"):
                entries.append(line if globbed else glob.escape(line))
    return entries


def test_every_page_is_in_the_table_of_contents():
    """Each page under docs/ is reachable from the index (Sphinx warns too, but only when built).

    The plugin author's pages are taken by the pattern ``plugins/*``, so the page of a new kind
    needs no entry of its own.
    """
    entries = _toctree_entries()
    assert entries
    for path in DOCS.rglob("*.md"):
        page = path.relative_to(DOCS).with_suffix("").as_posix()
        if page != "index" and not page.startswith("_build/"):
            assert any(fnmatch.fnmatchcase(page, entry) for entry in entries), f"{page} is in no toctree"


#: Public modules of npnet_core that the API reference leaves to another page, and why.
NOT_IN_API = {
    "npnet_core.cli": "the npnet command: docs/cli.md",
    "npnet_core.network": "its one name, NeuralNetwork, is documented under npnet_core",
}


def test_api_reference_has_a_section_per_public_module():
    """docs/api.md has a section ## `npnet_core.X` for each public module (no underscore), and no other."""
    import pkgutil

    import npnet_core

    public = {"npnet_core"} | {
        f"npnet_core.{module.name}"
        for module in pkgutil.iter_modules(npnet_core.__path__)
        if not module.name.startswith("_")
    }
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    sections = set(re.findall(r"^## `(npnet_core[\w.]*)`$", text, flags=re.MULTILINE))
    assert sections == public - set(NOT_IN_API)


#: Modules the layout of components/, io/, datasets/, scaffold/ and private helpers removed, and
#: where their names went. No page may name them as modules.
REMOVED_MODULES = {
    "npnet_core.registry": "npnet_core.components",
    "npnet_core.resolution": "npnet_core.components",
    "npnet_core.adapters": "npnet_core.components",
    "npnet_core.component_specs": "npnet_core.components",
    "npnet_core.model_files": "npnet_core.io",
    "npnet_core.param_files": "npnet_core.io",
    "npnet_core.files": "npnet_core.io",
    "npnet_core.mnist": "npnet_core.datasets",
    "npnet_core.data_files": "npnet_core.datasets",
    "npnet_core.csv_files": "npnet_core.datasets",
    "npnet_core.idx_files": "npnet_core.datasets",
    "npnet_core.initializers": "private; NeuralNetwork's docstring lists the initializer names",
    "npnet_core.rng": "private; NeuralNetwork's seed argument",
    "npnet_core.training": "private; NeuralNetwork.fit",
    "npnet_core.labels": "npnet_core.to_categorical",
    "npnet_core.validation": "private",
    "npnet_core.progress": "private",
    "npnet_core.testing.runner": "npnet_core.testing (check_installed, run_checks, ...)",
    "npnet_core.testing.array_checks": "npnet_core.testing",
    "npnet_core.testing.optimizer_checks": "npnet_core.testing",
}


def test_removed_modules_are_gone():
    """The modules REMOVED_MODULES lists cannot be imported (else they are not removed and the list is wrong)."""
    still_there = [name for name in REMOVED_MODULES if importlib.util.find_spec(name) is not None]
    assert still_there == []


def test_no_page_names_a_removed_module():
    """No documentation page, README or plugin README names a module that no longer exists."""
    pages = [*DOCS.rglob("*.md"), ROOT / "README.md", ROOT / "benchmarks" / "README.md"]
    pages += sorted((ROOT / "plugins").glob("*/README.md"))
    named = re.compile(r"\b(" + "|".join(re.escape(name) for name in REMOVED_MODULES) + r")\b")
    found = []
    for path in pages:
        if "_build" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in named.finditer(line):
                module = match.group(1)
                found.append(f"{path.relative_to(ROOT)}:{number}: {module} (now {REMOVED_MODULES[module]})")
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("page", PAGES)
def test_page_python_examples_run(page, tmp_path, monkeypatch):
    """Every ```python block of the page runs, in order, in one namespace."""
    for module in NEEDS.get(page, ()):
        pytest.importorskip(module, reason=f"docs/{page}.md needs {module}")
    monkeypatch.chdir(tmp_path)
    blocks = [body for _, body in _blocks(page)]
    assert blocks, f"docs/{page}.md has no python blocks"
    plugins_before = [plugin.name for plugin in get_registry().plugins]
    output = _run_python(page, blocks)
    # the examples leave the default registry as they found it
    assert [plugin.name for plugin in get_registry().plugins] == plugins_before
    CHECKS[page](output, tmp_path)


def _check_index(output: str, folder: Path) -> None:
    assert _number_after("test accuracy:", output) >= 0.95


def _check_getting_started(output: str, folder: Path) -> None:
    assert "(1797, 64) (1797,) [0 1 2 3 4 5 6 7 8 9]" in output
    assert "1347 training and 450 test samples" in output
    assert "4810 parameters" in output
    accuracy = _number_after("test accuracy:", output)
    assert accuracy >= 0.95
    assert _number_after("reloaded accuracy:", output) == accuracy
    assert _number_after("test loss:", output) < 0.3
    assert "(3, 10) [1. 1. 1.]" in output
    predicted = re.search(r"predicted: \[([0-9 ]+)\]", output).group(1).split()
    true = re.search(r"true: +\[([0-9 ]+)\]", output).group(1).split()
    assert sum(p == t for p, t in zip(predicted, true)) >= 8
    assert (folder / "digits-model.npz").is_file()


def _check_user_guide(output: str, folder: Path) -> None:
    sgd = re.search(r"SGD\(learning_rate=([0-9.]+), momentum=([0-9.]+), nesterov=True\)", output)
    assert sgd and [float(v) for v in sgd.groups()] == pytest.approx([0.1, 0.9]), output
    adam = re.search(r"adam npnet-adam \{'learning_rate': ([0-9.e-]+)\}", output)
    assert adam and float(adam.group(1)) == pytest.approx(0.003), output
    assert _number_after("softsign network accuracy:", output) >= 0.9
    assert "['ReLU', 'Softsign']" in output
    assert "no optimizer named 'Adam'; did you mean 'adam'" in output
    assert "the usual output activation for it is 'softmax'" in output  # relu before categorical_crossentropy
    assert "weighted as repeated: True" in output
    assert _number_after("even-digit accuracy:", output) >= 0.9
    assert _number_after("subset accuracy:", output) >= 0.8
    assert "loaded without the optimizer 'adam' (pip install npnet-adam)" in output
    assert "same predictions: True" in output
    assert "fit needs the model's optimizer" in output
    assert "Total parameters: 2410" in output  # the summary table of [64, 32, 10]
    rates = re.search(r"^172 \[(.*)\]$", output, re.MULTILINE)  # the cosine schedule: 4 epochs of 43 updates
    assert rates and [float(r) for r in rates.group(1).split(", ")][-1] == 0.0, output
    assert "'val_f1'" in output and "'val_top_k_accuracy'" in output
    assert "did you mean 'learning_rate'?" in output
    assert _number_after("article-style accuracy:", output) >= 0.9
    assert (folder / "article-weights.npy").is_file()
    stopped = re.search(r"stopped after (\d+) of 100 epochs; restored epoch (\d+)", output)
    assert stopped and int(stopped.group(2)) < int(stopped.group(1)) < 100
    # the line the page quotes (to within rounding on another machine), but for the epoch's time
    epoch_3 = re.search(
        r"^Epoch 3/3 - loss: ([0-9.]+) - accuracy: ([0-9.]+) - val_loss: ([0-9.]+) - val_accuracy: ([0-9.]+) - "
        r"[0-9.]+s$",
        output,
        flags=re.MULTILINE,
    )
    assert epoch_3, output
    np.testing.assert_allclose([float(v) for v in epoch_3.groups()], [1.1397, 0.8575, 0.9883, 0.8533], atol=2e-3)
    assert "['accuracy', 'epoch_time', 'loss', 'val_accuracy', 'val_loss']" in output
    assert "5 2" in output  # 5 epochs in the history, the last 2 without validation
    assert "training for at most 100 epochs" in output
    reached = re.search(r"reached ([0-9.]+) training accuracy in (\d+) epochs", output)
    assert reached and float(reached.group(1)) >= 0.95 and int(reached.group(2)) < 100
    assert f"stopped after epoch {reached.group(2)}" in output
    assert "float32 float32" in output
    assert _number_after("he_uniform True", output) == 0.0
    assert "10 epochs in the history of both" in output
    assert "x must have 64 columns" in output
    assert "training diverged at epoch 1" in output
    assert "plugin 'my-softsign'" in output


def _check_scaling(output: str, folder: Path) -> None:
    assert "same as serial: True" in output
    assert _number_after("best score:", output) >= 0.75


def _check_deploying(output: str, folder: Path) -> None:
    def difference(label: str) -> float:  # printed as 1.1e-16
        match = re.search(rf"^{label}: ([0-9.]+e[-+][0-9]+)$", output, flags=re.MULTILINE)
        assert match, f"{label!r} not printed in:\n{output}"
        return float(match.group(1))

    assert "labels identical: True" in output
    assert difference("max difference") < 1e-12  # float64 in npnet and in ONNX Runtime
    assert "['components', 'dtype', 'layers', 'npnet_version']" in output
    assert "layers: [64, 32, 10] dtype: float64" in output
    assert "output activation: softmax" in output
    assert "pipeline labels identical: True" in output
    assert difference("pipeline max difference") < 1e-5  # float32 input and output
    assert "the activation 'softsign' of layer 1 (given as an object) cannot be exported to ONNX" in output
    assert (folder / "digits.onnx").is_file()


CHECKS = {
    "index": _check_index,
    "getting-started": _check_getting_started,
    "user-guide": _check_user_guide,
    "scaling": _check_scaling,
    "deploying": _check_deploying,
}


# -- the command line ----------------------------------------------------------------------


def _commands(block: str) -> List[List[str]]:
    """The block's command lines (continuations joined, comments dropped) as argument lists."""
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        argv = shlex.split(line, comments=True)
        if argv:
            commands.append(argv)
    return commands


@pytest.mark.slow
def test_cli_page_commands_run(tmp_path, monkeypatch, capsys):
    """The ```python and ```sh blocks of docs/cli.md run in order; every command exits with 0."""
    monkeypatch.chdir(tmp_path)
    namespace: Dict[str, object] = {"__name__": "docs_cli"}
    outputs: Dict[str, str] = {}
    for kind, block in _blocks("cli", ("python", "sh")):
        if kind == "python":
            exec(compile(block, "docs/cli.md", "exec"), namespace)
            continue
        for argv in _commands(block):
            assert argv[0] == "npnet", f"a ```sh block of docs/cli.md runs only npnet commands, not {argv}"
            status = main(argv[1:])
            captured = capsys.readouterr()
            outputs[shlex.join(argv)] = captured.out
            assert status == 0, f"{shlex.join(argv)} exited with {status}:\n{captured.out}\n{captured.err}"

    trained = outputs["npnet train --epochs 10 --save digits.npz"]
    assert "split: 1347 train, 450 test samples" in trained and "saved the model to digits.npz" in trained
    assert re.search(r"^test +[0-9.]+ +[0-9.]+ +450$", trained, flags=re.MULTILINE)
    assert (tmp_path / "digits-best.npz").is_file() and (tmp_path / "heights.npz").is_file()
    labels = (tmp_path / "labels.csv").read_text().split()
    assert labels[0] == "label" and len(labels) == 1 + 1797
    assert np.load(tmp_path / "scores.npy").shape == (1797, 10)
    assert (tmp_path / "heights-predicted.csv").is_file()
    assert (tmp_path / "npnet-my-rmsprop" / "npnet_my_rmsprop" / "plugin.py").is_file()
    assert (tmp_path / "plugins-in-progress" / "npnet-softsign" / "pyproject.toml").is_file()
    assert '"accuracy"' in outputs["npnet evaluate digits.npz --data digits.csv --label-column label --json"]
    assert "wrote digits.onnx: ONNX opset 17" in outputs["npnet export digits.npz digits.onnx --labels"]

    # the listing the page shows is what npnet plugins prints (versions aside)
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    shown = re.search(r"`npnet plugins` prints:\n\n```text\n(.*?)```", text, flags=re.DOTALL).group(1)
    printed = outputs["npnet plugins"]

    def unversioned(lines: str) -> List[str]:
        return [re.sub(r"\d+\.\d+\.\d+\S*", "VERSION", line) for line in lines.splitlines()]

    assert set(unversioned(shown)) <= set(unversioned(printed)), printed


def _help(argv: List[str], capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    return capsys.readouterr().out


def test_cli_page_documents_every_command_and_option(capsys):
    """Each subcommand of `npnet --help` has a section, and each of its options is named on the page."""
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    commands = re.findall(r"^    ([a-z][a-z-]+)(?:\s|$)", _help(["--help"], capsys), flags=re.MULTILINE)
    assert {"train", "plugins", "check", "new-plugin"} <= set(commands)
    assert "`npnet --version`" in text
    missing = []
    for command in commands:
        if f"## `npnet {command}`" not in text:
            missing.append(f"the section ## `npnet {command}`")
        for line in _help([command, "--help"], capsys).splitlines():
            if not line.startswith("  -"):  # an option's entry, not a wrapped line of help
                continue
            first_column = re.split(r"\s{2,}", line.strip())[0]
            for option in re.findall(r"(?<![\w-])--?[A-Za-z][\w-]*", first_column):
                if option not in ("-h", "--help") and not re.search(rf"`{re.escape(option)}[ `]", text):
                    missing.append(f"npnet {command} {option}")
    assert not missing, "docs/cli.md does not document: " + ", ".join(missing)
