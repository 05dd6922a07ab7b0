"""Export a network to ONNX, so that ONNX Runtime (or any ONNX runtime) predicts with it without npnet.

Needs the ``onnx`` package (``pip install npnet-core[onnx]``), imported on the
first export, never with ``npnet_core``. The core writes what it owns: the
input, each layer's ``MatMul`` and ``Add``, the outputs and the labels. Each
activation writes its own nodes through its optional ``to_onnx(graph, x)``
method (see :class:`npnet_core.protocols.Activation`), given an
:class:`OnnxGraph`, so that a plugin exports without importing ``onnx``.
Regularizers act only in training and export as nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Set, Union

import numpy as np

from ._version import __version__
from .errors import ExportError, InvalidParameterError

if TYPE_CHECKING:  # pragma: no cover
    from .network import NeuralNetwork

__all__ = ["DEFAULT_OPSET", "INPUT", "LABELS", "MIN_OPSET", "OUTPUT", "OnnxGraph", "check_opset", "to_onnx"]

#: the opset an export targets unless told: ONNX Runtime 1.14 (2023) and later run it
DEFAULT_OPSET = 17
#: the lowest opset an export targets: Softmax over one axis and ReduceSum's axes as an input need 13
MIN_OPSET = 13
#: the names of the graph's input and outputs
INPUT, OUTPUT, LABELS = "input", "output", "label"

_ONNX_TYPES = {np.dtype(np.float32): 1, np.dtype(np.float64): 11}  # TensorProto.FLOAT, TensorProto.DOUBLE
_OP_TYPE = re.compile(r"[A-Z][A-Za-z0-9]*\Z")


def _import_onnx() -> Any:
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            f"exporting to ONNX needs the onnx package, which could not be imported ({exc}); "
            "pip install npnet-core[onnx]"
        ) from exc
    return onnx


class OnnxGraph:
    """The ONNX graph an export builds, as an activation's ``to_onnx(graph, x)`` sees it.

    An activation adds the nodes that compute its output from the tensor named
    ``x`` (shape ``(batch, units)``, of :attr:`dtype`) with :meth:`node` and
    :meth:`constant`, and returns the name of the output tensor. It may choose
    its nodes by :attr:`dtype` and :attr:`opset` (ONNX Runtime has float64
    kernels for fewer operators than float32 ones). Names are made unique by
    the graph; operators are checked against the opset as they are added.
    """

    def __init__(self, dtype: Any, opset: int) -> None:
        self.dtype = np.dtype(dtype)
        self.opset = opset
        self._onnx = _import_onnx()
        self._nodes: List[Any] = []
        self._initializers: List[Any] = []
        self._names: Set[str] = set()
        #: the graph outputs' names, given to the last nodes only
        self._reserved = {OUTPUT, LABELS}
        self._count = 0

    def declare(self, name: str) -> str:
        """Make ``name`` a tensor of the graph (the core does it for the input)."""
        self._names.add(name)
        return name

    def _fresh(self, prefix: str) -> str:
        """A name of no tensor yet: ``prefix_N``."""
        while True:
            self._count += 1
            name = f"{prefix}_{self._count}"
            if name not in self._names and name not in self._reserved:
                return name

    def node(self, op_type: str, inputs: Sequence[str], **attributes: Any) -> str:
        """Add a node of the standard ONNX domain with one output; return the output's name.

        ``inputs`` are names returned by earlier calls (or ``x``); ``attributes``
        are the operator's (``axis=1``, ``alpha=0.01``, ``to=...``).
        """
        if not isinstance(op_type, str) or not _OP_TYPE.match(op_type):
            raise ExportError(f"an ONNX operator is named like 'Relu' or 'MatMul' (got {op_type!r})")
        try:
            self._onnx.defs.get_schema(op_type, self.opset, "")
        except Exception:  # onnx raises SchemaError, a C++ exception type, for an unknown operator
            raise ExportError(
                f"ONNX has no operator {op_type!r} at opset {self.opset}; see https://onnx.ai/onnx/operators/"
            ) from None
        unknown = [name for name in inputs if name not in self._names and name != ""]  # "": an omitted optional input
        if unknown:
            raise ExportError(
                f"the {op_type} node's inputs {unknown} are not tensors of this graph; use the names node() and "
                "constant() returned, or x"
            )
        output = self.declare(self._fresh(op_type.lower()))
        self._nodes.append(self._onnx.helper.make_node(op_type, list(inputs), [output], name=output, **attributes))
        return output

    def constant(self, value: Any, dtype: Any = None, name: Optional[str] = None) -> str:
        """Add a constant tensor (of :attr:`dtype` unless told) and return its name."""
        array = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        if name is None or name in self._names or name in self._reserved:
            name = self._fresh("const")
        self.declare(name)
        self._initializers.append(self._onnx.numpy_helper.from_array(array, name))
        return name

    def tensor_type(self, dtype: Any = None) -> int:
        """The ONNX element type of ``dtype`` (default :attr:`dtype`), for ``Cast``'s ``to``."""
        return int(self._onnx.helper.np_dtype_to_tensor_dtype(np.dtype(self.dtype if dtype is None else dtype)))

    def model(self, inputs: List[Any], outputs: List[Any], metadata: Dict[str, str]) -> Any:
        """The model of the nodes added, with these input and output value infos."""
        helper = self._onnx.helper
        graph = helper.make_graph(self._nodes, "npnet", inputs, outputs, initializer=self._initializers)
        model = helper.make_model_gen_version(  # the IR version of the opset, not the newest: older runtimes load it
            graph,
            opset_imports=[helper.make_opsetid("", self.opset)],
            producer_name="npnet",
            producer_version=__version__,
        )
        helper.set_model_props(model, metadata)
        return model


def check_opset(opset: Any) -> int:
    """``opset`` as an int between :data:`MIN_OPSET` and the newest the installed onnx knows."""
    newest = int(_import_onnx().defs.onnx_opset_version())
    if opset is None:
        return min(DEFAULT_OPSET, newest)
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)) or not MIN_OPSET <= opset <= newest:
        raise InvalidParameterError(
            f"opset must be an integer from {MIN_OPSET} to {newest}, the newest the installed onnx knows "
            f"(got {opset!r})"
        )
    return int(opset)


def _described(spec: Any) -> str:
    if spec is None:
        return "given as an object"
    return f"from {spec.distribution or 'an unnamed plugin'}"


def _activation_nodes(net: "NeuralNetwork", graph: OnnxGraph, layer: int, x: str) -> str:
    activation = net._activation(layer)
    spec = net._activation_spec(layer)
    name = getattr(activation, "name", type(activation).__name__)
    where = f"the activation {name!r} of layer {layer + 1} ({_described(spec)})"
    export = getattr(activation, "to_onnx", None)
    if not callable(export):
        raise ExportError(
            f"{where} cannot be exported to ONNX: it has no to_onnx(graph, x) method. Ask its authors for one, or "
            "see 'Deploying' in npnet's documentation for how a plugin adds it"
        )
    try:
        output = export(graph, x)
    except ExportError as exc:
        raise ExportError(f"{where}: {exc}") from exc
    except (Exception, SystemExit) as exc:  # a plugin's bug: named, never a bare traceback or an exit
        raise ExportError(f"{where}: to_onnx raised {type(exc).__name__}: {exc}") from exc
    if not isinstance(output, str) or output not in graph._names:
        raise ExportError(f"{where}: to_onnx must return the name of its output tensor, not {output!r}")
    return output


def _metadata(net: "NeuralNetwork") -> Dict[str, str]:
    components: Dict[str, Any] = {}
    for role, spec in net.component_specs.items():
        specs = spec if isinstance(spec, list) else [spec]
        described = [
            None if each is None else {"name": each.name, "distribution": each.distribution, "version": each.version}
            for each in specs
        ]
        components[role] = described if isinstance(spec, list) else described[0]
    return {
        "npnet_version": __version__,
        "layers": json.dumps(net.layers),
        "dtype": net.dtype.name,
        "components": json.dumps(components, sort_keys=True),
    }


def to_onnx(
    net: "NeuralNetwork",
    path: Union[str, Path, None] = None,
    *,
    opset: Optional[int] = None,
    labels: bool = False,
) -> Any:
    """Export ``net`` to an ONNX model; write it to ``path`` if given; return the ``onnx.ModelProto``.

    The model's input ``"input"`` is ``(batch, n_features)`` of the network's
    dtype with a symbolic batch dimension. Its output ``"output"`` is what
    ``predict`` returns; with ``labels``, a second output ``"label"`` (int64)
    is what ``predict(labels=True)`` returns. The model is checked with
    ``onnx.checker.check_model(full_check=True)`` before it is written.
    Raises :class:`~npnet_core.errors.ExportError` naming an activation that
    cannot export.
    """
    onnx = _import_onnx()
    graph = OnnxGraph(net.dtype, check_opset(opset))
    helper = onnx.helper
    element = graph.tensor_type()
    a = graph.declare(INPUT)
    for layer, (w, b) in enumerate(zip(net.weights, net.biases)):
        weight = graph.constant(w, name=f"W{layer + 1}")
        bias = graph.constant(b.reshape(-1), name=f"b{layer + 1}")
        z = graph.node("Add", [graph.node("MatMul", [a, weight]), bias])
        a = _activation_nodes(net, graph, layer, z)
    _name(graph, a, OUTPUT)
    outputs = [helper.make_tensor_value_info(OUTPUT, element, ["batch", net.layers[-1]])]
    if labels:
        outputs.append(_label_nodes(net, graph, a))
    model = graph.model(
        [helper.make_tensor_value_info(INPUT, element, ["batch", net.layers[0]])], outputs, _metadata(net)
    )
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as exc:  # onnx's ValidationError and shape-inference errors
        raise ExportError(f"the exported model is not valid ONNX: {exc}") from exc
    if path is not None:
        from ._files import atomic_write

        data = model.SerializeToString()
        atomic_write(Path(path), lambda handle: handle.write(data), "ONNX model")
    return model


def _name(graph: OnnxGraph, tensor: str, name: str) -> None:
    """Make ``tensor`` available as the graph output ``name``."""
    graph._nodes.append(graph._onnx.helper.make_node("Identity", [tensor], [name], name=name))


def _label_nodes(net: "NeuralNetwork", graph: OnnxGraph, output: str) -> Any:
    """Add the nodes of ``predict(labels=True)``: argmax per row, or each output above 0.5 as 0/1."""
    helper = graph._onnx.helper
    int64 = graph.tensor_type(np.int64)
    if net._thresholded:
        above = graph.node("Greater", [output, graph.constant(0.5)])
        label = graph.node("Cast", [above], to=int64)
        if net.layers[-1] == 1:
            label = graph.node("Squeeze", [label, graph.constant([1], dtype=np.int64)])
        shape: List[Any] = ["batch"] if net.layers[-1] == 1 else ["batch", net.layers[-1]]
    else:
        label = graph.node("ArgMax", [output], axis=1, keepdims=0)
        shape = ["batch"]
    _name(graph, label, LABELS)
    return helper.make_tensor_value_info(LABELS, int64, shape)
