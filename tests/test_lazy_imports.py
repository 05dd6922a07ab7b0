"""What `import npnet_core` and resolving names import: the structure that keeps them fast.

The public names other than the errors are imported on first use (PEP 562
``__getattr__`` in ``npnet_core/__init__.py``), the model files when a model is
saved or loaded, ``importlib.metadata`` when the entry points are first read.
Each test runs a fresh interpreter and checks which modules it holds; no test
is timed (bench_misc.py --only import measures the time).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import npnet_core

ROOT = Path(__file__).resolve().parent.parent


def _modules_after(code: str) -> set:
    """The names in sys.modules after running ``code`` in a fresh interpreter."""
    script = f"import sys\n{code}\nprint(' '.join(sys.modules))"  # no json here: it is one of the modules checked
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.splitlines()[-1].split())


def test_import_npnet_core_imports_only_the_errors():
    """`import npnet_core` loads the errors and the version: not NumPy, pluggy or any other npnet module."""
    modules = _modules_after("import npnet_core")
    assert sorted(m for m in modules if m.startswith("npnet_core")) == [
        "npnet_core",
        "npnet_core._version",
        "npnet_core.errors",
    ]
    assert not modules & {"numpy", "pluggy", "importlib.metadata"}


def test_resolving_every_component_leaves_the_heavy_modules_alone():
    """Resolving every installed name (the import benchmark's code) loads no network, training or file code."""
    modules = _modules_after(
        "import npnet_core\n"
        "from npnet_core.kinds import KINDS\n"
        "registry = npnet_core.get_registry()\n"
        "needed = {'cosine': {'total_steps': 100}, 'step': {'step_size': 10}, 'exponential': {'gamma': 0.9}}\n"
        "for kind in KINDS:\n"
        "    for name in registry.names(kind):\n"
        "        registry.create(kind, name, needed.get(name))\n"
    )
    assert {"npnet_core.components", "npnet_relu_softmax.plugin", "npnet_adam.plugin"} <= modules  # it did resolve
    assert not modules & {
        "npnet_core.network",
        "npnet_core._training",
        "npnet_core.io",
        "npnet_core.datasets",
        "npnet_core.plotting",
        "npnet_core.sklearn",
        "numpy.random",  # the network's initialisation needs it, resolving names does not
        "difflib",  # suggestions in error messages only
    }


def test_a_registry_of_plugins_registered_by_hand_never_reads_entry_points():
    """Making a registry and registering a plugin by hand imports no importlib.metadata."""
    modules = _modules_after(
        "import npnet_relu_softmax.plugin as plugin\n"
        "from npnet_core import Registry\n"
        "registry = Registry(autoload=False)\n"
        "registry.register_plugin(plugin, 'relu-softmax')\n"
        "registry.create('activation', 'relu')\n"
    )
    assert "npnet_core.components" in modules
    assert "importlib.metadata" not in modules


def test_the_command_line_help_imports_neither_numpy_nor_the_registry():
    """`npnet --help` builds the parser only: no NumPy, no plugins."""
    modules = _modules_after("from npnet_core.cli._parser import _parser\n_parser().format_help()\n")
    assert not modules & {"numpy", "pluggy", "npnet_core.components", "npnet_core.network"}


def test_every_public_name_imports_in_a_fresh_interpreter():
    """`from npnet_core import NAME` works for every name of __all__, whichever lazy module loads first."""
    first_of_each_module = {module: name for name, module in sorted(npnet_core._LAZY.items(), reverse=True)}
    for first in sorted(first_of_each_module.values()):
        _modules_after(
            f"from npnet_core import {first}\n"
            "from npnet_core import *\n"
            "import npnet_core\n"
            "missing = [name for name in npnet_core.__all__ if name not in globals()]\n"
            "assert not missing, missing\n"
        )


def test_dir_lists_every_public_name_and_unknown_names_raise():
    """dir(npnet_core) shows the lazy names before their first use; a misspelt name is an AttributeError."""
    modules = _modules_after(
        "import npnet_core\n"
        "assert set(npnet_core.__all__) <= set(dir(npnet_core)), set(npnet_core.__all__) - set(dir(npnet_core))\n"
        "try:\n"
        "    npnet_core.NeuralNetwrok\n"
        "except AttributeError as error:\n"
        "    assert 'NeuralNetwrok' in str(error)\n"
        "else:\n"
        "    raise AssertionError('no AttributeError')\n"
    )
    assert "npnet_core.network" not in modules  # dir() imports nothing
