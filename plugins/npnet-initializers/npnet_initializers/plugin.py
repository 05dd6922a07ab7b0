"""The pluggy plugin announced by the ``npnet`` entry point ``initializers``."""

from __future__ import annotations

from npnet_core.hookspecs import Register, hookimpl

from .initializers import ArticleNormal, GlorotNormal, GlorotUniform, HeNormal, HeUniform, LecunNormal, Zeros

__all__ = ["npnet_register_initializers"]


@hookimpl
def npnet_register_initializers(register: Register) -> None:
    """Register the seven initializers, each under its ``name``: ``glorot_uniform`` ... ``zeros``."""
    for initializer in (GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunNormal, ArticleNormal, Zeros):
        register(initializer.name, initializer)
