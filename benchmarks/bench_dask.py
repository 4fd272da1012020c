"""Fits on dask arrays: MNIST on two workers against memory; X larger than a worker.

Two parts (``--parts``, comma-separated), each on a ``LocalCluster`` of two
single-threaded worker processes started by the script:

- ``mnist``: the full MNIST training set (60,000 x 784 pixels / 255, float64,
  376 MB) as a dask array of ``--chunk-rows`` row chunks, scattered to the
  workers once, fitted with ``OneVsRestClassifier(BinaryLogisticRegression())``
  against the same fit in memory (numpy's BLAS and its threads on the same two
  cores). The two follow the same iterates, so they run the same rounds: the
  script prints the median fit times over ``--repeats`` alternated repeats,
  the rounds, the median time of a round in each (the evaluation of every
  running class; what happens between rounds, the L-BFGS-B steps, is the same
  in both) and their ratio, and how far apart the classes' objectives end.
- ``cv``: ``OneVsRestLogisticRegressionCV`` (``--cv-Cs`` log-spaced values of
  C from 1e-3 to 10, 3 stratified folds) on the first ``--cv-samples`` MNIST
  images, as a dask array scattered to the workers against the same search
  in memory: the search's time, its rounds (search and refit), the ratio,
  and whether the chosen C and the scores are the same.
- ``large``: an X of ``--large-gb`` GB (float64, 100 features, 10 classes)
  generated on two workers whose memory limit is ``--memory-limit`` each, so
  that neither could hold it, and persisted there (dask spills what does not
  fit to the workers' disks). It prints the fit's time and rounds, each
  worker's peak resident memory during the fit and over its life, what dask
  had spilled to disk, how much this process grew, and the training accuracy,
  scored chunk by chunk on the workers.

Run from the repository's root::

    SKLEARN_OVR_LOGIT_MNIST=../shared/mnist python benchmarks/bench_dask.py
    python benchmarks/bench_dask.py --parts large --large-gb 1.5 --memory-limit 1GB
    SKLEARN_OVR_LOGIT_MNIST=../shared/mnist python benchmarks/bench_dask.py --parts cv

C=1, tol=1e-4 and max_iter=1000 (100 for ``large``) unless given.
"""

import argparse
import logging
import statistics
import time
import warnings

import dask
import dask.array as da
import numpy as np
from _common import (
    PeakMemory,
    RoundTimer,
    class_objectives,
    median_seconds,
    print_environment,
)
from distributed import Client, LocalCluster, wait
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info

from sklearn_ovr_logit import (
    BinaryLogisticRegression,
    OneVsRestClassifier,
    OneVsRestLogisticRegressionCV,
)


def start_cluster(memory_limit="auto"):
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit=memory_limit,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    return cluster, Client(cluster)


def print_workers(client):
    """Each worker's memory limit and BLAS threads (dask's nannies set 1)."""
    info = client.scheduler_info()["workers"]
    blas = client.run(
        lambda: [
            (b["internal_api"], b["num_threads"])
            for b in threadpool_info()
            if b["user_api"] == "blas"
        ]
    )
    for address, worker in sorted(info.items()):
        print(
            f"  worker {address}: {worker['nthreads']} thread(s), memory limit "
            f"{worker['memory_limit'] / 1e9:.2f} GB, BLAS {blas[address]}"
        )


def model(params):
    return OneVsRestClassifier(BinaryLogisticRegression(**params))


def fit_timed(params, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with RoundTimer() as timer:
            start = time.perf_counter()
            fitted = model(params).fit(X, y)
            seconds = time.perf_counter() - start
    return seconds, timer.times, fitted


def scatter_rows(client, X, rows):
    """X as a dask array whose row chunks were scattered to the workers."""
    starts = range(0, X.shape[0], rows)
    futures = client.scatter([X[start : start + rows] for start in starts])
    parts = [
        da.from_delayed(
            dask.delayed(future),
            shape=(min(rows, X.shape[0] - start), X.shape[1]),
            dtype=X.dtype,
        )
        for future, start in zip(futures, starts, strict=True)
    ]
    return da.concatenate(parts).persist()


def run_mnist(args):
    from sklearn_ovr_logit.datasets import fetch_mnist

    params = {"C": args.C, "tol": args.tol, "max_iter": args.max_iter}
    X, X_test, y, y_test = fetch_mnist(scale=True, return_X_y=True)
    print(
        f"\n=== mnist: X {X.shape} {X.dtype} ({X.nbytes / 1e6:.0f} MB), "
        f"{np.unique(y).shape[0]} classes; C={args.C}, tol={args.tol}, "
        f"max_iter={args.max_iter}; chunks of {args.chunk_rows} rows",
        flush=True,
    )
    cluster, client = start_cluster()
    try:
        print_workers(client)
        start = time.perf_counter()
        X_dask = scatter_rows(client, X, args.chunk_rows)
        wait(X_dask)
        print(f"  scattering X to the workers took {time.perf_counter() - start:.1f} s")
        # Workers warm (imports) before timing.
        fit_timed({**params, "max_iter": 2}, X_dask[:1000], y[:1000])
        candidates = {"in memory": X, "dask, 2 workers": X_dask}
        results = {name: [] for name in candidates}
        for repeat in range(args.repeats):
            for name, data in candidates.items():
                seconds, rounds, fitted = fit_timed(params, data, y)
                results[name].append((seconds, rounds, fitted))
                print(
                    f"  repeat {repeat + 1}/{args.repeats} {name:<16s} "
                    f"{seconds:7.2f} s, {len(rounds)} rounds, median round "
                    f"{statistics.median(rounds) * 1e3:6.1f} ms",
                    flush=True,
                )
        summary = {}
        for name, runs in results.items():
            summary[name] = (
                statistics.median(run[0] for run in runs),
                statistics.median(statistics.median(run[1]) for run in runs),
                len(runs[-1][1]),
                runs[-1][2],
            )
        (mem_fit, mem_round, mem_rounds, mem_model) = summary["in memory"]
        (dask_fit, dask_round, dask_rounds, dask_model) = summary["dask, 2 workers"]
        print(f"medians over {args.repeats} repeat(s):")
        for name, (fit_s, round_s, n_rounds, _) in summary.items():
            print(
                f"  {name:<16s} fit {fit_s:7.2f} s, {n_rounds} rounds, "
                f"{round_s * 1e3:6.1f} ms a round"
            )
        print(
            f"  a dask round takes {dask_round / mem_round:.2f} x an in-memory "
            f"round ({(dask_round - mem_round) * 1e3:+.1f} ms); the fit "
            f"{dask_fit / mem_fit:.2f} x"
        )
        print(f"  same number of rounds: {mem_rounds == dask_rounds}")
        round_parts(client, X, y, args)
        ours = class_objectives(dask_model, X, y, args.C)
        theirs = class_objectives(mem_model, X, y, args.C)
        relative = np.abs(ours - theirs) / np.abs(theirs)
        print(f"  largest relative difference of the objectives: {relative.max():.1e}")
        X_test_dask = scatter_rows(client, X_test, args.chunk_rows)
        print(
            f"  test accuracy: in memory {mem_model.score(X_test, y_test):.4f}, "
            f"dask (scored on the workers) {dask_model.score(X_test_dask, y_test):.4f}"
        )
    finally:
        client.close()
        cluster.close()


def run_cv(args):
    from sklearn_ovr_logit.datasets import fetch_mnist

    X, _, y, _ = fetch_mnist(scale=True, return_X_y=True)
    X, y = X[: args.cv_samples], y[: args.cv_samples]
    Cs = np.logspace(-3, 1, args.cv_Cs)
    params = {"cv": 3, "tol": args.tol, "max_iter": args.max_iter}
    print(
        f"\n=== cv: X {X.shape} {X.dtype} ({X.nbytes / 1e6:.0f} MB), "
        f"{Cs.shape[0]} values of C from 1e-3 to 10, 3 folds, tol={args.tol}; "
        f"chunks of {args.chunk_rows} rows",
        flush=True,
    )
    cluster, client = start_cluster()
    try:
        print_workers(client)
        X_dask = scatter_rows(client, X, args.chunk_rows)
        wait(X_dask)
        # Workers warm (imports) before timing.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            OneVsRestLogisticRegressionCV([1.0], cv=2, max_iter=2).fit(
                X_dask[:1000], y[:1000]
            )
        fitted = {}
        for name, data in {"in memory": X, "dask, 2 workers": X_dask}.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                with RoundTimer() as timer:
                    start = time.perf_counter()
                    search = OneVsRestLogisticRegressionCV(Cs, **params)
                    search.fit(data, y)
                    seconds = time.perf_counter() - start
            fitted[name] = (seconds, search)
            print(
                f"  {name:<16s} {seconds:7.2f} s, {len(timer.times)} rounds, "
                f"median round {statistics.median(timer.times) * 1e3:6.1f} ms",
                flush=True,
            )
        (mem_s, mem), (dask_s, on_dask) = fitted.values()
        print(f"  the search on dask takes {dask_s / mem_s:.2f} x the search in memory")
        # Runs that stop where rounding decides (a stalled line search, C
        # large on unscaled pixels) may take other steps: said per C.
        print(f"  same C_: {np.array_equal(mem.C_, on_dask.C_)}")
        for index, C in enumerate(Cs):
            print(
                f"  C={C:g}: largest score difference "
                f"{np.abs(mem.scores_ - on_dask.scores_)[:, index].max():.1e}, "
                "problems with other iteration counts "
                f"{(mem.n_iter_paths_ != on_dask.n_iter_paths_)[..., index].sum()}"
            )
    finally:
        client.close()
        cluster.close()


def round_parts(client, X, y, args):
    """What a dask round is made of: one worker's share of the work, and the rest.

    The share: the chunks one worker holds, evaluated here with one BLAS
    thread, as a worker does. The rest: a round on chunks of one row each
    (the same number of chunks, classes and features), which costs only the
    scheduling and the round trip of the coefficients and sums.
    """
    from threadpoolctl import threadpool_limits

    from sklearn_ovr_logit._dask import ChunkedLabels, ChunkEvaluator
    from sklearn_ovr_logit._loss import Labels, Problems, RowBlockEvaluator

    classes = np.unique(y)
    labels = Labels.from_codes(np.searchsorted(classes, y), classes.shape[0])
    problems = Problems(labels=np.arange(classes.shape[0]))
    coef = np.random.default_rng(0).normal(
        scale=0.01, size=(classes.shape[0], X.shape[1] + 1)
    )
    share = X.shape[0] // 2
    with (
        threadpool_limits(limits=1, user_api="blas"),
        RowBlockEvaluator(
            X[:share], labels.rows(0, share), None, len(problems), fit_intercept=True
        ) as evaluator,
    ):
        compute = median_seconds(
            lambda: evaluator.weighted_sums(coef, problems), repeats=15
        )
    n_chunks = -(-X.shape[0] // args.chunk_rows)
    tiny = scatter_rows(client, X[:n_chunks], 1)
    tiny_labels = ChunkedLabels.from_labels(labels.rows(0, n_chunks), tiny.chunks[0])
    with ChunkEvaluator(
        tiny, tiny_labels, None, len(problems), fit_intercept=True
    ) as evaluator:
        overhead = median_seconds(
            lambda: evaluator.weighted_sums(coef, problems), repeats=15
        )
    print(
        f"  a round's parts, measured apart: one worker's share ({share} rows) "
        f"with one thread {compute * 1e3:.1f} ms; scheduling and round trip "
        f"({n_chunks} chunks of one row) {overhead * 1e3:.1f} ms"
    )


def _reset_peak():
    # Writing 5 to clear_refs resets VmHWM, the resident high-water mark.
    with open("/proc/self/clear_refs", "w") as file:
        file.write("5")


def _memory_status():
    fields = {}
    with open("/proc/self/status") as file:
        for line in file:
            name, _, value = line.partition(":")
            if name in ("VmHWM", "VmRSS"):
                fields[name] = int(value.split()[0]) * 1024
    return fields


def _life_peak():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _spilled(dask_worker):
    spilled = getattr(dask_worker.data, "spilled_total", None)
    return None if spilled is None else spilled.disk


def run_large(args):
    params = {"C": args.C, "tol": args.tol, "max_iter": args.large_max_iter}
    n_features, n_classes = 100, 10
    n_samples = int(args.large_gb * 1e9 / (8 * n_features))
    rows = int(args.large_chunk_mb * 1e6 / (8 * n_features))
    print(
        f"\n=== large: X ({n_samples}, {n_features}) float64 = "
        f"{n_samples * n_features * 8 / 1e9:.2f} GB in chunks of {rows} rows "
        f"({args.large_chunk_mb} MB), {n_classes} classes; 2 workers with a "
        f"memory limit of {args.memory_limit} each; C={args.C}, tol={args.tol}, "
        f"max_iter={args.large_max_iter}",
        flush=True,
    )
    cluster, client = start_cluster(args.memory_limit)
    try:
        print_workers(client)
        rng = da.random.default_rng(0)
        X = rng.standard_normal((n_samples, n_features), chunks=(rows, -1))
        weights = np.random.default_rng(1).normal(
            scale=0.3, size=(n_features, n_classes)
        )
        noise = rng.standard_normal((n_samples, n_classes), chunks=(rows, -1))
        start = time.perf_counter()
        X = X.persist()
        wait(X)
        y = (X @ weights + noise).argmax(axis=1).persist()
        wait(y)
        generating = time.perf_counter() - start
        print(f"  generating X and y on the workers took {generating:.1f} s")
        client.run(_reset_peak)
        with PeakMemory() as client_memory:
            seconds, rounds, fitted = fit_timed(params, X, y)
        status = client.run(_memory_status)
        life = client.run(_life_peak)
        spilled = client.run(_spilled)
        print(
            f"  fit {seconds:.1f} s, {len(rounds)} rounds, median round "
            f"{statistics.median(rounds):.2f} s, iterations per class "
            f"{[e.n_iter_ for e in fitted.estimators_]}"
        )
        for address in sorted(status):
            disk = spilled[address]
            disk = "?" if disk is None else f"{disk / 1e9:.2f}"
            print(
                f"  worker {address}: peak resident "
                f"{status[address]['VmHWM'] / 1e9:.2f} GB during the fit, "
                f"{life[address] / 1e9:.2f} GB over its life; {disk} GB spilled "
                "to disk after the fit"
            )
        print(
            "  this process (client and scheduler): "
            f"+{client_memory.peak_increase / 1e6:.0f} MB peak resident during "
            f"the fit (X: {X.nbytes / 1e9:.2f} GB)"
        )
        start = time.perf_counter()
        accuracy = fitted.score(X, y)
        print(
            f"  training accuracy {accuracy:.4f}, scored on the workers in "
            f"{time.perf_counter() - start:.1f} s"
        )
    finally:
        client.close()
        cluster.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="mnist,large")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument("--chunk-rows", type=int, default=10_000)
    parser.add_argument("--large-gb", type=float, default=1.5)
    parser.add_argument("--large-chunk-mb", type=float, default=50)
    parser.add_argument("--large-max-iter", type=int, default=100)
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--cv-samples", type=int, default=10_000)
    parser.add_argument("--cv-Cs", type=int, default=3)
    args = parser.parse_args()
    print_environment()
    for part in args.parts.split(","):
        {"mnist": run_mnist, "cv": run_cv, "large": run_large}[part](args)


if __name__ == "__main__":
    main()
