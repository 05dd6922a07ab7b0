"""Components written as text, as on the command line: ``adam:learning_rate=0.003``.

The grammar is::

    SPEC   := [DISTRIBUTION ":"] NAME [":" PARAMS]
    PARAMS := KEY "=" VALUE ("," KEY "=" VALUE)*

so ``adam``, ``npnet-adam:adam``, ``adam:learning_rate=0.003,amsgrad=true`` and
``npnet-adam:adam:learning_rate=0.003`` are all specs. The part after the last
``:`` holds parameters when it contains ``=``; otherwise the whole text is the
(possibly pinned) name. Values are read as

- ``true`` / ``false`` (any case): bool;
- an integer such as ``10`` or ``-3``: int;
- a decimal or exponent number such as ``0.003``, ``1e-3``, ``.5``: float;
- anything else: the text itself, a str. Quote it (``'10'`` or ``"10"``) to
  keep a number-like value a str.

:func:`parse_component` returns ``(name, params)``, which is what
:class:`~npnet_core.network.NeuralNetwork` accepts for a component.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Tuple

from ..errors import InvalidParameterError

__all__ = ["ComponentSpecError", "format_component", "parse_component", "parse_value"]

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?")

_GRAMMAR = (
    "write NAME, DISTRIBUTION:NAME, or either followed by :KEY=VALUE[,KEY=VALUE...], e.g. adam:learning_rate=0.003"
)


class ComponentSpecError(InvalidParameterError):
    """A component spec that does not follow the grammar of :mod:`npnet_core.components`."""


def parse_value(text: str) -> Any:
    """Read one parameter value: bool, int, float, or str (quotes force str)."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    return text


def _error(text: str, problem: str) -> ComponentSpecError:
    return ComponentSpecError(f"bad component spec {text!r}: {problem}; {_GRAMMAR}")


def parse_component(text: str) -> Tuple[str, Dict[str, Any]]:
    """Return ``(name, params)`` for a spec such as ``"npnet-adam:adam:learning_rate=0.003"``.

    ``name`` keeps a ``DISTRIBUTION:`` pin; ``params`` maps each key to its
    value read by :func:`parse_value`. Raises :class:`ComponentSpecError`
    (one line) when the text does not follow the grammar.

    >>> parse_component("adam:learning_rate=0.003,amsgrad=true")
    ('adam', {'learning_rate': 0.003, 'amsgrad': True})
    """
    if not isinstance(text, str):
        raise TypeError(f"a component spec must be a string (got {text!r})")
    if not text.strip():
        raise _error(text, "it is empty")
    if text != text.strip():
        raise _error(text, "it has leading or trailing spaces")
    head, colon, tail = text.rpartition(":")
    if colon and "=" in tail:
        name, params = head, _parse_params(text, tail)
    else:
        name, params = text, {}
    parts = name.split(":")
    if "=" in name:
        raise _error(text, "parameters go after the last ':' only")
    if len(parts) > 2:
        raise _error(text, f"{name!r} has more than one ':' before the parameters")
    for index, part in enumerate(parts):
        if not _NAME.fullmatch(part):
            what = "distribution" if index < len(parts) - 1 else "name"
            if not part:
                raise _error(text, f"the {what} is empty")
            raise _error(text, f"the {what} {part!r} may hold only letters, digits, '_', '-' and '.'")
    return name, params


def _parse_params(text: str, tail: str) -> Dict[str, Any]:
    params: Dict[str, Any] = {}
    for item in tail.split(","):
        key, equals, value = item.partition("=")
        key = key.strip()
        if not equals:
            raise _error(text, f"{item!r} is not KEY=VALUE")
        if not _KEY.fullmatch(key):
            raise _error(text, f"{key!r} is not a parameter name" if key else f"{item!r} has no parameter name")
        if key in params:
            raise _error(text, f"the parameter {key!r} is given twice")
        value = value.strip()
        if not value:
            raise _error(text, f"the parameter {key!r} has no value")
        params[key] = parse_value(value)
    return params


def format_component(name: str, params: Dict[str, Any]) -> str:
    """The spec text of ``(name, params)``, the inverse of :func:`parse_component`."""
    if not params:
        return name

    def show(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str) and parse_value(value) != value:
            return repr(value)
        return str(value)

    return name + ":" + ",".join(f"{key}={show(value)}" for key, value in params.items())
