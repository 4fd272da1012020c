"""The row-blocked loss and gradient: against a direct formula, in every code path."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit

import sklearn_ovr_logit._loss as loss_module
from sklearn_ovr_logit._loss import (
    Labels,
    Problems,
    RowBlockEvaluator,
    loss_and_gradient,
    weight_sums,
)


def direct(coef, X, targets, weights, C):
    """Objective and gradient of each problem with plain numpy, float64.

    ``targets`` and ``weights`` are (n_problems, n_samples) dense arrays.
    """
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    losses, gradients = [], []
    for k in range(coef.shape[0]):
        w, b = coef[k, :-1], coef[k, -1]
        s = weights[k]
        z = X @ w + b
        total = s.sum()
        losses.append(
            s @ (np.logaddexp(0, z) - targets[k] * z) / total + w @ w / (2 * C * total)
        )
        r = s * (0.5 * (1 + np.tanh(z / 2)) - targets[k]) / total
        gradients.append(np.append(X.T @ r + w / (C * total), r.sum()))
    return np.array(losses), np.array(gradients)


def evaluate(coef, X, labels, sample_weight, problems, C, n_threads=1):
    sums = weight_sums(labels, sample_weight, problems)
    with RowBlockEvaluator(
        X,
        labels,
        sample_weight,
        len(problems),
        fit_intercept=True,
        n_threads=n_threads,
    ) as evaluator:
        return loss_and_gradient(coef, evaluator, problems, sums, 1 / (C * sums))


def dense_targets_and_weights(labels, sample_weight, problems):
    """The classes x samples arrays the evaluator never builds, for the oracle."""
    indicator = np.zeros((labels.n_samples, labels.n_labels))
    rows, columns = labels.entries(0, labels.n_samples)
    indicator[rows, columns] = 1
    targets = indicator[:, problems.labels].T
    if sample_weight is None:
        sample_weight = np.ones((1, labels.n_samples))
    rows = 0 if problems.weight_rows is None else problems.weight_rows
    weights = np.broadcast_to(sample_weight[rows], targets.shape).copy()
    if problems.class_weights is not None:
        weights *= np.where(
            targets == 1,
            problems.class_weights[:, 1:],
            problems.class_weights[:, :1],
        )
    return targets, weights


@pytest.fixture
def multiclass():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 40))
    codes = rng.integers(0, 5, size=3000)
    coef = rng.normal(size=(5, 41)) * 0.3
    return X, Labels.from_codes(codes, 5), coef


@pytest.fixture(params=["BLAS threads", "row threads"])
def sharing(request, monkeypatch):
    """How the evaluator shares the cores (sparse X always uses row threads)."""
    if request.param == "row threads":
        monkeypatch.setattr(loss_module, "_ROW_THREADS_MIN_PROBLEMS", 1)
    return request.param


@pytest.fixture(params=["one block", "many blocks", "many parts"])
def block_size(request, monkeypatch):
    if request.param != "one block":
        # 64 rows per block: 47 blocks, the last one partial.
        monkeypatch.setattr(loss_module, "_X_BLOCK_BYTES", 64 * 40 * 8)
        monkeypatch.setattr(loss_module, "_SCRATCH_BYTES", 64 * 4 * 8 * 5)
    if request.param == "many parts":
        # The pointwise work of a block in parts of 2 problems (dense) or
        # 20 samples (sparse).
        monkeypatch.setattr(loss_module, "_POINTWISE_ENTRIES", 100)
    return request.param


@pytest.mark.parametrize("n_threads", [1, 2, 3])
@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix, sp.csc_array])
def test_matches_direct_formula(multiclass, block_size, sharing, n_threads, container):
    X, labels, coef = multiclass
    problems = Problems(labels=np.arange(5))
    loss, gradient = evaluate(
        coef, container(X), labels, None, problems, 0.5, n_threads
    )
    targets, weights = dense_targets_and_weights(labels, None, problems)
    expected_loss, expected_gradient = direct(coef, X, targets, weights, 0.5)
    assert_allclose(loss, expected_loss, rtol=1e-12)
    assert_allclose(gradient, expected_gradient, rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix])
def test_weights_per_problem(multiclass, block_size, sharing, container):
    """Sample weight rows (folds), class weights, several problems per label."""
    X, labels, _ = multiclass
    rng = np.random.default_rng(1)
    sample_weight = rng.uniform(0, 2, size=(3, X.shape[0]))
    sample_weight[1, ::3] = 0.0  # held-out rows of a fold
    problems = Problems(
        labels=np.array([0, 0, 3, 1, 3, 4, 4]),
        weight_rows=np.array([0, 1, 2, 1, 0, 2, 0]),
        class_weights=rng.uniform(0.2, 3, size=(7, 2)),
    )
    coef = rng.normal(size=(7, 41)) * 0.3
    loss, gradient = evaluate(
        coef, container(X), labels, sample_weight, problems, 2.0, n_threads=2
    )
    targets, weights = dense_targets_and_weights(labels, sample_weight, problems)
    expected_loss, expected_gradient = direct(coef, X, targets, weights, 2.0)
    assert_allclose(loss, expected_loss, rtol=1e-12)
    assert_allclose(gradient, expected_gradient, rtol=1e-9, atol=1e-13)
    assert_allclose(
        weight_sums(labels, sample_weight, problems), weights.sum(axis=1), rtol=1e-13
    )


def test_multilabel_and_a_label_of_no_problem(block_size):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(500, 40))
    indicator = rng.random((500, 6)) < 0.3
    labels = Labels.from_indicator(sp.csr_array(indicator))
    # Label 2 has no problem here; label 5 has two.
    problems = Problems(labels=np.array([5, 0, 1, 3, 4, 5]))
    coef = rng.normal(size=(6, 41)) * 0.3
    loss, gradient = evaluate(coef, X, labels, None, problems, 1.0)
    targets, weights = dense_targets_and_weights(labels, None, problems)
    assert_array_equal(targets, indicator[:, problems.labels].T)
    expected_loss, expected_gradient = direct(coef, X, targets, weights, 1.0)
    assert_allclose(loss, expected_loss, rtol=1e-12)
    assert_allclose(gradient, expected_gradient, rtol=1e-9, atol=1e-13)


def test_fewer_problems_than_the_evaluator_takes(multiclass, block_size):
    """One evaluator serves the shrinking rounds of a lockstep fit."""
    X, labels, coef = multiclass
    all_problems = Problems(labels=np.arange(5))
    sums = weight_sums(labels, None, all_problems)
    targets, weights = dense_targets_and_weights(labels, None, all_problems)
    expected_loss, expected_gradient = direct(coef, X, targets, weights, 1.0)
    with RowBlockEvaluator(X, labels, None, 5, fit_intercept=True) as evaluator:
        for rows in [[0, 1, 2, 3, 4], [1, 3], [4]]:
            loss, gradient = loss_and_gradient(
                coef[rows],
                evaluator,
                all_problems.select(rows),
                sums[rows],
                1 / sums[rows],
            )
            assert_allclose(loss, expected_loss[rows], rtol=1e-12)
            assert_allclose(gradient, expected_gradient[rows], rtol=1e-9, atol=1e-13)
        with pytest.raises(ValueError, match="takes 5 problems at most, not 6"):
            evaluator.weighted_sums(np.zeros((6, 41)), Problems(np.zeros(6, int)))


def test_float32_products_float64_sums(multiclass):
    X, labels, coef = multiclass
    problems = Problems(labels=np.arange(5))
    loss32, gradient32 = evaluate(coef, X.astype(np.float32), labels, None, problems, 1)
    loss64, gradient64 = evaluate(coef, X, labels, None, problems, 1)
    assert loss32.dtype == gradient32.dtype == np.float64
    # float32 products: relative errors of a few 1e-7.
    assert_allclose(loss32, loss64, rtol=1e-6)
    assert_allclose(gradient32, gradient64, rtol=1e-4, atol=1e-6)
    assert not np.array_equal(loss32, loss64)


def test_threads_give_the_same_sums_every_time(multiclass, block_size, sharing):
    """The partial sums of the threads are added in a fixed order."""
    X, labels, coef = multiclass
    problems = Problems(labels=np.arange(5))
    first = evaluate(coef, X, labels, None, problems, 1.0, n_threads=2)
    for _ in range(5):
        again = evaluate(coef, X, labels, None, problems, 1.0, n_threads=2)
        assert_array_equal(again[0], first[0])
        assert_array_equal(again[1], first[1])


def test_loss_at_extreme_margins():
    margins = np.array([[-1e6], [-1e4], [-30.0], [0.0], [30.0], [1e4], [1e6]])
    X = margins  # one feature, coefficient 1: z equals X
    labels = Labels.from_indicator(np.array([[0, 1, 0, 1, 1, 0, 1]]).T)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        evaluator = RowBlockEvaluator(X, labels, None, 1, fit_intercept=False)
        loss, gradient = loss_and_gradient(
            np.array([[1.0]]),
            evaluator,
            Problems(np.array([0])),
            np.array([7.0]),
            np.array([0.0]),
        )
    # Wrong-side points cost |z|, right-side ones next to nothing.
    expected = (
        0
        + 1e4
        + np.log1p(np.exp(-30.0))
        + np.log(2)
        + np.log1p(np.exp(-30.0))
        + 1e4
        + 0
    ) / 7
    assert loss[0] == pytest.approx(expected, rel=1e-15)
    # expit(z) - y: -1 at z=-1e4 with y=1, +1 at z=1e4 with y=0, tiny tails kept.
    residuals = np.array([0, -1, np.exp(-30) / (1 + np.exp(-30)), -0.5, 0, 1, 0])
    assert gradient[0, 0] == pytest.approx(residuals @ margins[:, 0] / 7, rel=1e-15)


def test_pointwise_residual_and_loss_of_each_entry():
    """Each entry's residual is expit(z) - y to the last bits, tails included."""
    z = np.array(
        [-800.0, -745.0, -700.0, -40.0, -1e-300, -0.0, 0.0, 1e-300, 3.0, 40.0, 800.0]
    )
    margins = np.stack([z, z])
    # Problem 0 has every target 0; problem 1 every target 1.
    positive = (np.ones(z.size, dtype=np.intp), np.arange(z.size))
    loss_sums, residual_sums = np.zeros(2), np.zeros(2)
    residuals = np.empty_like(margins)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        loss_module._pointwise(
            margins.copy(),
            positive,
            None,
            np.empty_like(margins),
            residuals,
            loss_sums,
            residual_sums,
        )
    expected = np.stack([expit(z), -expit(-z)])
    # (expit rounds exp(-745) = 4.9e-324, float64's smallest number, to 0.)
    assert_allclose(residuals, expected, rtol=2e-16, atol=1e-320)
    assert_allclose(residual_sums, expected.sum(axis=1), rtol=1e-15)
    losses = np.stack([np.logaddexp(0, z), np.logaddexp(0, -z)])
    assert_allclose(loss_sums, losses.sum(axis=1), rtol=1e-15)


def test_labels():
    labels = Labels.from_indicator(
        sp.csr_array(np.array([[1, 0, 1], [0, 0, 0], [0, 1, 1]]))
    )
    assert labels.n_samples == 3
    assert not labels.one_per_sample
    rows, columns = labels.entries(1, 3)
    assert_array_equal(rows, [1, 1])
    assert_array_equal(columns, [1, 2])
    assert_array_equal(labels.weighted_counts(np.array([1.0, 5.0, 0.5])), [1, 0.5, 1.5])
    tail = labels.rows(1, 3)
    assert_array_equal(tail.indptr, [0, 0, 2])
    assert Labels.from_codes(np.array([1, 0]), 2).one_per_sample


def fold_weights(n_samples, n_folds, rng, shuffle=True):
    """Training weights of ``n_folds`` folds: zero on the rows each holds out."""
    fold_of = np.arange(n_samples) * n_folds // n_samples
    if shuffle:
        fold_of = rng.permutation(fold_of)
    weights = rng.uniform(0.5, 2, size=n_samples)
    return np.stack([np.where(fold_of == f, 0.0, weights) for f in range(n_folds)])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix, sp.csc_array])
def test_folds_skip_the_runs_of_rows_they_hold_out(
    block_size, sharing, container, dtype
):
    """A fold's problems do not read a long run of rows it holds out.

    Nor a run that no problem uses. Those rows are NaN: reading one would
    make a loss NaN, even at weight 0.
    """
    rng = np.random.default_rng(3)
    n_samples = 4 * loss_module._MIN_SKIPPED_ROWS
    X = rng.normal(size=(n_samples, 40))
    indicator = rng.random((n_samples, 4)) < 0.4
    labels = Labels.from_indicator(sp.csr_array(indicator))
    # Folds of contiguous rows, as KFold without shuffling makes them.
    sample_weight = fold_weights(n_samples, 3, rng, shuffle=False)
    sample_weight[:, -loss_module._MIN_SKIPPED_ROWS :] = 0.0  # used by no one
    problems = Problems(
        labels=np.array([0, 1, 2, 3, 0, 3]),
        weight_rows=np.array([1, 1, 1, 1, 1, 1]),
        class_weights=rng.uniform(0.5, 2, size=(6, 2)),
    )
    unread = sample_weight[1] == 0
    X_nan = X.copy()
    X_nan[unread] = np.nan
    coef = rng.normal(size=(6, 41)) * 0.3
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        loss, gradient = evaluate(
            coef, container(X_nan.astype(dtype)), labels, sample_weight, problems, 1.0
        )
    targets, weights = dense_targets_and_weights(labels, sample_weight, problems)
    X_zero = np.where(unread[:, np.newaxis], 0.0, X).astype(dtype)
    expected_loss, expected_gradient = direct(coef, X_zero, targets, weights, 1.0)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert_allclose(loss, expected_loss, rtol=rtol)
    assert_allclose(gradient, expected_gradient, rtol=rtol * 1e3, atol=1e-6)


@pytest.mark.parametrize("shuffle", [True, False], ids=["scattered", "contiguous"])
def test_folds_and_all_data_in_one_batch(multiclass, block_size, sharing, shuffle):
    """Problems of every fold and of all the data share each pass over X."""
    X, labels, _ = multiclass
    rng = np.random.default_rng(4)
    sample_weight = np.vstack(
        [fold_weights(X.shape[0], 4, rng, shuffle), np.ones(X.shape[0])]
    )
    fold = np.repeat(np.arange(5), 5)
    problems = Problems(labels=np.tile(np.arange(5), 5), weight_rows=fold)
    coef = rng.normal(size=(25, 41)) * 0.3
    loss, gradient = evaluate(coef, X, labels, sample_weight, problems, 0.3, 2)
    targets, weights = dense_targets_and_weights(labels, sample_weight, problems)
    expected_loss, expected_gradient = direct(coef, X, targets, weights, 0.3)
    assert_allclose(loss, expected_loss, rtol=1e-12)
    assert_allclose(gradient, expected_gradient, rtol=1e-9, atol=1e-13)


def test_dense_float64_products_are_padded_to_a_multiple_of_4():
    assert [loss_module._product_rows(n, np.float64, False) for n in range(1, 11)] == [
        1, 2, 3, 4, 8, 8, 8, 8, 12, 12
    ]  # fmt: skip
    assert loss_module._product_rows(10, np.float32, False) == 10
    assert loss_module._product_rows(10, np.float64, True) == 10


@pytest.mark.parametrize("n_problems", [5, 7, 10])
def test_padding_changes_no_sum(
    multiclass, block_size, sharing, n_problems, monkeypatch
):
    """The padded rows' margins and residuals never reach a problem's sums."""
    X, labels, _ = multiclass
    rng = np.random.default_rng(5)
    sample_weight = fold_weights(X.shape[0], 3, rng, shuffle=False)
    problems = Problems(
        labels=np.arange(n_problems) % 5, weight_rows=np.arange(n_problems) % 3
    )
    coef = rng.normal(size=(n_problems, 41)) * 0.3
    padded = evaluate(coef, X, labels, sample_weight, problems, 1.0, 2)
    monkeypatch.setattr(loss_module, "_PAD_PRODUCTS_FROM", 10**9)
    plain = evaluate(coef, X, labels, sample_weight, problems, 1.0, 2)
    assert_allclose(padded[0], plain[0], rtol=1e-14)
    assert_allclose(padded[1], plain[1], rtol=1e-12, atol=1e-15)
