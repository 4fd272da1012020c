"""The L-BFGS-B driver: one run, and the lockstep rendezvous of many."""

import gc
import traceback
import warnings

import greenlet
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning

from sklearn_ovr_logit import _solver
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


# scipy 1.15 rewrote L-BFGS-B in C; from then on our own loop drives its step.
OWN_LOOP = pytest.mark.skipif(
    not _solver._own_loop_matches(),
    reason="scipy < 1.15: minimize_lbfgs calls scipy.optimize.minimize itself",
)


def logistic_problem(seed, n_samples=60, n_features=7):
    """A badly scaled logistic regression: many iterations, line searches."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features)) * np.logspace(-2, 2, n_features)
    y = (X @ rng.normal(size=n_features) + rng.normal(size=n_samples) > 0) * 1.0

    def fun_and_grad(w):
        z = X @ w
        loss = np.sum(np.logaddexp(0, z) - y * z) / n_samples + 0.5e-3 * w @ w
        return loss, X.T @ (expit(z) - y) / n_samples + 1e-3 * w

    return fun_and_grad, n_features


@OWN_LOOP
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("max_iter", [1, 5, 1000])
@pytest.mark.parametrize("tol", [1e-2, 1e-10])
def test_own_loop_is_scipy_minimize(seed, max_iter, tol):
    """The same iterates, result, counts and messages as scipy's own driver."""
    fun_and_grad, n_features = logistic_problem(seed)
    x0 = np.full(n_features, 0.1)
    ours = _solver._lbfgsb_loop(fun_and_grad, x0, tol=tol, max_iter=max_iter)
    theirs = _solver._scipy_minimize(fun_and_grad, x0, tol=tol, max_iter=max_iter)
    assert_array_equal(ours.x, theirs.x)
    assert_array_equal(ours.jac, theirs.jac)
    assert ours.fun == theirs.fun
    for key in ["nit", "nfev", "status", "success", "message"]:
        assert ours[key] == theirs[key], key


@OWN_LOOP
def test_own_loop_callbacks_and_halting_are_scipy_minimize():
    fun_and_grad, n_features = logistic_problem(0)
    seen = {"ours": [], "theirs": []}

    def halting(name):
        def callback(intermediate_result):
            seen[name].append((intermediate_result.x.copy(), intermediate_result.fun))
            if len(seen[name]) == 4:
                raise StopIteration

        return callback

    x0 = np.zeros(n_features)
    ours = _solver._lbfgsb_loop(
        fun_and_grad, x0, tol=1e-10, max_iter=100, callback=halting("ours")
    )
    theirs = _solver._scipy_minimize(
        fun_and_grad, x0, tol=1e-10, max_iter=100, callback=halting("theirs")
    )
    assert len(seen["ours"]) == len(seen["theirs"]) == 4
    for (x_ours, f_ours), (x_theirs, f_theirs) in zip(
        seen["ours"], seen["theirs"], strict=True
    ):
        assert_array_equal(x_ours, x_theirs)
        assert f_ours == f_theirs
    assert ours.nit == theirs.nit == 4
    assert ours.message == theirs.message
    assert ours.status == theirs.status
    assert not ours.success
    assert not theirs.success


@OWN_LOOP
def test_minimize_lbfgs_takes_the_own_loop(monkeypatch):
    """minimize's bookkeeping is what the own loop saves: it is not called."""

    def refuse(*args, **kwargs):
        raise AssertionError("scipy.optimize.minimize was called")

    monkeypatch.setattr(_solver.optimize, "minimize", refuse)
    one, _, target = quadratics(1)
    result = minimize_lbfgs(one(0), np.zeros(5), tol=1e-10, max_iter=100)
    assert_allclose(result.x, target[0], atol=1e-9)


def test_an_unknown_lbfgsb_step_falls_back_to_minimize(monkeypatch):
    """If scipy's private step changes its interface, minimize drives it."""
    from scipy.optimize import _lbfgsb

    def other_interface(*args):
        raise TypeError("setulb() takes 18 arguments")

    _solver._own_loop_matches.cache_clear()
    monkeypatch.setattr(_lbfgsb, "setulb", other_interface)
    try:
        assert not _solver._own_loop_matches()
    finally:
        _solver._own_loop_matches.cache_clear()
    monkeypatch.undo()
    one, _, target = quadratics(1)
    with monkeypatch.context() as patch:
        patch.setattr(_solver, "_own_loop_matches", lambda: False)
        fallback = minimize_lbfgs(one(0), np.zeros(5), tol=1e-10, max_iter=100)
    default = minimize_lbfgs(one(0), np.zeros(5), tol=1e-10, max_iter=100)
    assert_array_equal(fallback.x, default.x)
    assert fallback.nit == default.nit


def _edge_objectives():
    def quadratic(x):
        return float(0.5 * x @ x - x.sum()), x - 1

    def nan_every_other(x, calls=[]):  # noqa: B006 (counts calls across one run)
        calls.append(1)
        f, g = quadratic(x)
        return (np.nan, g) if len(calls) % 2 == 0 else (f, g)

    return {
        "max_iter=0": (quadratic, np.zeros(3), 0),
        "NaN start": (quadratic, np.array([np.nan, 0.0, 0.0]), 100),
        "inf start": (quadratic, np.array([np.inf, 0.0, 0.0]), 100),
        "NaN gradient": (lambda x: (1.0, np.full(3, np.nan)), np.zeros(3), 100),
        "unbounded below": (lambda x: (float(-x.sum()), -np.ones(3)), np.zeros(3), 9),
        "float32 gradient": (
            lambda x: (quadratic(x)[0], quadratic(x)[1].astype(np.float32)),
            np.zeros(3),
            100,
        ),
        "value as a 1-element array": (
            lambda x: (np.array([quadratic(x)[0]]), quadratic(x)[1]),
            np.zeros(3),
            100,
        ),
        "no parameters": (quadratic, np.zeros(0), 100),
        "NaN values": (nan_every_other, np.zeros(3), 100),
    }


@OWN_LOOP
@pytest.mark.parametrize("case", list(_edge_objectives()))
def test_own_loop_matches_minimize_at_the_edges(case):
    results = []
    for solve in [_solver._lbfgsb_loop, _solver._scipy_minimize]:
        # A fresh objective each time: one of them counts its calls.
        fun_and_grad, x0, max_iter = _edge_objectives()[case]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            results.append(solve(fun_and_grad, x0, tol=1e-8, max_iter=max_iter))
    ours, theirs = results
    assert_array_equal(ours.x, theirs.x)
    assert_array_equal(ours.fun, theirs.fun)
    for key in ["nit", "nfev", "status", "message"]:
        assert ours[key] == theirs[key], key


@pytest.mark.parametrize("x0", [np.array(3.0), 3.0, [[3.0]]])
def test_a_starting_point_of_any_shape_is_flattened_as_minimize_does(x0):
    """A scalar or nested x0 is one vector of parameters, as for minimize."""

    def fun_and_grad(x):
        return float((x[0] - 1.0) ** 2), 2.0 * (x - 1.0)

    result = minimize_lbfgs(fun_and_grad, x0, tol=1e-10, max_iter=100)
    expected = _solver._scipy_minimize(
        fun_and_grad, np.ravel(x0).astype(float), tol=1e-10, max_iter=100
    )
    assert result.x.shape == (1,)
    assert_array_equal(result.x, expected.x)
