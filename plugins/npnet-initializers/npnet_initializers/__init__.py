"""npnet-initializers: the Glorot, He, LeCun, zeros and article weight initializers for npnet."""

from __future__ import annotations

from .initializers import ArticleNormal, GlorotNormal, GlorotUniform, HeNormal, HeUniform, LecunNormal, Zeros

__all__ = [
    "ArticleNormal",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "LecunNormal",
    "Zeros",
    "__version__",
]

__version__ = "0.1.0"
