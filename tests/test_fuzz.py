"""Fuzzing the readers: a seeded mutator over model, parameter and data files and the command line.

Each run is ``tests/_fuzz.py`` in a fresh interpreter under an address-space limit
(so a reader that allocates what a hostile header declares fails the run instead of
the machine) and a time budget per input. Every mutated input must load or raise a
typed npnet error, leave the file as it was and leave nothing behind. The fast suite
runs a few hundred inputs; the slow one a few thousand, over 10 seeds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent / "_fuzz.py"
#: the address space a run may take above the interpreter's baseline: a few times the seed files' needs
MEMORY_MIB = 768


def fuzz(tmp_path: Path, seed: int, count: int, *targets: str) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    command = [sys.executable, str(SCRIPT), "--seed", str(seed), "--count", str(count), "--workdir", str(tmp_path)]
    command += ["--memory-mib", str(MEMORY_MIB)] + [f"--target={t}" for t in targets]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.mark.parametrize("target", ["model", "params", "csv", "npz", "idx", "cli"])
def test_a_few_hundred_mutated_inputs_load_or_raise_a_typed_error(tmp_path, target):
    """Fast suite: 60 inputs per reader (360 in all), seed 0."""
    result = fuzz(tmp_path, 0, 60, target)
    assert result["findings"] == [], json.dumps(result["findings"], indent=1)[:4000]
    assert sum(result["outcomes"].values()) == 60


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1, 11))
def test_ten_seeds_of_mutated_inputs_find_nothing(tmp_path, seed):
    """Slow suite: 10 seeds of 300 inputs over every reader (3000 in all)."""
    result = fuzz(tmp_path, seed, 300)
    assert result["findings"] == [], json.dumps(result["findings"], indent=1)[:4000]
