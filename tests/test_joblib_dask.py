"""OneVsRestClassifier on a real dask.distributed cluster, through joblib.

The module starts a ``LocalCluster`` of two single-threaded process workers and
runs fits under ``joblib.parallel_config(backend="dask")``: a grid search over
our pipeline on MNIST, and a 200-class problem fitted in class shards, each
compared with the same fit run sequentially in the test process. Then a worker
is killed (SIGKILL) in the middle of a fit: the task is retried, or the fit
raises, and a failed fit leaves no fitted attribute behind.

What the workers run must be importable by them, so the killers live in
``_dask_helpers`` (the workers inherit this process's ``sys.path``).
"""

import importlib
import logging
import os
import re
from concurrent.futures import CancelledError

import numpy as np
import pytest
from _dask_helpers import KillWorkerOnceCallback, passthrough_killing_worker_once
from joblib import parallel_config
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier
from sklearn_ovr_logit.datasets import fetch_mnist

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

N_WORKERS = 2


@pytest.fixture(scope="module")
def cluster_client():
    """A Client of a LocalCluster with two process workers, for the module."""
    cluster = distributed.LocalCluster(
        n_workers=N_WORKERS,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        # The kills below make the scheduler log errors about lost workers.
        silence_logs=logging.CRITICAL,
    )
    client = distributed.Client(cluster)
    try:
        # Fails here, clearly, if the workers cannot import the helpers.
        client.run(importlib.import_module, "_dask_helpers")
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture
def client(cluster_client):
    """The module's client, once a worker killed by an earlier test is back."""
    cluster_client.wait_for_workers(N_WORKERS, timeout=60)
    return cluster_client


def task_calls(task_stream, function_name):
    """How many calls of ``function_name`` joblib's dask tasks made.

    joblib names each task ``batch_of_<function>_<n>_calls-<uuid>``.
    """
    pattern = re.compile(rf"batch_of_{function_name}_(\d+)_calls-")
    matches = [pattern.match(task["key"]) for task in task_stream.data]
    return sum(int(match.group(1)) for match in matches if match)


def fitted_attributes(estimator):
    return sorted(name for name in vars(estimator) if name.endswith("_"))


def linear_models(model):
    """The binary logistic regressions of a one-vs-rest model (or pipeline)."""
    if hasattr(model, "steps"):
        model = model[-1]
    return [e[-1] if hasattr(e, "steps") else e for e in model.estimators_]


def assert_same_runs(model, reference, rtol=1e-8):
    """Equal to rounding: the same L-BFGS-B runs, BLAS sums in another order."""
    ours, theirs = linear_models(model), linear_models(reference)
    assert len(ours) == len(theirs)
    coef = np.vstack([e.coef_ for e in theirs])
    atol = rtol * np.abs(coef).max()
    assert_allclose(np.vstack([e.coef_ for e in ours]), coef, rtol=rtol, atol=atol)
    assert_allclose(
        np.concatenate([e.intercept_ for e in ours]),
        np.concatenate([e.intercept_ for e in theirs]),
        rtol=rtol,
        atol=atol,
    )
    assert [e.n_iter_ for e in ours] == [e.n_iter_ for e in theirs]


def fit_in_this_process(model, X, y):
    with parallel_config(backend="sequential"):
        return model.fit(X, y)


@pytest.fixture(scope="module")
def many_classes():
    """200 classes, 10 samples each, 50 standardised features."""
    X, y = make_classification(
        n_samples=2000,
        n_features=50,
        n_informative=30,
        n_classes=200,
        n_clusters_per_class=1,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def many_classes_sequential(many_classes):
    """The sequential fast path, in this process: the reference."""
    return OneVsRestClassifier(BinaryLogisticRegression()).fit(*many_classes)


def test_grid_search_on_mnist_matches_a_sequential_search(mnist_dir, client):
    X_train, _, y_train, _ = fetch_mnist(return_X_y=True, download_if_missing=False)
    X, y = X_train[:1000], y_train[:1000]
    search = GridSearchCV(
        make_pipeline(MinMaxScaler(), OneVsRestClassifier()),
        {"onevsrestclassifier__estimator__C": [0.1, 1.0]},
        cv=2,
        return_train_score=True,
    )
    sequential = clone(search).fit(X, y)
    with (
        distributed.get_task_stream(client=client) as tasks,
        parallel_config(backend="dask"),
    ):
        on_cluster = clone(search).set_params(n_jobs=-1).fit(X, y)

    # 2 values of C times 2 folds, each fitted and scored on a worker.
    assert task_calls(tasks, "_fit_and_score") == 4
    # Under the dask backend n_jobs=None means all the cluster's threads, and
    # joblib runs nested calls on the same cluster: each of these 4 fits, and
    # the refit here, fits its classes in one shard per worker thread.
    assert task_calls(tasks, "_solve_shard") == 5 * N_WORKERS
    for key, value in sequential.cv_results_.items():
        if key.endswith("_score"):
            assert_array_equal(on_cluster.cv_results_[key], value, err_msg=key)
    assert on_cluster.best_params_ == sequential.best_params_
    assert_same_runs(on_cluster.best_estimator_, sequential.best_estimator_)


def test_200_classes_in_class_shards_match_a_sequential_fit(
    client, many_classes, many_classes_sequential
):
    X, y = many_classes
    with (
        distributed.get_task_stream(client=client) as tasks,
        parallel_config(backend="dask"),
    ):
        sharded = OneVsRestClassifier(BinaryLogisticRegression(), n_jobs=2).fit(X, y)

    # One shard of 100 classes per worker thread, each a task on the cluster.
    shard_tasks = [task for task in tasks.data if "_solve_shard" in task["key"]]
    assert task_calls(tasks, "_solve_shard") == N_WORKERS
    workers = set(client.scheduler_info()["workers"])
    assert {task["worker"] for task in shard_tasks} <= workers
    assert_array_equal(sharded.classes_, many_classes_sequential.classes_)
    assert_same_runs(sharded, many_classes_sequential)


def killing_ovr(path, marker):
    """A one-vs-rest model whose fit kills the first dask worker running it.

    "generic": the base estimator is a pipeline whose first step kills the
    worker fitting it. "fast": class shards, killed by a callback at the third
    L-BFGS-B iteration that the shard's task reports.
    """
    if path == "generic":
        killer = FunctionTransformer(
            passthrough_killing_worker_once,
            kw_args={"marker": str(marker), "spare_pid": os.getpid()},
        )
        return OneVsRestClassifier(
            make_pipeline(killer, BinaryLogisticRegression()), n_jobs=2
        )
    model = OneVsRestClassifier(BinaryLogisticRegression(), n_jobs=2)
    return model.set_callbacks(KillWorkerOnceCallback(str(marker)))


@pytest.mark.parametrize("path", ["generic", "fast"])
def test_a_task_whose_worker_is_killed_is_retried(client, tmp_path, path):
    # Under 1000 bytes, joblib sends X with each task instead of scattering it
    # to one worker, so the scheduler can rerun a lost task on the other one.
    X, y = make_classification(
        n_samples=30,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        n_classes=4,
        n_clusters_per_class=1,
        random_state=0,
    )
    assert X.nbytes < 1000
    marker = tmp_path / "killed"
    # The killer does nothing outside a dask worker.
    reference = fit_in_this_process(killing_ovr(path, marker), X, y)
    assert not marker.exists()

    model = killing_ovr(path, marker)
    with parallel_config(backend="dask"):
        model.fit(X, y)
    assert marker.exists(), "no worker was killed: the test tests nothing"
    assert_same_runs(model, reference)


@pytest.mark.parametrize("path", ["generic", "fast"])
def test_a_worker_killed_mid_fit_never_leaves_a_partial_model(
    client, tmp_path, many_classes, many_classes_sequential, path
):
    """A worker killed mid-fit: the same model, or an error and no model at all.

    joblib scatters X to one worker. If the killed worker held it, the data is
    lost and the tasks needing it are cancelled: the fit must raise and drop
    every fitted attribute, including those of an earlier fit. Otherwise the
    scheduler reruns the lost task and the model is the sequential one.
    """
    X, y = many_classes
    if path == "generic":
        # One estimator per class is slow for 200 classes: keep 20.
        keep = y < 20
        X, y = X[keep], y[keep]
    marker = tmp_path / "killed"
    if path == "fast":
        reference = many_classes_sequential
    else:
        reference = fit_in_this_process(killing_ovr(path, marker), X, y)
    # Fitted once already, so that a stale model would show.
    model = fit_in_this_process(killing_ovr(path, marker), X[:100], y[:100])
    assert not marker.exists()
    try:
        with parallel_config(backend="dask"):
            model.fit(X, y)
    except CancelledError:
        assert fitted_attributes(model) == []
        with pytest.raises(NotFittedError):
            model.predict(X)
    else:
        assert_same_runs(model, reference)
    assert marker.exists(), "no worker was killed: the test tests nothing"
