"""The commands about plugins: ``npnet plugins``, ``npnet check`` and ``npnet new-plugin``."""

from __future__ import annotations

import argparse
import json
from typing import Any, Dict, List, Optional, Tuple

from ..kinds import KINDS
from ._common import print_error, table

__all__ = ["run_check", "run_new_plugin", "run_plugins"]

# -- plugins ---------------------------------------------------------------------------


def _keywords(factory: Any) -> Optional[List[Any]]:
    """A factory's parameters that may be given by keyword, as ``inspect.Parameter`` (None without a signature)."""
    import inspect

    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return None
    return [p for p in signature.parameters.values() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _parameters(factory: Any) -> Optional[Dict[str, Any]]:
    """A factory's keyword parameters and their defaults (None for a required one, or when it has no signature)."""
    keywords = _keywords(factory)
    if keywords is None:
        return None
    params = {}
    for p in keywords:
        default = None if p.default is p.empty else p.default
        params[p.name] = default if isinstance(default, (bool, int, float, str, type(None))) else repr(default)
    return params


def _shown_parameters(factory: Any) -> str:
    """``total_steps (required), final_fraction=0.0``, ``none``, or ``(unknown)``."""
    keywords, params = _keywords(factory), _parameters(factory)
    if keywords is None or params is None:
        return "(unknown)"
    shown = [f"{p.name} (required)" if p.default is p.empty else f"{p.name}={params[p.name]!r}" for p in keywords]
    return ", ".join(shown) or "none"


def run_plugins(args: argparse.Namespace) -> int:
    from ..components import get_registry

    registry = get_registry()
    plugins, failures = registry.plugins, registry.failures
    providers: Dict[Tuple[str, str], List[str]] = {}
    for plugin in plugins:
        for entry in plugin.components:
            for key in (entry.name, *entry.aliases):
                providers.setdefault((entry.kind, key), []).append(f"{entry.distribution or entry.plugin}:{entry.name}")
    conflicts = [(kind, name, pins) for (kind, name), pins in sorted(providers.items()) if len(pins) > 1]
    if args.json:
        print(
            json.dumps(
                {
                    "plugins": [
                        {
                            "name": plugin.name,
                            "distribution": plugin.distribution,
                            "version": plugin.version,
                            "components": {
                                kind: [
                                    {"name": e.name, "aliases": list(e.aliases), "parameters": _parameters(e.factory)}
                                    for e in plugin.components
                                    if e.kind == kind
                                ]
                                for kind in KINDS
                            },
                        }
                        for plugin in plugins
                    ],
                    "failures": [failure.to_json() for failure in failures],
                    "conflicts": [{"kind": kind, "name": name, "providers": pins} for kind, name, pins in conflicts],
                },
                indent=2,
            )
        )
        return _plugins_status(registry.strict, failures)
    for plugin in plugins:
        provider = f"{plugin.distribution} {plugin.version}" if plugin.distribution else "(no distribution)"
        print(f"{plugin.name}: {provider}")
        for kind in KINDS:
            entries = [e for e in plugin.components if e.kind == kind]
            names = [e.name + (f" (aliases: {', '.join(e.aliases)})" if e.aliases else "") for e in entries]
            if names:
                print(f"  {KINDS[kind].plural}: {', '.join(names)}")
            if args.params:
                for e in entries:
                    print(f"    {e.name}: {_shown_parameters(e.factory)}")
    if not plugins:
        print("no plugins installed: pip install npnet-core[all] brings the official ones")
    for kind, name, pins in conflicts:
        print(
            f"CONFLICT the {kind} name {name!r} is provided {len(pins)} times: {', '.join(pins)}; pin one as DISTRIBUTION:NAME"
        )
    for failure in failures:
        print(f"FAILED {failure.describe()}")
    return _plugins_status(registry.strict, failures)


def _plugins_status(strict: bool, failures: List[Any]) -> int:
    """1 when a plugin failed to load in strict mode (CI asked for it to be an error), else 0."""
    if strict and failures:
        from ..components import ENV_BLOCK, ENV_STRICT

        print_error(
            f"{len(failures)} plugin(s) failed to load, and {ENV_STRICT}=1 makes that an error "
            f"(the FAILED lines say why; uninstall the plugin or block it with {ENV_BLOCK})"
        )
        return 1
    return 0


# -- check and new-plugin ---------------------------------------------------------------


def run_check(args: argparse.Namespace) -> int:
    from ..components import get_registry
    from ..testing import check_installed

    registry = get_registry()
    reports = check_installed(args.names, registry)
    # a plugin that failed to load is a failure of the installation being checked
    broken = registry.failures if not args.names else []
    if args.json:
        print(
            json.dumps(
                {
                    "components": [report.to_json() for report in reports],
                    "plugin_failures": [failure.to_json() for failure in broken],
                },
                indent=2,
            )
        )
    else:
        rows = [["component", "kind", "provider", "version", "passed", "failed", "xfailed"]]
        for r in reports:
            counts = [r.count("passed"), r.count("failed") + r.count("xpassed"), r.count("xfailed")]
            shown = ["-"] * 3 if r.count("skipped") else [str(n) for n in counts]
            rows.append([r.label, r.kind, r.provider or "", r.version or "", *shown])
        print(table(rows))
        for r in reports:
            for outcome in r.outcomes:
                if outcome.status in ("failed", "xpassed"):
                    print(f"\nFAILED {r.label} ({r.kind}) {outcome.check}:\n  {outcome.message}")
                elif outcome.status == "skipped":
                    print(f"\nSKIPPED {r.label} ({r.kind}): {outcome.message}")
        for failure in broken:
            print(f"\nFAILED {failure.describe()}")
        checked = [r for r in reports if not r.count("skipped")]
        bad = sum(not r.ok for r in checked)
        skipped = len(reports) - len(checked)
        print(
            f"\n{len(checked) - bad} of {len(checked)} components pass the contract suite"
            + (f"; {skipped} need parameters to be checked (SKIPPED above)" if skipped else "")
        )
        if broken:
            print(f"{len(broken)} plugin(s) failed to load")
    # a component named on the command line but not checked (it needs parameters) is not a pass
    unchecked = bool(args.names) and any(r.count("skipped") for r in reports)
    return 0 if all(r.ok for r in reports) and not broken and not unchecked else 1


def run_new_plugin(args: argparse.Namespace) -> int:
    from ..scaffold import new_plugin

    plugin = new_plugin(args.name, args.kind, args.directory, component_name=args.component_name)
    names = plugin.names
    print(f"wrote the {names.kind} plugin {names.distribution} to {plugin.root}:")
    for path in plugin.files:
        print(f"  {path}")
    print(
        f"it registers the {names.kind} {names.component!r} (class {names.class_name} in "
        f"{names.package}/{names.module}.py, a working {names.kind} to make your own)"
    )
    print("next steps:")
    for step in plugin.next_steps():
        print(f"  {step}")
    return 0
