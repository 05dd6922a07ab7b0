"""Build npnet_core/data/digits.npz, the embedded handwritten-digits data set.

The source is the UCI "Optical Recognition of Handwritten Digits" test set
(1797 images of 8x8 pixels, values 0..16), as the CSV that scikit-learn ships
(``sklearn/datasets/data/digits.csv.gz``: 64 pixel columns, then the label).

Usage::

    python scripts/make_digits.py [PATH/TO/digits.csv.gz]

Without a path, the CSV of the installed scikit-learn is used
(``pip install scikit-learn``); scikit-learn is not imported.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "npnet_core" / "data" / "digits.npz"


def default_source() -> Path:
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("scikit-learn is not installed: pip install scikit-learn, or pass the CSV's path")
    return Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"


def main(argv: list) -> int:
    source = Path(argv[1]) if len(argv) > 1 else default_source()
    with gzip.open(source, "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.float64)
    if table.shape != (1797, 65) or (table != np.round(table)).any():
        sys.exit(f"{source}: expected 1797 rows of 64 integer pixels and a label, got {table.shape}")
    images = table[:, :64].astype(np.uint8)
    target = table[:, 64].astype(np.uint8)
    assert images.max() == 16 and sorted(set(target.tolist())) == list(range(10))
    np.savez_compressed(OUT, images=images, target=target)
    digest = hashlib.sha256(OUT.read_bytes()).hexdigest()
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, sha256 {digest})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
