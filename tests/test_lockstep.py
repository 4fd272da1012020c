"""The fast path's seam: problem batches, shards, waves and bounded memory."""

import tracemalloc
import warnings
from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

import sklearn_ovr_logit._lockstep as lockstep_module
from sklearn_ovr_logit import OneVsRestClassifier
from sklearn_ovr_logit._lockstep import (
    LbfgsSettings,
    ProblemBatch,
    default_solver_memory,
    solve,
    solve_path,
    wave_size,
)
from sklearn_ovr_logit._loss import Labels, Problems

SETTINGS = LbfgsSettings(tol=1e-8, max_iter=500)


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6))
    codes = (X[:, 0] + rng.normal(size=400) > 0).astype(int) + 2 * (X[:, 1] > 0)
    labels = Labels.from_codes(codes, 4)
    problems = Problems(labels=np.arange(4))
    return ProblemBatch.from_labels(
        X, labels, problems, C=np.array([0.1, 1.0, 10.0, np.inf]), fit_intercept=True
    )


def test_batch_select_keeps_what_each_problem_is(batch):
    selected = batch.select([3, 1])
    assert_array_equal(selected.problems.labels, [3, 1])
    assert_array_equal(selected.C, [np.inf, 1.0])
    assert_array_equal(selected.weight_sums, batch.weight_sums[[3, 1]])
    assert_array_equal(selected.l2_reg_strength, [0.0, 1 / (1.0 * 400)])
    assert selected.X is batch.X


def test_zero_weight_sums_are_refused():
    labels = Labels.from_codes(np.array([0, 1, 0, 1]), 2)
    with pytest.raises(ValueError, match="sum to zero"):
        ProblemBatch.from_labels(
            np.ones((4, 1)),
            labels,
            Problems(np.array([1])),
            C=1.0,
            fit_intercept=True,
            sample_weight=np.zeros((1, 4)),
        )


@pytest.mark.parametrize(
    ("weight", "C", "message"),
    [
        # 1e308 * 4 overflows: the sum was inf, or NaN (inf - inf) once split
        # into the label and the rest, and was reported as "sum to zero".
        (1e308, 1.0, "sum to more than float64 can hold"),
        # 1 / (C * S) overflowed to inf and the fit ran on NaN gradients.
        (1e-322, 1.0, r"penalty 1 / \(C \* S\) overflows"),
        (1.0, 1e-310, r"penalty 1 / \(C \* S\) overflows"),
    ],
)
def test_weights_beyond_float64_are_refused(weight, C, message):
    labels = Labels.from_codes(np.array([0, 1, 0, 1]), 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the error alone, no overflow warnings
        with pytest.raises(ValueError, match=message):
            ProblemBatch.from_labels(
                np.ones((4, 1)),
                labels,
                Problems(np.array([1])),
                C=C,
                fit_intercept=True,
                sample_weight=np.full((1, 4), weight),
            )


def test_tiny_weights_without_penalty_are_fine():
    """``C=inf`` has no penalty to overflow, whatever the weights."""
    labels = Labels.from_codes(np.array([0, 1, 0, 1]), 2)
    batch = ProblemBatch.from_labels(
        np.ones((4, 1)),
        labels,
        Problems(np.array([1])),
        C=np.inf,
        fit_intercept=True,
        sample_weight=np.full((1, 4), 1e-322),
    )
    assert_array_equal(batch.l2_reg_strength, [0.0])


@pytest.mark.slow
@pytest.mark.parametrize("n_jobs", [None, 2])
def test_waves_and_shards_follow_the_same_iterates(batch, n_jobs):
    coef0 = np.zeros((4, batch.n_params))
    together = solve(batch, coef0, SETTINGS)
    # A budget for one run at a time: four waves (per shard).
    one_at_a_time = solve(batch, coef0, SETTINGS, n_jobs=n_jobs, solver_memory=1)
    for a, b in zip(together, one_at_a_time, strict=True):
        assert a.nit == b.nit
        assert_allclose(a.x, b.x, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    ("n_jobs", "solver_memory"), [(None, None), (2, None), (None, 1), (3, 1)]
)
def test_path_warm_starts_each_C_from_the_previous_solution(
    batch, n_jobs, solver_memory
):
    """solve_path equals one solve per value of C, each from the last solution."""
    Cs = np.array([[0.01, 0.1, 1.0, 10.0], [1.0, 0.5, 2.0, np.inf]])
    coef = np.zeros((4, batch.n_params))
    expected = []
    for C in Cs:
        expected.append(solve(replace(batch, C=C), coef, SETTINGS))
        coef = np.array([result.x for result in expected[-1]])
    path = solve_path(
        batch,
        Cs,
        np.zeros((4, batch.n_params)),
        SETTINGS,
        n_jobs=n_jobs,
        solver_memory=solver_memory,
    )
    assert len(path) == 2
    for step, step_expected in zip(path, expected, strict=True):
        for result, other in zip(step, step_expected, strict=True):
            assert result.nit == other.nit
            # Other shards and waves change the products' summation order.
            assert_allclose(result.x, other.x, rtol=1e-12, atol=1e-14)
    # One value of C for all problems at a step, broadcast.
    [shared] = solve_path(
        batch, np.array([0.3]), np.zeros((4, batch.n_params)), SETTINGS
    )
    alone = solve(
        replace(batch, C=np.full(4, 0.3)), np.zeros((4, batch.n_params)), SETTINGS
    )
    for result, other in zip(shared, alone, strict=True):
        assert_allclose(result.x, other.x, rtol=1e-12, atol=1e-14)


def test_wave_size_and_budget():
    assert wave_size(1_000, 10**9) == 10**9 // (1_000 * 8 * 35)
    assert wave_size(10**9, 1) == 1
    small, large = np.zeros((10, 10)), np.zeros((20_000, 10_000), dtype=np.float32)
    assert default_solver_memory(small) == lockstep_module.MIN_SOLVER_MEMORY
    assert default_solver_memory(large) == large.nbytes // 4
    assert default_solver_memory(sp.csr_array(small)) == (
        lockstep_module.MIN_SOLVER_MEMORY
    )


@pytest.mark.slow
def test_memory_does_not_grow_with_classes_times_samples():
    """200 classes x 30,000 samples: one float64 array of that shape is 48 MB."""
    rng = np.random.default_rng(0)
    n_samples, n_classes = 30_000, 200
    X = rng.normal(size=(n_samples, 4))
    y = rng.integers(0, n_classes, n_samples)
    tracemalloc.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        OneVsRestClassifier().set_params(estimator__max_iter=2).fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # The evaluator's scratch, the coefficients and a few copies of the labels.
    assert peak < n_classes * n_samples * 8 / 2
