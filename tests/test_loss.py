"""The loss and gradient: against a direct numpy formula, in every code path."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from threadpoolctl import threadpool_limits

from sklearn_ovr_logit._loss import LossWorkspace, loss_and_gradient


def direct(coef, X, Y, sample_weight, C):
    """Objective and gradient of each problem with plain numpy, float64."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    losses, gradients = [], []
    for k in range(coef.shape[0]):
        w, b = coef[k, :-1], coef[k, -1]
        s = np.ones(X.shape[0]) if sample_weight is None else sample_weight[k]
        z = X @ w + b
        total = s.sum()
        losses.append(
            s @ (np.logaddexp(0, z) - Y[k] * z) / total + w @ w / (2 * C * total)
        )
        r = s * (0.5 * (1 + np.tanh(z / 2)) - Y[k]) / total
        gradients.append(np.append(X.T @ r + w / (C * total), r.sum()))
    return np.array(losses), np.array(gradients)


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 400))
    Y = (rng.random((3, 3000)) < 0.4).astype(np.float64)
    sample_weight = rng.uniform(0, 2, size=(3, 3000))
    coef = rng.normal(size=(3, 401)) * 0.05
    return X, Y, sample_weight, coef


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix, sp.csc_matrix])
def test_matches_direct_formula(problem, n_threads, weighted, container):
    X, Y, sample_weight, coef = problem
    weights = sample_weight if weighted else None
    sums = weights.sum(axis=1) if weighted else np.full(3, float(X.shape[0]))
    C = 0.5
    with threadpool_limits(n_threads, user_api="blas"):
        loss, gradient = loss_and_gradient(
            coef, container(X), Y, weights, sums, 1 / (C * sums), True
        )
    expected_loss, expected_gradient = direct(coef, X, Y, weights, C)
    assert_allclose(loss, expected_loss, rtol=1e-12)
    assert_allclose(gradient, expected_gradient, rtol=1e-9, atol=1e-13)


def test_float32_products_float64_sums(problem):
    X, Y, _, coef = problem
    sums = np.full(3, float(X.shape[0]))
    loss32, gradient32 = loss_and_gradient(
        coef, X.astype(np.float32), Y, None, sums, 1 / sums, True
    )
    loss64, gradient64 = loss_and_gradient(coef, X, Y, None, sums, 1 / sums, True)
    assert loss32.dtype == gradient32.dtype == np.float64
    # float32 products: relative errors of a few 1e-7.
    assert_allclose(loss32, loss64, rtol=1e-6)
    assert_allclose(gradient32, gradient64, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
def test_problems_in_several_blocks(weighted):
    # 1000 samples: the pointwise work takes 65 problems at a time, so 70
    # problems run as a full block and a partial one.
    rng = np.random.default_rng(1)
    n_problems, n_samples = 70, 1000
    X = rng.normal(size=(n_samples, 20))
    Y = (rng.random((n_problems, n_samples)) < 0.3).astype(np.float64)
    weights = rng.uniform(0, 2, size=(n_problems, n_samples)) if weighted else None
    sums = weights.sum(axis=1) if weighted else np.full(n_problems, float(n_samples))
    coef = rng.normal(size=(n_problems, 21))
    workspace = LossWorkspace(n_problems, n_samples)
    assert workspace.arrays(n_problems)[2].shape[1] == 65
    expected_loss, expected_gradient = direct(coef, X, Y, weights, 2.0)
    loss, gradient = loss_and_gradient(
        coef, X, Y, weights, sums, 1 / (2.0 * sums), True, workspace=workspace
    )
    assert_allclose(loss, expected_loss, rtol=1e-12)
    assert_allclose(gradient, expected_gradient, rtol=1e-9, atol=1e-13)
    # The same workspace serves fewer problems, as the lockstep rounds shrink.
    rows = [3, 40, 66]
    loss, gradient = loss_and_gradient(
        coef[rows],
        X,
        Y[rows],
        None if weights is None else weights[rows],
        sums[rows],
        1 / (2.0 * sums[rows]),
        True,
        workspace=workspace,
    )
    assert_allclose(loss, expected_loss[rows], rtol=1e-12)
    assert_allclose(gradient, expected_gradient[rows], rtol=1e-9, atol=1e-13)


def test_workspace_too_small():
    with pytest.raises(ValueError, match="holds 2 problems, not 3"):
        LossWorkspace(2, 10).arrays(3)
