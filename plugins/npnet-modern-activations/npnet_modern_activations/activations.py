"""Activations: leaky ReLU, ELU, GELU, SiLU and softplus (the contract is :class:`npnet_core.protocols.Activation`).

Each is elementwise and computes what ``torch.nn.functional`` computes with the
same parameters, including the derivative it takes at a kink. Outputs are fresh
arrays, so callers may modify them. No ``exp`` gets an argument above a fixed
bound, so large inputs (the tests go up to a millionth of the dtype's largest
number) give finite results and no overflow warning.
Hyperparameters are checked when the component is made, with the messages of
:mod:`npnet_core.optimizer_tools`.

Each exports to ONNX (``to_onnx``, see :class:`npnet_core.export.OnnxGraph`)
with nodes chosen by the graph's dtype: ONNX Runtime has float32 kernels for
``Elu``, ``Softplus``, ``Erf`` and ``Gelu`` but no float64 ones, and
``LeakyRelu``'s ``alpha`` is a float32 attribute, so float64 graphs compose the
same steps as ``forward`` from operators it runs in float64 (``Exp``, ``Log``,
``Where``, the arithmetic).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from npnet_core import optimizer_tools as tools

from . import _onnx
from ._common import OneOf, Stateless, as_float
from ._erf import SQRT1_2, erfc_onnx, normal_cdf

__all__ = ["ELU", "GELU", "LeakyReLU", "SiLU", "Softplus"]

_INV_SQRT_2PI = 0.5 * SQRT1_2 * 1.12837916709551257390  # 1 / sqrt(2 pi), as PyTorch writes it (M_2_SQRTPI)
_TANH_BETA = math.sqrt(2.0) * 1.12837916709551257390 * 0.5  # sqrt(2 / pi), as PyTorch writes it
_TANH_KAPPA = 0.044715
#: exp(-z**2 / 2) is 0 in float64 from |z| = 38.6 on; z is clipped here before it is squared
_PDF_CLIP = 40.0
#: tanh(sqrt(2/pi) * (z + 0.044715 z**3)) is exactly +-1 in float64 from |z| = 7.3 on; z is clipped here
_TANH_CLIP = 10.0


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` in a new array, from ``e = exp(-|x|)``, which never overflows.

    ``1 / (1 + e)`` where ``x >= 0`` and ``e / (1 + e)`` elsewhere; the numerator
    is chosen without a branch, as ``max(x >= 0, e)`` (``e <= 1``).
    """
    e = np.abs(x)
    np.negative(e, out=e)
    np.exp(e, out=e)
    s = (x >= 0).astype(x.dtype)
    np.maximum(s, e, out=s)
    e += 1
    s /= e
    return s


def _one_where(condition: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Set the finite ``values`` to 1 where ``condition`` holds, in place, as ``values * (1 - c) + c``.

    Exact (``v * 0 + 1 = 1``, ``v * 1 + 0 = v``), and without the branch per
    element that ``np.where`` or ``np.copyto(where=...)`` take, which costs
    more than the rest of an activation on random signs.
    """
    c = condition.astype(values.dtype)
    values *= np.subtract(1, c)
    values += c
    return values


class LeakyReLU(tools.HyperparametersMixin):
    """Leaky rectified linear unit: ``a = z`` for ``z > 0``, ``negative_slope * z`` otherwise.

    The derivative at ``z == 0`` is ``negative_slope``, as PyTorch takes it.

    Parameters
    ----------
    negative_slope : float >= 0, default 0.01
        The slope for ``z <= 0``; 0 gives ReLU.

    PyTorch: ``torch.nn.LeakyReLU(negative_slope)``.
    """

    name = "leaky_relu"
    hyperparameters = {"negative_slope": tools.NonNegative(usual=0.01, advice="0 gives relu")}

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = tools.check_hyperparameters(self.name, self.hyperparameters, locals())["negative_slope"]

    def forward(self, z: np.ndarray) -> np.ndarray:
        """Return ``where(z > 0, z, negative_slope * z)``."""
        z = as_float(z)
        a = np.multiply(z, self.negative_slope)
        # z > 0: z is the larger of the two for a slope <= 1, the smaller for one > 1; z <= 0: the other way
        (np.maximum if self.negative_slope <= 1 else np.minimum)(a, z, out=a)
        return a

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        """Return ``grad_a * where(z > 0, 1, negative_slope)``."""
        z = as_float(z)
        slope = np.full(z.shape, self.negative_slope, dtype=z.dtype)
        grad_z = _one_where(z > 0, slope)
        grad_z *= as_float(grad_a, z.dtype)
        return grad_z

    def to_onnx(self, graph: Any, x: str) -> str:
        """float32: ONNX's ``LeakyRelu(alpha=negative_slope)``. float64: ``Max(Mul(x, negative_slope), x)``
        (``Min`` for a slope above 1), the steps of :meth:`forward`: ``LeakyRelu``'s ``alpha`` is a float32
        attribute, which would round a float64 slope such as 0.01."""
        if graph.dtype != np.float64:
            return str(graph.node("LeakyRelu", [x], alpha=self.negative_slope))
        scaled = graph.node("Mul", [x, graph.constant(self.negative_slope)])
        return str(graph.node("Max" if self.negative_slope <= 1 else "Min", [scaled, x]))


class ELU(tools.HyperparametersMixin):
    """Exponential linear unit: ``a = z`` for ``z > 0``, ``alpha * (exp(z) - 1)`` otherwise.

    The derivative is ``alpha * exp(z)`` for ``z <= 0`` (``alpha`` at 0, as PyTorch takes it) and 1 above.

    Parameters
    ----------
    alpha : float > 0, default 1.0
        The value ``-alpha`` the output tends to as ``z`` goes to minus infinity.

    PyTorch: ``torch.nn.ELU(alpha)``.
    """

    name = "elu"
    hyperparameters = {"alpha": tools.Positive(usual=1.0)}

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = tools.check_hyperparameters(self.name, self.hyperparameters, locals())["alpha"]

    def forward(self, z: np.ndarray) -> np.ndarray:
        """Return ``where(z > 0, z, alpha * expm1(z))``."""
        z = as_float(z)
        a = np.minimum(z, 0)  # expm1 of at most 0: never overflows
        np.expm1(a, out=a)
        a *= self.alpha  # 0 where z > 0
        a += np.maximum(z, 0)
        return a

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        """Return ``grad_a * where(z > 0, 1, alpha * exp(z))``."""
        z = as_float(z)
        grad_a = as_float(grad_a, z.dtype)
        grad_z = np.minimum(z, 0)
        np.exp(grad_z, out=grad_z)
        grad_z *= self.alpha
        _one_where(z > 0, grad_z)
        grad_z *= grad_a
        return grad_z

    def to_onnx(self, graph: Any, x: str) -> str:
        """float32: ONNX's ``Elu(alpha=alpha)`` (its ``exp(z) - 1`` is within a float32 eps of ``expm1``).
        float64: ``alpha * expm1(Min(x, 0)) + Max(x, 0)`` as :meth:`forward` computes it, with ``expm1``
        composed from ``Exp``, ``Log``, ``Sub``, ``Mul``, ``Div``, ``Equal`` and ``Where`` after Kahan, so
        that small ``|z|`` keep their relative precision."""
        if graph.dtype != np.float64:
            return str(graph.node("Elu", [x], alpha=self.alpha))
        zero = graph.constant(0.0)
        negative = _onnx.expm1(graph, graph.node("Min", [x, zero]))
        scaled = graph.node("Mul", [negative, graph.constant(self.alpha)])
        return str(graph.node("Add", [scaled, graph.node("Max", [x, zero])]))


class GELU(tools.HyperparametersMixin):
    """Gaussian error linear unit: ``a = z * Phi(z)``, with ``Phi`` the standard normal distribution function.

    ``approximate="none"`` computes ``Phi(z) = erfc(-z / sqrt(2)) / 2`` with an
    erfc accurate to a few float64 ulps (NumPy has none; see the README), so
    the left tail has no cancellation; the derivative is ``Phi(z) + z * phi(z)``,
    ``phi(z) = exp(-z**2 / 2) / sqrt(2 pi)``. float32 inputs are computed in
    float64 and rounded once.

    ``approximate="tanh"`` is PyTorch's formula
    ``0.5 * z * (1 + tanh(sqrt(2/pi) * (z + 0.044715 * z**3)))``, computed in the
    dtype of ``z``; inside ``tanh``, ``z`` is clipped to [-10, 10], where ``tanh``
    is already exactly +-1 (from ``|z| = 7.3`` on), so that ``z**3`` cannot overflow.

    Parameters
    ----------
    approximate : {"none", "tanh"}, default "none"

    PyTorch: ``torch.nn.GELU(approximate=approximate)``.
    """

    name = "gelu"
    hyperparameters = {
        "approximate": OneOf(
            ("none", "tanh"),
            advice="'none' is the exact GELU (with erf), 'tanh' PyTorch's tanh approximation",
        )
    }

    def __init__(self, approximate: str = "none") -> None:
        self.approximate = tools.check_hyperparameters(self.name, self.hyperparameters, locals())["approximate"]

    def forward(self, z: np.ndarray) -> np.ndarray:
        """Return ``z * Phi(z)`` (exact) or its tanh approximation."""
        z = as_float(z)
        if self.approximate == "tanh":
            t = self._tanh_inner(z)
            t += 1
            t *= z
            t *= 0.5
            return t
        a = normal_cdf(z)
        a *= z
        return a.astype(z.dtype, copy=False)

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        """Return ``grad_a * (Phi(z) + z * phi(z))``, or the derivative of the tanh approximation."""
        z = as_float(z)
        grad_a = as_float(grad_a, z.dtype)
        if self.approximate == "tanh":
            # d/dz: 0.5 * (1 + t) + 0.5 * z * (1 - t**2) * sqrt(2/pi) * (1 + 3 * 0.044715 * z**2)
            clipped = np.clip(z, -_TANH_CLIP, _TANH_CLIP)
            t = self._tanh_inner(z)
            inner = np.square(clipped)
            inner *= 3 * _TANH_KAPPA
            inner += 1
            inner *= _TANH_BETA
            grad_z = np.square(t)
            np.subtract(1, grad_z, out=grad_z)
            grad_z *= inner
            grad_z *= z
            t += 1
            grad_z += t
            grad_z *= 0.5
            grad_z *= grad_a
            return grad_z
        z64 = z.astype(np.float64, copy=False)
        pdf = np.clip(z64, -_PDF_CLIP, _PDF_CLIP)  # phi(z) = 0 from |z| = 38.6 on; z**2 cannot overflow
        np.square(pdf, out=pdf)
        pdf *= -0.5
        np.exp(pdf, out=pdf)
        pdf *= _INV_SQRT_2PI
        pdf *= z64
        pdf += normal_cdf(z64)
        grad_z = pdf.astype(z.dtype, copy=False)
        grad_z *= grad_a
        return grad_z

    def to_onnx(self, graph: Any, x: str) -> str:
        """The nodes of :meth:`forward`, by dtype and form.

        - float32 from opset 20 on: ONNX's ``Gelu(approximate=...)``.
        - float32 below opset 20, ``"none"``: ``Mul(Mul(x, 0.5), Add(Erf(Mul(x, 1 / sqrt(2))), 1))``; in the
          left tail ``1 + erf`` cancels, so the output is within a float32 eps of ``max(|gelu|, 1)``, not of
          ``|gelu|`` (``forward`` computes in float64).
        - float64, ``"none"``: ``Mul(Mul(erfc(Mul(x, -1 / sqrt(2))), 0.5), x)``, with fdlibm's ``erfc``
          composed from elementary operators (ONNX Runtime has no float64 ``Erf``; see
          ``npnet_modern_activations._erf.erfc_onnx``), within a few ulps of :meth:`forward`.
        - ``"tanh"`` (both dtypes below opset 20): ``Clip``, ``Mul``, ``Add`` and ``Tanh`` in the steps of
          :meth:`forward`.
        """
        if graph.dtype != np.float64 and graph.opset >= 20:
            return str(graph.node("Gelu", [x], approximate=self.approximate))
        half = graph.constant(0.5)
        if self.approximate == "tanh":
            t = graph.node("Clip", [x, graph.constant(-_TANH_CLIP), graph.constant(_TANH_CLIP)])
            cube = graph.node("Mul", [graph.node("Mul", [graph.node("Mul", [t, t]), t]), graph.constant(_TANH_KAPPA)])
            t = graph.node("Tanh", [graph.node("Mul", [graph.node("Add", [t, cube]), graph.constant(_TANH_BETA)])])
            return str(graph.node("Mul", [graph.node("Mul", [graph.node("Add", [t, graph.constant(1.0)]), x]), half]))
        if graph.dtype != np.float64:
            erf = graph.node("Erf", [graph.node("Mul", [x, graph.constant(SQRT1_2)])])
            return str(graph.node("Mul", [graph.node("Mul", [x, half]), graph.node("Add", [erf, graph.constant(1.0)])]))
        cdf = graph.node("Mul", [erfc_onnx(graph, graph.node("Mul", [x, graph.constant(-SQRT1_2)])), half])
        return str(graph.node("Mul", [cdf, x]))

    @staticmethod
    def _tanh_inner(z: np.ndarray) -> np.ndarray:
        """``tanh(sqrt(2/pi) * (z + 0.044715 * z**3))`` with ``z`` clipped to [-10, 10], in a new array."""
        t = np.clip(z, -_TANH_CLIP, _TANH_CLIP)
        cube = np.square(t)
        cube *= t
        cube *= _TANH_KAPPA
        t += cube
        t *= _TANH_BETA
        np.tanh(t, out=t)
        return t


class SiLU(Stateless):
    """Sigmoid linear unit (swish): ``a = z * sigmoid(z)``.

    The derivative is ``sigmoid(z) * (1 + z * (1 - sigmoid(z)))``. The sigmoid
    is computed from ``exp(-|z|)``, so no ``z`` overflows.

    PyTorch: ``torch.nn.SiLU()``.
    """

    name = "silu"

    def forward(self, z: np.ndarray) -> np.ndarray:
        """Return ``z * sigmoid(z)``."""
        z = as_float(z)
        a = _sigmoid(z)
        a *= z
        return a

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        """Return ``grad_a * sigmoid(z) * (1 + z * (1 - sigmoid(z)))``."""
        z = as_float(z)
        grad_a = as_float(grad_a, z.dtype)
        s = _sigmoid(z)
        grad_z = np.subtract(1, s)
        grad_z *= z
        grad_z += 1
        grad_z *= s
        grad_z *= grad_a
        return grad_z

    def to_onnx(self, graph: Any, x: str) -> str:
        """``Mul(sigmoid(x), x)`` with the sigmoid of :meth:`forward` (``Exp(Neg(Abs(x)))``,
        ``GreaterOrEqual``, ``Cast``, ``Max``, ``Add``, ``Div``), in both dtypes.

        Not ONNX's ``Sigmoid``: ONNX Runtime's is within an eps of 1 but not of
        its small values (off by 7e-8 at ``z = -18`` in float32), an error that
        ``z *`` multiplies.
        """
        return str(graph.node("Mul", [_onnx.sigmoid(graph, x), x]))


class Softplus(tools.HyperparametersMixin):
    """Softplus: ``a = log(1 + exp(beta * z)) / beta``, and ``a = z`` where ``beta * z > threshold``.

    As PyTorch, the function reverts to the identity above the threshold
    (derivative 1 there, ``sigmoid(beta * z)`` elsewhere). ``log(1 + exp(x))``
    is computed as ``max(x, 0) + log1p(exp(-|x|))``, finite for every ``x``.

    Parameters
    ----------
    beta : float > 0, default 1.0
        Larger values bring softplus closer to ReLU.
    threshold : float > 0, default 20.0
        Where ``beta * z`` exceeds it, the output is ``z``.

    PyTorch: ``torch.nn.Softplus(beta, threshold)``.
    """

    name = "softplus"
    hyperparameters = {"beta": tools.Positive(usual=1.0), "threshold": tools.Positive(usual=20.0)}

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        config = tools.check_hyperparameters(self.name, self.hyperparameters, locals())
        self.beta, self.threshold = config["beta"], config["threshold"]

    def forward(self, z: np.ndarray) -> np.ndarray:
        """Return ``log1p(exp(beta * z)) / beta``, or ``z`` where ``beta * z > threshold``."""
        z = as_float(z)
        bz = np.multiply(z, self.beta)
        a = np.abs(bz)
        np.negative(a, out=a)
        np.exp(a, out=a)
        np.log1p(a, out=a)
        a += np.maximum(bz, 0)
        a /= self.beta
        linear = bz > self.threshold
        if linear.any():
            np.copyto(a, z, where=linear)
        return a

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        """Return ``grad_a * sigmoid(beta * z)``, or ``grad_a`` where ``beta * z > threshold``."""
        z = as_float(z)
        grad_a = as_float(grad_a, z.dtype)
        bz = np.multiply(z, self.beta)
        grad_z = _sigmoid(bz)
        linear = bz > self.threshold
        if linear.any():
            grad_z[linear] = 1
        grad_z *= grad_a
        return grad_z

    def to_onnx(self, graph: Any, x: str) -> str:
        """``Where(Greater(beta * x, threshold), x, softplus(beta * x) / beta)``.

        float32: ``softplus`` is ONNX's ``Softplus``. float64 (ONNX Runtime has no
        float64 ``Softplus``): ``log1p(Exp(Neg(Abs(bx)))) + Max(bx, 0)`` as
        :meth:`forward` computes it, with ``log1p`` composed from ``Add``,
        ``Log``, ``Sub``, ``Div``, ``Mul``, ``Equal`` and ``Where``, so that
        small outputs keep their relative precision.
        """
        beta = graph.constant(self.beta)
        bz = graph.node("Mul", [x, beta])
        if graph.dtype != np.float64:
            a = graph.node("Softplus", [bz])
        else:
            e = graph.node("Exp", [graph.node("Neg", [graph.node("Abs", [bz])])])
            a = graph.node("Add", [_onnx.log1p(graph, e), graph.node("Max", [bz, graph.constant(0.0)])])
        a = graph.node("Div", [a, beta])
        return str(graph.node("Where", [graph.node("Greater", [bz, graph.constant(self.threshold)]), x, a]))
