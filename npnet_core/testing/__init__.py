"""Tools to test npnet components: numerical references for gradients."""

from ._numerical import central_difference

__all__ = ["central_difference"]
