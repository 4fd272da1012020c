"""Export to ONNX: skl2onnx converters for this package's estimators.

skl2onnx finds a converter by the exact class of each estimator, so it cannot
convert :class:`~sklearn_ovr_logit.BinaryLogisticRegression` or
:class:`~sklearn_ovr_logit.OneVsRestClassifier` until
:func:`register_onnx_converters` has told it how. Install the optional extra
``pip install "sklearn-ovr-logit[onnx]"`` (skl2onnx, and onnxruntime to run the
graphs).

Registration is one explicit call rather than a side effect of
``import sklearn_ovr_logit``: importing skl2onnx loads onnx and protobuf and
adds about a third of a second to the package's import, which a user who never
exports should not pay for, and an explicit call is how skl2onnx documents
converters for estimators it does not know.
"""

import numbers

import numpy as np
from sklearn.base import is_classifier
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from ._binary import BinaryLogisticRegression
from ._ovr import OneVsRestClassifier, _ConstantPredictor

__all__ = ["register_onnx_converters"]

# The names under which skl2onnx knows our estimators (operator types in its
# graph of operators, not ONNX operators).
_BINARY_ALIAS = "SklearnOvrLogitBinaryLogisticRegression"
_OVR_ALIAS = "SklearnOvrLogitOneVsRestClassifier"

# The options skl2onnx's own classifiers accept, with the same meaning.
_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "nocl": [True, False],
    "output_class_labels": [False, True],
    "raw_scores": [True, False],
}

# Binary estimators whose probability of the positive class is exactly
# expit(X @ coef_.T + intercept_): exported as one matrix product.
_LOGISTIC_TYPES = (BinaryLogisticRegression, LogisticRegression)

_INSTALL_HINT = (
    'Install the optional dependencies with: pip install "sklearn-ovr-logit[onnx]"'
)


def register_onnx_converters():
    """Teach skl2onnx to convert this package's estimators to ONNX.

    After this call, :func:`skl2onnx.to_onnx` and
    :func:`skl2onnx.convert_sklearn` convert
    :class:`~sklearn_ovr_logit.BinaryLogisticRegression` and
    :class:`~sklearn_ovr_logit.OneVsRestClassifier`, alone or inside a
    :class:`~sklearn.pipeline.Pipeline`. Calling it again does nothing more.

    The graphs compute what the estimators' ``predict`` and ``predict_proba``
    compute: ``X @ coef_.T + intercept_`` in one product, the logistic
    function, and for single-label multiclass targets the one-vs-rest
    normalisation (in log space, as the estimator does). Labels are the
    estimators' labels (integers or strings), multilabel predictions an
    indicator matrix. skl2onnx's options for classifiers apply: ``zipmap``,
    ``nocl``, ``output_class_labels`` and ``raw_scores`` (the probability
    output then holds the decision values).

    A ``OneVsRestClassifier`` whose base estimator is not a
    ``BinaryLogisticRegression`` converts when every fitted binary estimator is
    a :class:`~sklearn.linear_model.LogisticRegression` or a classifier
    without ``decision_function`` that skl2onnx itself converts (a decision
    tree, a random forest, ...). Other base estimators (regressors, or
    classifiers such as :class:`~sklearn.svm.SVC` whose predictions come from
    a decision function the converted probabilities do not give) raise a
    ``NotImplementedError`` that names them.

    Returns
    -------
    registered : list of type
        The estimator classes skl2onnx can now convert.

    Raises
    ------
    ImportError
        If skl2onnx is not installed.

    See Also
    --------
    skl2onnx.to_onnx : Convert a fitted model.

    Notes
    -----
    Numbers: float64 input is computed in float64 and float32 input in float32
    (the estimators compute the decision values in float32 too, and the
    probabilities in float64). Inputs of other types are cast to float32.
    What the graph cannot do is refuse input: samples with NaN or infinite
    values, which ``predict`` rejects with an error, give NaN probabilities and
    arbitrary labels.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from skl2onnx import to_onnx
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_ovr_logit import OneVsRestClassifier
    >>> from sklearn_ovr_logit.onnx import register_onnx_converters
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = OneVsRestClassifier().fit(X, y)
    >>> register_onnx_converters()
    [<class '...BinaryLogisticRegression'>, <class '...OneVsRestClassifier'>]
    >>> onx = to_onnx(clf, X[:1], options={"zipmap": False})
    >>> session = ort.InferenceSession(
    ...     onx.SerializeToString(), providers=["CPUExecutionProvider"]
    ... )
    >>> labels, proba = session.run(None, {"X": X})
    >>> bool((labels == clf.predict(X)).all())
    True
    >>> bool(np.abs(proba - clf.predict_proba(X)).max() < 1e-12)
    True
    """
    try:
        from skl2onnx import update_registered_converter
    except ImportError as exc:
        raise ImportError(f"Exporting to ONNX needs skl2onnx. {_INSTALL_HINT}") from exc

    update_registered_converter(
        BinaryLogisticRegression,
        _BINARY_ALIAS,
        _calculate_output_shapes,
        _convert_binary,
        options=_OPTIONS,
        parser=_parse_classifier,
    )
    update_registered_converter(
        OneVsRestClassifier,
        _OVR_ALIAS,
        _calculate_output_shapes,
        _convert_one_vs_rest,
        options=_OPTIONS,
        parser=_parse_classifier,
    )
    return [BinaryLogisticRegression, OneVsRestClassifier]


def _parse_classifier(scope, model, inputs, custom_parsers=None):
    """skl2onnx's parser of classifiers, after checking that ``model`` is fitted."""
    from skl2onnx._parse import _parse_sklearn_classifier

    # skl2onnx would otherwise fail on the missing classes_ in its own words.
    check_is_fitted(model)
    return _parse_sklearn_classifier(scope, model, inputs, custom_parsers)


def _calculate_output_shapes(operator):
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
    )

    calculate_linear_classifier_output_shapes(operator)


def _convert_binary(scope, operator, container):
    """The graph of a fitted BinaryLogisticRegression."""
    model = operator.raw_operator
    graph = _Graph(scope, operator, container)
    coef = model.coef_.T
    scores = graph.linear_scores(coef, model.intercept_)
    graph.write_binary(scores, positive=None)


def _convert_one_vs_rest(scope, operator, container):
    """The graph of a fitted OneVsRestClassifier (see register_onnx_converters)."""
    model = operator.raw_operator
    if len(model.classes_) < 2:
        raise NotImplementedError(
            "OneVsRestClassifier was fitted on a single class "
            f"({model.classes_[0]!r}); there is nothing to convert to ONNX: "
            "every prediction is that class."
        )
    kinds = [_column_kind(estimator) for estimator in model.estimators_]
    graph = _Graph(scope, operator, container)
    constant = np.array([kind == "constant" for kind in kinds])
    values = np.array(
        [
            float(e.y_.ravel()[0]) if k == "constant" else 0.0
            for e, k in zip(model.estimators_, kinds, strict=True)
        ]
    )
    if all(kind in ("linear", "constant") for kind in kinds):
        coef = np.zeros((graph.n_features(model), len(kinds)))
        intercept = np.zeros(len(kinds))
        for index, (estimator, kind) in enumerate(
            zip(model.estimators_, kinds, strict=True)
        ):
            if kind == "linear":
                coef[:, index] = estimator.coef_[0]
                intercept[index] = np.ravel(estimator.intercept_)[0]
        scores = graph.linear_scores(coef, intercept)
        if model.multilabel_:
            graph.write_multilabel(scores, constant, values, threshold=0.0)
        elif len(kinds) == 1:
            graph.write_binary(scores, positive=None)
        else:
            graph.write_multiclass_linear(scores)
        return
    # Binary estimators converted one by one by skl2onnx's own converters.
    if graph.raw_scores:
        raise NotImplementedError(
            "The option raw_scores=True needs a base estimator whose decision "
            "function is linear (BinaryLogisticRegression or LogisticRegression); "
            f"the base estimator here is {type(model.estimators_[0]).__name__}."
        )
    positive = graph.concat(
        [
            graph.positive_probability(estimator, index)
            for index, estimator in enumerate(model.estimators_)
        ]
    )
    if model.multilabel_:
        graph.write_multilabel(positive, constant, values, threshold=0.5)
    elif len(kinds) == 1:
        graph.write_binary(None, positive=positive)
    else:
        graph.write_multiclass_probabilities(positive)


def _column_kind(estimator):
    """How one fitted binary estimator of a OneVsRestClassifier is exported."""
    if isinstance(estimator, _ConstantPredictor):
        return "constant"
    # Exact types: a subclass may compute its probabilities otherwise.
    if type(estimator) in _LOGISTIC_TYPES:
        return "linear"
    if is_classifier(estimator) and not hasattr(estimator, "decision_function"):
        return "probability"
    what = (
        "has a decision_function, from which OneVsRestClassifier predicts, and "
        "its converted ONNX probabilities do not give that function"
        if is_classifier(estimator)
        else "is not a classifier"
    )
    raise NotImplementedError(
        f"Cannot convert a OneVsRestClassifier of {type(estimator).__name__} to "
        f"ONNX: {type(estimator).__name__} {what}. Supported binary estimators "
        "are BinaryLogisticRegression, LogisticRegression and classifiers without "
        "decision_function that skl2onnx converts (decision trees, random "
        "forests, ...); put preprocessing steps in a Pipeline around the "
        "OneVsRestClassifier rather than inside it."
    )


class _Graph:
    """Writes the nodes of one converter into skl2onnx's container."""

    def __init__(self, scope, operator, container):
        from onnx import TensorProto
        from skl2onnx.common.data_types import guess_proto_type

        self.scope = scope
        self.operator = operator
        self.container = container
        self.TensorProto = TensorProto
        model = operator.raw_operator
        options = container.get_options(model, {"raw_scores": False, "nocl": False})
        self.raw_scores = options["raw_scores"]
        self.nocl = options["nocl"]
        if container.target_opset is not None and container.target_opset < 9:
            raise NotImplementedError(
                f"The ONNX converters of {type(model).__name__} need "
                f"target_opset >= 9 (got {container.target_opset})."
            )
        input_type = guess_proto_type(operator.inputs[0].type)
        self.proto_dtype = (
            input_type if input_type == TensorProto.DOUBLE else TensorProto.FLOAT
        )
        self.dtype = (
            np.float64 if self.proto_dtype == TensorProto.DOUBLE else np.float32
        )
        self.input = operator.inputs[0].full_name
        if input_type != self.proto_dtype:
            self.input = self.node("Cast", [self.input], to=self.proto_dtype)

    # -- building blocks ------------------------------------------------------

    def name(self, hint):
        return self.scope.get_unique_variable_name(hint)

    def node(self, op_type, inputs, output=None, **attributes):
        output = self.name(op_type.lower()) if output is None else output
        self.container.add_node(
            op_type,
            inputs,
            [output],
            name=self.scope.get_unique_operator_name(op_type),
            **attributes,
        )
        return output

    def constant(self, value, proto_type=None):
        value = np.asarray(value)
        proto_type = self.proto_dtype if proto_type is None else proto_type
        name = self.name("cst")
        if proto_type == self.TensorProto.STRING:
            content = [str(v).encode("utf-8") for v in value.ravel()]
        else:
            content = value.ravel().tolist()
        self.container.add_initializer(name, proto_type, list(value.shape), content)
        return name

    def slice(self, name, start, end, axis):
        """``name[start:end]`` along ``axis`` (attributes before opset 10)."""
        if self.container.target_opset < 10:
            return self.node("Slice", [name], starts=[start], ends=[end], axes=[axis])
        bounds = [
            self.constant([value], self.TensorProto.INT64)
            for value in (start, end, axis)
        ]
        return self.node("Slice", [name, *bounds])

    def concat(self, names):
        return names[0] if len(names) == 1 else self.node("Concat", names, axis=1)

    def n_features(self, model):
        shape = getattr(self.operator.inputs[0].type, "shape", None)
        declared = shape[1] if shape is not None and len(shape) == 2 else None
        expected = getattr(model, "n_features_in_", None)
        if (
            isinstance(declared, numbers.Integral)
            and expected is not None
            and declared != expected
        ):
            raise ValueError(
                f"The ONNX input has {declared} features, but "
                f"{type(model).__name__} was fitted on {expected}."
            )
        return expected

    # -- scores ---------------------------------------------------------------

    def linear_scores(self, coef, intercept):
        """``X @ coef + intercept`` in the input's float type, shape (N, K)."""
        model = self.operator.raw_operator
        coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
        self.n_features(model)
        product = self.node(
            "MatMul", [self.input, self.constant(coef.astype(self.dtype))]
        )
        bias = np.asarray(intercept, dtype=np.float64).reshape(1, -1)
        return self.node("Add", [product, self.constant(bias.astype(self.dtype))])

    def log_sigmoid(self, scores):
        """``log(expit(z)) = min(z, 0) - log(1 + exp(-|z|))``, finite for any z."""
        negative_part = self.node(
            "Neg", [self.node("Relu", [self.node("Neg", [scores])])]
        )
        tail = self.node("Exp", [self.node("Neg", [self.node("Abs", [scores])])])
        log1p = self.node("Log", [self.node("Add", [tail, self.constant(1.0)])])
        return self.node("Sub", [negative_part, log1p])

    def positive_probability(self, estimator, index):
        """Column ``index``: a binary estimator's probability of class 1, (N, 1)."""
        from skl2onnx._supported_operators import sklearn_operator_name_map
        from skl2onnx.common.data_types import Int64TensorType, guess_tensor_type

        if isinstance(estimator, _ConstantPredictor):
            value = np.full((1, 1), float(estimator.y_.ravel()[0]))
            return self.node("Expand", [self.constant(value), self.rows_by_one()])
        alias = sklearn_operator_name_map.get(type(estimator))
        if alias is None:
            raise NotImplementedError(
                f"skl2onnx has no converter for {type(estimator).__name__}, the "
                "base estimator of this OneVsRestClassifier."
            )
        operator = self.scope.declare_local_operator(alias, raw_model=estimator)
        operator.inputs = self.operator.inputs
        label = self.scope.declare_local_variable(f"label_{index}", Int64TensorType())
        proba = self.scope.declare_local_variable(
            f"proba_{index}", guess_tensor_type(self.operator.inputs[0].type)
        )
        operator.outputs.extend([label, proba])
        column = self.slice(proba.onnx_name, 1, 2, axis=1)
        return self.node("Cast", [column], to=self.proto_dtype)

    def rows_by_one(self):
        """The shape ``[N, 1]`` of the input's batch, as an int64 tensor."""
        shape = self.node("Shape", [self.input])
        rows = self.slice(shape, 0, 1, axis=0)
        return self.node(
            "Concat", [rows, self.constant([1], self.TensorProto.INT64)], axis=0
        )

    # -- outputs --------------------------------------------------------------

    def write_labels(self, indices):
        """Output 0: the class labels at ``indices`` (int64, shape (N,))."""
        model = self.operator.raw_operator
        classes = np.asarray(model.classes_)
        if self.nocl:
            classes = np.arange(classes.shape[0])
        if classes.dtype.kind in "OUS":
            proto_type = self.TensorProto.STRING
        else:
            # Integers, booleans, or floats with integer values (fit refuses
            # other floats): int64 labels, as skl2onnx's classifiers give.
            proto_type = self.TensorProto.INT64
            classes = classes.astype(np.int64)
        self.node(
            "Gather",
            [self.constant(classes, proto_type), indices],
            self.operator.outputs[0].full_name,
            axis=0,
        )

    def write_probabilities(self, value):
        self.node("Identity", [value], self.operator.outputs[1].full_name)

    def write_binary(self, scores, positive):
        """Two classes: from decision values ``scores`` or probabilities, (N, 1)."""
        if scores is not None:
            is_positive = self.node("Greater", [scores, self.constant(0.0)])
            if self.raw_scores:
                columns = [self.node("Neg", [scores]), scores]
            else:
                # expit(-z) rather than 1 - expit(z): tiny probabilities stay exact.
                columns = [
                    self.node("Sigmoid", [self.node("Neg", [scores])]),
                    self.node("Sigmoid", [scores]),
                ]
        else:
            is_positive = self.node("Greater", [positive, self.constant(0.5)])
            columns = [self.node("Sub", [self.constant(1.0), positive]), positive]
        indices = self.node(
            "Reshape",
            [
                self.node("Cast", [is_positive], to=self.TensorProto.INT64),
                self.constant([-1], self.TensorProto.INT64),
            ],
        )
        self.write_labels(indices)
        self.write_probabilities(self.concat(columns))

    def write_multiclass_linear(self, scores):
        """Single-label classes: argmax of the decision values, normalised
        probabilities computed as ``softmax(log(expit(scores)))``."""
        # ArgMax returns the first maximum, as numpy's argmax does.
        self.write_labels(self.node("ArgMax", [scores], axis=1, keepdims=0))
        if self.raw_scores:
            self.write_probabilities(scores)
        else:
            self.write_probabilities(
                self.node("Softmax", [self.log_sigmoid(scores)], axis=1)
            )

    def write_multiclass_probabilities(self, positive):
        """Single-label classes from per-class probabilities: argmax, and
        rows divided by their sums (a row of zeros stays zeros)."""
        self.write_labels(self.node("ArgMax", [positive], axis=1, keepdims=0))
        sums = (
            self.node(
                "ReduceSum",
                [positive, self.constant([1], self.TensorProto.INT64)],
                keepdims=1,
            )
            if self.container.target_opset >= 13
            else self.node("ReduceSum", [positive], axes=[1], keepdims=1)
        )
        # sums >= 0; Equal takes no float64 before opset 11.
        is_zero = self.node(
            "Cast",
            [self.node("Not", [self.node("Greater", [sums, self.constant(0.0)])])],
            to=self.proto_dtype,
        )
        denominator = self.node("Add", [sums, is_zero])
        self.write_probabilities(self.node("Div", [positive, denominator]))

    def write_multilabel(self, scores, constant, values, threshold):
        """Independent labels: an indicator matrix and marginal probabilities.

        Constant columns (a label in every sample or in none) give their value
        whatever the input, as the estimator's stand-in predictor does.
        """
        is_positive = self.node("Greater", [scores, self.constant(threshold)])
        indicator = self.node("Cast", [is_positive], to=self.TensorProto.INT64)
        if threshold == 0.0 and not self.raw_scores:
            proba = self.node("Sigmoid", [scores])
        else:
            proba = scores
        if constant.any():
            mask = self.constant(constant.reshape(1, -1), self.TensorProto.BOOL)
            fixed = values.reshape(1, -1)
            fixed_labels = self.constant(
                (fixed > 0.5).astype(np.int64), self.TensorProto.INT64
            )
            indicator = self.node("Where", [mask, fixed_labels, indicator])
            proba = self.node("Where", [mask, self.constant(fixed), proba])
        self.node("Identity", [indicator], self.operator.outputs[0].full_name)
        self.write_probabilities(proba)
