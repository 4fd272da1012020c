"""Binary logistic regression on MNIST, digit 0 against the rest: ours vs scikit-learn.

Fits scikit-learn's ``LogisticRegression(solver="lbfgs")`` and our
``BinaryLogisticRegression`` alternately on the full MNIST training set (pixels
/ 255, float64) and prints the median fit times and their ratio. To show what
the solver driver's BLAS handling is worth, it also times both with the other
choice: ours with scipy's BLAS left multi-threaded, and scikit-learn's with
scipy's BLAS limited to one thread (as our driver does).

    SKLEARN_OVR_LOGIT_MNIST=../shared/mnist python benchmarks/bench_binary.py
"""

import argparse
import contextlib
import warnings

import numpy as np
from _common import alternate, binary_objective, print_environment
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

import sklearn_ovr_logit._solver as solver_module
from sklearn_ovr_logit import BinaryLogisticRegression
from sklearn_ovr_logit._solver import single_threaded_optimizer_blas
from sklearn_ovr_logit.datasets import fetch_mnist


def fit_ours_without_blas_limit(params, X, y):
    """Our estimator with scipy's BLAS left at its default thread count."""
    original = solver_module.single_threaded_optimizer_blas
    solver_module.single_threaded_optimizer_blas = contextlib.nullcontext
    try:
        return BinaryLogisticRegression(**params).fit(X, y)
    finally:
        solver_module.single_threaded_optimizer_blas = original


def fit_sklearn_with_blas_limit(params, X, y):
    with single_threaded_optimizer_blas():
        return LogisticRegression(**params).fit(X, y)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--digit", type=int, default=0)
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--max-iter", type=int, default=1000)
    args = parser.parse_args()
    print_environment()

    X, _, y, _ = fetch_mnist(scale=True, return_X_y=True)
    target = y == args.digit
    params = {"C": args.C, "tol": args.tol, "max_iter": args.max_iter}
    print(f"MNIST {X.shape} {X.dtype}, digit {args.digit} vs rest; {params}")

    candidates = {
        "scikit-learn LogisticRegression": lambda: LogisticRegression(**params).fit(
            X, target
        ),
        "ours": lambda: BinaryLogisticRegression(**params).fit(X, target),
        "ours, scipy BLAS not limited": lambda: fit_ours_without_blas_limit(
            params, X, target
        ),
        "scikit-learn, scipy BLAS limited to 1": lambda: fit_sklearn_with_blas_limit(
            params, X, target
        ),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        medians, _, models = alternate(candidates, args.repeats)

    reference = medians["scikit-learn LogisticRegression"]
    print(f"\nmedian fit time over {args.repeats} repeats:")
    for name, seconds in medians.items():
        print(
            f"  {name:<40s} {seconds:7.2f} s   scikit-learn / this = "
            f"{reference / seconds:5.2f}"
        )
    print("\nobjective and iterations:")
    for name, model in models.items():
        objective = binary_objective(
            model.coef_.ravel(), model.intercept_[0], X, target.astype(float), args.C
        )
        print(
            f"  {name:<40s} objective {objective:.12f}  "
            f"n_iter {int(np.ravel(model.n_iter_)[0])}"
        )


if __name__ == "__main__":
    main()
