"""One-vs-rest logistic regression on the full MNIST: ours against scikit-learn's.

Fits scikit-learn's ``OneVsRestClassifier(LogisticRegression())`` with
``n_jobs=None`` and ``n_jobs=2`` and ours (float64 and float32 input),
alternately, and prints the median fit times, their ratios, the test
accuracies, each class's objective value, and the peak memory that fitting
adds. Pixels are divided by 255; C=1, tol=1e-4, max_iter=1000.

    SKLEARN_OVR_LOGIT_MNIST=../shared/mnist python benchmarks/bench_ovr_mnist.py

``--tol 1e-8`` compares the solutions at a tight tolerance instead.
"""

import argparse
import gc
import multiprocessing
import warnings

import numpy as np
from _common import PeakMemory, alternate, class_objectives, print_environment
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier as SklearnOneVsRest

from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier
from sklearn_ovr_logit.datasets import fetch_mnist


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument("--train-size", type=int, default=None)
    parser.add_argument(
        "--skip-sklearn-n-jobs-2", action="store_true", help="for a quicker run"
    )
    parser.add_argument("--skip-float32", action="store_true", help="for a quicker run")
    parser.add_argument("--skip-memory", action="store_true", help="for a quicker run")
    parser.add_argument(
        "--only-memory", action="store_true", help="measure the peak memory only"
    )
    args = parser.parse_args()
    print_environment()
    params = {"C": args.C, "tol": args.tol, "max_iter": args.max_iter}
    if args.only_memory:
        print_memory(params, args.train_size)
        return

    X_train, X_test, y_train, y_test = fetch_mnist(scale=True, return_X_y=True)
    if args.train_size:
        X_train, y_train = X_train[: args.train_size], y_train[: args.train_size]
    X_train32 = X_train.astype(np.float32)
    print(
        f"MNIST: X_train {X_train.shape} {X_train.dtype}, {X_train.nbytes / 1e6:.0f}"
        f" MB; C={args.C}, tol={args.tol}, max_iter={args.max_iter}"
    )

    candidates = {
        "scikit-learn OvR(LogisticRegression)": lambda: SklearnOneVsRest(
            LogisticRegression(**params)
        ).fit(X_train, y_train),
        "scikit-learn OvR(LogisticRegression), n_jobs=2": lambda: SklearnOneVsRest(
            LogisticRegression(**params), n_jobs=2
        ).fit(X_train, y_train),
        "ours, float64": lambda: OneVsRestClassifier(
            BinaryLogisticRegression(**params)
        ).fit(X_train, y_train),
        "ours, float32": lambda: OneVsRestClassifier(
            BinaryLogisticRegression(**params)
        ).fit(X_train32, y_train),
    }
    if args.skip_sklearn_n_jobs_2:
        del candidates["scikit-learn OvR(LogisticRegression), n_jobs=2"]
    if args.skip_float32:
        del candidates["ours, float32"]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        medians, _, models = alternate(candidates, args.repeats)
    if caught:
        print(f"{len(caught)} ConvergenceWarning(s) during the runs")

    sklearn_name = "scikit-learn OvR(LogisticRegression)"
    print(f"\nmedian fit time over {args.repeats} repeats (speed-up of ours):")
    for name, seconds in medians.items():
        print(f"  {name:<48s} {seconds:8.2f} s")
    for ours in [name for name in candidates if name.startswith("ours")]:
        for theirs in candidates:
            if theirs.startswith("scikit-learn"):
                ratio = medians[theirs] / medians[ours]
                print(f"  {ours} vs {theirs}: {ratio:.2f}x faster")

    print("\ntest accuracy:")
    for name, model in models.items():
        X_eval = X_test.astype(np.float32) if "float32" in name else X_test
        print(f"  {name:<48s} {model.score(X_eval, y_test):.4f}")

    reference = class_objectives(models[sklearn_name], X_train, y_train, args.C)
    print(
        "\nper-class objective, relative difference to scikit-learn "
        "(negative: ours lower):"
    )
    print(
        "  class  scikit-learn       "
        + "  ".join(
            f"{name:>16s}" for name in models if not name.startswith("scikit-learn")
        )
    )
    ours_objectives = {
        name: class_objectives(model, X_train, y_train, args.C)
        for name, model in models.items()
        if not name.startswith("scikit-learn")
    }
    for k in range(len(reference)):
        row = "  ".join(
            f"{(values[k] - reference[k]) / reference[k]:>+16.2e}"
            for values in ours_objectives.values()
        )
        print(f"  {k:>5d}  {reference[k]:.12f}  {row}")
    for name, values in ours_objectives.items():
        worst = np.max((values - reference) / reference)
        print(f"  {name}: largest relative excess over scikit-learn {worst:+.2e}")

    if not args.skip_memory:
        print_memory(params, args.train_size)


def print_memory(params, train_size):
    """Print the peak memory that one fit adds, each dtype in a fresh process.

    A fresh process, because memory that an earlier fit freed and the
    allocator kept would hide new allocations from the resident set. The
    figure includes what the libraries allocate once per process on first use
    (OpenBLAS's per-thread buffers, thread stacks), so it is an upper bound on
    what a fit in a warm process adds.
    """
    print(
        "\npeak memory added by one fit of ours in a fresh process, as a fraction "
        "of X.nbytes (resident set; allocations traced by tracemalloc):"
    )
    context = multiprocessing.get_context("spawn")
    for dtype in ["float64", "float32"]:
        with context.Pool(1) as pool:
            nbytes, resident, traced = pool.apply(
                fit_memory, (dtype, params, train_size)
            )
        print(
            f"  {dtype}: X is {nbytes / 1e6:.0f} MB; resident set "
            f"+{resident / 1e6:.1f} MB ({resident / nbytes:.3f}), traced "
            f"allocations {traced / 1e6:.1f} MB ({traced / nbytes:.3f})"
        )


def fit_memory(dtype, params, train_size):
    """Fit once; return X.nbytes and the fit's peak resident and traced growth."""
    X_train, _, y_train, _ = fetch_mnist(scale=True, return_X_y=True)
    if train_size:
        X_train, y_train = X_train[:train_size], y_train[:train_size]
    X_train = X_train.astype(dtype, copy=False)
    gc.collect()
    with PeakMemory() as memory:
        OneVsRestClassifier(BinaryLogisticRegression(**params)).fit(X_train, y_train)
    return X_train.nbytes, memory.peak_increase, memory.traced_peak


if __name__ == "__main__":
    main()
