"""The fast path at scale: many classes, sparse text, MNIST, against scikit-learn.

Workloads (``--workloads``, comma-separated; the non-MNIST ones are generated
deterministically by ``_workloads.py``, nothing is downloaded):

- ``mnist``: the full MNIST (60,000 x 784, pixels / 255), 10 classes; ours in
  float64 and float32 against scikit-learn's ``OneVsRestClassifier(
  LogisticRegression())`` with ``n_jobs=None``.
- ``probe``: a linear probe over image embeddings, 1,000 classes, 20,000 x 256
  float32; against scikit-learn with ``n_jobs=2``.
- ``text``: bag-of-words documents, 20 classes, 11,314 x 100,000 CSR with
  about 120 non-zeros per row; against scikit-learn with ``n_jobs=None``,
  and both libraries with ``n_jobs=2`` too.
- ``big``: 1,000 classes on 1,000,000 x 64 float32 (256 MB of X); ours only.

For each workload it fits the candidates alternately (``--repeats`` times) and
prints the median times and ratios, the test accuracies, how far each class's
objective is from scikit-learn's, the rounds of the lockstep fit with their
mean time as a multiple of one read of X (the floor: ``X @ v`` for dense X, a
sparse matrix-vector product for sparse X, timed in the same run), and the
peak memory one fit adds, each candidate in a fresh process::

    SKLEARN_OVR_LOGIT_MNIST=../shared/mnist python benchmarks/bench_scale.py
    python benchmarks/bench_scale.py --workloads big --repeats 1

C=1, tol=1e-4 and max_iter=1000 unless given.
"""

import argparse
import gc
import multiprocessing
import warnings

import numpy as np
import scipy.sparse as sp
from _common import (
    PeakMemory,
    RoundTimer,
    alternate,
    class_objectives,
    median_seconds,
    print_environment,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier as SklearnOneVsRest

from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier

WORKLOADS = ["mnist", "probe", "text", "big"]


def load(workload):
    """X_train, X_test, y_train, y_test of a workload."""
    import _workloads

    if workload == "mnist":
        from sklearn_ovr_logit.datasets import fetch_mnist

        return fetch_mnist(scale=True, return_X_y=True)
    if workload == "probe":
        return _workloads.embeddings()
    if workload == "text":
        return _workloads.sparse_text()
    if workload == "big":
        return _workloads.embeddings(
            n_samples=1_000_000, n_features=64, n_classes=1_000, n_test=20_000
        )
    raise ValueError(f"unknown workload {workload!r}; choose from {WORKLOADS}")


def candidates(workload, params):
    """Name -> (make the estimator, dtype of X or None for as loaded)."""
    ours = {
        "ours": (lambda: OneVsRestClassifier(BinaryLogisticRegression(**params)), None)
    }
    sklearn_n_jobs = {"mnist": None, "probe": 2, "text": None}.get(workload)
    theirs = {
        f"scikit-learn, n_jobs={sklearn_n_jobs}": (
            lambda: SklearnOneVsRest(
                LogisticRegression(**params), n_jobs=sklearn_n_jobs
            ),
            None,
        )
    }
    if workload == "mnist":
        ours = {
            "ours, float64": ours["ours"],
            "ours, float32": (ours["ours"][0], np.float32),
        }
    if workload == "big":
        return ours
    if workload == "text":
        # scipy's L-BFGS-B step holds the GIL, and with 100,000 features it
        # weighs as much as the evaluations: only processes share it out.
        # Both libraries with class shards on two processes, for comparison.
        ours["ours, n_jobs=2"] = (
            lambda: OneVsRestClassifier(BinaryLogisticRegression(**params), n_jobs=2),
            None,
        )
        theirs["scikit-learn, n_jobs=2"] = (
            lambda: SklearnOneVsRest(LogisticRegression(**params), n_jobs=2),
            None,
        )
    return {**theirs, **ours}


def as_dtype(X, dtype):
    return X if dtype is None else X.astype(dtype)


def one_read(X):
    """Seconds for one read of X: a matrix-vector product."""
    v = np.ones(X.shape[1], dtype=X.dtype)
    return median_seconds(lambda: X @ v)


def two_products(X, n_classes):
    """Seconds for the two products of a full round, unblocked, in one call each.

    ``W @ X.T`` and ``R @ X`` with one row per class (for sparse X, the
    equivalent products with the coefficients and residuals as columns).
    """
    rng = np.random.default_rng(0)
    W = rng.normal(size=(n_classes, X.shape[1])).astype(X.dtype)
    if sp.issparse(X):
        W_T = np.ascontiguousarray(W.T)
        return median_seconds(lambda: X.T @ (X @ W_T), repeats=3)
    margins = np.empty((n_classes, X.shape[0]), dtype=X.dtype)
    gradient = np.empty_like(W)

    def products():
        np.matmul(W, X.T, out=margins)
        np.matmul(margins, X, out=gradient)

    return median_seconds(products, repeats=3)


def run_workload(workload, args):
    params = {"C": args.C, "tol": args.tol, "max_iter": args.max_iter}
    X_train, X_test, y_train, y_test = load(workload)
    kind = "CSR" if sp.issparse(X_train) else str(X_train.dtype)
    print(
        f"\n=== {workload}: X_train {X_train.shape} {kind}, "
        f"{np.unique(y_train).shape[0]} classes, {X_train.data.nbytes / 1e6:.1f} MB "
        f"of values; C={args.C}, tol={args.tol}, max_iter={args.max_iter}",
        flush=True,
    )
    fits = candidates(workload, params)
    if args.skip_sklearn:
        fits = {k: v for k, v in fits.items() if k.startswith("ours")}
    inputs = {name: as_dtype(X_train, dtype) for name, (_, dtype) in fits.items()}
    timers = {}

    def fit_one(name):
        make, _ = fits[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if name.startswith("ours") and "n_jobs" not in name:
                # (Class shards run their rounds in other processes.)
                with RoundTimer() as timers[name]:
                    return make().fit(inputs[name], y_train)
            return make().fit(inputs[name], y_train)

    medians, _, models = alternate(
        {name: (lambda name=name: fit_one(name)) for name in fits}, args.repeats
    )
    reference = next((n for n in fits if n.startswith("scikit-learn")), None)
    print(f"median fit time over {args.repeats} repeat(s):")
    for name, seconds in medians.items():
        ratio = (
            f"  ({medians[reference] / seconds:.2f}x faster than {reference})"
            if reference and name != reference
            else ""
        )
        print(f"  {name:<34s} {seconds:8.2f} s{ratio}")
    print("test accuracy:")
    for name, model in models.items():
        accuracy = model.score(as_dtype(X_test, fits[name][1]), y_test)
        print(f"  {name:<34s} {accuracy:.4f}")
    if reference:
        print(
            "per-class objective, relative difference to scikit-learn's "
            "(negative: ours lower):"
        )
        theirs = class_objectives(models[reference], X_train, y_train, args.C)
        for name, model in models.items():
            if name == reference:
                continue
            ours = class_objectives(model, X_train, y_train, args.C)
            relative = (ours - theirs) / np.abs(theirs)
            print(
                f"  {name:<34s} largest {relative.max():+.2e}, median "
                f"{np.median(relative):+.2e}, smallest {relative.min():+.2e}"
            )
    n_classes = np.unique(y_train).shape[0]
    for name, timer in timers.items():
        read = one_read(inputs[name])
        products = two_products(inputs[name], n_classes)
        mean = timer.seconds / max(timer.rounds, 1)
        print(
            f"rounds of {name} (last fit): {timer.rounds}, evaluation "
            f"{timer.seconds:.2f} s of the fit, {mean * 1e3:.1f} ms per round "
            f"(rounds shrink as classes finish) = {mean / read:.1f} x one read "
            f"of X ({read * 1e3:.1f} ms), {mean / products:.2f} x the two "
            f"products of a full round alone ({products * 1e3:.1f} ms)"
        )
    if not args.skip_memory:
        print_memory(workload, fits, params)


def print_memory(workload, fits, params):
    """Peak memory one fit adds, each candidate in a fresh process."""
    print(
        "peak memory of one fit in a fresh process (resident set growth; "
        "allocations traced by tracemalloc; the process's peak resident set):"
    )
    context = multiprocessing.get_context("spawn")
    for name in fits:
        with context.Pool(1) as pool:
            nbytes, added, traced, peak = pool.apply(
                fit_memory, (workload, name, params)
            )
        print(
            f"  {name:<34s} +{added / 1e6:8.1f} MB ({added / nbytes:5.2f} x X), "
            f"traced {traced / 1e6:8.1f} MB, peak {peak / 1e6:8.1f} MB "
            f"(X: {nbytes / 1e6:.1f} MB)",
            flush=True,
        )


def fit_memory(workload, name, params):
    X_train, _, y_train, _ = load(workload)
    make, dtype = candidates(workload, params)[name]
    X_train = as_dtype(X_train, dtype)
    nbytes = (
        X_train.data.nbytes + X_train.indices.nbytes + X_train.indptr.nbytes
        if sp.issparse(X_train)
        else X_train.nbytes
    )
    gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with PeakMemory() as memory:
            make().fit(X_train, y_train)
    return nbytes, memory.peak_increase, memory.traced_peak, memory.peak_resident


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="probe,text,mnist")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument("--skip-sklearn", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    print_environment()
    for workload in args.workloads.split(","):
        run_workload(workload, args)


if __name__ == "__main__":
    main()
