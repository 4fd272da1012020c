"""The L-BFGS-B driver: one run, and the lockstep rendezvous of many."""

import gc
import traceback
import warnings

import greenlet
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from sklearn_ovr_logit._solver import (
    check_convergence,
    minimize_lbfgs,
    minimize_lbfgs_lockstep,
)


def quadratics(n_problems, n_params=5, seed=0):
    """Independent convex quadratics: f_k(x) = 1/2 (x - t_k)' diag(a_k) (x - t_k)."""
    rng = np.random.default_rng(seed)
    curvature = rng.uniform(0.5, 20, size=(n_problems, n_params))
    target = rng.normal(size=(n_problems, n_params))

    def one(problem):
        def fun_and_grad(x):
            d = x - target[problem]
            return 0.5 * d @ (curvature[problem] * d), curvature[problem] * d

        return fun_and_grad

    def batch(runs, params):
        d = params - target[runs]
        gradients = curvature[runs] * d
        return 0.5 * np.einsum("ij,ij->i", d, gradients), gradients

    return one, batch, target


def suspended_runs():
    return [
        run
        for run in gc.get_objects()
        if isinstance(run, greenlet.greenlet) and run and run.parent is not None
    ]


def test_each_run_follows_its_own_iterates():
    one, batch, target = quadratics(6)
    x0 = np.zeros((6, 5))
    results = minimize_lbfgs_lockstep(batch, x0, tol=1e-10, max_iter=100)
    for problem, result in enumerate(results):
        alone = minimize_lbfgs(one(problem), x0[problem], tol=1e-10, max_iter=100)
        assert result.nit == alone.nit
        assert result.nfev == alone.nfev
        assert_array_equal(result.x, alone.x)
        assert_allclose(result.x, target[problem], atol=1e-9)


def test_rounds_shrink_as_runs_finish():
    """Each round evaluates exactly the runs still going, in order."""
    _, batch, _ = quadratics(4, n_params=20)
    rounds = []

    def recording(runs, params):
        rounds.append(list(runs))
        return batch(runs, params)

    results = minimize_lbfgs_lockstep(
        recording, np.zeros((4, 20)), tol=1e-9, max_iter=100
    )
    assert rounds[0] == [0, 1, 2, 3]
    assert all(r == sorted(r) for r in rounds)
    sizes = [len(r) for r in rounds]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[-1] < 4  # the runs did not all stop together
    for problem, result in enumerate(results):
        assert sum(problem in r for r in rounds) == result.nfev


def test_a_single_problem():
    one, batch, target = quadratics(1)
    [result] = minimize_lbfgs_lockstep(batch, np.ones((1, 5)), tol=1e-10, max_iter=50)
    alone = minimize_lbfgs(one(0), np.ones(5), tol=1e-10, max_iter=50)
    assert_array_equal(result.x, alone.x)
    assert not suspended_runs()


def test_a_failing_evaluation_stops_every_run():
    _, batch, _ = quadratics(5)
    calls = []

    def failing(runs, params):
        calls.append(len(runs))
        if len(calls) == 3:
            raise MemoryError("simulated failure in round 3")
        return batch(runs, params)

    with pytest.raises(MemoryError, match="round 3") as excinfo:
        minimize_lbfgs_lockstep(failing, np.zeros((5, 5)), tol=1e-10, max_iter=50)
    assert len(calls) == 3
    frames = [frame.name for frame in traceback.extract_tb(excinfo.tb)]
    assert frames.count("failing") == 1
    assert not suspended_runs()


def test_a_failing_run_stops_every_run():
    """An error in one run's callback is raised once, with that run's frames."""
    _, batch, _ = quadratics(5)
    iterations = []

    def failing_callback(intermediate_result):
        iterations.append(1)
        if len(iterations) == 2:
            raise ValueError("simulated failure in a callback")

    callbacks = [None, None, failing_callback, None, None]
    with pytest.raises(ValueError, match="in a callback") as excinfo:
        minimize_lbfgs_lockstep(
            batch, np.zeros((5, 5)), tol=1e-10, max_iter=50, callbacks=callbacks
        )
    frames = [frame.name for frame in traceback.extract_tb(excinfo.tb)]
    assert frames.count("failing_callback") == 1
    assert not suspended_runs()


@pytest.mark.parametrize("where", ["evaluation", "run"])
def test_an_interrupt_stops_every_run(where):
    _, batch, _ = quadratics(3)
    calls = []

    def interrupted(runs, params):
        calls.append(1)
        if where == "evaluation" and len(calls) == 2:
            raise KeyboardInterrupt
        return batch(runs, params)

    def interrupting_callback(intermediate_result):
        raise KeyboardInterrupt

    callbacks = [None, interrupting_callback if where == "run" else None, None]
    with pytest.raises(KeyboardInterrupt):
        minimize_lbfgs_lockstep(
            interrupted, np.zeros((3, 5)), tol=1e-10, max_iter=50, callbacks=callbacks
        )
    assert not suspended_runs()


def test_check_convergence_warns_with_advice():
    one, _, _ = quadratics(1)
    result = minimize_lbfgs(one(0), np.zeros(5), tol=1e-12, max_iter=1)
    with pytest.warns(ConvergenceWarning, match="after 1 iteration.*max_iter"):
        assert check_convergence(result, max_iter=1, tol=1e-12, problem_name="x") == 1
    result = minimize_lbfgs(one(0), np.zeros(5), tol=1e-6, max_iter=100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_convergence(result, max_iter=100, tol=1e-6) == result.nit
