"""Constants and oracles shared by the test modules (fixtures: conftest.py).

A helper module rather than conftest.py, because test modules import these
names, and ``import conftest`` is ambiguous with a conftest.py at the root of
the checkout too.
"""

import warnings

import numpy as np

# The tol of fits compared with an oracle or with scikit-learn: far below
# what the comparisons need, far above what float64 can still resolve.
TIGHT_TOL = 1e-10
TIGHT = {"tol": TIGHT_TOL, "max_iter": 10_000}


def logistic_objective(coef, intercept, X, y, sample_weight, C):
    """The binary objective, written independently of sklearn_ovr_logit._loss.

    ``(1/S) sum_i s_i (log(1 + exp(z_i)) - y_i z_i) + ||coef||^2 / (2 C S)``
    with ``z = X @ coef + intercept``, ``y`` in {0, 1}, ``s`` the sample
    weights (ones for None) and ``S`` their sum.
    """
    z = X @ coef + intercept
    weights = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    total = weights.sum()
    data_term = weights @ (np.logaddexp(0, z) - y * z) / total
    return data_term + coef @ coef / (2 * C * total)


def fit_quietly(model, X, y, **fit_params):
    """``model.fit(X, y)`` without warnings: convergence is not what is tested."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y, **fit_params)
