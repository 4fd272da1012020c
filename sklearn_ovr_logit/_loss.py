"""Loss and gradient of a batch of binary logistic problems, a block of rows at a time.

Every problem of a batch shares the design matrix ``X``. A problem separates
one label from the rest; it has its own coefficients, one of a few shared rows
of sample weights (all ones, the user's weights, or those of a cross-validation
fold), its own class weights and its own L2 strength.

For one problem with coefficients ``w``, intercept ``b``, ``z = X @ w + b``,
targets ``y`` in {0, 1}, weights ``s`` (sample weight times class weight)
summing to ``S`` and ``l2_reg_strength = 1 / (C * S)``, the objective is

    f(w, b) = (1/S) * sum_i s_i * (log(1 + exp(z_i)) - y_i * z_i)
              + l2_reg_strength / 2 * ||w||^2,

the same as scikit-learn's ``LogisticRegression(solver="lbfgs")``.

An evaluation walks through ``X`` in blocks of rows. For each block it computes
the margins of all problems (one matrix product), the pointwise loss and
residuals, and the block's share of the gradient (a second product) while the
block is still in cache. Targets are made per block from the label indicator,
and weights from the block's sample weights and the class weights, so the
memory of an evaluation grows with problems times block rows, never with
problems times samples. Ranges of blocks run in threads of their own, each with
its own scratch arrays and sums, so that the pointwise work uses every core too.
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

# A dense block of X of about this many bytes stays in a core's cache between
# the two products.
_X_BLOCK_BYTES = 16 << 20
# From this many problems on, dense X is shared among row threads (see
# RowBlockEvaluator).
_ROW_THREADS_MIN_PROBLEMS = 256
# The pointwise passes run on parts of a block of about this many entries,
# which stay in cache from one pass to the next.
_POINTWISE_ENTRIES = 1 << 15
# Fewer rows per block make numpy's overhead per call dominate.
_MIN_BLOCK_ROWS = 64
# A run of rows that some problems do not use gets a block of its own, which
# they skip, from this length on; shorter runs cost more in per-block
# overhead than the work they would save.
_MIN_SKIPPED_ROWS = 256
# The per-sample arrays of a block (margins, a temporary, residuals and
# weights, one row per problem) take about this many bytes at most.
_SCRATCH_BYTES = 12 << 20
# OpenBLAS's double-precision products run rows of coefficients beyond a
# multiple of 4 through slower edge code: 10 problems cost more than 12 on
# its SkylakeX kernel. Dense float64 products get zero rows up to the next
# multiple of 4 (benchmarks page); from this many problems on.
_PAD_PRODUCTS_FROM = 5


class Labels:
    """Which labels each sample has: the pattern of an (n_samples, n_labels) 0/1 matrix.

    The positive entries are stored by rows, as in a CSR matrix without values.
    A multiclass target has one entry per sample; a multilabel target any number.

    Parameters
    ----------
    indptr : ndarray of shape (n_samples + 1,)
        The entries of sample ``i`` are ``indices[indptr[i]:indptr[i + 1]]``.
    indices : ndarray of shape (n_entries,)
        Label of each entry, in ``[0, n_labels)``.
    n_labels : int
        Number of labels.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ovr_logit._loss import Labels
    >>> labels = Labels.from_codes(np.array([2, 0, 2]), n_labels=3)
    >>> labels.weighted_counts(None)
    array([1., 0., 2.])
    """

    def __init__(self, indptr, indices, n_labels):
        self.indptr = np.asarray(indptr, dtype=np.intp)
        self.indices = np.asarray(indices, dtype=np.intp)
        self.n_labels = int(n_labels)
        # One label per sample: the entries of a block are its rows in order.
        self.one_per_sample = self.indices.shape[0] == self.indptr.shape[0] - 1 and (
            np.array_equal(self.indptr, np.arange(self.indptr.shape[0]))
        )

    @classmethod
    def from_codes(cls, codes, n_labels):
        """One label per sample, ``codes[i]`` in ``[0, n_labels)``."""
        codes = np.asarray(codes, dtype=np.intp)
        return cls(np.arange(codes.shape[0] + 1), codes, n_labels)

    @classmethod
    def from_indicator(cls, Y):
        """From a dense or sparse 0/1 matrix of shape (n_samples, n_labels)."""
        Y = sparse.csr_array(Y)
        Y.eliminate_zeros()
        Y.sort_indices()
        return cls(Y.indptr, Y.indices, Y.shape[1])

    @property
    def n_samples(self):
        return self.indptr.shape[0] - 1

    def rows(self, start, stop):
        """The labels of samples ``start`` to ``stop`` (excluded)."""
        indptr = self.indptr[start : stop + 1]
        indices = self.indices[indptr[0] : indptr[-1]]
        return Labels(indptr - indptr[0], indices, self.n_labels)

    def entries(self, start, stop):
        """Sample (relative to ``start``) and label of each entry of those rows."""
        first, last = self.indptr[start], self.indptr[stop]
        labels = self.indices[first:last]
        if self.one_per_sample:
            return np.arange(stop - start), labels
        counts = np.diff(self.indptr[start : stop + 1])
        return np.repeat(np.arange(stop - start), counts), labels

    def weighted_counts(self, sample_weight):
        """Sum of the sample weights of the samples that have each label.

        ``sample_weight`` is None (all ones) or of shape (n_samples,).
        """
        if sample_weight is None:
            counts = np.bincount(self.indices, minlength=self.n_labels)
            return counts.astype(np.float64)
        rows, labels = self.entries(0, self.n_samples)
        return np.bincount(labels, weights=sample_weight[rows], minlength=self.n_labels)

    def weight_totals(self, sample_weight):
        """Each row's total sample weight, and its weight on each label.

        ``sample_weight`` is None (all ones) or of shape (n_weight_rows,
        n_samples). Returns ``totals`` of shape (n_weight_rows,) and
        ``positives`` of shape (n_weight_rows, n_labels), with one row for
        None. Labels held elsewhere (on a dask cluster) compute the same.
        """
        if sample_weight is None:
            totals = np.array([float(self.n_samples)])
            return totals, self.weighted_counts(None)[np.newaxis, :]
        positives = np.stack([self.weighted_counts(row) for row in sample_weight])
        return sample_weight.sum(axis=1), positives


@dataclass(frozen=True)
class Problems:
    """What sets the binary problems of a batch apart, one entry per problem.

    Parameters
    ----------
    labels : ndarray of shape (n_problems,), int
        The label each problem separates from the rest (its target is 1 for
        the samples that have it).
    weight_rows : ndarray of shape (n_problems,), int, or None
        The row of the sample weights each problem uses; None when there is
        one row (or none) for all.
    class_weights : ndarray of shape (n_problems, 2), or None
        Weight of the rest and of the label, multiplying the sample weights;
        None when both are one for every problem.
    """

    labels: np.ndarray
    weight_rows: np.ndarray | None = None
    class_weights: np.ndarray | None = None

    def __len__(self):
        return self.labels.shape[0]

    def select(self, index):
        """The problems at ``index`` (an array of positions or a slice)."""
        return Problems(
            labels=self.labels[index],
            weight_rows=None if self.weight_rows is None else self.weight_rows[index],
            class_weights=(
                None if self.class_weights is None else self.class_weights[index]
            ),
        )

    def label_map(self, n_labels):
        """A :class:`_LabelMap` from labels to these problems."""
        return _LabelMap(self.labels, n_labels)


class _LabelMap:
    """Finds the (problem, sample) pairs whose target is 1 among a block's entries."""

    def __init__(self, problem_labels, n_labels):
        per_label = np.bincount(problem_labels, minlength=n_labels)
        self._one_each = per_label.max(initial=0) <= 1
        if self._one_each:
            self._position = np.full(n_labels, -1, dtype=np.intp)
            self._position[problem_labels] = np.arange(problem_labels.shape[0])
        else:
            # Several problems per label (folds, values of C): each entry is a
            # positive target of every problem with that label.
            self._per_label = per_label
            self._order = np.argsort(problem_labels, kind="stable")
            self._starts = np.cumsum(per_label) - per_label

    def positive_pairs(self, rows, labels):
        """(problem, row) arrays of the positive targets, from a block's entries.

        ``rows`` and ``labels`` are the entries, as :meth:`Labels.entries`
        gives them.
        """
        if self._one_each:
            problems = self._position[labels]
            kept = problems >= 0
            return problems[kept], rows[kept]
        repeats = self._per_label[labels]
        offsets = np.arange(repeats.sum()) - np.repeat(
            np.cumsum(repeats) - repeats, repeats
        )
        problems = self._order[np.repeat(self._starts[labels], repeats) + offsets]
        return problems, np.repeat(rows, repeats)


def weight_sums(labels, sample_weight, problems):
    """``S`` of each problem: its sample weights times class weights, summed.

    Parameters
    ----------
    labels : Labels
        The labels of the samples (or an object with the same
        ``weight_totals``, such as labels kept on a dask cluster).
    sample_weight : array of shape (n_weight_rows, n_samples), or None
        Rows of sample weights, as ``labels.weight_totals`` takes them; None
        means all ones.
    problems : Problems
        The problems.

    Returns
    -------
    sums : ndarray of shape (n_problems,)
    """
    totals, positives = labels.weight_totals(sample_weight)
    row = 0 if problems.weight_rows is None else problems.weight_rows
    positive = positives[row, problems.labels]
    negative = totals[row] - positive
    if problems.class_weights is None:
        return positive + negative
    return problems.class_weights[:, 0] * negative + problems.class_weights[:, 1] * (
        positive
    )


def _product_rows(n_problems, dtype, is_sparse):
    """Rows of coefficients the products use for ``n_problems`` problems."""
    if is_sparse or dtype != np.float64 or n_problems < _PAD_PRODUCTS_FROM:
        return n_problems
    return -(-n_problems // 4) * 4


def _padded(weights, n_rows):
    """``weights`` with zero rows added up to ``n_rows`` rows."""
    if weights.shape[0] == n_rows:
        return weights
    padded = np.zeros((n_rows, weights.shape[1]), dtype=weights.dtype)
    padded[: weights.shape[0]] = weights
    return padded


class _Scratch:
    """One thread's arrays: the per-sample work of a block, and gradient sums.

    Sparse products read and write one row per sample, so for sparse ``X`` the
    per-sample arrays are stored (block rows, problems) and used through their
    transpose; for dense ``X`` they are stored (problems, block rows).
    """

    def __init__(self, n_problems, block_rows, n_features, dtype, samples_first):
        self._samples_first = samples_first
        shape = (block_rows, n_problems) if samples_first else (n_problems, block_rows)
        # Margins, a temporary, residuals; and weights when they differ by problem.
        self._per_sample = np.empty((4,) + shape)
        # float32 X: the products' operands and results in float32.
        self._low_precision = (
            None if dtype == np.float64 else np.empty((2,) + shape, dtype=dtype)
        )
        self.gradient = np.empty((n_problems, n_features))
        # Dense products write a block's gradient here first; sparse ones
        # return a new array.
        self.block_gradient = (
            None if samples_first else np.empty((n_problems, n_features), dtype=dtype)
        )

    def _view(self, array, n_problems, n_rows):
        if self._samples_first:
            return array[:n_rows, :n_problems].T
        return array[:n_problems, :n_rows]

    def per_sample(self, n_problems, n_rows):
        """Margins, temporary, residuals and weights, each (n_problems, n_rows)."""
        return [self._view(a, n_problems, n_rows) for a in self._per_sample]

    def padded(self, which, n_rows_of_products, n_rows):
        """Array ``which`` of :meth:`per_sample` with the products' zero rows.

        Dense only: its first rows are those :meth:`per_sample` returns.
        """
        return self._per_sample[which][:n_rows_of_products, :n_rows]

    def low_precision(self, n_problems, n_rows):
        """Two (n_problems, n_rows) arrays in X's dtype, or None for float64 X."""
        if self._low_precision is None:
            return None
        return [self._view(a, n_problems, n_rows) for a in self._low_precision]


class RowBlockEvaluator:
    """Weighted loss and gradient sums of a batch of problems over the rows of X.

    It cuts ``X`` into blocks of rows once and keeps its scratch arrays for
    all evaluations. The cores are shared in one of two ways:

    - row threads: each of ``n_threads`` threads takes a contiguous range of
      blocks, with its own scratch arrays and sums, and calls BLAS with one
      thread. The pointwise work, a large share when there are many problems,
      then runs on every core too; and scipy's sparse products, which run in
      one thread, can only use several cores this way.
    - BLAS threads: with dense ``X`` and few problems, the products are
      nearly all the work, and BLAS runs them faster with its own threads
      than several single-threaded calls side by side; one thread walks
      through the blocks.

    With several rows of sample weights (cross-validation folds), the blocks
    also end where a long run of rows that some problems weigh by zero (a
    fold's held-out rows) begins or ends, and those problems skip the run's
    blocks (see ``_cut_blocks``).

    Use it as a context manager: while inside, it holds BLAS to one thread
    if it uses row threads, and on exit it stops its threads.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Design matrix, float32 or float64, only read. Products run in its
        dtype, everything else in float64. A sparse ``X`` is copied once, by
        blocks of rows stored by columns (CSC).
    labels : Labels
        The labels of the samples.
    sample_weight : ndarray of shape (n_weight_rows, n_samples), or None
        Rows of sample weights (float64); None means all ones.
    max_problems : int
        The largest number of problems evaluated together.
    fit_intercept : bool
        Whether the last coefficient of each problem is an intercept.
    n_threads : int, default=1
        Number of threads to share the work among, typically the number of
        threads of numpy's BLAS.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ovr_logit._loss import Labels, Problems, RowBlockEvaluator
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> labels = Labels.from_codes(np.array([0, 0, 1]), n_labels=2)
    >>> with RowBlockEvaluator(X, labels, None, 1, fit_intercept=True) as evaluator:
    ...     loss_sum, gradient_sum = evaluator.weighted_sums(
    ...         np.zeros((1, 2)), Problems(labels=np.array([1]))
    ...     )
    >>> loss_sum / 3  # log(2) at w = 0
    array([0.69314718])
    """

    def __init__(
        self, X, labels, sample_weight, max_problems, *, fit_intercept, n_threads=1
    ):
        n_samples, n_features = X.shape
        self.n_features = n_features
        self.labels = labels
        self.sample_weight = sample_weight
        self.fit_intercept = fit_intercept
        self.max_problems = max_problems
        self.dtype = X.dtype
        self.is_sparse = sparse.issparse(X)
        n_threads = max(1, int(n_threads))
        block_rows = _block_rows(X, max_problems, n_threads)
        self._blocks, self._block_groups, self._supports = _cut_blocks(
            n_samples, block_rows, sample_weight
        )
        if self.is_sparse:
            # Stored by columns, a block's product with the coefficients and
            # its product with the residuals both stream through the
            # coefficient-sized arrays, which are the large ones for text.
            X = sparse.csr_array(X)
            self._X_blocks = [sparse.csc_array(X[a:b]) for a, b in self._blocks]
        else:
            self._X_blocks = [X[a:b] for a, b in self._blocks]
        self.row_threads = self.is_sparse or max_problems >= _ROW_THREADS_MIN_PROBLEMS
        n_threads = max(1, min(n_threads, len(self._blocks))) if self.row_threads else 1
        # Contiguous ranges of blocks, one per thread: the partial sums are
        # always added in the same order, whichever thread finishes first.
        bounds = np.linspace(0, len(self._blocks), n_threads + 1).round().astype(int)
        self._ranges = [range(bounds[t], bounds[t + 1]) for t in range(n_threads)]
        self.n_threads = n_threads
        scratch_rows = _product_rows(max_problems, X.dtype, self.is_sparse)
        self._scratch = [
            _Scratch(scratch_rows, block_rows, n_features, X.dtype, self.is_sparse)
            for _ in range(n_threads)
        ]
        self._pool = None
        self._blas_limit = None
        if n_threads > 1:
            self._pool = ThreadPoolExecutor(
                n_threads - 1, thread_name_prefix="sklearn_ovr_logit-rows-"
            )

    def close(self):
        """Stop the threads, and give BLAS its threads back."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        if self._blas_limit is not None:
            self._blas_limit.restore_original_limits()
            self._blas_limit = None

    def __enter__(self):
        if self.n_threads > 1 and not self.is_sparse:
            self._blas_limit = threadpool_limits(limits=1, user_api="blas")
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
            ``sum_i s_i * (log(1 + exp(z_i)) - y_i * z_i)`` of each problem.
        gradient_sums : ndarray of shape (n_problems, n_features + fit_intercept)
            ``sum_i s_i * (expit(z_i) - y_i) * [x_i, 1]`` of each problem.
        """
        n_problems = len(problems)
        if n_problems > self.max_problems:
            raise ValueError(
                f"This evaluator takes {self.max_problems} problems at most, "
                f"not {n_problems}."
            )
        job = _Evaluation(self, coef, problems)
        futures = [
            self._pool.submit(job.run, self._ranges[t], self._scratch[t])
            for t in range(1, self.n_threads)
        ]
        parts = [job.run(self._ranges[0], self._scratch[0])]
        parts += [future.result() for future in futures]
        loss_sums = parts[0][0].copy()
        gradient_sums = np.empty((n_problems, coef.shape[1]))
        gradient_sums[:, : self.n_features] = parts[0][1]
        for loss, gradient, _ in parts[1:]:
            loss_sums += loss
            gradient_sums[:, : self.n_features] += gradient
        if self.fit_intercept:
            gradient_sums[:, -1] = parts[0][2]
            for _, _, residual_sum in parts[1:]:
                gradient_sums[:, -1] += residual_sum
        return loss_sums, gradient_sums


def _block_rows(X, n_problems, n_threads):
    """Rows per block: X's block in cache, scratch bounded, every thread busy."""
    n_samples, n_features = X.shape
    rows = _SCRATCH_BYTES // (4 * 8 * max(n_problems, 1))
    if not sparse.issparse(X):
        rows = min(rows, _X_BLOCK_BYTES // max(n_features * X.dtype.itemsize, 1))
    # At least one block per thread.
    rows = min(rows, -(-n_samples // max(n_threads, 1)))
    return int(max(rows, _MIN_BLOCK_ROWS, 1))


def _cut_blocks(n_samples, block_rows, sample_weight):
    """Blocks of rows, and the rows of sample weights that are non-zero on each.

    With several rows of sample weights, a problem gives zero weight to some
    samples: a cross-validation fold to the samples it holds out. Where such
    samples make a long enough run of rows of X, the run gets blocks of its
    own, which the problems that give it zero weight skip, so that they cost
    the rows they use rather than all of X. (Gathering scattered rows into
    blocks would cost a copy of X's rows each round, more than the skipped
    products save with tens of problems.)

    Returns
    -------
    blocks : list of (int, int)
        ``(start, stop)`` of each block.
    block_groups : list of int
        For each block, its row of ``supports``.
    supports : ndarray of shape (n_groups, n_weight_rows), bool, or None
        Which rows of sample weights are non-zero somewhere on the blocks
        of each group; None when every block needs every row.
    """

    def cut(start, stop):
        return [
            (first, min(first + block_rows, stop))
            for first in range(start, max(stop, start + 1), block_rows)
        ]

    plain = cut(0, n_samples)
    if sample_weight is None or sample_weight.shape[0] < 2 or n_samples == 0:
        return plain, [0] * len(plain), None
    nonzero = sample_weight != 0
    changes = np.flatnonzero(np.any(nonzero[:, 1:] != nonzero[:, :-1], axis=0)) + 1
    run_starts = np.concatenate([[0], changes])
    run_stops = np.append(changes, n_samples)
    long_runs = run_stops - run_starts >= _MIN_SKIPPED_ROWS
    # Each long run is a segment; the short runs between them make one
    # segment, whose blocks serve every problem that uses any of its rows.
    bounds = np.unique(
        np.concatenate([[0, n_samples], run_starts[long_runs], run_stops[long_runs]])
    )
    segment_starts = bounds[:-1]
    segment_supports = np.logical_or.reduceat(nonzero, segment_starts, axis=1).T
    if segment_supports.all():
        return plain, [0] * len(plain), None
    supports, segment_groups = np.unique(segment_supports, axis=0, return_inverse=True)
    blocks, block_groups = [], []
    for start, stop, group in zip(
        segment_starts.tolist(),
        bounds[1:].tolist(),
        segment_groups.reshape(-1).tolist(),
        strict=True,
    ):
        segment_blocks = cut(start, stop)
        blocks += segment_blocks
        block_groups += [group] * len(segment_blocks)
    return blocks, block_groups, supports


class _Part:
    """The problems a block evaluates, when it is not all of them.

    ``index`` holds their positions in the batch (None: all, in order); the
    other attributes are those of :class:`_Evaluation`, for them only.
    """

    def __init__(self, index, weights, intercept, problems, label_map):
        self.index = index
        # (Dense float64: with zero rows up to what the products use.)
        self.weights = weights
        self.intercept = intercept
        self.problems = problems
        self.label_map = label_map


class _Evaluation:
    """One evaluation of a batch: the work done on each block."""

    def __init__(self, evaluator, coef, problems):
        self.evaluator = evaluator
        self.problems = problems
        n_features = evaluator.n_features
        weights = coef[:, :n_features].astype(evaluator.dtype)
        # Sparse blocks multiply (n_features, n_problems) coefficients, so
        # that each stored entry of X reads one contiguous row of them.
        self.weights = weights.T.copy() if evaluator.is_sparse else weights
        self.intercept = coef[:, -1:] if evaluator.fit_intercept else None
        self.label_map = problems.label_map(evaluator.labels.n_labels)
        everything = _Part(
            None,
            self._product_weights(self.weights),
            self.intercept,
            problems,
            self.label_map,
        )
        if evaluator._supports is None:
            self._parts = [everything]
        else:
            self._parts = [
                self._part(support, everything) for support in evaluator._supports
            ]

    def _part(self, support, everything):
        """The problems whose row of sample weights is in ``support``."""
        rows = self.problems.weight_rows
        active = (
            np.full(len(self.problems), support[0]) if rows is None else support[rows]
        )
        if active.all():
            return everything
        if not active.any():
            return None
        index = np.flatnonzero(active)
        selected = self.problems.select(index)
        return _Part(
            index,
            self.weights[:, index]
            if self.evaluator.is_sparse
            else self._product_weights(self.weights[index]),
            None if self.intercept is None else self.intercept[index],
            selected,
            selected.label_map(self.evaluator.labels.n_labels),
        )

    def _product_weights(self, weights):
        """Dense coefficients, padded with zero rows as the products want them."""
        evaluator = self.evaluator
        rows = _product_rows(weights.shape[0], evaluator.dtype, evaluator.is_sparse)
        return _padded(weights, rows)

    def run(self, block_range, scratch):
        """Loss sums, gradient sums (features) and residual sums over some blocks."""
        evaluator = self.evaluator
        n_problems = len(self.problems)
        loss_sums = np.zeros(n_problems)
        residual_sums = np.zeros(n_problems)
        gradient = scratch.gradient[:n_problems]
        gradient[...] = 0.0
        for block in block_range:
            part = self._parts[evaluator._block_groups[block]]
            if part is None:
                continue
            start, stop = evaluator._blocks[block]
            X_block = evaluator._X_blocks[block]
            n_rows = stop - start
            n_active = len(part.problems)
            margins, temporary, residuals, weight_array = scratch.per_sample(
                n_active, n_rows
            )
            low_precision = scratch.low_precision(n_active, n_rows)
            self._margins(part, X_block, margins, low_precision, scratch)
            positive = part.label_map.positive_pairs(
                *evaluator.labels.entries(start, stop)
            )
            weights = self._weights(part.problems, start, stop, positive, weight_array)
            if part.index is None:
                block_loss, block_residual = loss_sums, residual_sums
            else:
                block_loss, block_residual = np.zeros(n_active), np.zeros(n_active)
            _pointwise(
                margins,
                positive,
                weights,
                temporary,
                residuals,
                block_loss,
                block_residual,
            )
            if part.index is not None:
                loss_sums[part.index] += block_loss
                residual_sums[part.index] += block_residual
            self._add_gradient(
                part, X_block, residuals, low_precision, scratch, gradient
            )
        return loss_sums, gradient, residual_sums

    def _margins(self, part, X_block, margins, low_precision, scratch):
        """Write ``weights @ X_block.T + intercept`` into ``margins`` (float64)."""
        intercept = 0.0 if part.intercept is None else part.intercept
        if sparse.issparse(X_block):
            np.add((X_block @ part.weights).T, intercept, out=margins)
        elif low_precision is None:
            # The padded rows' margins land past the problems' own.
            out = scratch.padded(0, part.weights.shape[0], margins.shape[1])
            np.matmul(part.weights, X_block.T, out=out)
            if part.intercept is not None:
                margins += intercept
        else:
            # One pass converts to float64 and adds the intercept.
            np.matmul(part.weights, X_block.T, out=low_precision[0])
            np.add(low_precision[0], intercept, out=margins)

    def _add_gradient(self, part, X_block, residuals, low_precision, scratch, gradient):
        """Add ``residuals @ X_block`` to the rows of ``part`` in ``gradient``."""
        index = part.index
        n_active, n_rows = residuals.shape
        if low_precision is not None:
            low_precision[1][...] = residuals
            residuals = low_precision[1]
        elif part.weights.shape[0] > n_active and not sparse.issparse(X_block):
            # Zero residuals in the padded rows: their gradient rows stay 0.
            residuals = scratch.padded(2, part.weights.shape[0], n_rows)
            residuals[n_active:] = 0.0
        if sparse.issparse(X_block):
            # The transpose of a CSC block is a CSR matrix whose rows
            # (features) each write one row of the product.
            block_gradient = (X_block.T @ residuals.T).T
        else:
            block_gradient = scratch.block_gradient[: residuals.shape[0]]
            np.matmul(residuals, X_block, out=block_gradient)
            block_gradient = block_gradient[:n_active]
        if index is None:
            gradient += block_gradient
        else:
            gradient[index] += block_gradient

    def _weights(self, problems, start, stop, positive, weight_array):
        """Sample weights times class weights of the block; None for all ones."""
        sample_weight = self.evaluator.sample_weight
        if sample_weight is None and problems.class_weights is None:
            return None
        if sample_weight is None:
            rows = np.ones((1, stop - start))
        elif problems.weight_rows is None:
            rows = sample_weight[:1, start:stop]
        else:
            rows = sample_weight[problems.weight_rows, start:stop]
        if problems.class_weights is None:
            return rows
        # The weight of the rest everywhere, then the label's where it is 1.
        np.multiply(problems.class_weights[:, :1], rows, out=weight_array)
        problem, row = positive
        row_of = problem if rows.shape[0] > 1 else np.zeros_like(problem)
        label_weight = problems.class_weights[problem, 1]
        weight_array[problem, row] = label_weight * rows[row_of, row]
        return weight_array


def _pointwise(
    margins,
    positive,
    weights,
    temporary,
    residuals,
    loss_sums,
    residual_sums,
):
    """Add each problem's weighted losses and residuals to its sums.

    With the sign flipped for positive targets, ``t = (1 - 2 y) z``, the loss
    ``log(1 + exp(z)) - y z`` is ``log(1 + exp(t))`` and the residual
    ``expit(z) - y`` is ``(1 - 2 y) expit(t)``. Both are written with
    ``exp(-|t|)``, in (0, 1], so no margin, however large, overflows or loses
    a small tail probability. The residuals (times the weights) are left in
    ``residuals``; ``margins`` and ``temporary`` are overwritten.

    Parameters
    ----------
    margins : ndarray of shape (n_problems, n_rows)
    positive : tuple of two int arrays
        (problem, row) of the entries whose target is 1.
    weights : ndarray of shape (n_problems, n_rows) or (1, n_rows), or None
    temporary, residuals : ndarray of shape (n_problems, n_rows)
    loss_sums, residual_sums : ndarray of shape (n_problems,)
        Sums the block's values are added to.
    """
    margins[positive] *= -1.0
    # The passes run on parts that stay in cache from one pass to the next;
    # each part is contiguous in memory (problems x samples, or the
    # transpose for sparse X).
    by_problems = margins.strides[1] < margins.strides[0]
    n_parts = -(-margins.size // _POINTWISE_ENTRIES)
    axis_length = margins.shape[0 if by_problems else 1]
    step = -(-axis_length // n_parts)
    parts = []
    for start in range(0, axis_length, step):
        part = slice(start, start + step)
        index = (part, slice(None)) if by_problems else (slice(None), part)
        if weights is None:
            part_weights = None
        elif weights.shape[0] == 1:
            part_weights = weights[:, index[1]]
        else:
            part_weights = weights[index]
        parts.append((margins[index], part_weights, temporary[index], residuals[index]))
    sums = [_pointwise_part(*part) for part in parts]
    for start, (loss, residual_sum) in zip(
        range(0, axis_length, step), sums, strict=True
    ):
        if by_problems:
            loss_sums[start : start + step] += loss
            residual_sums[start : start + step] += residual_sum
        else:
            loss_sums += loss
            residual_sums += residual_sum
    # The residuals of positive targets take their sign now; the sums above
    # had them with the other sign.
    problem, _ = positive
    flipped = residuals[positive]
    residual_sums -= 2 * np.bincount(problem, flipped, minlength=residual_sums.size)
    residuals[positive] = -flipped


def _pointwise_part(signed_margins, weights, temporary, residuals):
    exp_minus_abs = temporary
    np.abs(signed_margins, out=exp_minus_abs)
    np.negative(exp_minus_abs, out=exp_minus_abs)
    np.exp(exp_minus_abs, out=exp_minus_abs)
    # log(1 + exp(t)) = log1p(exp(-|t|)) + max(t, 0)
    np.log1p(exp_minus_abs, out=residuals)
    loss = _row_sums(residuals, weights)
    np.maximum(signed_margins, 0.0, out=residuals)
    loss += _row_sums(residuals, weights)
    # expit(t) = exp(min(t, 0)) / (1 + exp(-|t|)), where exp(min(t, 0)) is
    # exp(-|t|) for t < 0 and 1 otherwise: max(exp(-|t|), [t >= 0]), without
    # a second exp.
    np.greater_equal(signed_margins, 0.0, out=residuals, casting="unsafe")
    np.maximum(residuals, exp_minus_abs, out=residuals)
    exp_minus_abs += 1.0
    residuals /= exp_minus_abs
    if weights is not None:
        residuals *= weights
    return loss, _row_sums(residuals, None)


def _row_sums(values, weights):
    if weights is None:
        return values.sum(axis=1)
    if weights.shape[0] == 1:
        return values @ weights[0]
    return np.einsum("ij,ij->i", values, weights)


def loss_and_gradient(coef, evaluator, problems, weight_sums, l2_reg_strength):
    """Objective values and gradients of a batch of binary logistic problems.

    Parameters
    ----------
    coef : ndarray of shape (n_problems, n_features + fit_intercept), float64
        One row of coefficients per problem, the intercept last.
    evaluator : RowBlockEvaluator
        The data, cut into blocks of rows.
    problems : Problems
        The problems.
    weight_sums : ndarray of shape (n_problems,)
        ``S`` of each problem (see :func:`weight_sums`).
    l2_reg_strength : ndarray of shape (n_problems,)
        ``1 / (C * S)`` of each problem; zero for no penalty.

    Returns
    -------
    loss : ndarray of shape (n_problems,)
        Objective value of each problem.
    gradient : ndarray of shape (n_problems, n_features + fit_intercept)
        Gradient of each problem's objective with respect to its coefficients.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ovr_logit._loss import (
    ...     Labels, Problems, RowBlockEvaluator, loss_and_gradient
    ... )
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> labels = Labels.from_codes(np.array([0, 0, 1]), n_labels=2)
    >>> evaluator = RowBlockEvaluator(X, labels, None, 1, fit_intercept=True)
    >>> loss, gradient = loss_and_gradient(
    ...     np.zeros((1, 2)), evaluator, Problems(np.array([1])),
    ...     np.array([3.0]), np.array([0.0]),
    ... )
    >>> loss  # log(2) at w = 0
    array([0.69314718])
    """
    n_features = evaluator.n_features
    loss, gradient = evaluator.weighted_sums(coef, problems)
    loss /= weight_sums
    gradient /= weight_sums[:, np.newaxis]
    weights = coef[:, :n_features]
    loss += 0.5 * l2_reg_strength * np.einsum("ij,ij->i", weights, weights)
    gradient[:, :n_features] += l2_reg_strength[:, np.newaxis] * weights
    return loss, gradient
