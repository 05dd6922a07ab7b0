"""The complementary error function in NumPy, accurate to a few units in the last place of float64.

NumPy has no ``erf`` and SciPy is no dependency; ``math.erfc`` applied element
by element (``np.frompyfunc``) takes 6 to 7 times as long as this. The method
and the coefficients are those of fdlibm's ``s_erf.c``, which glibc's ``erf``
and ``erfc`` (and so Python's ``math.erfc`` on Linux) also use; each interval
is evaluated only on the elements in it. Against ``math.erfc`` the relative
error is at most 4 ulps (in the tail, where NumPy's ``exp`` and the C
library's differ by an ulp). The notice of the original, as it asks::

    Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.

    Developed at SunPro, a Sun Microsystems, Inc. business.
    Permission to use, copy, modify, and distribute this
    software is freely granted, provided that this notice
    is preserved.

Intervals of ``|x|`` (``s = |x| - 1`` in the second, ``t = 1 / x**2`` beyond):

- ``[0, 0.84375)``: ``erf(x) = x + x * P(x**2) / Q(x**2)``, and ``erfc = 1 - erf``;
- ``[0.84375, 1.25)``: ``erf(|x|) = c + P1(s) / Q1(s)`` with ``c = 0.845062911510467529297``;
- ``[1.25, 28)``: ``erfc(|x|) = exp(-x**2 - 0.5625 + R(t) / S(t)) / |x|``, with one pair
  ``R, S`` below ``1 / 0.35`` and another above; ``-x**2`` is taken as
  ``-h**2 + (h - x) * (h + x)`` with ``h`` the first 21 bits of ``x``, so that
  ``h**2`` is exact and ``exp`` loses nothing to the rounding of ``x**2``;
- ``[28, inf)``: ``erfc(x) = 0`` (it is below the smallest subnormal).

Below ``-0.84375``, ``erfc(x) = 2 - erfc(-x)``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ._onnx import polynomial

__all__ = ["erfc", "erfc_onnx", "normal_cdf"]

SQRT1_2 = 0.70710678118654752440  # 1 / sqrt(2), C's M_SQRT1_2, as PyTorch multiplies by it

_ERX = 8.45062911510467529297e-01
_PP = (1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
       -5.77027029648944159157e-03, -2.37630166566501626084e-05)  # fmt: skip
_QQ = (1.0, 3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03,
       1.32494738004321644526e-04, -3.96022827877536812320e-06)  # fmt: skip
_PA = (-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01,
       3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02,
       -2.16637559486879084300e-03)  # fmt: skip
_QA = (1.0, 1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02,
       1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02)  # fmt: skip
_RA = (-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e01,
       -6.23753324503260060396e01, -1.62396669462573470355e02, -1.84605092906711035994e02,
       -8.12874355063065934246e01, -9.81432934416914548592e00)  # fmt: skip
_SA = (1.0, 1.96512716674392571292e01, 1.37657754143519042600e02, 4.34565877475229228821e02,
       6.45387271733267880336e02, 4.29008140027567833386e02, 1.08635005541779435134e02,
       6.57024977031928170135e00, -6.04244152148580987438e-02)  # fmt: skip
_RB = (-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e01,
       -1.60636384855821916062e02, -6.37566443368389627722e02, -1.02509513161107724954e03,
       -4.83519191608651397019e02)  # fmt: skip
_SB = (1.0, 3.03380607434824582924e01, 3.25792512996573918826e02, 1.53672958608443695994e03,
       3.19985821950859553908e03, 2.55305040643316442583e03, 4.74528541206955367215e02,
       -2.24409524465858183362e01)  # fmt: skip

#: where the second pair R, S takes over: the double whose high word is 0x4006DB6D, about 1 / 0.35
_SPLIT = float(np.array(0x4006DB6D00000000, dtype=np.uint64).view(np.float64))
_HIGH_WORD = np.uint64(0xFFFFFFFF00000000)


def _poly(coefficients: Sequence[float], x: np.ndarray) -> np.ndarray:
    """``c[0] + c[1] * x + ... + c[-1] * x**(len(c) - 1)`` by Horner's rule, in a new array."""
    result = np.full_like(x, coefficients[-1])
    for c in coefficients[-2::-1]:
        result *= x
        result += c
    return result


def _erfc_tail(ax: np.ndarray) -> np.ndarray:
    """``erfc(ax)`` for ``1.25 <= ax < 28`` (float64)."""
    t = 1.0 / (ax * ax)
    low = ax < _SPLIT
    if low.all():
        ratio = _poly(_RA, t) / _poly(_SA, t)
    else:
        ratio = _poly(_RB, t) / _poly(_SB, t)
        if low.any():
            ratio[low] = _poly(_RA, t[low]) / _poly(_SA, t[low])
    head = (ax.view(np.uint64) & _HIGH_WORD).view(np.float64)
    r = np.exp(-head * head - 0.5625)
    ratio += (head - ax) * (head + ax)
    r *= np.exp(ratio)
    r /= ax
    return r


def erfc(x: np.ndarray) -> np.ndarray:
    """``erfc(x) = 1 - erf(x)`` elementwise, for a float64 array, in a new array.

    Relative error within a few ulps for every ``x`` (``erfc(27) = 5.2e-319`` is
    subnormal and ``erfc(x) = 0`` from ``x = 27.3``), so ``0.5 * erfc(-x / sqrt(2))``
    is the normal distribution function with no cancellation in its left tail.
    NaN gives NaN.
    """
    x = np.asarray(x, dtype=np.float64)
    flat = x.ravel()
    ax = np.abs(flat)
    out = np.empty_like(flat)
    small = ax < 0.84375
    i = np.flatnonzero(small)
    if i.size:  # erfc = 1 - (x + x * P/Q); from 1/4 on, 0.5 - (x * P/Q + (x - 0.5)) keeps the low bits
        xi = flat[i]
        z = xi * xi
        y = _poly(_PP, z)
        y /= _poly(_QQ, z)
        y *= xi
        result = np.add(xi, y)
        np.subtract(1.0, result, out=result)
        above = np.flatnonzero(xi >= 0.25)
        if above.size:
            result[above] = 0.5 - (y[above] + (xi[above] - 0.5))
        out[i] = result
    if i.size == flat.size:
        return out.reshape(x.shape)
    i = np.flatnonzero(~small)  # the rest: erfc(|x|) first, then 2 - erfc(|x|) where x < 0
    xi, ai = flat[i], ax[i]
    result = np.empty_like(xi)
    middle = ai < 1.25
    j = np.flatnonzero(middle)
    if j.size:  # erfc(|x|) = (1 - c) - P1(s) / Q1(s)
        s = ai[j] - 1.0
        y = _poly(_PA, s)
        y /= _poly(_QA, s)
        result[j] = (1.0 - _ERX) - y
    j = np.flatnonzero(~middle & (ai < 28.0))
    if j.size:
        result[j] = _erfc_tail(ai[j])
    j = np.flatnonzero(ai >= 28.0)
    if j.size:
        result[j] = 0.0
    np.subtract(2.0, result, out=result, where=xi < 0)
    out[i] = result
    nan = np.isnan(flat)
    if nan.any():
        out[nan] = np.nan
    return out.reshape(x.shape)


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """The standard normal distribution function ``0.5 * erfc(-z / sqrt(2))`` of a float64 array, in a new array."""
    cdf = erfc(np.multiply(z, -SQRT1_2, dtype=np.float64))
    cdf *= 0.5
    return cdf


def erfc_onnx(graph: Any, x: str) -> str:
    """Add the nodes of :func:`erfc` of the float64 tensor ``x`` to ``graph``; return the name of the result.

    The same intervals, rational approximations and coefficients, in the same
    order of operations, each interval computed on every element and the right
    one picked by ``Where`` (ONNX Runtime has no float64 ``Erf``, and ONNX no
    ``Erfc``). One difference: in the tail, ``h`` is ``|x|`` rounded down to a
    multiple of ``2**-16`` (``Floor``), not its first 21 bits, which ONNX cannot
    take; ``h**2`` is exact either way (``|x| < 28``), so ``-x**2`` is still
    taken without rounding. Emits ``Abs``, ``Mul``, ``Add``, ``Sub``, ``Div``,
    ``Neg``, ``Exp``, ``Floor``, ``Less``, ``GreaterOrEqual`` and ``Where``.
    Within 4 ulps of :func:`erfc` in ONNX Runtime.
    """

    def const(value: float) -> str:
        return str(graph.constant(value))

    def node(op: str, *inputs: str) -> str:
        return str(graph.node(op, list(inputs)))

    ax = node("Abs", x)
    # |x| < 0.84375: 1 - (x + x * P/Q), and 0.5 - (x * P/Q + (x - 0.5)) from x = 1/4 on
    z = node("Mul", x, x)
    y = node("Mul", node("Div", polynomial(graph, _PP, z), polynomial(graph, _QQ, z)), x)
    below = node("Sub", const(1.0), node("Add", x, y))
    above = node("Sub", const(0.5), node("Add", y, node("Sub", x, const(0.5))))
    small = node("Where", node("GreaterOrEqual", x, const(0.25)), above, below)
    # 0.84375 <= |x| < 1.25: erfc(|x|) = (1 - c) - P1(s) / Q1(s), s = |x| - 1
    s = node("Sub", ax, const(1.0))
    middle = node("Sub", const(1.0 - _ERX), node("Div", polynomial(graph, _PA, s), polynomial(graph, _QA, s)))
    # 1.25 <= |x| < 28: exp(-h**2 - 0.5625) * exp((h - |x|) (h + |x|) + R(t) / S(t)) / |x|, t = 1 / x**2
    t = node("Div", const(1.0), node("Mul", ax, ax))
    low_ratio = node("Div", polynomial(graph, _RA, t), polynomial(graph, _SA, t))
    high_ratio = node("Div", polynomial(graph, _RB, t), polynomial(graph, _SB, t))
    ratio = node("Where", node("Less", ax, const(_SPLIT)), low_ratio, high_ratio)
    head = node("Mul", node("Floor", node("Mul", ax, const(2.0**16))), const(2.0**-16))
    r = node("Exp", node("Sub", node("Neg", node("Mul", head, head)), const(0.5625)))
    r = node("Mul", r, node("Exp", node("Add", ratio, node("Mul", node("Sub", head, ax), node("Add", head, ax)))))
    tail = node("Where", node("Less", ax, const(28.0)), node("Div", r, ax), const(0.0))
    # erfc(|x|) beyond the first interval, then 2 - erfc(|x|) where x < 0
    rest = node("Where", node("Less", ax, const(1.25)), middle, tail)
    rest = node("Where", node("Less", x, const(0.0)), node("Sub", const(2.0), rest), rest)
    return node("Where", node("Less", ax, const(0.84375)), small, rest)
