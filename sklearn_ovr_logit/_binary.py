"""BinaryLogisticRegression: L2-penalised binary logistic regression with L-BFGS."""

from numbers import Integral, Real

import numpy as np
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils import compute_class_weight
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._callbacks import CallbackSupportMixin, LbfgsIterationReporter, iteration_subtasks
from ._display import DocumentationLinkMixin
from ._loss import LossWorkspace, loss_and_gradient
from ._solver import check_convergence, minimize_lbfgs, single_threaded_optimizer_blas


def binary_problem_weights(y, classes, sample_weight, class_weight):
    """Per-sample weights of a binary problem: sample weights times class weights.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Labels, each one of ``classes``.
    classes : ndarray of shape (2,)
        The two sorted classes.
    sample_weight : ndarray of shape (n_samples,), float64, or None
        Validated sample weights.
    class_weight : dict, "balanced" or None
        As in :class:`BinaryLogisticRegression`.

    Returns
    -------
    weights : ndarray of shape (n_samples,), float64, or None
        ``None`` when every weight is one.
    weight_sum : float
        ``S``, the sum of the weights (``n_samples`` when they are all one).
    """
    if class_weight is not None:
        if sample_weight is None:
            sample_weight = np.ones(y.shape[0], dtype=np.float64)
        per_class = _per_class_weights(class_weight, classes, y, sample_weight)
        sample_weight = sample_weight * per_class[np.searchsorted(classes, y)]
    if sample_weight is None:
        return None, float(y.shape[0])
    weight_sum = float(sample_weight.sum())
    if not weight_sum > 0:
        raise ValueError(
            "The sample weights (times the class weights) sum to zero: at least "
            "one sample needs a positive weight to fit the model."
        )
    return sample_weight, weight_sum


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


def _per_class_weights(class_weight, classes, y, sample_weight):
    """The weight of each class, as scikit-learn's LogisticRegression computes it."""
    if isinstance(class_weight, str):
        # sample_weight enters "balanced" as in scikit-learn's LogisticRegression.
        return compute_class_weight(
            class_weight, classes=classes, y=y, sample_weight=sample_weight
        )
    # A dict. scikit-learn's compute_class_weight looks a class up as int(c)
    # when it can, so the string class "0" misses the key "0"; look the class
    # up as it is first, then as scikit-learn would.
    weights = np.ones(classes.shape[0])
    missing = []
    for index, label in enumerate(classes.tolist()):
        for key in (label, _sklearn_class_key(label)):
            if key in class_weight:
                weights[index] = class_weight[key]
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
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
        )
        check_classification_targets(y)
        classes = np.unique(y)
        if classes.shape[0] != 2:
            raise ValueError(_n_classes_message(classes, type_of_target(y)))
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        weights, weight_sum = binary_problem_weights(
            y, classes, sample_weight, self.class_weight
        )
        targets = (y == classes[1]).astype(np.float64)

        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        context = self._init_callback_context(
            max_subtasks=iteration_subtasks(self.max_iter)
        )
        context.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)
        previous = self if self.warm_start and hasattr(self, "coef_") else None
        coef0 = initial_coef(X.shape[1], self.fit_intercept, previous)
        reporter = LbfgsIterationReporter(
            context,
            self,
            X,
            y,
            metadata,
            coef0,
            attributes=lambda x: self._solution_attributes(classes, x),
            printer=iteration_printer() if self.verbose >= 2 else None,
        )
        result = fit_binary_lbfgs(
            X,
            targets,
            weights,
            weight_sum,
            coef0,
            C=self.C,
            fit_intercept=self.fit_intercept,
            tol=self.tol,
            max_iter=self.max_iter,
            callback=reporter,
        )
        reporter.close()
        self._set_solution(classes, result)
        context.call_on_fit_task_end(
            estimator=self, X=X, y=y, metadata=metadata, reconstruction_attributes={}
        )
        return self

    def _solution_attributes(self, classes, x):
        """Fitted attributes at the parameters ``x`` (coefficients, intercept)."""
        n_features = x.shape[0] - int(self.fit_intercept)
        intercept = x[n_features] if self.fit_intercept else 0.0
        return {
            "classes_": classes,
            "coef_": x[np.newaxis, :n_features].copy(),
            "intercept_": np.array([intercept], dtype=np.float64),
        }

    def _set_solution(self, classes, result, *, problem_name=None, report=True):
        """Store a solution found by L-BFGS-B as fitted attributes.

        This is the fast path's way in: :class:`OneVsRestClassifier` solves
        many problems together and hands each clone its result. ``report=False``
        skips the ``verbose`` summary line, for a caller that prints its own.
        """
        for name, value in self._solution_attributes(classes, result.x).items():
            setattr(self, name, value)
        self.n_iter_ = check_convergence(
            result, max_iter=self.max_iter, tol=self.tol, problem_name=problem_name
        )
        if self.verbose and report:
            status = "converged" if result.status == 0 else "did not converge"
            name = f" ({problem_name})" if problem_name else ""
            print(
                f"[BinaryLogisticRegression]{name} {status} after "
                f"{self.n_iter_} iteration(s), objective {result.fun:.10g}"
            )
        return self

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
        scores = self.decision_function(X).astype(np.float64, copy=False)
        log_proba = np.empty((scores.shape[0], 2))
        log_proba[:, 0] = log_expit(-scores)
        log_proba[:, 1] = log_expit(scores)
        return log_proba

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_class = False
        return tags


def two_class_proba(scores):
    """Probabilities of both classes, shape (n_samples, 2), from decision values.

    ``expit(-s)`` rather than ``1 - expit(s)`` for the first class keeps tiny
    probabilities exact instead of rounding them to zero.
    """
    proba = np.empty((scores.shape[0], 2))
    proba[:, 0] = expit(-scores)
    proba[:, 1] = expit(scores)
    return proba


def fit_binary_lbfgs(
    X,
    targets,
    weights,
    weight_sum,
    coef0,
    *,
    C,
    fit_intercept,
    tol,
    max_iter,
    callback=None,
):
    """Minimise one binary objective with L-BFGS-B, scipy's BLAS single-threaded.

    Returns the ``scipy.optimize.OptimizeResult``.
    """
    sample_weight = None if weights is None else weights[np.newaxis, :]
    Y = targets[np.newaxis, :]
    weight_sums = np.array([weight_sum])
    l2_reg_strength = np.array([1.0 / (C * weight_sum)])
    workspace = LossWorkspace(1, X.shape[0])

    def fun_and_grad(coef):
        loss, gradient = loss_and_gradient(
            coef[np.newaxis],
            X,
            Y,
            sample_weight,
            weight_sums,
            l2_reg_strength,
            fit_intercept,
            workspace=workspace,
        )
        return loss[0], gradient[0]

    with single_threaded_optimizer_blas():
        return minimize_lbfgs(
            fun_and_grad, coef0, tol=tol, max_iter=max_iter, callback=callback
        )


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
