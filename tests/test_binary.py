"""BinaryLogisticRegression against scikit-learn's LogisticRegression, and bad input."""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _shared import TIGHT
from _shared import logistic_objective as objective
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ovr_logit import BinaryLogisticRegression
from sklearn_ovr_logit._solver import _scipy_only_blas, single_threaded_optimizer_blas


def objective_of(estimator, X, y, sample_weight=None):
    classes = np.unique(y)
    weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
    if estimator.class_weight == "balanced":
        counts = np.array([weights[y == c].sum() for c in classes])
        per_class = weights.sum() / (2 * counts)
        weights = weights * per_class[np.searchsorted(classes, y)]
    elif estimator.class_weight is not None:
        weights = weights * np.array([estimator.class_weight[c] for c in y])
    X = X.toarray() if sp.issparse(X) else X
    return objective(
        estimator.coef_.ravel().astype(np.float64),
        float(estimator.intercept_[0]),
        X.astype(np.float64),
        (y == classes[1]).astype(np.float64),
        weights,
        estimator.C,
    )


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=300, n_features=12, n_informative=6, flip_y=0.1, random_state=0
    )
    return StandardScaler().fit_transform(X), y


def assert_same_solution(ours, theirs, X, y, sample_weight=None, rtol_coef=1e-5):
    ours_objective = objective_of(ours, X, y, sample_weight)
    theirs_objective = objective_of(theirs, X, y, sample_weight)
    assert ours_objective == pytest.approx(theirs_objective, rel=1e-9)
    scale = np.abs(theirs.coef_).max()
    assert_allclose(ours.coef_, theirs.coef_, rtol=rtol_coef, atol=rtol_coef * scale)
    assert_allclose(
        ours.intercept_, theirs.intercept_, rtol=rtol_coef, atol=rtol_coef * scale
    )


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("C", [1e-2, 1.0, 1e3])
def test_same_optimum_as_logistic_regression(data, fit_intercept, C):
    X, y = data
    params = dict(C=C, fit_intercept=fit_intercept, **TIGHT)
    ours = BinaryLogisticRegression(**params).fit(X, y)
    theirs = LogisticRegression(**params).fit(X, y)
    assert_same_solution(ours, theirs, X, y)
    assert_array_equal(ours.classes_, theirs.classes_)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-7)


def test_no_penalty_on_non_separable_data(data):
    X, y = data
    ours = BinaryLogisticRegression(C=np.inf, **TIGHT).fit(X, y)
    theirs = LogisticRegression(C=np.inf, **TIGHT).fit(X, y)
    assert_same_solution(ours, theirs, X, y)


def test_sample_weight(data):
    X, y = data
    sample_weight = np.random.default_rng(0).uniform(0, 3, size=len(y))
    sample_weight[:20] = 0
    ours = BinaryLogisticRegression(**TIGHT).fit(X, y, sample_weight=sample_weight)
    theirs = LogisticRegression(**TIGHT).fit(X, y, sample_weight=sample_weight)
    assert_same_solution(ours, theirs, X, y, sample_weight)


@pytest.mark.parametrize("class_weight", [{0: 0.3, 1: 2.5}, "balanced"])
@pytest.mark.parametrize("with_sample_weight", [False, True])
def test_class_weight(data, class_weight, with_sample_weight):
    X, y = data
    # Unbalance the classes so that "balanced" matters.
    keep = (y == 1) | (np.arange(len(y)) % 3 == 0)
    X, y = X[keep], y[keep]
    sample_weight = None
    if with_sample_weight:
        sample_weight = np.random.default_rng(1).uniform(0.5, 2, size=len(y))
    params = dict(class_weight=class_weight, **TIGHT)
    ours = BinaryLogisticRegression(**params).fit(X, y, sample_weight=sample_weight)
    theirs = LogisticRegression(**params).fit(X, y, sample_weight=sample_weight)
    assert_same_solution(ours, theirs, X, y, sample_weight)


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
def test_sparse_input(data, container):
    X, y = data
    X = np.where(np.abs(X) > 0.8, X, 0.0)
    ours = BinaryLogisticRegression(**TIGHT).fit(container(X), y)
    theirs = LogisticRegression(**TIGHT).fit(X, y)
    assert_same_solution(ours, theirs, X, y)
    assert_allclose(ours.decision_function(container(X)), theirs.decision_function(X))


def test_float32_input(data):
    X, y = data
    X32 = X.astype(np.float32)
    ours = BinaryLogisticRegression(**TIGHT).fit(X32, y)
    theirs = LogisticRegression(**TIGHT).fit(X, y)
    # Float32 products carry relative errors of about 1e-7 into the gradient,
    # which move the optimum by about that much times the conditioning.
    assert objective_of(ours, X, y) == pytest.approx(objective_of(theirs, X, y), 1e-7)
    scale = np.abs(theirs.coef_).max()
    assert_allclose(ours.coef_, theirs.coef_, rtol=1e-4, atol=1e-4 * scale)
    assert ours.decision_function(X32).dtype == np.float32
    assert ours.coef_.dtype == np.float64


def test_default_tol_not_worse_than_scikit_learn(data):
    X, y = data
    for C in [1e-2, 1.0, 1e2]:
        ours = BinaryLogisticRegression(C=C).fit(X, y)
        theirs = LogisticRegression(C=C).fit(X, y)
        assert objective_of(ours, X, y) <= objective_of(theirs, X, y) * (1 + 1e-6)


def test_gradient_below_tol_at_solution(data):
    X, y = data
    model = BinaryLogisticRegression(C=0.5, tol=1e-8, max_iter=1000).fit(X, y)
    z = model.decision_function(X)
    residual = (expit(z) - y) / len(y)
    gradient_coef = X.T @ residual + model.coef_[0] / (model.C * len(y))
    assert np.abs(gradient_coef).max() <= 1e-8
    assert abs(residual.sum()) <= 1e-8


def test_predict_methods_are_consistent(data):
    X, y = data
    y_str = np.where(y == 1, "spam", "ham")
    model = BinaryLogisticRegression().fit(X, y_str)
    assert_array_equal(model.classes_, ["ham", "spam"])
    scores = model.decision_function(X)
    assert_allclose(scores, X @ model.coef_[0] + model.intercept_[0])
    proba = model.predict_proba(X)
    assert_allclose(proba[:, 1], expit(scores))
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_allclose(model.predict_log_proba(X), np.log(proba))
    assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])
    assert model.score(X, y_str) > 0.7


def test_huge_margins_are_stable():
    """Separable data with C=1e10: margins in the thousands, no warning or NaN."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    y = (X[:, 0] > 0).astype(int)
    X[:, 0] += np.where(y == 1, 5.0, -5.0)
    X_big = X * 1e5
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = BinaryLogisticRegression(C=1e10, max_iter=1000, warm_start=True)
        model.fit(X_big, y)
        # L-BFGS-B stops once the loss underflows (margins of several hundred);
        # restarting from 100 times the solution evaluates margins of ~1e5.
        model.coef_ *= 100
        model.fit(X_big, y)
        scores = model.decision_function(X_big * 10)
        proba = model.predict_proba(X_big * 10)
        log_proba = model.predict_log_proba(X_big * 10)
    assert np.abs(scores).max() > 1e4
    assert np.isfinite(proba).all()
    assert np.isfinite(log_proba).all()
    assert ((proba >= 0) & (proba <= 1)).all()
    assert_array_equal(model.predict(X_big), y)
    assert_array_equal(proba.argmax(axis=1), y)


def test_convergence_warning_says_what_to_do(data):
    X, y = data
    with pytest.warns(ConvergenceWarning, match="Scale the features.*max_iter"):
        model = BinaryLogisticRegression(max_iter=2).fit(X * 1e3, y)
    assert model.n_iter_ == 2


def test_memory_layouts_and_read_only_input(data, tmp_path):
    X, y = data
    reference = BinaryLogisticRegression(**TIGHT).fit(X, y)
    X_fortran = np.asfortranarray(X)
    X_read_only = X.copy()
    X_read_only.flags.writeable = False
    np.save(tmp_path / "X.npy", X)
    X_memmap = np.load(tmp_path / "X.npy", mmap_mode="r")
    for X_variant in [X_fortran, X_read_only, X_memmap]:
        before = np.array(X_variant, copy=True)
        model = BinaryLogisticRegression(**TIGHT).fit(X_variant, y)
        assert_allclose(model.coef_, reference.coef_, rtol=1e-8)
        assert_array_equal(X_variant, before)


def test_warm_start_starts_from_previous_solution(data):
    X, y = data
    model = BinaryLogisticRegression(warm_start=True, tol=1e-8).fit(X, y)
    coef = model.coef_.copy()
    model.fit(X, y)
    assert model.n_iter_ <= 2
    assert_allclose(model.coef_, coef, rtol=1e-6)
    cold = BinaryLogisticRegression(tol=1e-8).fit(X, y)
    assert cold.n_iter_ > 5


def test_verbose_output(data, capsys):
    X, y = data
    BinaryLogisticRegression().fit(X, y)
    assert capsys.readouterr().out == ""
    BinaryLogisticRegression(verbose=1).fit(X, y)
    assert "converged after" in capsys.readouterr().out
    BinaryLogisticRegression(verbose=2).fit(X, y)
    assert "iteration    1: objective" in capsys.readouterr().out


def test_optimizer_blas_is_single_threaded():
    scipy_blas = _scipy_only_blas()
    if scipy_blas is None:
        pytest.skip("numpy and scipy share one BLAS here: nothing to limit")
    with single_threaded_optimizer_blas():
        assert all(info["num_threads"] == 1 for info in scipy_blas.info())


def test_feature_names(data):
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = BinaryLogisticRegression().fit(frame, y)
    assert_array_equal(model.feature_names_in_, frame.columns)
    with pytest.warns(UserWarning, match="feature names"):
        model.predict(X)


# Bad input: each error says what was wrong.
@pytest.mark.parametrize(
    ("X", "message"),
    [
        (np.array([[0.0, np.nan], [1.0, 2.0], [2.0, 1.0]]), "Input X contains NaN"),
        (np.array([[0.0, np.inf], [1.0, 2.0], [2.0, 1.0]]), "Input X contains inf"),
        (np.empty((0, 2)), "0 sample"),
        (np.array([["a", "b"], ["c", "d"], ["e", "f"]], dtype=object), "string"),
    ],
)
def test_bad_X(X, message):
    with pytest.raises(ValueError, match=message):
        BinaryLogisticRegression().fit(X, np.array([0, 1, 0])[: len(X)])


def test_bad_y():
    X = np.arange(12.0).reshape(6, 2)
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        BinaryLogisticRegression().fit(X, np.linspace(0, 1, 6))
    with pytest.raises(ValueError, match="only one class"):
        BinaryLogisticRegression().fit(X, np.ones(6))
    with pytest.raises(ValueError, match="OneVsRestClassifier"):
        BinaryLogisticRegression().fit(X, [0, 1, 2, 0, 1, 2])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        BinaryLogisticRegression().fit(X, [0, 1, 0])


@pytest.mark.parametrize(
    ("sample_weight", "message"),
    [
        ([1, 1, -1, 1], "Negative values in data passed to `sample_weight`"),
        ([1, 1, 1], re.escape("sample_weight.shape == (3,), expected (4,)")),
        ([1, np.nan, 1, 1], "sample_weight contains NaN"),
        ([1, np.inf, 1, 1], "sample_weight contains infinity"),
        # scikit-learn >= 1.9 says the first, our own check the second.
        ([0, 0, 0, 0], "at least one non-zero|sum to zero"),
    ],
)
def test_bad_sample_weight(sample_weight, message):
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(ValueError, match=message):
        BinaryLogisticRegression().fit(X, [0, 1, 0, 1], sample_weight=sample_weight)


def test_wrong_number_of_features_at_predict(data):
    X, y = data
    model = BinaryLogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but Binary.* is expecting"):
        model.predict(X[:, :3])


@pytest.mark.parametrize(
    "params",
    [{"C": 0}, {"C": -1.0}, {"tol": -1}, {"max_iter": 1.5}, {"class_weight": "x"}],
)
def test_invalid_parameters(data, params):
    X, y = data
    with pytest.raises(InvalidParameterError):
        BinaryLogisticRegression(**params).fit(X, y)


def test_predict_before_fit(data):
    X, _ = data
    with pytest.raises(NotFittedError):
        BinaryLogisticRegression().predict(X)


def test_class_weight_with_string_labels_that_look_like_ints():
    """scikit-learn's compute_class_weight looks "0" up as 0; we find "0" too."""
    X = np.array([[0.0], [1.0], [2.0], [3.0], [1.5]])
    y = np.array(["0", "1", "0", "1", "1"])
    by_string = BinaryLogisticRegression(class_weight={"0": 3.0, "1": 1.0}, **TIGHT)
    as_weights = BinaryLogisticRegression(**TIGHT)
    by_string.fit(X, y)
    as_weights.fit(X, y, sample_weight=np.where(y == "0", 3.0, 1.0))
    assert_allclose(by_string.coef_, as_weights.coef_, rtol=1e-8)
    with pytest.raises(ValueError, match=r"The classes, \['0', '1'\], are not in"):
        BinaryLogisticRegression(class_weight={"a": 2.0}).fit(X, y)
