"""Building blocks of the activations' ONNX export, added through an :class:`npnet_core.export.OnnxGraph`.

Nothing here imports ``onnx``: each function adds nodes with ``graph.node`` and
``graph.constant`` and returns the name of its result. ONNX Runtime has no
float64 kernel for ``Elu``, ``Softplus`` or ``Erf``, and ONNX no ``Log1p`` or
``Expm1``; these compose the same quantities from operators it runs in both
dtypes (``Exp``, ``Log``, ``Abs``, ``Max``, ``Where``, the arithmetic), each
formula chosen to keep the relative precision NumPy's function has.
"""

from __future__ import annotations

from typing import Any, Sequence

__all__ = ["expm1", "log1p", "polynomial", "sigmoid"]


def polynomial(graph: Any, coefficients: Sequence[float], x: str) -> str:
    """``c[0] + c[1] * x + ... + c[-1] * x**(len(c) - 1)`` by Horner's rule, in the order NumPy code takes it."""
    result = graph.constant(coefficients[-1])
    for c in coefficients[-2::-1]:
        result = graph.node("Add", [graph.node("Mul", [result, x]), graph.constant(c)])
    return str(result)


def sigmoid(graph: Any, x: str) -> str:
    """``1 / (1 + exp(-x))`` from ``e = exp(-|x|)``: ``Max(Cast(x >= 0), e) / (1 + e)``, never overflowing.

    Every output keeps its relative precision, the smallest included, which
    ONNX Runtime's float64 ``Sigmoid`` does not.
    """
    e = graph.node("Exp", [graph.node("Neg", [graph.node("Abs", [x])])])
    positive = graph.node("Cast", [graph.node("GreaterOrEqual", [x, graph.constant(0.0)])], to=graph.tensor_type())
    return str(graph.node("Div", [graph.node("Max", [positive, e]), graph.node("Add", [e, graph.constant(1.0)])]))


def log1p(graph: Any, u: str) -> str:
    """``log(1 + u)`` for ``u > -1``, accurate to a few ulps: ``u * log(w) / (w - 1)`` with ``w = 1 + u``.

    The rounding of ``w`` cancels between ``log(w)`` and ``w - 1`` (the
    formula of the HP-15C, analysed in Goldberg, "What every computer scientist
    should know about floating-point arithmetic", theorem 4); where ``w``
    rounds to 1 the result is ``u``.
    """
    one = graph.constant(1.0)
    w = graph.node("Add", [u, one])
    ratio = graph.node("Div", [graph.node("Log", [w]), graph.node("Sub", [w, one])])
    return str(graph.node("Where", [graph.node("Equal", [w, one]), u, graph.node("Mul", [u, ratio])]))


def expm1(graph: Any, m: str) -> str:
    """``exp(m) - 1`` for ``m <= 0``, accurate to a few ulps: Kahan's ``(u - 1) * m / log(u)`` with ``u = exp(m)``.

    ``exp(m) - 1`` alone loses the relative precision of small ``|m|``; Kahan's
    quotient cancels the rounding of ``u``. Where ``u`` rounds to 1 the result
    is ``m``, and where ``u - 1`` rounds to -1 (``m`` below about -37, also
    where ``u`` underflows to 0 and ``log(u)`` is infinite) it is -1.
    """
    one = graph.constant(1.0)
    u = graph.node("Exp", [m])
    d = graph.node("Sub", [u, one])
    kahan = graph.node("Div", [graph.node("Mul", [d, m]), graph.node("Log", [u])])
    minus_one = graph.constant(-1.0)
    saturated = graph.node("Where", [graph.node("Equal", [d, minus_one]), minus_one, kahan])
    return str(graph.node("Where", [graph.node("Equal", [u, one]), m, saturated]))
