"""OneVsRestLogisticRegressionCV: the path of every class and fold in one fit.

The search solves one binary problem per (class, fold, ``C``). All of them go
through the lockstep fast path (:func:`~sklearn_ovr_logit._lockstep.solve_path`):
the problems of all classes and folds share each pass over ``X``, a fold's
problems weigh its held-out samples by zero instead of copying its rows, and
each problem starts from its own solution at the previous (smaller) ``C``.
The scores come from the decision values of the held-out rows, computed a
block of rows at a time and handed to the scorer through small stand-ins for
fitted models, as scikit-learn's ``RidgeCV`` does.

A dask ``X`` stays on the workers (``_dask``): the per-sample arrays (``y``,
the sample weights, ``groups``) come to this process, the splitter sees only
X's number of rows, each fold's training weights go to the workers one fold
at a time, and the held-out decision values are computed where the chunks
are; the rounds of the search and of the refit are those of the fast path.
"""

import inspect
import time
import warnings
from numbers import Integral, Number, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MultiOutputMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import get_scorer, get_scorer_names, make_scorer
from sklearn.model_selection import check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.validation import (
    _check_method_params,
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
    indexable,
    validate_data,
)

from ._binary import (
    BinaryLogisticRegression,
    _plain,
    class_weight_pairs,
    iteration_printer,
    map_dask_rows,
    score_accuracy,
    set_solution,
    solution_attributes,
    two_class_proba,
)
from ._callbacks import CallbackSupportMixin, ProblemCallbacks, iteration_subtasks
from ._class_weight import balanced_label_weights, ovr_class_weights
from ._display import DocumentationLinkMixin
from ._lockstep import (
    LbfgsSettings,
    ProblemBatch,
    is_dask_collection,
    solve,
    solve_path,
)
from ._loss import Labels, Problems
from ._ovr import (
    _BINARY_CLASSES,
    FittedOneVsRestMixin,
    _binarize_labels,
    _check_indicator_values,
    _check_not_multioutput,
    _ConstantPredictor,
    _linear_proba,
    _threshold_for_binary_predict,
    _warn_constant_label,
    predict_from_scores,
)
from ._warnings import user_stacklevel

# The held-out decision values of one fold, for a group of values of C, take
# at most about this much memory (one value of C at least).
_DECISION_VALUES_BYTES = 64 << 20
# Rows of X copied at a time to compute held-out decision values.
_SCORING_BLOCK_BYTES = 4 << 20


class OneVsRestLogisticRegressionCV(
    CallbackSupportMixin,
    MultiOutputMixin,
    ClassifierMixin,
    DocumentationLinkMixin,
    FittedOneVsRestMixin,
    BaseEstimator,
):
    """One-vs-rest logistic regression with ``C`` chosen by cross-validation.

    Fits a binary L2-penalised logistic regression for each class against the
    rest at every value of ``Cs`` on every cross-validation fold, scores each
    on the fold's held-out samples, chooses ``C`` (one per class, or one for
    all classes), and refits on all the data. All the binary problems of the
    search are solved together: the problems of every class and fold share
    each pass over ``X``, and each follows the regularisation path from its
    previous solution. Once fitted it predicts as a fitted
    :class:`~sklearn_ovr_logit.OneVsRestClassifier` does.

    Read more in the :ref:`User Guide <cross_validation>`.

    Parameters
    ----------
    Cs : int or array-like of shape (n_Cs,), default=10
        The values of ``C`` (inverse regularisation strength, in (0, inf]) to
        try. An int ``n`` gives ``n`` values log-spaced between 1e-4 and 1e4,
        as in :class:`~sklearn.linear_model.LogisticRegressionCV`. The values
        are tried, and stored in ``Cs_``, in increasing order.

    C_per_class : bool, default=False
        False chooses one ``C`` for all classes, by the score of the
        one-vs-rest model's predictions (as ``GridSearchCV`` over
        ``OneVsRestClassifier(LogisticRegression())`` does). True chooses a
        ``C`` for each class, by the score of its own binary problem, that
        class against the rest (as ``OneVsRestClassifier(
        LogisticRegressionCV())`` does).

    cv : int, cross-validation generator or iterable, default=None
        The folds. None means 5 folds; an int is a number of folds. Both use
        :class:`~sklearn.model_selection.StratifiedKFold` (without shuffling)
        for multiclass targets and :class:`~sklearn.model_selection.KFold`
        for multilabel ones. A splitter or an iterable of ``(train, test)``
        index arrays is used as given.

    scoring : str, callable or None, default=None
        How each fold's held-out samples are scored: a scorer name (see
        :ref:`sklearn:scoring_string_names`), a callable
        ``scorer(estimator, X, y)``, or None for accuracy. With
        ``C_per_class=True`` it scores each binary problem (targets 0 and 1,
        1 for the class), otherwise the one-vs-rest predictions. The
        ``estimator`` the scorer receives has ``predict``, ``predict_proba``,
        ``decision_function`` and ``classes_``, and takes the held-out
        decision values in place of ``X``: a callable that uses only these
        (as the scorers of :func:`~sklearn.metrics.make_scorer` do) works.

    fit_intercept : bool, default=True
        Whether each binary model has an (unpenalised) intercept.

    class_weight : dict or "balanced", default=None
        Weights of the classes, as scikit-learn 1.7's
        ``LogisticRegressionCV(multi_class="ovr")`` had them. A dict
        ``{class_label: weight}`` is keyed on the labels of ``y`` and
        multiplies the weight of each sample of that class in every fit of
        the search and the refit, not in the scores (multiclass targets
        only). "balanced" is the dict ``n_samples / (n_classes *
        n_samples_of_the_class)``, counted once on all of ``y`` (with sample
        weights). For multilabel targets, "balanced" weighs, in each binary
        problem, the label and the rest by ``n_samples / (2 *
        n_samples_in_it)``, counted on all the data.

    tol : float, default=1e-4
        Each L-BFGS-B run stops when the largest absolute entry of the
        projected gradient is at most ``tol``.

    max_iter : int, default=100
        Maximum number of L-BFGS-B iterations of each run.

    refit : bool, default=True
        True refits each class on all the data at its chosen ``C``, starting
        from the average of its folds' solutions. False refits nothing: each
        class's coefficients are the average over the folds of each fold's
        solution at the ``C`` that scored best on that fold, and ``C_`` is
        the average of those ``C`` (as in ``LogisticRegressionCV``).

    n_jobs : int, default=None
        Number of joblib jobs the binary problems are sharded over (whole
        classes with all their folds stay together), through
        :class:`sklearn.utils.parallel.Parallel`. ``None`` means 1 unless in
        a :obj:`joblib.parallel_config` context; ``-1`` means all processors.

    verbose : int, default=0
        1 prints a line per value of ``C`` of the search and a line per class
        of the refit; 2 also a line per L-BFGS-B iteration of every problem.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    Cs_ : ndarray of shape (n_Cs,)
        The values of ``C`` tried, in increasing order.

    C_ : ndarray of shape (n_estimators,)
        The ``C`` of each binary model (one per class; one in all for two
        classes); all equal with ``C_per_class=False``. NaN for a label
        present in every sample, or in none (multilabel targets).

    class_scores_ : ndarray of shape (n_estimators, n_folds, n_Cs)
        With ``C_per_class=True``: the score of each class's binary problem
        on each fold's held-out samples, at each ``C`` of ``Cs_``.

    scores_ : ndarray of shape (n_folds, n_Cs)
        With ``C_per_class=False``: the score of the one-vs-rest predictions
        on each fold's held-out samples, at each ``C`` of ``Cs_``.

    coefs_paths_ : ndarray of shape (n_estimators, n_folds, n_Cs, n_features + 1)
        The coefficients of each binary problem of the search, the intercept
        last (without it when ``fit_intercept=False``).

    n_iter_ : ndarray of shape (n_estimators,)
        The L-BFGS-B iterations run for each class: those of its problems in
        the search (every fold and ``C``) and of its refit. The refit's alone
        are ``estimators_[k].n_iter_``.

    n_iter_paths_ : ndarray of shape (n_estimators, n_folds, n_Cs)
        The L-BFGS-B iterations of each problem of the search; 0 where the
        solution at the previous ``C`` already met ``tol``.

    estimators_ : list of estimators
        The ``n_estimators`` fitted binary models,
        :class:`~sklearn_ovr_logit.BinaryLogisticRegression` with their
        class's ``C`` (a constant predictor for a label present in every
        sample, or in none).

    coef_ : ndarray of shape (n_estimators, n_features)
        Stacked coefficients of the binary models.

    intercept_ : ndarray of shape (n_estimators,)
        Stacked intercepts of the binary models.

    n_classes_ : int
        Number of classes.

    label_binarizer_ : LabelBinarizer
        Turns labels into the binary columns and back.

    multilabel_ : bool
        Whether the target is a multilabel indicator matrix.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    OneVsRestClassifier : One-vs-rest with a given ``C``.
    sklearn.linear_model.LogisticRegressionCV : scikit-learn's binary and
        multinomial cross-validated logistic regression.

    Notes
    -----
    For class :math:`k`, fold :math:`f` and :math:`C` in ``Cs_``, the search
    minimises over the fold's training samples :math:`T_f`

    .. math::

        \\frac{1}{S} \\sum_{i \\in T_f} s_i \\left(\\log(1 + e^{z_i})
        - y_{ik} z_i\\right) + \\frac{\\|w\\|_2^2}{2 C S},
        \\quad z_i = x_i^T w + b,

    with :math:`y_{ik} = 1` when sample :math:`i` has class :math:`k`,
    :math:`s_i` its sample weight times its class weight and :math:`S` their
    sum over :math:`T_f`: the objective of
    :class:`~sklearn_ovr_logit.BinaryLogisticRegression`. With
    ``C_per_class=True``, class :math:`k` gets the ``C`` of best mean score
    over the folds of its own problems; otherwise all classes get the ``C``
    of best mean score of the one-vs-rest predictions. Ties go to the
    smaller ``C`` (the stronger penalty), so that the order of ``Cs`` does
    not matter.

    Each problem starts at the smallest ``C`` from zero, then at each larger
    ``C`` from its solution at the previous one. The folds never copy ``X``:
    their problems give zero weight to the held-out samples, and where these
    make long runs of rows (``cv`` without shuffling) the fold's problems
    skip them.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_ovr_logit import OneVsRestLogisticRegressionCV
    >>> X, y = load_iris(return_X_y=True)
    >>> search = OneVsRestLogisticRegressionCV(Cs=[0.01, 0.1, 1, 10], cv=3)
    >>> clf = make_pipeline(StandardScaler(), search).fit(X, y)
    >>> clf[-1].C_
    array([10., 10., 10.])
    >>> clf[-1].scores_.mean(axis=0).round(3)
    array([0.84 , 0.88 , 0.907, 0.947])
    >>> clf.predict_proba(X[:1]).round(3)
    array([[0.919, 0.081, 0.   ]])
    >>> per_class = search.set_params(C_per_class=True)
    >>> clf = make_pipeline(StandardScaler(), per_class).fit(X, y)
    >>> clf[-1].C_
    array([0.1, 1. , 1. ])
    >>> clf[-1].class_scores_.shape  # (classes, folds, Cs)
    (3, 3, 4)
    """

    _parameter_constraints: dict = {
        "Cs": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "C_per_class": ["boolean"],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "fit_intercept": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "refit": ["boolean"],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        Cs=10,
        *,
        C_per_class=False,
        cv=None,
        scoring=None,
        fit_intercept=True,
        class_weight=None,
        tol=1e-4,
        max_iter=100,
        refit=True,
        n_jobs=None,
        verbose=0,
    ):
        self.Cs = Cs
        self.C_per_class = C_per_class
        self.cv = cv
        self.scoring = scoring
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.tol = tol
        self.max_iter = max_iter
        self.refit = refit
        self.n_jobs = n_jobs
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, **params):
        """Search ``C`` by cross-validation, then refit on all the data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 and float64 are used as they are; CSR and
            CSC matrices are supported. A dask array chunked by rows is
            fitted where its chunks are, without gathering it (see
            :ref:`larger_than_memory`).

        y : {array-like, sparse matrix} of shape (n_samples,) or \
                (n_samples, n_classes)
            Multiclass targets, or a multilabel indicator matrix. A dask
            array is computed into this process (the splitter needs it).

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples (a dask array is computed
            into this process, as ``y``), in every fit of the search
            and in the refit. They also weigh the held-out samples in the
            scores: always without metadata routing (as in
            ``LogisticRegressionCV``) and with the default ``scoring``; with
            metadata routing and a given ``scoring``, when its scorer requests
            them (``set_score_request``).

        **params : dict
            ``groups`` for the splitter (for example
            :class:`~sklearn.model_selection.GroupKFold`). With
            ``sklearn.set_config(enable_metadata_routing=True)``, any metadata
            the splitter's ``split`` or the scorer requests.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        _raise_for_params(params, self, "fit", allow=["groups"])
        # Nothing of a previous fit stays (scores_ and class_scores_ depend
        # on C_per_class), and a failed fit leaves no partial model.
        self._forget_fit()
        try:
            return self._fit(X, y, sample_weight, params)
        except BaseException:
            self._forget_fit()
            raise

    def _forget_fit(self):
        for name in [name for name in vars(self) if name.endswith("_")]:
            if not name.startswith("__"):
                delattr(self, name)

    def _fit(self, X, y, sample_weight, params):
        on_dask = any(map(is_dask_collection, (X, y, sample_weight, *params.values())))
        if on_dask:
            X, y, sample_weight, params = _dask_fit_data(
                self, X, y, sample_weight, params
            )
        else:
            X = validate_data(
                self, X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32]
            )
        check_consistent_length(X, y)
        (y,) = indexable(y)
        _check_not_multioutput(y)
        Cs = _check_Cs(self.Cs)
        binarizer, Y = _binarize_labels(y)
        classes = binarizer.classes_
        multilabel = binarizer.y_type_.startswith("multilabel")
        if classes.shape[0] < 2:
            raise ValueError(
                "OneVsRestLogisticRegressionCV needs samples of at least 2 "
                f"classes, but y has only one class: {_plain(classes[0])!r}."
            )
        if multilabel:
            _check_indicator_values(Y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        split_params, score_params = self._route(sample_weight, params)
        if _is_iterable_of_splits(self.cv):
            # Checked here rather than in scikit-learn's wrapper, whose errors
            # for malformed folds do not say what is wrong.
            folds = self.cv
        else:
            # A dask X's splitter sees its number of rows, not its values.
            X_split = _RowsOnly(X.shape) if on_dask else X
            folds = check_cv(self.cv, y, classifier=True).split(
                X_split, y, **split_params
            )

        n_samples = X.shape[0]
        labels = Labels.from_indicator(Y)
        weights = self._sample_weights(y, Y, classes, multilabel, sample_weight)
        if on_dask:
            from ._dask import chunked_labels

            # The labels go to the workers once, for the search and the refit.
            batch_labels = chunked_labels(X, labels)
            tests, fold_weights = _dask_fold_weights(X, folds, weights)
        else:
            batch_labels = labels
            splits = _check_splits(folds, n_samples)
            tests = [test for _, test in splits]
            fold_weights = _fold_weights(splits, n_samples, weights)
        totals, positives = batch_labels.weight_totals(fold_weights)
        _check_fold_totals(totals)
        counts = labels.weighted_counts(None)
        # A label in every sample, or in none (multilabel targets only): a
        # constant predictor, as in OneVsRestClassifier; nothing to search.
        is_constant = (counts == 0) | (counts == n_samples)
        constant = {int(i): int(counts[i] > 0) for i in np.flatnonzero(is_constant)}
        fitted = np.flatnonzero(~is_constant)
        n_fitted, n_folds = fitted.shape[0], len(tests)
        class_weights = self._class_weight_pairs(labels, fitted, weights, multilabel)
        _warn_about_folds(totals, positives, fitted, classes, multilabel)

        search = _Search(self, X, y, batch_labels, fitted, class_weights, Cs, classes)
        context = self._init_callback_context(
            max_subtasks=n_fitted * n_folds + (n_fitted if self.refit else 0)
        )
        context.call_on_fit_task_begin(estimator=self, X=X, y=y)
        paths, n_iter = search.run(fold_weights, context)
        scores = _score_folds(
            self._scorers(classes, multilabel),
            X,
            y,
            Y,
            tests,
            paths,
            constant,
            binarizer,
            self.C_per_class,
            self.fit_intercept,
            score_params,
        )
        _warn_about_nan_scores(scores)
        everyone = np.arange(n_fitted)
        if self.refit:
            best = _best_index(scores.mean(axis=-2), "the mean score over the folds")
            best = np.broadcast_to(best, (n_fitted,))
            C = Cs[best]
            start = paths[everyone, :, best].mean(axis=1)
            solutions = search.refit(weights, C, start, context)
        else:
            # Each fold's best C, and the average of those solutions.
            best = _best_index(scores, "the scores of a fold")
            best = np.broadcast_to(best, (n_fitted, n_folds))
            C = Cs[best].mean(axis=1)
            solutions = paths[everyone[:, np.newaxis], np.arange(n_folds), best]
            solutions = list(solutions.mean(axis=1))

        n_columns = Y.shape[1]
        estimators = self._estimators(
            X, classes, n_columns, constant, fitted, C, solutions, multilabel
        )
        self.label_binarizer_ = binarizer
        self.classes_ = classes
        self.estimators_ = estimators
        self.Cs_ = Cs
        self.C_ = _spread(C, fitted, (n_columns,))
        self.coefs_paths_ = _spread(
            paths, fitted, (n_columns, n_folds, Cs.shape[0], paths.shape[-1])
        )
        self.n_iter_paths_ = _spread(
            n_iter, fitted, (n_columns, n_folds, Cs.shape[0]), fill=0
        )
        refit_iterations = [getattr(e, "n_iter_", 0) for e in estimators]
        self.n_iter_ = self.n_iter_paths_.sum(axis=(1, 2)) + refit_iterations
        if self.C_per_class:
            self.class_scores_ = _spread(
                scores, fitted, (n_columns, n_folds, Cs.shape[0])
            )
        else:
            self.scores_ = scores
        context.call_on_fit_task_end(
            estimator=self, X=X, y=y, reconstruction_attributes={}
        )
        return self

    def _route(self, sample_weight, params):
        """The metadata for the splitter's ``split`` and for the scorer."""
        if _routing_enabled():
            routed = process_routing(self, "fit", sample_weight=sample_weight, **params)
            return routed.splitter.split, routed.scorer.score
        split_params = {} if params.get("groups") is None else dict(params)
        score_params = {} if sample_weight is None else {"sample_weight": sample_weight}
        return split_params, score_params

    def _sample_weights(self, y, Y, classes, multilabel, sample_weight):
        """Sample weights times the class weight of each sample's label.

        As in scikit-learn 1.7's ``LogisticRegressionCV(multi_class="ovr")``:
        a dict is keyed on the labels, and "balanced" is the dict that
        balances the labels over all of ``y``, used in every fold.
        """
        class_weight = self.class_weight
        if class_weight is None or (multilabel and class_weight == "balanced"):
            return sample_weight
        if class_weight == "balanced":
            # A column y, (n_samples, 1), holds one label per sample too.
            labels = np.ravel(y)
            balanced = balanced_label_weights(labels, classes, sample_weight)
            class_weight = dict(zip(classes.tolist(), balanced, strict=True))
        weights = ovr_class_weights(
            class_weight, Y, classes, sample_weight=sample_weight, multilabel=multilabel
        )
        return weights.sample_weight

    def _class_weight_pairs(self, labels, fitted, weights, multilabel):
        """Multilabel "balanced": (rest, label) weights from all the data."""
        if self.class_weight != "balanced" or not multilabel:
            return None
        total = labels.n_samples if weights is None else weights.sum()
        return class_weight_pairs(
            "balanced",
            _BINARY_CLASSES,
            labels.weighted_counts(weights)[fitted],
            np.full(fitted.shape[0], total, dtype=np.float64),
        )

    def _scorers(self, classes, multilabel):
        """The scorers of the binary problems and of the one-vs-rest model."""
        scorer = self._get_scorer()
        # A fold's held-out samples may lack a class: scorers that take the
        # labels get them all, as in LogisticRegressionCV.
        binary = _with_labels(scorer, _BINARY_CLASSES)
        return binary, scorer if multilabel else _with_labels(scorer, classes)

    def _get_scorer(self):
        if self.scoring is not None:
            return get_scorer(self.scoring)
        scorer = get_scorer("accuracy")
        if _routing_enabled():
            # The default weighs the held-out samples with or without routing;
            # no one could set the request of a scorer made here.
            scorer.set_score_request(sample_weight=True)
        return scorer

    def _estimators(
        self, X, classes, n_columns, constant, fitted, C, solutions, multilabel
    ):
        """The binary models, from refits (results) or averaged coefficients."""
        n_features = X.shape[1]
        estimators = [None] * n_columns
        kind = "label" if multilabel else "class"
        for index, value in constant.items():
            label = classes[index]
            _warn_constant_label(np.array([value]), [f"not {label}", label])
            estimators[index] = _ConstantPredictor().fit(X, np.array([value]))
        for position, index in enumerate(fitted):
            binary = BinaryLogisticRegression(
                C=float(C[position]),
                fit_intercept=self.fit_intercept,
                tol=self.tol,
                max_iter=self.max_iter,
                # Only multilabel "balanced" is each binary problem's own.
                class_weight=(
                    "balanced"
                    if multilabel and self.class_weight == "balanced"
                    else None
                ),
            )
            binary.n_features_in_ = n_features
            if hasattr(self, "feature_names_in_"):
                binary.feature_names_in_ = self.feature_names_in_
            solution = solutions[position]
            if isinstance(solution, np.ndarray):
                attributes = solution_attributes(
                    solution, _BINARY_CLASSES, self.fit_intercept
                )
                for name, value in attributes.items():
                    setattr(binary, name, value)
                binary.n_iter_ = 0
            else:
                set_solution(
                    binary,
                    solution,
                    _BINARY_CLASSES,
                    problem_name=f"{kind} {classes[index]} (refit)",
                    report=False,
                )
                if self.verbose:
                    print(
                        f"[OneVsRestLogisticRegressionCV] refit {kind} "
                        f"{classes[index]}: C={binary.C:g}, {binary.n_iter_} "
                        f"iteration(s), objective {solution.fun:.10g}"
                    )
            estimators[index] = binary
        return estimators

    def decision_function(self, X):
        """Decision function of each binary model.

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
        scores = self._scores(X)
        return scores.ravel() if scores.shape[1] == 1 else scores

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
        thresholds = [_threshold_for_binary_predict(e) for e in self.estimators_]
        return predict_from_scores(
            self._scores(X), self.label_binarizer_, self.classes_, thresholds
        )

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
        # Multilabel only (a label in every sample, or in none): marginals.
        return np.column_stack([e.predict_proba(X)[:, 1] for e in self.estimators_])

    def score(self, X, y, sample_weight=None):
        """The score of the model's predictions on ``X``.

        ``scoring`` scores them, as in the search; accuracy when ``scoring``
        is None, or when ``C_per_class=True``, where ``scoring`` scores each
        class's binary problem and not the one-vs-rest predictions.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples. On a dask array, accuracy (``scoring=None``) is
            computed chunk by chunk where the chunks are; another
            ``scoring`` gets the model's predictions (or probabilities, or
            decision values) computed chunk by chunk and brought here, with
            ``y`` and ``sample_weight``.

        y : {array-like, sparse matrix} of shape (n_samples,) or \
                (n_samples, n_classes)
            True labels.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples. With metadata routing, passed on only
            if the scorer requests it, as in ``fit``.

        Returns
        -------
        score : float
            The score.
        """
        check_is_fitted(self)
        if _routing_enabled():
            routed = process_routing(self, "score", sample_weight=sample_weight)
            sample_weight = routed.scorer.score.get("sample_weight")
        # With C_per_class, scoring scores binary problems, not this model.
        accuracy = self.scoring is None or self.C_per_class
        model = self
        if is_dask_collection(X):
            if accuracy:
                return score_accuracy(self, X, y, sample_weight)
            model = _ComputedResponses(self)
        y, sample_weight = _here(y), _here(sample_weight)
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        scorer = get_scorer("accuracy") if accuracy else self._get_scorer()
        return scorer(model, X, y, **kwargs)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        See scikit-learn's
        :ref:`metadata routing user guide <sklearn:metadata_routing>`.

        Returns
        -------
        routing : MetadataRouter
            ``sample_weight`` is consumed by ``fit`` itself; ``fit`` routes
            metadata to the splitter's ``split`` and to the scorer, ``score``
            to the scorer.
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                # Never check_cv(self.cv): it would use up a generator of folds.
                splitter=(
                    check_cv(None, classifier=True)
                    if _is_iterable_of_splits(self.cv)
                    else check_cv(self.cv, classifier=True)
                ),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
            .add(
                scorer=self._get_scorer(),
                method_mapping=MethodMapping()
                .add(caller="fit", callee="score")
                .add(caller="score", callee="score"),
            )
        )


class _Search:
    """The binary problems of the search and of the refit, on one X."""

    def __init__(self, estimator, X, y, labels, fitted, class_weights, Cs, classes):
        self.estimator = estimator
        self.classes = classes
        self.X = X
        self.y = y
        self.labels = labels
        self.fitted = fitted
        self.class_weights = class_weights
        self.Cs = Cs
        self.settings = LbfgsSettings(tol=estimator.tol, max_iter=estimator.max_iter)

    def run(self, fold_weights, context):
        """Follow the path of every (class, fold) problem.

        Returns
        -------
        paths : ndarray of shape (n_fitted, n_folds, n_Cs, n_params)
        n_iter : ndarray of shape (n_fitted, n_folds, n_Cs)
        """
        estimator, Cs = self.estimator, self.Cs
        n_fitted, n_folds = self.fitted.shape[0], fold_weights.shape[0]
        # Class-major order: the shards of n_jobs hold whole classes.
        folds = np.tile(np.arange(n_folds), n_fitted)
        problem_labels = np.repeat(self.fitted, n_folds)
        problems = Problems(
            labels=problem_labels,
            weight_rows=folds,
            class_weights=(
                None
                if self.class_weights is None
                else np.repeat(self.class_weights, n_folds, axis=0)
            ),
        )
        batch = ProblemBatch.from_labels(
            self.X,
            self.labels,
            problems,
            C=Cs[0],
            fit_intercept=estimator.fit_intercept,
            sample_weight=fold_weights,
        )
        # One task per (class, fold), with a sub-task per value of C, each
        # with a sub-task per iteration.
        paths = [
            context.subcontext(task_name="cv-path", max_subtasks=Cs.shape[0])
            for _ in range(len(batch))
        ]
        steps = [
            [
                path.subcontext(
                    task_name="fit-C",
                    max_subtasks=iteration_subtasks(estimator.max_iter),
                )
                for path in paths
            ]
            for _ in Cs
        ]
        callbacks = [
            ProblemCallbacks(
                contexts=steps[step],
                estimator=estimator,
                y=self.y,
                metadata=None,
                printers=self._printers(C, problem_labels, folds),
            )
            for step, C in enumerate(Cs)
        ]
        for path in paths:
            path.call_on_fit_task_begin(estimator=estimator, X=self.X, y=self.y)
        start = time.perf_counter()
        results = solve_path(
            batch,
            Cs,
            np.zeros((len(batch), batch.n_params)),
            self.settings,
            callbacks=callbacks,
            n_jobs=estimator.n_jobs,
        )
        for path in paths:
            path.call_on_fit_task_end(estimator=estimator, X=self.X, y=self.y)
        self._report(results, time.perf_counter() - start)
        coef = np.array([[result.x for result in step] for step in results])
        n_iter = np.array([[result.nit for result in step] for step in results])
        n_iter = np.minimum(n_iter, estimator.max_iter)
        # (n_Cs, n_fitted * n_folds, ...) to (n_fitted, n_folds, n_Cs, ...)
        coef = coef.reshape(Cs.shape[0], n_fitted, n_folds, -1).transpose(1, 2, 0, 3)
        n_iter = n_iter.reshape(Cs.shape[0], n_fitted, n_folds).transpose(1, 2, 0)
        return coef, n_iter

    def _printers(self, C, problem_labels, folds):
        if self.estimator.verbose < 2:
            return None
        classes = self.classes
        return [
            iteration_printer(f"[C={C:g} fold {fold} class {classes[label]}] ")
            for label, fold in zip(problem_labels, folds, strict=True)
        ]

    def _report(self, results, seconds):
        """Say which runs did not converge (once), and what each step did."""
        estimator = self.estimator
        # Stopped by max_iter (or a failed line search), or stalled: the
        # objective no longer decreased with the gradient still above tol.
        limited = np.array([[r.status != 0 for r in step] for step in results])
        stalled = np.array(
            [[not _converged(r, estimator.tol) for r in step] for step in results]
        )
        stalled &= ~limited
        failed = limited | stalled
        if failed.any():
            at = ", ".join(f"{C:g}" for C in self.Cs[failed.any(axis=1)])
            warnings.warn(
                f"L-BFGS-B did not converge for {failed.sum()} of {failed.size} "
                f"(class, fold, C) problems of the search (at C = {at}): "
                f"{limited.sum()} stopped at max_iter={estimator.max_iter}, "
                f"{stalled.sum()} because the objective no longer decreased with "
                "the gradient above tol. Their scores are those of these models. "
                "Scale the features (StandardScaler, or pixels / 255), increase "
                "max_iter, use float64 rather than float32 data, or ask for a "
                "larger tol.",
                ConvergenceWarning,
                stacklevel=user_stacklevel(),
            )
        if estimator.verbose:
            for C, step, step_failed in zip(self.Cs, results, failed, strict=True):
                iterations = sum(min(r.nit, estimator.max_iter) for r in step)
                status = (
                    f"{step_failed.sum()} not converged"
                    if step_failed.any()
                    else "all converged"
                )
                print(
                    f"[OneVsRestLogisticRegressionCV] C={C:g}: {len(step)} "
                    f"problems, {iterations} iterations, {status}"
                )
            print(f"[OneVsRestLogisticRegressionCV] search: {seconds:.2f} s")

    def refit(self, weights, C, start, context):
        """Solve each class on all the data at its C, from ``start``."""
        estimator = self.estimator
        problems = Problems(labels=self.fitted, class_weights=self.class_weights)
        batch = ProblemBatch.from_labels(
            self.X,
            self.labels,
            problems,
            C=C,
            fit_intercept=estimator.fit_intercept,
            sample_weight=None if weights is None else weights[np.newaxis, :],
        )
        classes = self.classes
        callbacks = ProblemCallbacks(
            contexts=[
                context.subcontext(
                    task_name="fit-class",
                    max_subtasks=iteration_subtasks(estimator.max_iter),
                )
                for _ in self.fitted
            ],
            estimator=estimator,
            y=self.y,
            metadata=None,
            printers=(
                [iteration_printer(f"[refit class {classes[i]}] ") for i in self.fitted]
                if estimator.verbose >= 2
                else None
            ),
        )
        return solve(
            batch, start, self.settings, callbacks=callbacks, n_jobs=estimator.n_jobs
        )


def _converged(result, tol):
    """Whether an L-BFGS-B run converged, as ``check_convergence`` judges it."""
    return result.status == 0 and np.max(np.abs(result.jac), initial=0.0) <= tol


def _dask_fit_data(estimator, X, y, sample_weight, params):
    """A dask ``X`` checked and persisted on the workers; the rest brought here.

    ``y``, ``sample_weight`` and the metadata (``groups``) are one value per
    sample, which the splitter, the class weights and the scorer need in
    this process: dask arrays among them are computed, after ``X`` is
    persisted (a ``y`` made from ``X`` then reads X's chunks where they are).
    """
    if not is_dask_collection(X):
        given = {"y": y, "sample_weight": sample_weight, **params}
        names = [name for name, value in given.items() if is_dask_collection(value)]
        raise TypeError(
            f"Got a dask collection for {', '.join(names)} but not for X: X "
            "decides where the fit runs. Pass X as a dask "
            "array chunked by rows, for example dask.array.from_array(X, "
            "chunks=(10_000, -1)), or compute them first (y.compute())."
        )
    from ._dask import fit_data

    X = fit_data(estimator, X, None).X
    y, sample_weight = _here(y), _here(sample_weight)
    return X, y, sample_weight, {name: _here(value) for name, value in params.items()}


def _here(value):
    """A dask collection computed into this process; anything else as it is."""
    return value.compute() if is_dask_collection(value) else value


class _RowsOnly:
    """What a splitter's ``split`` gets as ``X`` when X is a dask array.

    scikit-learn's splitters read X's number of rows only (the rest comes
    from ``y`` and ``groups``), as their documentation's ``np.zeros(
    n_samples)`` placeholder says; one that reads X's values gets an error
    that says why, instead of folds made from made-up values.
    """

    ndim = 2

    def __init__(self, shape):
        self.shape = tuple(shape)

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, key):
        raise TypeError(_ROWS_ONLY_MESSAGE)

    def __array__(self, dtype=None, copy=None):
        raise TypeError(_ROWS_ONLY_MESSAGE)


_ROWS_ONLY_MESSAGE = (
    "cv's split read the values of X, a dask array that stays on the workers: "
    "OneVsRestLogisticRegressionCV gives the splitter X's number of rows (and "
    "y and groups), not X. Use a splitter that needs only these (KFold, "
    "StratifiedKFold, GroupKFold, ...), or pass cv as a list of (train, test) "
    "index arrays made beforehand."
)


def _dask_fold_weights(X, splits, weights):
    """The folds' test indices, and their training weights on the workers.

    Each fold's row of training weights is made here and sent to the workers
    before the next fold is split: this process holds one row at a time
    (``n_samples`` float64 values, as many as ``y``), never the
    (n_folds, n_samples) array, nor the training indices of every fold.
    """
    from ._dask import rows_beside

    n_samples = X.shape[0]
    tests = []

    def rows():
        for train, test in _checked_splits(splits, n_samples):
            tests.append(test)
            yield _fold_row(train, n_samples, weights)

    fold_weights = rows_beside(X, rows())
    return tests, fold_weights


def _check_Cs(Cs):
    """The values of C to try, in increasing order, from the ``Cs`` parameter."""
    if isinstance(Cs, bool):
        raise ValueError(f"Cs must be an int or a sequence of values of C, not {Cs}.")
    if isinstance(Cs, Integral):
        return np.logspace(-4, 4, Cs)
    try:
        values = np.asarray(Cs, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"Cs must be an int or a sequence of numbers; got {Cs!r}."
        ) from None
    if values.ndim != 1 or values.shape[0] == 0:
        raise ValueError(
            "Cs must be an int or a non-empty 1-D sequence of values of C; got "
            f"an array of shape {values.shape}."
        )
    if np.any(np.isnan(values) | (values <= 0)):
        raise ValueError(
            f"Every value of C must be in (0, inf]; Cs has {values.tolist()}."
        )
    values = np.sort(values)
    repeated = values[1:][np.diff(values) == 0]
    if repeated.shape[0]:
        raise ValueError(
            f"Cs has repeated values ({np.unique(repeated).tolist()}); give each "
            "value of C once."
        )
    return values


def _is_iterable_of_splits(cv):
    return not (cv is None or isinstance(cv, Integral) or hasattr(cv, "split"))


def _check_splits(splits, n_samples):
    """The folds as (train, test) arrays of indices, checked."""
    return list(_checked_splits(splits, n_samples))


def _checked_splits(splits, n_samples):
    """Each fold as (train, test) arrays of indices, checked, one at a time."""
    n_folds = 0
    for fold, split in enumerate(splits):
        try:
            train, test = split
        except (TypeError, ValueError):
            raise ValueError(
                f"cv must give (train, test) pairs of index arrays; fold {fold} is "
                f"{split!r}."
            ) from None
        train = _check_indices(train, n_samples, fold, "training")
        test = _check_indices(test, n_samples, fold, "test")
        for name, indices in [("training", train), ("test", test)]:
            if indices.shape[0] == 0:
                raise ValueError(
                    f"Fold {fold} of cv has no {name} samples; every fold needs "
                    "both. With an int cv, use fewer folds than samples."
                )
        n_folds += 1
        yield train, test
    if not n_folds:
        raise ValueError(
            "cv gave no folds: it needs at least one (train, test) pair. (A "
            "generator of folds is used up by one fit: pass a list.)"
        )


def _check_indices(indices, n_samples, fold, name):
    indices = np.asarray(indices)
    if indices.dtype == bool and indices.shape == (n_samples,):
        return np.flatnonzero(indices)
    if indices.size == 0:
        return np.zeros(0, dtype=np.intp)
    if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(
            f"The {name} indices of fold {fold} of cv must be a 1-D array of "
            f"integers (or a boolean mask of the {n_samples} samples); got an "
            f"array of dtype {indices.dtype} and shape {indices.shape}."
        )
    if indices.min() < 0 or indices.max() >= n_samples:
        raise ValueError(
            f"The {name} indices of fold {fold} of cv must be in [0, {n_samples}) "
            f"for {n_samples} samples; they range from {indices.min()} to "
            f"{indices.max()}."
        )
    return indices.astype(np.intp, copy=False)


def _fold_weights(splits, n_samples, weights):
    """One row of training weights per fold: zero on the held-out samples.

    A sample repeated in a training set counts as often as it appears, as it
    would in ``X[train]``.
    """
    fold_weights = np.empty((len(splits), n_samples))
    for fold, (train, _) in enumerate(splits):
        fold_weights[fold] = _fold_row(train, n_samples, weights)
    return fold_weights


def _fold_row(train, n_samples, weights):
    """One fold's training weights: a count per sample, times its weight."""
    row = np.bincount(train, minlength=n_samples).astype(np.float64)
    if weights is not None:
        row *= weights
    return row


def _check_fold_totals(totals):
    """Refuse a fold whose training weights sum to zero."""
    for fold, total in enumerate(totals):
        if not total > 0:
            raise ValueError(
                f"The training samples of fold {fold} of cv all have zero weight "
                "(sample weight times class weight): there is nothing to fit."
            )


def _warn_about_folds(totals, positives, fitted, classes, multilabel):
    """Warn when a fold's training samples hold none, or only, of a class.

    ``totals`` and ``positives`` are the folds' training weights summed, in
    all and on each label (``Labels.weight_totals``).
    """
    empty = []
    for fold, (total, positive) in enumerate(zip(totals, positives, strict=True)):
        positive = positive[fitted]
        one_sided = (positive == 0) | (positive == total)
        empty += [(fold, _plain(classes[fitted[i]])) for i in np.flatnonzero(one_sided)]
    if empty:
        kind = "label" if multilabel else "class"
        shown = [f"{kind} {label!r} in fold {fold}" for fold, label in empty[:5]]
        shown = ", ".join(shown + (["..."] if len(empty) > 5 else []))
        warnings.warn(
            f"{len(empty)} binary problem(s) of the search have training samples "
            f"(of non-zero weight) of only one side, the {kind} or the rest: "
            f"{shown}. "
            "Their intercept grows until tol stops it and their scores say little. "
            "Use folds that keep every class on both sides (StratifiedKFold, "
            "fewer folds).",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


def _spread(values, fitted, shape, fill=np.nan):
    """``values`` of the fitted columns in an array of all columns."""
    out = np.full(shape, fill, dtype=np.asarray(values).dtype)
    out[fitted] = values
    return out


def _best_index(scores, what):
    """Index of the best score along the last axis; NaN loses, ties go first."""
    scores = np.asarray(scores, dtype=np.float64)
    if np.all(np.isnan(scores), axis=-1).any():
        raise ValueError(
            f"The scoring gave NaN at every value of C for {what}: there is no "
            "best C. Check the scoring on the held-out samples of each fold."
        )
    return np.argmax(np.where(np.isnan(scores), -np.inf, scores), axis=-1)


def _warn_about_nan_scores(scores):
    """Say so when some scores are NaN: their values of C cannot win."""
    n_nan = int(np.isnan(scores).sum())
    if n_nan:
        warnings.warn(
            f"{n_nan} of the {scores.size} held-out scores are NaN (see scores_ "
            "or class_scores_); the values of C with a NaN mean score cannot "
            "be chosen. Check the scoring on each fold's held-out samples.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


def _checked_score(score):
    """A scorer's result as a float, or a clear error, as GridSearchCV checks it."""
    if isinstance(score, Number) and not isinstance(score, complex):
        return float(score)
    if (
        isinstance(score, np.ndarray)
        and score.shape == ()
        and score.dtype.kind in "biuf"
    ):
        return float(score)
    raise ValueError(
        f"scoring must return a number, got {score!r} of type "
        f"{type(score).__name__}. Give a scorer that returns one float per call."
    )


def _with_labels(scorer, labels):
    """``scorer`` with ``labels`` given to its metric, when the metric takes them."""
    score_func = getattr(scorer, "_score_func", None)
    kwargs = getattr(scorer, "_kwargs", None)
    if score_func is None or kwargs is None or "labels" in kwargs:
        return scorer
    if "labels" not in inspect.signature(score_func).parameters:
        return scorer
    return make_scorer(
        score_func,
        greater_is_better=scorer._sign > 0,
        response_method=scorer._response_method,
        labels=labels,
        **kwargs,
    )


def _score_folds(
    scorers,
    X,
    y,
    Y,
    tests,
    paths,
    constant,
    binarizer,
    C_per_class,
    fit_intercept,
    score_params,
):
    """The score of each fold's held-out samples (``tests``) at each C.

    Returns scores of shape (n_fitted, n_folds, n_Cs) with ``C_per_class``,
    each binary problem scored on its own, else (n_folds, n_Cs), the
    one-vs-rest model scored.
    """
    binary_scorer, ovr_scorer = scorers
    n_fitted, n_folds, n_Cs, _ = paths.shape
    fitted = np.setdiff1d(np.arange(Y.shape[1]), list(constant))
    if sp.issparse(X) and X.format != "csr":
        X = X.tocsr()  # rows are read by index
    Y = Y.tocsr()
    binary_view = _BinaryScoresView()
    ovr_view = _OneVsRestScoresView(binarizer, constant)
    shape = (n_fitted, n_folds, n_Cs) if C_per_class else (n_folds, n_Cs)
    scores = np.empty(shape)
    for fold, test in enumerate(tests):
        params = _check_method_params(X, score_params, indices=test)
        if C_per_class:
            Y_test = Y[test].toarray()
        else:
            y_test = _safe_indexing(y, test)
        # Groups of values of C whose decision values fit in the memory cap.
        group = max(1, _DECISION_VALUES_BYTES // (8 * test.shape[0] * n_fitted))
        for first in range(0, n_Cs, group):
            last = min(first + group, n_Cs)
            coefs = paths[:, fold, first:last].transpose(1, 0, 2)
            values = _held_out(
                X, test, coefs.reshape(-1, coefs.shape[-1]), fit_intercept
            )
            for step in range(first, last):
                offset = (step - first) * n_fitted
                Z = values[:, offset : offset + n_fitted]
                if C_per_class:
                    for position, column in enumerate(fitted):
                        scores[position, fold, step] = _checked_score(
                            binary_scorer(
                                binary_view, Z[:, position], Y_test[:, column], **params
                            )
                        )
                    continue
                full = np.empty((test.shape[0], Y.shape[1]))
                full[:, fitted] = Z
                for column, value in constant.items():
                    # What the constant predictor's decision_function gives.
                    full[:, column] = value
                scores[fold, step] = _checked_score(
                    ovr_scorer(ovr_view, full, y_test, **params)
                )
    return scores


def _held_out(X, rows, coefs, fit_intercept):
    """:func:`_held_out_values`, on the workers for a dask ``X``."""
    if is_dask_collection(X):
        from ._dask import map_selected_rows

        return map_selected_rows(
            X, rows, _held_out_values_of_chunk, coefs, fit_intercept
        )
    return _held_out_values(X, rows, coefs, fit_intercept)


def _held_out_values_of_chunk(X, rows, coefs, fit_intercept):
    """:func:`_held_out_values` on one chunk of a dask ``X`` (a worker's task)."""
    if sp.issparse(X) and X.format != "csr":
        X = X.tocsr()  # rows are read by index
    return _held_out_values(X, rows, coefs, fit_intercept)


def _held_out_values(X, rows, coefs, fit_intercept):
    """``X[rows] @ w + b`` for each row of ``coefs``, reading X's rows in blocks.

    Products run in X's dtype, as in prediction; the result is float64.
    """
    n_features = X.shape[1]
    weights = coefs[:, :n_features].T.astype(X.dtype)
    values = np.empty((rows.shape[0], coefs.shape[0]))
    step = max(1, _SCORING_BLOCK_BYTES // max(1, n_features * X.dtype.itemsize))
    for start in range(0, rows.shape[0], step):
        # One expression: the block is freed before the next one is read.
        values[start : start + step] = np.asarray(
            X[rows[start : start + step]] @ weights
        )
    if fit_intercept:
        values += coefs[:, -1]
    return values


class _ComputedResponses(ClassifierMixin, BaseEstimator):
    """A fitted model for a scorer, on a dask ``X``: responses computed here.

    Each method computes the model's lazy result chunk by chunk on the
    workers and brings it here: one row per sample, never X.
    """

    def __init__(self, model):
        self.model = model

    @property
    def classes_(self):
        return self.model.classes_

    def decision_function(self, X):
        return self.model.decision_function(X).compute()

    def predict(self, X):
        return self.model.predict(X).compute()

    def predict_proba(self, X):
        return self.model.predict_proba(X).compute()


class _BinaryScoresView(ClassifierMixin, BaseEstimator):
    """A fitted binary model for a scorer, given decision values as ``X``."""

    classes_ = _BINARY_CLASSES

    def decision_function(self, values):
        return values

    def predict(self, values):
        return (values > 0).astype(int)

    def predict_proba(self, values):
        return two_class_proba(values)


class _OneVsRestScoresView(ClassifierMixin, BaseEstimator):
    """A fitted one-vs-rest model for a scorer, given decision values as ``X``.

    A label present in every sample (or in none), a column of ``constant``,
    has the decision value 1 (or 0) and the probability 1 (or 0), as its
    constant predictor in the fitted model.
    """

    def __init__(self, binarizer, constant):
        self.binarizer = binarizer
        self.constant = constant

    @property
    def classes_(self):
        return self.binarizer.classes_

    def decision_function(self, values):
        return values.ravel() if values.shape[1] == 1 else values

    def predict(self, values):
        return predict_from_scores(
            values, self.binarizer, self.classes_, np.zeros(values.shape[1])
        )

    def predict_proba(self, values):
        multilabel = self.binarizer.y_type_.startswith("multilabel")
        proba = _linear_proba(values, multilabel)
        for column, value in self.constant.items():
            proba[:, column] = value
        return proba
