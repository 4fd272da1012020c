"""The binary logistic loss and its gradient, for one or several problems at once.

Every problem shares the design matrix ``X`` and has its own coefficients, 0/1
targets, sample weights and L2 strength. Stacking the problems as columns turns
the two products with ``X`` of a gradient evaluation (``X @ W`` and
``X.T @ R``) into matrix-matrix products, which is what lets the one-vs-rest
fast path read ``X`` once per round for all classes instead of once per class.
Dense ``X`` goes through in row blocks, one range of rows per BLAS thread: the
second product with a block finds it still in cache, so an evaluation reads
``X`` from memory once, not twice.

For one problem with coefficients ``w``, intercept ``b``, ``z = X @ w + b``,
targets ``y`` in {0, 1}, sample weights ``s`` summing to ``S`` and
``l2_reg_strength = 1 / (C * S)``, the objective is

    f(w, b) = (1/S) * sum_i s_i * (log(1 + exp(z_i)) - y_i * z_i)
              + l2_reg_strength / 2 * ||w||^2,

the same as scikit-learn's ``LogisticRegression(solver="lbfgs")``.
"""

import functools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController


def log1pexp_and_sigmoid(z):
    """Return ``log(1 + exp(z))`` and ``expit(z)`` without overflow.

    Both are written in terms of ``exp(-|z|)``, which lies in (0, 1], so no
    margin, however large, overflows, underflows with a warning or loses the
    small tail probabilities.

    Parameters
    ----------
    z : ndarray of float64
        Margins.

    Returns
    -------
    log1pexp : ndarray of float64
        ``log(1 + exp(z))``, same shape as ``z``.
    sigmoid : ndarray of float64
        ``1 / (1 + exp(-z))``, same shape as ``z``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ovr_logit._loss import log1pexp_and_sigmoid
    >>> log1pexp, sigmoid = log1pexp_and_sigmoid(np.array([-1e4, 0.0, 1e4]))
    >>> log1pexp
    array([0.00000000e+00, 6.93147181e-01, 1.00000000e+04])
    >>> sigmoid
    array([0. , 0.5, 1. ])
    """
    exp_minus_abs = np.exp(-np.abs(z))
    log1pexp = np.log1p(exp_minus_abs)
    log1pexp += np.maximum(z, 0.0)
    sigmoid = np.where(z >= 0.0, 1.0, exp_minus_abs)
    sigmoid /= 1.0 + exp_minus_abs
    return log1pexp, sigmoid


def loss_and_gradient(
    coef, X, Y, sample_weight, sample_weight_sum, l2_reg_strength, fit_intercept
):
    """Objective values and gradients of ``m`` binary logistic problems.

    Parameters
    ----------
    coef : ndarray of shape (m, n_features + fit_intercept), float64
        One row of coefficients per problem, the intercept last.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Design matrix, float32 or float64. It is only read; its matrix products
        run in its own dtype.
    Y : ndarray of shape (n_samples, m), float64
        Targets in {0, 1}, one column per problem.
    sample_weight : ndarray of shape (n_samples, m) or (n_samples, 1), or None
        Sample weights (already multiplied by class weights), per problem or
        shared by all. ``None`` means all ones.
    sample_weight_sum : ndarray of shape (m,)
        Sum of each problem's sample weights, ``S`` in the objective.
    l2_reg_strength : ndarray of shape (m,)
        ``1 / (C * S)`` per problem; zero for no penalty.
    fit_intercept : bool
        Whether the last entry of each row of ``coef`` is an intercept.

    Returns
    -------
    loss : ndarray of shape (m,), float64
        Objective value of each problem.
    gradient : ndarray of shape (m, n_features + fit_intercept), float64
        Gradient of each problem's objective with respect to its row of ``coef``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ovr_logit._loss import loss_and_gradient
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> Y = np.array([[0.0], [0.0], [1.0]])
    >>> loss, grad = loss_and_gradient(
    ...     np.zeros((1, 2)), X, Y, None, np.array([3.0]), np.array([0.0]), True
    ... )
    >>> loss  # log(2) at w = 0
    array([0.69314718])
    """
    n_samples, n_features = X.shape
    weights = coef[:, :n_features]
    # Products run in X's dtype so that float32 X is never up-cast (copied).
    weights_t = np.asarray(weights.T, dtype=X.dtype, order="C")
    intercept = coef[:, -1] if fit_intercept else None
    partial = functools.partial(
        _partial_sums, X, Y, sample_weight, weights_t, intercept
    )
    parts = _row_parts(X)
    if len(parts) == 1:
        sums = [partial(parts[0])]
    else:
        # One part of the rows per core, each on a single-threaded BLAS: the
        # parts' blocks stay in cache between their two products, which
        # multi-threaded BLAS calls on the whole of X cannot arrange.
        with _numpy_blas_single_threaded(), ThreadPoolExecutor(len(parts)) as pool:
            sums = list(pool.map(partial, parts))
    loss_sum = sum(part[0] for part in sums)
    residual_sum = sum(part[1] for part in sums)
    x_gradient = sum(part[2] for part in sums)

    squared_norms = np.einsum("ij,ij->i", weights, weights)
    loss = loss_sum / sample_weight_sum + 0.5 * l2_reg_strength * squared_norms
    gradient = np.empty_like(coef)
    gradient[:, :n_features] = x_gradient.T / sample_weight_sum[:, np.newaxis]
    gradient[:, :n_features] += l2_reg_strength[:, np.newaxis] * weights
    if fit_intercept:
        gradient[:, -1] = residual_sum / sample_weight_sum
    return loss, gradient


def _partial_sums(X, Y, sample_weight, weights_t, intercept, rows):
    """Loss sum, residual sum and ``X.T @ residual`` over a range of rows.

    The rows go in blocks small enough to stay in cache, so that the second
    product with a block reads it from cache rather than from memory.
    """
    n_problems = weights_t.shape[1]
    loss_sum = np.zeros(n_problems)
    residual_sum = np.zeros(n_problems)
    x_gradient = np.zeros((X.shape[1], n_problems))
    for block in _blocks(X, rows):
        X_block = X[block]
        margins = np.asarray(X_block @ weights_t, dtype=np.float64)
        if intercept is not None:
            margins += intercept
        pointwise_loss, residual = log1pexp_and_sigmoid(margins)
        Y_block = Y[block]
        pointwise_loss -= Y_block * margins
        residual -= Y_block
        if sample_weight is not None:
            pointwise_loss *= sample_weight[block]
            residual *= sample_weight[block]
        loss_sum += pointwise_loss.sum(axis=0)
        residual_sum += residual.sum(axis=0)
        x_gradient += X_block.T @ residual.astype(X.dtype, copy=False)
    return loss_sum, residual_sum, x_gradient


# Bytes of X per block: small enough to stay in a core's share of the cache
# between the two products that read it, ...
_BLOCK_BYTES = 2 * 2**20
# ... and rows enough that numpy's per-call overhead stays small.
_MIN_BLOCK_ROWS = 512
# Below this many entries, X is small enough that one part on the calling
# thread beats starting threads.
_MIN_ENTRIES_TO_SPLIT = 2**20


def _row_parts(X):
    """Split the rows of X into one range per BLAS thread (or one range)."""
    n_samples = X.shape[0]
    n_parts = 1
    if not sp.issparse(X) and X.size >= _MIN_ENTRIES_TO_SPLIT:
        n_parts = min(_numpy_blas_threads(), n_samples)
    bounds = np.linspace(0, n_samples, n_parts + 1).astype(int)
    return [
        slice(start, stop) for start, stop in zip(bounds[:-1], bounds[1:], strict=True)
    ]


def _blocks(X, rows):
    if sp.issparse(X):
        # Sparse products do not pack X: no cache to save, one block.
        return [rows]
    row_bytes = max(X.shape[1] * X.dtype.itemsize, 1)
    step = max(_BLOCK_BYTES // row_bytes, _MIN_BLOCK_ROWS)
    return [
        slice(start, min(start + step, rows.stop))
        for start in range(rows.start, rows.stop, step)
    ]


@functools.cache
def _numpy_blas():
    """threadpoolctl's handle on the BLAS that numpy's products use.

    pip wheels of numpy bundle their own BLAS under ``numpy.libs``; other
    installs (conda, system packages) share one BLAS, and then every BLAS
    library loaded is numpy's too.
    """
    root = Path(np.__file__).resolve().parent
    roots = (root, root.with_name("numpy.libs"))
    controller = ThreadpoolController().select(user_api="blas")
    own = [
        library.filepath
        for library in controller.lib_controllers
        if any(folder in Path(library.filepath).resolve().parents for folder in roots)
    ]
    return controller.select(filepath=own) if own else controller


def _numpy_blas_threads():
    return max([info["num_threads"] for info in _numpy_blas().info()], default=1)


def _numpy_blas_single_threaded():
    return _numpy_blas().limit(limits=1)
