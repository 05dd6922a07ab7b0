"""What the commands share: the error for clashing options, the parser and help formatter,
argument types, messages, tables and numbers, and the check of output paths."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any, Dict, List, NoReturn, Optional, Sequence, Tuple

from ..errors import NpnetError

__all__ = [
    "CommandError",
    "ComponentList",
    "Formatter",
    "Parser",
    "check_output_path",
    "component_list",
    "component_spec",
    "fraction",
    "non_negative_int",
    "number",
    "os_error_message",
    "positive_int",
    "print_error",
    "show_warning",
    "table",
]


class CommandError(NpnetError):
    """A combination of options that cannot work together, found before any work is done."""


# -- argument parsing ------------------------------------------------------------------


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, pointing at ``--help``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class Formatter(argparse.HelpFormatter):
    """Wraps one-paragraph descriptions; keeps text with line breaks (the examples) as written."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def _integer(text: str, minimum: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
    return value


def positive_int(text: str) -> int:
    return _integer(text, 1, "a positive integer")


def non_negative_int(text: str) -> int:
    return _integer(text, 0, "a non-negative integer")


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction such as 0.2, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1) such as 0.2, got {text}")
    return value


def component_spec(text: str) -> Tuple[str, Dict[str, Any]]:
    from ..components import parse_component

    try:
        return parse_component(text)
    except NpnetError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def component_list(words: Sequence[str]) -> List[Tuple[str, Dict[str, Any]]]:
    """The specs in one or more words, separated by commas: ``top_k_accuracy:k=3,f1`` or ``f1 accuracy``.

    A comma separates two specs, except before ``KEY=VALUE`` (an ``=`` with no
    ``:`` before it), which continues the parameters of the spec before it.
    """
    from ..components import ComponentSpecError, parse_component

    texts: List[str] = []
    for word in words:
        for token in word.split(","):
            if "=" in token and ":" not in token.partition("=")[0]:
                if not texts or "=" not in texts[-1]:
                    after = f" after {texts[-1]!r}" if texts else ""
                    example = f"{texts[-1] if texts else 'NAME'}:{token.strip()}"
                    raise ComponentSpecError(
                        f"bad component list {' '.join(words)!r}: {token.strip()!r} is a parameter, but no spec"
                        f"{after} takes parameters; write {example}"
                    )
                texts[-1] += "," + token
            elif token.strip():
                texts.append(token.strip())
    if not texts:
        raise ComponentSpecError(
            f"bad component list {' '.join(words)!r}: it names nothing; e.g. f1,top_k_accuracy:k=3"
        )
    return [parse_component(text) for text in texts]


class ComponentList(argparse.Action):
    """Extend the option's list with the specs of :func:`component_list`; the option may be repeated."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        try:
            specs = component_list([values] if isinstance(values, str) else values)
        except NpnetError as exc:
            raise argparse.ArgumentError(self, str(exc)) from None
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest) or []), *specs])


# -- messages --------------------------------------------------------------------------


def print_error(message: str) -> None:
    print(f"npnet: error: {message}", file=sys.stderr)


def os_error_message(exc: OSError) -> str:
    if exc.filename is None or not exc.strerror:
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"{exc.filename}: no such file or folder"
    if isinstance(exc, IsADirectoryError):
        return f"{exc.filename} is a folder, not a file"
    return f"{exc.filename}: {exc.strerror}"


def show_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    print(f"npnet: warning: {category.__name__}: {message}", file=sys.stderr if file is None else file)


def table(rows: List[List[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def number(value: Optional[float]) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4f}"


def check_output_path(path: Optional[str], option: str) -> None:
    """Refuse before any work an output path that could not be written: a missing or read-only folder,
    a folder, a device, a FIFO or a socket at the path (what the atomic write would refuse after the work)."""
    if path is None:
        return
    target = Path(path)
    if target.is_dir():
        raise CommandError(f"{option} {path}: is a folder; give a file name")
    folder = target.parent
    if not folder.is_dir():
        raise CommandError(f"{option} {path}: the folder {folder} does not exist")
    from ..io import check_writable  # zipfile and json: only when there is something to write

    check_writable(target, f"{option} file")
