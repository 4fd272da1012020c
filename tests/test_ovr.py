"""OneVsRestClassifier against scikit-learn's, fast path against generic path."""

import gc
import pickle
import traceback
import warnings

import greenlet
import numpy as np
import pytest
import scipy.sparse as sp
from _shared import TIGHT
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.multiclass import OneVsRestClassifier as SklearnOneVsRest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils._param_validation import InvalidParameterError

import sklearn_ovr_logit._lockstep as lockstep_module
from sklearn_ovr_logit import (
    BinaryLogisticRegression,
    OneVsRestClassifier,
    OneVsRestLogisticRegressionCV,
)


@pytest.fixture(scope="module")
def multiclass_data():
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
def multilabel_data():
    X, Y = make_multilabel_classification(
        n_samples=200, n_features=8, n_classes=4, random_state=0
    )
    return StandardScaler().fit_transform(X), Y


def assert_same_models(ours, theirs, X, rtol=1e-5):
    """Same coefficients (relative to their scale) and the same probabilities."""
    assert len(ours.estimators_) == len(theirs.estimators_)
    assert_array_equal(ours.classes_, theirs.classes_)
    for mine, other in zip(ours.estimators_, theirs.estimators_, strict=True):
        scale = np.abs(other.coef_).max()
        assert_allclose(mine.coef_, other.coef_, rtol=rtol, atol=rtol * scale)
        assert_allclose(mine.intercept_, other.intercept_, rtol=rtol, atol=rtol * scale)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-7)
    ours_pred, theirs_pred = ours.predict(X), theirs.predict(X)
    assert sp.issparse(ours_pred) == sp.issparse(theirs_pred)
    if sp.issparse(ours_pred):
        ours_pred, theirs_pred = ours_pred.toarray(), theirs_pred.toarray()
    assert_array_equal(ours_pred, theirs_pred)


def sklearn_ovr(**params):
    return SklearnOneVsRest(LogisticRegression(**params))


def our_ovr(**params):
    return OneVsRestClassifier(BinaryLogisticRegression(**params))


@pytest.mark.parametrize("C", [1e-2, 1.0, np.inf])
def test_multiclass_same_as_scikit_learn(multiclass_data, C):
    X, y = multiclass_data
    ours = our_ovr(C=C, **TIGHT).fit(X, y)
    theirs = sklearn_ovr(C=C, **TIGHT).fit(X, y)
    assert_same_models(ours, theirs, X)
    assert_allclose(ours.decision_function(X), theirs.decision_function(X), atol=1e-6)
    assert all(isinstance(e, BinaryLogisticRegression) for e in ours.estimators_)
    assert all(e.n_iter_ > 0 for e in ours.estimators_)
    assert_array_equal(ours.estimators_[0].classes_, [0, 1])


def test_string_labels(multiclass_data):
    X, y = multiclass_data
    names = np.array(["cat", "dog", "emu", "yak"])[y]
    ours = our_ovr(**TIGHT).fit(X, names)
    theirs = sklearn_ovr(**TIGHT).fit(X, names)
    assert_same_models(ours, theirs, X)
    assert set(ours.predict(X)) <= set(names)


@pytest.mark.parametrize("Y_container", [np.asarray, sp.csr_matrix, sp.csc_array])
def test_multilabel_same_as_scikit_learn(multilabel_data, Y_container):
    X, Y = multilabel_data
    ours = our_ovr(**TIGHT).fit(X, Y_container(Y))
    theirs = sklearn_ovr(**TIGHT).fit(X, Y_container(Y))
    assert ours.multilabel_
    assert_same_models(ours, theirs, X)
    # Independent marginals: rows do not sum to one.
    assert not np.allclose(ours.predict_proba(X).sum(axis=1), 1.0)


def test_binary_target(multiclass_data):
    X, y = multiclass_data
    y = np.where(y == 1, "yes", "no")
    ours = our_ovr(**TIGHT).fit(X, y)
    theirs = sklearn_ovr(**TIGHT).fit(X, y)
    assert len(ours.estimators_) == 1
    assert ours.decision_function(X).shape == (X.shape[0],)
    assert ours.predict_proba(X).shape == (X.shape[0], 2)
    assert_same_models(ours, theirs, X)
    assert ours.coef_.shape == (1, X.shape[1])


def test_sample_weight_routed(multiclass_data):
    X, y = multiclass_data
    sample_weight = np.random.default_rng(0).uniform(0, 2, size=len(y))
    with config_context(enable_metadata_routing=True):
        ours = OneVsRestClassifier(
            BinaryLogisticRegression(**TIGHT).set_fit_request(sample_weight=True)
        ).fit(X, y, sample_weight=sample_weight)
        theirs = SklearnOneVsRest(
            LogisticRegression(**TIGHT).set_fit_request(sample_weight=True)
        ).fit(X, y, sample_weight=sample_weight)
    assert_same_models(ours, theirs, X)


def test_sample_weight_needs_routing(multiclass_data):
    X, y = multiclass_data
    # The same error as scikit-learn's meta-estimator without routing enabled.
    with pytest.raises(ValueError, match="enable_metadata_routing=True"):
        OneVsRestClassifier().fit(X, y, sample_weight=np.ones(len(y)))


@pytest.mark.parametrize("class_weight", [{0: 0.5, 1: 3.0}, "balanced"])
def test_class_weight(multiclass_data, class_weight):
    X, y = multiclass_data
    ours = our_ovr(class_weight=class_weight, **TIGHT).fit(X, y)
    theirs = sklearn_ovr(class_weight=class_weight, **TIGHT).fit(X, y)
    assert_same_models(ours, theirs, X)


def test_sparse_and_float32(multiclass_data):
    X, y = multiclass_data
    X_sparse = sp.csr_matrix(np.where(np.abs(X) > 0.7, X, 0.0))
    ours = our_ovr(**TIGHT).fit(X_sparse, y)
    theirs = sklearn_ovr(**TIGHT).fit(X_sparse, y)
    assert_same_models(ours, theirs, X_sparse)

    X32 = X.astype(np.float32)
    ours32 = our_ovr(**TIGHT).fit(X32, y)
    theirs64 = sklearn_ovr(**TIGHT).fit(X, y)
    # Float32 products: about 1e-7 relative error per evaluation (see
    # test_binary.py), so coefficients agree to about 1e-4 relative and
    # probabilities, whose margins sum ten such terms, to about 1e-4.
    for mine, other in zip(ours32.estimators_, theirs64.estimators_, strict=True):
        scale = np.abs(other.coef_).max()
        assert_allclose(mine.coef_, other.coef_, rtol=1e-4, atol=1e-4 * scale)
    assert_allclose(ours32.predict_proba(X32), theirs64.predict_proba(X), atol=1e-4)
    assert ours32.decision_function(X32).dtype == np.float32


@pytest.mark.parametrize(
    "params",
    [{}, {"C": 0.1, "fit_intercept": False}, {"class_weight": "balanced"}],
)
def test_fast_path_equals_generic_path(multiclass_data, multilabel_data, params):
    for X, y in [multiclass_data, multilabel_data]:
        fast = our_ovr(**params, **TIGHT).fit(X, y)
        generic = OneVsRestClassifier(
            make_pipeline(BinaryLogisticRegression(**params, **TIGHT))
        ).fit(X, y)
        for mine, other in zip(fast.estimators_, generic.estimators_, strict=True):
            other = other[-1]
            scale = np.abs(other.coef_).max()
            assert_allclose(mine.coef_, other.coef_, rtol=1e-6, atol=1e-6 * scale)
        # Both stop on ftol=64*eps or gtol=1e-10 at slightly different points
        # of a flat optimum; 1e-6 in probability is far below any model change.
        assert_allclose(fast.predict_proba(X), generic.predict_proba(X), atol=1e-6)


def test_fast_path_follows_standalone_iterates(multiclass_data):
    """Each class runs exactly the L-BFGS-B a standalone fit would run."""
    X, y = multiclass_data
    ours = our_ovr(tol=1e-6).fit(X, y)
    for k, estimator in zip(ours.classes_, ours.estimators_, strict=True):
        alone = BinaryLogisticRegression(tol=1e-6).fit(X, y == k)
        assert estimator.n_iter_ == alone.n_iter_
        assert_allclose(estimator.coef_, alone.coef_, rtol=1e-9, atol=1e-12)


def test_sharded_over_jobs_equals_sequential(multiclass_data):
    X, y = multiclass_data
    sequential = our_ovr(**TIGHT).fit(X, y)
    for backend_n_jobs in [2, 3]:
        sharded = OneVsRestClassifier(
            BinaryLogisticRegression(**TIGHT), n_jobs=backend_n_jobs
        ).fit(X, y)
        assert_allclose(sharded.coef_, sequential.coef_, rtol=1e-8, atol=1e-10)


def test_one_product_predictions_match_estimators(multiclass_data):
    X, y = multiclass_data
    model = our_ovr().fit(X, y)
    per_estimator = np.column_stack([e.decision_function(X) for e in model.estimators_])
    assert_allclose(model.decision_function(X), per_estimator)
    assert_allclose(model.decision_function(X), X @ model.coef_.T + model.intercept_)
    proba = model.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])


def test_label_present_in_all_samples(multilabel_data):
    X, Y = multilabel_data
    Y = Y.copy()
    Y[:, 2] = 1
    with pytest.warns(UserWarning, match="Label 2 is present in all training"):
        ours = our_ovr().fit(X, Y)
    with pytest.warns(UserWarning, match="Label 2 is present in all training"):
        theirs = sklearn_ovr().fit(X, Y)
    assert_array_equal(ours.predict(X), theirs.predict(X))
    assert_allclose(ours.predict_proba(X)[:, 2], 1.0)
    assert not hasattr(ours, "coef_")


def test_any_base_estimator(multiclass_data):
    X, y = multiclass_data
    # A classifier without predict_proba: the method is not there either.
    svc = OneVsRestClassifier(LinearSVC()).fit(X, y)
    assert not hasattr(svc, "predict_proba")
    assert svc.coef_.shape == (4, X.shape[1])
    assert_array_equal(svc.predict(X), svc.classes_[svc.decision_function(X).argmax(1)])
    # A classifier without decision_function or coef_.
    tree = OneVsRestClassifier(DecisionTreeClassifier(random_state=0)).fit(X, y)
    assert not hasattr(tree, "decision_function")
    assert not hasattr(tree, "coef_")
    assert tree.score(X, y) == 1.0
    # A regressor, as scikit-learn's meta-estimator allows.
    ours = OneVsRestClassifier(LinearRegression()).fit(X, y)
    theirs = SklearnOneVsRest(LinearRegression()).fit(X, y)
    assert_array_equal(ours.predict(X), theirs.predict(X))


def test_partial_fit_when_base_has_it(multiclass_data):
    X, y = multiclass_data
    assert not hasattr(OneVsRestClassifier(), "partial_fit")
    ours = OneVsRestClassifier(SGDClassifier(random_state=0))
    theirs = SklearnOneVsRest(SGDClassifier(random_state=0))
    for start in range(0, len(y), 100):
        batch = slice(start, start + 100)
        ours.partial_fit(X[batch], y[batch], classes=np.unique(y))
        theirs.partial_fit(X[batch], y[batch], classes=np.unique(y))
    assert_allclose(ours.decision_function(X), theirs.decision_function(X))


def test_partial_fit_errors_and_two_classes(multiclass_data):
    X, y = multiclass_data
    model = OneVsRestClassifier(SGDClassifier(random_state=0))
    with pytest.raises(ValueError, match="classes must be passed on the first"):
        model.partial_fit(X, y)
    model.partial_fit(X, y, classes=np.unique(y))
    with pytest.raises(ValueError, match="is not the same as on the first call"):
        model.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="Mini-batch contains"):
        model.partial_fit(X, y + 10)
    # Two classes are one binary problem, so one estimator.
    two = y < 2
    binary = OneVsRestClassifier(SGDClassifier(random_state=0))
    binary.partial_fit(X[two], y[two], classes=[0, 1])
    assert len(binary.estimators_) == 1
    assert binary.n_classes_ == 2


def test_feature_names_when_first_label_is_constant(multiclass_data):
    pd = pytest.importorskip("pandas")
    X, y = multiclass_data
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    Y = np.column_stack([np.ones_like(y), y == 1, y == 2])
    model = OneVsRestClassifier(LogisticRegression())
    with pytest.warns(UserWarning, match="Label 0 is present in all"):
        model.fit(frame, Y)
    assert_array_equal(model.feature_names_in_, frame.columns)


def test_warm_start(multiclass_data):
    X, y = multiclass_data
    model = our_ovr(warm_start=True, tol=1e-8).fit(X, y)
    coef = model.coef_.copy()
    model.fit(X, y)
    assert max(e.n_iter_ for e in model.estimators_) <= 2
    assert_allclose(model.coef_, coef, rtol=1e-6)


def test_non_converging_class_warns_and_finishes(multiclass_data):
    X, y = multiclass_data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model = our_ovr(max_iter=3).fit(X * 100, y)
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 4
    assert all(f"for class {k} after 3 iteration" in messages[k] for k in range(4))
    assert all(e.n_iter_ == 3 for e in model.estimators_)


def test_exception_in_evaluation_does_not_hang(multiclass_data, monkeypatch):
    X, y = multiclass_data
    calls = []

    def failing_loss(coef, *args, **kwargs):
        calls.append(coef.shape[0])
        if len(calls) == 5:
            raise MemoryError("simulated failure in round 5")
        return loss_and_gradient(coef, *args, **kwargs)

    loss_and_gradient = lockstep_module.loss_and_gradient
    model = our_ovr().fit(X, y)
    monkeypatch.setattr(lockstep_module, "loss_and_gradient", failing_loss)
    with pytest.raises(MemoryError, match="round 5") as excinfo:
        model.fit(X, y)
    assert len(calls) == 5
    # The traceback shows the failure once, with no frames of the runs that
    # were stopped because of it.
    frames = [frame.name for frame in traceback.extract_tb(excinfo.tb)]
    assert frames.count("failing_loss") == 1
    assert "_raise_if_failed" not in frames
    # No L-BFGS-B run is left suspended.
    assert not [
        run
        for run in gc.get_objects()
        if isinstance(run, greenlet.greenlet) and run and run.parent is not None
    ]
    # The failed refit left no partial (or stale) model behind.
    assert not hasattr(model, "estimators_")
    with pytest.raises(NotFittedError):
        model.predict(X)


def test_verbose(multiclass_data, capsys):
    X, y = multiclass_data
    our_ovr().fit(X, y)
    assert capsys.readouterr().out == ""
    OneVsRestClassifier(verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert out.count("[OneVsRestClassifier] class") == 4
    assert "converged" in out
    # Verbose on both: still one line per class, the meta-estimator's.
    OneVsRestClassifier(BinaryLogisticRegression(verbose=1), verbose=1).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert all(line.startswith("[OneVsRestClassifier] class") for line in lines)
    # Verbose on the base estimator only: its own line, once per class.
    OneVsRestClassifier(BinaryLogisticRegression(verbose=1)).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert all(line.startswith("[BinaryLogisticRegression] (class") for line in lines)


def test_pickle_and_clone(multiclass_data):
    X, y = multiclass_data
    model = our_ovr().fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    assert_allclose(restored.predict_proba(X), model.predict_proba(X))
    assert clone(model).get_params()["estimator"].get_params() == (
        model.estimator.get_params()
    )


@pytest.mark.slow
def test_grid_search_on_mnist_subset_with_routed_sample_weight(mnist_dir):
    from sklearn_ovr_logit.datasets import fetch_mnist

    X, _, y, _ = fetch_mnist(scale=True, return_X_y=True)
    X, y = X[:1500], y[:1500]
    sample_weight = np.where(y % 2 == 0, 2.0, 1.0)
    grid = {"estimator__C": [0.1, 1.0]}
    with config_context(enable_metadata_routing=True):
        base = BinaryLogisticRegression(max_iter=300).set_fit_request(
            sample_weight=True
        )
        model = OneVsRestClassifier(base).set_score_request(sample_weight=False)
        search = GridSearchCV(model, grid, cv=2)
        search.fit(X, y, sample_weight=sample_weight)
        direct = OneVsRestClassifier(
            clone(base).set_params(C=search.best_params_["estimator__C"])
        ).fit(X, y, sample_weight=sample_weight)
    assert search.best_score_ > 0.8
    # The refit on the whole data saw the weights: it equals the direct fit.
    assert_allclose(search.best_estimator_.coef_, direct.coef_)
    unweighted = OneVsRestClassifier(
        BinaryLogisticRegression(C=search.best_params_["estimator__C"], max_iter=300)
    ).fit(X, y)
    assert not np.allclose(unweighted.coef_, direct.coef_)


def test_pipeline_and_grid_search_default_estimator(multiclass_data):
    X, y = multiclass_data
    search = GridSearchCV(
        make_pipeline(StandardScaler(), OneVsRestClassifier()),
        {"onevsrestclassifier__estimator__C": [0.01, 1.0]},
        cv=3,
    ).fit(X, y)
    assert search.best_score_ > 0.5
    assert (
        search.best_params_["onevsrestclassifier__estimator__C"]
        == search.best_estimator_[-1].estimator.C
    )
    # Straight on the meta-estimator, as the README shows.
    search = GridSearchCV(OneVsRestClassifier(), {"estimator__C": [0.1, 10.0]}, cv=3)
    search.fit(X, y)
    assert search.best_params_["estimator__C"] == search.best_estimator_.estimator.C


# Bad input.
class _FitOnly(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.zeros(len(X))


def test_base_estimator_without_fit():
    with pytest.raises(InvalidParameterError, match="estimator"):
        OneVsRestClassifier(estimator=object()).fit([[0.0], [1.0]], [0, 1])


def test_base_estimator_without_scores(multiclass_data):
    X, y = multiclass_data
    with pytest.raises(ValueError, match="neither decision_function nor predict_p"):
        OneVsRestClassifier(_FitOnly()).fit(X, y)


@pytest.mark.parametrize("generic", [False, True])
def test_bad_X(multiclass_data, generic):
    X, y = multiclass_data
    estimator = make_pipeline(BinaryLogisticRegression()) if generic else None
    X_nan = X.copy()
    X_nan[3, 2] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        OneVsRestClassifier(estimator).fit(X_nan, y)
    model = OneVsRestClassifier(estimator).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but .* is expecting 10"):
        model.predict(X[:, :3])
    with pytest.raises(ValueError, match="X has 3 features, but .* is expecting 10"):
        model.predict_proba(X[:, :3])


def test_bad_y_and_sample_weight(multiclass_data):
    X, y = multiclass_data
    with pytest.raises(ValueError, match="Unknown label type"):
        OneVsRestClassifier().fit(X, np.linspace(0, 1, len(y)))
    with config_context(enable_metadata_routing=True):
        base = BinaryLogisticRegression().set_fit_request(sample_weight=True)
        weights = np.ones(len(y))
        weights[0] = -1
        with pytest.raises(ValueError, match="Negative values in data passed to"):
            OneVsRestClassifier(base).fit(X, y, sample_weight=weights)
        with pytest.raises(ValueError, match="sample_weight.shape"):
            OneVsRestClassifier(base).fit(X, y, sample_weight=weights[:5])


def test_not_fitted(multiclass_data):
    X, _ = multiclass_data
    with pytest.raises(NotFittedError):
        OneVsRestClassifier().predict(X)


def test_no_leftover_warnings(multiclass_data):
    X, y = multiclass_data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        OneVsRestClassifier(BinaryLogisticRegression(max_iter=1000)).fit(X, y)


def test_probabilities_sum_to_one_far_from_the_data():
    """Where every class's expit underflows, rows still sum to one."""
    X = np.ones((3, 1))
    model = our_ovr(C=1e6, fit_intercept=False).fit(X * 1e4, [0, 1, 2])
    far = np.array([[1e4], [1e10], [-1e10]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        proba = model.predict_proba(far)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert np.isfinite(proba).all()


@pytest.mark.parametrize("generic", [False, True])
def test_warm_start_with_other_classes_starts_cold(multiclass_data, generic):
    """A refit on more (or other) classes has nothing to start from."""
    X, y = multiclass_data
    base = BinaryLogisticRegression(warm_start=True, tol=1e-8)
    model = OneVsRestClassifier(make_pipeline(base) if generic else base)
    model.fit(X[y < 2], y[y < 2])
    assert len(model.estimators_) == 1
    model.fit(X, y)
    cold = OneVsRestClassifier(BinaryLogisticRegression(tol=1e-8)).fit(X, y)
    assert len(model.estimators_) == 4
    assert_allclose(model.predict_proba(X), cold.predict_proba(X), atol=1e-6)


def test_output_dtypes_for_float32_input(multiclass_data):
    # As docs/user_guide/dtypes.rst says: margins follow X, probabilities
    # are float64 so that small ones keep their precision.
    X, y = multiclass_data
    X = X.astype(np.float32)
    binary = BinaryLogisticRegression().fit(X, y == y[0])
    ovr = our_ovr().fit(X, y)
    for model in (binary, ovr):
        assert model.decision_function(X).dtype == np.float32
        assert model.predict_proba(X).dtype == np.float64
    assert binary.predict_log_proba(X).dtype == np.float64


# Issue 11: no silent wrong model.
_BAD_BASE_PARAMS = [
    {"C": -1.0},
    {"C": 0},
    {"C": np.nan},
    {"C": "1"},
    {"max_iter": -1},
    {"max_iter": 1.5},
    {"tol": -1e-4},
    {"fit_intercept": "yes"},
    {"class_weight": "even"},
    {"warm_start": 2},
    {"verbose": -1},
]


@pytest.mark.parametrize("params", _BAD_BASE_PARAMS)
@pytest.mark.parametrize("n_jobs", [None, 2])
def test_fast_path_validates_base_parameters(multiclass_data, params, n_jobs):
    """The fast path rejects what BinaryLogisticRegression.fit rejects, as it does."""
    X, y = multiclass_data
    with pytest.raises(InvalidParameterError) as alone:
        BinaryLogisticRegression(**params).fit(X, y == 0)
    model = OneVsRestClassifier(BinaryLogisticRegression(**params), n_jobs=n_jobs)
    with pytest.raises(InvalidParameterError) as fast:
        model.fit(X, y)
    assert str(fast.value) == str(alone.value)
    assert not hasattr(model, "estimators_")


def test_grid_search_over_a_bad_C_raises(multiclass_data):
    X, y = multiclass_data
    search = GridSearchCV(
        OneVsRestClassifier(), {"estimator__C": [1.0, -1.0]}, cv=2, error_score="raise"
    )
    with pytest.raises(InvalidParameterError, match="'C' parameter"):
        search.fit(X, y)


@pytest.mark.parametrize("values", [(0, 2), (-1, 1)])
@pytest.mark.parametrize("generic", [False, True])
@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix])
def test_multilabel_values_other_than_0_1(multilabel_data, values, generic, container):
    X, Y = multilabel_data
    Y_odd = container(np.where(Y == 1, values[1], values[0]))
    estimator = make_pipeline(BinaryLogisticRegression()) if generic else None
    message = rf"multilabel indicator y has the values \[{values[0]}, {values[1]}\]"
    if container is sp.csr_matrix and values == (-1, 1):
        # Two stored values: not even an indicator to scikit-learn.
        message = "'multiclass-multioutput'; one-vs-rest takes class labels"
    with pytest.raises(ValueError, match=message):
        OneVsRestClassifier(estimator).fit(X, Y_odd)
    # 0/1 as bool or float is fine, and means the same.
    as_bool = OneVsRestClassifier(estimator).fit(X, container(Y.astype(bool)))
    as_float = OneVsRestClassifier(estimator).fit(X, container(Y.astype(float)))
    assert_allclose(as_bool.predict_proba(X), as_float.predict_proba(X))


def test_generic_warm_start_uses_the_current_parameters(multiclass_data):
    """A refit after set_params fits with the new parameters; only the start is old."""
    X, y = multiclass_data
    tight = {"tol": 1e-10, "max_iter": 10_000}
    model = OneVsRestClassifier(LogisticRegression(warm_start=True, **tight))
    model.fit(X, y)
    model.set_params(estimator__C=1e-4)
    model.fit(X, y)
    cold = OneVsRestClassifier(LogisticRegression(C=1e-4, **tight)).fit(X, y)
    assert all(e.C == 1e-4 for e in model.estimators_)
    # Two stops of L-BFGS-B near one optimum; the old C=1 gives coefficients
    # a hundred times larger.
    assert_allclose(model.coef_, cold.coef_, rtol=1e-4)
    # A different base estimator altogether starts from scratch.
    model.set_params(estimator=LinearSVC())
    model.fit(X, y)
    assert all(type(e) is LinearSVC for e in model.estimators_)


@pytest.mark.parametrize("generic", [False, True])
def test_inconsistent_numbers_of_samples(multiclass_data, generic):
    X, y = multiclass_data
    estimator = make_pipeline(BinaryLogisticRegression()) if generic else None
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        OneVsRestClassifier(estimator).fit(X[:-1], y)


@pytest.mark.parametrize("weight", [-1.0, np.nan, np.inf, "2"])
def test_bad_class_weight_values(multiclass_data, weight):
    X, y = multiclass_data
    message = "class weights must be finite, non-negative numbers"
    with pytest.raises(ValueError, match=message):
        our_ovr(class_weight={0: 1.0, 1: weight}).fit(X, y)
    with pytest.raises(ValueError, match=message):
        BinaryLogisticRegression(class_weight={0: weight, 1: 1.0}).fit(X, y == 0)


def test_rows_where_every_class_has_probability_zero(multiclass_data):
    """Pure leaves give log-probabilities of -inf; such rows are zeros, not NaN."""
    X, y = multiclass_data
    rng = np.random.default_rng(0)
    X_new = rng.normal(size=(500, X.shape[1])) * 2
    ours = OneVsRestClassifier(DecisionTreeClassifier(random_state=0)).fit(X, y)
    theirs = SklearnOneVsRest(DecisionTreeClassifier(random_state=0)).fit(X, y)
    proba = ours.predict_proba(X_new)
    expected = theirs.predict_proba(X_new)
    assert (expected.sum(axis=1) == 0).any()
    assert not np.isnan(proba).any()
    assert_allclose(proba, expected)


# -- state and messages after bad input (hostile pass) --------------------------


def test_a_failed_first_partial_fit_leaves_nothing(multiclass_data):
    X, y = multiclass_data
    clf = OneVsRestClassifier(SGDClassifier(random_state=0))
    with pytest.raises(ValueError, match="NaN"):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3.5, np.nan])
    assert not hasattr(clf, "classes_")
    # The next call is the first one, not a call with other classes.
    clf.partial_fit(X, y, classes=np.unique(y))
    assert_array_equal(clf.classes_, np.unique(y))


def test_a_refit_refused_for_its_labels_leaves_no_model(multiclass_data):
    X, y = multiclass_data
    clf = OneVsRestClassifier().fit(X, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.fit(X, y + 0.5)
    assert not hasattr(clf, "classes_")
    assert not hasattr(clf, "label_binarizer_")
    with pytest.raises(NotFittedError):
        clf.predict(X)


def test_x_given_as_a_string_is_named(multiclass_data):
    _, y = multiclass_data
    with pytest.raises(ValueError, match="X is a string, 'abc'"):
        OneVsRestClassifier().fit("abc", y)


@pytest.mark.parametrize("odd", [None, "a"])
@pytest.mark.parametrize("where", [0, 3])
@pytest.mark.parametrize(
    "estimator",
    [OneVsRestClassifier(), OneVsRestLogisticRegressionCV(Cs=2, cv=2)],
    ids=["OneVsRestClassifier", "OneVsRestLogisticRegressionCV"],
)
def test_labels_that_cannot_be_sorted(multiclass_data, odd, where, estimator):
    """Also when the first label is the odd one (scikit-learn's target checks
    then fail before the classes are made)."""
    X, y = multiclass_data
    labels = y.astype(object)
    labels[where] = odd
    with pytest.raises(ValueError, match="cannot be sorted into classes"):
        estimator.fit(X, labels)


@pytest.mark.parametrize("labels", [["a", None] * 3, ["a"] * 3 + [1] * 3])
def test_binary_labels_that_cannot_be_sorted(labels):
    X = np.random.default_rng(0).normal(size=(6, 2))
    with pytest.raises(ValueError, match="cannot be sorted into classes"):
        BinaryLogisticRegression().fit(X, np.array(labels, dtype=object))


def test_log_of_zero_probabilities_is_not_a_warning(multiclass_data):
    X, y = multiclass_data
    clf = OneVsRestClassifier(DecisionTreeClassifier(random_state=0)).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = clf.predict_proba(X)
    assert np.any(proba == 0)
    assert_allclose(proba.sum(axis=1), 1)


def test_base_balanced_without_weight_on_one_side_names_the_label(multiclass_data):
    X, y = multiclass_data
    weights = (y != 2).astype(float)
    base = BinaryLogisticRegression(class_weight="balanced")
    with config_context(enable_metadata_routing=True):
        clf = OneVsRestClassifier(base.set_fit_request(sample_weight=True))
        with pytest.raises(ValueError, match=r"labels \[2\] one side has none"):
            clf.fit(X, y, sample_weight=weights)
    with pytest.raises(ValueError, match="class True has none"):
        base.fit(X, y == 2, sample_weight=weights)


def test_weights_past_float64_warn_of_nothing_but_the_error(multiclass_data):
    X, y = multiclass_data
    n = len(y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # C * S overflows: a penalty below float64's smallest, none at all.
        big = BinaryLogisticRegression(C=1e308, tol=1e-8)
        big.fit(X, y == 1, sample_weight=np.full(n, 1e10))
        free = BinaryLogisticRegression(C=np.inf, tol=1e-8)
        free.fit(X, y == 1, sample_weight=np.full(n, 1e10))
        assert_allclose(big.coef_, free.coef_, rtol=1e-12)
        with pytest.raises(ValueError, match="more than float64 can hold"):
            BinaryLogisticRegression().fit(X, y == 1, sample_weight=np.full(n, 1e308))
        with pytest.raises(ValueError, match="more than float64 can hold"):
            OneVsRestClassifier(class_weight=dict.fromkeys(np.unique(y), 1e308)).fit(
                X, y
            )


def test_a_single_class_model_checks_x_at_predict(multiclass_data):
    X, y = multiclass_data
    clf = OneVsRestClassifier()
    with pytest.warns(UserWarning, match="present in all training examples"):
        clf.fit(X, np.zeros(len(y), dtype=int))
    assert_array_equal(clf.predict(X[:3]), [0, 0, 0])
    with pytest.raises(ValueError, match="features"):
        clf.predict(np.zeros((2, X.shape[1] + 1)))
    with pytest.raises(ValueError, match="NaN"):
        clf.predict(np.full((2, X.shape[1]), np.nan))


def test_two_classes_make_the_problem_of_the_second(capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    y = np.where(X[:, 0] > 0, "yes", "no")
    with pytest.warns(ConvergenceWarning, match="for class yes after"):
        OneVsRestClassifier(BinaryLogisticRegression(max_iter=1), verbose=1).fit(X, y)
    assert "class yes:" in capsys.readouterr().out
