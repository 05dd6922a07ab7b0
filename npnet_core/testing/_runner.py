"""Run the contract suite over components outside pytest (``npnet check``)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional

from ..components import ComponentEntry, Registry, get_registry
from ..errors import ComponentNotFoundError
from ..kinds import KINDS
from ._selection import check_registered_name_resolves, checks_for, expected_failures_of

__all__ = ["CheckOutcome", "ComponentReport", "check_installed", "run_checks"]


@dataclass(frozen=True)
class CheckOutcome:
    """One check's result: "passed", "failed", "xfailed" (failed as declared) or "xpassed"."""

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

    def count(self, status: str) -> int:
        return sum(outcome.status == status for outcome in self.outcomes)

    @property
    def ok(self) -> bool:
        """No unexpected failure and no unexpected pass."""
        return self.count("failed") == 0 and self.count("xpassed") == 0

    def to_json(self) -> Dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "provider": self.provider,
            "version": self.version,
            "passed": self.count("passed"),
            "failed": self.count("failed"),
            "xfailed": self.count("xfailed"),
            "xpassed": self.count("xpassed"),
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


def _entry_report(entry: ComponentEntry, registry: Registry) -> ComponentReport:
    report = ComponentReport(entry.name, entry.kind, entry.distribution or f"plugin {entry.plugin}", entry.version)
    try:
        component = entry.factory()
    except Exception as exc:
        report.outcomes.append(
            CheckOutcome(
                "build", "failed", f"{entry.name}() with default parameters raised {type(exc).__name__}: {exc}"
            )
        )
        return report
    return run_checks(component, entry.kind, report, registry)


def check_installed(names: Iterable[str] = (), registry: Optional[Registry] = None) -> List[ComponentReport]:
    """Check the installed components called ``names`` (every one when empty).

    A name may be pinned (``npnet-adam:adam``); it is looked up in every kind.
    """
    registry = get_registry() if registry is None else registry
    names = list(names)
    if not names:
        return [_entry_report(e, registry) for kind in KINDS for e in registry.entries(kind)]
    reports: List[ComponentReport] = []
    for name in names:
        found = []
        for kind in KINDS:
            try:
                found.append(registry.lookup(kind, name))
            except ComponentNotFoundError:
                continue
        if not found:
            raise ComponentNotFoundError(_not_found(registry, name))
        reports.extend(_entry_report(entry, registry) for entry in found)
    return reports


def _not_found(registry: Registry, name: str) -> str:
    known = sorted({n for kind in KINDS for n in registry.names(kind)})
    close = difflib.get_close_matches(name.rpartition(":")[2], known, n=3, cutoff=0.6)
    hint = "; did you mean " + " or ".join(repr(c) for c in close) + "?" if close else ";"
    return f"no installed component is named {name!r}{hint} installed: {', '.join(known) or 'none'}"
