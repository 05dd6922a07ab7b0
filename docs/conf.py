"""Sphinx configuration of npnet's documentation site.

Build it from the repository root (needs the ``docs`` extra: ``pip install -e .[docs]``)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The pages are Markdown (myst-parser); the API reference comes from the
numpydoc docstrings (autodoc + napoleon). Nothing is fetched from the network:
there is no intersphinx.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # document this checkout even when npnet-core is not installed

import npnet_core  # noqa: E402

project = "npnet"
author = "npnet developers"
copyright = "npnet developers"
release = npnet_core.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# -- Markdown ---------------------------------------------------------------------------
# anchors for the headings the pages link to (plugins/loss.md#fused-output-gradients)
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence", "deflist"]

# -- the API reference ------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"show-inheritance": True}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# npnet_core.sklearn needs scikit-learn, an optional extra (installed for the docs in CI).
# Without it the page is still built, from a stand-in for scikit-learn.
try:
    import sklearn  # noqa: F401
except ImportError:
    autodoc_mock_imports = ["sklearn"]

# -- HTML -------------------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"npnet {release}"
html_theme_options = {
    "description": "A NumPy neural-network framework built as plugins",
    "fixed_sidebar": True,
    "show_relbars": True,
}
html_static_path: list = []


def _protocol_signature(app, what, name, obj, options, signature, return_annotation):
    """Show a typing.Protocol as ``class Activation``, not ``Activation(*args, **kwargs)``."""
    if what == "class" and getattr(obj, "_is_protocol", False):
        return "", None
    return None


def _skip_namedtuple_fields(app, what, name, obj, skip, options):
    """Leave out a NamedTuple's fields ("Alias for field number 0"): the class signature lists them."""
    if what == "class" and (getattr(obj, "__doc__", None) or "").startswith("Alias for field number"):
        return True
    return None


def setup(app):
    app.connect("autodoc-process-signature", _protocol_signature)
    app.connect("autodoc-skip-member", _skip_namedtuple_fields)
    # ```python-file marks a Python file's contents shown on a page (a plugin module, a
    # test file): highlighted as Python, but not run by tests/test_docs.py
    from pygments.lexers import PythonLexer

    app.add_lexer("python-file", PythonLexer)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
