"""Numeric CSV tables: reading them, and choosing the label column by name or index.

:func:`read_csv` detects the delimiter and a header row, parses with
``np.loadtxt``, and goes over the lines again in Python only when that fails,
to name the line and column at fault in the :class:`~npnet_core.errors.DataFileError`.
:func:`load_csv` splits a table into inputs and labels. Both are re-exported
by :mod:`npnet_core.datasets`.
"""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
from pathlib import Path
from typing import Any, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from .._files import PathLike, read_data_bytes
from .._validation import check_dtype
from ..errors import DataFileError, ValidationError
from ._arguments import check_label_column, data_path

__all__ = [
    "CsvTable",
    "LabelColumns",
    "check_label_columns",
    "column_index",
    "column_name",
    "columns_name",
    "load_csv",
    "parse_csv",
    "read_csv",
    "split_label_column",
]

_DELIMITERS = (",", "\t", ";")
_NOT_FINITE = ("nan", "inf", "infinity")
_INDEX = re.compile(r"[+-]?[0-9]{1,18}")


#: A label column (a name or an index), or a list of them (several label columns: multi-label targets).
LabelColumns = Union[str, int, List[Union[str, int]], None]


class CsvTable(NamedTuple):
    """A numeric CSV table: its column names (None without a header row) and values."""

    header: Optional[List[str]]
    values: np.ndarray


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _delimiter(line: str) -> str:
    counts = [(line.count(d), d) for d in _DELIMITERS]
    best = max(counts, key=lambda item: item[0])
    return best[1] if best[0] else ","


def column_name(header: Optional[List[str]], index: int) -> str:
    """How messages name column ``index``: its number from 1, and its header name when it has one."""
    if header is not None and index < len(header) and header[index]:
        return f"column {index + 1} ({header[index]!r})"
    return f"column {index + 1}"


def columns_name(header: Optional[List[str]], indices: Sequence[int]) -> str:
    """How messages name several columns: ``columns 3 ('a'), 4 ('b')``."""
    if len(indices) == 1:
        return column_name(header, indices[0])
    return "columns " + ", ".join(column_name(header, index)[len("column ") :] for index in indices)


def check_label_columns(label_column: Any) -> LabelColumns:
    """``label_column`` if it is None, a name, an index, or a non-empty list (or tuple) of names and indices.

    Each entry is checked as one column is (a str or an int, not a bool or a
    float); a tuple comes back as a list. Anything else is a
    :class:`~npnet_core.errors.ValidationError`.
    """
    if not isinstance(label_column, (list, tuple)):
        return check_label_column(label_column)
    if not label_column:
        raise ValidationError(
            "label_column is an empty list: give one column (a name or an index) or a list of several, "
            "e.g. ['a', 'b'] for two label columns"
        )
    columns: List[Union[str, int]] = []
    for position, column in enumerate(label_column):
        checked = None if isinstance(column, (list, tuple)) else _checked_entry(column)
        if checked is None:
            raise ValidationError(
                f"label_column must be a column name (str) or a column index (int: 0 for the first, -1 for the "
                f"last), or a list of them; entry {position} of the list is {column!r} of type {type(column).__name__}"
            )
        columns.append(checked)
    return columns


def _checked_entry(column: Any) -> Union[str, int, None]:
    """One entry of a list of label columns, checked as a single label column is; None when it is not one."""
    try:
        return check_label_column(column)
    except ValidationError:
        return None


def _shown(text: str) -> str:
    """``text`` quoted for a message, shortened when long."""
    return repr(text) if len(text) <= 40 else f"{text[:20]!r}... ({len(text)} characters)"


def _number(lines: str, header: Optional[List[str]], index: int, cell: str) -> float:
    """The finite number in ``cell`` (column ``index`` of ``lines``: "FILE line N"), or a DataFileError."""
    text = cell.strip()
    where = f"{lines}, {column_name(header, index)}"
    if not text:
        raise DataFileError(f"{where} is empty; fill in or drop missing values")
    try:
        value = float(text)
    except ValueError:
        raise DataFileError(
            f"{where}: {_shown(text)} is not a number; every column must be numeric (class labels as 0, 1, 2, ...)"
        ) from None
    if not math.isfinite(value):
        if text.lstrip("+-").lower() in _NOT_FINITE:
            raise DataFileError(f"{where} is {_shown(text)}, not a finite number; fill in or drop missing values")
        raise DataFileError(f"{where}: {_shown(text)} is beyond the range of float64 (about 1.8e308)")
    return value


def _csv_problem(exc: csv.Error) -> str:
    if "field limit" in str(exc):
        return (
            f"a cell is longer than {csv.field_size_limit()} characters, the csv module's limit; "
            "no number is that long: is this a CSV table?"
        )
    return f"it cannot be read as CSV ({exc})"


def _parse_rows(path: Path, lines: List[str], first: int, delimiter: str, header: Optional[List[str]]) -> np.ndarray:
    """Parse the data lines in Python, for exact error messages (and quoted numbers)."""
    rows: List[List[float]] = []
    width = len(header) if header is not None else None
    reader = csv.reader(lines, delimiter=delimiter)
    end = first
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise DataFileError(f"{path} line {first + reader.line_num}: {_csv_problem(exc)}") from None
        end = first + reader.line_num
        where = (
            f"{path} line {end}"
            if start == end
            else f"{path} lines {start}-{end} (one quoted cell: a quote left open?)"
        )
        if not cells or all(not c.strip() for c in cells):
            continue
        if width is None:
            width = len(cells)
        if len(cells) != width:
            raise DataFileError(
                f"{where} has {len(cells)} columns where "
                f"{'the header has' if header is not None else 'the first row has'} {width}"
            )
        rows.append([_number(where, header, index, cell) for index, cell in enumerate(cells)])
    return np.array(rows, dtype=np.float64).reshape(len(rows), width or 0)


def _line_ending(before: str) -> int:
    """The number (from 1) of the line that the text ``before`` ends on."""
    return len((before + "x").splitlines())


def _text(path: Path, data: bytes) -> str:
    """``data`` as text, refusing bytes that are not UTF-8 and NUL characters, naming the line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = _line_ending(data[: exc.start].decode("utf-8-sig", errors="replace"))
        raise DataFileError(
            f"{path} is not a CSV text file: line {line} holds bytes that are not UTF-8 text "
            f"(byte {exc.start + 1} of the file); save the table as UTF-8"
        ) from None
    nul = text.find("\0")
    if nul >= 0:
        raise DataFileError(
            f"{path} is not a CSV text file: line {_line_ending(text[:nul])} holds a NUL byte (binary data?)"
        )
    return text


def parse_csv(path: Path, data: bytes) -> CsvTable:
    """The table held by the bytes ``data`` read from ``path`` (named in the errors); see :func:`read_csv`."""
    lines = _text(path, data).splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise DataFileError(f"{path} is empty")
    delimiter = _delimiter(lines[first])
    try:
        cells = next(csv.reader([lines[first]], delimiter=delimiter))
    except csv.Error as exc:
        raise DataFileError(f"{path} line {first + 1}: {_csv_problem(exc)}") from None
    header: Optional[List[str]] = None
    if not all(_is_number(cell) for cell in cells):
        header = [cell.strip() for cell in cells]
        first += 1
    body = lines[first:]
    if not any(line.strip() for line in body):
        raise DataFileError(f"{path} has a header row but no data rows")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = np.loadtxt(io.StringIO("\n".join(body)), delimiter=delimiter, ndmin=2, comments=None)
        if header is not None and values.shape[1] != len(header):
            raise ValueError("the header and the rows differ in width")
        if not np.isfinite(values).all():
            raise ValueError("NaN, infinity or overflow: the slow path names the line")
    except ValueError:
        values = _parse_rows(path, body, first, delimiter, header)
    return CsvTable(header, values)


def read_csv(path: PathLike) -> CsvTable:
    """Read a numeric CSV table.

    The delimiter is the most frequent of ``,``, tab and ``;`` on the first
    line. The first line is a header when any of its cells is not a number.
    Blank lines are skipped; every row must have the same number of cells,
    each a finite number (a UTF-8 byte-order mark and gzip compression are
    fine). Anything else (a ragged row, an empty cell, text, NaN, infinity, a
    number beyond float64, a cell longer than the csv module's limit, bytes
    that are not UTF-8, a NUL byte) is a :class:`~npnet_core.errors.DataFileError`
    naming the file and the line.
    """
    path = data_path(path, "CSV file")
    return parse_csv(path, read_data_bytes(path, "CSV file"))


def column_index(path: Path, header: Optional[List[str]], column: Union[str, int], width: int) -> int:
    """The index of a column given by name or index (negative counts from the end; checked by the loaders)."""
    if isinstance(column, str) and header is not None and column in header:
        if header.count(column) > 1:
            raise DataFileError(f"{path} has {header.count(column)} columns named {column!r}; give the index instead")
        return header.index(column)
    if isinstance(column, str) and not _INDEX.fullmatch(column.strip()):
        if header is None:
            raise DataFileError(
                f"{path} has no header row (its first row is all numbers), so there is no column named "
                f"{_shown(column)}; give the label column by index: 0 for the first, -1 for the last"
            )
        shown = ", ".join(repr(name) for name in header[:12]) + (", ..." if len(header) > 12 else "")
        raise DataFileError(
            f"{path} has no column named {_shown(column)}; its columns are {shown} (or give an index: 0 for the "
            "first, -1 for the last)"
        )
    index = int(column)  # an int, or a str of at most 18 digits
    if not -width <= index < width:
        raise DataFileError(
            f"{path} has {width} columns, so there is no column {index} (indices run from 0, or from -1 at the end)"
        )
    return index % width


def split_label_column(
    path: Path, table: CsvTable, label_column: Union[str, int, List[Union[str, int]]]
) -> Tuple[np.ndarray, np.ndarray, List[int]]:
    """``(inputs, labels, indices)``: the table without its label columns, those columns, and their indices.

    One column (a name or an index) gives labels of shape (n,); a list of
    columns gives targets of shape (n, k), the columns in the order listed.
    """
    header, values = table
    width = values.shape[1]
    columns = label_column if isinstance(label_column, list) else [label_column]
    indices = [column_index(path, header, column, width) for column in columns]
    repeated = next((index for position, index in enumerate(indices) if index in indices[:position]), None)
    if repeated is not None:
        given = [repr(column) for column, index in zip(columns, indices) if index == repeated]
        raise DataFileError(
            f"{path}: label_column names {column_name(header, repeated)} twice (as {' and '.join(given)}); "
            "name each label column once"
        )
    if width < 2:
        raise DataFileError(f"{path} has a single column: there would be no input left beside the labels")
    if len(indices) >= width:
        raise DataFileError(
            f"{path} has {width} columns and all of them are label columns: there would be no input left"
        )
    labels = values[:, indices[0]] if not isinstance(label_column, list) else values[:, indices]
    return np.delete(values, indices, axis=1), labels, indices


def load_csv(
    path: PathLike, label_column: LabelColumns = -1, *, dtype: Any = "float64"
) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Return ``(x, y)`` from a numeric CSV table (see :func:`read_csv`).

    ``label_column`` is a column name (from the header) or an index (negative
    counts from the end; default the last column); its values are ``y`` and
    the other columns ``x``. A list of names and indices takes several label
    columns: ``y`` is then of shape (n, k), the columns in the order listed
    (multi-label targets). ``label_column=None``: every column is input and
    ``y`` is None.
    """
    path = data_path(path, "CSV file")
    label_column = check_label_columns(label_column)
    dtype = check_dtype(dtype)
    table = read_csv(path)
    if label_column is None:
        return table.values.astype(dtype), None
    x, y, _ = split_label_column(path, table, label_column)
    return x.astype(dtype), y
