"""The embedded UCI handwritten digits (``data/digits.npz``, see ``data/DIGITS.md``) and a shuffled split."""

from __future__ import annotations

from importlib import resources
from typing import Any, Tuple

import numpy as np

from .._rng import make_rng
from .._validation import check_dtype
from ..errors import ValidationError

__all__ = ["load_digits", "train_test_split"]


def load_digits(*, scaled: bool = True, dtype: Any = "float64") -> Tuple[np.ndarray, np.ndarray]:
    """Return the digits data ``(x, y)``.

    Parameters
    ----------
    scaled : bool, default True
        Divide the pixel values 0..16 by 16, giving [0, 1].
    dtype : {"float64", "float32"}, default "float64"

    Returns
    -------
    x : ndarray of shape (1797, 64)
    y : ndarray of shape (1797,), int64 labels 0..9
    """
    dtype = check_dtype(dtype)
    with resources.files("npnet_core.datasets").joinpath("data/digits.npz").open("rb") as handle:
        with np.load(handle, allow_pickle=False) as archive:
            images, target = archive["images"], archive["target"]
    x = images.astype(dtype)
    if scaled:
        x /= 16
    return x, target.astype(np.int64)


def train_test_split(
    x: Any, y: Any, *, test_size: float = 0.25, seed: Any = None
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split ``(x, y)`` into ``x_train, x_test, y_train, y_test``.

    ``test_size`` is a fraction in (0, 1); the test part has
    ``ceil(test_size * n)`` samples, as in scikit-learn.
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValidationError(f"x has {len(x)} samples but y has {len(y)}")
    if not 0 < test_size < 1:
        raise ValidationError(f"test_size must be a fraction in (0, 1) (got {test_size!r})")
    n_test = int(np.ceil(test_size * len(x)))
    if not 0 < n_test < len(x):
        raise ValidationError(f"cannot split {len(x)} samples with test_size={test_size}")
    order = make_rng(seed).permutation(len(x))
    test, train = order[:n_test], order[n_test:]
    return x[train], x[test], y[train], y[test]
