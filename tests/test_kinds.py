"""The kinds table is the one place a kind is declared: everything that lists kinds agrees with it.

Each test reads the other side from where it lives (the hook module, the template
folders, the command line, the docs, the plugins), never from ``KINDS`` itself.
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import inspect
from pathlib import Path
from typing import Dict, Set

import pytest

import npnet_core
import npnet_core.components
import npnet_core.hookspecs
import npnet_core.scaffold
import npnet_core.testing
from npnet_core.cli._parser import _parser
from npnet_core.kinds import KINDS, ROLES, kind_of

ROOT = Path(__file__).resolve().parent.parent
#: the attribute pluggy.HookspecMarker("npnet") sets on each hook specification
SPEC_MARK = "npnet_spec"
REGISTER_PREFIX = "npnet_register_"
#: the plugin module of each installed official distribution, loaded through its entry point
OFFICIAL_PLUGINS = tuple(
    point.load()
    for distribution in sorted({d for kind in KINDS.values() for d in kind.official.values()})
    for point in metadata.distribution(distribution).entry_points
    if point.group == "npnet"
)


def test_one_register_hookspec_per_kind():
    """The npnet_register_<plural> hook specifications are exactly one per kind."""
    specs = {
        name
        for name, value in vars(npnet_core.hookspecs).items()
        if name.startswith(REGISTER_PREFIX) and hasattr(value, SPEC_MARK)
    }
    assert specs == {REGISTER_PREFIX + kind.plural for kind in KINDS.values()}


def test_one_scaffold_template_folder_per_kind():
    """npnet_core/scaffold/templates/ holds one folder per kind."""
    templates = Path(npnet_core.scaffold.__file__).parent / "templates"
    folders = {path.name for path in templates.iterdir() if path.is_dir() and not path.name.startswith(("_", "."))}
    assert folders == set(KINDS)


def test_new_plugin_offers_every_kind():
    """`npnet new-plugin --kind` accepts exactly the kinds."""
    commands = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    new_plugin = commands.choices["new-plugin"]
    kind_option = next(a for a in new_plugin._actions if "--kind" in a.option_strings)
    assert set(kind_option.choices) == set(KINDS)


def test_one_plugin_author_page_per_kind():
    """docs/plugins/ has one page <kind>.md per kind."""
    assert {page.stem for page in (ROOT / "docs" / "plugins").glob("*.md")} == set(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_check_of_a_kind_is_public_in_npnet_core_testing(kind):
    """Each name in a kind's checks is exported by npnet_core.testing and callable."""
    missing = [name for name in KINDS[kind].checks if name not in npnet_core.testing.__all__]
    assert missing == []
    assert all(callable(getattr(npnet_core.testing, name)) for name in KINDS[kind].checks)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_role_names_a_kind_and_a_public_article_adapter(role):
    """A role's kind is in KINDS and its article_adapter, if it has one, is exported by npnet_core.components."""
    assert ROLES[role].kind in KINDS
    assert ROLES[role].article_adapter is None or ROLES[role].article_adapter in npnet_core.components.__all__


#: parameters of the official components that have no default
REQUIRED = {"step": {"step_size": 10}, "exponential": {"gamma": 0.9}, "cosine": {"total_steps": 100}}


def registered_components() -> Dict[str, Set[type]]:
    """The classes the official plugins register, by the hook they register them through."""
    registry = npnet_core.make_registry(autoload=False)
    for plugin in OFFICIAL_PLUGINS:
        registry.register_plugin(plugin, plugin.__name__)
    found: Dict[str, Set[type]] = {}
    for info in registry.plugins:
        for entry in info.components:
            found.setdefault(entry.kind, set()).add(entry.factory)
    return found


def test_kind_of_tells_every_official_component_by_the_hook_it_was_registered_through():
    """kind_of(component) is the kind of the hook its plugin registered it through, for every kind."""
    registered = registered_components()
    assert set(registered) == {
        name for name, kind in KINDS.items() if kind.official
    }  # every kind with official components
    told = {
        kind: {factory: kind_of(factory(**REQUIRED.get(factory.name, {}))) for factory in factories}
        for kind, factories in registered.items()
    }
    assert told == {kind: dict.fromkeys(factories, kind) for kind, factories in registered.items()}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_kind_methods_are_the_public_callables_of_its_protocol(kind):
    """Kind.methods lists exactly the public callables of the kind's Protocol class."""
    protocol = KINDS[kind].protocol
    public = {name for name, value in inspect.getmembers(protocol) if callable(value) and not name.startswith("_")}
    assert set(KINDS[kind].methods) == public
