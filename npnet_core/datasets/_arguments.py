"""The arguments every loader takes, checked before any file is opened: a path, a label column.

A wrong type is a :class:`~npnet_core.errors.ValidationError` saying what
was expected; nothing is converted silently (``label_column=1.5`` or ``True``
is not column 1).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Union

import numpy as np

from ..errors import DataFileError, ValidationError

__all__ = ["check_label_column", "data_path"]


def data_path(value: Any, what: str = "data file") -> Path:
    """``value`` as a :class:`~pathlib.Path`, refusing what cannot name a file (``what`` names it in errors)."""
    if not isinstance(value, (str, os.PathLike)):
        raise ValidationError(f"the {what} must be a path (a str or a pathlib.Path), not {type(value).__name__}")
    try:
        path = Path(value)
    except TypeError:  # an os.PathLike giving bytes
        raise ValidationError(f"the {what} must be a path given as text, not {value!r}") from None
    if "\0" in str(path):
        raise DataFileError(f"{str(path)!r} cannot be a {what}: a path cannot hold the character NUL (\\0)")
    return path


def check_label_column(label_column: Any) -> Union[str, int, None]:
    """``label_column`` if it is None, a column name (str) or an index (int); refuse anything else."""
    if label_column is None or isinstance(label_column, str):
        return label_column
    if isinstance(label_column, (int, np.integer)) and not isinstance(label_column, (bool, np.bool_)):
        return int(label_column)
    raise ValidationError(
        f"label_column must be a column name (str) or a column index (int: 0 for the first, -1 for the last), "
        f"not {label_column!r} of type {type(label_column).__name__}"
    )
