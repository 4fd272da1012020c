"""Fits and predictions on dask arrays: ``X`` stays on the workers, chunk by chunk.

A dask ``X`` chunked by rows is checked where it lives (its dtype and shape
from its metadata, its values by a reduction), persisted once and never
gathered. The labels and sample weights are cut along the same row chunks and
persisted beside them. Each round of a lockstep fit is then one small dask
graph: one task per worker thread computes the partial sums of the chunks its
worker holds, each with a :class:`~sklearn_ovr_logit._loss.RowBlockEvaluator`
(the unit of work of the in-memory fit), and a tree of tasks adds them up, so
that only arrays of shape (n_problems,) and (n_problems, n_params) reach this
process, where the L-BFGS-B runs stay. Predictions apply the in-memory methods
to each chunk, lazily.

The estimators call this module only when an argument is a dask collection,
so that the in-memory path never imports dask. It works with any dask
scheduler: a ``distributed.Client`` in scope, or dask's local threads,
processes or synchronous scheduler (with which the chunks are held by this
process).
"""

import copy
import math
import os
import uuid
import warnings
from concurrent.futures import CancelledError
from dataclasses import dataclass

import dask
import dask.array as da
import numpy as np
from dask.array.core import PerformanceWarning
from dask.sizeof import sizeof
from scipy import sparse
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_feature_names,
    _check_n_features,
    _check_sample_weight,
    check_consistent_length,
)

from ._lockstep import is_dask_collection
from ._loss import Labels, RowBlockEvaluator
from ._targets import sorted_classes
from ._warnings import user_stacklevel

# The names of the tasks start with this (the dashboard groups them by it).
KEY_PREFIX = "sklearn-ovr-logit"
# How many partial sums one task of a tree reduction adds: the depth of the
# tree (latency) against the work of one task.
_SPLIT_EVERY = 8


# --- X, y and sample weights on the workers ----------------------------------


@dataclass(frozen=True)
class FitData:
    """What a fit reads, checked, with ``X`` (and a dask ``y``) on the workers.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        float32 or float64, one chunk of columns, known row chunks, persisted.
    y : dask.array.Array of shape (n_samples,), or array-like
        A dask ``y``, 1-D, chunked as ``X``'s rows and persisted; any other
        ``y`` as it was given (the estimator checks it as it does in memory).
    sample_weight : dask.array.Array of shape (n_samples,), or None
        float64, non-negative and finite, chunked as ``X``'s rows, persisted.
    classes : ndarray or None
        The sorted classes of a dask ``y``; None for any other ``y``.
    """

    X: object
    y: object
    sample_weight: object
    classes: np.ndarray | None


def fit_data(estimator, X, y, sample_weight=None):
    """Check a fit's data where it lives and persist it on the workers.

    ``X`` must be a dask array; ``y`` and ``sample_weight`` may be dask arrays
    or in memory. Nothing of the size of ``X`` reaches this process: the
    values are checked by one reduction, the results of which are a few
    numbers (and the classes of a dask ``y``). Sets ``n_features_in_`` of
    ``estimator`` (and removes ``feature_names_in_``, which a dask array does
    not have).

    Parameters
    ----------
    estimator : estimator instance
        The estimator being fitted.
    X : dask.array.Array of shape (n_samples, n_features)
        Training data, chunked by rows.
    y : dask.array.Array or array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets. A dask ``y`` must be 1-D.
    sample_weight : dask.array.Array, array-like of shape (n_samples,), float or None
        Sample weights.

    Returns
    -------
    data : FitData
    """
    if not is_dask_collection(X):
        raise TypeError(
            "y or sample_weight is a dask collection but X is not: X decides "
            "where the fit runs. Pass X as a dask array chunked by rows, for "
            "example dask.array.from_array(X, chunks=(10_000, -1)), or compute "
            "y and sample_weight first (y.compute())."
        )
    X = _rows(X, "X")
    X = _known_row_chunks(X.persist(), "X")
    X = _one_column_chunk(X).persist()
    n_samples, n_features = X.shape
    if n_samples == 0 or n_features == 0:
        raise ValueError(
            f"Found array with {n_samples} sample(s) and {n_features} feature(s) "
            f"(shape={X.shape}) while a minimum of 1 of each is required."
        )
    checks = {"X": _nonfinite_counts(X)}
    classes = None
    if is_dask_collection(y):
        y = _targets_on_rows(y, X)
        checks["y"] = _tree(
            [dask.delayed(_block_classes)(block) for block in y.to_delayed()],
            _union_classes,
            _unique_name("classes"),
        )
    else:
        check_consistent_length(X, y)
    if is_dask_collection(sample_weight):
        sample_weight = _vector_on_rows(sample_weight, X, "sample_weight")
        sample_weight = sample_weight.astype(np.float64).persist()
        checks["sample_weight"] = _nonfinite_counts(sample_weight, negative=True)
    elif sample_weight is not None:
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        sample_weight = da.from_array(sample_weight, chunks=(X.chunks[0],)).persist()

    results = dict(zip(checks, dask.compute(*checks.values()), strict=True))
    _raise_nonfinite(results["X"], "X")
    if "sample_weight" in results:
        _raise_nonfinite(results["sample_weight"], "sample_weight")
    if "y" in results:
        classes = results["y"]
        if classes.dtype.kind == "f" and np.isnan(classes).any():
            raise ValueError("Input y contains NaN.")
        check_classification_targets(classes)
    # Last, so that data refused leaves a fitted estimator as it was.
    _check_n_features(estimator, X, reset=True)
    _check_feature_names(estimator, X, reset=True)
    return FitData(X, y, sample_weight, classes)


def label_binarizer(classes):
    """A ``LabelBinarizer(sparse_output=True)`` fitted on the classes of a dask y.

    The same as one fitted on the whole ``y``: it only keeps the classes and
    whether there are two (binary) or more (multiclass).
    """
    return LabelBinarizer(sparse_output=True).fit(classes)


def _rows(X, name):
    """``X`` as a 2-D float dask array of NumPy or scipy.sparse chunks (lazy)."""
    if not isinstance(X, da.Array):
        raise TypeError(
            f"{name} is a {type(X).__module__}.{type(X).__qualname__}, a dask "
            "collection but not a dask array. Convert it first, for example "
            "with .to_dask_array(lengths=True) for a dask DataFrame."
        )
    if X.ndim != 2:
        hint = (
            " Reshape it with X.reshape(-1, 1) if it has a single feature, or "
            "X.reshape(1, -1) if it has a single sample."
            if X.ndim == 1
            else " Reshape it to (n_samples, n_features)."
        )
        raise ValueError(
            f"Expected a 2D dask array, got a {X.ndim}D one of shape {X.shape} "
            f"instead.{hint}"
        )
    meta = X._meta
    if not (isinstance(meta, np.ndarray) or sparse.issparse(meta)):
        raise TypeError(
            f"The chunks of {name} are {type(meta).__module__}."
            f"{type(meta).__qualname__} objects; NumPy arrays and scipy.sparse "
            "matrices are supported. Convert them first, for example with "
            f"{name}.map_blocks(numpy.asarray)."
        )
    if X.dtype.kind not in "biufO":
        raise ValueError(
            f"{name} has dtype {X.dtype}, which is not numeric: convert it to "
            "float32 or float64 first."
        )
    if X.dtype not in (np.float32, np.float64):
        # As validate_data does in memory: everything else becomes float64
        # (here lazily, chunk by chunk, on the workers).
        X = X.astype(np.float64)
    return X


def _known_row_chunks(X, name):
    """``X`` with the sizes of its row chunks known (computed where they live)."""
    if any(np.isnan(size) for size in X.chunks[0]):
        # Only the sizes travel; X is persisted first, so it is not computed
        # twice.
        X = X.compute_chunk_sizes()
    return X


def _one_column_chunk(X):
    if len(X.chunks[1]) == 1:
        return X
    warnings.warn(
        f"X is chunked along its columns too ({len(X.chunks[1])} chunks); each "
        "task of the fit needs whole rows, so it is rechunked to row chunks, "
        "which moves data between the workers. Pass "
        "X.rechunk({0: 'auto', 1: -1}) to do it once yourself.",
        PerformanceWarning,
        stacklevel=user_stacklevel(),
    )
    return X.rechunk({0: "auto", 1: -1})


def _vector_on_rows(v, X, name):
    """A 1-D dask array ``v`` of X's length, chunked as X's rows (lazy)."""
    if not isinstance(v, da.Array):
        raise TypeError(
            f"{name} is a dask collection but not a dask array: pass a dask "
            "array or a NumPy array."
        )
    if v.ndim != 1:
        raise ValueError(
            f"A dask {name} must be 1-D; it has shape {v.shape}. "
            + (
                "For multilabel targets pass y as a NumPy array or sparse "
                "matrix; it is sent to the workers chunk by chunk."
                if name == "y"
                else "Pass one weight per sample."
            )
        )
    if v.dtype.kind not in "biufOUS":
        raise ValueError(f"{name} has dtype {v.dtype}, which is not supported.")
    if name == "sample_weight" and v.dtype.kind not in "biuf":
        raise ValueError(
            f"sample_weight has dtype {v.dtype}; sample weights must be numbers."
        )
    v = _known_row_chunks(v, name)
    if v.shape[0] != X.shape[0]:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: "
            f"[{X.shape[0]}, {v.shape[0]}] (X and {name})."
        )
    # Aligned with X's chunks, so that each task reads the pieces of one chunk
    # of rows; moving O(n_samples) small values is the cheap side.
    return v.rechunk((X.chunks[0],))


def _targets_on_rows(y, X):
    return _vector_on_rows(y, X, "y").persist()


def _block_classes(block):
    return sorted_classes(np.asarray(block))


def _union_classes(*parts):
    return sorted_classes(np.concatenate(parts))


def _nonfinite_counts(X, negative=False):
    """Delayed: the NaN, infinite (and negative) entries of ``X``, counted."""
    per_chunk = [
        dask.delayed(_block_nonfinite_counts)(block, negative)
        for block in X.to_delayed().ravel()
    ]
    return _tree(per_chunk, _sum_arrays, _unique_name("check"))


def _block_nonfinite_counts(block, negative):
    values = block.data if sparse.issparse(block) else np.asarray(block)
    counts = [np.isnan(values).sum(), np.isinf(values).sum()]
    if negative:
        counts.append((values < 0).sum())
    return np.array(counts)


def _sum_arrays(*arrays):
    return sum(arrays[1:], arrays[0])


def _raise_nonfinite(counts, name):
    counts = np.asarray(counts).ravel()
    if counts[0]:
        raise ValueError(f"Input {name} contains NaN ({counts[0]} entries).")
    if counts[1]:
        raise ValueError(
            f"Input {name} contains infinity or a value too large for its dtype "
            f"({counts[1]} entries)."
        )
    if counts.shape[0] > 2 and counts[2]:
        raise ValueError(
            f"Negative values in data passed to `{name}` ({counts[2]} entries)."
        )


class ChunkedLabels:
    """Which labels each sample has, kept on the workers beside X's row chunks.

    It answers what :class:`~sklearn_ovr_logit._loss.Labels` answers about
    the whole data (``n_samples``, ``n_labels``, ``weighted_counts``,
    ``weight_totals``), computing the counts where the chunks are; each chunk
    is a ``Labels`` of its own, the labels of the rows of one chunk of ``X``.

    Parameters
    ----------
    parts : list of dask.delayed.Delayed
        One persisted ``Labels`` per row chunk.
    row_chunks : tuple of int
        The number of rows of each chunk, as ``X.chunks[0]``.
    n_labels : int
        Number of labels.
    """

    def __init__(self, parts, row_chunks, n_labels):
        self.parts = list(parts)
        self.row_chunks = tuple(row_chunks)
        self.n_labels = int(n_labels)
        self._totals = {}

    @classmethod
    def from_labels(cls, labels, row_chunks):
        """The in-memory ``labels``, cut into row chunks and sent to the workers."""
        bounds = np.cumsum((0,) + tuple(row_chunks))
        name = _unique_name("labels")
        parts = [
            dask.delayed(labels.rows(start, stop), name=f"{name}-{index}")
            for index, (start, stop) in enumerate(
                zip(bounds[:-1], bounds[1:], strict=True)
            )
        ]
        return cls(dask.persist(*parts), row_chunks, labels.n_labels)

    @classmethod
    def from_targets(cls, y, binarizer):
        """The labels of a dask ``y``, made on the workers, chunk by chunk.

        ``binarizer`` is a fitted ``LabelBinarizer``: each chunk's labels are
        the columns of ``binarizer.transform`` that are 1, as in memory.
        """
        parts = [
            dask.delayed(_labels_of_targets)(block, binarizer)
            for block in y.to_delayed().ravel()
        ]
        # One column for two classes, one per class otherwise.
        n_labels = binarizer.transform(binarizer.classes_[:1]).shape[1]
        return cls(dask.persist(*parts), y.chunks[0], n_labels)

    @property
    def n_samples(self):
        return int(sum(self.row_chunks))

    @property
    def shape(self):
        """(n_samples, n_labels), as the label indicator's."""
        return (self.n_samples, self.n_labels)

    def weight_totals(self, sample_weight):
        """Each weight row's total, and its weight on each label.

        See :meth:`~sklearn_ovr_logit._loss.Labels.weight_totals`;
        ``sample_weight`` is None or a dask array of shape (n_weight_rows,
        n_samples) chunked as the labels. Computed once per ``sample_weight``.
        """
        key = None if sample_weight is None else sample_weight.name
        if key not in self._totals:
            if sample_weight is None:
                weights = [None] * len(self.parts)
            else:
                weights = list(sample_weight.to_delayed().ravel())
            per_chunk = [
                dask.delayed(_weight_totals)(labels, rows)
                for labels, rows in zip(self.parts, weights, strict=True)
            ]
            self._totals[key] = dask.compute(
                _tree(per_chunk, _sum_tuples, _unique_name("weights"))
            )[0]
        totals, positives = self._totals[key]
        return totals.copy(), positives.copy()

    def weighted_counts(self, sample_weight):
        """Sum of the sample weights of the samples that have each label.

        ``sample_weight`` is None (all ones) or a 1-D dask array chunked as
        the labels.
        """
        rows = None if sample_weight is None else sample_weight[np.newaxis, :]
        return self.weight_totals(rows)[1][0]


@sizeof.register(Labels)
def _sizeof_labels(labels):
    # What the scheduler weighs when it places tasks and moves data.
    return labels.indptr.nbytes + labels.indices.nbytes


def _labels_of_targets(block, binarizer):
    return Labels.from_indicator(binarizer.transform(block))


def _weight_totals(labels, rows):
    return labels.weight_totals(rows)


def chunked_labels(X, labels):
    """Labels beside X's row chunks, from a label indicator or ``Labels``.

    ``labels`` is a label indicator matrix (what ``LabelBinarizer`` gives),
    an in-memory :class:`~sklearn_ovr_logit._loss.Labels` (both cut and sent
    to the workers), or a :class:`ChunkedLabels` already there.
    """
    if not isinstance(labels, ChunkedLabels | Labels):
        labels = Labels.from_indicator(labels)
    if isinstance(labels, Labels):
        if labels.n_samples != X.shape[0]:
            raise ValueError(
                f"The labels are of {labels.n_samples} samples and X has {X.shape[0]}."
            )
        return ChunkedLabels.from_labels(labels, X.chunks[0])
    if labels.row_chunks != tuple(X.chunks[0]):
        raise ValueError(
            f"The labels are chunked as {labels.row_chunks} and X's rows as "
            f"{X.chunks[0]}; they must be chunked alike."
        )
    return labels


def distribute_rows(X, labels, sample_weight):
    """The labels and weight rows of a batch, beside X's row chunks.

    What :meth:`~sklearn_ovr_logit._lockstep.ProblemBatch.from_labels` calls
    for a dask ``X``.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        Checked and persisted (:func:`fit_data`).
    labels : Labels, ChunkedLabels or label indicator matrix
        The labels of the samples.
    sample_weight : array of shape (n_weight_rows, n_samples), or None
        Rows of sample weights, NumPy or dask.

    Returns
    -------
    labels : ChunkedLabels
    sample_weight : dask.array.Array of shape (n_weight_rows, n_samples), or None
        float64, chunked as X's rows, persisted.
    """
    labels = chunked_labels(X, labels)
    if sample_weight is not None:
        if not is_dask_collection(sample_weight):
            return labels, rows_beside(X, sample_weight)
        n_rows = sample_weight.shape[0]
        sample_weight = sample_weight.astype(np.float64).rechunk(
            ((n_rows,), X.chunks[0])
        )
        sample_weight = sample_weight.persist()
    return labels, sample_weight


def rows_beside(X, rows):
    """Rows of per-sample values, sent to the workers cut as X's row chunks.

    The rows are sent one at a time, each as one piece per chunk of ``X``:
    given a generator, this process holds one row at a time, never all of
    them (the training weights of cross-validation folds, for example).

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        Checked and persisted (:func:`fit_data`).
    rows : iterable of array of shape (n_samples,)
        The rows, in memory.

    Returns
    -------
    rows : dask.array.Array of shape (n_rows, n_samples)
        float64, one chunk of rows, chunked as X's rows, persisted.
    """
    bounds = np.cumsum((0,) + tuple(X.chunks[0]))
    name = _unique_name("rows")
    blocks = []
    for index, row in enumerate(rows):
        row = np.asarray(row, dtype=np.float64)
        if row.shape != (X.shape[0],):
            raise ValueError(
                f"A row of per-sample values has shape {row.shape}; X has "
                f"{X.shape[0]} samples."
            )
        pieces = dask.persist(
            *(
                dask.delayed(row[np.newaxis, start:stop], name=f"{name}-{index}-{i}")
                for i, (start, stop) in enumerate(
                    zip(bounds[:-1], bounds[1:], strict=True)
                )
            )
        )
        blocks.append(
            [
                da.from_delayed(piece, shape=(1, size), dtype=np.float64)
                for piece, size in zip(pieces, X.chunks[0], strict=True)
            ]
        )
    if not blocks:
        raise ValueError("No rows of per-sample values to send.")
    # The rows of each chunk put together where they are.
    return da.block(blocks).rechunk(((len(blocks),), X.chunks[0])).persist()


def map_selected_rows(X, rows, function, *args):
    """``function(X[rows], *args)``, computed where X's chunks are.

    For each chunk of ``X`` that holds some of ``rows``, one task calls
    ``function(chunk, chunk_rows, *args)``, where ``chunk_rows`` are those
    rows' positions in the chunk, and returns an array with one row per
    entry of ``chunk_rows``; only these arrays come back, and they are put
    in the order of ``rows`` (which may repeat rows, in any order). The
    arguments are sent once to each worker, not once per task.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        Checked and persisted (:func:`fit_data`).
    rows : ndarray of shape (n_rows,)
        Indices of rows of ``X``, at least one.
    function : callable
        A function the workers can import (defined at a module's top level).
    *args
        Its other arguments.

    Returns
    -------
    result : ndarray of shape (n_rows, ...)
    """
    bounds = np.cumsum((0,) + tuple(X.chunks[0]))
    # The last chunk starting at or before each row: empty chunks share
    # their bound with the next, which holds the row.
    chunk_of = np.searchsorted(bounds, rows, side="right") - 1
    order = np.argsort(chunk_of, kind="stable")
    chunks, starts = np.unique(chunk_of[order], return_index=True)
    positions = np.split(order, starts[1:])
    name = _unique_name("rows-of")
    shared = [
        dask.delayed(arg, name=f"{name}-arg-{index}", traverse=False)
        for index, arg in enumerate(args)
    ]
    blocks = X.to_delayed().ravel()
    parts = dask.compute(
        *(
            dask.delayed(function, pure=False)(
                blocks[chunk],
                rows[where] - bounds[chunk],
                *shared,
                dask_key_name=f"{name}-{chunk}",
            )
            for chunk, where in zip(chunks, positions, strict=True)
        )
    )
    result = np.empty((rows.shape[0],) + parts[0].shape[1:], dtype=parts[0].dtype)
    for where, part in zip(positions, parts, strict=True):
        result[where] = part
    return result


# --- The rounds of a fit -----------------------------------------------------


class ChunkEvaluator:
    """Weighted loss and gradient sums of a batch, evaluated chunk by chunk on dask.

    The distributed counterpart of
    :class:`~sklearn_ovr_logit._loss.RowBlockEvaluator`, with the same
    :meth:`weighted_sums`. Each call is one dask computation: one task per
    worker thread evaluates the problems on the chunks that its worker holds,
    one after the other, and a tree of tasks adds the tasks' sums. The
    grouping is made once, from where the chunks are when the fit starts, so
    that every round adds the same numbers in the same order, whichever
    worker finishes first. Only ``coef`` goes to the workers and only the
    sums come back.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        Persisted, one chunk of columns.
    labels : ChunkedLabels
        The labels, chunked as X's rows.
    sample_weight : dask.array.Array of shape (n_weight_rows, n_samples), or None
        Rows of sample weights, chunked as X's rows.
    max_problems : int
        The largest number of problems evaluated together.
    fit_intercept : bool
        Whether the last coefficient of each problem is an intercept.
    """

    def __init__(self, X, labels, sample_weight, max_problems, *, fit_intercept):
        self.n_features = X.shape[1]
        self.max_problems = max_problems
        self.fit_intercept = fit_intercept
        # Every round on the scheduler the fit started with: were the default
        # to change (a client closed), the rounds must fail, not move.
        self._scheduler = dask.base.get_scheduler()
        n_chunks = len(X.chunks[0])
        weights = (
            [None] * n_chunks
            if sample_weight is None
            else list(sample_weight.to_delayed().ravel())
        )
        chunks = list(zip(X.to_delayed().ravel(), labels.parts, weights, strict=True))
        nonempty = [index for index, size in enumerate(X.chunks[0]) if size > 0]
        self._groups = [
            [chunks[index] for index in group]
            for group in _chunk_groups(X, nonempty, self._scheduler)
        ]
        self._name = _unique_name("fit")
        self.n_rounds = 0

    def close(self):
        """Let the chunks go (they stay persisted while anyone holds them)."""
        self._groups = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def weighted_sums(self, coef, problems):
        """Sums over the samples of the weighted losses and gradient terms.

        Parameters
        ----------
        coef : ndarray of shape (n_problems, n_features + fit_intercept)
            One row of coefficients per problem, the intercept last.
        problems : Problems
            The problems, at most ``max_problems``.

        Returns
        -------
        loss_sums : ndarray of shape (n_problems,)
        gradient_sums : ndarray of shape (n_problems, n_features + fit_intercept)
            As :meth:`RowBlockEvaluator.weighted_sums
            <sklearn_ovr_logit._loss.RowBlockEvaluator.weighted_sums>`.
        """
        if len(problems) > self.max_problems:
            raise ValueError(
                f"This evaluator takes {self.max_problems} problems at most, "
                f"not {len(problems)}."
            )
        self.n_rounds += 1
        name = f"{self._name}-round-{self.n_rounds}"
        # One node each, which every task depends on: sent once to each
        # worker, not once per task.
        coef = dask.delayed(np.ascontiguousarray(coef), name=f"{name}-coef")
        problems = dask.delayed(problems, name=f"{name}-problems", traverse=False)
        per_group = [
            dask.delayed(_group_sums, pure=False)(
                group,
                coef,
                problems,
                self.fit_intercept,
                dask_key_name=f"{name}-group-{index}",
            )
            for index, group in enumerate(self._groups)
        ]
        try:
            [(loss_sums, gradient_sums)] = dask.compute(
                _tree(per_group, _sum_tuples, name), scheduler=self._scheduler
            )
        except Exception as exc:
            _explain_lost_round(exc, self._scheduler, self.n_rounds)
            raise
        return loss_sums, gradient_sums


def _chunk_groups(X, chunks, scheduler):
    """The chunks each task of a round evaluates: those of one worker thread.

    One task per thread rather than per chunk: a round's cost in scheduling
    and in moving partial sums then grows with the threads, not the chunks.
    With a distributed client the groups follow where the chunks are, and a
    group holds at most a quarter of its worker's memory limit per thread (a
    task needs all its chunks in memory at once, so that a worker can still
    spill the others); with a local scheduler they are contiguous ranges,
    one per core.
    """
    client = getattr(scheduler, "__self__", None)
    if client is None or not hasattr(client, "who_has"):
        n_groups = min(len(chunks), os.cpu_count() or 1)
        return [group.tolist() for group in np.array_split(chunks, n_groups)]
    from distributed import futures_of, wait

    keys = X.__dask_keys__()
    futures = futures_of(X)
    # Where the chunks are once they are there (persist does not wait).
    wait(futures)
    where = client.who_has(futures)
    try:
        workers = client.scheduler_info(n_workers=-1)["workers"]
    except TypeError:  # distributed < 2025.4 lists every worker anyway
        workers = client.scheduler_info()["workers"]
    row_bytes = X.shape[1] * X.dtype.itemsize
    by_worker = {}
    for index in chunks:
        holders = sorted(where.get(keys[index][0], ())) or [None]
        by_worker.setdefault(holders[0], []).append(index)
    groups = []
    for worker, indices in sorted(by_worker.items(), key=lambda item: item[1][0]):
        info = workers.get(worker, {})
        nthreads = info.get("nthreads", 1)
        limit = info.get("memory_limit") or 0
        n_groups = nthreads
        if limit:
            data_bytes = row_bytes * sum(X.chunks[0][index] for index in indices)
            n_groups = max(n_groups, math.ceil(data_bytes / (limit / 4 / nthreads)))
        n_groups = min(len(indices), n_groups)
        groups += [group.tolist() for group in np.array_split(indices, n_groups)]
    return groups


def _group_sums(chunks, coef, problems, fit_intercept):
    """The sums over some chunks, added in their order."""
    return _sum_tuples(
        *(
            _chunk_sums(X, labels, rows, coef, problems, fit_intercept)
            for X, labels, rows in chunks
        )
    )


def _explain_lost_round(exc, scheduler, n_round):
    """Add to a lost round's error what happened and what to do (Python 3.11+)."""
    if not hasattr(exc, "add_note"):
        return
    client = getattr(scheduler, "__self__", None)
    if client is not None and getattr(client, "status", "running") != "running":
        exc.add_note(
            f"The dask client of this fit was closed during round {n_round}: "
            "the fit stopped, and the estimator keeps no model from it. Keep "
            "the client open until fit returns."
        )
    elif isinstance(exc, CancelledError) or type(exc).__name__ == "KilledWorker":
        exc.add_note(
            f"Round {n_round} of the fit could not be computed: the cluster "
            "lost data it needed (a chunk of X, of the labels or of the "
            "weights, with a worker that died) and could not compute it "
            "again, or a task killed its workers repeatedly. The estimator "
            "keeps no model from this fit. Build X from a source dask can "
            "read again (from_array, from_zarr, ...) rather than from "
            "scattered data, and give the workers enough memory for their "
            "chunks."
        )


def _chunk_sums(X, labels, sample_weight, coef, problems, fit_intercept):
    """One chunk's share of the sums: the in-memory evaluation of its rows.

    One thread: the workers' threads and processes share the cores among
    chunks (dask's workers limit BLAS to one thread each).
    """
    with RowBlockEvaluator(
        X, labels, sample_weight, len(problems), fit_intercept=fit_intercept
    ) as evaluator:
        return evaluator.weighted_sums(coef, problems)


def _sum_tuples(*parts):
    """Add tuples of arrays entry by entry, in the order given."""
    return tuple(_sum_arrays(*entries) for entries in zip(*parts, strict=True))


def _tree(parts, combine, name):
    """A tree of ``combine`` tasks over ``parts``, at most _SPLIT_EVERY per task."""
    level = 0
    while len(parts) > 1:
        level += 1
        parts = [
            dask.delayed(combine, pure=False)(
                *parts[start : start + _SPLIT_EVERY],
                dask_key_name=f"{name}-sum-{level}-{start}",
            )
            for start in range(0, len(parts), _SPLIT_EVERY)
        ]
    return parts[0]


def _unique_name(kind):
    """A name for one computation's tasks, which no other shares."""
    return f"{KEY_PREFIX}-{kind}-{uuid.uuid4().hex[:12]}"


# --- Predictions ---------------------------------------------------------------


def map_rows(estimator, method, X):
    """``estimator.method(X)`` for a dask ``X``: a lazy dask array, chunk by chunk.

    Each chunk of rows is predicted by the in-memory method of a copy of the
    fitted estimator, as it is now (refitting it later does not change the
    result). The shape and dtype of the result are those of the method's
    result on one row of zeros, computed here.

    Parameters
    ----------
    estimator : fitted estimator
        The estimator.
    method : str
        ``"predict"``, ``"predict_proba"``, ``"decision_function"``...
    X : dask.array.Array of shape (n_samples, n_features)
        Samples, chunked by rows.

    Returns
    -------
    result : dask.array.Array of shape (n_samples,) or (n_samples, n_outputs)
        Chunked as X's rows. Sparse results (multilabel ``predict``) are dense.
    """
    X = _rows(X, "X")
    X = _one_column_chunk(X)
    _check_n_features(estimator, X, reset=False)
    _check_feature_names(estimator, X, reset=False)
    model = copy.deepcopy(estimator)
    with warnings.catch_warnings():
        # The probe is not the user's data: what it would warn about, the
        # chunks will.
        warnings.simplefilter("ignore")
        probe = getattr(model, method)(np.zeros((1, X.shape[1]), dtype=X.dtype))
    if sparse.issparse(probe):
        probe = probe.toarray()
    probe = np.asarray(probe)
    trailing = probe.shape[1:]
    model = dask.delayed(model, name=_unique_name("model"))
    kwargs = {"dtype": probe.dtype, "meta": np.empty((0,) + trailing, probe.dtype)}
    if trailing:
        kwargs["chunks"] = (X.chunks[0], trailing)
    else:
        kwargs["chunks"] = (X.chunks[0],)
        kwargs["drop_axis"] = 1
    return X.map_blocks(
        _apply_to_rows,
        model,
        method,
        trailing,
        probe.dtype,
        name=_unique_name(method.replace("_", "-")),
        **kwargs,
    )


def _apply_to_rows(block, model, method, trailing, dtype):
    if block.shape[0] == 0:
        return np.empty((0,) + trailing, dtype)
    result = getattr(model, method)(block)
    if sparse.issparse(result):
        result = result.toarray()
    return np.asarray(result, dtype=dtype)


def score(estimator, X, y, sample_weight=None):
    """Mean accuracy of ``estimator`` on a dask ``X``, without gathering it.

    The same as ``ClassifierMixin.score``: the (weighted) fraction of samples
    whose prediction equals ``y`` (every label equal, for multilabel ``y``).
    The predictions and ``y`` are compared chunk by chunk; one number comes
    back.
    """
    y_pred = map_rows(estimator, "predict", X)
    if any(np.isnan(size) for size in y_pred.chunks[0]):
        y_pred = y_pred.compute_chunk_sizes()
    rows = (y_pred.chunks[0],) + tuple((size,) for size in y_pred.shape[1:])
    y = _aligned(y, rows, "y")
    if y.shape != y_pred.shape:
        raise ValueError(
            f"y has shape {y.shape} and the predictions {y_pred.shape}: they "
            "must have the same shape."
        )
    correct = y_pred == y
    if correct.ndim == 2:
        correct = correct.all(axis=1)
    if sample_weight is None:
        return float(correct.mean().compute())
    weights = _aligned(sample_weight, (y_pred.chunks[0],), "sample_weight")
    weights = weights.astype(np.float64)
    total, weight_sum = dask.compute((correct * weights).sum(), weights.sum())
    return float(total / weight_sum)


def _aligned(v, chunks, name):
    if is_dask_collection(v):
        if not isinstance(v, da.Array):
            raise TypeError(f"{name} is a dask collection but not a dask array.")
        if any(np.isnan(size) for size in v.chunks[0]):
            v = v.compute_chunk_sizes()
        if v.shape[0] != sum(chunks[0]):
            raise ValueError(
                f"Found input variables with inconsistent numbers of samples: "
                f"[{sum(chunks[0])}, {v.shape[0]}] (X and {name})."
            )
        return v.rechunk(chunks[: v.ndim])
    v = np.asarray(v)
    if v.shape[0] != sum(chunks[0]):
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: "
            f"[{sum(chunks[0])}, {v.shape[0]}] (X and {name})."
        )
    return da.from_array(v, chunks=chunks[: v.ndim])
