"""The contract check of what an activation or a loss declares about itself (``produces``, ``expects``).

The network acts on these declarations (labels by threshold or argmax, the
pairing warning), so a declaration must be one npnet knows and, for an
activation, true of its outputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kinds import kind_of
from ..protocols import DISTRIBUTION, PROBABILITIES
from ._report import violation

__all__ = ["check_declarations_hold"]

_KNOWN = (DISTRIBUTION, PROBABILITIES)
_CHECK = "check_declarations_hold"


def _inputs(dtype: Any) -> np.ndarray:
    """Rows of ordinary, large and extreme values of both signs (6 rows of 4 units)."""
    rng = np.random.default_rng(7)
    ordinary = rng.normal(size=(3, 4))
    extreme = np.array([[-1e4, -30.0, 30.0, 1e4], [-1e4, -1e4, -1e4, -1e4], [1e4, 1e4, 1e4, 1e4]])
    return np.vstack([ordinary, 10 * ordinary[:1], 50 * ordinary[1:2], extreme[:1]]).astype(dtype)


def check_declarations_hold(component: Any) -> None:
    """A declared ``produces`` (activation) or ``expects`` (loss) is ``"distribution"`` or
    ``"probabilities"``; an activation's outputs are what it declares, also at extreme inputs: each row
    non-negative and summing to 1 (within a few units of its dtype's precision), or each value in [0, 1].
    Declaring nothing passes."""
    kind = kind_of(component)
    attribute = "produces" if kind == "activation" else "expects"
    declared = getattr(component, attribute, None)
    if declared is None:
        return
    if declared not in _KNOWN:
        raise violation(
            component,
            _CHECK,
            f"declares {attribute}={declared!r}; npnet knows {DISTRIBUTION!r} (rows summing to 1) and "
            f"{PROBABILITIES!r} (values in [0, 1]); declare one of them, or nothing",
        )
    if kind != "activation":
        return
    for dtype in (np.float32, np.float64):
        z = _inputs(dtype)
        with np.errstate(all="ignore"):
            a = np.asarray(component.forward(z.copy()))
        outside = ~((a >= 0) & (a <= 1))
        if outside.any():
            row, unit = map(int, np.argwhere(outside)[0])
            raise violation(
                component,
                _CHECK,
                f"declares produces={declared!r} but forward gives {float(a[row, unit])!r} (outside [0, 1]) at "
                f"row {row}, unit {unit} for z = {float(z[row, unit])!r} in {np.dtype(dtype).name}",
            )
        if declared == DISTRIBUTION:
            sums = a.sum(axis=1, dtype=np.float64)
            tolerance = 8 * a.shape[1] * float(np.finfo(dtype).eps)
            worst = int(np.argmax(np.abs(sums - 1)))
            if not abs(sums[worst] - 1) <= tolerance:
                raise violation(
                    component,
                    _CHECK,
                    f"declares produces={declared!r} but row {worst} of its {np.dtype(dtype).name} output sums to "
                    f"{float(sums[worst])!r}, not 1 (tolerance {tolerance:.2g}); z = {z[worst].tolist()}",
                )
