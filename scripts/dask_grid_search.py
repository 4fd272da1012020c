"""Grid search over our MNIST pipeline on a dask.distributed cluster.

Fits ``GridSearchCV`` over ``MinMaxScaler`` then
``OneVsRestClassifier(BinaryLogisticRegression())``, searching ``C``, with
each candidate's fit on each fold a task on a dask cluster: scikit-learn
runs the search through joblib, and ``joblib.parallel_config(backend="dask")``
sends joblib's tasks to the cluster's workers. The script prints the
candidates (best first), the best ``C``, the best model's accuracy on the
10,000 test images, and how many tasks each worker ran.

Without ``--scheduler-address`` it starts a ``LocalCluster`` of
``--n-workers`` single-threaded worker processes on this machine::

    python scripts/dask_grid_search.py --n-workers 2 --train-size 5000

To use an existing cluster, start a scheduler and workers (in a Python
environment where ``sklearn_ovr_logit`` is installed, the same versions as
here), then pass the scheduler's address::

    dask scheduler                              # prints tcp://HOST:8786
    dask worker tcp://HOST:8786 --nthreads 1    # on each worker machine
    python scripts/dask_grid_search.py --scheduler-address tcp://HOST:8786

MNIST is found as ``fetch_mnist`` finds it (``$SKLEARN_OVR_LOGIT_MNIST``, then
``~/scikit_learn_data/mnist``), or downloaded. Needs ``dask[distributed]``
(``pip install "sklearn-ovr-logit[dask]"``).

``--ovr-n-jobs`` is the ``n_jobs`` of the ``OneVsRestClassifier``. It is 1 by
default because the search's fits already keep the workers busy. Under the
dask backend ``None`` or ``-1`` means all the cluster's threads: each fit,
nested in a search task, and the final refit on this machine, then split its
classes into that many shards, each a task of its own on the cluster.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import time
from collections import Counter

import joblib
from distributed import Client, LocalCluster, get_task_stream
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier
from sklearn_ovr_logit.app import format_cv_results
from sklearn_ovr_logit.datasets import fetch_mnist

C_PARAM = "onevsrestclassifier__estimator__C"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="GridSearchCV over the MNIST pipeline on a dask cluster."
    )
    parser.add_argument(
        "--scheduler-address",
        help="address of a running dask scheduler, such as tcp://HOST:8786; "
        "without it, a LocalCluster is started on this machine",
    )
    parser.add_argument(
        "--n-workers",
        type=int,
        default=2,
        help="worker processes of the LocalCluster (default: %(default)s)",
    )
    parser.add_argument(
        "--train-size",
        type=int,
        default=10_000,
        help="first training images to search on; 0 for all 60,000 "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--C",
        type=float,
        nargs="+",
        default=[0.01, 0.1, 1.0],
        help="values of C to search (default: %(default)s)",
    )
    parser.add_argument("--cv", type=int, default=3, help="folds (default: 3)")
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument(
        "--ovr-n-jobs",
        type=int,
        default=1,
        help="n_jobs of the OneVsRestClassifier (default: %(default)s)",
    )
    return parser.parse_args(argv)


def connect(args):
    """A client of the given scheduler, or of a new LocalCluster."""
    if args.scheduler_address:
        return Client(args.scheduler_address), None
    cluster = LocalCluster(
        n_workers=args.n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
    )
    return Client(cluster), cluster


def main(argv=None):
    args = parse_args(argv)
    X_train, X_test, y_train, y_test = fetch_mnist(return_X_y=True)
    if args.train_size:
        X_train, y_train = X_train[: args.train_size], y_train[: args.train_size]

    pipeline = make_pipeline(
        MinMaxScaler(),
        OneVsRestClassifier(
            BinaryLogisticRegression(tol=args.tol, max_iter=args.max_iter),
            n_jobs=args.ovr_n_jobs,
        ),
    )
    search = GridSearchCV(
        pipeline,
        {C_PARAM: args.C},
        scoring="accuracy",
        cv=StratifiedKFold(args.cv, shuffle=True, random_state=0),
        n_jobs=-1,
    )

    client, cluster = connect(args)
    try:
        info = client.scheduler_info()
        threads = sum(worker["nthreads"] for worker in info["workers"].values())
        print(
            f"Cluster: scheduler {info['address']}, {len(info['workers'])} "
            f"workers, {threads} threads; dashboard {client.dashboard_link}"
        )
        print(
            f"MNIST: {X_train.shape[0]} training images, {args.cv} folds, "
            f"C in {args.C}, tol={args.tol:g}, max_iter={args.max_iter}"
        )
        start = time.perf_counter()
        with get_task_stream(client) as tasks, joblib.parallel_config("dask"):
            search.fit(X_train, y_train)
        elapsed = time.perf_counter() - start
        per_worker = Counter(task["worker"] for task in tasks.data)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

    print(f"\nSearch took {elapsed:.1f} s.\n")
    print(format_cv_results(search.cv_results_, [(C_PARAM, "C", "{:g}".format)]))
    print(f"\nBest: C={search.best_params_[C_PARAM]:g}")
    accuracy = search.score(X_test, y_test)
    print(f"Test accuracy of the refitted best model: {accuracy:.4f}")
    print("Tasks per worker:")
    for worker, count in sorted(per_worker.items()):
        print(f"  {worker}: {count}")


if __name__ == "__main__":
    main()
