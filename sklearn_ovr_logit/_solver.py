"""The L-BFGS-B driver: scipy.optimize calls, convergence checks, BLAS threads.

Two entry points share one set of L-BFGS-B options:

- :func:`minimize_lbfgs` runs one problem, as scikit-learn's
  ``LogisticRegression(solver="lbfgs")`` does.
- :func:`minimize_lbfgs_lockstep` runs several independent problems, each with
  its own ``scipy.optimize.minimize`` call (own history, line search and
  stopping test), but gathers the function evaluations that the still running
  problems ask for into one batched call. Each problem therefore follows exactly
  the iterates it would follow alone, while the expensive part, the passes over
  ``X``, is done once per round for all of them.
"""

import functools
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import scipy
from scipy import optimize
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import ThreadpoolController

# Names of the threads that run one L-BFGS-B each in the lockstep driver.
THREAD_PREFIX = "sklearn_ovr_logit-lbfgs-"

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
def blas_threads_for_rows():
    """Share the cores among threads that each run BLAS on their own rows.

    Yields the number of threads to use: as many as numpy's BLAS would use
    now, so that ``threadpoolctl`` limits, joblib's limits in its workers and
    ``OPENBLAS_NUM_THREADS`` all carry over. Meanwhile every BLAS runs one
    thread, which also keeps scipy's from spinning while L-BFGS-B runs.
    """
    controller = _blas_controller()
    n_threads = max(
        (lib.num_threads for lib in controller.lib_controllers if not _from_scipy(lib)),
        default=1,
    )
    if n_threads <= 1:
        with single_threaded_optimizer_blas():
            yield 1
        return
    with controller.limit(limits=1):
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
        holding the current ``x`` and ``fun``.

    Returns
    -------
    result : scipy.optimize.OptimizeResult
        scipy's result (``x``, ``fun``, ``jac``, ``nit``, ``status``,
        ``message``).
    """
    return optimize.minimize(
        fun_and_grad,
        np.asarray(x0, dtype=np.float64),
        method="L-BFGS-B",
        jac=True,
        options=_lbfgs_options(tol, max_iter),
        callback=callback,
    )


class _Aborted(Exception):
    """Stops a run's thread after another run, or the evaluation, failed.

    The threads must not re-raise the original exception themselves: every
    raise would add that thread's frames to its one shared traceback.
    """


class _LockstepEvaluator:
    """Rendezvous between the runs' threads and the thread that evaluates.

    Each run calls :meth:`evaluate` from its own thread and blocks. The thread
    in :meth:`serve` waits until every run still going has asked (or
    finished), evaluates the whole batch and wakes the runs. The set of
    problems in each round therefore depends only on the runs themselves,
    never on thread timing. All evaluations run in that one thread: when
    whichever run asked last evaluated, the allocator gave each thread its own
    arena for the round's arrays, and a fit on MNIST took 25 to 35 MB more
    resident memory than its arrays needed.
    """

    def __init__(self, batch_fun_and_grad, n_runs):
        self._batch_fun_and_grad = batch_fun_and_grad
        # Two conditions on one lock, so that each round wakes the serving
        # thread once and each run once: with one condition, every request
        # would wake every waiting run, n_runs squared wake-ups per round.
        lock = threading.Lock()
        self._round_ready_condition = threading.Condition(lock)
        self._results_condition = threading.Condition(lock)
        self._running = set(range(n_runs))
        self._pending = {}
        self._results = {}
        self._error = None

    @property
    def error(self):
        """The first exception that stopped the runs, or None."""
        return self._error

    def evaluate(self, run, x):
        """Called by a run: hand ``x`` over and wait for its value and gradient."""
        with self._results_condition:
            self._raise_if_failed()
            self._pending[run] = x
            if self._round_ready():
                self._round_ready_condition.notify()
            while run not in self._results:
                self._results_condition.wait()
                self._raise_if_failed()
            return self._results.pop(run)

    def finish(self, run):
        """Called by a run when it stops, whether it converged or failed."""
        with self._round_ready_condition:
            self._running.discard(run)
            if self._round_ready():
                self._round_ready_condition.notify()

    def abort(self, error):
        """Stop every run; ``error`` is raised unless an earlier one was."""
        with self._round_ready_condition:
            if self._error is None:
                self._error = error
            self._round_ready_condition.notify()
            self._results_condition.notify_all()

    def serve(self):
        """Evaluate rounds until every run has finished or something failed."""
        while True:
            with self._round_ready_condition:
                while not self._round_ready():
                    self._round_ready_condition.wait()
                if self._error is not None or not self._running:
                    return
                runs = sorted(self._pending)
                params = np.stack([self._pending[run] for run in runs])
                self._pending.clear()
            try:
                losses, gradients = self._batch_fun_and_grad(runs, params)
            except BaseException as error:
                self.abort(error)
                return
            with self._results_condition:
                for row, run in enumerate(runs):
                    self._results[run] = (float(losses[row]), gradients[row].copy())
                self._results_condition.notify_all()

    def _round_ready(self):
        every_run_asked = self._pending and len(self._pending) == len(self._running)
        return self._error is not None or not self._running or every_run_asked

    def _raise_if_failed(self):
        if self._error is not None:
            raise _Aborted


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
    Each problem runs ``scipy.optimize.minimize`` in its own thread; the
    threads spend nearly all their time waiting for the batched evaluation,
    which runs in the calling thread. An exception raised by any run or by the
    batched evaluation, or an interrupt, stops every run and is raised here.
    """
    n_problems = x0.shape[0]
    if callbacks is None:
        callbacks = [None] * n_problems
    if n_problems == 1:
        # Nothing to wait for: the run evaluates in this thread.
        def fun_and_grad(x):
            losses, gradients = batch_fun_and_grad([0], x[np.newaxis, :])
            return float(losses[0]), gradients[0]

        return [
            minimize_lbfgs(
                fun_and_grad, x0[0], tol=tol, max_iter=max_iter, callback=callbacks[0]
            )
        ]
    evaluator = _LockstepEvaluator(batch_fun_and_grad, n_problems)
    results = [None] * n_problems

    def run(problem):
        try:
            results[problem] = minimize_lbfgs(
                functools.partial(evaluator.evaluate, problem),
                x0[problem],
                tol=tol,
                max_iter=max_iter,
                callback=callbacks[problem],
            )
        except _Aborted:
            pass
        except BaseException as error:
            evaluator.abort(error)
        finally:
            evaluator.finish(problem)

    threads = [
        threading.Thread(
            target=run, args=(problem,), name=f"{THREAD_PREFIX}{problem}", daemon=True
        )
        for problem in range(n_problems)
    ]
    try:
        for thread in threads:
            thread.start()
        evaluator.serve()
    except BaseException as error:
        # Typically KeyboardInterrupt: stop the runs rather than leave them waiting.
        evaluator.abort(error)
        raise
    finally:
        for thread in threads:
            if thread.ident is not None:  # started
                thread.join()
    if evaluator.error is not None:
        raise evaluator.error
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
            stacklevel=3,
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
            stacklevel=3,
        )
    return n_iter
