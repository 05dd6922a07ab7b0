"""The packages of npnet_core stay apart: one package reaches another only through its public names.

Read from the source with :mod:`ast`, so imports made only for type checkers and
imports inside functions count too. A private name is one that starts with ``_``
and is not a dunder (``__version__`` is public).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator, List, NamedTuple, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "npnet_core"


class Import(NamedTuple):
    """One import statement: where it is, the module it reads, and the names it takes (none for ``import X``)."""

    line: int
    source: str
    names: Tuple[str, ...]


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def is_package(module: str) -> bool:
    return (ROOT.joinpath(*module.split(".")) / "__init__.py").is_file()


def package_of(module: str) -> str:
    """The package a module belongs to: itself for a package (its ``__init__``), else its parent."""
    return module if is_package(module) else module.rpartition(".")[0]


def module_of(path: Path) -> str:
    """``npnet_core/components/_registry.py`` -> ``npnet_core.components._registry``."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(module: str, source: str) -> Iterator[Import]:
    """The imports of ``module`` (whose code is ``source``), relative ones made absolute."""
    package = package_of(module)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(node.lineno, alias.name, ())
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                absolute = ".".join(base + ([node.module] if node.module else []))
            else:
                absolute = node.module or ""
            yield Import(node.lineno, absolute, tuple(alias.name for alias in node.names))


def private_names_from_other_packages(module: str, source: str) -> List[Tuple[int, str]]:
    """``from X import _name`` where X is not in the importing module's own package."""
    package = package_of(module)
    return [
        (found.line, f"from {found.source} import {name}")
        for found in imports(module, source)
        for name in found.names
        if is_private(name) and package_of(found.source) != package
    ]


def private_modules_from_outside(module: str, source: str) -> List[Tuple[int, str]]:
    """``import a._b`` or ``from a._b import c`` where the importing module is not inside package ``a``."""
    package = package_of(module)
    found = []
    for statement in imports(module, source):
        parts = statement.source.split(".")
        for index, part in enumerate(parts):
            container = ".".join(parts[:index])
            if is_private(part) and not (package == container or package.startswith(container + ".")):
                found.append((statement.line, f"{'from' if statement.names else 'import'} {statement.source}"))
                break
    return found


def core_violations(rule) -> List[str]:
    return [
        f"{path.relative_to(ROOT)}:{line}: {statement}"
        for path in sorted(CORE.rglob("*.py"))
        for line, statement in rule(module_of(path), path.read_text(encoding="utf-8"))
    ]


def test_no_core_module_imports_a_private_name_from_another_package():
    """No module of npnet_core writes `from X import _name` (not a dunder) unless X is in its own package."""
    assert core_violations(private_names_from_other_packages) == []


def test_no_core_module_imports_a_private_module_from_outside_its_package():
    """No module of npnet_core imports from `npnet_core.a._b` unless it is itself inside package npnet_core.a."""
    assert core_violations(private_modules_from_outside) == []


@pytest.mark.parametrize(
    ("module", "source", "flagged"),
    [
        ("npnet_core.components._registry", "from . import _discovery", False),
        ("npnet_core.components._resolution", "from ._adapters import _unwrap", False),
        ("npnet_core.components", "from ._registry import _default", False),
        ("npnet_core.network", "from ._training import _run_epoch", False),
        ("npnet_core.network", "from .io import __all__", False),
        ("npnet_core.network", "from .io import _model_files", True),
        ("npnet_core.network", "from .io._model_files import _check", True),
        ("npnet_core.datasets._csv", "from .. import _validation", True),
        ("npnet_core.cli._train", "from npnet_core.components._registry import _default", True),
        ("npnet_core.network", "from pluggy import _hooks", True),
    ],
)
def test_the_private_name_rule_tells_own_package_from_another(module, source, flagged):
    """The rule allows a package's own private siblings and rejects another package's, relative or absolute."""
    assert bool(private_names_from_other_packages(module, source)) is flagged


@pytest.mark.parametrize(
    ("module", "source", "flagged"),
    [
        ("npnet_core.components._registry", "import npnet_core.components._discovery", False),
        ("npnet_core.io._model_files", "import npnet_core._validation", False),
        ("npnet_core.network", "import npnet_core.io", False),
        ("npnet_core.network", "import npnet_core.io._model_files", True),
        ("npnet_core.cli._train", "import npnet_core.components._registry as registry", True),
        ("npnet_core.network", "import pluggy._hooks", True),
        ("npnet_core.datasets._csv", "from npnet_core._validation import check_dtype", False),
        ("npnet_core.cli._models", "from ..io._model_files import read_config", True),
    ],
)
def test_the_private_module_rule_tells_inside_from_outside(module, source, flagged):
    """`import a._b` and `from a._b import c` are allowed inside package a (and its subpackages), rejected elsewhere."""
    assert bool(private_modules_from_outside(module, source)) is flagged
