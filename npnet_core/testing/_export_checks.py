"""The contract check of an activation's optional ONNX export, its ``to_onnx(graph, x)`` method.

The check builds the smallest graph an activation can be part of, an input of
shape ``(batch, units)`` followed by the activation's nodes, exactly as
:func:`npnet_core.export.to_onnx` builds each layer's, runs it in ONNX
Runtime on the inputs the other activation checks use, and compares the result
with ``forward``. It needs the ``onnx`` and ``onnxruntime`` packages, imported
only here, when it runs; without them, or for an activation without
``to_onnx``, there is nothing to check and it passes.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ..errors import ExportError
from ._array_checks import activation_inputs
from ._report import ContractViolation, assert_allclose, violation

__all__ = ["TOLERANCES", "assert_exported_close", "check_onnx_export", "run_exported"]

_CHECK = "check_onnx_export"

#: ONNX Runtime's output must be within ``tolerance * max(|forward|, 1)`` of ``forward``
#: (as ``rtol = atol = tolerance``): a few thousand float64 ulps, the target of npnet's export
#: for a network's predictions, and about 80 float32 ulps. The official activations are within 13 ulps.
TOLERANCES: Dict[Any, float] = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-12}


def _runtime() -> Optional[Tuple[Any, Any]]:
    """``(onnx, onnxruntime)``, or None when either cannot be imported."""
    try:
        import onnx
        import onnxruntime
    except ImportError:
        return None
    return onnx, onnxruntime


def _sweep(dtype: Any) -> np.ndarray:
    """One row of 0 and both signs of 49 magnitudes from 1e-8 to 1e4, so that every branch of a piecewise
    export (a Taylor term near 0, a tail, a threshold) is reached."""
    magnitudes = np.logspace(-8.0, 4.0, 49)
    return np.concatenate([-magnitudes[::-1], [0.0], magnitudes]).reshape(1, -1).astype(dtype)


def _export(component: Any, dtype: Any, onnx: Any) -> Any:
    """The checked model of ``input -> activation`` for ``dtype``, or a ContractViolation saying what failed."""
    from ..export import OnnxGraph, check_opset

    name = np.dtype(dtype).name
    graph = OnnxGraph(dtype, check_opset(None))
    x = graph.declare("input")
    try:
        output = component.to_onnx(graph, x)
        if not isinstance(output, str):
            raise violation(
                component, _CHECK, f"to_onnx on a {name} graph returned {output!r}, not the name of its output tensor"
            )
        output = graph.node("Identity", [output])  # refuses a name that is not a tensor of the graph
    except ExportError as exc:
        raise violation(component, _CHECK, f"to_onnx on a {name} graph (opset {graph.opset}) failed: {exc}") from exc
    except AssertionError:
        raise
    except Exception as exc:
        raise violation(
            component, _CHECK, f"to_onnx on a {name} graph (opset {graph.opset}) raised {type(exc).__name__}: {exc}"
        ) from exc
    helper = onnx.helper
    element = graph.tensor_type()
    model = graph.model(
        [helper.make_tensor_value_info(x, element, ["batch", "units"])],
        [helper.make_tensor_value_info(output, element, ["batch", "units"])],
        {},
    )
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as exc:  # onnx's ValidationError and shape-inference errors
        raise violation(component, _CHECK, f"the {name} graph of to_onnx is not valid ONNX: {exc}") from exc
    return model


def _session(component: Any, model: Any, dtype: Any, onnxruntime: Any) -> Any:
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: a check reports through its exception
    try:
        return onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise violation(
            component,
            _CHECK,
            f"ONNX Runtime (CPUExecutionProvider) cannot run the {np.dtype(dtype).name} graph of to_onnx: {first}; "
            "it has no float64 kernel for some operators (Erf, Elu, Softplus, Gelu among them): choose the nodes "
            "by graph.dtype, composing them from operators it runs in float64",
        ) from exc


def check_onnx_export(component: Any) -> None:
    """An activation's ``to_onnx`` exports its ``forward``: ONNX Runtime's output on the inputs of the other
    activation checks (and a sweep of magnitudes from 1e-8 to 1e4, both signs), in float32 and float64, is
    within 1e-5 (float32) or 1e-12 (float64) times ``max(|forward|, 1)`` of ``forward``. Passes, as not
    applicable, for an activation without ``to_onnx`` or when ``onnx`` or ``onnxruntime`` is not installed."""
    if not callable(getattr(component, "to_onnx", None)):
        return
    runtime = _runtime()
    if runtime is None:
        return
    onnx, onnxruntime = runtime
    for dtype in (np.float32, np.float64):
        tolerance = TOLERANCES[np.dtype(dtype)]
        session = _session(component, _export(component, dtype, onnx), dtype, onnxruntime)
        inputs: List[np.ndarray] = [*activation_inputs(dtype), _sweep(dtype)]
        for z in inputs:
            with np.errstate(all="ignore"):
                expected = np.asarray(component.forward(z.copy()))
            (got,) = session.run(None, {"input": z})
            got = np.asarray(got)
            if got.dtype != expected.dtype:
                raise violation(
                    component,
                    _CHECK,
                    f"ONNX Runtime's output on {np.dtype(dtype).name} inputs is {got.dtype}, forward's {expected.dtype}",
                )
            if got.shape != expected.shape:
                raise violation(
                    component,
                    _CHECK,
                    f"ONNX Runtime's output on {np.dtype(dtype).name} inputs of shape {z.shape} has shape "
                    f"{got.shape}, forward's {expected.shape}",
                )
            same = got == expected  # equal infinities compare equal, not as inf - inf
            got, expected = np.where(same, 0, got), np.where(same, 0, expected)
            try:
                assert_allclose(
                    component,
                    _CHECK,
                    got,
                    expected,
                    rtol=tolerance,
                    atol=tolerance,
                    what=f"ONNX Runtime's output on {np.dtype(dtype).name} inputs of shape {z.shape}",
                    context="compared with forward",
                )
            except ContractViolation as exc:
                if got.shape != z.shape:  # forward's shape is wrong: check_output_shapes says how
                    raise
                where = _worst(got, expected, tolerance)
                raise violation(component, _CHECK, f"{exc.detail}; the input there: {float(z[where])!r}") from None


def _worst(got: np.ndarray, expected: np.ndarray, tolerance: float) -> Tuple[int, ...]:
    """The index where ``got`` is furthest outside the tolerance, as :func:`assert_allclose` finds it."""
    with np.errstate(invalid="ignore", over="ignore"):
        excess = np.abs(got - expected) - tolerance * (1 + np.abs(expected))
    excess = np.where(np.isnan(got) & np.isnan(expected), 0.0, np.where(np.isnan(excess), np.inf, excess))
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(excess)), excess.shape))


# -- for plugin tests: a whole network exported and run --------------------------------------


def run_exported(network: Any, x: np.ndarray, path: Any, opset: Optional[int] = None) -> Tuple[Any, Any, Any]:
    """Export ``network`` with labels to ``path``, check the file, and run it in ONNX Runtime on ``x``.

    Returns ``(outputs, labels, model)``: what the exported ``predict`` and
    ``predict(labels=True)`` give, and the loaded ``onnx.ModelProto``. Needs
    ``onnx`` and ``onnxruntime`` (skip the test without them).
    """
    import onnx
    import onnxruntime

    network.to_onnx(path, opset=opset, labels=True)
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    outputs, labels = session.run(None, {"input": np.asarray(x).astype(network.dtype)})
    return outputs, labels, model


def assert_exported_close(got: np.ndarray, expected: np.ndarray, dtype: Any, scale: Any = 1.0) -> None:
    """``|got - expected| <= tolerance * max(|expected|, scale)`` entry by entry, with :data:`TOLERANCES`'
    tolerance of ``dtype``, and both of that dtype: an exported network's outputs against ``predict``'s."""
    dtype = np.dtype(dtype)
    assert got.dtype == expected.dtype == dtype, (got.dtype, expected.dtype, dtype)
    bound = TOLERANCES[dtype] * np.maximum(np.abs(expected.astype(np.float64)), scale)
    excess = np.abs(got.astype(np.float64) - expected) - bound
    assert np.all(excess <= 0), f"worst at {np.unravel_index(np.argmax(excess), excess.shape)}: {excess.max():.3g}"
