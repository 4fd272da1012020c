"""ONNX export (sklearn_ovr_logit.onnx): the graphs, run by onnxruntime, against
the estimators' own predict and predict_proba."""

import sys
import warnings

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.multiclass import OneVsRestClassifier as SklearnOneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier

skl2onnx = pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")

from skl2onnx import to_onnx  # noqa: E402
from skl2onnx.common.data_types import DoubleTensorType, Int64TensorType  # noqa: E402

from sklearn_ovr_logit.onnx import register_onnx_converters  # noqa: E402

# What the issue asks of the graphs: the same labels, probabilities this close.
PROBA_TOL = 1e-5
DTYPES = [np.float64, np.float32]


@pytest.fixture(scope="module", autouse=True)
def _registered():
    register_onnx_converters()


def _data(n_classes=3, seed=0):
    X, y = make_classification(
        n_samples=120,
        n_features=5,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        random_state=seed,
    )
    # Samples further out than the training data, where probabilities saturate.
    X_test = np.random.default_rng(seed).normal(scale=3.0, size=(200, 5))
    return X, y, X_test


def _session(model, X, options=None, **kwargs):
    options = {"zipmap": False} if options is None else options
    onx = to_onnx(model, X[:1], options=options, **kwargs)
    return ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def _run(model, X, options=None, **kwargs):
    session = _session(model, X, options, **kwargs)
    return session.run(None, {session.get_inputs()[0].name: X})


def _assert_same_predictions(model, X, **kwargs):
    labels, proba = _run(model, X, **kwargs)[:2]
    np.testing.assert_array_equal(labels, model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=0, atol=PROBA_TOL)
    return labels, proba


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "classes", [[0, 1], ["no", "yes"], [False, True], [-3, 7]], ids=str
)
def test_binary_logistic_regression(dtype, classes):
    X, y, X_test = _data(n_classes=2)
    y = np.asarray(classes)[y]
    model = BinaryLogisticRegression().fit(X.astype(dtype), y)
    for data in (X, X_test):
        _, proba = _assert_same_predictions(model, data.astype(dtype))
        assert proba.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "classes",
    [[0, 1, 2, 3], ["ant", "bee", "cat", "dog"], [10.0, 20.0, 30.0, 40.0]],
    ids=str,
)
def test_one_vs_rest_multiclass(dtype, classes):
    X, y, X_test = _data(n_classes=4)
    y = np.asarray(classes)[y]
    model = OneVsRestClassifier().fit(X.astype(dtype), y)
    for data in (X, X_test):
        _assert_same_predictions(model, data.astype(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_one_vs_rest_two_string_classes(dtype):
    X, y, X_test = _data(n_classes=2)
    model = OneVsRestClassifier().fit(X.astype(dtype), np.array(["a", "b"])[y])
    labels, _ = _assert_same_predictions(model, X_test.astype(dtype))
    assert set(labels) == {"a", "b"}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "base",
    [BinaryLogisticRegression(), DecisionTreeClassifier(max_depth=3, random_state=0)],
    ids=["ours", "tree"],
)
def test_one_vs_rest_multilabel_with_constant_labels(dtype, base):
    X, Y = make_multilabel_classification(
        n_samples=120, n_features=5, n_classes=5, random_state=0
    )
    # A label in every sample and a label in none: the stand-in predictor.
    Y[:, 1] = 1
    Y[:, 3] = 0
    X = StandardScaler().fit_transform(X).astype(dtype)
    with pytest.warns(UserWarning, match="present in all training examples"):
        model = OneVsRestClassifier(base).fit(X, Y)
    labels, proba = _assert_same_predictions(model, X)
    assert labels.shape == Y.shape
    np.testing.assert_array_equal(labels[:, 1], 1)
    np.testing.assert_array_equal(proba[:, 3], 0.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_pipeline_with_a_scaler(dtype, n_classes):
    X, y, X_test = _data(n_classes=n_classes)
    X = X * [1.0, 10.0, 100.0, 0.1, 1.0] + 5.0
    for final in (OneVsRestClassifier(), BinaryLogisticRegression()):
        if n_classes > 2 and isinstance(final, BinaryLogisticRegression):
            continue
        model = make_pipeline(StandardScaler(), final).fit(X.astype(dtype), y)
        _assert_same_predictions(model, X_test.astype(dtype))


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize(
    "base",
    [LogisticRegression(C=10.0), DecisionTreeClassifier(max_depth=3, random_state=0)],
    ids=["LogisticRegression", "tree"],
)
def test_one_vs_rest_of_scikit_learn_classifiers(base, n_classes):
    X, y, X_test = _data(n_classes=n_classes)
    model = OneVsRestClassifier(base).fit(X, y)
    for data in (X, X_test):
        _assert_same_predictions(model, data)


@pytest.mark.parametrize(
    ("base", "reason"),
    [
        (SVC(), "SVC has a decision_function"),
        (Ridge(), "Ridge is not a classifier"),
        (make_pipeline(StandardScaler(), LogisticRegression()), "Pipeline has a"),
    ],
    ids=["SVC", "Ridge", "Pipeline"],
)
def test_unsupported_base_estimators_are_named(base, reason):
    X, y, _ = _data()
    model = OneVsRestClassifier(base).fit(X, y)
    with pytest.raises(NotImplementedError, match=reason):
        to_onnx(model, X[:1], options={"zipmap": False})


@pytest.mark.parametrize("dtype", DTYPES)
def test_far_samples_keep_normalised_probabilities(dtype):
    # A sample on the negative side of every class by hundreds of units: each
    # expit underflows, and only the log-space normalisation gives a row
    # that sums to one.
    X, y, _ = _data(n_classes=3)
    model = OneVsRestClassifier().fit(X.astype(dtype), y)
    target = np.array([-900.0, -1000.0, -950.0]) - model.intercept_
    far = np.linalg.lstsq(model.coef_, target, rcond=None)[0]
    far = far[np.newaxis].astype(dtype)
    assert (model.decision_function(far) < -800).all()
    _, proba = _assert_same_predictions(model, far)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert proba[0, 0] > 0.99


def test_saturated_margins():
    X, y, _ = _data(n_classes=3)
    model = OneVsRestClassifier(BinaryLogisticRegression(C=1e4)).fit(X, y)
    _assert_same_predictions(model, X * 1e4)
    binary = BinaryLogisticRegression(C=1e4).fit(X, y > 0)
    _assert_same_predictions(binary, X * 1e4)


def test_options_raw_scores_nocl_and_class_labels():
    X, y, X_test = _data(n_classes=3)
    labels_of = np.array(["x", "y", "z"])
    model = OneVsRestClassifier().fit(X, labels_of[y])

    _, scores = _run(model, X_test, options={"zipmap": False, "raw_scores": True})
    np.testing.assert_allclose(scores, model.decision_function(X_test), atol=1e-9)

    indices, _ = _run(model, X_test, options={"zipmap": False, "nocl": True})
    np.testing.assert_array_equal(labels_of[indices], model.predict(X_test))

    outputs = _run(
        model, X_test, options={"zipmap": False, "output_class_labels": True}
    )
    np.testing.assert_array_equal(outputs[2], model.classes_)

    binary = BinaryLogisticRegression().fit(X, y > 0)
    _, scores = _run(binary, X_test, options={"zipmap": False, "raw_scores": True})
    np.testing.assert_allclose(scores[:, 1], binary.decision_function(X_test))
    np.testing.assert_allclose(scores[:, 0], -binary.decision_function(X_test))


def test_raw_scores_need_a_linear_base_estimator():
    X, y, _ = _data()
    model = OneVsRestClassifier(DecisionTreeClassifier(max_depth=2)).fit(X, y)
    with pytest.raises(NotImplementedError, match="raw_scores=True"):
        to_onnx(model, X[:1], options={"zipmap": False, "raw_scores": True})


def test_zipmap_with_float32_input():
    X, y, _ = _data(n_classes=3)
    X = X.astype(np.float32)
    model = OneVsRestClassifier().fit(X, y)
    labels, proba_maps = _run(model, X, options={})
    expected = model.predict_proba(X)
    np.testing.assert_array_equal(labels, model.predict(X))
    got = np.array([[row[c] for c in model.classes_] for row in proba_maps])
    np.testing.assert_allclose(got, expected, atol=PROBA_TOL)

    session = _session(model, X, options={"zipmap": "columns"})
    names = [output.name for output in session.get_outputs()]
    assert names == ["output_label", "i0", "i1", "i2"]


@pytest.mark.parametrize("opset", [9, 11, 13, 17, 21])
def test_target_opsets(opset):
    X, y, X_test = _data(n_classes=3)
    model = OneVsRestClassifier().fit(X, y)
    _assert_same_predictions(model, X_test, target_opset=opset)
    Y = np.column_stack([y == 0, y == 1, np.ones_like(y)]).astype(int)
    with pytest.warns(UserWarning, match="present in all"):
        multilabel = OneVsRestClassifier().fit(X, Y)
    _assert_same_predictions(multilabel, X_test, target_opset=opset)
    tree = OneVsRestClassifier(DecisionTreeClassifier(max_depth=2)).fit(X, y)
    _assert_same_predictions(tree, X_test, target_opset=opset)


def test_opsets_without_where_are_refused():
    X, y, _ = _data()
    model = OneVsRestClassifier().fit(X, y)
    with pytest.raises(NotImplementedError, match="target_opset >= 9"):
        to_onnx(model, X[:1], target_opset=8)


def test_integer_input_is_cast_to_float32():
    X, y, _ = _data(n_classes=3)
    X = np.round(X * 3).astype(np.int64)
    model = OneVsRestClassifier().fit(X, y)
    onx = to_onnx(
        model,
        initial_types=[("X", Int64TensorType([None, X.shape[1]]))],
        options={"zipmap": False},
    )
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    labels, proba = session.run(None, {"X": X})
    np.testing.assert_array_equal(labels, model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=PROBA_TOL)
    assert proba.dtype == np.float32


def test_a_free_number_of_rows_and_features():
    X, y, X_test = _data(n_classes=3)
    model = OneVsRestClassifier().fit(X, y)
    onx = to_onnx(
        model,
        initial_types=[("X", DoubleTensorType([None, None]))],
        options={"zipmap": False},
    )
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    labels, proba = session.run(None, {"X": X_test})
    np.testing.assert_array_equal(labels, model.predict(X_test))
    labels, proba = session.run(None, {"X": X_test[:0]})
    assert labels.shape == (0,)
    assert proba.shape == (0, 3)


def test_a_declared_feature_count_must_match():
    X, y, _ = _data(n_classes=3)
    model = OneVsRestClassifier().fit(X, y)
    with pytest.raises(ValueError, match="ONNX input has 4 features, but "):
        to_onnx(model, X[:1, :4])


def test_nan_input_gives_nan_probabilities():
    # What the documentation says: the graph cannot refuse input as predict does.
    X, y, _ = _data(n_classes=3)
    model = OneVsRestClassifier().fit(X, y)
    bad = X[:2].copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.predict(bad)
    _, proba = _run(model, bad)
    assert np.isnan(proba[0]).all()
    np.testing.assert_allclose(proba[1], model.predict_proba(X[1:2])[0], atol=1e-12)


def test_unfitted_and_single_class_models_are_refused():
    X, y, _ = _data()
    with pytest.raises(NotFittedError):
        to_onnx(OneVsRestClassifier(), X[:1])
    with pytest.raises(NotFittedError):
        to_onnx(BinaryLogisticRegression(), X[:1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        single = OneVsRestClassifier().fit(X, np.full(X.shape[0], "only"))
    with pytest.raises(NotImplementedError, match="single class"):
        to_onnx(single, X[:1], options={"zipmap": False})


@pytest.mark.parametrize(
    "wrapper",
    [
        lambda: CalibratedClassifierCV(BinaryLogisticRegression(), cv=3),
        lambda: SklearnOneVsRestClassifier(BinaryLogisticRegression()),
    ],
    ids=["CalibratedClassifierCV", "sklearn.multiclass.OneVsRestClassifier"],
)
def test_inside_scikit_learn_meta_estimators(wrapper):
    X, y, X_test = _data(n_classes=3)
    target = y > 0 if "Calibrated" in type(wrapper()).__name__ else y
    model = wrapper().fit(X, target)
    _assert_same_predictions(model, X_test)


def test_registration_is_repeatable():
    first = register_onnx_converters()
    assert register_onnx_converters() == first
    assert first == [BinaryLogisticRegression, OneVsRestClassifier]


def test_missing_skl2onnx_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    with pytest.raises(ImportError, match=r"pip install \"sklearn-ovr-logit\[onnx\]"):
        register_onnx_converters()


def test_fitted_on_a_dataframe():
    pd = pytest.importorskip("pandas")
    from sklearn.compose import ColumnTransformer

    X, y, X_test = _data(n_classes=3)
    columns = [f"f{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns)
    model = OneVsRestClassifier().fit(frame, y)
    # The sample's array gives one input, as the documentation says.
    labels, proba = _run(model, X_test)
    np.testing.assert_array_equal(
        labels, model.predict(pd.DataFrame(X_test, columns=columns))
    )
    np.testing.assert_allclose(
        proba,
        model.predict_proba(pd.DataFrame(X_test, columns=columns)),
        atol=PROBA_TOL,
    )
    # One input per column, joined by a ColumnTransformer.
    pipeline = make_pipeline(
        ColumnTransformer([("scale", StandardScaler(), columns)]),
        OneVsRestClassifier(),
    ).fit(frame, y)
    onx = to_onnx(pipeline, frame[:1], options={"zipmap": False})
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    test_frame = pd.DataFrame(X_test, columns=columns)
    labels, proba = session.run(
        None, {name: test_frame[[name]].to_numpy() for name in columns}
    )
    np.testing.assert_array_equal(labels, pipeline.predict(test_frame))
    np.testing.assert_allclose(
        proba, pipeline.predict_proba(test_frame), atol=PROBA_TOL
    )
