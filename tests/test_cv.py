"""OneVsRestLogisticRegressionCV against scikit-learn's two recipes, and bad input.

The oracles, with the same explicit splits:

- one C per class: ``sklearn.multiclass.OneVsRestClassifier(
  LogisticRegressionCV(Cs, cv=splits))``, class by class;
- one C for all: ``GridSearchCV(OneVsRestClassifier(LogisticRegression()),
  {"estimator__C": Cs}, cv=splits)``.

Objectives are computed by the independent oracle of the property tests
(``_strategies.Problem``).
"""

import pickle
import re
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from _strategies import (
    TIGHT_TOL,
    Problem,
    as_input,
    assert_near_optimum,
    assert_same_optimum,
    datasets,
    finite_C,
    formats,
    margin_bounds,
    solve,
)
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import (
    ConvergenceWarning,
    NotFittedError,
    UnsetMetadataPassedError,
)
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.multiclass import OneVsRestClassifier as SklearnOneVsRest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.fixes import parse_version

import sklearn_ovr_logit._lockstep as lockstep_module
from sklearn_ovr_logit import (
    BinaryLogisticRegression,
    OneVsRestClassifier,
    OneVsRestLogisticRegressionCV,
)

# tol=1e-8, as the issue asks; a few runs then stop on L-BFGS-B's relative
# reduction test with the gradient just above tol, which warns.
TIGHT = {"tol": 1e-8, "max_iter": 10_000}
CS = np.logspace(-3, 2, 6)
SKLEARN_VERSION = parse_version(sklearn.__version__)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=300,
        n_features=10,
        n_informative=6,
        n_classes=4,
        flip_y=0.05,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def splits(data):
    X, y = data
    return list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))


@pytest.fixture(scope="module")
def multilabel_data():
    X, Y = make_multilabel_classification(
        n_samples=200, n_features=8, n_classes=4, random_state=0
    )
    return StandardScaler().fit_transform(X), Y


def fit_quietly(estimator, *args, **kwargs):
    """Fit, without convergence warnings (tight tol) or warnings about folds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message=".* of only one side")
        warnings.filterwarnings("ignore", message="The least populated class")
        return estimator.fit(*args, **kwargs)


def sklearn_lrcv(**params):
    return LogisticRegressionCV(
        l1_ratios=(0,),
        scoring=params.pop("scoring", "accuracy"),
        use_legacy_attributes=False,
        **params,
    )


def objective(X, y01, weights, C, fit_intercept, coef, intercept):
    """A class's objective at (coef, intercept), by the independent oracle."""
    problem = Problem.make(X, y01, weights, C, fit_intercept)
    theta = np.append(coef, intercept) if fit_intercept else np.asarray(coef)
    return problem.objective(theta)


# -- the two recipes ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("case", ["plain", "no intercept", "sample weights", "sparse"])
def test_per_class_matches_ovr_of_logistic_regression_cv(data, splits, case):
    X, y = data
    params, fit_params = {}, {}
    X_ours = X
    if case == "no intercept":
        params["fit_intercept"] = False
    if case == "sample weights":
        fit_params["sample_weight"] = np.random.default_rng(0).uniform(0.2, 2, len(y))
        # Routed to the scorers too: weighted accuracies of the held-out samples.
        params["scoring"] = make_scorer(accuracy_score)
    if case == "sparse":
        X_ours = sp.csr_array(np.where(np.abs(X) < 0.5, 0.0, X))
        X = X_ours.toarray()
    with config_context(enable_metadata_routing=bool(fit_params)):
        if fit_params:
            params["scoring"].set_score_request(sample_weight=True)
        lrcv = sklearn_lrcv(Cs=CS, cv=splits, **params, **TIGHT)
        if fit_params:
            lrcv.set_fit_request(sample_weight=True)
        theirs = fit_quietly(SklearnOneVsRest(lrcv), X, y, **fit_params)
        ours = OneVsRestLogisticRegressionCV(
            CS, cv=splits, C_per_class=True, **params, **TIGHT
        )
        fit_quietly(ours, X_ours, y, **fit_params)

    assert_array_equal(ours.Cs_, CS)
    assert_array_equal(ours.C_, [e.C_ for e in theirs.estimators_])
    # Accuracies of the same models on the same held-out samples.
    assert_array_equal(
        ours.class_scores_, [e.scores_[:, 0, :] for e in theirs.estimators_]
    )
    fit_intercept = params.get("fit_intercept", True)
    # Weighted held-out samples: the scores are not all multiples of 1/100.
    hundredths = ours.class_scores_ * 100
    assert ("scoring" in params) != np.allclose(hundredths, np.round(hundredths))
    paths = np.array([e.coefs_paths_[:, 0, :, 0] for e in theirs.estimators_])
    assert_allclose(ours.coefs_paths_, paths, rtol=1e-5, atol=1e-6)
    weights = fit_params.get("sample_weight", np.ones(len(y)))
    for k, (mine, other) in enumerate(
        zip(ours.estimators_, theirs.estimators_, strict=True)
    ):
        y01 = (y == k).astype(int)
        args = (X, y01, weights, other.C_, fit_intercept)
        f_ours = objective(*args, mine.coef_[0], mine.intercept_[0])
        f_theirs = objective(*args, other.coef_[0], other.intercept_[0])
        assert abs(f_ours - f_theirs) <= 1e-9 * abs(f_theirs)
        assert mine.C == other.C_


@pytest.mark.slow
@pytest.mark.parametrize("target", ["multiclass", "multilabel", "two classes"])
def test_one_C_for_all_matches_grid_search(data, multilabel_data, target):
    X, y = multilabel_data if target == "multilabel" else data
    if target == "two classes":
        y = np.where(y == 1, "one", "other")
    cv = KFold(3, shuffle=True, random_state=1)
    folds = list(cv.split(X, y))
    search = GridSearchCV(
        SklearnOneVsRest(LogisticRegression(**TIGHT)),
        {"estimator__C": CS},
        cv=folds,
    )
    fit_quietly(search, X, y)
    ours = fit_quietly(OneVsRestLogisticRegressionCV(CS, cv=folds, **TIGHT), X, y)
    assert ours.scores_.shape == (3, CS.shape[0])
    assert_allclose(
        ours.scores_.mean(axis=0), search.cv_results_["mean_test_score"], atol=1e-6
    )
    best_C = search.best_params_["estimator__C"]
    assert_array_equal(ours.C_, np.full(len(ours.estimators_), best_C))
    assert_array_equal(ours.predict(X), search.predict(X))
    assert_allclose(ours.predict_proba(X), search.predict_proba(X), atol=1e-6)


@pytest.mark.skipif(
    parse_version("1.9") > SKLEARN_VERSION,
    reason="scikit-learn 1.8.0's LogisticRegressionCV(refit=False, "
    "use_legacy_attributes=False), the oracle, fails (its l1_ratio_ is None)",
)
def test_refit_false_averages_the_folds_best_solutions(data, splits):
    """As LogisticRegressionCV(refit=False): each fold's best C, averaged."""
    X, y = data
    theirs = fit_quietly(
        SklearnOneVsRest(sklearn_lrcv(Cs=CS, cv=splits, refit=False, **TIGHT)), X, y
    )
    ours = OneVsRestLogisticRegressionCV(
        CS, cv=splits, C_per_class=True, refit=False, **TIGHT
    )
    fit_quietly(ours, X, y)
    assert_allclose(ours.C_, [e.C_ for e in theirs.estimators_], rtol=1e-15)
    for mine, other in zip(ours.estimators_, theirs.estimators_, strict=True):
        assert_allclose(mine.coef_, other.coef_, rtol=1e-5, atol=1e-6)
        assert_allclose(mine.intercept_, other.intercept_, rtol=1e-5, atol=1e-6)
        assert mine.n_iter_ == 0  # nothing refitted
    # One C for all: each fold's best C by the one-vs-rest score.
    shared = OneVsRestLogisticRegressionCV(CS, cv=splits, refit=False, **TIGHT)
    fit_quietly(shared, X, y)
    best = shared.scores_.argmax(axis=1)
    assert_allclose(shared.C_, np.full(4, CS[best].mean()), rtol=1e-15)
    expected = shared.coefs_paths_[:, np.arange(3), best].mean(axis=1)
    assert_allclose(shared.coef_, expected[:, :-1], rtol=1e-15)
    assert_allclose(shared.intercept_, expected[:, -1], rtol=1e-15)


def test_class_weight_dict_is_keyed_on_the_labels(data, splits):
    """A dict weighs each sample by its class's weight, in every binary problem."""
    X, y = data
    names = np.array(["cat", "dog", "emu", "fox"])[y]
    weights = {"cat": 2.0, "dog": 0.5, "emu": 1.0, "fox": 3.0}
    params = {"cv": splits, "C_per_class": True, **TIGHT}
    ours = fit_quietly(
        OneVsRestLogisticRegressionCV(CS, class_weight=weights, **params), X, names
    )
    as_sample_weight = np.array([weights[name] for name in names])
    # The held-out samples are not weighted by the class weights.
    scorer = make_scorer(accuracy_score)
    with config_context(enable_metadata_routing=True):
        scorer.set_score_request(sample_weight=False)
        other = OneVsRestLogisticRegressionCV(CS, scoring=scorer, **params)
        fit_quietly(other, X, names, sample_weight=as_sample_weight)
    assert_array_equal(ours.C_, other.C_)
    assert_array_equal(ours.class_scores_, other.class_scores_)
    assert_allclose(ours.coef_, other.coef_, rtol=1e-12)
    assert_array_equal(ours.classes_, ["cat", "dog", "emu", "fox"])


# -- the search ----------------------------------------------------------------


def test_all_problems_share_each_pass_over_X(data, monkeypatch):
    """Each round evaluates every (class, fold) problem still running at once."""
    X, y = data
    sizes = []
    original = lockstep_module.ProblemBatch.loss_and_gradient

    def recording(batch, coef, evaluator):
        sizes.append(coef.shape[0])
        return original(batch, coef, evaluator)

    monkeypatch.setattr(lockstep_module.ProblemBatch, "loss_and_gradient", recording)
    OneVsRestLogisticRegressionCV([0.1, 1.0], cv=3).fit(X, y)
    # The first round of each C: 4 classes x 3 folds; of the refit: 4 classes.
    assert sizes[0] == 12
    assert sizes.count(12) >= 2
    assert sizes[-1] <= 4
    assert max(sizes) == 12


@pytest.mark.slow
def test_folds_do_not_copy_X(monkeypatch):
    """The search's peak memory stays well under one fold's rows of X."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40_000, 100))
    y = (X[:, 0] + rng.normal(size=40_000) > 0).astype(int) + (X[:, 1] > 1)
    search = OneVsRestLogisticRegressionCV([0.1, 1.0], cv=3, max_iter=3)
    tracemalloc.start()
    fit_quietly(search, X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # A copy of one fold's training rows, X[train], would be 2/3 of X.
    assert peak < 0.5 * X.nbytes


def test_paths_attributes_and_iterations(data, splits):
    X, y = data
    ours = fit_quietly(
        OneVsRestLogisticRegressionCV(CS, cv=splits, C_per_class=True, **TIGHT), X, y
    )
    assert ours.coefs_paths_.shape == (4, 3, 6, X.shape[1] + 1)
    assert ours.n_iter_paths_.shape == (4, 3, 6)
    assert ours.class_scores_.shape == (4, 3, 6)
    assert not hasattr(ours, "scores_")
    refit = np.array([e.n_iter_ for e in ours.estimators_])
    assert_array_equal(ours.n_iter_, ours.n_iter_paths_.sum(axis=(1, 2)) + refit)
    assert np.all(refit >= 1)
    # Each path entry solves its fold's binary problem at its C.
    train = splits[1][0]
    for k, c in [(0, 0), (2, 5), (3, 2)]:
        binary = BinaryLogisticRegression(C=CS[c], **TIGHT)
        binary = fit_quietly(binary, X[train], y[train] == k)
        theta = np.append(binary.coef_[0], binary.intercept_)
        problem = Problem.make(X[train], y[train] == k, np.ones(len(train)), CS[c], 1)
        f_path = problem.objective(ours.coefs_paths_[k, 1, c])
        assert abs(f_path - problem.objective(theta)) <= 1e-9 * abs(f_path)


@pytest.mark.parametrize("C_per_class", [False, True])
def test_order_of_Cs_changes_nothing(data, C_per_class):
    X, y = data
    params = {"cv": 3, "C_per_class": C_per_class}
    a = OneVsRestLogisticRegressionCV([0.01, 0.1, 1.0, 10.0], **params).fit(X, y)
    b = OneVsRestLogisticRegressionCV([1.0, 0.01, 10.0, 0.1], **params).fit(X, y)
    assert_array_equal(a.Cs_, b.Cs_)
    assert_array_equal(a.C_, b.C_)
    assert_array_equal(a.coefs_paths_, b.coefs_paths_)
    assert_array_equal(a.coef_, b.coef_)


def test_ties_go_to_the_smaller_C():
    # Two well-separated blobs: every C scores 1.0 on every fold.
    X = np.r_[np.zeros((20, 1)), np.ones((20, 1))] + np.linspace(0, 0.1, 40)[:, None]
    y = np.repeat([0, 1], 20)
    ours = OneVsRestLogisticRegressionCV([10.0, 1.0, 100.0], cv=4).fit(X, y)
    assert_array_equal(ours.scores_, np.ones((4, 3)))
    assert_array_equal(ours.C_, [1.0])


def test_int_Cs_is_scikit_learns_grid(data):
    X, y = data
    ours = OneVsRestLogisticRegressionCV(Cs=4, cv=2, max_iter=20)
    fit_quietly(ours, X, y)
    assert_allclose(ours.Cs_, np.logspace(-4, 4, 4))


# -- inputs --------------------------------------------------------------------


@pytest.mark.parametrize(
    "container",
    [np.float32, sp.csr_matrix, sp.csc_array, np.asfortranarray],
    ids=["float32", "csr", "csc", "fortran"],
)
def test_float32_sparse_and_fortran_x(data, splits, container):
    X, y = data
    params = {"cv": splits, "C_per_class": True, "tol": 1e-6, "max_iter": 1000}
    reference = OneVsRestLogisticRegressionCV(CS, **params).fit(X, y)
    X_other = X.astype(np.float32) if container is np.float32 else container(X)
    ours = OneVsRestLogisticRegressionCV(CS, **params).fit(X_other, y)
    assert_array_equal(ours.C_, reference.C_)
    assert_allclose(ours.class_scores_, reference.class_scores_, atol=1 / 100)
    assert_allclose(ours.coef_, reference.coef_, rtol=1e-3, atol=1e-4)
    assert ours.decision_function(X_other).dtype == (
        np.float32 if container is np.float32 else np.float64
    )
    assert ours.predict_proba(X_other).dtype == np.float64


@pytest.mark.parametrize("C_per_class", [False, True])
@pytest.mark.parametrize("Y_container", [np.asarray, sp.csr_matrix])
def test_multilabel(multilabel_data, C_per_class, Y_container):
    X, Y = multilabel_data
    ours = OneVsRestLogisticRegressionCV(
        [0.01, 0.1, 1.0], cv=3, C_per_class=C_per_class
    ).fit(X, Y_container(Y))
    assert ours.multilabel_
    assert ours.C_.shape == (4,)
    reference = OneVsRestClassifier(
        BinaryLogisticRegression(C=ours.C_[0]) if not C_per_class else None
    )
    if not C_per_class:
        reference.fit(X, Y_container(Y))
        assert_array_equal(_dense(ours.predict(X)), _dense(reference.predict(X)))
    prediction = ours.predict(X)
    assert sp.issparse(prediction) == sp.issparse(Y_container(Y))
    assert _dense(prediction).shape == Y.shape
    # Independent marginals.
    assert not np.allclose(ours.predict_proba(X).sum(axis=1), 1.0)


def _dense(Y):
    return Y.toarray() if sp.issparse(Y) else np.asarray(Y)


def test_multilabel_label_in_every_sample(multilabel_data):
    X, Y = multilabel_data
    Y = Y.copy()
    Y[:, 2] = 1
    ours = OneVsRestLogisticRegressionCV([0.1, 1.0], cv=3, C_per_class=True)
    with pytest.warns(UserWarning, match="Label 2 is present in all training"):
        ours.fit(X, Y)
    assert np.isnan(ours.C_[2])
    assert np.isnan(ours.class_scores_[2]).all()
    assert np.isfinite(ours.C_[[0, 1, 3]]).all()
    assert (_dense(ours.predict(X))[:, 2] == 1).all()
    assert_allclose(ours.predict_proba(X)[:, 2], 1.0)
    assert not hasattr(ours, "coef_")


def test_string_labels_and_two_classes(data, splits):
    X, y = data
    names = np.where(y == 2, "spam", "ham")
    ours = OneVsRestLogisticRegressionCV(CS, cv=splits, C_per_class=True).fit(X, names)
    assert_array_equal(ours.classes_, ["ham", "spam"])
    assert len(ours.estimators_) == 1
    assert ours.C_.shape == ours.coef_.shape[:1] == (1,)
    assert ours.decision_function(X).shape == (X.shape[0],)
    assert ours.predict_proba(X).shape == (X.shape[0], 2)
    assert set(ours.predict(X)) == {"ham", "spam"}


def test_behaves_like_a_fitted_one_vs_rest(data):
    X, y = data
    ours = OneVsRestLogisticRegressionCV([0.1], cv=3, **TIGHT).fit(X, y)
    reference = OneVsRestClassifier(BinaryLogisticRegression(C=0.1, **TIGHT))
    reference.fit(X, y)
    # The refit starts from the folds' average: the same optimum, within tol.
    assert_allclose(ours.coef_, reference.coef_, rtol=1e-5, atol=1e-6)
    assert_allclose(ours.intercept_, reference.intercept_, rtol=1e-5, atol=1e-6)
    assert_allclose(
        ours.decision_function(X), reference.decision_function(X), atol=1e-6
    )
    assert_allclose(ours.predict_proba(X), reference.predict_proba(X), atol=1e-7)
    assert_array_equal(ours.predict(X), reference.predict(X))
    assert ours.score(X, y) == reference.score(X, y)
    assert [type(e) for e in ours.estimators_] == [BinaryLogisticRegression] * 4
    assert [e.C for e in ours.estimators_] == [0.1] * 4


def test_pipeline_clone_pickle_and_cross_validation(data):
    X, y = data
    pipeline = make_pipeline(
        StandardScaler(), OneVsRestLogisticRegressionCV([0.1, 1.0], cv=2)
    )
    scores = cross_val_score(pipeline, X, y, cv=2)
    assert scores.min() > 0.5
    fitted = clone(pipeline).fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    assert restored[-1].get_params() == fitted[-1].get_params()


def test_n_jobs_shards_give_the_same_search(data, splits):
    X, y = data
    params = {"cv": splits, "C_per_class": True, "tol": 1e-8}
    alone = fit_quietly(OneVsRestLogisticRegressionCV(CS, **params), X, y)
    shards = fit_quietly(OneVsRestLogisticRegressionCV(CS, n_jobs=2, **params), X, y)
    assert_array_equal(shards.C_, alone.C_)
    assert_array_equal(shards.class_scores_, alone.class_scores_)
    # The jobs' BLAS sums in another order: the runs end apart within tol.
    assert_allclose(shards.coefs_paths_, alone.coefs_paths_, rtol=1e-5, atol=1e-7)


def test_evaluations_go_through_the_batch_evaluator(data, monkeypatch):
    """The seam a dask evaluator plugs into serves the search and the refit."""
    X, y = data
    made = []
    original = lockstep_module.ProblemBatch.evaluator

    def evaluator(batch, max_problems, n_threads=1):
        made.append(max_problems)
        return original(batch, max_problems, n_threads)

    monkeypatch.setattr(lockstep_module.ProblemBatch, "evaluator", evaluator)
    OneVsRestLogisticRegressionCV([0.1, 1.0], cv=3).fit(X, y)
    assert made == [12, 4]  # one for the whole path, one for the refit


# -- metadata routing -----------------------------------------------------------


def test_groups_reach_the_splitter_with_and_without_routing(data):
    X, y = data
    groups = np.arange(len(y)) % 5
    folds = list(GroupKFold(5).split(X, y, groups))
    expected = OneVsRestLogisticRegressionCV([0.1, 1.0], cv=folds).fit(X, y)
    ours = OneVsRestLogisticRegressionCV([0.1, 1.0], cv=GroupKFold(5))
    assert_array_equal(ours.fit(X, y, groups=groups).scores_, expected.scores_)
    with config_context(enable_metadata_routing=True):
        routed = OneVsRestLogisticRegressionCV([0.1, 1.0], cv=GroupKFold(5))
        assert_array_equal(routed.fit(X, y, groups=groups).scores_, expected.scores_)


def test_sample_weight_weighs_the_held_out_samples(data, splits):
    """Without routing, as in LogisticRegressionCV; with it, if requested."""
    X, y = data
    weights = np.random.default_rng(1).uniform(0, 3, len(y))
    plain = OneVsRestLogisticRegressionCV(CS, cv=splits).fit(
        X, y, sample_weight=weights
    )
    test = splits[0][1]
    Z = plain.coefs_paths_[:, 0, :, :-1]  # (classes, Cs, features)
    values = np.einsum("ij,kcj->ick", X[test], Z) + plain.coefs_paths_[:, 0, :, -1].T
    expected = [
        accuracy_score(
            y[test], values[:, c].argmax(axis=1), sample_weight=weights[test]
        )
        for c in range(len(CS))
    ]
    assert_allclose(plain.scores_[0], expected, rtol=1e-12)
    unweighted = [
        accuracy_score(y[test], values[:, c].argmax(axis=1)) for c in range(6)
    ]
    with config_context(enable_metadata_routing=True):
        # The default scoring asks for them.
        default = OneVsRestLogisticRegressionCV(CS, cv=splits)
        default.fit(X, y, sample_weight=weights)
        assert_allclose(default.scores_[0], expected, rtol=1e-12)
        scorer = make_scorer(accuracy_score).set_score_request(sample_weight=False)
        declined = OneVsRestLogisticRegressionCV(CS, cv=splits, scoring=scorer)
        declined.fit(X, y, sample_weight=weights)
        assert_allclose(declined.scores_[0], unweighted, rtol=1e-12)


@pytest.mark.skipif(
    parse_version("1.9") > SKLEARN_VERSION,
    reason="scikit-learn 1.8's routing does not ask a child whose request is "
    "unset about metadata the parent consumes itself (its LogisticRegressionCV "
    "does not raise either)",
)
def test_a_given_scoring_must_say_whether_it_wants_sample_weight(data, splits):
    X, y = data
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    with config_context(enable_metadata_routing=True):
        unset = OneVsRestLogisticRegressionCV(CS, cv=splits, scoring="accuracy")
        with pytest.raises(ValueError, match="set_score_request"):
            unset.fit(X, y, sample_weight=weights)


def test_other_metadata_needs_routing(data):
    X, y = data
    with pytest.raises(ValueError, match="enable_metadata_routing=True"):
        OneVsRestLogisticRegressionCV(cv=2).fit(X, y, other=np.ones(len(y)))


# -- progress -------------------------------------------------------------------


def test_callbacks_see_every_problem_and_iteration(data):
    callback = pytest.importorskip("sklearn.callback")
    from test_callbacks import TaskRecorder

    X, y = data
    recorder = TaskRecorder()
    ours = OneVsRestLogisticRegressionCV([0.1, 1.0, 10.0], cv=3)
    ours.set_callbacks(recorder).fit(X, y)
    assert recorder.events[0] == ("begin", "OneVsRestLogisticRegressionCV", "fit")
    assert recorder.events[-1] == ("end", "OneVsRestLogisticRegressionCV", "fit")
    for kind in ("begin", "end"):
        assert recorder.count(kind, "cv-path") == 4 * 3
        assert recorder.count(kind, "fit-C") == 4 * 3 * 3
        assert recorder.count(kind, "fit-class") == 4
    # One task per iteration, plus the spare one each run opens after its last.
    runs = 4 * 3 * 3 + 4
    assert recorder.count("end", "lbfgs-iter") == ours.n_iter_.sum() + runs
    assert callback.ProgressBar  # the API the recorder stands in for


def test_verbose(data, capsys):
    X, y = data
    OneVsRestLogisticRegressionCV([0.1, 1.0], cv=2).fit(X, y)
    assert capsys.readouterr().out == ""
    OneVsRestLogisticRegressionCV([0.1, 1.0], cv=2, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert re.search(r"C=0\.1: 8 problems, \d+ iterations, all converged", out)
    assert out.count("refit class") == 4
    assert "iteration    1" not in out
    OneVsRestLogisticRegressionCV([0.1], cv=2, verbose=2).fit(X, y)
    out = capsys.readouterr().out
    assert "[C=0.1 fold 1 class 3] iteration    1: objective" in out
    assert "[refit class 0] iteration    1: objective" in out


def test_search_convergence_warning_is_one_summary(data):
    X, y = data
    with pytest.warns(ConvergenceWarning) as caught:
        OneVsRestLogisticRegressionCV([0.1, 100.0], cv=3, max_iter=3).fit(X, y)
    search = [w for w in caught if "problems of the search" in str(w.message)]
    assert len(search) == 1
    assert re.search(
        r"for 24 of 24 \(class, fold, C\) problems of the search \(at C = 0\.1, "
        r"100\): 24 stopped at max_iter=3",
        str(search[0].message),
    )


# -- bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("Cs", "error", "match"),
    [
        (0, InvalidParameterError, "'Cs' parameter"),
        ("10", InvalidParameterError, "'Cs' parameter"),
        (True, ValueError, "int or a sequence of values of C, not True"),
        ([], ValueError, r"non-empty 1-D sequence .* shape \(0,\)"),
        ([[0.1, 1.0]], ValueError, r"shape \(1, 2\)"),
        ([0.1, 0.0], ValueError, r"in \(0, inf\]; Cs has \[0.1, 0.0\]"),
        ([-1.0], ValueError, r"in \(0, inf\]"),
        ([0.1, np.nan], ValueError, r"in \(0, inf\]"),
        (["a", "b"], ValueError, "sequence of numbers"),
        ([1.0, 0.1, 1.0], ValueError, r"repeated values \(\[1.0\]\)"),
    ],
)
def test_bad_Cs(data, Cs, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        OneVsRestLogisticRegressionCV(Cs, cv=2).fit(X, y)


def test_infinite_C_fits_without_penalty(data, splits):
    X, y = data
    ours = fit_quietly(OneVsRestLogisticRegressionCV([np.inf], cv=splits), X, y)
    reference = fit_quietly(
        OneVsRestClassifier(BinaryLogisticRegression(C=np.inf)), X, y
    )
    assert_array_equal(ours.C_, np.full(4, np.inf))
    assert_allclose(ours.predict_proba(X), reference.predict_proba(X), atol=1e-3)


def bad_folds(n):
    everything = np.arange(n)
    return {
        "empty test": (
            [(everything[10:], everything[:10]), (everything, [])],
            "no test",
        ),
        "empty training": ([([], everything)], "Fold 0 of cv has no training"),
        "no folds": ([], "cv gave no folds"),
        "out of range": ([(everything, [n])], rf"in \[0, {n}\)"),
        "negative": ([(everything[1:], [-1])], rf"in \[0, {n}\)"),
        "floats": ([(everything * 1.0, everything)], "array of integers"),
        "not pairs": ([everything], "pairs of index arrays"),
    }


@pytest.mark.parametrize("case", list(bad_folds(1)))
def test_bad_folds(data, case):
    X, y = data
    cv, match = bad_folds(len(y))[case]
    search = OneVsRestLogisticRegressionCV([1.0], cv=cv)
    with pytest.raises(ValueError, match=match):
        search.fit(X, y)
    assert not hasattr(search, "n_features_in_")  # no half-fitted model


def test_boolean_masks_and_repeated_training_samples(data):
    """Masks select; a training sample listed twice weighs twice, as X[train]."""
    X, y = data
    mask = np.arange(len(y)) % 3 == 0
    twice = np.r_[np.flatnonzero(~mask), np.flatnonzero(~mask)[:50]]
    ours = OneVsRestLogisticRegressionCV([1.0], cv=[(twice, mask)], **TIGHT)
    fit_quietly(ours, X, y)
    weights = np.bincount(twice, minlength=len(y)).astype(float)
    with config_context(enable_metadata_routing=True):
        reference = OneVsRestClassifier(
            BinaryLogisticRegression(**TIGHT).set_fit_request(sample_weight=True)
        )
        fit_quietly(reference, X, y, sample_weight=weights)
    assert_allclose(ours.coefs_paths_[:, 0, 0, :-1], reference.coef_, rtol=1e-5)


def test_zero_weights(data, splits):
    X, y = data
    train, test = splits[0]
    weights = np.ones(len(y))
    weights[train] = 0.0
    with pytest.raises(ValueError, match="training samples of fold 0 of cv all have"):
        OneVsRestLogisticRegressionCV([1.0], cv=splits).fit(X, y, sample_weight=weights)
    # A class without weight in a fold's training samples: a warning.
    weights = np.where((y == 2) & np.isin(np.arange(len(y)), train), 0.0, 1.0)
    with pytest.warns(UserWarning, match=r"class 2 in fold 0\. Their intercept"):
        OneVsRestLogisticRegressionCV([1.0], cv=splits).fit(X, y, sample_weight=weights)


def test_a_fold_without_a_class_warns(data):
    X, y = data
    train = np.flatnonzero(y != 3)
    test = np.flatnonzero(y == 3)
    with pytest.warns(UserWarning, match="class 3 in fold 0"):
        OneVsRestLogisticRegressionCV([1.0], cv=[(train, test)]).fit(X, y)


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (np.zeros(300), "at least 2 classes, but y has only one class: 0.0"),
        (np.linspace(0, 1, 300), "Unknown label type"),
        (np.c_[np.arange(300) % 3, np.arange(300) % 2], "MultiOutputClassifier"),
        (2 * np.c_[np.arange(300) % 2, np.arange(300) % 3 == 0], r"\[0, 2\]"),
    ],
    ids=["one class", "continuous", "multioutput", "indicator of 0 and 2"],
)
def test_bad_targets(data, y, match):
    X, _ = data
    with pytest.raises(ValueError, match=match):
        OneVsRestLogisticRegressionCV([1.0], cv=2).fit(X, y)


def test_bad_class_weight(data, multilabel_data):
    X, y = data
    with pytest.raises(ValueError, match=r"keys that are not labels of y: \[7\]"):
        OneVsRestLogisticRegressionCV([1.0], class_weight={0: 1, 1: 2, 2: 1, 7: 1}).fit(
            X, y
        )
    with pytest.raises(ValueError, match="finite, non-negative"):
        OneVsRestLogisticRegressionCV([1.0], class_weight={0: -1.0}).fit(X, y)
    X, Y = multilabel_data
    with pytest.raises(ValueError, match="multilabel target a sample can have"):
        OneVsRestLogisticRegressionCV([1.0], class_weight={0: 2.0}).fit(X, Y)


def test_scoring_errors(data):
    X, y = data
    with pytest.raises(ValueError, match="NaN at every value of C"):
        OneVsRestLogisticRegressionCV(
            [0.1, 1.0], cv=2, scoring=lambda estimator, X, y: np.nan
        ).fit(X, y)
    # A binary metric on the one-vs-rest predictions: scikit-learn says so.
    with pytest.raises(ValueError, match="Target is multiclass"):
        OneVsRestLogisticRegressionCV([1.0], cv=2, scoring="f1").fit(X, y)
    # It fits each class's own problem.
    ours = OneVsRestLogisticRegressionCV([1.0], cv=2, scoring="f1", C_per_class=True)
    assert ours.fit(X, y).class_scores_.min() > 0


def test_not_fitted_and_other_features(data):
    X, y = data
    ours = OneVsRestLogisticRegressionCV([1.0], cv=2)
    with pytest.raises(NotFittedError):
        ours.predict(X)
    ours.fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features"):
        ours.predict(X[:, :3])


# -- properties -----------------------------------------------------------------
# Compared with the exact optimum of each binary problem (Newton's method on
# the docstring's objective, ``_strategies``), at the accuracy L-BFGS-B can
# reach on it: see the module docstring of test_properties.py.

PROPERTY_FIT = {"tol": TIGHT_TOL, "max_iter": 10_000}
# Above this C the drawn data get rows that make every problem non-separable,
# as in test_properties.py.
WELL_POSED_ABOVE = 1e3


def class_problems(dataset, estimator, C, weights):
    """The binary problem of each estimator (column) of a one-vs-rest model."""
    y = dataset.y
    classes = estimator.classes_
    positives = classes[1:] if len(classes) == 2 else classes
    return [
        Problem.make(dataset.X, y == label, weights, C, estimator.fit_intercept)
        for label in positives
    ]


def theta_of(binary, fit_intercept):
    return (
        np.append(binary.coef_[0], binary.intercept_)
        if fit_intercept
        else (binary.coef_[0])
    )


@given(
    C=finite_C,
    fit_intercept=st.booleans(),
    C_per_class=st.booleans(),
    fmt=formats,
    data=st.data(),
)
def test_property_one_C_is_one_vs_rest_at_that_C(
    C, fit_intercept, C_per_class, fmt, data
):
    """With a single C, the refitted model is OneVsRestClassifier's at that C.

    Whatever the folds (some may lack a class), each class's refit reaches
    the optimum of its problem on all the data, as OneVsRestClassifier does.
    """
    dataset = data.draw(
        datasets(well_posed=C > WELL_POSED_ABOVE, allow_zero_weight=False)
    )
    weights = dataset.weights_or_ones()
    params = {"fit_intercept": fit_intercept, **PROPERTY_FIT}
    ours = OneVsRestLogisticRegressionCV(
        [C],
        cv=KFold(2, shuffle=True, random_state=0),
        C_per_class=C_per_class,
        **params,
    )
    X = as_input(dataset.X, fmt)
    fit_quietly(ours, X, dataset.y, sample_weight=dataset.sample_weight)
    with config_context(enable_metadata_routing=True):
        binary = BinaryLogisticRegression(C=C, **params)
        reference = OneVsRestClassifier(binary.set_fit_request(sample_weight=True))
        fit_quietly(reference, X, dataset.y, sample_weight=weights)
    assert_array_equal(ours.C_, np.full(len(reference.estimators_), C))
    problems = class_problems(dataset, ours, C, weights)
    for k, problem in enumerate(problems):
        assert_same_optimum(
            problem,
            theta_of(ours.estimators_[k], fit_intercept),
            theta_of(reference.estimators_[k], fit_intercept),
            f"class {k}",
        )


@pytest.mark.slow
@given(
    Cs=st.lists(finite_C, min_size=2, max_size=4, unique=True),
    C_per_class=st.booleans(),
    refit=st.booleans(),
    data=st.data(),
)
def test_property_order_of_Cs_changes_nothing(Cs, C_per_class, refit, data):
    """The path runs in increasing C whatever the order given: same results."""
    dataset = data.draw(datasets(max_samples=30))
    order = data.draw(st.permutations(range(len(Cs))))
    params = {"cv": KFold(2), "C_per_class": C_per_class, "refit": refit}
    fits = [
        fit_quietly(
            OneVsRestLogisticRegressionCV(values, **params),
            dataset.X,
            dataset.y,
            sample_weight=dataset.sample_weight,
        )
        for values in (Cs, [Cs[i] for i in order])
    ]
    for name in ["Cs_", "C_", "coefs_paths_", "n_iter_", "coef_", "intercept_"]:
        assert_array_equal(getattr(fits[0], name), getattr(fits[1], name), name)
    scores = "class_scores_" if C_per_class else "scores_"
    assert_array_equal(getattr(fits[0], scores), getattr(fits[1], scores))


@pytest.mark.slow
@given(
    Cs=st.lists(
        st.sampled_from([0.01, 0.1, 1.0, 10.0]), min_size=1, max_size=2, unique=True
    ),
    n_folds=st.integers(2, 3),
    fit_intercept=st.booleans(),
    data=st.data(),
)
def test_property_scores_do_not_depend_on_the_order_within_folds(
    Cs, n_folds, fit_intercept, data
):
    """Reordering the samples, each staying in its fold, keeps every score.

    Each score is a weighted mean log-loss of held-out samples, 1-Lipschitz in
    their margins: both fits' scores lie within the margin bounds (at the
    distance each fit is from the exact optimum of its fold's problem) of the
    exact score.
    """
    dataset = data.draw(datasets(well_posed=True, allow_zero_weight=False))
    # The rows that make every problem well posed stay in every training set.
    free = np.flatnonzero(~dataset.protected)
    assume(free.shape[0] >= n_folds)
    fold_of = np.full(dataset.n_samples, -1)
    fold_of[free] = data.draw(st.permutations(np.arange(free.shape[0]) % n_folds))
    order = np.array(data.draw(st.permutations(range(dataset.n_samples))))
    weights = dataset.weights_or_ones()

    def fit(dataset, fold_of):
        splits = [
            (np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f))
            for f in range(n_folds)
        ]
        search = OneVsRestLogisticRegressionCV(
            Cs,
            cv=splits,
            C_per_class=True,
            scoring="neg_log_loss",
            fit_intercept=fit_intercept,
            **PROPERTY_FIT,
        )
        return fit_quietly(
            search, dataset.X, dataset.y, sample_weight=dataset.weights_or_ones()
        )

    a = fit(dataset, fold_of)
    shuffled = dataset.take(order)
    b = fit(shuffled, fold_of[order])
    Cs_sorted = np.sort(Cs)
    for f in range(n_folds):
        train, test = fold_of != f, fold_of == f
        for c, C in enumerate(Cs_sorted):
            for k, problem in enumerate(
                class_problems(dataset, a, C, np.where(train, weights, 0.0))
            ):
                optimum = solve(problem)
                slack = 0.0
                for fitted in (a, b):
                    theta = fitted.coefs_paths_[k, f, c]
                    close = assert_near_optimum(problem, optimum, theta, f"{k} {f}")
                    bounds = margin_bounds(optimum, close.distance, dataset.X[test])
                    slack += weights[test] @ bounds / weights[test].sum()
                difference = abs(a.class_scores_[k, f, c] - b.class_scores_[k, f, c])
                assert difference <= slack + 1e-12, (k, f, C, difference, slack)


def test_labels_that_cannot_be_sorted(data):
    X, y = data
    labels = y.astype(object)
    labels[3] = None
    with pytest.raises(ValueError, match="cannot be sorted into classes"):
        OneVsRestLogisticRegressionCV([1.0], cv=2).fit(X, labels)


# -- hostile pass --------------------------------------------------------------


def test_nan_scores_warn(data):
    """Some NaN scores lose, with a warning, as GridSearchCV warns."""
    X, y = data

    def nan_at_small_C(estimator, X_test, y_test):
        if np.abs(estimator.decision_function(X_test)).max() < 2:
            return np.nan
        return accuracy_score(y_test, estimator.predict(X_test))

    search = OneVsRestLogisticRegressionCV([1e-4, 1.0], cv=3, scoring=nan_at_small_C)
    with pytest.warns(UserWarning, match="3 of the 6 held-out scores are NaN"):
        search.fit(X, y)
    assert np.isnan(search.scores_[:, 0]).all()
    assert_array_equal(search.C_, np.full(len(search.C_), 1.0))


@pytest.mark.parametrize("returned", [np.array([1.0, 2.0]), None, "0.5", 1j])
def test_a_scorer_must_return_a_number(data, returned):
    X, y = data
    search = OneVsRestLogisticRegressionCV(
        [1.0], cv=3, scoring=lambda estimator, X, y: returned
    )
    with pytest.raises(ValueError, match="scoring must return a number"):
        search.fit(X, y)


def test_a_refit_keeps_only_its_own_scores(data):
    X, y = data
    search = OneVsRestLogisticRegressionCV([1.0], cv=3, C_per_class=True).fit(X, y)
    search.set_params(C_per_class=False).fit(X, y)
    assert hasattr(search, "scores_")
    assert not hasattr(search, "class_scores_")
    search.set_params(C_per_class=True).fit(X, y)
    assert hasattr(search, "class_scores_")
    assert not hasattr(search, "scores_")


def test_constant_labels_are_scored_as_the_model_predicts(multilabel_data):
    """Held-out decision values of a constant label: the stand-in's 1 or 0."""
    X, Y = multilabel_data
    Y = Y.copy()
    Y[:, 0] = 1
    folds = list(KFold(3).split(X))
    scoring = "average_precision"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # label in every sample
        search = GridSearchCV(
            SklearnOneVsRest(LogisticRegression(**TIGHT)),
            {"estimator__C": CS},
            cv=folds,
            scoring=scoring,
        ).fit(X, Y)
        ours = OneVsRestLogisticRegressionCV(CS, cv=folds, scoring=scoring, **TIGHT)
        fit_quietly(ours, X, Y)
    assert np.isfinite(ours.scores_).all()
    assert_allclose(
        ours.scores_.mean(axis=0), search.cv_results_["mean_test_score"], atol=1e-6
    )


def test_score_with_c_per_class_is_accuracy(data):
    """scoring then scores binary problems; score() scores the model."""
    X, y = data
    search = OneVsRestLogisticRegressionCV([1.0], cv=3, C_per_class=True, scoring="f1")
    fit_quietly(search, X, y)
    assert search.score(X, y) == accuracy_score(y, search.predict(X))


def test_score_routes_sample_weight(data):
    X, y = data
    weights = np.arange(len(y), dtype=float)
    with config_context(enable_metadata_routing=True):
        search = fit_quietly(OneVsRestLogisticRegressionCV([1.0], cv=3), X, y)
        predictions = search.predict(X)
        for wanted in [True, False]:
            scorer = make_scorer(accuracy_score).set_score_request(sample_weight=wanted)
            search.set_params(scoring=scorer)
            expected = accuracy_score(
                y, predictions, sample_weight=weights if wanted else None
            )
            assert search.score(X, y, sample_weight=weights) == expected


@pytest.mark.skipif(
    parse_version("1.9") > SKLEARN_VERSION,
    reason="scikit-learn 1.8's routing does not ask a child whose request is "
    "unset about metadata the parent takes itself",
)
def test_score_with_a_scoring_that_did_not_say_refuses_sample_weight(data):
    X, y = data
    with config_context(enable_metadata_routing=True):
        search = OneVsRestLogisticRegressionCV([1.0], cv=3, scoring="accuracy")
        fit_quietly(search, X, y)
        with pytest.raises(UnsetMetadataPassedError):
            search.score(X, y, sample_weight=np.ones(len(y)))
