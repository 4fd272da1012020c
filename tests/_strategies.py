"""Hypothesis strategies and an independent oracle for the property tests.

Two halves:

- **Strategies** draw small classification problems: a few to 60 samples, 1 to
  8 features, 2 to 5 classes named by ints, negative ints or strings, optional
  sample weights (zeros included), and estimator parameters. Feature values
  come from a numpy generator seeded by hypothesis, while their *structure*
  (column kinds, scales, duplicated rows, how labels follow the features) is
  drawn by hypothesis itself, so that the edge cases it is good at finding
  (constant or duplicated columns, repeated rows, a class with one sample,
  zero weights) are drawn on purpose. Feature values are always exactly
  representable in float32, so a float32 and a float64 copy of ``X`` hold the
  same numbers.
- **Oracle**: the objective, gradient and Hessian of one binary problem in
  plain float64 numpy, written from the formula in the estimators' docstrings
  and never from ``sklearn_ovr_logit._loss``; its exact optimum by Newton's
  method (:func:`solve`); and the check that a fitted solution reaches that
  optimum to the accuracy L-BFGS-B can reach at the problem's condition
  number (:func:`assert_near_optimum`), with the bounds on coefficients and
  outputs that follow.
"""

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from _shared import TIGHT_TOL
from hypothesis import strategies as st
from scipy.special import expit

EPS = np.finfo(np.float64).eps

MAX_SAMPLES = 60
MAX_FEATURES = 8
MAX_CLASSES = 5

# --------------------------------------------------------------------------
# Data sets
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    """A drawn classification problem.

    ``X`` is float64 and every value is exactly a float32, ``y`` holds the
    labels (or a 0/1 indicator matrix for multilabel problems) and
    ``sample_weight`` is None or non-negative float64.
    """

    X: np.ndarray
    y: np.ndarray
    sample_weight: np.ndarray | None = None
    # Rows whose weight must stay positive for the optimum to stay unique and
    # finite (see `datasets`); None means no constraint.
    protected: np.ndarray | None = None

    @property
    def n_samples(self):
        return self.X.shape[0]

    @property
    def n_features(self):
        return self.X.shape[1]

    @property
    def classes(self):
        return np.unique(self.y)

    def weights_or_ones(self):
        if self.sample_weight is None:
            return np.ones(self.n_samples)
        return self.sample_weight

    def take(self, rows):
        """The samples ``rows`` (an index array), in that order."""
        weight = None if self.sample_weight is None else self.sample_weight[rows]
        protected = None if self.protected is None else self.protected[rows]
        return Dataset(self.X[rows], self.y[rows], weight, protected)

    def with_weights(self, sample_weight):
        return Dataset(self.X, self.y, sample_weight, self.protected)


COLUMN_KINDS = ("gaussian", "gaussian", "integer", "binary", "sparse", "constant")


def _draw_columns(draw, rng, n_rows, n_features, *, scales):
    """Feature values of ``n_rows`` rows; column kinds and scales are drawn."""
    X = np.empty((n_rows, n_features))
    for j in range(n_features):
        kind = draw(st.sampled_from((*COLUMN_KINDS, "copy")), label=f"column {j}")
        scale = draw(st.sampled_from(scales), label=f"scale {j}")
        if kind == "copy" and j > 0:  # an exactly collinear column
            X[:, j] = X[:, rng.integers(j)] * draw(st.sampled_from([1.0, -2.0]))
            continue
        if kind == "integer":
            values = rng.integers(-3, 4, size=n_rows).astype(np.float64)
        elif kind == "binary":
            values = rng.integers(0, 2, size=n_rows).astype(np.float64)
        elif kind == "sparse":
            values = rng.normal(size=n_rows) * (rng.random(n_rows) < 0.25)
        elif kind == "constant":
            values = np.full(n_rows, draw(st.sampled_from([0.0, 1.0, -0.5])))
        else:
            values = rng.normal(size=n_rows)
        X[:, j] = values * scale
    return X


LABELLINGS = ("random", "noisy linear", "linear")


def _draw_labels_indices(draw, rng, X, n_classes, labellings=LABELLINGS):
    """Class indices 0..n_classes-1 following the drawn labelling scheme."""
    n_samples, n_features = X.shape
    labelling = draw(st.sampled_from(labellings), label="labelling")
    if labelling == "random":
        return rng.integers(n_classes, size=n_samples)
    coef = rng.normal(size=(n_features, n_classes))
    scale = np.abs(X).max(axis=0)
    scale[scale == 0] = 1.0
    scores = (X / scale) @ coef + rng.normal(size=n_classes)
    if labelling == "noisy linear":
        scores = scores + rng.gumbel(size=scores.shape)
    # "linear": linearly separable (before classes are forced to appear below).
    return np.argmax(scores, axis=1)


def _draw_weights(draw, rng, n_samples, *, allow_zero=True):
    kind = draw(
        st.sampled_from(["none", "ones", "integers", "floats", "floats and zeros"]),
        label="sample_weight kind",
    )
    if kind == "none":
        return None
    if kind == "ones":
        return np.ones(n_samples)
    if kind == "integers":
        low = 0 if allow_zero else 1
        return rng.integers(low, 4, size=n_samples).astype(np.float64)
    weights = rng.uniform(0.1, 10.0, size=n_samples)
    if kind == "floats and zeros" and allow_zero:
        weights[rng.random(n_samples) < 0.3] = 0.0
    return weights


@st.composite
def class_names(draw, n_classes):
    """``n_classes`` distinct labels: ints, negative ints or strings."""
    kind = draw(st.sampled_from(["int", "negative int", "str", "object str"]))
    if kind == "int":
        elements = st.integers(-(10**6), 10**6)
    elif kind == "negative int":
        elements = st.integers(-(2**62), -1)
    else:
        # numpy's fixed-width strings drop trailing NUL characters, so
        # "a" and "a\x00" would be one label: leave NUL out.
        elements = st.text(
            alphabet=st.characters(
                exclude_characters="\x00", exclude_categories=("Cs",)
            ),
            max_size=4,
        )
    names = draw(
        st.lists(elements, min_size=n_classes, max_size=n_classes, unique=True)
    )
    return np.array(names, dtype=object if kind == "object str" else None)


@st.composite
def datasets(
    draw,
    *,
    min_classes=2,
    max_classes=MAX_CLASSES,
    weights=True,
    allow_zero_weight=True,
    well_posed=False,
    scales=(0.1, 1.0, 10.0),
    labellings=LABELLINGS,
    max_samples=MAX_SAMPLES,
):
    """A single-label classification problem with every class present.

    Every class has at least one sample of positive weight, so with a finite
    C every one-vs-rest (and binary) problem has a unique, finite optimum.

    With ``well_posed=True`` every problem is non-separable, so that the
    unpenalised one (``C=np.inf``) has a unique optimum too and a huge C
    does not push the optimum out into the flat tails of the loss: a block
    of rows in general position, each repeated once with every class at a
    positive weight, makes every problem non-separable in every direction,
    since any direction ``v`` with ``y_i x_i^T v >= 0`` for all ``i`` must
    then have ``x^T v = 0`` on the block, so ``v = 0`` (the block has full
    column rank, intercept included). Rows added to such a problem keep it
    so.
    """
    n_classes = draw(st.integers(min_classes, max_classes), label="n_classes")
    n_features = draw(st.integers(1, MAX_FEATURES), label="n_features")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    if well_posed:
        n_block = draw(
            st.integers(n_features + 1, max(n_features + 1, max_samples // n_classes)),
            label="rows in every class",
        )
        n_free_max = max_samples - n_block * n_classes
    else:
        n_block = 0
        n_free_max = max_samples
    n_free = draw(
        st.integers(0 if well_posed else n_classes, max(n_free_max, 0)),
        label="n_samples (free)",
    )

    n_distinct = n_free
    if n_free > 2 and draw(st.booleans(), label="repeated rows"):
        n_distinct = draw(st.integers(1, n_free - 1), label="distinct rows")
    X = _draw_columns(draw, rng, n_distinct, n_features, scales=scales)
    if n_distinct < n_free:
        X = X[
            np.concatenate(
                [
                    np.arange(n_distinct),
                    rng.integers(n_distinct, size=n_free - n_distinct),
                ]
            )
        ]
    labels = np.empty(0, dtype=int)
    if n_free:
        labels = _draw_labels_indices(draw, rng, X, n_classes, labellings)
    protected = np.zeros(n_free, dtype=bool)
    if not well_posed:
        # Every class appears, on rows that get a positive weight below.
        forced = rng.choice(n_free, size=n_classes, replace=False)
        labels[forced] = np.arange(n_classes)
        protected[forced] = True
    sample_weight = None
    if weights:
        sample_weight = _draw_weights(draw, rng, n_free, allow_zero=allow_zero_weight)
        if sample_weight is not None and not well_posed:
            sample_weight[forced] = np.maximum(sample_weight[forced], 1.0)

    if well_posed:
        scale = draw(st.sampled_from(scales), label="block scale")
        block = rng.normal(size=(n_block, n_features)) * scale
        X = np.vstack([np.tile(block, (n_classes, 1)), X])
        labels = np.concatenate([np.repeat(np.arange(n_classes), n_block), labels])
        protected = np.concatenate([np.ones(n_block * n_classes, bool), protected])
        if sample_weight is not None:
            block_weight = rng.uniform(0.5, 2.0, size=n_block * n_classes)
            if np.all(sample_weight == np.round(sample_weight)):
                block_weight = np.round(block_weight * 2)  # integers 1..4
            sample_weight = np.concatenate([block_weight, sample_weight])
        order = rng.permutation(X.shape[0])
        X, labels, protected = X[order], labels[order], protected[order]
        if sample_weight is not None:
            sample_weight = sample_weight[order]

    names = draw(class_names(n_classes))
    X = X.astype(np.float32).astype(np.float64)
    return Dataset(X, names[labels], sample_weight, protected)


def binary_datasets(**kwargs):
    """Two-class problems (see :func:`datasets`)."""
    return datasets(min_classes=2, max_classes=2, **kwargs)


@st.composite
def multilabel_datasets(draw, *, weights=True):
    """A 0/1 indicator matrix of 2 to 5 labels; a column may be constant."""
    n_labels = draw(st.integers(2, MAX_CLASSES), label="n_labels")
    n_samples = draw(st.integers(2, MAX_SAMPLES), label="n_samples")
    n_features = draw(st.integers(1, MAX_FEATURES), label="n_features")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    X = _draw_columns(draw, rng, n_samples, n_features, scales=(0.1, 1.0, 10.0))
    frequencies = draw(
        st.lists(
            st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]),
            min_size=n_labels,
            max_size=n_labels,
        ),
        label="label frequencies",
    )
    Y = (rng.random((n_samples, n_labels)) < np.array(frequencies)).astype(np.int64)
    # Labels that are not constant appear on both sides with a positive weight.
    sample_weight = _draw_weights(draw, rng, n_samples) if weights else None
    if sample_weight is not None:
        for k in range(n_labels):
            for value in (0, 1):
                rows = np.flatnonzero(Y[:, k] == value)
                if rows.size and not np.any(sample_weight[rows] > 0):
                    sample_weight[rows[0]] = 1.0
    X = X.astype(np.float32).astype(np.float64)
    return Dataset(X, Y, sample_weight)


# --------------------------------------------------------------------------
# Parameters and input formats
# --------------------------------------------------------------------------

# C over its whole drawn range, log-uniform plus the ends and the default.
finite_C = st.one_of(
    st.sampled_from([1e-3, 1.0, 1e6]),
    st.floats(-3.0, 6.0).map(lambda exponent: float(10.0**exponent)),
)
any_C = st.one_of(finite_C, st.just(math.inf))


def class_weights(labels):
    """None, "balanced" or a dict of positive weights over ``labels``."""
    weight = st.floats(0.1, 10.0)
    dicts = st.fixed_dictionaries({plain_label(label): weight for label in labels})
    return st.one_of(st.none(), st.just("balanced"), dicts)


def plain_label(label):
    """A numpy scalar as the plain Python value a user would type as a key."""
    return label.item() if isinstance(label, np.generic) else label


FORMATS = ("dense", "fortran", "csr_matrix", "csc_matrix", "csr_array")
SPARSE_FORMATS = ("csr_matrix", "csc_matrix", "csr_array")
formats = st.sampled_from(FORMATS)
dtypes = st.sampled_from([np.float64, np.float32])


def as_input(X, fmt="dense", dtype=np.float64):
    """``X`` in the layout ``fmt`` and the floating dtype ``dtype``."""
    X = np.asarray(X, dtype=dtype)
    if fmt == "dense":
        return np.ascontiguousarray(X)
    if fmt == "fortran":
        return np.asfortranarray(X)
    if fmt == "csr_matrix":
        return sp.csr_matrix(X)
    if fmt == "csc_matrix":
        return sp.csc_matrix(X)
    if fmt == "csr_array":
        return sp.csr_array(X)
    raise ValueError(fmt)


# --------------------------------------------------------------------------
# The independent oracle
# --------------------------------------------------------------------------


def binary_weights(y01, sample_weight, class_weight, names=(0, 1)):
    """Per-sample weights ``s_i`` of a binary problem, class weights included.

    ``y01`` says which samples are in the positive class ``names[1]``.
    "balanced" gives class ``c`` the weight ``S / (2 S_c)``, ``S_c`` being the
    summed sample weight of the class, as scikit-learn's
    ``compute_class_weight`` does with sample weights.
    """
    y01 = np.asarray(y01, dtype=bool)
    s = np.ones(y01.shape[0]) if sample_weight is None else np.array(sample_weight)
    if class_weight is None:
        return s
    if class_weight == "balanced":
        per_class = [s.sum() / (2 * s[y01 == side].sum()) for side in (False, True)]
    else:
        per_class = [class_weight[plain_label(name)] for name in names]
    return s * np.where(y01, per_class[1], per_class[0])


@dataclass(frozen=True)
class Problem:
    """One binary problem: ``f(w, b)`` of the estimators' docstring.

    ``theta`` is ``(w, b)`` with ``fit_intercept`` and ``w`` alone without.
    """

    X: np.ndarray  # float64, dense
    y: np.ndarray  # 0/1 float64
    s: np.ndarray  # per-sample weights, class weights included
    C: float
    fit_intercept: bool

    @classmethod
    def make(cls, X, y01, s, C, fit_intercept):
        X = X.toarray() if sp.issparse(X) else X
        return cls(
            np.asarray(X, dtype=np.float64),
            np.asarray(y01, dtype=np.float64),
            np.asarray(s, dtype=np.float64),
            float(C),
            bool(fit_intercept),
        )

    @property
    def S(self):
        return self.s.sum()

    @property
    def l2(self):
        """``1 / (C S)``, the L2 strength; 0 without penalty."""
        return 0.0 if math.isinf(self.C) else 1.0 / (self.C * self.S)

    @property
    def X1(self):
        """The design matrix with the intercept column when there is one."""
        if self.fit_intercept:
            return np.hstack([self.X, np.ones((self.X.shape[0], 1))])
        return self.X

    def split(self, theta):
        theta = np.asarray(theta, dtype=np.float64)
        d = self.X.shape[1]
        return theta[:d], (theta[d] if self.fit_intercept else 0.0)

    def margins(self, theta):
        w, b = self.split(theta)
        return self.X @ w + b

    def penalty_mask(self):
        mask = np.ones(self.X.shape[1] + self.fit_intercept)
        if self.fit_intercept:
            mask[-1] = 0.0
        return mask

    def objective(self, theta):
        w, _ = self.split(theta)
        z = self.margins(theta)
        loss = np.sum(self.s * (np.logaddexp(0.0, z) - self.y * z)) / self.S
        return loss + 0.5 * self.l2 * (w @ w)

    def gradient(self, theta):
        z = self.margins(theta)
        residual = self.s * (expit(z) - self.y) / self.S
        return self.X1.T @ residual + self.l2 * self.penalty_mask() * theta

    def hessian(self, theta):
        p = expit(self.margins(theta))
        curvature = self.s * p * (1.0 - p) / self.S
        X1 = self.X1
        return (X1.T * curvature) @ X1 + np.diag(self.l2 * self.penalty_mask())

    def gradient_rounding(self, theta):
        """A bound on the float64 rounding error of :meth:`gradient`, per entry.

        Standard dot-product bounds, ``gamma_k = k eps``: the margins carry
        ``gamma_(d+1) |X1| |theta|``, which moves ``expit`` by at most a
        quarter of it, and the sums over samples add ``gamma_(n+2)`` times
        the sum of absolute terms.
        """
        theta = np.asarray(theta, dtype=np.float64)
        n, d1 = self.X1.shape
        z = self.margins(theta)
        abs_X1 = np.abs(self.X1)
        margin_error = (d1 + 1) * EPS * (abs_X1 @ np.abs(theta))
        terms = self.s * (np.abs(expit(z) - self.y) + 0.25 * margin_error) / self.S
        return (n + 4) * EPS * (abs_X1.T @ terms) + 2 * EPS * self.l2 * np.abs(theta)

    def float32_gradient_error(self, theta):
        """A bound on how far the gradient an estimator computes from float32
        ``X`` can be from the exact gradient, per entry.

        The estimators keep float32 ``X`` as it is and run its products in
        float32 (documented): the margins ``X @ w`` (``w`` rounded to float32
        first) carry ``(d + 1) u |X| |w|``, ``u = 2^-24`` the float32 unit
        roundoff, which moves each residual by at most a quarter of it; the
        residuals are rounded to float32 and ``X.T @ r`` adds
        ``(n + 2) u |X|^T |r|``. The intercept's entry is summed in float64
        and sees only the margin error.
        """
        theta = np.asarray(theta, dtype=np.float64)
        unit = 2.0**-24
        n, d = self.X.shape
        w, _ = self.split(theta)
        abs_X = np.abs(self.X)
        margin_error = (d + 1) * unit * (abs_X @ np.abs(w))
        residual = self.s * np.abs(expit(self.margins(theta)) - self.y) / self.S
        moved = self.s * 0.25 * margin_error / self.S
        error = (n + 2) * unit * (abs_X.T @ (residual + moved)) + abs_X.T @ moved
        if self.fit_intercept:
            error = np.append(error, moved.sum())
        return error

    def objective_rounding(self, theta):
        """A bound on the float64 rounding error of :meth:`objective`."""
        theta = np.asarray(theta, dtype=np.float64)
        n, d1 = self.X1.shape
        z = self.margins(theta)
        abs_terms = np.abs(np.logaddexp(0.0, z)) + np.abs(self.y * z)
        margin_error = (d1 + 1) * EPS * (np.abs(self.X1) @ np.abs(theta))
        loss = np.sum(self.s * ((n + 4) * EPS * abs_terms + 2 * margin_error))
        w, _ = self.split(theta)
        return loss / self.S + (d1 + 2) * EPS * self.l2 * (w @ w)


def estimator_theta(estimator, fit_intercept):
    """``(w, b)`` (or ``w``) of a fitted binary estimator, as float64."""
    coef = np.asarray(estimator.coef_, dtype=np.float64).ravel()
    if not fit_intercept:
        return coef
    return np.append(coef, np.asarray(estimator.intercept_, dtype=np.float64).ravel())


# L-BFGS-B's relative-reduction stopping rule, the same as scikit-learn's:
# it stops once an iteration lowers f by at most FTOL * max(|f|, 1).
FTOL = 64 * EPS


# Safety factor on the estimates below (the accuracy an L-BFGS-B run can
# reach, and the curvature between two points sampled at a few places).
SAFETY = 2.0


@dataclass
class Optimum:
    """The exact optimum of a :class:`Problem`, found by Newton's method."""

    theta: np.ndarray
    objective: float
    hessian: np.ndarray
    hessian_factor: tuple
    smallest: float  # lambda_min of the Hessian at the optimum
    condition: float  # lambda_max / lambda_min


def solve(problem):
    """Minimise ``problem`` with damped Newton steps, to float64 accuracy.

    Independent of the code under test and of L-BFGS-B: full Newton steps on
    at most 9 parameters, backtracking until the objective stops decreasing
    in float64. Quadratic convergence makes the result exact to rounding.
    """
    theta = np.zeros(problem.X1.shape[1])
    value = problem.objective(theta)
    for _ in range(1000):
        gradient = problem.gradient(theta)
        hessian = problem.hessian(theta)
        try:
            step = scipy.linalg.cho_solve(scipy.linalg.cho_factor(hessian), gradient)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        decrement = gradient @ step
        if not decrement > 0:
            break
        t = 1.0
        while t > 1e-12:
            candidate = theta - t * step
            candidate_value = problem.objective(candidate)
            if candidate_value < value - 1e-4 * t * decrement:
                break
            t /= 2
        else:
            break
        theta, value = candidate, candidate_value
        if decrement < 1e-28 * max(abs(value), 1.0):
            break
    hessian = problem.hessian(theta)
    try:
        factor = scipy.linalg.cho_factor(hessian)
    except np.linalg.LinAlgError as error:  # a bug in the strategies, not the code
        raise AssertionError(
            "The test drew a problem without a unique optimum (singular Hessian)."
        ) from error
    eigenvalues = scipy.linalg.eigvalsh(hessian)
    smallest = eigenvalues[0]
    return Optimum(theta, value, hessian, factor, smallest, eigenvalues[-1] / smallest)


def float32_objective_error(problem, theta):
    """A bound on how far an objective computed from float32 ``X`` (float32
    margins, ``(d + 1) u |X| |w|`` each) is from the exact one: the loss has
    slope at most 1 in each margin."""
    w, _ = problem.split(theta)
    unit = 2.0**-24
    margin_error = (problem.X.shape[1] + 1) * unit * (np.abs(problem.X) @ np.abs(w))
    return float(problem.s @ margin_error / problem.S)


def segment_curvatures(problem, optimum, theta):
    """The Hessian's extremes along the segment from ``theta*`` to ``theta``
    (sampled at 9 points): the largest eigenvalue ``L`` anywhere on it, and
    ``mu``, the smallest curvature in the segment's own direction (the
    smallest eigenvalue of the Hessian at the optimum if ``theta`` is it)."""
    delta = np.asarray(theta, dtype=np.float64) - optimum.theta
    norm = np.linalg.norm(delta)
    hessians = [
        problem.hessian(optimum.theta + t * delta) for t in np.linspace(0, 1, 9)
    ]
    largest = max(
        scipy.linalg.eigvalsh(h, subset_by_index=[len(h) - 1] * 2)[0] for h in hessians
    )
    if norm == 0:
        return largest, optimum.smallest
    direction = delta / norm
    smallest = min(direction @ h @ direction for h in hessians)
    return largest, smallest


def attainable_gap(problem, optimum, theta, *, tol=TIGHT_TOL, float32=False):
    """How far above the optimum an L-BFGS-B run may legitimately stop at
    ``theta``.

    With ``mu`` the smallest curvature on the segment from ``theta*`` to
    ``theta`` in its own direction and ``L`` the largest on it
    (:func:`segment_curvatures`), convexity gives ``f - f* <= ||g||^2 /
    (2 mu)`` at ``theta``, and a step at least as good as steepest descent
    with an exact line search lowers ``f`` by at least ``||g||^2 / (2 L)``.
    L-BFGS-B stops on whichever of two rules fires first:

    - the gradient rule, ``|g|`` at most ``tol`` in every entry:
      ``f - f* <= (d + 1) tol^2 / (2 mu)``;
    - the relative-reduction rule, an iteration lowering ``f`` by at most
      ``FTOL max(|f|, 1)``: ``f - f* <= (L / mu) FTOL max(|f|, 1)``.

    The bound is ``SAFETY`` times the larger of the two, plus the rounding
    error of evaluating ``f``. For float32 ``X`` the estimator evaluates
    ``f`` with float32 margins and its gradient with float32 products: the
    gradient it sees may be off by :meth:`Problem.float32_gradient_error`
    and each value of ``f`` by :func:`float32_objective_error`, counted
    twice (before and after a step) in the reduction rule. This is the
    tolerance "derived from the problem's conditioning": about
    ``(L / mu) 3e-14`` relative at ``tol=1e-10``, which the strategies'
    well-conditioned problems keep near 1e-12 and which grows only where
    the data barely determine the optimum (huge C, nearly separable data).
    """
    largest, smallest = segment_curvatures(problem, optimum, theta)
    smallest = max(smallest, optimum.smallest * EPS)
    reference = optimum.theta
    noise = float32_objective_error(problem, reference) if float32 else 0.0
    stop = FTOL * max(abs(optimum.objective), 1.0) + 2 * noise
    reduction_rule = largest / smallest * stop
    gradient = np.full(reference.shape, tol)
    if float32:
        gradient = gradient + problem.float32_gradient_error(reference)
    gradient_rule = (gradient @ gradient) / (2 * smallest)
    slack = SAFETY * max(reduction_rule, gradient_rule)
    return slack + 2 * problem.objective_rounding(reference)


@dataclass
class Closeness:
    """How close a fitted point is to the optimum."""

    gap: float  # f(theta) - f*, at least 0
    distance: float  # bound on ||theta - theta*|| in the norm of the Hessian at theta*


def closeness(problem, optimum, theta):
    """How far ``theta`` is above and away from the optimum.

    The distance bound: along the segment from ``theta*`` to ``theta`` the
    Hessian is at least ``c H*`` (``c`` the smallest generalised eigenvalue,
    sampled at 9 points, times ``1 / SAFETY``), so
    ``f - f* >= c/2 ||theta - theta*||^2_H*``.
    """
    theta = np.asarray(theta, dtype=np.float64)
    gap = problem.objective(theta) - optimum.objective
    delta = theta - optimum.theta
    curvature = min(
        scipy.linalg.eigh(
            problem.hessian(optimum.theta + t * delta),
            optimum.hessian,
            eigvals_only=True,
            subset_by_index=[0, 0],
        )[0]
        for t in np.linspace(0.0, 1.0, 9)
    )
    slack = max(gap, 0.0) + 2 * problem.objective_rounding(theta)
    distance = np.sqrt(2 * SAFETY * slack / max(curvature, EPS))
    return Closeness(max(gap, 0.0), float(distance))


def assert_near_optimum(problem, optimum, theta, what="", **kwargs):
    """Assert that ``theta`` is the optimum of ``problem`` to the accuracy an
    L-BFGS-B run can reach (:func:`attainable_gap`, which takes ``kwargs``);
    return its :func:`closeness`."""
    theta = np.asarray(theta, dtype=np.float64)
    value = problem.objective(theta)
    gap = value - optimum.objective
    allowed = attainable_gap(problem, optimum, theta, **kwargs)
    assert gap <= allowed, (
        f"{what}: objective {value!r} is {gap:.3g} above the optimum "
        f"{optimum.objective!r}, more than the {allowed:.3g} L-BFGS-B may leave "
        f"at condition number {optimum.condition:.3g} (smallest curvature "
        f"{optimum.smallest:.3g}); theta={theta!r}, optimum={optimum.theta!r}"
    )
    return closeness(problem, optimum, theta)


def margin_bounds(optimum, distance, X):
    """Bounds on how much the margins of the rows of ``X`` can move when the
    parameters move by ``distance`` in the norm of the Hessian ``H*`` at the
    optimum: ``|x1^T delta| <= sqrt(x1^T H*^-1 x1) ||delta||_H*``
    (Cauchy-Schwarz), plus the rounding error of computing a margin.
    """
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    d = X.shape[1]
    X1 = X
    if optimum.theta.shape[0] == d + 1:
        X1 = np.hstack([X, np.ones((X.shape[0], 1))])
    solved = scipy.linalg.cho_solve(optimum.hessian_factor, X1.T)
    leverage = np.sqrt(np.maximum(np.einsum("ij,ji->i", X1, solved), 0.0))
    rounding = 4 * (d + 2) * EPS * (np.abs(X1) @ np.abs(optimum.theta))
    return leverage * distance + rounding


def assert_same_optimum(problem, theta_a, theta_b, what="", *, float32_a=False):
    """Assert that two fits (at ``TIGHT_TOL``) of equivalent problems both
    reach the optimum of ``problem`` (:func:`assert_near_optimum`); return the
    optimum and a bound on the distance between the two in the norm of its
    Hessian.

    ``float32_a`` says that ``theta_a`` was fitted on float32 ``X``.
    """
    optimum = solve(problem)
    a = assert_near_optimum(problem, optimum, theta_a, f"{what} (a)", float32=float32_a)
    b = assert_near_optimum(problem, optimum, theta_b, f"{what} (b)")
    return optimum, a.distance + b.distance
