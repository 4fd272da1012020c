"""Choosing C by cross-validation on MNIST: ours against scikit-learn's two recipes.

The search of the issue: a 20,000-image MNIST subset (the first 20,000
training images, pixels / 255), 5 values of C log-spaced from 1e-3 to 10, 3
stratified folds (``StratifiedKFold(3)``, the folds ``cv=3`` gives), tol=1e-4
and max_iter=1000 (so that every run converges and the three fits do the same
work). The candidates, fitted alternately ``--repeats`` times:

- ``GridSearchCV(OneVsRestClassifier(LogisticRegression()), {"estimator__C":
  Cs}, cv=folds)``, ``n_jobs=None``: one C for all classes;
- ``OneVsRestClassifier(LogisticRegressionCV(Cs, cv=folds))``: one C per class;
- each of these two also with BLAS limited to one thread (threadpoolctl), as
  ``OPENBLAS_NUM_THREADS=1`` would: on a busy 2-core machine, OpenBLAS's
  threads on the small products of one binary fit can cost scikit-learn
  several times its time, and a fair ratio is against its faster variant;
- ours, ``OneVsRestLogisticRegressionCV(Cs, cv=folds)`` with
  ``C_per_class=False`` and ``True``, with the default threads.

It prints the median times and ratios, the chosen C, the mean CV accuracy and
the test accuracy of each, and the peak memory one fit adds, each candidate
in a fresh process::

    SKLEARN_OVR_LOGIT_MNIST=../shared/mnist python benchmarks/bench_cv.py
    SKLEARN_OVR_LOGIT_MNIST=../shared/mnist python benchmarks/bench_cv.py --full

``--full`` uses all 60,000 training images; ``--skip-one-thread`` leaves out
scikit-learn's one-BLAS-thread variants for a quicker run. ``--blas-threads 1``
runs every candidate with one BLAS thread: on a shared machine, the figures
that other processes disturb least. ``--strategies`` instead measures
how the search's problems could be solved, through the fast path's seam
(private: the alternatives are not in the public API):

- the path: each (class, fold) problem warm-started from its solution at the
  previous C (what the estimator does), and the same without skipping the
  held-out rows of each fold;
- all C at once: every (class, fold, C) problem in one lockstep batch, each
  from zero;
- a mix: the smallest C first, then all the others in one batch, each
  warm-started from the smallest C's solution;

with their evaluations (one problem evaluated on X once), rounds (passes over
X) and median times.
"""

import argparse
import gc
import multiprocessing
import time
import warnings
from dataclasses import replace

import numpy as np
from _common import PeakMemory, RoundTimer, alternate, print_environment
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.multiclass import OneVsRestClassifier as SklearnOneVsRest
from threadpoolctl import threadpool_limits

import sklearn_ovr_logit._loss as loss_module
from sklearn_ovr_logit import OneVsRestLogisticRegressionCV
from sklearn_ovr_logit._lockstep import LbfgsSettings, ProblemBatch, solve, solve_path
from sklearn_ovr_logit._loss import Labels, Problems
from sklearn_ovr_logit.datasets import fetch_mnist

GRID = "GridSearchCV(OvR(LogisticRegression))"
LRCV = "OvR(LogisticRegressionCV)"
ONE_BLAS_THREAD = ", BLAS 1 thread"
CANDIDATES = [
    GRID,
    GRID + ONE_BLAS_THREAD,
    LRCV,
    LRCV + ONE_BLAS_THREAD,
    "ours, one C for all",
    "ours, C per class",
]
# What each of ours is compared with: the recipe that chooses C the same way.
RECIPE = {"ours, one C for all": GRID, "ours, C per class": LRCV}


def load(n_train):
    X_train, X_test, y_train, y_test = fetch_mnist(scale=True, return_X_y=True)
    return X_train[:n_train], X_test, y_train[:n_train], y_test


def make(name, args, folds):
    Cs = np.logspace(-3, 1, args.n_Cs)
    params = {"tol": args.tol, "max_iter": args.max_iter}
    name = name.removesuffix(ONE_BLAS_THREAD)
    if name == GRID:
        return GridSearchCV(
            SklearnOneVsRest(LogisticRegression(**params)),
            {"estimator__C": Cs},
            cv=folds,
            n_jobs=None,
        )
    if name == LRCV:
        return SklearnOneVsRest(
            LogisticRegressionCV(
                Cs=Cs,
                cv=folds,
                l1_ratios=(0,),
                scoring="accuracy",
                use_legacy_attributes=False,
                **params,
            )
        )
    return OneVsRestLogisticRegressionCV(
        Cs, cv=folds, C_per_class=name == "ours, C per class", **params
    )


def fit(name, model, X, y):
    """Fit ``model``; with one BLAS thread if its name says so."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if name.endswith(ONE_BLAS_THREAD):
            with threadpool_limits(limits=1, user_api="blas"):
                return model.fit(X, y)
        return model.fit(X, y)


def chosen(name, model):
    """The chosen C (one, or the set per class) and the mean CV accuracy."""
    if name.startswith(GRID):
        C = model.best_params_["estimator__C"]
        return f"C={C:g}", model.best_score_
    if name.startswith(LRCV):
        Cs = sorted({float(e.C_) for e in model.estimators_})
        scores = [e.scores_.mean(axis=0).max() for e in model.estimators_]
        return "C in {" + ", ".join(f"{C:g}" for C in Cs) + "}", np.mean(scores)
    if model.C_per_class:
        Cs = sorted(set(model.C_.tolist()))
        best = model.class_scores_.mean(axis=1).max(axis=1)
        return "C in {" + ", ".join(f"{C:g}" for C in Cs) + "}", best.mean()
    return f"C={model.C_[0]:g}", model.scores_.mean(axis=0).max()


def run_comparison(args):
    X_train, X_test, y_train, y_test = load(args.n_train)
    folds = list(StratifiedKFold(3).split(X_train, y_train))
    print(
        f"\nMNIST: X_train {X_train.shape} {X_train.dtype} ({X_train.nbytes / 1e6:.0f}"
        f" MB), {args.n_Cs} Cs from 1e-3 to 10, 3 stratified folds, tol={args.tol},"
        f" max_iter={args.max_iter}",
        flush=True,
    )
    names = [n for n in CANDIDATES if not (args.skip_sklearn and "ours" not in n)]
    if args.blas_threads == 1 or args.skip_one_thread:
        # (With --blas-threads 1, every candidate has one thread already.)
        names = [n for n in names if not n.endswith(ONE_BLAS_THREAD)]
    medians, _, models = alternate(
        {
            name: (
                lambda name=name: fit(name, make(name, args, folds), X_train, y_train)
            )
            for name in names
        },
        args.repeats,
    )
    print(f"median fit time over {args.repeats} repeat(s):")
    for name in names:
        print(f"  {name:<50s} {medians[name]:8.2f} s")
    for name, recipe in RECIPE.items():
        for other in (recipe, recipe + ONE_BLAS_THREAD):
            if other in medians:
                print(
                    f"  {name} is {medians[other] / medians[name]:.2f}x faster "
                    f"than {other}"
                )
    print(
        "chosen C; best mean CV accuracy (per class: of the binary problems, "
        "averaged); test accuracy:"
    )
    for name in names:
        what, cv_score = chosen(name, models[name])
        accuracy = models[name].score(X_test, y_test)
        print(f"  {name:<50s} {what:<22s} {cv_score:.4f}  {accuracy:.4f}")
    if not args.skip_memory:
        print_memory(names, args)


def print_memory(names, args):
    """Peak memory one fit adds, each candidate in a fresh process."""
    print(
        "peak memory of one fit in a fresh process (resident set growth, as a "
        "fraction of X; allocations traced by tracemalloc):"
    )
    context = multiprocessing.get_context("spawn")
    for name in names:
        with context.Pool(1) as pool:
            nbytes, added, traced = pool.apply(fit_memory, (name, args))
        print(
            f"  {name:<50s} +{added / 1e6:8.1f} MB ({added / nbytes:5.2f} x X), "
            f"traced {traced / 1e6:8.1f} MB ({traced / nbytes:5.2f} x X)",
            flush=True,
        )


def fit_memory(name, args):
    X_train, _, y_train, _ = load(args.n_train)
    folds = list(StratifiedKFold(3).split(X_train, y_train))
    model = make(name, args, folds)
    gc.collect()
    with (
        threadpool_limits(limits=args.blas_threads, user_api="blas"),
        PeakMemory() as memory,
    ):
        fit(name, model, X_train, y_train)
    return X_train.nbytes, memory.peak_increase, memory.traced_peak


def run_strategies(args):
    """The search's problems solved three ways, through the fast path's seam."""
    X, _, y, _ = load(args.n_train)
    splitter = (
        StratifiedKFold(3, shuffle=True, random_state=0) if args.shuffle else None
    )
    folds = list((splitter or StratifiedKFold(3)).split(X, y))
    Cs = np.logspace(-3, 1, args.n_Cs)
    n_classes, n_folds = 10, len(folds)
    weights = np.zeros((n_folds, X.shape[0]))
    for fold, (train, _) in enumerate(folds):
        weights[fold, train] = 1.0
    labels = Labels.from_codes(y, n_classes)
    settings = LbfgsSettings(tol=args.tol, max_iter=args.max_iter)
    print(
        f"\nMNIST: X {X.shape}, {n_classes} classes x {n_folds} folds "
        f"({'shuffled' if args.shuffle else 'StratifiedKFold(3), not shuffled'}) x "
        f"{args.n_Cs} Cs, tol={args.tol}, max_iter={args.max_iter}",
        flush=True,
    )

    def batch(n_Cs):
        problems = Problems(
            labels=np.repeat(np.arange(n_classes), n_folds * n_Cs),
            weight_rows=np.tile(np.repeat(np.arange(n_folds), n_Cs), n_classes),
        )
        return ProblemBatch.from_labels(
            X, labels, problems, C=Cs[0], fit_intercept=True, sample_weight=weights
        )

    def path():
        b = batch(1)
        results = solve_path(b, Cs, np.zeros((len(b), b.n_params)), settings)
        return [r for step in results for r in step]

    def path_reading_held_out_rows():
        original = loss_module._cut_blocks
        loss_module._cut_blocks = lambda n, rows, w: original(n, rows, None)
        try:
            return path()
        finally:
            loss_module._cut_blocks = original

    def all_at_once():
        b = batch(args.n_Cs)
        b = replace(b, C=np.tile(Cs, n_classes * n_folds))
        return solve(b, np.zeros((len(b), b.n_params)), settings)

    def anchored():
        first = batch(1)
        anchors = solve(first, np.zeros((len(first), first.n_params)), settings)
        rest = batch(args.n_Cs - 1)
        rest = replace(rest, C=np.tile(Cs[1:], n_classes * n_folds))
        start = np.repeat([r.x for r in anchors], args.n_Cs - 1, axis=0)
        return anchors + solve(rest, start, settings)

    strategies = {
        "path, warm-started (the estimator)": path,
        "path, reading held-out rows": path_reading_held_out_rows,
        "all Cs at once, from zero": all_at_once,
        "smallest C, then the others at once from it": anchored,
    }
    times = {name: [] for name in strategies}
    counts = {}
    for repeat in range(args.repeats):
        for name, solve_all in strategies.items():
            with RoundTimer() as timer:
                start = time.perf_counter()
                results = solve_all()
                seconds = time.perf_counter() - start
            times[name].append(seconds)
            iterations = sum(r.nit for r in results)
            counts[name] = (timer.rounds, timer.evaluations, iterations)
            print(f"  repeat {repeat + 1}/{args.repeats} {name:<44s} {seconds:8.2f} s")
    print("median time; rounds (passes over X); evaluations; L-BFGS-B iterations:")
    for name in strategies:
        rounds, evaluations, iterations = counts[name]
        print(
            f"  {name:<44s} {np.median(times[name]):8.2f} s  {rounds:5d} rounds  "
            f"{evaluations:6d} evaluations  {iterations:6d} iterations"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="all 60,000 images")
    parser.add_argument("--train-size", type=int, help="another number of images")
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument("--n-Cs", type=int, default=5)
    parser.add_argument(
        "--blas-threads",
        type=int,
        help="limit BLAS to this many threads for every candidate (threadpoolctl)",
    )
    parser.add_argument("--skip-sklearn", action="store_true")
    parser.add_argument(
        "--skip-one-thread",
        action="store_true",
        help="leave out scikit-learn's recipes with BLAS at one thread",
    )
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--strategies", action="store_true", help="compare ways of solving the path"
    )
    parser.add_argument(
        "--shuffle", action="store_true", help="shuffled folds (--strategies)"
    )
    args = parser.parse_args()
    args.n_train = args.train_size or (60_000 if args.full else 20_000)
    with threadpool_limits(limits=args.blas_threads, user_api="blas"):
        print_environment()
        if args.strategies:
            run_strategies(args)
        else:
            run_comparison(args)


if __name__ == "__main__":
    main()
