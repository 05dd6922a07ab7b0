"""Run the contract suite over components outside pytest (``npnet check``)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional

from ..components import ComponentEntry, Registry, get_registry, parse_component
from ..errors import ComponentNotFoundError
from ..kinds import KINDS
from ._selection import check_registered_name_resolves, checks_for, expected_failures_of

__all__ = ["CheckOutcome", "ComponentReport", "check_installed", "required_parameters", "run_checks"]


@dataclass(frozen=True)
class CheckOutcome:
    """One check's result: "passed", "failed", "xfailed" (failed as declared), "xpassed", or "skipped"
    (the component needs parameters to be built, and none were given)."""

    check: str
    status: str
    message: str = ""


@dataclass
class ComponentReport:
    """Every check's outcome for one component."""

    name: str
    kind: str
    provider: Optional[str]
    version: Optional[str]
    outcomes: List[CheckOutcome] = field(default_factory=list)
    #: the parameters it was built with (``npnet check adam:learning_rate=0.0001``); empty for its defaults
    built_with: Dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The name with the parameters it was built with: ``adam(learning_rate=0.0001)``, or ``adam``."""
        shown = ", ".join(f"{key}={value!r}" for key, value in self.built_with.items())
        return f"{self.name}({shown})" if shown else self.name

    def count(self, status: str) -> int:
        return sum(outcome.status == status for outcome in self.outcomes)

    @property
    def ok(self) -> bool:
        """No unexpected failure and no unexpected pass."""
        return self.count("failed") == 0 and self.count("xpassed") == 0

    def to_json(self) -> Dict[str, Any]:
        return {
            "name": self.name,
            "params": dict(self.built_with),
            "kind": self.kind,
            "provider": self.provider,
            "version": self.version,
            "passed": self.count("passed"),
            "failed": self.count("failed"),
            "xfailed": self.count("xfailed"),
            "xpassed": self.count("xpassed"),
            "skipped": self.count("skipped"),
            "checks": [outcome.__dict__ for outcome in self.outcomes],
        }


def run_checks(
    component: Any, kind: str, report: ComponentReport, registry: Optional[Registry] = None
) -> ComponentReport:
    """Run every check that applies to ``component`` and record the outcomes in ``report``.

    Names are looked up in ``registry`` (default: the default registry).
    """
    declared = expected_failures_of(component)
    for check in checks_for(component, kind):
        name = check.__name__
        try:
            if check is check_registered_name_resolves:
                check(component, registry)
            else:
                check(component)
        except Exception as exc:  # a crash breaks the contract as surely as a wrong value
            message = str(exc) if isinstance(exc, AssertionError) else f"{type(exc).__name__}: {exc}"
            status = "xfailed" if name in declared else "failed"
            report.outcomes.append(CheckOutcome(name, status, message))
        else:
            status = "xpassed" if name in declared else "passed"
            message = f"declared as an expected failure ({declared[name]}) but passed" if name in declared else ""
            report.outcomes.append(CheckOutcome(name, status, message))
    return report


def required_parameters(factory: Any) -> List[str]:
    """The parameters ``factory`` cannot be called without (empty if unknown)."""
    import inspect

    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _entry_report(
    entry: ComponentEntry, registry: Registry, params: Optional[Dict[str, Any]] = None, spec: Optional[str] = None
) -> ComponentReport:
    """Build ``entry`` (with ``params`` through the registry, which checks their names) and run its checks.

    ``spec`` is the name it was asked for (pinned or not), to look it up in
    its kind; without it, the entry's own name.
    """
    report = ComponentReport(
        entry.name,
        entry.kind,
        entry.distribution or f"plugin {entry.plugin}",
        entry.version,
        built_with=dict(params or {}),
    )
    required = [] if params is not None else required_parameters(entry.factory)
    if required:  # a schedule's total_steps: no value would be right for every use
        example = ",".join(f"{name}=VALUE" for name in required)
        report.outcomes.append(
            CheckOutcome(
                "build",
                "skipped",
                f"{entry.name} needs the parameter{'s' if len(required) > 1 else ''} {', '.join(required)}; "
                "check it with them, "
                f"as in npnet check {entry.name}:{example}",
            )
        )
        return report
    try:
        if params:  # the registry checks the names (suggesting the close one) before the call
            component, _ = registry.create(entry.kind, spec or entry.name, params)
        else:
            component = entry.factory()
    except Exception as exc:
        report.outcomes.append(CheckOutcome("build", "failed", f"{report.label} raised {type(exc).__name__}: {exc}"))
        return report
    return run_checks(component, entry.kind, report, registry)


def check_installed(names: Iterable[str] = (), registry: Optional[Registry] = None) -> List[ComponentReport]:
    """Check the installed components called ``names`` (every one when empty).

    A name may be pinned (``npnet-adam:adam``) and carry parameters
    (``cosine:total_steps=1000``, ``adam:learning_rate=0.0001``): the
    component is then built with them, through the registry (which checks
    their names), and checked as configured; it is looked up in every kind. A component
    that cannot be built without parameters, and was given none, is reported
    as skipped.
    """
    registry = get_registry() if registry is None else registry
    names = list(names)
    if not names:
        return [_entry_report(e, registry) for kind in KINDS for e in registry.entries(kind)]
    reports: List[ComponentReport] = []
    for spec in names:
        name, params = parse_component(spec) if "=" in spec else (spec, None)
        found = []
        for kind in KINDS:
            try:
                found.append(registry.lookup(kind, name))
            except ComponentNotFoundError:
                continue
        if not found:
            raise ComponentNotFoundError(_not_found(registry, name))
        reports.extend(_entry_report(entry, registry, params, name) for entry in found)
    return reports


def _not_found(registry: Registry, name: str) -> str:
    known = sorted({n for kind in KINDS for n in registry.names(kind)})
    close = difflib.get_close_matches(name.rpartition(":")[2], known, n=3, cutoff=0.6)
    hint = "; did you mean " + " or ".join(repr(c) for c in close) + "?" if close else ";"
    return f"no installed component is named {name!r}{hint} installed: {', '.join(known) or 'none'}"
