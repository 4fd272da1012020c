"""The binary logistic loss and its gradient, for one or several problems at once.

Every problem shares the design matrix ``X`` and has its own coefficients, 0/1
targets, sample weights and L2 strength. Stacking the problems as columns turns
the two passes over ``X`` of a gradient evaluation into matrix-matrix products,
which is what lets the one-vs-rest fast path read ``X`` once per round for all
classes instead of once per class.

For one problem with coefficients ``w``, intercept ``b``, ``z = X @ w + b``,
targets ``y`` in {0, 1}, sample weights ``s`` summing to ``S`` and
``l2_reg_strength = 1 / (C * S)``, the objective is

    f(w, b) = (1/S) * sum_i s_i * (log(1 + exp(z_i)) - y_i * z_i)
              + l2_reg_strength / 2 * ||w||^2,

the same as scikit-learn's ``LogisticRegression(solver="lbfgs")``.
"""

import numpy as np


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
    n_features = X.shape[1]
    weights = coef[:, :n_features]
    # Products run in X's dtype so that float32 X is never up-cast (copied).
    margins = X @ weights.T.astype(X.dtype, copy=False)
    margins = np.asarray(margins, dtype=np.float64)
    if fit_intercept:
        margins += coef[:, -1]

    pointwise_loss, residual = log1pexp_and_sigmoid(margins)
    pointwise_loss -= Y * margins
    residual -= Y
    if sample_weight is not None:
        pointwise_loss *= sample_weight
        residual *= sample_weight
    residual /= sample_weight_sum

    squared_norms = np.einsum("ij,ij->i", weights, weights)
    loss = pointwise_loss.sum(axis=0) / sample_weight_sum
    loss += 0.5 * l2_reg_strength * squared_norms

    gradient = np.empty_like(coef)
    x_gradient = X.T @ residual.astype(X.dtype, copy=False)
    gradient[:, :n_features] = np.asarray(x_gradient).T
    gradient[:, :n_features] += l2_reg_strength[:, np.newaxis] * weights
    if fit_intercept:
        gradient[:, -1] = residual.sum(axis=0)
    return loss, gradient
