"""BinaryLogisticRegression: L2-penalised binary logistic regression with L-BFGS."""

from numbers import Integral, Real

import numpy as np
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    _check_y,
    check_is_fitted,
    validate_data,
)

from ._callbacks import CallbackSupportMixin, ProblemCallbacks, iteration_subtasks
from ._display import DocumentationLinkMixin
from ._lockstep import LbfgsSettings, ProblemBatch, is_dask_collection, solve
from ._loss import Labels, Problems
from ._solver import check_convergence
from ._targets import classification_classes


def class_weight_pairs(class_weight, classes, positive_sums, totals, labels=None):
    """The weights of the rest and of the label, for binary problems.

    Parameters
    ----------
    class_weight : dict, "balanced" or None
        As in :class:`BinaryLogisticRegression`; a dict is keyed on ``classes``.
    classes : array-like of shape (2,)
        The two classes of every problem: the rest, then the label.
    positive_sums : ndarray of shape (n_problems,)
        Sample weights of each problem's label, summed.
    totals : ndarray of shape (n_problems,)
        Sample weights of each problem, summed.
    labels : ndarray of shape (n_problems,), default=None
        The label of each problem of a one-vs-rest fit, for error messages;
        None for the single problem of a binary fit.

    Returns
    -------
    class_weights : ndarray of shape (n_problems, 2), or None
        None when ``class_weight`` is None.
    """
    if class_weight is None:
        return None
    if isinstance(class_weight, str):
        # "balanced", with sample weights counted as in scikit-learn's
        # compute_class_weight: S / (2 * S_class) for each class.
        negative_sums = totals - positive_sums
        empty = np.column_stack([negative_sums <= 0, positive_sums <= 0])
        if np.any(empty):
            raise ValueError(_balanced_without_weight(empty, classes, labels))
        return np.column_stack(
            [totals / (2 * negative_sums), totals / (2 * positive_sums)]
        )
    pair = _per_class_weights(class_weight, np.asarray(classes))
    return np.tile(pair, (positive_sums.shape[0], 1))


def _plain(label):
    """A numpy scalar as the Python value a user would write, for messages."""
    return label.item() if isinstance(label, np.generic) else label


def _balanced_without_weight(empty, classes, labels):
    """The error for "balanced" problems with a class of zero total weight."""
    if labels is None:
        (side,) = np.flatnonzero(empty[0])[:1]
        return (
            'class_weight="balanced" weighs each class by the inverse of its '
            f"total sample weight, and class {_plain(classes[side])!r} has none. "
            "Give some of its samples a positive weight, or use a class_weight "
            "dict or None."
        )
    problems = np.flatnonzero(empty.any(axis=1))
    named = [_plain(label) for label in np.asarray(labels)[problems][:10]]
    return (
        'The base estimator\'s class_weight="balanced" weighs the label and '
        "the rest of each binary problem by the inverse of their total sample "
        "weight, and in the problems of the labels "
        f"{named}{' ...' if len(problems) > 10 else ''} one side has none. "
        "Give some of those samples a positive weight, or drop the base "
        "estimator's class_weight."
    )


def initial_coef(n_features, fit_intercept, previous=None):
    """The optimiser's starting point: zeros, or a previous fit's solution.

    Parameters
    ----------
    n_features : int
        Number of features of the data about to be fitted.
    fit_intercept : bool
        Whether the last entry is an intercept.
    previous : BinaryLogisticRegression or None
        A fitted estimator to start from (warm start); ignored when its
        number of features differs.

    Returns
    -------
    coef0 : ndarray of shape (n_features + fit_intercept,)
    """
    coef0 = np.zeros(n_features + int(fit_intercept))
    if previous is not None and previous.coef_.shape == (1, n_features):
        coef0[:n_features] = previous.coef_[0]
        if fit_intercept:
            coef0[-1] = previous.intercept_[0]
    return coef0


def _per_class_weights(class_weight, classes):
    """The weights of ``classes`` from a ``class_weight`` dict, validated."""
    # scikit-learn's compute_class_weight looks a class up as int(c) when it
    # can, so the string class "0" misses the key "0"; look the class up as it
    # is first, then as scikit-learn would.
    weights = np.ones(classes.shape[0])
    missing = []
    for index, label in enumerate(classes.tolist()):
        for key in (label, _sklearn_class_key(label)):
            if key in class_weight:
                weights[index] = _check_class_weight_value(key, class_weight[key])
                break
        else:
            missing.append(label)
    if missing and classes.shape[0] - len(missing) != len(class_weight):
        raise ValueError(
            f"The classes, {missing}, are not in class_weight (keys: "
            f"{sorted(map(repr, class_weight))}). Give a weight for every class "
            "or use keys that are labels of y."
        )
    return weights


def _check_class_weight_value(key, value):
    if (
        isinstance(value, bool)
        or not isinstance(value, Real)
        or not (np.isfinite(value) and value >= 0)
    ):
        raise ValueError(
            f"class_weight[{key!r}] is {value!r}; class weights must be finite, "
            "non-negative numbers."
        )
    return float(value)


def _sklearn_class_key(label):
    try:
        return int(label)
    except (TypeError, ValueError):
        return str(label)


class BinaryLogisticRegression(
    CallbackSupportMixin, ClassifierMixin, DocumentationLinkMixin, BaseEstimator
):
    """Binary logistic regression with an optional L2 penalty, fitted by L-BFGS-B.

    The optimum is the same as that of scikit-learn's
    ``LogisticRegression(solver="lbfgs")`` for two classes, with the same
    parameters and data. It is the building block of
    :class:`~sklearn_ovr_logit.OneVsRestClassifier`, which fits many of them
    together.

    Parameters
    ----------
    C : float, default=1.0
        Inverse of the regularisation strength, in (0, inf]. Smaller values
        mean a stronger penalty. ``C=np.inf`` fits without penalty.

    fit_intercept : bool, default=True
        Whether to fit an (unpenalised) intercept.

    tol : float, default=1e-4
        L-BFGS-B stops when the largest absolute entry of the projected
        gradient of the objective is at most ``tol``. It also stops when an
        iteration no longer lowers the objective (relative change below 64
        machine epsilons); if the gradient is then still above ``tol``, a
        :class:`~sklearn.exceptions.ConvergenceWarning` says so.

    max_iter : int, default=100
        Maximum number of L-BFGS-B iterations.

    class_weight : dict or "balanced", default=None
        Weights of the classes, ``{class_label: weight}``, multiplying the
        sample weights. "balanced" weights each class by
        ``n_samples / (2 * n_samples_in_class)`` (counting sample weights).

    warm_start : bool, default=False
        Start from the previous solution when fitting again on data with the
        same number of features.

    verbose : int, default=0
        0 prints nothing, 1 a summary line per fit, 2 a line per iteration.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two class labels; ``classes_[1]`` is the positive class.

    coef_ : ndarray of shape (1, n_features)
        Coefficients of the decision function.

    intercept_ : ndarray of shape (1,)
        Intercept of the decision function (0 when ``fit_intercept=False``).

    n_iter_ : int
        Number of L-BFGS-B iterations run.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    OneVsRestClassifier : One-vs-rest for more than two classes.
    sklearn.linear_model.LogisticRegression : scikit-learn's estimator with the
        same objective and more solvers.

    Notes
    -----
    With :math:`z_i = x_i^T w + b`, :math:`y_i \\in \\{0, 1\\}` (1 for
    ``classes_[1]``), :math:`s_i` the sample weight times the class weight of
    sample :math:`i` and :math:`S = \\sum_i s_i`, the objective is

    .. math::

        f(w, b) = \\frac{1}{S} \\sum_i s_i \\left(\\log(1 + e^{z_i})
                  - y_i z_i\\right) + \\frac{\\|w\\|_2^2}{2 C S}.

    The intercept is not penalised. Float32 input stays float32 and its
    products run in float32; the optimiser's parameters and the loss sums are
    float64.

    References
    ----------
    .. [1] R. H. Byrd, P. Lu, J. Nocedal and C. Zhu, "A limited memory
       algorithm for bound constrained optimization", SIAM Journal on
       Scientific Computing 16(5), 1995.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_ovr_logit import BinaryLogisticRegression
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), BinaryLogisticRegression(C=0.1))
    >>> clf.fit(X, y).score(X, y)
    0.98...
    >>> clf.predict_proba(X[:2]).round(4)
    array([[1.    , 0.    ],
           [0.9956, 0.0044]])
    """

    _parameter_constraints: dict = {
        "C": [Interval(Real, 0, None, closed="right")],
        "fit_intercept": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        C=1.0,
        *,
        fit_intercept=True,
        tol=1e-4,
        max_iter=100,
        class_weight=None,
        warm_start=False,
        verbose=0,
    ):
        self.C = C
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to two-class data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 and float64 are used as they are (no copy
            when already C- or F-ordered); CSR and CSC matrices are supported.

        y : array-like of shape (n_samples,)
            Target values, exactly two classes.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples. ``None`` gives every sample
            weight one.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if any(map(is_dask_collection, (X, y, sample_weight))):
            X, y, sample_weight, classes, labels = self._dask_fit_data(
                X, y, sample_weight
            )
        else:
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse=["csr", "csc"],
                dtype=[np.float64, np.float32],
            )
            classes = classification_classes(y)
            if classes.shape[0] != 2:
                raise ValueError(_n_classes_message(classes, type_of_target(y)))
            if sample_weight is not None:
                sample_weight = _check_sample_weight(
                    sample_weight, X, dtype=np.float64, ensure_non_negative=True
                )
            # One label, the positive class; the other class is "the rest".
            labels = Labels.from_indicator((y == classes[1])[:, np.newaxis])
        # A sum past float64 is inf, which the batch refuses with advice.
        with np.errstate(over="ignore"):
            totals = np.array(
                [y.shape[0] if sample_weight is None else float(sample_weight.sum())]
            )
        problems = Problems(
            labels=np.array([0]),
            class_weights=class_weight_pairs(
                self.class_weight,
                classes,
                labels.weighted_counts(sample_weight),
                totals,
            ),
        )
        batch = ProblemBatch.from_labels(
            X,
            labels,
            problems,
            C=self.C,
            fit_intercept=self.fit_intercept,
            sample_weight=None if sample_weight is None else sample_weight[None, :],
        )
        previous = self if self.warm_start and hasattr(self, "coef_") else None
        coef0 = initial_coef(X.shape[1], self.fit_intercept, previous)

        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        context = self._init_callback_context(
            max_subtasks=iteration_subtasks(self.max_iter)
        )
        callbacks = ProblemCallbacks(
            contexts=[context],
            estimator=self,
            y=y,
            metadata=metadata,
            printers=[iteration_printer() if self.verbose >= 2 else None],
            attributes=[lambda x: solution_attributes(x, classes, self.fit_intercept)],
        )
        [result] = solve(
            batch,
            coef0[np.newaxis, :],
            LbfgsSettings(tol=self.tol, max_iter=self.max_iter),
            callbacks=callbacks,
        )
        return set_solution(self, result, classes)

    def _dask_fit_data(self, X, y, sample_weight):
        """X, y, sample_weight, classes and labels of a fit on a dask ``X``.

        X (and y and sample_weight, when they are dask arrays) are checked
        on the workers and stay there; see ``_dask.fit_data``.
        """
        from . import _dask

        data = _dask.fit_data(self, X, y, sample_weight)
        y = data.y
        if data.classes is None:
            y = _check_y(y)
            classes = classification_classes(y)
            target_type = type_of_target(y)
        else:
            classes = data.classes
            target_type = type_of_target(classes)
        if classes.shape[0] != 2:
            raise ValueError(_n_classes_message(classes, target_type))
        if data.classes is None:
            labels = Labels.from_indicator((y == classes[1])[:, np.newaxis])
        else:
            binarizer = _dask.label_binarizer(classes)
            labels = _dask.ChunkedLabels.from_targets(y, binarizer)
        labels = _dask.chunked_labels(data.X, labels)
        return data.X, y, data.sample_weight, classes, labels

    def decision_function(self, X):
        """Signed distance to the decision boundary, ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Positive values predict ``classes_[1]``.
        """
        check_is_fitted(self)
        if is_dask_collection(X):
            return map_dask_rows(self, "decision_function", X)
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            reset=False,
        )
        coef = self.coef_[0].astype(X.dtype, copy=False)
        return np.asarray(X @ coef) + self.intercept_[0].astype(X.dtype)

    def predict(self, X):
        """Predict the class of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        if is_dask_collection(X):
            return map_dask_rows(self, "predict", X)
        scores = self.decision_function(X)
        return self.classes_[(scores > 0).astype(int)]

    def predict_proba(self, X):
        """Probability of each class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Probabilities of ``classes_[0]`` and ``classes_[1]``.
        """
        if is_dask_collection(X):
            return map_dask_rows(self, "predict_proba", X)
        # Probabilities in float64 even for float32 X, where expit would
        # underflow to 0 beyond a margin of about 100.
        scores = self.decision_function(X).astype(np.float64, copy=False)
        return two_class_proba(scores)

    def predict_log_proba(self, X):
        """Logarithm of the probability of each class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, 2)
            Log-probabilities of ``classes_[0]`` and ``classes_[1]``, finite
            even where a probability rounds to 0.
        """
        if is_dask_collection(X):
            return map_dask_rows(self, "predict_log_proba", X)
        scores = self.decision_function(X).astype(np.float64, copy=False)
        log_proba = np.empty((scores.shape[0], 2))
        log_proba[:, 0] = log_expit(-scores)
        log_proba[:, 1] = log_expit(scores)
        return log_proba

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on the given test data and labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples; a dask array is scored chunk by chunk where it
            lives.

        y : array-like of shape (n_samples,)
            True labels of ``X``.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Mean accuracy of ``self.predict(X)`` with respect to ``y``.
        """
        return score_accuracy(self, X, y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_class = False
        return tags


def map_dask_rows(estimator, method, X):
    """``estimator.method(X)`` for a dask ``X``: lazy, computed chunk by chunk."""
    check_is_fitted(estimator)
    from ._dask import map_rows

    return map_rows(estimator, method, X)


def score_accuracy(estimator, X, y, sample_weight):
    """``ClassifierMixin.score``, computed where the chunks are for a dask ``X``."""
    if is_dask_collection(X):
        check_is_fitted(estimator)
        from ._dask import score

        return score(estimator, X, y, sample_weight)
    return ClassifierMixin.score(estimator, X, y, sample_weight=sample_weight)


def two_class_proba(scores):
    """Probabilities of both classes, shape (n_samples, 2), from decision values.

    ``expit(-s)`` rather than ``1 - expit(s)`` for the first class keeps tiny
    probabilities exact instead of rounding them to zero.
    """
    proba = np.empty((scores.shape[0], 2))
    proba[:, 0] = expit(-scores)
    proba[:, 1] = expit(scores)
    return proba


def solution_attributes(x, classes, fit_intercept):
    """The fitted attributes (``classes_``, ``coef_``, ``intercept_``) at ``x``.

    ``x`` holds the coefficients, then the intercept when ``fit_intercept``.
    """
    n_features = x.shape[0] - int(fit_intercept)
    intercept = x[n_features] if fit_intercept else 0.0
    return {
        "classes_": classes,
        "coef_": x[np.newaxis, :n_features].copy(),
        "intercept_": np.array([intercept], dtype=np.float64),
    }


def set_solution(estimator, result, classes, *, problem_name=None, report=True):
    """Make ``estimator`` fitted at the solution L-BFGS-B found.

    The one place where a :class:`BinaryLogisticRegression` gets its fitted
    attributes, whether from its own ``fit`` or from the one-vs-rest fast path
    that solved many problems together. It warns when the run did not
    converge. ``report=False`` skips the ``verbose`` summary line, for a
    caller that prints its own.

    Parameters
    ----------
    estimator : BinaryLogisticRegression
        The estimator, with the parameters the problem was solved with.
    result : scipy.optimize.OptimizeResult
        What L-BFGS-B returned.
    classes : ndarray of shape (2,)
        The two classes.
    problem_name : str, default=None
        Names the problem in warnings and in the summary line.
    report : bool, default=True
        Whether to print the summary line when ``estimator.verbose``.

    Returns
    -------
    estimator : BinaryLogisticRegression
        The same estimator, fitted.
    """
    attributes = solution_attributes(result.x, classes, estimator.fit_intercept)
    for name, value in attributes.items():
        setattr(estimator, name, value)
    estimator.n_iter_ = check_convergence(
        result,
        max_iter=estimator.max_iter,
        tol=estimator.tol,
        problem_name=problem_name,
    )
    if estimator.verbose and report:
        status = "converged" if result.status == 0 else "did not converge"
        name = f" ({problem_name})" if problem_name else ""
        print(
            f"[BinaryLogisticRegression]{name} {status} after "
            f"{estimator.n_iter_} iteration(s), objective {result.fun:.10g}"
        )
    return estimator


def iteration_printer(prefix=""):
    """An L-BFGS-B callback that prints the objective after each iteration."""
    iteration = 0

    def print_iteration(intermediate_result):
        nonlocal iteration
        iteration += 1
        objective = intermediate_result.fun
        print(f"{prefix}iteration {iteration:4d}: objective {objective:.12g}")

    return print_iteration


def _n_classes_message(classes, target_type):
    if classes.shape[0] < 2:
        return (
            "BinaryLogisticRegression needs samples of 2 classes, but the data "
            f"contains only one class: {classes[0]!r}."
        )
    shown = ", ".join(repr(c) for c in classes[:10])
    more = ", ..." if classes.shape[0] > 10 else ""
    # The first sentence is the one scikit-learn's estimator checks look for.
    return (
        "Only binary classification is supported. The type of the target is "
        f"{target_type}: y has {classes.shape[0]} classes ({shown}{more}). For "
        "more than two classes use "
        "sklearn_ovr_logit.OneVsRestClassifier(BinaryLogisticRegression())."
    )
