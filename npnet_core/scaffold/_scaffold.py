"""``npnet new-plugin``: write a complete plugin distribution to start from.

:func:`new_plugin` writes, into ``DIRECTORY/NAME``, a distribution that
provides one component of the chosen kind and passes the contract suite
(:mod:`npnet_core.testing`) as written: for each kind of :data:`npnet_core.kinds.KINDS`,
the example its ``scaffold`` names (RMSprop, tanh, log-cosh, LeCun uniform, a
linear decay, Gaussian dropout, balanced accuracy), written from the templates
in ``templates/<kind>/``.

The names come from ``NAME``, the distribution name (``npnet-rmsprop``), which
must start with ``npnet-`` (or ``npnet_``, ``npnet.``, in any case): a name that
does not is refused with the name it should have (``rmsprop``: did you mean
``npnet-rmsprop``?):

- the import package is ``NAME`` with ``-`` and ``.`` turned into ``_``,
  lower-cased (``npnet_rmsprop``);
- the entry point in the group ``npnet`` is ``NAME`` without an ``npnet-``
  prefix (``rmsprop``);
- the component name defaults to that with ``-`` turned into ``_``
  (``rmsprop``); ``component_name`` overrides it;
- the component's module and class follow the component name
  (``npnet_rmsprop/rmsprop.py``, class ``Rmsprop``).

The templates are files under ``npnet_core/scaffold/templates`` with ``{{placeholders}}``.
"""

from __future__ import annotations

import keyword
import os
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from ..errors import ValidationError
from ..kinds import KINDS

__all__ = ["CORE_REQUIREMENT", "NewPlugin", "PluginNames", "new_plugin", "plugin_names", "render_plugin"]

#: The requirement on npnet-core written into every generated pyproject.toml.
CORE_REQUIREMENT = "npnet-core>=0.1,<0.2"

#: PEP 508 names: ASCII letters and digits, with '-', '_' and '.' inside.
_DISTRIBUTION = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE | re.ASCII)
#: What the registry accepts as a component name (':' is reserved for pinning).
_COMPONENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*", re.ASCII)
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
#: A plugin's distribution name starts with npnet and a separator: npnet-rmsprop (npnet_rmsprop, NPNet.x).
_PREFIX = re.compile(r"npnet[-_.]+[A-Z0-9]", re.IGNORECASE | re.ASCII)

_OFFICIAL_DISTRIBUTIONS = {"npnet-core"} | {d for kind in KINDS.values() for d in kind.official.values()}
#: Module names the generated package or its tests already use.
_TAKEN_MODULES = {"plugin", "contract"}
#: Names the generated modules import: the component's class must not be one of them.
_TAKEN_CLASSES = {
    "Any",
    "Callable",
    "ClassVar",
    "Constraint",
    "Dict",
    "Fraction",
    "HyperparametersMixin",
    "Mapping",
    "Optional",
    "Positive",
    "StateLayout",
    "Tuple",
    "InvalidParameterError",
    "ValidationError",
    "Registry",
}

#: (template, output path); output paths are formatted with the names.
_FILES: Tuple[Tuple[str, str], ...] = (
    ("pyproject.toml.tmpl", "pyproject.toml"),
    ("README.md.tmpl", "README.md"),
    ("__init__.py.tmpl", "{package}/__init__.py"),
    ("plugin.py.tmpl", "{package}/plugin.py"),
    ("py.typed.tmpl", "{package}/py.typed"),
    ("{kind}/component.py.tmpl", "{package}/{module}.py"),
    ("test_contract.py.tmpl", "tests/test_contract.py"),
    ("{kind}/test_component.py.tmpl", "tests/test_{module}.py"),
)


@dataclass(frozen=True)
class PluginNames:
    """Every name a generated plugin uses, derived from the distribution name."""

    distribution: str
    kind: str
    package: str
    entry_point: str
    component: str
    module: str
    class_name: str

    def placeholders(self) -> Dict[str, str]:
        """The values of the templates' ``{{placeholders}}``."""
        return {
            "distribution": self.distribution,
            "kind": self.kind,
            "kinds": KINDS[self.kind].plural,
            "package": self.package,
            "entry_point": self.entry_point,
            "component": self.component,
            "module": self.module,
            "class_name": self.class_name,
            "hook": KINDS[self.kind].hook,
            "hooks": ", ".join(f"`{kind.hook}`" for kind in KINDS.values()),
            "example": KINDS[self.kind].scaffold,
            "core_requirement": CORE_REQUIREMENT,
            # what tests/test_contract.py checks: the defaults, and other hyperparameters where there are some
            "instances": ", ".join(f"{self.class_name}({args})" for args in KINDS[self.kind].scaffold_configs),
        }


@dataclass(frozen=True)
class NewPlugin:
    """A plugin written by :func:`new_plugin`: where, its names, and its files."""

    root: Path
    names: PluginNames
    files: List[Path] = field(default_factory=list)

    def next_steps(self) -> List[str]:
        """The commands that install the plugin, run its tests and check it."""
        root = shlex.quote(str(self.root))
        return [
            f"pip install -e {root}",
            f"pytest {shlex.quote(str(self.root / 'tests'))}",
            f"npnet check {self.names.component}",
        ]


def _strip_prefix(distribution: str) -> str:
    match = re.match(r"^npnet[-_.]+(.+)$", distribution, flags=re.IGNORECASE)
    return match.group(1) if match else distribution


def _identifier(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_]", "_", text).lower()


def plugin_names(name: str, kind: str, component_name: Optional[str] = None) -> PluginNames:
    """Derive and validate the names of a plugin distribution called ``name``.

    Raises
    ------
    npnet_core.errors.ValidationError
        If ``name`` is not a PEP 508 distribution name starting with
        ``npnet-`` that gives a usable import package (the error proposes
        ``npnet-NAME``), if ``kind`` is unknown, or if ``component_name`` is
        not a valid component name.
    """
    if kind not in KINDS:
        raise ValidationError(f"the kind must be one of {', '.join(KINDS)} (got {kind!r})")
    if not isinstance(name, str) or not _DISTRIBUTION.fullmatch(name):
        raise ValidationError(
            f"{name!r} is not a valid distribution name: use ASCII letters and digits, with '-', '_' or '.' "
            "between them (PEP 508), e.g. npnet-rmsprop"
        )
    if not _PREFIX.match(name):
        proposed = "npnet-" + re.sub(r"[-_.]+", "-", name).lower()
        raise ValidationError(
            f"{name!r} does not start with 'npnet-': npnet plugin distributions are named npnet-SOMETHING "
            f"(npnet-adam, npnet-rmsprop), which is how people find them on PyPI; did you mean {proposed}?"
        )
    # npnet_ and letters, digits and '_': always an identifier, never a keyword nor a module of the standard
    # library, NumPy or pluggy; npnet_core is an official name, refused here
    package = re.sub(r"[-_.]+", "_", name).lower()
    normalized = re.sub(r"[-_.]+", "-", name).lower()
    if normalized in _OFFICIAL_DISTRIBUTIONS:
        raise ValidationError(f"{name!r} is the name of an official npnet distribution; choose another name")
    entry_point = _strip_prefix(normalized)
    component = entry_point.replace("-", "_") if component_name is None else component_name
    if not isinstance(component, str) or not _COMPONENT.fullmatch(component):
        raise ValidationError(
            f"{component!r} is not a valid component name: use letters, digits, '_', '-' or '.', starting "
            "with a letter, a digit or '_' (':' is reserved for pinning a distribution)"
        )
    module = _identifier(component)
    if not module.isidentifier() or keyword.iskeyword(module) or module in _TAKEN_MODULES or module.startswith("_"):
        module = f"{kind}_{module}"
    class_name = "".join(part[:1].upper() + part[1:] for part in module.split("_"))
    if class_name in _TAKEN_CLASSES:
        class_name += kind.capitalize()
    return PluginNames(name, kind, package, entry_point, component, module, class_name)


def _template(relative: str) -> str:
    from importlib.resources import files

    resource = files("npnet_core.scaffold").joinpath("templates", *relative.split("/"))
    return resource.read_text(encoding="utf-8")


def _render(text: str, values: Dict[str, str], source: str) -> str:
    def replace(match: "re.Match[str]") -> str:
        try:
            return values[match.group(1)]
        except KeyError:
            raise KeyError(f"the template {source} uses the unknown placeholder {match.group(0)}") from None

    return _PLACEHOLDER.sub(replace, text)


def render_plugin(names: PluginNames) -> Dict[str, str]:
    """Return the generated files, ``{relative POSIX path: text}``, without writing anything."""
    values = names.placeholders()
    about = f"{names.kind}/about.md.tmpl"
    values["about"] = _render(_template(about), values, about).rstrip("\n")
    rendered = {}
    for template, output in _FILES:
        source = template.format(kind=names.kind)
        path = output.format(package=names.package, module=names.module)
        rendered[path] = _render(_template(source), values, source)
    return rendered


def new_plugin(
    name: str,
    kind: str,
    directory: Union[str, "os.PathLike[str]"] = ".",
    component_name: Optional[str] = None,
) -> NewPlugin:
    """Write a plugin distribution called ``name`` providing one ``kind`` into ``directory/name``.

    ``directory/name`` may be missing or an empty directory; anything else is
    refused. If writing fails half-way, what was written is removed.

    Returns
    -------
    NewPlugin
        The root folder, the names and the files written.

    Raises
    ------
    npnet_core.errors.ValidationError
        For a bad distribution, kind or component name (see :func:`plugin_names`).
    FileExistsError
        If ``directory/name`` exists and is not an empty directory.
    """
    names = plugin_names(name, kind, component_name)
    files = render_plugin(names)
    root = Path(directory) / name
    if root.is_dir():
        if any(root.iterdir()):
            raise FileExistsError(f"{root} already exists and is not empty; choose another --directory or name")
        created = False
    elif root.exists() or root.is_symlink():
        raise FileExistsError(f"{root} already exists and is not a directory")
    else:
        root.mkdir(parents=True)
        created = True
    written: List[Path] = []
    try:
        for relative, text in files.items():
            path = root.joinpath(*relative.split("/"))
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            written.append(path)
    except BaseException:
        if created:
            shutil.rmtree(root, ignore_errors=True)
        else:  # the directory was empty: empty it again
            for child in root.iterdir():
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink()
        raise
    return NewPlugin(root, names, written)
