"""Sphinx configuration of npnet's documentation site.

Build it from the repository root (needs the ``docs`` extra: ``pip install -e .[docs]``)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The pages are Markdown (myst-parser); the API reference comes from the
numpydoc docstrings (autodoc + napoleon). Nothing is fetched from the network:
there is no intersphinx.
"""

from __future__ import annotations

import re
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


#: words of a parameter's type that stand for a value, not for an object to link to: in
#: ``name, (name, params), or Schedule`` a component is given by its name, or by its name
#: and its parameters. Linked, ``params`` would point at an unrelated attribute of that name
#: (``NeuralNetwork.params``), or at several of them, which Sphinx warns is ambiguous.
_TYPE_PLACEHOLDERS = {"name", "params"}


def _unlink_type_placeholders(app, doctree):
    """Show the :data:`_TYPE_PLACEHOLDERS` of the parameter and return types as plain text, not as links.

    Only the links Sphinx makes from a type (reftype class or obj, looked up anywhere) are
    affected: an explicit :attr:`params` in a docstring still links to the attribute.
    """
    from sphinx.addnodes import pending_xref

    for node in list(doctree.findall(pending_xref)):
        if (
            node.get("refdomain") == "py"
            and node.get("reftype") in ("class", "obj")
            and node.get("refspecific")
            and node.get("reftarget") in _TYPE_PLACEHOLDERS
        ):
            node.replace_self(node.children)


def _skip_namedtuple_fields(app, what, name, obj, skip, options):
    """Leave out a NamedTuple's fields ("Alias for field number 0"): the class signature lists them."""
    if what == "class" and (getattr(obj, "__doc__", None) or "").startswith("Alias for field number"):
        return True
    return None


# -- what the kinds table generates ---------------------------------------------------------
# The API reference lists the kinds, their register hooks and their contract checks from
# npnet_core.kinds itself, so that a new kind (a row of KINDS) is documented without editing
# a page: an empty ```{npnet-kinds}```, ```{npnet-roles}```, ```{npnet-register-hooks}``` or
# ```{npnet-contract-checks}``` block is replaced, as the page is read, by the
# reStructuredText below.


def _kinds_lines():
    from npnet_core.kinds import KINDS

    lines = [".. list-table::", "   :header-rows: 1", ""]
    header = ["kind", "plural", "protocol", "register hook", "checks", "``npnet new-plugin`` writes", "official"]
    rows = [header]
    for kind in KINDS.values():
        official = {}
        for name, distribution in kind.official.items():
            official.setdefault(distribution, []).append(f"``{name}``")
        rows.append(
            [
                f"``{kind.name}``",
                f"``{kind.plural}``",
                f":class:`~{kind.protocol.__module__}.{kind.protocol.__name__}`",
                f":func:`~npnet_core.hookspecs.{kind.hook}`",
                str(len(kind.checks)),
                kind.scaffold,
                "; ".join(f"{', '.join(names)} ({d})" for d, names in official.items()) or "none",
            ]
        )
    for row in rows:
        lines.append(f"   * - {row[0]}")
        lines.extend(f"     - {cell}" for cell in row[1:])
    return lines


def _roles_lines():
    from npnet_core.kinds import ROLES

    lines = [".. list-table::", "   :header-rows: 1", ""]
    rows = [["role (``NeuralNetwork`` argument)", "kind", "CLI option", "the article's form, adapted by", "per layer"]]
    for role in ROLES.values():
        adapter = f":class:`~npnet_core.components.{role.article_adapter}`"
        rows.append(
            [f"``{role.name}``", f"``{role.kind}``", f"``{role.option}``", adapter, "yes" if role.per_layer else ""]
        )
    for row in rows:
        lines.append(f"   * - {row[0]}")
        lines.extend(f"     - {cell}" for cell in row[1:])
    return lines


def _register_hooks_lines():
    from npnet_core.kinds import KINDS

    return [f".. autofunction:: npnet_core.hookspecs.{kind.hook}" for kind in KINDS.values()]


def _contract_checks_lines():
    from npnet_core.kinds import KINDS

    lines, seen = [], []
    for kind in KINDS.values():
        checks = ", ".join(f":func:`~npnet_core.testing.{name}`" for name in kind.checks)
        lines.append(f"* ``{kind.name}``: {checks}")
        seen.extend(name for name in kind.checks if name not in seen)
    lines.append("")
    lines.extend(f".. autofunction:: npnet_core.testing.{name}" for name in seen)
    return lines


_GENERATED = {
    "kinds": _kinds_lines,
    "roles": _roles_lines,
    "register-hooks": _register_hooks_lines,
    "contract-checks": _contract_checks_lines,
}
_GENERATED_BLOCK = re.compile(r"^```\{npnet-(?P<what>[a-z-]+)\}\n```$", flags=re.MULTILINE)


def _insert_generated(app, docname, source):
    """Replace each ```{npnet-WHAT}``` block of a page by the reStructuredText that _GENERATED makes."""

    def generated(match):
        make_lines = _GENERATED.get(match.group("what"))
        if make_lines is None:
            raise ValueError(f"{docname}: no generated block is called npnet-{match.group('what')}")
        return "```{eval-rst}\n" + "\n".join(make_lines()) + "\n```"

    source[0] = _GENERATED_BLOCK.sub(generated, source[0])


def setup(app):
    app.connect("source-read", _insert_generated)
    app.connect("autodoc-process-signature", _protocol_signature)
    app.connect("autodoc-skip-member", _skip_namedtuple_fields)
    app.connect("doctree-read", _unlink_type_placeholders)
    # ```python-file marks a Python file's contents shown on a page (a plugin module, a
    # test file): highlighted as Python, but not run by tests/test_docs.py
    from pygments.lexers import PythonLexer

    app.add_lexer("python-file", PythonLexer)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
