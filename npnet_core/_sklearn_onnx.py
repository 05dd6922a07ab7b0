"""skl2onnx converters for :class:`~npnet_core.sklearn.NPNetClassifier` and :class:`~npnet_core.sklearn.NPNetRegressor`.

:func:`npnet_core.sklearn.register_onnx_converters` registers them with
skl2onnx, so that ``skl2onnx.to_onnx`` converts a scikit-learn pipeline that
ends in (or holds) an npnet estimator. Each converter inlines the model of
``est.network_.to_onnx(labels=True)`` into skl2onnx's graph: every initializer
and node copied under a name of skl2onnx's scope, the network's input fed from
the operator's input (cast to the network's dtype if the pipeline's is
another), and its outputs mapped to what skl2onnx's MLPClassifier and
MLPRegressor converters give:

- a classifier's ``label`` (``classes_`` gathered by the network's label
  index; for multi-label targets the 0/1 matrix, int64) and ``probabilities``
  (``predict_proba``: for two classes ``[1 - p, p]`` from the one sigmoid
  unit), in the pipeline's float type; skl2onnx's parser adds the ZipMap of
  the ``zipmap`` option;
- a regressor's ``variable``, ``(batch, n_outputs)`` in the pipeline's float
  type.

skl2onnx and onnx are imported by :func:`register`, never with this module.
"""

from __future__ import annotations

from typing import Any, Dict, List

import numpy as np

from .errors import ExportError

#: the aliases the estimators are registered under in skl2onnx (library name, then the model's)
CLASSIFIER_ALIAS, REGRESSOR_ALIAS = "NpnetNPNetClassifier", "NpnetNPNetRegressor"
#: the options of the classifier's converter, as skl2onnx's MLPClassifier's
CLASSIFIER_OPTIONS = {"zipmap": [True, False, "columns"], "output_class_labels": [False, True], "nocl": [True, False]}


def _import_skl2onnx() -> Any:
    try:
        import onnx  # noqa: F401  (the network's export needs it)
        import skl2onnx  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError as exc:
        raise ImportError(
            "converting npnet's scikit-learn estimators to ONNX needs skl2onnx and onnx, which could not be "
            f"imported ({exc}); pip install npnet-core[onnx] skl2onnx"
        ) from exc
    return skl2onnx


def register() -> None:
    """Register the converters of both estimators with skl2onnx (see ``register_onnx_converters``)."""
    skl2onnx = _import_skl2onnx()
    from .sklearn import NPNetClassifier, NPNetRegressor

    skl2onnx.update_registered_converter(
        NPNetClassifier, CLASSIFIER_ALIAS, _classifier_shapes, _convert_classifier, options=CLASSIFIER_OPTIONS
    )
    skl2onnx.update_registered_converter(NPNetRegressor, REGRESSOR_ALIAS, _regressor_shapes, _convert_regressor)


# -- shapes ----------------------------------------------------------------------------------


def _float_type(input_type: Any) -> Any:
    """The tensor type of the outputs: the input's float type, float32 for other inputs (as skl2onnx does)."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType  # type: ignore[import-untyped, import-not-found, unused-ignore]

    return DoubleTensorType if isinstance(input_type, DoubleTensorType) else FloatTensorType


def _check_input(operator: Any) -> None:
    from skl2onnx.common.data_types import (  # type: ignore[import-untyped, import-not-found, unused-ignore]
        BooleanTensorType,
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
    )
    from skl2onnx.common.utils import check_input_and_output_types  # type: ignore[import-untyped, import-not-found, unused-ignore]

    good = [BooleanTensorType, DoubleTensorType, FloatTensorType, Int64TensorType]
    check_input_and_output_types(operator, good_input_types=good)


def _multilabel(est: Any) -> bool:
    """Whether the classifier was fitted on a multi-label indicator matrix: sigmoid units, more than one."""
    return bool(est.out_activation_ == "sigmoid" and est.n_outputs_ > 1)


def _classes(est: Any, nocl: bool) -> np.ndarray:
    """``classes_`` as an ONNX label tensor holds them: int64, or UTF-8 strings; the indices with ``nocl``."""
    classes = np.asarray(est.classes_)
    if nocl:
        return np.arange(len(classes), dtype=np.int64)
    if classes.dtype == np.bool_ or np.issubdtype(classes.dtype, np.integer):
        return classes.astype(np.int64)
    if np.issubdtype(classes.dtype, np.floating):
        if np.all(classes == np.round(classes)) and np.all(np.abs(classes) < 2**53):
            return classes.astype(np.int64)  # 0.0 and 1.0 are the labels 0 and 1, as skl2onnx's classifiers
        raise ExportError(
            f"{type(est).__name__}'s classes_ {classes.tolist()!r} are floats that are not whole numbers; an "
            "ONNX classifier's labels are int64 or strings: fit it on integer or string labels, or convert "
            "with options={id(estimator): {'nocl': True}} to get the class indices"
        )
    if classes.dtype.kind in "USO" and all(isinstance(label, str) for label in classes.tolist()):
        return np.array([label.encode("utf-8") for label in classes.tolist()], dtype=object)
    raise ExportError(
        f"{type(est).__name__}'s classes_ {classes.tolist()!r} are of dtype {classes.dtype}; an ONNX "
        "classifier's labels are int64 or strings: fit it on integer or string labels"
    )


def _classifier_shapes(operator: Any) -> None:
    """The label (N,), or (N, n_labels) for multi-label targets, and the probabilities (N, n_classes)."""
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType  # type: ignore[import-untyped, import-not-found, unused-ignore]
    from skl2onnx.common.utils import check_input_and_output_numbers  # type: ignore[import-untyped, import-not-found, unused-ignore]

    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    _check_input(operator)
    est = operator.raw_operator
    nocl = bool(operator.scope_inst.get_options(est, {"nocl": False})["nocl"])
    classes = _classes(est, nocl)
    n = operator.inputs[0].get_first_dimension()
    if _multilabel(est):
        operator.outputs[0].set_type(Int64TensorType(shape=[n, est.n_outputs_]))
    elif classes.dtype == object:
        operator.outputs[0].set_type(StringTensorType(shape=[n]))
    else:
        operator.outputs[0].set_type(Int64TensorType(shape=[n]))
    operator.outputs[1].set_type(_float_type(operator.inputs[0].type)(shape=[n, len(est.classes_)]))


def _regressor_shapes(operator: Any) -> None:
    """The predictions, (N, n_outputs) (skl2onnx's regressors give (N, 1) for one target, as here)."""
    from skl2onnx.common.utils import check_input_and_output_numbers  # type: ignore[import-untyped, import-not-found, unused-ignore]

    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    _check_input(operator)
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = _float_type(operator.inputs[0].type)([n, operator.raw_operator.n_outputs_])


# -- conversion ------------------------------------------------------------------------------


def _element_type(variable_type: Any) -> int:
    from skl2onnx.common.data_types import guess_proto_type  # type: ignore[import-untyped, import-not-found, unused-ignore]

    return int(guess_proto_type(variable_type))


def _inline(scope: Any, operator: Any, container: Any, network: Any, *, labels: bool) -> Dict[str, str]:
    """Copy ``network.to_onnx(labels=labels)`` into the container; return its outputs' names in the container.

    The result maps ``"output"`` (the network's dtype) and, with ``labels``,
    ``"label"`` (int64) to the names their values have in skl2onnx's graph.
    """
    import onnx

    from . import export

    target = container.target_opset
    if target is not None and target < export.MIN_OPSET:
        raise ExportError(
            f"an npnet network exports to ONNX opset {export.MIN_OPSET} or later, and skl2onnx was asked for "
            f"target_opset={target}: convert with target_opset={export.MIN_OPSET} or more"
        )
    model = network.to_onnx(opset=target, labels=labels)
    graph = model.graph
    element = onnx.helper.np_dtype_to_tensor_dtype(network.dtype)
    source = operator.inputs[0]
    names: Dict[str, str] = {}
    if _element_type(source.type) == element:
        names[export.INPUT] = source.full_name
    else:  # a float32 pipeline feeding a float64 network, or the other way: the network computes in its dtype
        names[export.INPUT] = scope.get_unique_variable_name("npnet_input")
        container.add_node(
            "Cast",
            [source.full_name],
            [names[export.INPUT]],
            name=scope.get_unique_operator_name("NpnetCast"),
            to=element,
        )
    for tensor in graph.initializer:
        names[tensor.name] = scope.get_unique_variable_name(f"npnet_{tensor.name}")
        copied = onnx.numpy_helper.from_array(onnx.numpy_helper.to_array(tensor), names[tensor.name])
        container.add_initializer(names[tensor.name], copied.data_type, list(copied.dims), copied)
    for node in graph.node:
        if node.domain not in ("", "ai.onnx"):
            raise ExportError(f"the network's {node.op_type} node is of the domain {node.domain!r}, not ONNX's")
        attributes = {}
        for attribute in node.attribute:
            if attribute.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
                raise ExportError(
                    f"the network's {node.op_type} node has a subgraph; the skl2onnx converter copies nodes "
                    "without subgraphs only"
                )
            attributes[attribute.name] = onnx.helper.get_attribute_value(attribute)
        inputs = [names[name] if name else "" for name in node.input]
        outputs: List[str] = []
        for name in node.output:
            names[name] = scope.get_unique_variable_name(f"npnet_{name}")
            outputs.append(names[name])
        container.add_node(
            node.op_type, inputs, outputs, name=scope.get_unique_operator_name(f"Npnet{node.op_type}"), **attributes
        )
    return {output.name: names[output.name] for output in graph.output}


def _to_output(scope: Any, container: Any, tensor: str, output: Any, network_type: int) -> None:
    """Make ``tensor`` (of ``network_type``) the operator output ``output``, cast to its element type."""
    wanted = _element_type(output.type)
    op_type, attributes = ("Identity", {}) if wanted == network_type else ("Cast", {"to": wanted})
    container.add_node(
        op_type, [tensor], [output.full_name], name=scope.get_unique_operator_name(f"Npnet{op_type}"), **attributes
    )


def _convert_classifier(scope: Any, operator: Any, container: Any) -> None:
    import onnx

    est = operator.raw_operator
    network = est.network_
    element = int(onnx.helper.np_dtype_to_tensor_dtype(network.dtype))
    outputs = _inline(scope, operator, container, network, labels=True)
    label, probabilities = operator.outputs[0], operator.outputs[1]

    proba = outputs["output"]
    if est.n_outputs_ == 1:  # one sigmoid unit p, the probability of classes_[1]: [1 - p, p]
        one = scope.get_unique_variable_name("npnet_one")
        container.add_initializer(one, element, [1, 1], onnx.numpy_helper.from_array(np.ones((1, 1), network.dtype)))
        negative = scope.get_unique_variable_name("npnet_negative_proba")
        container.add_node("Sub", [one, proba], [negative], name=scope.get_unique_operator_name("NpnetSub"))
        proba = scope.get_unique_variable_name("npnet_probabilities")
        container.add_node(
            "Concat", [negative, outputs["output"]], [proba], name=scope.get_unique_operator_name("NpnetConcat"), axis=1
        )
    _to_output(scope, container, proba, probabilities, element)

    if _multilabel(est):  # the network's label is already the 0/1 matrix (int64)
        container.add_node(
            "Identity", [outputs["label"]], [label.full_name], name=scope.get_unique_operator_name("NpnetIdentity")
        )
        return
    nocl = bool(container.get_options(est, {"nocl": False})["nocl"])
    classes = _classes(est, nocl)
    name = scope.get_unique_variable_name("npnet_classes")
    if classes.dtype == object:
        container.add_initializer(name, onnx.TensorProto.STRING, [len(classes)], classes.tolist())
    else:
        container.add_initializer(name, onnx.TensorProto.INT64, [len(classes)], onnx.numpy_helper.from_array(classes))
    container.add_node(
        "Gather",
        [name, outputs["label"]],
        [label.full_name],
        name=scope.get_unique_operator_name("NpnetGather"),
        axis=0,
    )


def _convert_regressor(scope: Any, operator: Any, container: Any) -> None:
    import onnx

    network = operator.raw_operator.network_
    outputs = _inline(scope, operator, container, network, labels=False)
    element = int(onnx.helper.np_dtype_to_tensor_dtype(network.dtype))
    _to_output(scope, container, outputs["output"], operator.outputs[0], element)
