"""Helpers of the tests of data read as it is used (test_resources.py, test_lazy_data.py): a network's state
compared to the bit, and scripts run in a fresh interpreter under a memory limit."""

from __future__ import annotations

import copy
import subprocess
import sys
import textwrap
from typing import Any, Dict

import numpy as np

#: the prelude of a script that limits its own address space: ``limit_memory(extra_mib)``
LIMIT_MEMORY = """
    import resource

    def limit_memory(extra_mib):
        '''Let the process map extra_mib more than it has mapped now.'''
        with open("/proc/self/status") as status:
            size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
        resource.setrlimit(resource.RLIMIT_AS, (size + extra_mib * 2**20, resource.RLIM_INFINITY))
"""


def run_python(script: str, timeout: float = 300) -> "subprocess.CompletedProcess[str]":
    """Run ``script`` in a fresh interpreter; return its completed process."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, timeout=timeout
    )


def network_state(net: Any) -> Dict[str, Any]:
    """What fit changes, copied."""
    return copy.deepcopy(
        {
            "params": net.params,
            "optimizer": net.optimizer.state_dict(),
            "updates": net.updates,
            "history": net.history,
            "rng": net.rng.bit_generator.state,
        }
    )


def same_bits(a: Any, b: Any) -> bool:
    """Equal to the bit, through dicts, lists and arrays."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same_bits(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same_bits, a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.tobytes() == b.tobytes() and a.shape == b.shape
    return type(a) is type(b) and a == b
