"""The public surface is exactly what npnet_core.__all__ says."""

from __future__ import annotations

import npnet_core


def test_all_is_sorted_and_complete():
    """__all__ is sorted and lists every public name the package exposes (submodules aside).

    dir(), not vars(): most names are imported on first use, so they are in the
    module's namespace only once looked up.
    """
    public = {
        name
        for name in dir(npnet_core)
        if not name.startswith("_") and type(getattr(npnet_core, name)).__name__ != "module"
    }
    assert npnet_core.__all__ == sorted(npnet_core.__all__)
    assert set(npnet_core.__all__) == public | {"__version__"}


def test_errors_share_one_base_and_builtin_parents():
    """Every npnet error is an NpnetError and also the built-in exception users would catch."""
    assert issubclass(npnet_core.ComponentNotFoundError, LookupError)
    assert issubclass(npnet_core.ValidationError, ValueError)
    assert issubclass(npnet_core.InvalidComponentError, TypeError)
    for name in npnet_core.__all__:
        value = getattr(npnet_core, name)
        if isinstance(value, type) and issubclass(value, Exception) and not issubclass(value, Warning):
            assert issubclass(value, npnet_core.NpnetError), name  # NpnetError itself included


def test_submodules_are_attributes_after_a_plain_import():
    """`import npnet_core; npnet_core.components...` works, as when the package imported every module."""
    import subprocess
    import sys

    code = (
        "import npnet_core, sys\n"
        "assert 'npnet_core.datasets' not in sys.modules\n"
        "assert callable(npnet_core.components.get_registry) and callable(npnet_core.datasets.load_digits)\n"
        "assert not hasattr(npnet_core, 'no_such_module')\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr
