"""OneVsRestLogisticRegressionCV on dask arrays, on a cluster and locally.

The cluster and its helpers are ``test_dask``'s (a ``LocalCluster`` of two
single-threaded process workers, started once for this module). Each search
on dask is compared with the same search in memory: its problems follow the
same iterates up to the order of the floating-point sums, so at ``tol=1e-8``
the chosen ``C``, the accuracy scores and the iteration counts are equal and
the coefficients agree to 1e-10 relative (float64). The data are chosen so
that every run converges (a ``ConvergenceWarning`` fails these tests): a run
that stalls at the precision of its objective stops at an iterate that the
order of the sums decides. The checks of hostile input run on dask's
synchronous scheduler.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.model_selection import GroupKFold, KFold

from sklearn_ovr_logit import OneVsRestLogisticRegressionCV

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

import test_dask  # noqa: E402
from _dask_helpers import KillWorkerDuringTask  # noqa: E402  (needs distributed)
from dask.array.core import PerformanceWarning  # noqa: E402
from test_dask import (  # noqa: E402
    DEADLINE,
    N_WORKERS,
    RTOL,
    TOL,
    fitted_attributes,
    task_keys,
    within,
    workers_sent_bytes,
)

# test_dask's fixtures, used by name: the cluster (one for this module),
# its client, and dask's synchronous scheduler.
cluster = test_dask.cluster
cluster_client = test_dask.cluster_client
client = test_dask.client
synchronous = test_dask.synchronous

CS = [0.01, 0.1, 1.0]
converge = pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")


def search(**params):
    return OneVsRestLogisticRegressionCV(CS, **{"cv": 3, "tol": TOL, **params})


@pytest.fixture(scope="module")
def data():
    """1,500 samples, 10 features, 4 classes drawn from a linear model; weights."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((1500, 10))
    logits = X @ rng.standard_normal((10, 4)) + rng.gumbel(size=(1500, 4))
    weights = np.random.default_rng(0).uniform(0, 2, size=1500)
    return X, logits.argmax(axis=1), weights


def chunked(X, rows=400):
    return da.from_array(X, chunks=(rows, -1))


def assert_same_search(model, reference, rtol=RTOL, exact=True):
    """The same C, scores and iterations; coefficients within ``rtol``."""
    assert_array_equal(model.C_, reference.C_)
    for name in ["scores_", "class_scores_"]:
        if hasattr(reference, name):
            if exact:
                assert_array_equal(getattr(model, name), getattr(reference, name))
            else:
                assert_allclose(getattr(model, name), getattr(reference, name), rtol)
    paths = reference.coefs_paths_
    assert_allclose(model.coefs_paths_, paths, atol=rtol * np.abs(paths).max())
    refit = np.column_stack([reference.coef_, reference.intercept_])
    assert_allclose(
        np.column_stack([model.coef_, model.intercept_]),
        refit,
        atol=rtol * np.abs(refit).max(),
    )
    if exact:
        assert_array_equal(model.n_iter_paths_, reference.n_iter_paths_)
        assert_array_equal(model.n_iter_, reference.n_iter_)


# --- Equal to the in-memory search, on the cluster ---------------------------------


@converge
@pytest.mark.parametrize(
    ("C_per_class", "weights", "y_kind"),
    [(False, None, "numpy"), (True, "dask", "dask"), (False, "numpy", "dask")],
)
def test_search_on_the_cluster_is_the_in_memory_search(
    client, data, C_per_class, weights, y_kind
):
    X, y, sample_weight = data
    fit_weights = {
        None: None,
        "numpy": sample_weight,
        "dask": da.from_array(sample_weight, chunks=700),
    }[weights]
    reference = search(C_per_class=C_per_class).fit(
        X, y, sample_weight=None if weights is None else sample_weight
    )
    y_fit = da.from_array(y, chunks=700) if y_kind == "dask" else y
    with distributed.get_task_stream(client=client) as tasks:
        model = within(
            DEADLINE,
            lambda: search(C_per_class=C_per_class).fit(
                chunked(X), y_fit, sample_weight=fit_weights
            ),
        )
    assert_same_search(model, reference)
    assert model.n_features_in_ == X.shape[1]
    keys = task_keys(tasks)
    # The search and the refit ran in rounds of one task per worker thread,
    group_tasks = [key for key in keys if "-group-" in key]
    rounds = {key.split("-group-")[0] for key in group_tasks}
    assert len(group_tasks) == N_WORKERS * len(rounds)
    assert len(rounds) >= model.n_iter_paths_.sum(axis=2).max()
    # and the held-out decision values were computed by chunk: each fold's
    # 500 held-out rows are in two or three of the four chunks.
    held_out = [key for key in keys if "-rows-of-" in key and "-arg-" not in key]
    assert 3 * 2 <= len(held_out) <= 3 * 3


@converge
def test_float32_and_another_scoring_on_the_cluster(client, data):
    X, y, weights = data
    X = X.astype(np.float32)
    # float32 objectives stop decreasing well before tol=1e-8: their runs
    # would stall, each after a long failed line search.
    params = {"C_per_class": True, "scoring": "neg_log_loss", "tol": 1e-5}
    reference = search(**params).fit(X, y, sample_weight=weights)
    model = within(
        DEADLINE,
        lambda: search(**params).fit(chunked(X), y, sample_weight=weights),
    )
    # float32 products round in float32 on blocks of rows that are not the
    # in-memory fit's: gradients agree to float32 rounding.
    assert_same_search(model, reference, rtol=1e-4, exact=False)
    assert model.decision_function(chunked(X)).dtype == np.float32


@pytest.fixture(scope="module")
def searched(cluster_client, data):
    """A search fitted on the cluster, and the same search in memory."""
    X, y, weights = data
    reference = search().fit(X, y, sample_weight=weights)
    model = within(DEADLINE, lambda: search().fit(chunked(X), y, sample_weight=weights))
    return model, reference


def test_predictions_and_scores_are_computed_chunk_by_chunk(client, data, searched):
    X, y, weights = data
    model, reference = searched
    X_dask = chunked(X).persist()
    distributed.wait(X_dask)
    with distributed.get_task_stream(client=client) as tasks:
        results = {
            method: getattr(model, method)(X_dask)
            for method in ["predict", "predict_proba", "decision_function"]
        }
    assert tasks.data == [], "a prediction ran tasks before it was computed"
    for method, result in results.items():
        assert isinstance(result, da.Array), method
        assert result.chunks[0] == X_dask.chunks[0]
        expected = getattr(reference, method)(X)
        assert_allclose(result.compute(), expected, rtol=1e-8, atol=1e-8)
    y_dask = da.from_array(y, chunks=500)
    assert model.score(X_dask, y_dask, sample_weight=weights) == pytest.approx(
        reference.score(X, y, sample_weight=weights)
    )
    # Another scoring gets the probabilities computed on the workers.
    model.set_params(scoring="neg_log_loss")
    reference.set_params(scoring="neg_log_loss")
    try:
        assert model.score(X_dask, y_dask) == pytest.approx(reference.score(X, y))
    finally:
        model.set_params(scoring=None)
        reference.set_params(scoring=None)


# --- Where X is -----------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_X_is_never_gathered_and_computed_once(client):
    """X, made on the workers, is read there: sums, scores and weights travel."""
    n_samples, n_features, n_chunks, n_folds = 20_000, 200, 4, 2
    X = da.random.default_rng(0).standard_normal(
        (n_samples, n_features), chunks=(n_samples // n_chunks, -1)
    )
    y = (X[:, :3].sum(axis=1) / 2).round().clip(-1, 1).astype(int).persist()
    model = OneVsRestLogisticRegressionCV([0.1, 1.0], cv=n_folds, max_iter=8)
    before = workers_sent_bytes(client)
    with distributed.get_task_stream(client=client) as tasks:
        within(DEADLINE, lambda: model.fit(X, y))
    sent = workers_sent_bytes(client) - before

    keys = task_keys(tasks)
    rounds = {key.split("-group-")[0] for key in keys if "-group-" in key}
    assert sum(key.startswith(f"('{X.name}'") for key in keys) == n_chunks
    # What may travel: each round's sums (twice, for slack); the held-out
    # decision values (one per sample, class and C); and, once, y, the labels
    # and the weight rows of the folds and of the refit, if they were not
    # where X's chunks are.
    n_problems = len(model.classes_) * n_folds
    sums_bytes = 8 * n_problems * (n_features + 2)
    held_out_bytes = 8 * n_samples * len(model.classes_) * 2
    rows_bytes = (8 + 16 + 8 * (n_folds + 1)) * n_samples
    allowed = 2 * len(rounds) * (N_WORKERS + 2) * sums_bytes
    allowed += 2 * held_out_bytes + rows_bytes
    assert X.nbytes == 32_000_000
    assert sent < allowed < X.nbytes / 5


@pytest.mark.slow
@converge
def test_a_worker_killed_in_a_round_of_the_search_changes_nothing(
    client, data, tmp_path
):
    X, y, _ = data
    marker = tmp_path / "killed"
    plugin = KillWorkerDuringTask(str(marker), "-round-3-group-")
    client.register_plugin(plugin)
    try:
        model = within(DEADLINE, lambda: search().fit(chunked(X), y))
    finally:
        client.unregister_worker_plugin(plugin.name)
    assert marker.exists(), "no worker was killed: the test tests nothing"
    assert_same_search(model, search().fit(X, y))


# --- Other data, and hostile input ---------------------------------------------------


@pytest.fixture(scope="module")
def small(data):
    X, y, _ = data
    return X[:300], y[:300]


def quick(**params):
    # tol=1e-6: at 1e-8 some runs on these 300 samples stall.
    return OneVsRestLogisticRegressionCV([0.1, 1.0], **{"cv": 2, "tol": 1e-6, **params})


@converge
def test_groups_class_weights_multilabel_sparse_and_unknown_chunks(small, synchronous):
    X, y = small
    groups = np.arange(300) % 7
    expected = quick(cv=GroupKFold(3)).fit(X, y, groups=groups)
    model = quick(cv=GroupKFold(3)).fit(
        chunked(X, 100), y, groups=da.from_array(groups, chunks=50)
    )
    assert_same_search(model, expected)

    # Class weights need every label, which the client has.
    weights = np.linspace(0.5, 2, 300)
    expected = quick(class_weight="balanced").fit(X, y, sample_weight=weights)
    model = quick(class_weight="balanced").fit(
        chunked(X, 100), y, sample_weight=da.from_array(weights, chunks=100)
    )
    assert_same_search(model, expected)

    Y = np.column_stack([y == 0, y < 2, y % 2 == 1]).astype(int)
    expected = quick(C_per_class=True).fit(X, Y)
    model = quick(C_per_class=True).fit(chunked(X, 100), da.from_array(Y, chunks=70))
    assert_same_search(model, expected)
    assert_array_equal(model.predict(chunked(X, 100)).compute(), expected.predict(X))

    X_sparse = sp.csc_matrix(np.where(np.abs(X) < 1.0, 0.0, X))
    expected = quick().fit(X_sparse, y)
    X_dask = da.from_array(X_sparse, chunks=(120, -1), asarray=False)
    assert_same_search(quick().fit(X_dask, y), expected)

    # Boolean masking leaves the chunk sizes unknown, and chunks may be empty.
    keep = np.arange(300) % 4 != 0
    expected = quick().fit(X[keep], y[keep])
    masked = chunked(X, 60)[da.from_array(keep, chunks=60)]
    assert np.isnan(masked.chunks[0][0])
    assert_same_search(quick().fit(masked, da.from_array(y)[keep]), expected)
    n = int(keep.sum())
    odd = da.from_array(X[keep], chunks=((0, 1, n - 2, 0, 1), (10,)))
    assert_same_search(quick().fit(odd, y[keep]), expected)


@converge
def test_column_chunks_are_rechunked_with_a_warning(small, synchronous):
    X, y = small
    with pytest.warns(PerformanceWarning, match="chunked along its columns"):
        model = quick().fit(da.from_array(X, chunks=(100, 3)), y)
    assert_same_search(model, quick().fit(X, y))


class SplitByFirstFeature:
    """A splitter that reads X's values, which a dask X does not give it."""

    def split(self, X, y=None, groups=None):
        low = np.asarray(X)[:, 0] < 0
        yield np.flatnonzero(low), np.flatnonzero(~low)
        yield np.flatnonzero(~low), np.flatnonzero(low)

    def get_n_splits(self, X=None, y=None, groups=None):
        return 2


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
def test_hostile_input_is_refused_before_the_search(small, synchronous):
    X, y = small
    X_dask = chunked(X, 100)
    model = quick().fit(X, y)
    cases = [
        ({"cv": SplitByFirstFeature()}, X_dask, y, TypeError, "read the values of X"),
        ({}, X, da.from_array(y), TypeError, "for y but not for X"),
        ({}, X_dask, da.from_array(np.where(y == 0, np.nan, y)), ValueError, "NaN"),
        ({}, X_dask, y[:-1], ValueError, "inconsistent numbers of samples"),
        ({}, X_dask, da.from_array(y[:-1]), ValueError, "inconsistent numbers"),
        ({}, X_dask.astype(str), y, ValueError, "not numeric"),
        ({}, X_dask[:, 0], y, ValueError, "Expected a 2D dask array"),
    ]
    for params, X_fit, y_fit, error, message in cases:
        model.set_params(**{"cv": 2, **params})
        with pytest.raises(error, match=message):
            model.fit(X_fit, y_fit)
        # A failed fit leaves no model, not even the last one.
        assert fitted_attributes(model) == []
        model.set_params(cv=2).fit(X, y)
    with pytest.raises(ValueError, match="sample_weight contains NaN"):
        quick().fit(X_dask, y, sample_weight=da.full(300, np.nan, chunks=100))
    # Splitters that read only X's length, as scikit-learn's do, work.
    expected = quick(cv=KFold(3, shuffle=True, random_state=0)).fit(X, y)
    model = quick(cv=KFold(3, shuffle=True, random_state=0)).fit(X_dask, y)
    assert_array_equal(model.scores_, expected.scores_)
