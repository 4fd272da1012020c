"""OneVsRestClassifier: one binary problem per class, with a fast path for ours."""

import array
import warnings
from inspect import signature
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, log_expit
from sklearn import get_config
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    MultiOutputMixin,
    _fit_context,
    clone,
    is_classifier,
    is_regressor,
)
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils._tags import get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    get_routing_for_object,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from ._binary import (
    BinaryLogisticRegression,
    class_weight_pairs,
    initial_coef,
    iteration_printer,
    map_dask_rows,
    score_accuracy,
    set_solution,
    two_class_proba,
)
from ._callbacks import (
    CallbackSupportMixin,
    ProblemCallbacks,
    _NullCallbackContext,
    iteration_subtasks,
)
from ._class_weight import ovr_class_weights
from ._display import DefaultEstimatorDisplayMixin, DocumentationLinkMixin
from ._lockstep import LbfgsSettings, ProblemBatch, is_dask_collection, solve
from ._loss import Labels, Problems
from ._routing import base_estimator_routing
from ._targets import target_type, unsortable_labels_error
from ._warnings import user_stacklevel

_BINARY_CLASSES = np.array([0, 1])


class _ConstantPredictor(BaseEstimator):
    """Stands in for a binary estimator when a column has a single value.

    This happens when a label is present in every training sample, or in none.
    """

    def fit(self, X, y):
        self.n_features_in_ = X.shape[1] if hasattr(X, "shape") and X.ndim > 1 else 0
        self.y_ = np.asarray(y)
        return self

    def predict(self, X):
        check_is_fitted(self)
        return np.repeat(self.y_, _num_samples(X))

    def decision_function(self, X):
        return self.predict(X)

    def predict_proba(self, X):
        check_is_fitted(self)
        positive = self.y_.astype(np.float64)
        return np.repeat([np.hstack([1 - positive, positive])], _num_samples(X), 0)


def _fit_binary(
    estimator, X, column, fit_params, classes, previous=None, context=None, caller=None
):
    """Fit one binary estimator on a 0/1 column (the generic path)."""
    context = _NullCallbackContext() if context is None else context
    unique = np.unique(column)
    if unique.shape[0] == 1:
        _warn_constant_label(column, classes)
        context.call_on_fit_task_begin(estimator=caller, X=X, y=column)
        context.call_on_fit_task_end(estimator=caller, X=X, y=column)
        return _ConstantPredictor().fit(X, unique)
    if previous is not None and type(previous) is type(estimator):
        # With warm_start, the previous fit of this class is the starting
        # point, refitted with the current parameters (cloned, so that nested
        # estimators are never shared between classes).
        estimator = previous.set_params(**clone(estimator).get_params(deep=False))
    else:
        estimator = clone(estimator)
    with context.propagate_callback_context(estimator):
        context.call_on_fit_task_begin(estimator=caller, X=X, y=column)
        estimator.fit(X, column, **fit_params)
        context.call_on_fit_task_end(estimator=caller, X=X, y=column)
    return estimator


def _partial_fit_binary(estimator, X, column, partial_fit_params):
    estimator.partial_fit(X, column, classes=_BINARY_CLASSES, **partial_fit_params)
    return estimator


def _warn_constant_label(column, classes):
    # The same message scikit-learn's OneVsRestClassifier gives.
    label = classes[1] if column[0] == 1 else classes[0]
    warnings.warn(
        f"Label {label} is present in all training examples.",
        stacklevel=user_stacklevel(),
    )


def _binary_scores(estimator, X):
    """What one binary estimator says about the positive class."""
    if is_regressor(estimator):
        return estimator.predict(X)
    try:
        return np.ravel(estimator.decision_function(X))
    except (AttributeError, NotImplementedError):
        return estimator.predict_proba(X)[:, 1]


def _threshold_for_binary_predict(estimator):
    if hasattr(estimator, "decision_function") and is_classifier(estimator):
        return 0.0
    return 0.5


def _estimators_have(attribute):
    """Whether the fitted estimators (or the base estimator) have `attribute`."""

    def check(self):
        if hasattr(self, "estimators_"):
            for estimator in self.estimators_:
                getattr(estimator, attribute)
        else:
            getattr(self._base_estimator(), attribute)
        return True

    return check


def _uses_fast_path(estimator):
    # Exact type: a subclass may change the objective the fast path assumes.
    return type(estimator) is BinaryLogisticRegression


class FittedOneVsRestMixin:
    """Predictions from the fitted binary models of a one-vs-rest estimator.

    Uses ``estimators_``, ``label_binarizer_`` and ``classes_``; shared by
    :class:`OneVsRestClassifier` and ``OneVsRestLogisticRegressionCV``.
    """

    def _linear_scores(self, X):
        """``X @ coef_.T + intercept_`` in one product, or None if not all linear."""
        if not all(_uses_fast_path(e) for e in self.estimators_):
            return None
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            reset=False,
        )
        coef, intercept = self.coef_, self.intercept_
        scores = X @ coef.T.astype(X.dtype, copy=False)
        return np.asarray(scores) + intercept.astype(X.dtype)

    def _stand_ins_reject_nan(self):
        """Whether predictions refuse NaN in X when only stand-ins were fitted."""
        return True

    def _scores(self, X):
        scores = self._linear_scores(X)
        if scores is None and all(
            isinstance(e, _ConstantPredictor) for e in self.estimators_
        ):
            # Only stand-ins, which read nothing of X: check it all the same,
            # as a fitted model's predictions would.
            validate_data(
                self,
                X,
                accept_sparse=True,
                reset=False,
                ensure_all_finite=self._stand_ins_reject_nan(),
            )
        if scores is None:
            scores = np.column_stack([_binary_scores(e, X) for e in self.estimators_])
        return scores

    @property
    def coef_(self):
        """Coefficients of the binary estimators, shape (n_estimators, n_features).

        Only when every binary estimator is linear (has ``coef_``).
        """
        return np.vstack([np.atleast_2d(e.coef_) for e in self._linear_estimators()])

    @property
    def intercept_(self):
        """Intercepts of the binary estimators, shape (n_estimators,).

        Only when every binary estimator is linear (has ``intercept_``).
        """
        return np.concatenate(
            [np.ravel(e.intercept_) for e in self._linear_estimators()]
        )

    def _linear_estimators(self):
        # An AttributeError makes hasattr(self, "coef_") False, as it should be
        # before fit and for non-linear (or constant) binary estimators.
        estimators = self.estimators_
        for estimator in estimators:
            if isinstance(estimator, _ConstantPredictor):
                raise AttributeError(
                    "A label present in every sample (or in none) has a constant "
                    f"predictor, so {type(self).__name__} has no coef_ or "
                    "intercept_."
                )
            if not hasattr(estimator, "coef_"):
                raise AttributeError(
                    f"{type(estimator).__name__} has no attribute 'coef_', so "
                    f"{type(self).__name__} has no coef_ or intercept_."
                )
        return estimators

    @property
    def multilabel_(self):
        """Whether the target is a multilabel indicator matrix."""
        return self.label_binarizer_.y_type_.startswith("multilabel")

    @property
    def n_classes_(self):
        """Number of classes."""
        return len(self.classes_)


def predict_from_scores(scores, binarizer, classes, thresholds):
    """One-vs-rest predictions from the binary models' scores.

    Multiclass: the class of the largest score (ties to the first class, as
    scikit-learn breaks them). Otherwise each column above its threshold, as
    a sparse indicator built column by column, then the labels.
    """
    if binarizer.y_type_ == "multiclass":
        return classes[np.argmax(scores, axis=1)]
    indices = array.array("i")
    indptr = array.array("i", [0])
    for column, threshold in zip(np.asarray(scores).T, thresholds, strict=True):
        indices.extend(np.flatnonzero(column > threshold))
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=int)
    indicator = sp.csc_array((data, indices, indptr), shape=np.shape(scores))
    return binarizer.inverse_transform(indicator)


class OneVsRestClassifier(
    CallbackSupportMixin,
    MultiOutputMixin,
    ClassifierMixin,
    MetaEstimatorMixin,
    DefaultEstimatorDisplayMixin,
    DocumentationLinkMixin,
    FittedOneVsRestMixin,
    BaseEstimator,
):
    """One-vs-the-rest multiclass and multilabel strategy, fast for logistic models.

    One binary estimator is fitted per class, that class against all the others.
    This is a drop-in replacement for
    :class:`sklearn.multiclass.OneVsRestClassifier` that works with any binary
    classifier or regressor, and that fits all classes together when the base
    estimator is a :class:`~sklearn_ovr_logit.BinaryLogisticRegression`.

    Parameters
    ----------
    estimator : estimator object, default=None
        The binary estimator fitted for each class. It needs ``fit`` and either
        ``decision_function`` or ``predict_proba`` (or, for a regressor,
        ``predict``). ``None`` means ``BinaryLogisticRegression()``.

    class_weight : dict or "balanced", default=None
        Weights of the classes, as scikit-learn 1.7's
        ``LogisticRegression(multi_class="ovr", class_weight=...)`` had them.
        A dict ``{label: weight}`` is keyed on the labels of ``y`` (a label
        left out weighs 1): every sample is weighted by its own label's weight,
        in every binary problem. "balanced" balances each binary problem on
        its own: the class gets ``S / (2 * S_class)`` and the rest
        ``S / (2 * S_rest)``, ``S`` summing the sample weights. The weights
        multiply ``sample_weight`` and so also set the ``S`` that scales the
        penalty of a ``BinaryLogisticRegression``. Any other base estimator
        receives them as ``sample_weight`` (it must take one). A dict needs a
        single-label target; "balanced" also applies to multilabel targets.
        See :ref:`ovr_class_weight`.

    n_jobs : int, default=None
        Number of jobs for the fits, through :class:`sklearn.utils.parallel.Parallel`
        so that joblib backends (``joblib.parallel_config``, dask) carry through.
        In the fast path, more than one job splits the classes into that many
        shards, each fitted in lockstep in one task. ``None`` means 1 unless in a
        :obj:`joblib.parallel_config` context; ``-1`` means all processors.

    verbose : int, default=0
        Verbosity. In the generic path it is passed to joblib; in the fast path
        1 prints a line per class (iterations, objective, convergence).

    Attributes
    ----------
    estimators_ : list of estimators
        The ``n_classes`` fitted binary estimators (one when there are two
        classes). In the fast path they are ``BinaryLogisticRegression`` objects
        with their own ``coef_``, ``intercept_`` and ``n_iter_``.

    classes_ : ndarray of shape (n_classes,)
        Class labels.

    n_classes_ : int
        Number of classes.

    label_binarizer_ : LabelBinarizer
        Turns labels into the binary columns and back.

    multilabel_ : bool
        Whether the target is a multilabel indicator matrix.

    coef_ : ndarray of shape (n_estimators, n_features)
        Stacked coefficients of the estimators, when they all have ``coef_``.

    intercept_ : ndarray of shape (n_estimators,)
        Stacked intercepts of the estimators, when they all have ``intercept_``.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    BinaryLogisticRegression : The default base estimator.
    sklearn.multiclass.OneVsRestClassifier : scikit-learn's meta-estimator.

    Notes
    -----
    **Fast path.** With a ``BinaryLogisticRegression`` base estimator, each
    class still runs its own L-BFGS-B (own history, line search and stopping
    test, the same iterates as a standalone fit on ``y == k``), but the
    evaluations that the classes still running ask for are computed together:
    one ``X @ W`` and one ``X.T @ R`` over all of them per round. To fit one
    estimator per class instead, wrap the base estimator in a pipeline, for
    example ``make_pipeline(BinaryLogisticRegression())``.

    **Probabilities.** For single-label targets, the per-class probabilities
    of the binary estimators are normalised to sum to one per sample; for
    multilabel targets they are independent marginals.

    **Warm start.** When the base estimator has ``warm_start=True``, each
    class starts from its previous solution on refitting with the same classes.

    **Class weights.** ``class_weight`` here weights the original labels; a
    base estimator's own ``class_weight`` weights the two classes of each
    binary problem, 0 (the rest) and 1 (the label), on top of the sample
    weights it receives. With :math:`c_{y_i}` the weight of sample :math:`i`'s
    label and :math:`s_i` its sample weight, problem :math:`k` of a
    ``BinaryLogisticRegression`` minimises

    .. math::

        \\frac{1}{S} \\sum_i s_i c_{y_i} \\ell_k(x_i) + \\frac{\\|w_k\\|_2^2}{2 C S},
        \\qquad S = \\sum_i s_i c_{y_i},

    with :math:`\\ell_k` the logistic loss of "class k against the rest".

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_ovr_logit import OneVsRestClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), OneVsRestClassifier()).fit(X, y)
    >>> clf.score(X, y)
    0.9...
    >>> clf.predict_proba(X[:1]).round(3)
    array([[0.91, 0.09, 0.  ]])
    >>> clf[-1].coef_.shape
    (3, 4)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"]), None],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(self, estimator=None, *, class_weight=None, n_jobs=None, verbose=0):
        self.estimator = estimator
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose

    def set_params(self, **params):
        """Set the parameters of this estimator.

        As in scikit-learn, nested parameters such as ``estimator__C`` set the
        base estimator's parameters. With ``estimator=None`` they are set on an
        explicit ``BinaryLogisticRegression()``, so that a search over
        ``{"estimator__C": [...]}`` works with the default base estimator.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : OneVsRestClassifier
            This estimator.
        """
        nested = any(key.startswith("estimator__") for key in params)
        if nested and self.estimator is None and "estimator" not in params:
            self.estimator = BinaryLogisticRegression()
        return super().set_params(**params)

    def _base_estimator(self):
        if self.estimator is None:
            return BinaryLogisticRegression()
        return self.estimator

    @_fit_context(
        # The base estimator's own parameters are validated by its own fit.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, **fit_params):
        """Fit one binary estimator per class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.

        y : {array-like, sparse matrix} of shape (n_samples,) or \
                (n_samples, n_classes)
            Multiclass targets, or a multilabel indicator matrix.

        **fit_params : dict
            Parameters routed to the base estimator's ``fit``, such as
            ``sample_weight``. Only available with
            ``sklearn.set_config(enable_metadata_routing=True)`` and a base
            estimator that requests them (``set_fit_request``).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        _raise_for_params(fit_params, self, "fit")
        routed_params = process_routing(self, "fit", **fit_params)
        estimator = self._base_estimator()
        fast = _uses_fast_path(estimator)
        if fast and not get_config()["skip_parameter_validation"]:
            # The fast path never calls the base estimator's fit: validate its
            # parameters as that fit would, before any work.
            estimator._validate_params()
        _check_can_predict(estimator)
        _check_binary_class_weight(estimator)
        if self.class_weight is not None and not fast:
            _check_takes_sample_weight(estimator, "fit")
        previous_classes = getattr(self, "classes_", None)
        previous = self._previous_estimators(estimator)
        fit_params = routed_params.estimator.fit
        if any(map(is_dask_collection, (X, y, *fit_params.values()))):
            try:
                X, y, Y, fit_params = self._dask_fit_data(X, y, estimator, fit_params)
            except BaseException:
                # As when X is refused in memory: no model, not even the last.
                self._forget_fit()
                raise
        else:
            try:
                _check_not_a_string(X)
                check_consistent_length(X, y)
                Y = self._binarize(y)
            except BaseException:
                # As when X is refused: no model, not half of the last one.
                self._forget_fit()
                raise
        self.classes_ = self.label_binarizer_.classes_
        if self.multilabel_:
            try:
                _check_indicator_values(Y)
            except BaseException:
                self._forget_fit()
                raise
        if previous is not None and not (
            len(previous) == Y.shape[1]
            and np.array_equal(previous_classes, self.classes_)
        ):
            # Other classes than last time: nothing to warm-start from.
            previous = None

        # One callback task per class; in the fast path each has one sub-task
        # per L-BFGS-B iteration, in the generic path the base estimator's fit
        # takes the class's task over.
        context = self._init_callback_context(max_subtasks=Y.shape[1])
        context.call_on_fit_task_begin(estimator=self, X=X, y=y)
        contexts = [
            context.subcontext(
                task_name="fit-class",
                max_subtasks=(iteration_subtasks(estimator.max_iter) if fast else 0),
            )
            for _ in range(Y.shape[1])
        ]

        fit = self._fit_lockstep if fast else self._fit_one_by_one
        try:
            fit(X, y, Y, estimator, fit_params, previous, contexts)
        except BaseException:
            # A failed fit (a worker lost, an interrupt) leaves no partial model.
            self._forget_fit()
            raise
        context.call_on_fit_task_end(
            estimator=self, X=X, y=y, reconstruction_attributes={}
        )
        return self

    def _binarize(self, y):
        """The label indicator of an in-memory ``y`` (CSC), fitting the binarizer."""
        _check_not_multioutput(y)
        binarizer, Y = _binarize_labels(y)
        self.label_binarizer_ = binarizer
        return Y

    def _dask_fit_data(self, X, y, estimator, fit_params):
        """X, y, the labels and fit_params of a fit on a dask ``X``.

        X (and y and sample_weight, when they are dask arrays) are checked on
        the workers and stay there (``_dask.fit_data``). The labels of a dask
        ``y`` are made there too; an in-memory ``y`` is binarized here, as
        in memory.
        """
        from . import _dask

        if self.class_weight is not None:
            raise ValueError(
                "class_weight is not supported with dask data yet: its weights "
                "need every sample's label on the client. Pass the weights as "
                "sample_weight (for a dict, the sample weight times the weight "
                "of each sample's label), or fit on in-memory data."
            )
        if not _uses_fast_path(estimator):
            raise TypeError(
                "A dask X is fitted where its chunks are, which needs the fast "
                "path: the base estimator must be a BinaryLogisticRegression, "
                f"not {estimator!r}, which would need all of X in one process. "
                "Compute X first (X.compute()), or fit on in-memory data with "
                "joblib's dask backend (see the parallelism guide)."
            )
        data = _dask.fit_data(self, X, y, fit_params.get("sample_weight"))
        if "sample_weight" in fit_params:
            fit_params = {**fit_params, "sample_weight": data.sample_weight}
        if data.classes is None:
            Y = self._binarize(data.y)
        else:
            self.label_binarizer_ = _dask.label_binarizer(data.classes)
            Y = _dask.ChunkedLabels.from_targets(data.y, self.label_binarizer_)
        return data.X, data.y, Y, fit_params

    def _forget_fit(self):
        for name in [name for name in vars(self) if name.endswith("_")]:
            if not name.startswith("__"):
                delattr(self, name)

    def _fit_one_by_one(self, X, y, Y, estimator, fit_params, previous, contexts):
        """Fit one clone of the base estimator per class (the generic path)."""
        weights = None
        if self.class_weight is not None:
            # Our class weights reach each clone as its sample_weight.
            sample_weight = fit_params.get("sample_weight")
            if sample_weight is not None:
                sample_weight = _check_sample_weight(
                    sample_weight, X, dtype=np.float64, ensure_non_negative=True
                )
            weights = ovr_class_weights(
                self.class_weight,
                Y,
                self.classes_,
                sample_weight=sample_weight,
                multilabel=self.multilabel_,
            )
        columns = (column.toarray().ravel() for column in Y.T)
        self.estimators_ = Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(
            delayed(_fit_binary)(
                estimator,
                X,
                column,
                fit_params=(
                    fit_params
                    if weights is None
                    else {
                        **fit_params,
                        "sample_weight": weights.problem_sample_weight(index, column),
                    }
                ),
                classes=self._column_classes(index),
                previous=None if previous is None else previous[index],
                context=contexts[index],
                caller=self,
            )
            for index, column in enumerate(columns)
        )
        if hasattr(self.estimators_[0], "n_features_in_"):
            self.n_features_in_ = self.estimators_[0].n_features_in_
        # Not necessarily the first: a constant label's stand-in has no names.
        named = [e for e in self.estimators_ if hasattr(e, "feature_names_in_")]
        if named:
            self.feature_names_in_ = named[0].feature_names_in_

    def _column_labels(self):
        """The label of each column of the label indicator: each problem's.

        Two classes make one column, for the second class.
        """
        if len(self.classes_) == 2 and not self.multilabel_:
            return self.classes_[1:]
        return self.classes_

    def _column_classes(self, index):
        label = self._column_labels()[index]
        return [f"not {label}", label]

    def _previous_estimators(self, estimator):
        """The estimators of the last fit, when warm-starting from them."""
        params = estimator.get_params(deep=False)
        if not params.get("warm_start", False) or not hasattr(self, "estimators_"):
            return None
        return [
            e if not isinstance(e, _ConstantPredictor) else None
            for e in self.estimators_
        ]

    def _fit_lockstep(self, X, y, Y, estimator, fit_params, previous, contexts):
        """Fit all classes' BinaryLogisticRegression together (the fast path)."""
        sample_weight = fit_params.get("sample_weight")
        if is_dask_collection(X):
            from ._dask import chunked_labels

            # X and sample_weight were checked, and put on the workers, by fit.
            labels = chunked_labels(X, Y)
        else:
            X = validate_data(
                self, X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32]
            )
            if sample_weight is not None:
                sample_weight = _check_sample_weight(
                    sample_weight, X, dtype=np.float64, ensure_non_negative=True
                )
            labels = Labels.from_indicator(Y)
        weights = ovr_class_weights(
            self.class_weight,
            Y,
            self.classes_,
            sample_weight=sample_weight,
            multilabel=self.multilabel_,
        )
        n_samples, n_features = X.shape
        positive_counts = labels.weighted_counts(None)
        constant = (positive_counts == 0) | (positive_counts == n_samples)
        estimators = [None] * Y.shape[1]
        for index in np.flatnonzero(constant):
            column = np.full(n_samples, int(positive_counts[index] > 0))
            _warn_constant_label(column, self._column_classes(index))
            estimators[index] = _ConstantPredictor().fit(X, column[:1])
            contexts[index].call_on_fit_task_begin(estimator=self, X=X, y=y)
            contexts[index].call_on_fit_task_end(estimator=self, X=X, y=y)
        fitted = np.flatnonzero(~constant)
        if fitted.shape[0]:
            results = self._solve_classes(
                X,
                y,
                labels,
                fitted,
                estimator,
                sample_weight,
                weights,
                previous,
                contexts,
            )
            kind = "label" if self.multilabel_ else "class"
            for index, result in zip(fitted, results, strict=True):
                binary = clone(estimator)
                binary.n_features_in_ = n_features
                if hasattr(self, "feature_names_in_"):
                    binary.feature_names_in_ = self.feature_names_in_
                estimators[index] = set_solution(
                    binary,
                    result,
                    _BINARY_CLASSES,
                    problem_name=f"{kind} {self._column_labels()[index]}",
                    # One summary line per class: the meta-estimator's, if it
                    # prints one, else the base estimator's.
                    report=not self.verbose,
                )
                if self.verbose:
                    label = self._column_labels()[index]
                    _print_class_summary(label, estimators[index], result)
        self.estimators_ = estimators

    def _solve_classes(
        self,
        X,
        y,
        labels,
        fitted,
        estimator,
        sample_weight,
        weights,
        previous,
        contexts,
    ):
        """One L-BFGS-B run per column ``fitted`` of the label indicator.

        ``sample_weight`` is the user's (for callbacks), ``weights`` what
        ``class_weight`` makes of it (for the objective).
        """
        shared = weights.sample_weight
        problems = Problems(
            labels=fitted,
            class_weights=_combined_class_weights(
                weights,
                estimator.class_weight,
                labels,
                fitted,
                shared,
                X.shape[0],
                names=self._column_labels()[fitted],
            ),
        )
        batch = ProblemBatch.from_labels(
            X,
            labels,
            problems,
            C=estimator.C,
            fit_intercept=estimator.fit_intercept,
            sample_weight=None if shared is None else shared[None, :],
        )
        coef0 = np.array(
            [
                initial_coef(
                    X.shape[1],
                    estimator.fit_intercept,
                    None if previous is None else previous[index],
                )
                for index in fitted
            ]
        )
        print_iterations = max(self.verbose, estimator.verbose) >= 2
        callbacks = ProblemCallbacks(
            contexts=[contexts[index] for index in fitted],
            estimator=self,
            y=y,
            metadata=(
                None if sample_weight is None else {"sample_weight": sample_weight}
            ),
            printers=[
                iteration_printer(f"[class {self._column_labels()[index]}] ")
                if print_iterations
                else None
                for index in fitted
            ],
        )
        return solve(
            batch,
            coef0,
            LbfgsSettings(tol=estimator.tol, max_iter=estimator.max_iter),
            callbacks=callbacks,
            n_jobs=self.n_jobs,
        )

    @available_if(_estimators_have("partial_fit"))
    @_fit_context(prefer_skip_nested_validation=False)
    def partial_fit(self, X, y, classes=None, **partial_fit_params):
        """Fit the binary estimators incrementally on a batch of samples.

        Only available when the base estimator has ``partial_fit``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A batch of training data.

        y : {array-like, sparse matrix} of shape (n_samples,) or \
                (n_samples, n_classes)
            Targets of the batch.

        classes : array-like of shape (n_classes,), default=None
            All the classes, over all batches. Required on the first call.

        **partial_fit_params : dict
            Parameters routed to the base estimator's ``partial_fit``
            (metadata routing only).

        Returns
        -------
        self : object
            The estimator, updated.

        Notes
        -----
        A ``class_weight`` dict weights each batch's samples by their labels'
        weights, passed to the base estimator's ``partial_fit`` as
        ``sample_weight``. ``class_weight="balanced"`` is refused: it balances
        each binary problem over all the training data, which ``partial_fit``
        never sees at once.
        """
        _raise_for_params(partial_fit_params, self, "partial_fit")
        routed_params = process_routing(self, "partial_fit", **partial_fit_params)
        if self.class_weight == "balanced":
            raise ValueError(
                'class_weight="balanced" balances each binary problem over all '
                "the training data, which partial_fit never sees at once. Give "
                "class_weight a dict of weights for the labels, or use fit."
            )
        base = self._base_estimator()
        _check_binary_class_weight(base)
        if self.class_weight is not None:
            _check_takes_sample_weight(base, "partial_fit")
        first_call = not hasattr(self, "classes_")
        try:
            return self._partial_fit(X, y, classes, routed_params, first_call)
        except BaseException:
            if first_call:
                # A failed first call leaves nothing: the next one is first.
                self._forget_fit()
            raise

    def _partial_fit(self, X, y, classes, routed_params, first_call):
        if first_call:
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit."
                )
            self.classes_ = np.unique(classes)
            # Two classes make one binary problem (one label-binarizer column).
            n_estimators = 1 if self.n_classes_ == 2 else self.n_classes_
            self.estimators_ = [
                clone(self._base_estimator()) for _ in range(n_estimators)
            ]
            self.label_binarizer_ = LabelBinarizer(sparse_output=True)
            self.label_binarizer_.fit(self.classes_)
        elif classes is not None and not np.array_equal(
            self.classes_, np.unique(classes)
        ):
            raise ValueError(
                f"`classes={classes!r}` is not the same as on the first call to "
                f"partial_fit, which was {self.classes_!r}."
            )
        if len(np.setdiff1d(y, self.classes_)):
            raise ValueError(
                f"Mini-batch contains {np.unique(y)} while classes must be subset "
                f"of {self.classes_}"
            )
        Y = self.label_binarizer_.transform(y).tocsc()
        params = routed_params.estimator.partial_fit
        if self.class_weight is not None:
            sample_weight = params.get("sample_weight")
            if sample_weight is not None:
                sample_weight = _check_sample_weight(
                    sample_weight, X, dtype=np.float64, ensure_non_negative=True
                )
            weights = ovr_class_weights(
                self.class_weight,
                Y,
                self.classes_,
                sample_weight=sample_weight,
                multilabel=type_of_target(y).startswith("multilabel"),
            )
            params = {**params, "sample_weight": weights.sample_weight}
        columns = (column.toarray().ravel() for column in Y.T)
        self.estimators_ = Parallel(n_jobs=self.n_jobs)(
            delayed(_partial_fit_binary)(
                estimator,
                X,
                column,
                partial_fit_params=params,
            )
            for estimator, column in zip(self.estimators_, columns, strict=True)
        )
        if hasattr(self.estimators_[0], "n_features_in_"):
            self.n_features_in_ = self.estimators_[0].n_features_in_
        return self

    def predict(self, X):
        """Predict the class (or, for multilabel targets, the labels) of samples.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y : {ndarray, sparse matrix} of shape (n_samples,) or \
                (n_samples, n_classes)
            Predicted classes, or a label indicator matrix for multilabel
            targets.
        """
        check_is_fitted(self)
        if is_dask_collection(X):
            return map_dask_rows(self, "predict", X)
        # Each estimator's own threshold: a constant stand-in (a label in every
        # sample) must not impose its 0.5 on the decision values of the others.
        thresholds = [_threshold_for_binary_predict(e) for e in self.estimators_]
        return predict_from_scores(
            self._scores(X), self.label_binarizer_, self.classes_, thresholds
        )

    @available_if(_estimators_have("predict_proba"))
    def predict_proba(self, X):
        """Probability of each class.

        For single-label targets each row sums to one; for multilabel targets
        each entry is the marginal probability of that label.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns ordered as ``classes_``.
        """
        check_is_fitted(self)
        if is_dask_collection(X):
            return map_dask_rows(self, "predict_proba", X)
        scores = self._linear_scores(X)
        if scores is not None:
            return _linear_proba(
                scores.astype(np.float64, copy=False), self.multilabel_
            )
        if (
            not self.multilabel_
            and len(self.estimators_) > 1
            and all(hasattr(e, "predict_log_proba") for e in self.estimators_)
        ):
            # Estimators whose probabilities can be 0 (trees) take log(0):
            # -inf is the value meant, not a problem to warn about.
            with np.errstate(divide="ignore"):
                log_proba = np.column_stack(
                    [e.predict_log_proba(X)[:, 1] for e in self.estimators_]
                )
            return _normalize_log_proba(log_proba)
        proba = np.column_stack([e.predict_proba(X)[:, 1] for e in self.estimators_])
        if len(self.estimators_) == 1:
            # Two classes, one estimator: still one column per class.
            proba = np.concatenate((1 - proba, proba), axis=1)
        if not self.multilabel_:
            row_sums = proba.sum(axis=1)[:, np.newaxis]
            np.divide(proba, row_sums, out=proba, where=row_sums != 0)
        return proba

    @available_if(_estimators_have("decision_function"))
    def decision_function(self, X):
        """Decision function of each binary estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            One column per class; a single column, raveled, for two classes.
        """
        check_is_fitted(self)
        if is_dask_collection(X):
            return map_dask_rows(self, "decision_function", X)
        scores = self._linear_scores(X)
        if scores is None:
            if len(self.estimators_) == 1:
                return self.estimators_[0].decision_function(X)
            scores = np.column_stack(
                [np.ravel(e.decision_function(X)) for e in self.estimators_]
            )
        if scores.shape[1] == 1:
            return scores.ravel()
        return scores

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on the given test data and labels.

        For multilabel targets this is the subset accuracy: a sample counts
        as correct only if every label is predicted right.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples; a dask array is scored chunk by chunk where it
            lives.

        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            True labels of ``X``.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Mean accuracy of ``self.predict(X)`` with respect to ``y``.
        """
        return score_accuracy(self, X, y, sample_weight)

    def _stand_ins_reject_nan(self):
        # NaN is the base estimator's business when it is not ours.
        return _uses_fast_path(self._base_estimator())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base_tags = get_tags(self._base_estimator())
        tags.input_tags.pairwise = base_tags.input_tags.pairwise
        tags.input_tags.sparse = base_tags.input_tags.sparse
        return tags

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        See scikit-learn's
        :ref:`metadata routing user guide <sklearn:metadata_routing>`.

        Returns
        -------
        routing : MetadataRouter
            Routes ``fit`` metadata to the base estimator's ``fit`` and
            ``partial_fit`` metadata to its ``partial_fit``.
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                estimator=base_estimator_routing(self.estimator),
                method_mapping=MethodMapping()
                .add(caller="fit", callee="fit")
                .add(caller="partial_fit", callee="partial_fit"),
            )
        )


def _linear_proba(scores, multilabel):
    """One-vs-rest probabilities from the binary models' decision values.

    The same numbers as normalising ``expit(scores)`` row by row, but computed
    in log space, so that a row whose every ``expit`` underflows (a sample far
    on the negative side of all classes) still sums to one.
    """
    if scores.shape[1] == 1:
        return two_class_proba(scores[:, 0])
    if multilabel:
        return expit(scores)
    return _normalize_log_proba(log_expit(scores))


def _normalize_log_proba(log_proba):
    """Rows of probabilities summing to one, from per-class log-probabilities.

    Shifting each row by its maximum first keeps the largest entry at
    ``exp(0) = 1``, so no row underflows to all zeros. A row where every
    probability is exactly 0 (``-inf`` logs, as a tree's pure leaves give)
    stays all zeros, as in scikit-learn's one-vs-rest.
    """
    row_max = log_proba.max(axis=1, keepdims=True)
    impossible = np.isneginf(row_max)
    row_max[impossible] = 0.0
    proba = np.exp(log_proba - row_max)
    row_sums = proba.sum(axis=1, keepdims=True)
    np.divide(proba, row_sums, out=proba, where=row_sums != 0)
    return proba


def _check_can_predict(estimator):
    if is_regressor(estimator):
        return
    if not (
        hasattr(estimator, "decision_function") or hasattr(estimator, "predict_proba")
    ):
        raise ValueError(
            f"The base estimator {estimator!r} has neither decision_function nor "
            "predict_proba, so its binary predictions cannot be combined into "
            "one-vs-rest predictions. Use a classifier that has one of them, or "
            "a regressor."
        )


def _combined_class_weights(
    weights, base_class_weight, labels, fitted, shared, n, names
):
    """The (rest, label) weights of the fitted problems, ours and the base's.

    The base estimator's ``class_weight`` applies on top of the weights it is
    given, as when it is fitted alone on them (the generic path): its
    "balanced" counts the samples with ``shared`` and our per-problem weights.
    ``names`` are the labels of the fitted problems, for error messages.
    """
    positive = labels.weighted_counts(shared)[fitted]
    # A sum past float64 is inf, which the batch refuses with advice.
    with np.errstate(over="ignore"):
        total = np.full(fitted.shape[0], n if shared is None else float(shared.sum()))
    ours = None if weights.class_weights is None else weights.class_weights[fitted]
    if ours is not None:
        negative = ours[:, 0] * (total - positive)
        positive = ours[:, 1] * positive
        total = negative + positive
    base = class_weight_pairs(
        base_class_weight, _BINARY_CLASSES, positive, total, labels=names
    )
    if ours is None or base is None:
        return base if ours is None else ours
    return ours * base


def _check_binary_class_weight(estimator):
    """A base estimator's ``class_weight`` dict must be keyed on 0 and 1.

    Each binary problem has the classes 0 (the rest) and 1 (the label); a key
    such as "cat" can never apply, and is most likely meant for the original
    labels, as ``LogisticRegression(multi_class="ovr")`` took it.
    """
    class_weight = estimator.get_params(deep=False).get("class_weight")
    if not isinstance(class_weight, dict):
        return
    others = [key for key in class_weight if not _is_binary_key(key)]
    if others:
        raise ValueError(
            f"The base estimator's class_weight={class_weight!r} has keys, "
            f"{others!r}, that are not 0 or 1. OneVsRestClassifier gives the "
            "base estimator's class_weight to each binary problem, whose "
            "classes are 0 (the rest) and 1 (the label). To weight the labels "
            "of y, as LogisticRegression(multi_class='ovr', class_weight=...) "
            "did, give the dict to OneVsRestClassifier instead: "
            f"OneVsRestClassifier(estimator, class_weight={class_weight!r})."
        )


def _is_binary_key(key):
    try:
        return key in (0, 1)
    except (TypeError, ValueError):  # an object whose == does not give a bool
        return False


def _check_takes_sample_weight(estimator, method):
    """Our class weights reach a generic base estimator as its sample_weight."""
    try:
        parameters = signature(getattr(estimator, method)).parameters
    except (TypeError, ValueError):  # pragma: no cover - a builtin method
        parameters = {}
    if "sample_weight" in parameters:
        return
    if get_config()["enable_metadata_routing"]:
        routing = get_routing_for_object(estimator)
        if routing.consumes(method, ["sample_weight"]):
            return
    raise ValueError(
        "OneVsRestClassifier's class_weight reaches the binary estimators as "
        f"their sample_weight, but {type(estimator).__name__}.{method} does not "
        "take sample_weight. Use a base estimator that does; for a Pipeline, "
        "enable metadata routing (sklearn.set_config(enable_metadata_routing="
        "True)) and request sample_weight on its last step "
        "(set_fit_request(sample_weight=True))."
    )


def _binarize_labels(y):
    """A fitted sparse ``LabelBinarizer`` and the label indicator (CSC) of y."""
    binarizer = LabelBinarizer(sparse_output=True)
    try:
        Y = binarizer.fit_transform(y).tocsc()
    except TypeError as exc:
        raise unsortable_labels_error(y, exc) from exc
    return binarizer, Y


def _check_not_a_string(X):
    """A string has a length, which would be taken for a number of samples."""
    if isinstance(X, (str, bytes)):
        raise ValueError(
            f"X is a string, {X[:40]!r}, where an array-like of shape "
            "(n_samples, n_features) is expected: pass the samples' features, "
            "for example a list of rows or a 2-D numpy array."
        )


def _check_not_multioutput(y):
    """A 2-D y must be a 0/1 label indicator, not several multiclass outputs."""
    kind = target_type(y)
    if kind.endswith("-multioutput"):
        raise ValueError(
            f"y is a 2-D array of type {kind!r}; one-vs-rest takes "
            "class labels (1-D) or a multilabel indicator with 0 where a "
            "sample does not have a label and 1 where it does. For several "
            "multiclass outputs use sklearn.multioutput.MultiOutputClassifier."
        )


def _check_indicator_values(Y):
    """A multilabel indicator must say 0 (label absent) or 1 (present)."""
    values = np.unique(Y.data)
    if not np.all(np.isin(values, [0, 1])):
        present = np.union1d(values, [0]) if Y.nnz < np.prod(Y.shape) else values
        raise ValueError(
            f"The multilabel indicator y has the values {present.tolist()}; "
            "one-vs-rest needs 0 where a sample does not have a label and 1 "
            "where it does. Convert it first, for example with "
            "(y == y.max()).astype(int)."
        )


def _print_class_summary(label, binary, result):
    status = "converged" if result.status == 0 else "NOT converged"
    print(
        f"[OneVsRestClassifier] class {label}: {binary.n_iter_} iteration(s), "
        f"objective {result.fun:.10g}, {status}"
    )
