"""Whether an update runs the fused numba kernels of :mod:`npnet_adam._kernels` (the ``fast`` extra).

The environment variable ``NPNET_ADAM_NUMBA`` decides, read at every update:

- unset or empty: the kernels when numba is importable, else the NumPy path;
- ``0``: always the NumPy path (to compare the two, or to rule numba out);
- ``1``: the kernels, and an ``ImportError`` if numba cannot be imported.

numba is imported on the first update that may use it, never when npnet-adam is
imported; an import that fails is not tried again. The kernels cover 1-D,
C-contiguous float32 and float64 parameters with a gradient of the same dtype
and layout that does not overlap them (npnet's parameter and gradient vectors
are such), with hyperparameters that are Python numbers (see :func:`fusable`);
other updates take the NumPy path.
"""

from __future__ import annotations

import os
import warnings
from types import ModuleType
from typing import Any, Optional, Tuple

import numpy as np

__all__ = ["ENVIRONMENT_VARIABLE", "fusable", "kernels"]

ENVIRONMENT_VARIABLE = "NPNET_ADAM_NUMBA"
_SETTINGS = {"": None, "auto": None, "0": False, "1": True}
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

#: the imported kernels module once imported; the ImportError while it could not be
_loaded: Optional[ModuleType] = None
_failure: Optional[ImportError] = None


def _setting() -> Optional[bool]:
    """``NPNET_ADAM_NUMBA`` as True (required), False (off) or None (when importable)."""
    raw = os.environ.get(ENVIRONMENT_VARIABLE, "")
    try:
        return _SETTINGS[raw.strip().lower()]
    except KeyError:
        raise ValueError(
            f"npnet-adam: the environment variable {ENVIRONMENT_VARIABLE} must be 0 (the NumPy path), 1 (the fused "
            f"numba kernels, numba required) or unset (numba when it is installed) (got {raw!r}); set one of those"
        ) from None


def kernels() -> Optional[ModuleType]:
    """The compiled kernels' module if updates should use it now, else None (the NumPy path).

    Raises ``ImportError`` when ``NPNET_ADAM_NUMBA=1`` and numba cannot be
    imported, and ``ValueError`` for another value of the variable.
    """
    global _loaded, _failure
    wanted = _setting()
    if wanted is False:
        return None
    if _loaded is None and _failure is None:
        try:
            from . import _kernels

            _loaded = _kernels
        except ImportError as exc:
            _failure = exc
            if not isinstance(exc, ModuleNotFoundError) or exc.name != "numba":
                # installed but broken (numba refusing this NumPy, say): say so once, then stay on NumPy
                warnings.warn(
                    f"npnet-adam: numba is installed but could not be imported ({exc}); Adam, AdamW and Adamax use "
                    f"their NumPy path. Reinstall numba (pip install npnet-adam[fast]) or set "
                    f"{ENVIRONMENT_VARIABLE}=0 to silence this",
                    RuntimeWarning,
                    stacklevel=3,
                )
    if _loaded is None and wanted:
        raise ImportError(
            f"npnet-adam: {ENVIRONMENT_VARIABLE}=1 asks for the fused numba kernels, but numba could not be "
            f"imported ({_failure}); install it with pip install npnet-adam[fast], or unset {ENVIRONMENT_VARIABLE}"
        ) from _failure
    return _loaded


def fusable(params: np.ndarray, gradient: Any, hyperparameters: Tuple[Any, ...]) -> bool:
    """True when the kernels give the NumPy path's result for ``params`` (already checked by
    ``check_update_arrays``), ``gradient`` and the update's ``hyperparameters``.

    The hyperparameters must be Python floats or ints, as the constructor and
    npnet's schedules leave them: NumPy casts those to a float32 array's dtype
    before it computes, but computes with a NumPy float64 scalar (a learning
    rate set to ``np.float64(1e-3)``, say) in float64, which the kernels do not.
    """
    return (
        all(type(value) is float or type(value) is int for value in hyperparameters)
        and type(params) is np.ndarray
        and type(gradient) is np.ndarray
        and params.ndim == 1
        and params.dtype in _FLOATS
        and gradient.dtype == params.dtype
        and params.flags.c_contiguous
        and gradient.flags.c_contiguous
        and not np.may_share_memory(params, gradient)
    )
