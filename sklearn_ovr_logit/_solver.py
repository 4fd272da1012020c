"""The L-BFGS-B driver: scipy.optimize calls, convergence checks, BLAS threads.

Two entry points share one set of L-BFGS-B options:

- :func:`minimize_lbfgs` runs one problem, as scikit-learn's
  ``LogisticRegression(solver="lbfgs")`` does: with scipy's L-BFGS-B step
  (``setulb``), driven either by ``scipy.optimize.minimize`` or, where
  scipy's step has the interface of scipy 1.15 and later, by a loop of our
  own that makes the same calls of that step without the bookkeeping
  ``minimize`` does around each evaluation (see :func:`_own_loop_matches`).
- :func:`minimize_lbfgs_lockstep` runs several independent problems, each with
  its own :func:`minimize_lbfgs` call (own history, line search and
  stopping test) in a greenlet of its own, but gathers the function
  evaluations that the still running problems ask for into one batched call.
  Each problem therefore follows exactly the iterates it would follow alone,
  while the expensive part, the passes over ``X``, is done once per round for
  all of them.
"""

import functools
import warnings
from contextlib import contextmanager
from pathlib import Path

import greenlet
import numpy as np
import scipy
from scipy import optimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.fixes import parse_version
from threadpoolctl import ThreadpoolController

from ._warnings import user_stacklevel

_LBFGS_OPTIONS = {
    # The same options scikit-learn passes for solver="lbfgs".
    "maxls": 50,
    "ftol": 64 * np.finfo(float).eps,
}


@functools.cache
def _blas_controller():
    # Scanning the loaded libraries takes milliseconds; the thread counts
    # that threadpoolctl reports are read afresh on each use.
    return ThreadpoolController().select(user_api="blas")


def _from_scipy(library):
    roots = [Path(scipy.__file__).resolve().parent]
    roots.append(roots[0].with_name("scipy.libs"))
    filepath = Path(library.filepath).resolve()
    return any(root in filepath.parents for root in roots)


@functools.cache
def _scipy_only_blas():
    """The BLAS libraries that scipy loaded for itself, apart from numpy's.

    pip wheels of numpy and scipy each bundle their own OpenBLAS. L-BFGS-B calls
    scipy's on vectors of a few hundred entries, where spawning threads costs
    more than it brings, and its idle threads spin and steal the cores that
    numpy's BLAS needs for the products with ``X``. When both packages share one
    BLAS (conda, system packages), there is nothing separate to limit.
    """
    controller = _blas_controller()
    # A shared BLAS lives outside scipy's folders, so it is never selected.
    scipy_paths = sorted(
        {lib.filepath for lib in controller.lib_controllers if _from_scipy(lib)}
    )
    return controller.select(filepath=scipy_paths) if scipy_paths else None


@contextmanager
def single_threaded_optimizer_blas():
    """Limit scipy's own BLAS to one thread while the optimiser runs.

    numpy's BLAS, which computes the products with ``X``, keeps its threads.
    """
    scipy_blas = _scipy_only_blas()
    if scipy_blas is None:
        yield
        return
    with scipy_blas.limit(limits=1):
        yield


@contextmanager
def evaluation_threads():
    """How many threads the evaluations may use, while L-BFGS-B runs.

    Yields the number of threads numpy's BLAS uses now, so that
    ``threadpoolctl`` limits, joblib's limits in its workers and
    ``OPENBLAS_NUM_THREADS`` all carry over to the work done outside BLAS.
    Meanwhile scipy's own BLAS runs one thread (see
    :func:`single_threaded_optimizer_blas`).
    """
    n_threads = max(
        (
            lib.num_threads
            for lib in _blas_controller().lib_controllers
            if not _from_scipy(lib)
        ),
        default=1,
    )
    with single_threaded_optimizer_blas():
        yield n_threads


def _lbfgs_options(tol, max_iter):
    return {"maxiter": max_iter, "gtol": tol, **_LBFGS_OPTIONS}


def minimize_lbfgs(fun_and_grad, x0, *, tol, max_iter, callback=None):
    """Minimise one smooth objective with L-BFGS-B.

    Parameters
    ----------
    fun_and_grad : callable
        ``fun_and_grad(x) -> (float, ndarray)``, the objective and its gradient.
    x0 : ndarray of shape (n_params,)
        Starting point.
    tol : float
        Stop when the max-norm of the projected gradient is at most ``tol``.
    max_iter : int
        Maximum number of L-BFGS-B iterations.
    callback : callable, default=None
        Called after each iteration with a ``scipy.optimize.OptimizeResult``
        holding the current ``x`` and ``fun``; raising ``StopIteration``
        stops the run, as in ``scipy.optimize.minimize``.

    Returns
    -------
    result : scipy.optimize.OptimizeResult
        scipy's result (``x``, ``fun``, ``jac``, ``nit``, ``nfev``,
        ``status``, ``message``).
    """
    # (As minimize takes it: a flat float64 vector.)
    x0 = np.asarray(x0, dtype=np.float64).ravel()
    if _own_loop_matches():
        return _lbfgsb_loop(
            fun_and_grad, x0, tol=tol, max_iter=max_iter, callback=callback
        )
    return _scipy_minimize(
        fun_and_grad, x0, tol=tol, max_iter=max_iter, callback=callback
    )


def _scipy_minimize(fun_and_grad, x0, *, tol, max_iter, callback=None):
    return optimize.minimize(
        fun_and_grad,
        x0,
        method="L-BFGS-B",
        jac=True,
        options=_lbfgs_options(tol, max_iter),
        callback=callback,
    )


# Memory of L-BFGS-B (pairs of history vectors) and scipy's evaluation limit,
# both scipy's defaults, which scikit-learn keeps.
_MAXCOR = 10
_MAXFUN = 15000


def _lbfgsb_loop(fun_and_grad, x0, *, tol, max_iter, callback=None):
    """``scipy.optimize.minimize(method="L-BFGS-B")``, for scipy >= 1.15.

    The same calls of scipy's L-BFGS-B step (``setulb``) with the same
    arguments, so the same iterates bit for bit, without the wrappers that
    ``minimize`` puts around each evaluation. Those cost tens of
    microseconds per evaluation, which add up when a thousand runs each
    take tens of iterations on a small problem.

    The match is for what this package passes: a flat float64 ``x0``, an
    objective returning a number and a gradient array, and a callback taking
    ``intermediate_result``. It does not check the objective's return values
    as ``minimize`` does, nor call a callback with the plain point.
    """
    from scipy.optimize import _lbfgsb
    from scipy.optimize._lbfgsb_py import status_messages, task_messages

    x = np.array(x0, dtype=np.float64)
    n = x.shape[0]
    m = _MAXCOR
    # No bounds: every entry of nbd is 0, so the bounds are never read.
    nbd = np.zeros(n, dtype=np.int32)
    bounds = np.zeros(n)
    workspace = np.zeros(2 * m * n + 5 * n + 11 * m * m + 8 * m)
    int_workspace = np.zeros(3 * n, dtype=np.int32)
    task = np.zeros(2, dtype=np.int32)
    line_search_task = np.zeros(2, dtype=np.int32)
    logical_state = np.zeros(4, dtype=np.int32)
    int_state = np.zeros(44, dtype=np.int32)
    float_state = np.zeros(29)
    factr = _LBFGS_OPTIONS["ftol"] / np.finfo(float).eps
    maxls = _LBFGS_OPTIONS["maxls"]
    n_iter = 0
    halted = False

    def evaluate(x):
        f, g = fun_and_grad(x.copy())
        if not isinstance(f, float):
            try:
                f = np.asarray(f, dtype=np.float64).item()
            except (TypeError, ValueError) as error:
                raise ValueError("The objective must return a scalar value.") from error
        return f, np.asarray(g, dtype=np.float64)

    # minimize evaluates at x0 before the first step, then answers a request
    # at the point it evaluated last from its cache.
    last_x = x.copy()
    f, g = evaluate(x)
    n_evaluations = 1
    while True:
        _lbfgsb.setulb(
            m, x, bounds, bounds, nbd, f, g, factr, tol, workspace,
            int_workspace, task, logical_state, int_state, float_state, maxls,
            line_search_task,
        )  # fmt: skip
        if task[0] == 3:  # FG: evaluate at x
            if not np.array_equal(x, last_x):
                last_x = x.copy()
                f, g = evaluate(x)
                n_evaluations += 1
        elif task[0] == 1:  # NEW_X: an iteration is done
            n_iter += 1
            if callback is not None:
                try:
                    callback(optimize.OptimizeResult(x=x, fun=f))
                except StopIteration:
                    task[:] = (5, 505)
                    halted = True
            if n_iter >= max_iter:
                task[:] = (5, 504)
            elif n_evaluations > _MAXFUN:
                task[:] = (5, 502)
        else:
            break
    if task[0] == 4:
        status = 0
    elif n_evaluations > _MAXFUN or n_iter >= max_iter:
        status = 1
    else:
        status = 2
    message = f"{status_messages[task[0]]}: {task_messages[task[1]]}"
    if halted:
        # What minimize reports when its callback stops it.
        status, message = 99, "`callback` raised `StopIteration`."
    return optimize.OptimizeResult(
        fun=f,
        jac=g,
        nfev=n_evaluations,
        njev=n_evaluations,
        nit=n_iter,
        status=status,
        message=message,
        x=x,
        success=status == 0,
    )


@functools.cache
def _own_loop_matches():
    """Whether :func:`_lbfgsb_loop` can stand in for ``scipy.optimize.minimize``.

    scipy 1.15 rewrote L-BFGS-B in C, with the step's interface the loop
    calls; it is private, so besides the version, a small problem solved both
    ways must give the same iterates and result, or ``minimize`` is used.
    """
    if parse_version(scipy.__version__) < parse_version("1.15"):
        return False
    rng = np.random.default_rng(0)
    curvature = rng.uniform(0.5, 20.0, size=8)
    target = rng.normal(size=8)

    def fun_and_grad(x):
        d = x - target
        return 0.5 * d @ (curvature * d) + 0.25 * np.sum(d**4), curvature * d + d**3

    x0 = np.zeros(8)
    try:
        ours = _lbfgsb_loop(fun_and_grad, x0, tol=1e-10, max_iter=100)
        theirs = _scipy_minimize(fun_and_grad, x0, tol=1e-10, max_iter=100)
        short = _lbfgsb_loop(fun_and_grad, x0, tol=1e-10, max_iter=3)
        theirs_short = _scipy_minimize(fun_and_grad, x0, tol=1e-10, max_iter=3)
    except Exception:  # any other interface of the private step
        return False
    return all(
        np.array_equal(a.x, b.x)
        and a.fun == b.fun
        and (a.nit, a.nfev, a.status, a.message) == (b.nit, b.nfev, b.status, b.message)
        for a, b in [(ours, theirs), (short, theirs_short)]
    )


class _Finished:
    """What a run's greenlet returns to the rendezvous when its L-BFGS-B stops."""

    def __init__(self, result):
        self.result = result


def minimize_lbfgs_lockstep(batch_fun_and_grad, x0, *, tol, max_iter, callbacks=None):
    """Minimise several independent objectives whose evaluations are batched.

    Parameters
    ----------
    batch_fun_and_grad : callable
        ``batch_fun_and_grad(runs, params) -> (losses, gradients)``, where
        ``runs`` is a sorted list of problem indices and ``params`` an array of
        shape (len(runs), n_params) holding one point per problem; it returns
        the objective values (len(runs),) and gradients (len(runs), n_params).
    x0 : ndarray of shape (n_problems, n_params)
        Starting point of each problem.
    tol : float
        Stopping tolerance on the projected gradient of each problem.
    max_iter : int
        Maximum number of iterations of each problem.
    callbacks : list of callable or None, default=None
        Per-problem iteration callbacks, as in :func:`minimize_lbfgs`.

    Returns
    -------
    results : list of scipy.optimize.OptimizeResult
        One result per problem, in order.

    Notes
    -----
    Each problem runs :func:`minimize_lbfgs` in a greenlet of its own:
    when it asks for a function value, it hands its point to the calling
    thread and is suspended. Once every run still going has asked, the batch
    is evaluated and each run resumes with its answer. A switch between
    greenlets costs about a microsecond, where a handoff between threads
    costs the GIL and the operating system's scheduler; and since all of it
    runs in one thread, the rounds never depend on timing. An exception
    raised by a run or by the batched evaluation, or an interrupt, stops
    every run and is raised here, once.
    """
    n_problems = x0.shape[0]
    if callbacks is None:
        callbacks = [None] * n_problems
    hub = greenlet.getcurrent()

    def start(problem):
        def fun_and_grad(x):
            return hub.switch(x)

        def run():
            result = minimize_lbfgs(
                fun_and_grad,
                x0[problem],
                tol=tol,
                max_iter=max_iter,
                callback=callbacks[problem],
            )
            # scipy's inverse Hessian operator holds a copy of the whole
            # history (2 x 10 vectors of n_params): dropped, so that only the
            # runs going on hold one.
            result.pop("hess_inv", None)
            return _Finished(result)

        return greenlet.greenlet(run)

    runs = [start(problem) for problem in range(n_problems)]
    results = [None] * n_problems
    requests = {}

    def resume(problem, answer=None):
        message = (
            runs[problem].switch() if answer is None else runs[problem].switch(answer)
        )
        if isinstance(message, _Finished):
            results[problem] = message.result
        else:
            requests[problem] = message

    try:
        for problem in range(n_problems):
            resume(problem)
        while requests:
            asking = sorted(requests)
            params = np.stack([requests.pop(problem) for problem in asking])
            losses, gradients = batch_fun_and_grad(asking, params)
            for row, problem in enumerate(asking):
                resume(problem, (float(losses[row]), gradients[row].copy()))
    finally:
        # After a failure (or an interrupt), end the runs still suspended.
        for run in runs:
            if run:
                run.throw(greenlet.GreenletExit)
    return results


def check_convergence(result, *, max_iter, tol, problem_name=None):
    """Return the number of iterations and warn when L-BFGS-B did not converge.

    L-BFGS-B also stops, reporting success, when an iteration lowers the
    objective by less than ``64`` machine epsilons relative (``ftol``). With
    the gradient still above ``tol`` that is not convergence in the sense of
    ``tol`` either (it happens with float32 data or very badly scaled
    features), so it warns too.

    Parameters
    ----------
    result : scipy.optimize.OptimizeResult
        What :func:`minimize_lbfgs` returned.
    max_iter : int
        The iteration budget, used in the advice.
    tol : float
        The gradient tolerance the fit asked for.
    problem_name : str, default=None
        Which problem the result belongs to (for example a class), named in
        the warning.

    Returns
    -------
    n_iter : int
        Iterations run, at most ``max_iter``.
    """
    n_iter = min(int(result.nit), max_iter)
    where = f" for {problem_name}" if problem_name else ""
    if result.status != 0:
        message = result.message
        if isinstance(message, bytes):
            message = message.decode()
        warnings.warn(
            f"L-BFGS-B failed to converge{where} after {n_iter} iteration(s) "
            f"(status={result.status}: {message}). Scale the features, for "
            "example with sklearn.preprocessing.StandardScaler or by dividing "
            f"pixels by 255, or increase max_iter (now {max_iter}). Strong "
            "regularisation (a smaller C) also speeds up convergence.",
            ConvergenceWarning,
            stacklevel=user_stacklevel(),
        )
        return n_iter
    gradient = np.max(np.abs(result.jac), initial=0.0)
    if gradient > tol:
        warnings.warn(
            f"L-BFGS-B stopped{where} after {n_iter} iteration(s) because the "
            "objective no longer decreased (relative change below 64 machine "
            f"epsilons), with the largest gradient entry at {gradient:.3g}, "
            f"above tol={tol:g}. The objective cannot be computed precisely "
            "enough to go further: scale the features (StandardScaler, or pixels "
            "/ 255), use float64 rather than float32 data, or ask for a larger "
            "tol.",
            ConvergenceWarning,
            stacklevel=user_stacklevel(),
        )
    return n_iter
