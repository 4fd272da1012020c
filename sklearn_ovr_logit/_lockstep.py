"""The fast path: binary logistic problems on one X, fitted in lockstep.

This is the one seam between the estimators and the numerical core. An
estimator describes its problems as a :class:`ProblemBatch` (the data, the
label each problem separates from the rest, class weights, ``C``) and calls
:func:`solve`, which

- splits the problems into shards, one per joblib job (``n_jobs``);
- within a shard, runs them in waves whose L-BFGS-B states fit in the memory
  budget;
- within a wave, runs one L-BFGS-B per problem in lockstep: each round, one
  row-blocked pass over ``X`` evaluates every problem still running.

:func:`solve_path` does the same along a path of values of ``C``, each
problem warm-started from its solution at the previous value, as
cross-validation over ``C`` needs.

Every problem follows exactly the iterates it would follow alone: the shards,
waves and rounds only decide which evaluations share a pass over ``X``.
:class:`~sklearn_ovr_logit.BinaryLogisticRegression` fits its single problem
through the same path.

When ``X`` is a dask array, the batch's labels and weights go to the workers
beside ``X``'s row chunks, and each round evaluates the chunks where they live
(``_dask``); the L-BFGS-B runs stay here, in one shard. Nothing else changes,
so an estimator that builds a batch from a dask ``X`` gets distributed fits.
"""

import math
import sys
from dataclasses import dataclass, replace

import numpy as np
from joblib import effective_n_jobs
from scipy import sparse
from sklearn.utils.parallel import Parallel, delayed

from ._loss import RowBlockEvaluator, loss_and_gradient, weight_sums
from ._solver import evaluation_threads, minimize_lbfgs_lockstep

# The runs that go on at the same time keep at most this much L-BFGS-B state
# (their histories), or a quarter of X's size if that is more: small next to
# the data the user holds already, and never so small that many classes on
# a large X run in more waves (passes over X) than they need.
MIN_SOLVER_MEMORY = 128 << 20

# scipy's L-BFGS-B keeps 2 * 10 history vectors and about 15 more of the
# problem's size, in float64, plus a few int32 arrays.
_STATE_BYTES_PER_PARAMETER = 8 * 35


@dataclass(frozen=True)
class LbfgsSettings:
    """How each L-BFGS-B run stops.

    Parameters
    ----------
    tol : float
        Stop when the largest entry of the projected gradient is at most ``tol``.
    max_iter : int
        Maximum number of iterations of each run.
    """

    tol: float
    max_iter: int


@dataclass(frozen=True)
class ProblemBatch:
    """Binary logistic problems that share one ``X``.

    Build it with :meth:`from_labels`, which computes the weight sums.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Validated data, float32 or float64.
    labels : Labels
        The labels of the samples.
    sample_weight : ndarray of shape (n_weight_rows, n_samples), or None
        Rows of sample weights; None means all ones.
    problems : Problems
        The label, weight row and class weights of each problem.
    C : ndarray of shape (n_problems,)
        Inverse regularisation strength of each problem; ``inf`` for none.
    fit_intercept : bool
        Whether each problem has an (unpenalised) intercept.
    weight_sums : ndarray of shape (n_problems,)
        ``S`` of each problem: its weights (sample times class weights) summed.
    """

    X: object
    labels: object
    sample_weight: np.ndarray | None
    problems: object
    C: np.ndarray
    fit_intercept: bool
    weight_sums: np.ndarray

    @classmethod
    def from_labels(cls, X, labels, problems, *, C, fit_intercept, sample_weight=None):
        """A batch, with the weight sums computed and checked.

        ``C`` is one value for every problem or one per problem.
        """
        if is_dask_collection(X):
            # The labels and weights go to the workers, beside X's chunks.
            from ._dask import distribute_rows

            labels, sample_weight = distribute_rows(X, labels, sample_weight)
        with np.errstate(over="ignore", invalid="ignore"):
            sums = weight_sums(labels, sample_weight, problems)
        # Scaling every weight by c is the same model as scaling C by c, which
        # is what the messages suggest when float64 cannot hold the weights.
        if not np.all(np.isfinite(sums)):
            raise ValueError(
                "The sample weights (times the class weights) sum to more than "
                "float64 can hold. Divide them all by a constant and multiply C "
                "by it: that fits the same model."
            )
        if not np.all(sums > 0):
            raise ValueError(
                "The sample weights (times the class weights) sum to zero: at "
                "least one sample needs a positive weight to fit the model."
            )
        C = np.broadcast_to(np.asarray(C, dtype=np.float64), sums.shape).copy()
        with np.errstate(over="ignore", divide="ignore"):
            strength = 1.0 / (C * sums)
        if not np.all(np.isfinite(strength)):
            raise ValueError(
                f"The L2 penalty 1 / (C * S) overflows: C={C.min():.3g} times the "
                f"sum of the weights S={sums.min():.3g} is too small for float64. "
                "Multiply the weights by a constant and divide C by it (the same "
                "model), or use a larger C."
            )
        return cls(X, labels, sample_weight, problems, C, fit_intercept, sums)

    def __len__(self):
        return len(self.problems)

    @property
    def n_params(self):
        """Coefficients per problem: the features and the intercept, if any."""
        return self.X.shape[1] + int(self.fit_intercept)

    @property
    def l2_reg_strength(self):
        """``1 / (C * S)`` of each problem, zero without penalty."""
        # C * S overflowing to inf is a penalty below float64's smallest
        # number: zero, as from_labels checked.
        with np.errstate(over="ignore"):
            return 1.0 / (self.C * self.weight_sums)

    def select(self, index):
        """The problems at ``index`` (positions or a slice), on the same data."""
        return replace(
            self,
            problems=self.problems.select(index),
            C=self.C[index],
            weight_sums=self.weight_sums[index],
        )

    def evaluator(self, max_problems, n_threads=1):
        """A :class:`~sklearn_ovr_logit._loss.RowBlockEvaluator` over the data.

        For a dask ``X``, a ``_dask.ChunkEvaluator``: the same sums, made of
        one row-block evaluation per chunk on the workers.
        """
        if is_dask_collection(self.X):
            from ._dask import ChunkEvaluator

            return ChunkEvaluator(
                self.X,
                self.labels,
                self.sample_weight,
                max_problems,
                fit_intercept=self.fit_intercept,
            )
        return RowBlockEvaluator(
            self.X,
            self.labels,
            self.sample_weight,
            max_problems,
            fit_intercept=self.fit_intercept,
            n_threads=n_threads,
        )

    def loss_and_gradient(self, coef, evaluator):
        """Objective value and gradient of each problem at ``coef``."""
        return loss_and_gradient(
            coef, evaluator, self.problems, self.weight_sums, self.l2_reg_strength
        )


def is_dask_collection(obj):
    """Whether ``obj`` is a dask collection (an array, a dataframe, ...).

    It never imports dask, an optional dependency: if dask is not imported,
    nothing can be a dask collection.
    """
    dask = sys.modules.get("dask")
    return dask is not None and dask.is_dask_collection(obj)


def default_solver_memory(X):
    """The memory budget, in bytes, for the state of the runs going on at once."""
    if is_dask_collection(X):
        # The runs' state is on this machine and X is not: X's size says
        # nothing of what this machine can hold.
        return MIN_SOLVER_MEMORY
    if sparse.issparse(X):
        data_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    else:
        data_bytes = X.nbytes
    return max(MIN_SOLVER_MEMORY, data_bytes // 4)


def wave_size(n_params, budget):
    """How many L-BFGS-B runs of ``n_params`` parameters fit in ``budget`` bytes."""
    return max(1, budget // (n_params * _STATE_BYTES_PER_PARAMETER))


def solve(batch, coef0, settings, *, callbacks=None, n_jobs=None, solver_memory=None):
    """Fit every problem of the batch with its own L-BFGS-B run.

    Parameters
    ----------
    batch : ProblemBatch
        The problems.
    coef0 : ndarray of shape (n_problems, n_params)
        Starting point of each problem.
    settings : LbfgsSettings
        Stopping rule of the runs.
    callbacks : ProblemCallbacks or None, default=None
        What each run reports after each iteration (see ``_callbacks``).
    n_jobs : int or None, default=None
        Number of joblib jobs the problems are sharded over. Ignored when
        ``batch.X`` is a dask array: the runs then stay in this process, in
        one shard, and the cluster evaluates the chunks in parallel.
    solver_memory : int or None, default=None
        Budget in bytes for the state of the runs that go on at the same time,
        over all jobs; None means :func:`default_solver_memory` of the data.

    Returns
    -------
    results : list of scipy.optimize.OptimizeResult
        One per problem, in order.
    """
    [results] = solve_path(
        batch,
        batch.C[np.newaxis, :],
        coef0,
        settings,
        callbacks=None if callbacks is None else [callbacks],
        n_jobs=n_jobs,
        solver_memory=solver_memory,
    )
    return results


def solve_path(
    batch, Cs, coef0, settings, *, callbacks=None, n_jobs=None, solver_memory=None
):
    """Fit every problem of the batch at each value of ``C`` in turn, warm-started.

    Each problem is solved at ``Cs[0]`` from ``coef0``, then at ``Cs[1]``
    from that solution, and so on, as scikit-learn's ``LogisticRegressionCV``
    follows its path. A shard (and a wave) keeps its problems along the whole
    path, so that the data is sent to a job once.

    Parameters
    ----------
    batch : ProblemBatch
        The problems; their ``C`` is replaced by each value of the path.
    Cs : ndarray of shape (n_steps,) or (n_steps, n_problems)
        The values of ``C`` in the order they are solved, one for all the
        problems or one per problem at each step.
    coef0 : ndarray of shape (n_problems, n_params)
        Starting point of each problem at the first step.
    settings : LbfgsSettings
        Stopping rule of the runs.
    callbacks : list of ProblemCallbacks or None, default=None
        What the runs of each step report (see ``_callbacks``).
    n_jobs : int or None, default=None
        Number of joblib jobs the problems are sharded over.
    solver_memory : int or None, default=None
        As in :func:`solve`.

    Returns
    -------
    results : list of list of scipy.optimize.OptimizeResult
        ``results[step][problem]``.
    """
    n_problems = len(batch)
    steps = np.broadcast_to(
        np.asarray(Cs, dtype=np.float64).reshape(len(Cs), -1), (len(Cs), n_problems)
    )
    n_shards = min(effective_n_jobs(n_jobs), n_problems)
    if is_dask_collection(batch.X):
        n_shards = 1
    budget = solver_memory
    if budget is None:
        budget = default_solver_memory(batch.X)
    if n_shards <= 1:
        return _solve_shard(batch, steps, coef0, settings, callbacks, budget)
    shards = np.array_split(np.arange(n_problems), n_shards)
    shard_results = Parallel(n_jobs=n_jobs)(
        delayed(_solve_shard)(
            batch.select(shard),
            steps[:, shard],
            coef0[shard],
            settings,
            None if callbacks is None else [c.select(shard) for c in callbacks],
            budget // n_shards,
        )
        for shard in shards
    )
    return [
        [result for results in shard_results for result in results[step]]
        for step in range(len(steps))
    ]


def _solve_shard(batch, steps, coef0, settings, callbacks, budget):
    """Solve some problems in this process, in waves, each wave in lockstep.

    Each wave follows the whole path (``steps``, one row of C per step) before
    the next wave starts: one evaluator serves every step.
    """
    n_problems = len(batch)
    n_waves = math.ceil(n_problems / wave_size(batch.n_params, budget))
    waves = np.array_split(np.arange(n_problems), n_waves)
    results = [[] for _ in steps]
    with (
        evaluation_threads() as n_threads,
        batch.evaluator(len(waves[0]), n_threads) as evaluator,
    ):
        for wave in waves:
            coef = coef0[wave]
            for step, C in enumerate(steps):
                wave_results = _solve_wave(
                    replace(batch, C=C.copy()).select(wave),
                    coef,
                    settings,
                    None if callbacks is None else callbacks[step].select(wave),
                    evaluator,
                )
                results[step] += wave_results
                coef = np.array([result.x for result in wave_results])
    return results


def _solve_wave(batch, coef0, settings, callbacks, evaluator):
    n_problems = len(batch)
    if callbacks is not None and callbacks.is_silent():
        callbacks = None

    def batch_fun_and_grad(runs, coef):
        selected = batch if len(runs) == n_problems else batch.select(runs)
        return selected.loss_and_gradient(coef, evaluator)

    reporters = None if callbacks is None else callbacks.start(batch.X, coef0)
    results = minimize_lbfgs_lockstep(
        batch_fun_and_grad,
        coef0,
        tol=settings.tol,
        max_iter=settings.max_iter,
        callbacks=reporters,
    )
    if callbacks is not None:
        callbacks.finish(batch.X, reporters, results)
    return results
