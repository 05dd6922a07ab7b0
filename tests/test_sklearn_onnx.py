"""skl2onnx converters of NPNetClassifier and NPNetRegressor: pipelines converted, run in ONNX Runtime.

The reference is the fitted pipeline's own ``predict`` and ``predict_proba``
(NumPy), and for the shape of what a conversion gives, skl2onnx's converters of
MLPClassifier and MLPRegressor in the same pipeline.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
skl2onnx = pytest.importorskip("skl2onnx")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from npnet_core.datasets import load_digits  # noqa: E402
from npnet_core.errors import ExportError  # noqa: E402
from npnet_core.sklearn import NPNetClassifier, NPNetRegressor, register_onnx_converters  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def converters():
    register_onnx_converters()


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits()
    return x, y


def pipeline(estimator, x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # MLPClassifier, a few epochs
        return Pipeline([("scale", StandardScaler()), ("net", estimator)]).fit(x, y)


def classifier(**params):
    return NPNetClassifier(hidden_layer_sizes=(32,), max_iter=8, random_state=0, **params)


def convert(model, x, **kwargs):
    """The model converted for input like ``x``, at opset 17 unless told: skl2onnx's own default follows
    the newest onnx, which may be newer than the installed onnxruntime runs (1.19, the last for Python 3.9)."""
    kwargs.setdefault("target_opset", 17)
    return skl2onnx.to_onnx(model, x[:1], **kwargs)


def run(onx, x):
    """The outputs of ONNX Runtime, one session on the CPU, by output name."""
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, {session.get_inputs()[0].name: x})))


def from_zipmap(maps, classes):
    """ZipMap's list of {class: probability} as a matrix, columns in the order of ``classes``."""
    return np.array([[row[label] for label in classes] for row in maps])


@pytest.fixture(scope="module")
def digits_pipeline(digits):
    x, y = digits
    return pipeline(classifier(), x, y)


# -- classifiers -----------------------------------------------------------------------------


def test_digits_pipeline_labels_and_zipmap_probabilities_match_predict(digits, digits_pipeline):
    x, _ = digits
    x32 = x.astype(np.float32)
    onx = convert(digits_pipeline, x32)
    out = run(onx, x32)
    assert set(out) == {"output_label", "output_probability"}
    np.testing.assert_array_equal(out["output_label"], digits_pipeline.predict(x))
    proba = from_zipmap(out["output_probability"], digits_pipeline.classes_.tolist())
    np.testing.assert_allclose(proba, digits_pipeline.predict_proba(x), rtol=0, atol=1e-5)


def test_zipmap_false_gives_the_probability_matrix_in_the_pipeline_float_type(digits, digits_pipeline):
    x, _ = digits
    x32 = x.astype(np.float32)
    out = run(convert(digits_pipeline, x32, options={id(digits_pipeline[-1]): {"zipmap": False}}), x32)
    assert set(out) == {"label", "probabilities"}
    assert out["label"].dtype == np.int64 and out["probabilities"].dtype == np.float32
    assert out["probabilities"].shape == (len(x), 10)
    np.testing.assert_array_equal(out["label"], digits_pipeline.predict(x))
    np.testing.assert_allclose(out["probabilities"], digits_pipeline.predict_proba(x), rtol=0, atol=1e-5)


def test_zipmap_columns_gives_one_output_per_class(digits, digits_pipeline):
    x, _ = digits
    x32 = x.astype(np.float32)[:50]
    out = run(convert(digits_pipeline, x32, options={NPNetClassifier: {"zipmap": "columns"}}), x32)
    expected = digits_pipeline.predict_proba(x[:50])
    for i in range(10):
        np.testing.assert_allclose(out[f"i{i}"], expected[:, i], rtol=0, atol=1e-5)


def test_float64_input_computes_as_numpy_does(digits, digits_pipeline):
    """A double input keeps the whole graph in float64: the results agree to rounding."""
    x, _ = digits
    out = run(convert(digits_pipeline, x, options={NPNetClassifier: {"zipmap": False}}), x)
    assert out["probabilities"].dtype == np.float64
    np.testing.assert_array_equal(out["label"], digits_pipeline.predict(x))
    np.testing.assert_allclose(out["probabilities"], digits_pipeline.predict_proba(x), rtol=0, atol=1e-12)


def test_float32_network_is_fed_without_a_cast(digits):
    x, y = digits
    model = pipeline(classifier(dtype="float32"), x, y)
    x32 = x.astype(np.float32)
    onx = convert(model, x32, options={NPNetClassifier: {"zipmap": False}})
    assert "Cast" not in [node.op_type for node in onx.graph.node]
    out = run(onx, x32)
    np.testing.assert_array_equal(out["label"], model.predict(x))
    np.testing.assert_allclose(out["probabilities"], model.predict_proba(x), rtol=0, atol=1e-5)


def test_string_class_labels(digits):
    x, y = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    model = pipeline(classifier(), x, names[y])
    x32 = x.astype(np.float32)
    out = run(convert(model, x32), x32)
    assert out["output_label"].dtype == object
    np.testing.assert_array_equal(out["output_label"], model.predict(x))
    proba = from_zipmap(out["output_probability"], model.classes_.tolist())
    np.testing.assert_allclose(proba, model.predict_proba(x), rtol=0, atol=1e-5)


def test_integer_labels_not_from_zero_are_gathered_from_classes(digits):
    x, y = digits
    model = pipeline(classifier(), x, 3 * y + 10)
    x32 = x.astype(np.float32)
    out = run(convert(model, x32, options={NPNetClassifier: {"zipmap": False}}), x32)
    np.testing.assert_array_equal(out["label"], model.predict(x))
    # nocl: the class indices instead of the labels, as skl2onnx's classifiers give them
    out = run(convert(model, x32, options={NPNetClassifier: {"zipmap": False, "nocl": True}}), x32)
    np.testing.assert_array_equal(out["label"], (model.predict(x) - 10) // 3)


@pytest.mark.parametrize("labels", [(3, 7), ("even", "odd")])
def test_binary_gives_two_probability_columns_from_one_sigmoid_unit(digits, labels):
    x, y = digits
    model = pipeline(classifier(), x, np.where(y % 2 == 0, labels[0], labels[1]))
    assert model[-1].network_.layers[-1] == 1
    x32 = x.astype(np.float32)
    out = run(convert(model, x32, options={NPNetClassifier: {"zipmap": False}}), x32)
    assert out["probabilities"].shape == (len(x), 2)
    np.testing.assert_array_equal(out["label"], model.predict(x))
    np.testing.assert_allclose(out["probabilities"], model.predict_proba(x), rtol=0, atol=1e-5)
    np.testing.assert_allclose(out["probabilities"].sum(axis=1), 1, rtol=0, atol=1e-6)


def test_multilabel_gives_the_0_1_matrix_and_each_label_probability(digits):
    x, y = digits
    targets = np.stack([y % 2, y > 4, y == 0], axis=1).astype(np.int64)
    model = pipeline(classifier(), x, targets)
    x32 = x.astype(np.float32)
    onx = convert(model, x32, options={NPNetClassifier: {"zipmap": False}})
    label_type = onx.graph.output[0].type.tensor_type
    assert label_type.elem_type == onnx.TensorProto.INT64 and label_type.shape.dim[1].dim_value == 3
    out = run(onx, x32)
    np.testing.assert_array_equal(out["label"], model.predict(x))
    np.testing.assert_allclose(out["probabilities"], model.predict_proba(x), rtol=0, atol=1e-5)


# -- regressors ------------------------------------------------------------------------------


def test_regressor_pipeline(digits):
    """A float64 network fed float32: within what float32 input allows; fed float64: to rounding.

    Measured here: max |ONNX - predict| about 6e-7 with float32 input (targets 0..9),
    about 4e-15 with float64 input.
    """
    x, y = digits
    model = pipeline(NPNetRegressor(hidden_layer_sizes=(32,), max_iter=8, random_state=0), x, y.astype(np.float64))
    x32 = x.astype(np.float32)
    out = run(convert(model, x32), x32)
    assert out["variable"].shape == (len(x), 1) and out["variable"].dtype == np.float32
    # float32 carries about 7 digits: 1e-5 of the targets' range of 9
    np.testing.assert_allclose(out["variable"][:, 0], model.predict(x), rtol=0, atol=9e-5)
    out = run(convert(model, x), x)
    assert out["variable"].dtype == np.float64
    np.testing.assert_allclose(out["variable"][:, 0], model.predict(x), rtol=0, atol=1e-10)


def test_regressor_with_several_targets(digits):
    x, y = digits
    targets = np.stack([y, x[:, 20] / 4], axis=1)
    model = pipeline(NPNetRegressor(hidden_layer_sizes=(16,), max_iter=5, random_state=0), x, targets)
    out = run(convert(model, x), x)
    assert out["variable"].shape == (len(x), 2)
    np.testing.assert_allclose(out["variable"], model.predict(x), rtol=0, atol=1e-10)


# -- as skl2onnx's MLP converters ------------------------------------------------------------


def output_types(onx):
    return [(output.name, output.type) for output in onx.graph.output]


@pytest.mark.parametrize("zipmap", [True, False])
@pytest.mark.parametrize("strings", [False, True])
def test_same_outputs_as_mlp_classifier_in_the_same_pipeline(digits, zipmap, strings):
    x, y = digits
    if strings:
        y = np.array(list("abcdefghij"))[y]
    x32 = x.astype(np.float32)
    ours = pipeline(classifier(), x, y)
    mlp = pipeline(MLPClassifier(hidden_layer_sizes=(32,), max_iter=3, random_state=0), x, y)
    ours_onx = convert(ours, x32, options={id(ours[-1]): {"zipmap": zipmap}})
    mlp_onx = convert(mlp, x32, options={id(mlp[-1]): {"zipmap": zipmap}})
    assert output_types(ours_onx) == output_types(mlp_onx)
    # and the values are of the same kinds
    ours_out, mlp_out = run(ours_onx, x32[:5]), run(mlp_onx, x32[:5])
    assert [type(v) for v in ours_out.values()] == [type(v) for v in mlp_out.values()]


def test_same_outputs_as_mlp_regressor_in_the_same_pipeline(digits):
    x, y = digits
    x32 = x.astype(np.float32)
    ours = pipeline(NPNetRegressor(hidden_layer_sizes=(16,), max_iter=3, random_state=0), x, y.astype(float))
    mlp = pipeline(MLPRegressor(hidden_layer_sizes=(16,), max_iter=3, random_state=0), x, y.astype(float))
    assert output_types(convert(ours, x32)) == output_types(convert(mlp, x32))


# -- what cannot convert ---------------------------------------------------------------------


class NoExport:
    """An activation object with no to_onnx method: its network cannot be exported."""

    name = "no_export_relu"

    def forward(self, z):
        return np.maximum(z, 0)

    def backward(self, z, a, grad_a):
        return grad_a * (z > 0)


def test_an_activation_without_to_onnx_raises_npnets_export_error(digits):
    x, y = digits
    model = pipeline(NPNetClassifier(activation=NoExport(), hidden_layer_sizes=(8,), max_iter=1), x, y)
    with pytest.raises(ExportError, match=r"'no_export_relu' of layer 1 .*no to_onnx"):
        convert(model, x.astype(np.float32))


def test_a_target_opset_below_13_is_refused_with_what_to_do(digits, digits_pipeline):
    x, _ = digits
    with pytest.raises(ExportError, match=r"target_opset=12: convert with target_opset=13"):
        convert(digits_pipeline, x.astype(np.float32), target_opset=12)


def test_the_converted_model_targets_the_opset_asked_for(digits, digits_pipeline):
    x, _ = digits
    onx = convert(digits_pipeline, x.astype(np.float32), target_opset=15)
    assert {o.domain: o.version for o in onx.opset_import}[""] == 15
    onnx.checker.check_model(onx, full_check=True)


def test_importing_the_estimators_imports_neither_skl2onnx_nor_onnx():
    code = (
        "import sys, npnet_core.sklearn\n"
        "print(sorted(m for m in ('skl2onnx', 'onnx', 'onnxruntime') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_without_skl2onnx_registering_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # import skl2onnx raises ImportError
    with pytest.raises(ImportError, match=r"pip install npnet-core\[onnx\] skl2onnx"):
        register_onnx_converters()
