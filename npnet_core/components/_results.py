"""What a component returned, checked once per ``fit`` on its first batch.

NumPy silently broadcasts an optimizer's update of shape ``(1,)`` into every
parameter and truncates an integer one; an activation or a loss of the wrong
shape fails later with an error that names no one. These checks (cheap: a
shape and a dtype) turn such a result into an
:class:`~npnet_core.errors.InvalidComponentError` naming the component, the
distribution that provides it, and the shape and dtype expected and received.

The rule for dtypes is the harm they do: a result must be a floating array at
least as precise as the input (float64 for float32 inputs is accepted, as the
article's functions give; float32 for float64 inputs, float16 or integers are
refused). The contract suite (``check_update_shape_and_dtype``,
``check_dtype_preserved``) holds components to the exact dtype.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

import numpy as np

from ..errors import InvalidComponentError
from ._registry import ComponentSpec

__all__ = [
    "check_activation_result",
    "check_loss_result",
    "check_output_gradient_result",
    "check_update_result",
]


def _who(kind: str, component: Any, spec: Optional[ComponentSpec]) -> Tuple[str, str]:
    """``("the optimizer 'adam' (npnet-adam 0.1.0)", what to do)`` for a message."""
    name = getattr(component, "name", None)
    name = name if isinstance(name, str) and name else type(component).__name__
    if spec is not None and spec.distribution:
        provider = f"{spec.distribution} {spec.version}" if spec.version else spec.distribution
        advice = (
            f"it is a fault of {spec.distribution}: check it with `npnet check {spec.name}`, report it to its "
            f"authors, or use another {kind}"
        )
        return f"the {kind} {name!r} ({provider})", advice
    cls = type(component)
    where = f"an object of class {cls.__module__}.{cls.__qualname__}"
    advice = f"fix the {kind} (npnet_core.testing's contract suite shows what else it breaks) or use another one"
    return f"the {kind} {name!r} ({where})", advice


def _check(
    who: Tuple[str, str],
    method: str,
    result: Any,
    expected_shape: Tuple[int, ...],
    dtype: np.dtype,
    given: str,
) -> None:
    """Raise unless ``result`` is a floating ndarray of ``expected_shape`` at least as precise as ``dtype``."""
    component, advice = who
    expected = f"expected an ndarray of shape {expected_shape} and dtype {dtype}"
    if not isinstance(result, np.ndarray):
        raise InvalidComponentError(
            f"{component}: {method} returned {type(result).__name__} {_shown(result)} for {given}; {expected}; {advice}"
        )
    wrong_shape = result.shape != expected_shape
    wrong_dtype = result.dtype.kind != "f" or not np.can_cast(dtype, result.dtype, "safe")
    if not (wrong_shape or wrong_dtype):
        return
    harm = []
    if wrong_shape:
        harm.append("NumPy would broadcast it" if result.size == 1 else "it does not fit")
    if wrong_dtype:
        harm.append("its values would be truncated" if result.dtype.kind in "biu" else "precision would be lost")
    raise InvalidComponentError(
        f"{component}: {method} returned an array of shape {result.shape} and dtype {result.dtype} for {given}; "
        f"{expected} ({' and '.join(harm)}); {advice}"
    )


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _given(*arrays: Tuple[str, np.ndarray]) -> str:
    return " and ".join(f"{name} of shape {array.shape} and dtype {array.dtype}" for name, array in arrays)


def check_update_result(optimizer: Any, params: np.ndarray, result: Any, spec: Optional[ComponentSpec] = None) -> None:
    """Raise :class:`InvalidComponentError` unless ``optimizer.update(params, ...)`` returned ``params``'s shape.

    Call it before the result is assigned to the parameters: the assignment
    would broadcast a result of shape ``(1,)`` and truncate an integer one.
    ``spec`` (the network's :class:`ComponentSpec` of its optimizer, None for
    an object) names the distribution in the message.
    """
    _check(
        _who("optimizer", optimizer, spec), "update()", result, params.shape, params.dtype, _given(("params", params))
    )


def check_activation_result(
    activation: Any, method: str, z: np.ndarray, result: Any, spec: Optional[ComponentSpec] = None
) -> None:
    """Raise :class:`InvalidComponentError` unless an activation's ``forward(z)`` or ``backward(z, a, grad_a)``
    (``method``) returned an array of ``z``'s shape, floating and at least as precise as ``z``."""
    _check(_who("activation", activation, spec), f"{method}()", result, z.shape, z.dtype, _given(("z", z)))


def check_loss_result(
    loss: Any, method: str, y_pred: np.ndarray, result: Any, spec: Optional[ComponentSpec] = None
) -> None:
    """Raise :class:`InvalidComponentError` unless a loss's ``forward`` returned one value per sample
    (shape ``(n_samples,)``) or its ``backward`` one gradient per prediction (``y_pred``'s shape),
    floating and at least as precise as ``y_pred``; ``method`` is ``"forward"`` or ``"backward"``."""
    if method not in ("forward", "backward"):
        raise ValueError(f"method must be 'forward' or 'backward' (got {method!r})")
    expected = (y_pred.shape[0],) if method == "forward" else y_pred.shape
    _check(_who("loss", loss, spec), f"{method}()", result, expected, y_pred.dtype, _given(("y_pred", y_pred)))


def check_output_gradient_result(fused: Callable[..., Any], y_pred: np.ndarray, result: Any) -> None:
    """Raise :class:`InvalidComponentError` unless the fused output gradient a plugin gave
    (``npnet_output_gradient``) returned an array of ``y_pred``'s shape, floating and at least as precise."""
    name = f"{getattr(fused, '__module__', None) or '?'}.{getattr(fused, '__qualname__', type(fused).__name__)}"
    who = (
        f"the fused output gradient {name} (given by a plugin's npnet_output_gradient)",
        f"report it to the authors of {name.partition('.')[0]}, or block that plugin with NPNET_BLOCK_PLUGINS",
    )
    _check(who, "it", result, y_pred.shape, y_pred.dtype, _given(("y_pred", y_pred)))
