"""The plugin author's pages run: their distributions are written out, found through entry points and tested.

The pages of ``docs/plugins/`` (one per kind: ``activation.md`` with npnet-softsign,
``loss.md`` with npnet-quantile and npnet-poisson, ``optimizer.md`` with npnet-my-rmsprop, and so on)
and the guide ``docs/plugins.md`` (the scaffold of ``npnet new-plugin``) are read block by
block, in page order, with these conventions:

- **A file.** A code block whose preceding non-empty line is exactly a backticked path
  and a colon (`` `npnet-softsign/npnet_softsign/plugin.py`: ``) is that file of the
  distribution named by the path's first folder. It is written, exactly as shown, to
  ``tmp_path/<path>`` before anything runs.
- **Installing.** pip is never run. Each distribution gets a stand-in installation
  instead: a folder ``<name>-<version>.dist-info`` with ``METADATA`` and the
  ``[project.entry-points.npnet]`` table of its ``pyproject.toml`` as
  ``entry_points.txt``, in a site folder that subprocesses get on ``PYTHONPATH``
  together with the distribution's root (as ``pip install -e`` would). So the
  ``pip install`` lines of ```` ```sh ```` blocks are accepted and not run, and
  everything else runs in a new interpreter: this process's ``sys.path`` and its
  entry-point caches are left alone.
- **A script.** Every other ```` ```python ```` block is a script, run on its own in a
  new interpreter with ``-W error``, in page order. It runs from the folder named by
  "From the `X` folder" in the prose just above it (else from ``tmp_path``, where the
  distributions' folders are), and under a heading about trying it "before
  installing", without the stand-in installations: the folder alone must make the
  plugin importable. Its traceback names the page and the page's line numbers.
- **Not a script.** A ```` ```python ```` block that is part of something else is
  listed in ``FRAGMENTS`` with what is done with it instead (saved as a file of the
  scaffolded distribution, or compiled only because it is illustrative, with the
  reason). A rule that matches no block fails, so the list cannot go stale.
  ```` ```python-file ````, ```` ```console ```` and untagged blocks (layouts,
  pseudo-code) are shown only, but a layout's files must exist; a ```` ```toml ```` block
  that is not a file must be part of a ``pyproject.toml`` of the page's distributions.
- **An object.** A ```` ```python ```` block introduced by `` `npnet_core.X`: `` shows
  that object: it runs as a script, and ``test_protocol_blocks_match_npnet_core`` checks
  that it has the object's members, parameters and annotations.
- **Commands.** Each line of a ```` ```sh ```` block runs in page order: ``npnet ARGS``
  as ``python -m npnet_core ARGS`` (exit status 0; valid JSON for ``--json``; the
  ``# comment`` after ``npnet plugins`` names lines it prints), ``python -m pytest
  ARGS`` as the distribution's tests (below). ``NOT_RUN`` lists, with the reason, the
  commands that are not run (building, uploading); any other command fails.
- **Output.** A ```` ```text ```` block right after a script or a command (nothing, or
  only a sentence ending in "print:"/"prints:", in between) is its output: each of its
  lines must be a line of what was printed, version numbers aside. A ```` ```text ````
  block that is not output is checked by a function in ``EXPLAINED_TEXT``.

Then, for each distribution, its tests run with pytest (``--import-mode=importlib``,
warnings as errors, as this repository's configuration has it) and must all pass,
``check_registered_name_resolves`` included, since the stand-in registers the entry
point; the test ids the page quotes ("test ids read ...") must be among them, and the
page's table of checks (rows `` | `check_...` | ``) must be exactly the contract checks
run for each component of the page's first distribution. Last,
``npnet check DISTRIBUTION:NAME`` runs for every component the distribution registers.
``test_every_block_is_accounted_for`` checks the conventions without running anything.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Set, Tuple

import numpy as np
import pytest

from npnet_core.kinds import KINDS

ROOT = Path(__file__).resolve().parent.parent
#: the plugin author's guide and one page per kind
PAGES = [*(f"docs/plugins/{kind}.md" for kind in KINDS), "docs/plugins.md"]
TIMEOUT = 300


# -- reading the pages -------------------------------------------------------------------------------------

_FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[^`\s]*)[ \t]*$")
_CLOSE = re.compile(r"^[ \t]*```[ \t]*$")
_FILE_LINE = re.compile(r"^`(?P<path>[^`\s]*/[^`\s]*)`:$")
_OBJECT_LINE = re.compile(r"^`(?P<object>npnet_core(?:\.\w+)+)`:$")
_HEADING = re.compile(r"^#{1,6} +(?P<title>.*)$")
_FROM_FOLDER = re.compile(r"\b[Ff]rom the `(?P<folder>[^`/]+)` folder\b")
_OUTPUT_INTRO = re.compile(r"(^|\s)prints?:$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: str  # relative to the repository, e.g. "docs/plugins/loss.md"
    line: int  # the line of the opening fence, counted from 1
    info: str  # "python", "sh", "text", "toml", "" ...
    body: str  # dedented by the fence's indentation, ending with a newline
    intro: str  # the prose between the previous block (or heading) and this one
    heading: str  # the title of the section the block is in
    path: Optional[str]  # for a file block: the path it gives

    @property
    def where(self) -> str:
        return f"{self.page}, line {self.line}"

    @property
    def folder(self) -> Optional[str]:
        """The folder the prose says to run the block from."""
        match = _FROM_FOLDER.search(self.intro)
        return match.group("folder") if match else None


def parse(page: str) -> List[Block]:
    """The page's code blocks, in order."""
    lines = (ROOT / page).read_text(encoding="utf-8").splitlines()
    blocks: List[Block] = []
    heading, prose = "", []  # type: Tuple[str, List[str]]
    number = 0
    while number < len(lines):
        line = lines[number]
        fence = _FENCE.match(line)
        if fence is None:
            title = _HEADING.match(line)
            if title:
                heading, prose = title.group("title"), []
            else:
                prose.append(line.strip())
            number += 1
            continue
        start, indent = number, fence.group("indent")
        body = []
        number += 1
        while number < len(lines) and not _CLOSE.match(lines[number]):
            body.append(lines[number][len(indent) :] if lines[number].startswith(indent) else lines[number])
            number += 1
        assert number < len(lines), f"{page}, line {start + 1}: the code block is not closed"
        number += 1
        said = [text for text in prose if text]
        file_line = _FILE_LINE.match(said[-1]) if said else None
        blocks.append(
            Block(
                page=page,
                line=start + 1,
                info=fence.group("info"),
                body="\n".join(body) + "\n",
                intro=" ".join(said),
                heading=heading,
                path=file_line.group("path") if file_line else None,
            )
        )
        prose = []
    return blocks


def is_script(block: Block) -> bool:
    return block.info == "python" and block.path is None and fragment_rule(block) is None


def commands(block: Block) -> List[Tuple[List[str], str]]:
    """The ```sh block's commands as ``(argv, comment)``, continuation lines joined."""
    found = []
    for line in block.body.replace("\\\n", " ").splitlines():
        code, _, comment = line.partition("#")
        argv = shlex.split(code)
        if argv:
            found.append((argv, comment.strip()))
    return found


def unversioned(text: str) -> List[str]:
    """The non-empty lines of ``text``, right-stripped, with version numbers replaced."""
    return [re.sub(r"\b\d+\.\d+\.\d+\S*", "VERSION", line.rstrip()) for line in text.splitlines() if line.strip()]


# -- the blocks that are not scripts, and the commands that are not run ------------------------------------


@dataclass(frozen=True)
class SaveAs:
    """The block is the whole of a file of a distribution the page made: write it there, then test it."""

    path: str
    why: str


@dataclass(frozen=True)
class Illustrative:
    """The block shows code around names the page does not define: it is compiled, not run."""

    why: str


#: (page, a line of the block) -> what is done with a ```python block that is not a script.
FRAGMENTS: Dict[Tuple[str, str], object] = {
    ("docs/plugins.md", "from .my_rmsprop import MyRmsprop"): SaveAs(
        "npnet-my-rmsprop/npnet_my_rmsprop/plugin.py",
        "'The plugin module implements one or more hooks': the plugin module of the scaffold the page made",
    ),
    ("docs/plugins.md", "def test_my_rmsprop_honours_the_npnet_contract(component, check):"): SaveAs(
        "npnet-my-rmsprop/tests/test_contract.py",
        "the contract test of the scaffold the page made; its test ids are quoted after it",
    ),
    ("docs/plugins.md", "class AdamW:"): Illustrative(
        "a class attribute of the same hypothetical AdamW; the check names it declares are checked"
    ),
}

#: Commands of ```sh blocks that are not run, with the reason.
NOT_RUN: Dict[str, str] = {
    "python -m pip install build twine": "installs publishing tools from an index",
    "python -m build": "building a wheel needs the build tools above",
    "python -m twine upload dist/*": "uploads to PyPI",
}


def fragment_rule(block: Block) -> Optional[object]:
    if block.info != "python" or block.path is not None:
        return None
    lines = [text.strip() for text in block.body.splitlines()]
    rules = [rule for (page, line), rule in FRAGMENTS.items() if page == block.page and line in lines]
    assert len(rules) <= 1, f"{block.where}: more than one FRAGMENTS rule matches"
    return rules[0] if rules else None


def is_pip_install(argv: List[str]) -> bool:
    return argv[:2] == ["pip", "install"] or argv[:4] == ["python", "-m", "pip", "install"]


def command_kind(argv: List[str]) -> str:
    if " ".join(argv) in NOT_RUN:
        return "not run"
    if is_pip_install(argv):
        return "install"
    if argv[0] == "npnet":
        return "npnet"
    if argv[:3] == ["python", "-m", "pytest"]:
        return "pytest"
    return "unknown"


# -- what the page's text blocks show ----------------------------------------------------------------------


def text_is_output(block: Block) -> bool:
    """Whether a ```text block is the output of what ran just before it."""
    return not block.intro or bool(_OUTPUT_INTRO.search(block.intro))


# -- installing without pip --------------------------------------------------------------------------------


def tomllib_module():
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    return pytest.importorskip(  # pragma: no cover - Python 3.9 and 3.10
        "tomli", reason="reading the pages' pyproject.toml needs tomllib (Python 3.11+) or tomli"
    )


def read_toml(path: Path) -> dict:
    with open(path, "rb") as handle:
        return tomllib_module().load(handle)


def stand_in_install(root: Path, site: Path) -> Tuple[str, str]:
    """Make the distribution at ``root`` findable through its entry points; return its name and version."""
    config = read_toml(root / "pyproject.toml")
    project = config["project"]
    name = project["name"]
    version = project.get("version")
    if version is None:  # dynamic, from an attribute, as the scaffold's pyproject.toml has it
        assert "version" in project.get("dynamic", []), f"{root / 'pyproject.toml'} gives no version"
        module, _, attribute = config["tool"]["setuptools"]["dynamic"]["version"]["attr"].rpartition(".")
        source = root.joinpath(*module.split(".")) / "__init__.py"
        found = re.search(rf"^{re.escape(attribute)} = \"([^\"]+)\"$", source.read_text(encoding="utf-8"), re.MULTILINE)
        assert found, f"no {attribute} in {source}"
        version = found.group(1)
    entry_points = project.get("entry-points", {}).get("npnet")
    assert entry_points, f"{root / 'pyproject.toml'} declares no entry point in the group npnet"
    dist_info = site / f"{re.sub(r'[-_.]+', '_', name)}-{version}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    lines = "".join(f"{key} = {value}\n" for key, value in entry_points.items())
    (dist_info / "entry_points.txt").write_text(f"[npnet]\n{lines}", encoding="utf-8")
    return name, version


# -- running -----------------------------------------------------------------------------------------------

# run the block's text as if it were a file of the page at the block's lines, so that a
# traceback shows the page's own line numbers
_RUNNER = (
    "import sys\n"
    "page, first, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]\n"
    "with open(path, encoding='utf-8') as handle:\n"
    "    source = '\\n' * (first - 1) + handle.read()\n"
    "sys.argv = [page]\n"
    "exec(compile(source, page, 'exec'), {'__name__': '__main__', '__builtins__': __builtins__})\n"
)


def show(result: subprocess.CompletedProcess) -> str:
    command = shlex.join("<run a block>" if arg == _RUNNER else str(arg) for arg in result.args)
    return f"--- command: {command}\n--- stdout:\n{result.stdout}\n--- stderr:\n{result.stderr}"


@dataclass
class Session:
    """One page being worked through, in its own temporary folder."""

    page: str
    tmp: Path
    dists: Dict[str, Path] = field(default_factory=dict)  # distribution folder name -> its root
    installed: Dict[str, Tuple[str, str]] = field(default_factory=dict)  # folder name -> (name, version)
    extra_paths: List[Path] = field(default_factory=list)
    last_output: Optional[Tuple[str, str]] = None  # (what ran, its stdout)
    tested: Dict[str, str] = field(default_factory=dict)  # folder name -> verbose pytest output
    checked: Set[str] = field(default_factory=set)  # names given to npnet check by the page

    @property
    def site(self) -> Path:
        return self.tmp / "site-packages"

    def env(self, *, installed: bool = True) -> Dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NPNET_")}
        env.update(NPNET_STRICT_PLUGINS="1", PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1")
        paths = [str(self.site), *map(str, self.dists.values()), *map(str, self.extra_paths)] if installed else []
        paths += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        if paths:
            env["PYTHONPATH"] = os.pathsep.join(paths)
        else:
            env.pop("PYTHONPATH", None)
        return env

    def cwd(self, block: Block) -> Path:
        if block.folder is None:
            return self.tmp
        assert block.folder in self.dists, (
            f"{block.where}: the page says to run from {block.folder!r}, which it did not write"
        )
        return self.dists[block.folder]

    def run(self, argv: List[str], *, cwd: Path, installed: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *argv],
            cwd=cwd,
            env=self.env(installed=installed),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )

    def install(self, folder: str) -> None:
        if folder not in self.installed:
            self.installed[folder] = stand_in_install(self.dists[folder], self.site)

    # -- the blocks

    def materialise(self, blocks: List[Block]) -> None:
        for block in blocks:
            if block.path is None:
                continue
            target = self.tmp / block.path
            assert not target.exists(), f"{block.where}: {block.path} is given twice"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.body, encoding="utf-8")
            self.dists[block.path.split("/")[0]] = self.tmp / block.path.split("/")[0]

    def script(self, block: Block) -> None:
        installed = "before installing" not in block.heading.lower()
        source = self.tmp / "blocks" / f"line-{block.line}.py"
        source.parent.mkdir(exist_ok=True)
        source.write_text(block.body, encoding="utf-8")
        result = self.run(
            ["-W", "error", "-c", _RUNNER, str(ROOT / block.page), str(block.line + 1), str(source)],
            cwd=self.cwd(block),
            installed=installed,
        )
        state = "installed" if installed else "not installed"
        assert result.returncode == 0, (
            f"{block.where}: the ```python block ({block.heading}; {state}) exited with {result.returncode}\n{show(result)}"
        )
        self.last_output = (f"the script at {block.where}", result.stdout)

    def fragment(self, block: Block, rule: object) -> None:
        if isinstance(rule, SaveAs):
            target = self.tmp / rule.path
            assert target.parent.is_dir(), f"{block.where}: {rule.path} has no folder to go to"
            target.write_text(block.body, encoding="utf-8")
        else:
            compile(block.body, block.where, "exec")  # at least valid Python
            for name in re.findall(r"\bcheck_\w+", block.body):
                assert name in contract_check_names(), f"{block.where}: {name} is no check of npnet_core.testing"

    def shell(self, block: Block) -> None:
        for argv, comment in commands(block):
            kind, line = command_kind(argv), shlex.join(argv)
            where = f"{block.where}: {line}"
            assert kind != "unknown", f"{where}: a command this test does not know; run it here or add it to NOT_RUN"
            if kind in ("not run", "install"):  # the stand-in installations take the place of pip
                continue
            if kind == "pytest":
                folder = self.cwd(block)
                assert folder.parent == self.tmp, f"{where}: run from a distribution's folder (From the `X` folder)"
                self.test_distribution(folder.name, argv[3:], where)
                continue
            if argv[1:2] == ["new-plugin"]:
                self.new_plugin(argv, block)
                continue
            result = self.run(["-m", "npnet_core", *argv[1:]], cwd=self.cwd(block))
            assert result.returncode == 0, f"{where} exited with {result.returncode}\n{show(result)}"
            if "--json" in argv:
                json.loads(result.stdout)
            if argv[1:] == ["plugins"] and comment:
                printed = [text.strip() for text in result.stdout.splitlines()]
                for part in comment.split(", "):
                    assert part in printed, f"{where}: the comment says it prints {part!r}\n{show(result)}"
            if argv[1:2] == ["check"]:
                self.checked.update(name for name in argv[2:] if not name.startswith("-"))
            self.last_output = (where, result.stdout)

    def new_plugin(self, argv: List[str], block: Block) -> None:
        result = self.run(["-m", "npnet_core", *argv[1:]], cwd=self.tmp)
        assert result.returncode == 0, (
            f"{block.where}: {shlex.join(argv)} exited with {result.returncode}\n{show(result)}"
        )
        folder = argv[2]
        assert (self.tmp / folder / "pyproject.toml").is_file(), (
            f"{block.where}: no distribution in ./{folder}\n{show(result)}"
        )
        self.dists[folder] = self.tmp / folder
        self.install(folder)  # what the page's later `pip install -e .` does

    def text(self, block: Block) -> None:
        if not text_is_output(block):
            EXPLAINED_TEXT[(block.page, block.body.splitlines()[0])](self, block)
            return
        assert self.last_output is not None, f"{block.where}: output shown before anything ran"
        what, printed = self.last_output
        missing = [line for line in unversioned(block.body) if line not in unversioned(printed)]
        assert not missing, f"{block.where}: {what} did not print the lines {missing}; it printed:\n{printed}"

    def toml(self, block: Block) -> None:
        """A ```toml block that is not a file shows part of a pyproject.toml of the page's distributions."""
        shown = tomllib_module().loads(block.body)

        def within(part: object, whole: object) -> bool:
            if isinstance(part, dict):
                return isinstance(whole, dict) and all(k in whole and within(v, whole[k]) for k, v in part.items())
            return part == whole

        configs = {folder: read_toml(root / "pyproject.toml") for folder, root in self.dists.items()}
        assert any(within(shown, config) for config in configs.values()), (
            f"{block.where}: the tables shown are in no pyproject.toml of {sorted(configs)}"
        )

    def layout(self, block: Block) -> None:
        """An untagged block that draws a distribution's folder: each file it names exists."""
        lines = [line for line in block.body.splitlines() if line.strip()]
        if not lines or not re.fullmatch(r"[\w.-]+/", lines[0]) or lines[0][:-1] not in self.dists:
            return  # pseudo-code, or a layout of no distribution of the page
        stack: List[Tuple[int, str]] = []
        for line in lines:
            depth = len(line) - len(line.lstrip(" "))
            name = line.split()[0]
            stack = [(d, n) for d, n in stack if d < depth]
            if name.endswith("/"):
                stack.append((depth, name))
                continue
            path = self.tmp.joinpath(*[n.rstrip("/") for _, n in stack], name)
            assert path.is_file(), (
                f"{block.where}: the layout shows {path.relative_to(self.tmp)}, which the page does not give"
            )

    # -- after the walk

    def test_distribution(self, folder: str, page_args: List[str], where: str) -> None:
        args = [*(page_args or ["tests"]), "-v", "-p", "no:cacheprovider", "-o", "filterwarnings=error"]
        if "--import-mode=importlib" not in args:
            args.append("--import-mode=importlib")
        result = self.run(["-m", "pytest", *args], cwd=self.dists[folder])
        summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
        assert result.returncode == 0, f"{where}: the tests of {folder} failed\n{show(result)}"
        assert re.fullmatch(r"=+ \d+ passed in .*=+", summary), (
            f"{where}: not every test passed: {summary}\n{show(result)}"
        )
        self.tested[folder] = result.stdout

    def components(self) -> Dict[str, List[str]]:
        """For each distribution folder, ``DISTRIBUTION:NAME`` of each component it registers, once installed."""
        result = self.run(["-m", "npnet_core", "plugins", "--json"], cwd=self.tmp)
        assert result.returncode == 0, show(result)
        listing = json.loads(result.stdout)
        assert not listing["failures"], f"plugins failed to load: {listing['failures']}"
        found = {}
        for folder, (name, version) in self.installed.items():
            mine = [p for p in listing["plugins"] if p["distribution"] == name]
            assert mine, f"the stand-in installation of {name} is not found through its entry point:\n{result.stdout}"
            assert all(p["version"] == version for p in mine), result.stdout
            found[folder] = [
                f"{name}:{entry['name']}"
                for plugin in mine
                for entries in plugin["components"].values()
                for entry in entries
            ]
            assert found[folder], f"{name} registers no component"
        return found


# -- the ```text blocks that are not output --------------------------------------------------------------


def _ambiguous_tanh(session: Session, block: Block) -> None:
    """The message for "tanh" once a second distribution, npnet-more-activations 2.0.0, registers it next to
    the official npnet-sigmoid-tanh."""
    more = session.tmp / "npnet-more-activations"
    (more / "npnet_more_activations").mkdir(parents=True)
    (more / "npnet_more_activations" / "__init__.py").write_text(
        "import numpy as np\nfrom npnet_core import hookimpl\n\n\n"
        "class Tanh:\n    name = 'tanh'\n\n"
        "    def forward(self, z):\n        return np.tanh(z)\n\n"
        "    def backward(self, z, a, grad_a):\n        return grad_a * (1.0 - a * a)\n\n\n"
        "@hookimpl\ndef npnet_register_activations(register):\n    register('tanh', Tanh)\n",
        encoding="utf-8",
    )
    (more / "pyproject.toml").write_text(
        '[project]\nname = "npnet-more-activations"\nversion = "2.0.0"\n\n'
        '[project.entry-points.npnet]\nmore-activations = "npnet_more_activations"\n',
        encoding="utf-8",
    )
    stand_in_install(more, session.site)
    session.extra_paths.append(more)
    code = (
        "from npnet_core import AmbiguousComponentError, NeuralNetwork\n"
        "try:\n"
        "    NeuralNetwork([2, 3, 2], 'tanh', 'softmax', 'categorical_crossentropy', 'adam')\n"
        "except AmbiguousComponentError as error:\n"
        "    print(error)\n"
        "else:\n"
        "    raise SystemExit('a plain tanh resolved with two providers')\n"
        "print(NeuralNetwork([2, 3, 2], 'npnet-sigmoid-tanh:tanh', 'softmax', 'categorical_crossentropy', 'adam')"
        ".component_specs['hidden_activation'])\n"
    )
    result = session.run(["-W", "error", "-c", code], cwd=session.tmp)
    assert result.returncode == 0, f"{block.where}: {show(result)}"
    printed = result.stdout.splitlines()
    assert unversioned("\n".join(printed[:-1])) == unversioned(block.body), (
        f"{block.where}: the message is not the page's:\n{result.stdout}"
    )
    assert "npnet-sigmoid-tanh" in printed[-1], f"{block.where}: the pinned name did not resolve:\n{result.stdout}"
    shutil.rmtree(session.site / "npnet_more_activations-2.0.0.dist-info")  # uninstalled for what follows
    session.extra_paths.remove(more)


#: (page, first line of a ```text block that is not output) -> what checks it.
EXPLAINED_TEXT: Dict[Tuple[str, str], Callable[[Session, Block], None]] = {
    ("docs/plugins/activation.md", "the activation name 'tanh' is provided by 2 plugins:"): _ambiguous_tanh,
}


_CHECK_NAMES: List[str] = []


def contract_check_names() -> List[str]:
    """The names of npnet_core.testing's checks, of every kind (from the official plugins' components)."""
    if not _CHECK_NAMES:
        from npnet_adam import Adam
        from npnet_relu_softmax.plugin import npnet_register_activations, npnet_register_losses

        from npnet_core.testing import checks_for

        made: List[object] = [Adam()]
        for hook in (npnet_register_activations, npnet_register_losses):
            hook(lambda name, factory, aliases=(): made.append(factory()))
        _CHECK_NAMES.extend(sorted({check.__name__ for component in made for check in checks_for(component)}))
    return _CHECK_NAMES


# -- the tests ---------------------------------------------------------------------------------------------


def test_every_block_is_accounted_for():
    """Each block of the pages is a file, a script, a fragment, known commands, output or shown, by the conventions."""
    rules_used = set()
    for page in PAGES:
        blocks = parse(page)
        assert blocks, page
        previous: Optional[Block] = None
        for block in blocks:
            assert block.info in {"python", "python-file", "sh", "text", "toml", "console", ""}, (
                f"{block.where}: the info string {block.info!r} has no convention here"
            )
            if block.path is not None:
                assert re.fullmatch(r"npnet-[a-z0-9-]+/[\w./-]+", block.path) and ".." not in block.path, block.where
            rule = fragment_rule(block)
            if rule is not None:
                rules_used.add(next(key for key, value in FRAGMENTS.items() if value is rule and key[0] == page))
            if block.info == "python" and block.path is None:
                compile(block.body, block.where, "exec")
            if block.info == "sh":
                for argv, _ in commands(block):
                    assert command_kind(argv) != "unknown", f"{block.where}: {shlex.join(argv)} is not a known command"
            if block.info == "text":
                if text_is_output(block):
                    assert previous is not None and (is_script(previous) or previous.info == "sh"), (
                        f"{block.where}: output shown after something that does not run"
                    )
                else:
                    assert (page, block.body.splitlines()[0]) in EXPLAINED_TEXT, (
                        f"{block.where}: a ```text block that is no output, and not in EXPLAINED_TEXT"
                    )
            previous = block
        folders = {block.path.split("/")[0] for block in blocks if block.path}
        for folder in folders:
            assert any(block.path == f"{folder}/pyproject.toml" for block in blocks), (
                f"{page}: {folder} has no pyproject.toml"
            )
    assert rules_used == set(FRAGMENTS), f"FRAGMENTS rules that match no block: {set(FRAGMENTS) - rules_used}"
    assert {page for page, _ in EXPLAINED_TEXT} <= set(PAGES)


def test_protocol_blocks_match_npnet_core():
    """A ```python block introduced by `npnet_core.X`: shows X: the same members, parameters and annotations."""
    import importlib
    import typing

    shown = 0
    for page in PAGES:
        for block in parse(page):
            said = _OBJECT_LINE.match(block.intro)
            if block.info != "python" or not said:
                continue
            module_name, _, name = said.group("object").rpartition(".")
            real = getattr(importlib.import_module(module_name), name)
            namespace: Dict[str, object] = {"__name__": "shown"}
            exec(compile(block.body, block.where, "exec"), namespace)
            ours = namespace[name]

            def members(cls: type, globalns: Optional[Dict[str, object]] = None) -> Dict[str, object]:
                # globalns: Python 3.9 looks names up in sys.modules[cls.__module__], which the shown block is not in
                hints = typing.get_type_hints(cls, globalns=globalns)
                found: Dict[str, object] = {key: ("attribute", value) for key, value in hints.items()}
                for key, value in vars(cls).items():
                    if callable(value) and not key.startswith("_"):
                        parameters = list(inspect.signature(value).parameters)
                        found[key] = ("method", parameters, typing.get_type_hints(value, globalns=globalns))
                return found

            # the real module imports NumPy for its annotations only (TYPE_CHECKING): resolve them with it
            real_namespace = {**vars(importlib.import_module(module_name)), "np": np}
            assert members(ours, namespace) == members(real, real_namespace), (
                f"{block.where}: the block does not show {said.group('object')}"
            )
            shown += 1
    assert shown == len(KINDS)  # one protocol per kind


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=[Path(page).stem for page in PAGES])
def test_plugin_page_runs(page, tmp_path):
    """The page's distributions are written and installed (stand-ins), its scripts and commands run, its
    output shows, the distributions' tests pass, and npnet check passes for each component."""
    blocks = parse(page)
    session = Session(page, tmp_path)
    session.materialise(blocks)
    for folder in session.dists:
        session.install(folder)

    for block in blocks:
        if block.path is not None:
            continue
        rule = fragment_rule(block)
        if rule is not None:
            session.fragment(block, rule)
        elif block.info == "python":
            session.script(block)
        elif block.info == "sh":
            session.shell(block)
        elif block.info == "text":
            session.text(block)
        elif block.info == "toml":
            session.toml(block)
        elif block.info == "":
            session.layout(block)

    assert session.dists, f"{page} writes no distribution"
    for folder in session.dists:
        if folder not in session.tested:
            session.test_distribution(folder, [], f"{page}: the tests of {folder}")
    for components in session.components().values():
        for component in components:
            if component in session.checked or component.partition(":")[2] in session.checked:
                continue  # the page ran npnet check on it already
            result = session.run(["-m", "npnet_core", "check", component], cwd=tmp_path)
            assert result.returncode == 0, f"{page}: npnet check {component} failed\n{show(result)}"
            assert re.search(rf"^{re.escape(component.partition(':')[2])} ", result.stdout, re.MULTILINE), show(result)

    text = (ROOT / page).read_text(encoding="utf-8")
    ran = "\n".join(session.tested.values())
    quoted = re.search(r"ids read ((?:`[^`]+`(?:,? and |, )?)+)", " ".join(text.split()))
    for test_id in re.findall(r"`([^`]+)`", quoted.group(1)) if quoted else []:
        assert f"[{test_id}] PASSED" in ran, f"{page} quotes the test id {test_id!r}, which did not run:\n{ran}"
    table = re.findall(r"^\| `(check_\w+)` \|", text, flags=re.MULTILINE)
    if table:  # the checks of the page's kind: those run for each component of its first distribution
        first = next(iter(session.dists))
        run_by_component: Dict[str, Set[str]] = {}
        for component, check in re.findall(r"test_contract\[(.+)-(check_\w+)\] PASSED", session.tested[first]):
            run_by_component.setdefault(component, set()).add(check)
        assert run_by_component, f"{page}: no contract check ran for {first}"
        for component, checks in run_by_component.items():
            assert set(table) == checks, (
                f"{page}: the table of checks is not what the contract suite runs for {component}: "
                f"not run {sorted(set(table) - checks)}, not in the table {sorted(checks - set(table))}"
            )
