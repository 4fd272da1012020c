"""Fits and predictions on dask arrays (``_dask``), on a cluster and locally.

The cluster tests use a ``LocalCluster`` of two single-threaded process
workers, started once for the module. Each fit on dask is compared with the
same fit in memory: the iterates are the same up to the order of the
floating-point sums, so at ``tol=1e-8`` the coefficients agree to 1e-10
relative (float64) and the iteration counts are equal. The checks of hostile
input run on dask's synchronous scheduler, which needs no cluster.

Whatever a test sends to the workers must be importable there: the worker
plugin that kills a worker lives in ``_dask_helpers``. Every test that could
hang on a cluster (a worker killed, a client closed) runs under a deadline.
"""

import logging
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context, get_config
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

import sklearn_ovr_logit._lockstep as lockstep
from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
db = pytest.importorskip("dask.bag")

from _dask_helpers import KillWorkerDuringTask  # noqa: E402  (needs distributed)
from dask.array.core import PerformanceWarning  # noqa: E402

# Every test runs on a dask cluster, started for the module.
pytestmark = pytest.mark.slow

N_WORKERS = 2
# A fit on the cluster that takes longer than this has hung.
DEADLINE = 120
TOL = 1e-8
# At tol=1e-8 the same iterates, up to the order of the sums, end this close.
RTOL = 1e-10


@pytest.fixture(scope="module")
def cluster():
    cluster = distributed.LocalCluster(
        n_workers=N_WORKERS,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        # Killed workers make the scheduler log errors.
        silence_logs=logging.CRITICAL,
    )
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="module")
def cluster_client(cluster):
    with distributed.Client(cluster) as client:
        yield client


@pytest.fixture
def client(cluster_client):
    """The module's client, once a worker killed by an earlier test is back."""
    cluster_client.wait_for_workers(N_WORKERS, timeout=60)
    return cluster_client


@pytest.fixture
def synchronous():
    """dask's synchronous scheduler, in this thread, whatever client exists."""
    with dask.config.set(scheduler="synchronous"):
        yield


def within(seconds, function):
    """``function()``, or a failed test if it has not returned after ``seconds``.

    It runs in a thread of its own, with this thread's scikit-learn
    configuration (which is thread-local).
    """
    outcome = {}
    config = get_config()

    def run():
        try:
            with config_context(**config):
                outcome["value"] = function()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"no result after {seconds} s: the fit hangs")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def ovr(**params):
    return OneVsRestClassifier(BinaryLogisticRegression(tol=TOL, **params))


def assert_same_fit(model, reference, rtol=RTOL, same_iterations=True):
    """Coefficients within ``rtol`` of the largest, and the same iterations."""
    estimators = getattr(model, "estimators_", [model])
    references = getattr(reference, "estimators_", [reference])
    coef = np.vstack([e.coef_ for e in references])
    intercept = np.concatenate([e.intercept_ for e in references])
    scale = max(np.abs(coef).max(), np.abs(intercept).max())
    assert_allclose(np.vstack([e.coef_ for e in estimators]), coef, atol=rtol * scale)
    assert_allclose(
        np.concatenate([e.intercept_ for e in estimators]),
        intercept,
        atol=rtol * scale,
    )
    if same_iterations:
        assert [e.n_iter_ for e in estimators] == [e.n_iter_ for e in references]


def fitted_attributes(estimator):
    return sorted(name for name in vars(estimator) if name.endswith("_"))


@pytest.fixture(scope="module")
def data():
    """3,000 samples, 20 standardised features, 5 classes, weights."""
    X, y = make_classification(
        n_samples=3000,
        n_features=20,
        n_informative=10,
        n_classes=5,
        random_state=0,
    )
    weights = np.random.default_rng(0).uniform(0, 2, size=y.shape[0])
    return StandardScaler().fit_transform(X), y, weights


@pytest.fixture(scope="module")
def reference(data):
    X, y, _ = data
    return ovr().fit(X, y)


def chunked(X, rows=400):
    """X as a dask array of row chunks (the last one shorter)."""
    return da.from_array(X, chunks=(rows, -1))


def workers_sent_bytes(client):
    """Bytes the workers have sent, in all, to other workers and to clients."""
    sent = client.run(lambda dask_worker: dask_worker.transfer_outgoing_bytes_total)
    return sum(sent.values())


def task_keys(tasks):
    return [str(task["key"]) for task in tasks.data]


# --- Equal to the in-memory fit, on the cluster -------------------------------


@pytest.mark.parametrize("y_kind", ["numpy", "dask"])
def test_multiclass_fit_on_the_cluster_is_the_in_memory_fit(
    client, data, reference, y_kind
):
    X, y, _ = data
    # A dask y chunked otherwise than X: it is aligned with X's chunks.
    y_fit = da.from_array(y, chunks=700) if y_kind == "dask" else y
    with distributed.get_task_stream(client=client) as tasks:
        model = within(DEADLINE, lambda: ovr().fit(chunked(X), y_fit))
    assert_same_fit(model, reference)
    assert_array_equal(model.classes_, reference.classes_)
    assert model.n_features_in_ == X.shape[1]
    # Each round ran one task per worker thread, on the chunks it holds.
    group_tasks = [key for key in task_keys(tasks) if "-group-" in key]
    rounds = {key.split("-group-")[0] for key in group_tasks}
    assert len(group_tasks) == N_WORKERS * len(rounds)
    assert len(rounds) >= max(e.n_iter_ for e in model.estimators_)


@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, RTOL), (np.float32, 1e-4)])
def test_sample_weights_and_float32_on_the_cluster(client, data, dtype, rtol):
    X, y, weights = data
    X = X.astype(dtype)

    def model():
        binary = BinaryLogisticRegression(tol=TOL).set_fit_request(sample_weight=True)
        return OneVsRestClassifier(binary)

    # sample_weight reaches the base estimator through metadata routing.
    with config_context(enable_metadata_routing=True):
        expected = model().fit(X, y, sample_weight=weights)
        fitted = within(
            DEADLINE,
            lambda: model().fit(
                chunked(X), y, sample_weight=da.from_array(weights, chunks=1000)
            ),
        )
    # float32 products round in float32 on each block of rows, and the
    # chunks are not the in-memory fit's blocks: the gradients agree to
    # float32 rounding, which at tol=1e-8 decides when a run stops.
    assert_same_fit(fitted, expected, rtol=rtol, same_iterations=dtype == np.float64)
    assert fitted.decision_function(chunked(X)).dtype == dtype


def test_sparse_chunks_on_the_cluster(client):
    X, y = make_classification(
        n_samples=1500, n_features=40, n_informative=10, n_classes=3, random_state=1
    )
    X[np.abs(X) < 1] = 0.0
    X_csr = sp.csr_matrix(X)
    reference = ovr().fit(X_csr, y)
    parts = [
        da.from_delayed(
            dask.delayed(X_csr[start : start + 500]),
            shape=(min(500, 1500 - start), 40),
            dtype=X.dtype,
            meta=X_csr[:0],
        )
        for start in range(0, 1500, 500)
    ]
    X_dask = da.concatenate(parts)
    model = within(DEADLINE, lambda: ovr().fit(X_dask, da.from_array(y, chunks=500)))
    assert_same_fit(model, reference)
    assert_allclose(
        model.predict_proba(X_dask).compute(), reference.predict_proba(X_csr)
    )


def test_binary_logistic_regression_on_the_cluster(client, data):
    X, y, weights = data
    # String classes and balanced class weights, both found on the workers.
    y = np.where(y < 2, "small", "large")
    params = {"tol": TOL, "class_weight": "balanced"}
    reference = BinaryLogisticRegression(**params).fit(X, y, sample_weight=weights)
    model = within(
        DEADLINE,
        lambda: BinaryLogisticRegression(**params).fit(
            chunked(X, 600),
            da.from_array(y, chunks=600),
            sample_weight=da.from_array(weights, chunks=600),
        ),
    )
    assert_same_fit(model, reference)
    assert_array_equal(model.classes_, ["large", "small"])
    # And the same optimum as scikit-learn's.
    sklearn_model = LogisticRegression(**params).fit(X, y, sample_weight=weights)
    assert_allclose(model.coef_, sklearn_model.coef_, rtol=1e-5)


# --- Predictions -----------------------------------------------------------------


def test_predictions_are_lazy_and_computed_chunk_by_chunk(client, data, reference):
    X, y, weights = data
    X_dask = chunked(X).persist()
    distributed.wait(X_dask)
    with distributed.get_task_stream(client=client) as tasks:
        results = {
            method: getattr(reference, method)(X_dask)
            for method in ["predict", "predict_proba", "decision_function"]
        }
    assert tasks.data == [], "a prediction ran tasks before it was computed"
    for method, result in results.items():
        assert isinstance(result, da.Array), method
        assert result.chunks[0] == X_dask.chunks[0]
        expected = getattr(reference, method)(X)
        assert result.dtype == expected.dtype
        assert result.shape == expected.shape
        assert_allclose(result.compute(), expected, rtol=1e-12, atol=1e-12)
    assert reference.score(X_dask, y) == pytest.approx(reference.score(X, y))
    assert reference.score(
        X_dask, da.from_array(y, chunks=1000), sample_weight=weights
    ) == pytest.approx(reference.score(X, y, sample_weight=weights))

    binary = BinaryLogisticRegression().fit(X, y == 1)
    assert_array_equal(binary.predict(X_dask).compute(), binary.predict(X))
    for method in ["decision_function", "predict_proba", "predict_log_proba"]:
        assert_allclose(
            getattr(binary, method)(X_dask).compute(), getattr(binary, method)(X)
        )


def test_a_prediction_uses_the_model_as_it_was(data, synchronous):
    X, y, _ = data
    model = ovr().fit(X, y)
    expected = model.predict_proba(X)
    lazy = model.predict_proba(chunked(X))
    model.fit(X, (y + 1) % 5)
    assert_allclose(lazy.compute(), expected)


def test_multilabel_predictions_are_dense_indicators(data, synchronous):
    X, y, _ = data
    Y = np.column_stack([y == 0, y < 3, y % 2 == 0]).astype(int)
    model = ovr().fit(chunked(X), Y)
    assert_same_fit(model, ovr().fit(X, Y))
    predicted = model.predict(chunked(X))
    assert predicted.shape == Y.shape
    assert_array_equal(predicted.compute(), model.predict(X))


# --- Where X is -------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_X_is_never_gathered_and_computed_once(client):
    """X, made on the workers, is read there: only the rounds' sums travel."""
    n_samples, n_features, n_chunks = 60_000, 100, 6
    rng = da.random.default_rng(0)
    X = rng.standard_normal((n_samples, n_features), chunks=(10_000, -1))
    y = (X[:, :5] @ np.arange(1.0, 6.0)).round().clip(-3, 3).astype(int)
    y = y.persist()
    before = workers_sent_bytes(client)
    with distributed.get_task_stream(client=client) as tasks:
        model = within(DEADLINE, lambda: ovr(max_iter=15).fit(X, y))
    sent = workers_sent_bytes(client) - before

    keys = task_keys(tasks)
    rounds = {key.split("-group-")[0] for key in keys if "-group-" in key}
    # Each chunk of X was generated once (persisted), never again.
    assert sum(key.startswith(f"('{X.name}'") for key in keys) == n_chunks
    # What a round may send: each task's sums to the tree, the tree's to the
    # client (twice that, for slack); and, once, y and the labels made from
    # it (8 + 16 bytes a sample), if they were not where X's chunks are.
    n_problems = len(model.estimators_)
    sums_bytes = 8 * n_problems * (n_features + 2)
    allowed = 2 * len(rounds) * (N_WORKERS + 2) * sums_bytes + 32 * n_samples
    assert X.nbytes == 48_000_000
    assert sent < allowed < X.nbytes / 10


# --- Faults ---------------------------------------------------------------------------


@pytest.fixture
def kill_in_round(client, tmp_path):
    """Register a plugin that kills a worker running a task of round 3."""
    marker = tmp_path / "killed"
    plugin = KillWorkerDuringTask(str(marker), "-round-3-group-")
    client.register_plugin(plugin)
    try:
        yield marker
    finally:
        client.unregister_worker_plugin(plugin.name)


def made_on_the_workers(seed=0, n_samples=8000, n_features=10, chunks=1000):
    """X and y from a seed: what a worker loses, the cluster computes again."""
    rng = da.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features), chunks=(chunks, -1))
    y = (X @ np.linspace(-1, 1, n_features)).round().clip(-2, 2).astype(int)
    return X, y


def test_a_worker_killed_in_a_round_is_replaced_and_the_fit_is_the_same(
    client, kill_in_round
):
    X, y = made_on_the_workers()
    reference = ovr().fit(*dask.compute(X, y))
    model = within(DEADLINE, lambda: ovr().fit(X, y))
    assert kill_in_round.exists(), "no worker was killed: the test tests nothing"
    assert_same_fit(model, reference)


def test_data_lost_with_a_killed_worker_fails_the_fit_cleanly(client, kill_in_round):
    """Scattered chunks cannot be computed again: the fit raises, and no model stays."""
    X, y = dask.compute(*made_on_the_workers())
    model = ovr().fit(X[:100], y[:100])
    futures = client.scatter(
        [X[start : start + 1000] for start in range(0, 8000, 1000)]
    )
    X_dask = da.concatenate(
        [
            da.from_delayed(dask.delayed(future), shape=(1000, 10), dtype=X.dtype)
            for future in futures
        ]
    )
    with pytest.raises(Exception, match="lost data") as excinfo:
        within(DEADLINE, lambda: model.fit(X_dask, y))
    assert "no model" in str(excinfo.value.__notes__)
    assert kill_in_round.exists()
    assert fitted_attributes(model) == []
    with pytest.raises(NotFittedError):
        model.predict(X)


class CloseClientCallback:
    """A fit callback that closes a dask client at the third L-BFGS-B iteration."""

    max_propagation_depth = None

    def __init__(self, client):
        self.client = client
        self._seen = 0

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        if context.task_name == "lbfgs-iter":
            self._seen += 1
            if self._seen == 3:
                self.client.close()

    def on_fit_task_end(self, estimator, context, **kwargs):
        return False


def test_a_client_closed_during_the_fit_stops_it_cleanly(cluster, client):
    X, y = made_on_the_workers(seed=1)
    model = ovr().fit(*dask.compute(X, y))
    own_client = distributed.Client(cluster.scheduler_address, set_as_default=False)
    model.set_callbacks(CloseClientCallback(own_client))

    def fit_with_own_client():
        with own_client.as_current():
            return model.fit(X, y)

    try:
        with pytest.raises(Exception, match="closed during round"):
            within(DEADLINE, fit_with_own_client)
    finally:
        own_client.close()
    assert fitted_attributes(model) == []


# --- Local schedulers, n_jobs, the optional dependency ---------------------------


@pytest.mark.parametrize("scheduler", ["threads", "synchronous"])
def test_local_schedulers(data, reference, scheduler):
    X, y, _ = data
    with dask.config.set(scheduler=scheduler):
        model = ovr().fit(chunked(X), da.from_array(y, chunks=500))
        assert_same_fit(model, reference)
        assert_array_equal(model.predict(chunked(X)).compute(), reference.predict(X))


def test_n_jobs_leaves_the_parallelism_to_dask(
    data, reference, synchronous, monkeypatch
):
    def no_joblib(*args, **kwargs):
        raise AssertionError("a dask fit used joblib")

    monkeypatch.setattr(lockstep, "Parallel", no_joblib)
    X, y, _ = data
    model = OneVsRestClassifier(BinaryLogisticRegression(tol=TOL), n_jobs=2)
    assert_same_fit(model.fit(chunked(X), y), reference)


def test_the_in_memory_path_never_imports_dask():
    code = (
        "import sys\n"
        "import numpy as np\n"
        "from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier\n"
        "X = np.random.default_rng(0).normal(size=(60, 3))\n"
        "y = np.arange(60) % 3\n"
        "model = OneVsRestClassifier().fit(X, y)\n"
        "model.predict_proba(X), model.score(X, y)\n"
        "BinaryLogisticRegression().fit(X, y == 0).predict(X)\n"
        "imported = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('dask', 'distributed'))\n"
        "assert not imported, imported\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=os.environ.copy())


# --- Hostile input -------------------------------------------------------------------


def test_column_chunks_are_rechunked_with_a_warning(data, reference, synchronous):
    X, y, _ = data
    with pytest.warns(PerformanceWarning, match="chunked along its columns"):
        model = ovr().fit(da.from_array(X, chunks=(500, 7)), y)
    assert_same_fit(model, reference)


def test_unknown_empty_and_odd_chunks(data, synchronous):
    X, y, _ = data
    keep = np.arange(X.shape[0]) % 3 != 0
    reference = ovr().fit(X[keep], y[keep])
    X_dask, y_dask = chunked(X, 450), da.from_array(y, chunks=450)
    mask = da.from_array(keep, chunks=450)
    # Boolean masking leaves the chunk sizes unknown (nan).
    X_masked, y_masked = X_dask[mask], y_dask[mask]
    assert np.isnan(X_masked.chunks[0][0])
    assert_same_fit(ovr().fit(X_masked, y_masked), reference)
    # Empty chunks, and chunks of one row.
    n = int(keep.sum())
    odd = da.from_array(X[keep], chunks=((0, 1, n - 2, 0, 1), (20,)))
    assert_same_fit(ovr().fit(odd, y[keep]), reference)


def test_integer_and_object_X_become_float64(synchronous):
    X = np.arange(60).reshape(20, 3) % 7
    y = np.arange(20) % 2
    reference = BinaryLogisticRegression(tol=TOL).fit(X, y)
    for X_dask in [da.from_array(X, chunks=5), da.from_array(X.astype(object), 5)]:
        model = BinaryLogisticRegression(tol=TOL).fit(X_dask, y)
        assert_same_fit(model, reference)


UNSORTED = (ValueError, r"cannot be sorted into classes .* \['int', 'str'\]")


def test_hostile_y_and_shapes_are_refused_clearly(data, synchronous):
    X, y, _ = data
    X_dask = chunked(X)
    cases = [
        (X_dask, y[:-1], ValueError, "inconsistent numbers of samples"),
        (X_dask, da.from_array(y[:-1]), ValueError, "inconsistent numbers"),
        (X, da.from_array(y), TypeError, "X is not"),
        (X_dask, da.from_array(np.column_stack([y, y])), ValueError, "must be 1-D"),
        (X_dask[:, 0], y, ValueError, "Expected a 2D dask array"),
        (X_dask[:, :, None], y, ValueError, "to \\(n_samples, n_features\\)"),
        (da.zeros((3000, 0), chunks=500), y, ValueError, "0 feature"),
        (X_dask, da.from_array(y + 0.5), ValueError, "Unknown label type"),
        (X_dask, da.from_array(np.where(y == 0, np.nan, y)), ValueError, "NaN"),
        (X_dask, da.from_array(np.where(y == 0, None, y), 500), ValueError, "sorted"),
        (
            X_dask,
            da.from_array(np.where(y == 0, "a", y.astype(object)), 500),
            *UNSORTED,
        ),
        (X_dask.astype(str), y, ValueError, "not numeric"),
        (X_dask.astype(complex), y, ValueError, "not numeric"),
        (db.from_sequence([1, 2]), y, TypeError, "not a dask array"),
    ]
    for X_fit, y_fit, error, message in cases:
        with pytest.raises(error, match=message):
            ovr().fit(X_fit, y_fit)
    with pytest.raises(ValueError, match="Only binary classification"):
        BinaryLogisticRegression().fit(X_dask, da.from_array(y))
    with pytest.raises(TypeError, match="needs the fast path"):
        OneVsRestClassifier(LogisticRegression()).fit(X_dask, y)
    for class_weight in [{0: 2.0}, "balanced"]:
        model = ovr().fit(X, y)
        with pytest.raises(ValueError, match="class_weight is not supported with"):
            model.set_params(class_weight=class_weight).fit(X_dask, y)
        assert not hasattr(model, "estimators_")


@pytest.mark.parametrize(
    ("make_X", "message"),
    [
        (lambda X: np.where(X > 2.5, np.nan, X), "X contains NaN"),
        (lambda X: np.where(X > 2.5, np.inf, X), "X contains infinity"),
    ],
)
def test_nonfinite_X_is_found_on_the_workers(data, synchronous, make_X, message):
    X, y, _ = data
    model = BinaryLogisticRegression().fit(X, y == 0)
    coef = model.coef_.copy()
    with pytest.raises(ValueError, match=message):
        model.fit(chunked(make_X(X)), y == 0)
    # Refused before anything changed: the previous model is whole.
    assert_array_equal(model.coef_, coef)
    with pytest.raises(ValueError, match=message):
        model.predict(chunked(make_X(X))).compute()
    # OneVsRestClassifier drops its last model, as it does in memory.
    for X_fit in [make_X(X), chunked(make_X(X))]:
        one_vs_rest = ovr().fit(X, y)
        with pytest.raises(ValueError, match=message):
            one_vs_rest.fit(X_fit, y)
        assert fitted_attributes(one_vs_rest) == []


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (-np.ones(3000), "Negative values"),
        (np.full(3000, np.nan), "sample_weight contains NaN"),
        (np.ones((3000, 2)), "must be 1-D"),
        (np.ones(2999), "inconsistent numbers"),
    ],
)
def test_hostile_sample_weights_are_refused(data, synchronous, weights, message):
    X, y, _ = data
    with pytest.raises(ValueError, match=message):
        BinaryLogisticRegression().fit(
            chunked(X), y == 0, sample_weight=da.from_array(weights)
        )


def test_in_memory_and_scalar_sample_weights_with_a_dask_X(data, synchronous):
    X, y, weights = data
    for sample_weight in [weights, 2.0]:
        expected = BinaryLogisticRegression(tol=TOL).fit(
            X, y == 0, sample_weight=sample_weight
        )
        model = BinaryLogisticRegression(tol=TOL).fit(
            chunked(X), y == 0, sample_weight=sample_weight
        )
        assert_same_fit(model, expected)
    with pytest.raises(ValueError, match="sum to zero"):
        BinaryLogisticRegression().fit(
            chunked(X), y == 0, sample_weight=da.zeros(3000, chunks=500)
        )


def test_sparse_chunks_chunked_by_columns(synchronous):
    X, y = make_classification(n_samples=300, n_features=8, random_state=0)
    X[np.abs(X) < 0.5] = 0.0
    X_dask = da.from_array(sp.csr_matrix(X), chunks=(100, 4), asarray=False)
    with pytest.warns(PerformanceWarning):
        model = BinaryLogisticRegression(tol=TOL).fit(X_dask, y)
    assert_same_fit(model, BinaryLogisticRegression(tol=TOL).fit(sp.csr_matrix(X), y))


def test_predictions_check_the_features_before_any_computation(data, reference):
    X, y, _ = data
    with pytest.raises(ValueError, match="has 19 features"):
        reference.predict(chunked(X[:, 1:]))
    with pytest.raises(ValueError, match="inconsistent numbers"):
        reference.score(chunked(X), y[:-1])
    with pytest.raises(NotFittedError):
        ovr().predict(chunked(X))
