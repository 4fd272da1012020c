"""One-vs-rest on 200 classes: sequential fast path, class shards, scikit-learn.

A synthetic problem with many classes, the case that class shards are for:
``make_classification`` with 40,000 samples (30,000 to train, 10,000 to
test, stratified), 100 features (60 informative), 200 classes of one cluster
each, standardised. Fits, alternately, with C=1, tol=1e-4, max_iter=1000:

- ours, sequential: ``OneVsRestClassifier()``, all classes in lockstep in
  this process;
- ours, ``n_jobs=2``: the classes split into two shards, each fitted in
  lockstep in one task of joblib's default (loky) backend;
- scikit-learn's ``OneVsRestClassifier(LogisticRegression(), n_jobs=2)``.

It prints the median fit times, their ratios, the test accuracies, and how
far each class's objective value is from scikit-learn's. The whole run takes
two to four minutes on two cores, depending on how busy they are::

    python benchmarks/bench_many_classes.py

``--n-samples``, ``--n-features`` and ``--n-classes`` change the problem.
"""

import argparse
import warnings

import numpy as np
from _common import alternate, class_objectives, print_environment
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.multiclass import OneVsRestClassifier as SklearnOneVsRest
from sklearn.preprocessing import StandardScaler

from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier

SEQUENTIAL = "ours, sequential"
SHARDS = "ours, n_jobs=2 (class shards)"
SKLEARN = "scikit-learn OvR(LogisticRegression), n_jobs=2"


def make_problem(n_samples, n_test, n_features, n_classes):
    """The standardised train and test sets of the synthetic problem."""
    X, y = make_classification(
        n_samples=n_samples + n_test,
        n_features=n_features,
        n_informative=int(0.6 * n_features),
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=0,
    )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=n_test, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=30_000, help="to train")
    parser.add_argument("--n-test", type=int, default=10_000)
    parser.add_argument("--n-features", type=int, default=100)
    parser.add_argument("--n-classes", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--max-iter", type=int, default=1000)
    args = parser.parse_args()
    print_environment()

    X_train, X_test, y_train, y_test = make_problem(
        args.n_samples, args.n_test, args.n_features, args.n_classes
    )
    print(
        f"make_classification: X_train {X_train.shape}, X_test {X_test.shape}, "
        f"{args.n_classes} classes; C={args.C}, tol={args.tol}, "
        f"max_iter={args.max_iter}"
    )

    params = {"C": args.C, "tol": args.tol, "max_iter": args.max_iter}
    candidates = {
        SEQUENTIAL: lambda: OneVsRestClassifier(BinaryLogisticRegression(**params)).fit(
            X_train, y_train
        ),
        SHARDS: lambda: OneVsRestClassifier(
            BinaryLogisticRegression(**params), n_jobs=2
        ).fit(X_train, y_train),
        SKLEARN: lambda: SklearnOneVsRest(LogisticRegression(**params), n_jobs=2).fit(
            X_train, y_train
        ),
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        medians, _, models = alternate(candidates, args.repeats)
    if caught:
        print(f"{len(caught)} ConvergenceWarning(s) during the runs")

    print(f"\nmedian fit time over {args.repeats} repeats:")
    for name, seconds in medians.items():
        print(f"  {name:<48s} {seconds:8.2f} s")
    for ours in [SEQUENTIAL, SHARDS]:
        ratio = medians[SKLEARN] / medians[ours]
        print(f"  {ours} vs scikit-learn: {ratio:.2f}x faster")
    print(
        f"  {SHARDS} vs {SEQUENTIAL}: "
        f"{medians[SEQUENTIAL] / medians[SHARDS]:.2f}x faster"
    )

    print("\ntest accuracy:")
    for name, model in models.items():
        print(f"  {name:<48s} {model.score(X_test, y_test):.4f}")

    reference = class_objectives(models[SKLEARN], X_train, y_train, args.C)
    print(
        f"\nper-class objective over the {len(reference)} classes, relative "
        "difference to scikit-learn's (negative: ours lower):"
    )
    for name in [SEQUENTIAL, SHARDS]:
        values = class_objectives(models[name], X_train, y_train, args.C)
        relative = (values - reference) / reference
        print(
            f"  {name:<32s} largest {relative.max():+.2e}, "
            f"median {np.median(relative):+.2e}, smallest {relative.min():+.2e}"
        )
    sequential, sharded = models[SEQUENTIAL].coef_, models[SHARDS].coef_
    print(
        "  shards vs sequential: largest coefficient difference "
        f"{np.abs(sharded - sequential).max():.1e} "
        f"(largest coefficient {np.abs(sequential).max():.2f})"
    )


if __name__ == "__main__":
    main()
