"""Property-based tests of BinaryLogisticRegression and OneVsRestClassifier.

Each test checks one of the invariances listed below, for the binary
estimator, the meta-estimator or both; the number in each test's docstring
refers to this list.

1. Reordering the samples leaves the solution unchanged.
2. Renaming the classes permutes the estimators and the outputs.
3. An integer sample weight equals repeating the sample; weight zero equals
   dropping it.
4. Multiplying all sample weights by ``c`` equals multiplying ``C`` by ``c``.
5. ``class_weight`` equals the matching ``sample_weight``, on the binary
   estimator and, keyed on the original labels, on the meta-estimator.
6. The outputs are consistent probabilities, predictions and scores.
7. At convergence the gradient is below ``tol``; the objective is never above
   scikit-learn's by more than a stated slack.
8. The fast and the generic path of the meta-estimator agree.
9. Dense and sparse, float32 and float64 ``X`` agree.
10. Multilabel: each label's estimator is the binary fit on that column.
11. Warm start from a converged solution stays put.
12. Separable data, huge ``C``, features up to 1e6: no NaN, no overflow.
13. An all-zero feature gets a zero coefficient and changes no prediction.
14. ``clone``, ``pickle`` and ``get_params``/``set_params`` preserve behaviour.

How solutions are compared. Two fits of equivalent problems run at
``tol=1e-10`` and each is compared with the exact optimum of the problem,
which the test finds itself by Newton's method on an objective written from
the docstring formula (``_strategies.solve``): its objective must be within
what L-BFGS-B's stopping rule can leave on a problem of that condition number
``kappa``, about ``kappa * 1.4e-14`` relative (``_strategies.attainable_gap``;
1e-12 relative or better on a well-conditioned problem, looser only where the
optimum itself is ill-determined). Coefficients and outputs are then bounded
by the distance this allows, measured in the norm of the Hessian at the
optimum (``_strategies.margin_bounds``). Where C is drawn above 1e3 or as
``np.inf`` the data get a block that makes every problem non-separable (see
``WELL_POSED_ABOVE``); without it, separable data have no optimum (C=inf) or
one no L-BFGS-B run pins down (huge C), and two fits end apart. The
comparisons fit float64 ``X`` (dense or sparse as drawn); float32 ``X`` is
drawn in tests 6, 7, 9 and 12.

Tests that found a bug keep the falsifying example as an ``@example``, with a
comment saying what is wrong.

Run harder with ``HYPOTHESIS_PROFILE=dev python -m pytest tests/test_properties.py``.
"""

import math
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _shared import TIGHT
from _strategies import (
    SPARSE_FORMATS,
    Dataset,
    Problem,
    any_C,
    as_input,
    assert_near_optimum,
    assert_same_optimum,
    attainable_gap,
    binary_datasets,
    binary_weights,
    class_names,
    class_weights,
    closeness,
    datasets,
    dtypes,
    estimator_theta,
    finite_C,
    formats,
    margin_bounds,
    multilabel_datasets,
    plain_label,
    solve,
)
from hypothesis import assume, event, example, given
from hypothesis import strategies as st
from scipy.special import expit
from sklearn import config_context
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier

# Tight enough that two equivalent problems reach the same optimum to float64
# accuracy; L-BFGS-B then stops on its relative-reduction rule.


# Above this C (and at C=inf) the problems compared in tests 1-5, 7-9, 11 and
# 13 get a block of rows that makes them non-separable (_strategies.datasets).
# Separable data with a huge C have an optimum only thanks to the vanishing
# penalty, out in the exponentially flat tails of the loss (objective ~1e-9),
# where L-BFGS-B stops on its relative-reduction rule wherever its last step
# happened to take it: no run pins that optimum down, so two equivalent fits
# cannot be expected to agree. Tests 6, 7 (gradient), 12 and 14 draw any C.
WELL_POSED_ABOVE = 1e3


class GenericBinary(BinaryLogisticRegression):
    """Our estimator under another type: the meta-estimator's generic path."""


PATHS = ("fast", "pipeline", "subclass")
GENERIC_PATHS = ("pipeline", "subclass")

# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def fit_quietly(estimator, X, y, sample_weight=None):
    """Fit, ignoring ConvergenceWarning and constant-label warnings.

    At ``tol=1e-10`` L-BFGS-B may end in a line search that cannot decrease
    the objective any more in float64; the comparison with the exact optimum
    checks the accuracy actually reached instead.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message="Label .* is present in all")
        if sample_weight is None:
            return estimator.fit(X, y)
        return estimator.fit(X, y, sample_weight=sample_weight)


def binary(params, **extra):
    return BinaryLogisticRegression(**{**params, **extra})


def make_ovr(path, params, **extra):
    """A OneVsRestClassifier taking the `path` (build under metadata routing)."""
    base_type = GenericBinary if path == "subclass" else BinaryLogisticRegression
    base = base_type(**{**params, **extra}).set_fit_request(sample_weight=True)
    return OneVsRestClassifier(make_pipeline(base) if path == "pipeline" else base)


def fit_ovr(path, params, X, y, sample_weight=None, **extra):
    """Fit a OneVsRestClassifier, sample weights routed to the base estimator."""
    with config_context(enable_metadata_routing=True):
        return fit_quietly(make_ovr(path, params, **extra), X, y, sample_weight)


def binary_of(estimator):
    """The BinaryLogisticRegression inside one of ``estimators_``."""
    return estimator[-1] if isinstance(estimator, Pipeline) else estimator


def thetas(model, fit_intercept):
    return [estimator_theta(binary_of(e), fit_intercept) for e in model.estimators_]


def binary_problem(dataset, params, X=None):
    """The binary problem a BinaryLogisticRegression(**params) fit solves."""
    classes = dataset.classes
    y01 = dataset.y == classes[1]
    s = binary_weights(y01, dataset.sample_weight, params.get("class_weight"), classes)
    X = dataset.X if X is None else X
    return Problem.make(
        X, y01, s, params.get("C", 1.0), params.get("fit_intercept", True)
    )


def ovr_problems(dataset, params, X=None):
    """(label, problem) of each of a OneVsRestClassifier's ``estimators_``.

    The base estimator sees 0/1 columns, so a class_weight dict is keyed by
    0 and 1 and "balanced" is computed per column.
    """
    classes = dataset.classes
    columns = [1] if len(classes) == 2 else range(len(classes))
    X = dataset.X if X is None else X
    problems = []
    for k in columns:
        y01 = dataset.y == classes[k]
        s = binary_weights(y01, dataset.sample_weight, params.get("class_weight"))
        problem = Problem.make(
            X, y01, s, params.get("C", 1.0), params.get("fit_intercept", True)
        )
        problems.append((classes[k], problem))
    return problems


def assert_same_ovr(problems, thetas_a, thetas_b, what, **kwargs):
    """Each estimator's two solutions reach the optimum of its problem
    (:func:`_strategies.assert_same_optimum`); returns (optimum, distance)
    per estimator."""
    assert len(thetas_a) == len(thetas_b) == len(problems)
    return [
        assert_same_optimum(problem, a, b, f"{what}, class {label!r}", **kwargs)
        for (label, problem), a, b in zip(problems, thetas_a, thetas_b, strict=True)
    ]


def proba_tolerance(proba_a, proba_b, bounds, dtype):
    """How much probabilities may differ when the margins differ by ``bounds``.

    ``bounds`` has one column per score that enters a row's probabilities.
    ``log expit`` has slope at most 1 and so does the log of the one-vs-rest
    normaliser ``sum_j expit(z_j)`` in each ``z_j``, so each log-probability
    moves by at most ``2 sum_j |dz_j|``; plus a few ulps of rounding.
    """
    n_columns = proba_a.shape[1]
    spread = np.expm1(2 * bounds.sum(axis=1, keepdims=True))
    rounding = 8 * n_columns * np.finfo(dtype).eps
    return np.maximum(proba_a, proba_b) * spread + rounding


def assert_predictions_agree(pred_a, pred_b, ambiguous, what):
    """Predictions equal on every row whose decision is not within its bound."""
    differ = np.asarray(pred_a) != np.asarray(pred_b)
    if differ.ndim > 1:
        differ = differ.any(axis=1)
    assert not np.any(differ & ~ambiguous), (
        f"{what}: predictions differ on rows "
        f"{np.flatnonzero(differ & ~ambiguous)} whose scores are not ambiguous"
    )


def ambiguous_argmax(scores, bounds):
    """Rows where the top two scores are within their bounds of each other."""
    order = np.argsort(-scores, axis=1)
    rows = np.arange(scores.shape[0])
    first, second = order[:, 0], order[:, 1]
    gap = scores[rows, first] - scores[rows, second]
    return gap <= bounds[rows, first] + bounds[rows, second]


def decision_matrix(model, X):
    scores = np.asarray(model.decision_function(X), dtype=np.float64)
    return scores[:, np.newaxis] if scores.ndim == 1 else scores


def dot_bound(X, coef, intercept, dtype):
    """Rounding bound of ``X @ coef.T + intercept`` computed in ``dtype``."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X)
    d = X.shape[1]
    absolute = np.abs(X.astype(np.float64)) @ np.abs(coef.T) + np.abs(intercept)
    return (d + 3) * np.finfo(dtype).eps * absolute


def probe_points(X, scale):
    """The training rows, and the same rows blown up by ``scale``: far from
    the data every score is large, where probabilities underflow."""
    return np.vstack([X, scale * X]).astype(np.float32).astype(np.float64)


def _class_weight(draw, labels, which):
    """None, "balanced" or a dict; ``which="given"`` leaves None out."""
    strategy = class_weights(labels)
    if which == "given":
        strategy = strategy.filter(lambda class_weight: class_weight is not None)
    return draw(strategy, label="class_weight")


@st.composite
def binary_setups(draw, C=any_C, class_weight="any", **dataset_kwargs):
    """(dataset, params) of a binary problem with a unique finite optimum.

    ``class_weight``: "any", "given" (not None) or "none" (no such key).
    """
    C = draw(C, label="C")
    dataset = draw(binary_datasets(well_posed=C > WELL_POSED_ABOVE, **dataset_kwargs))
    params = {"C": C, "fit_intercept": draw(st.booleans(), label="fit_intercept")}
    if class_weight != "none":
        params["class_weight"] = _class_weight(draw, dataset.classes, class_weight)
    return dataset, params


@st.composite
def ovr_setups(draw, C=any_C, class_weight="any", **dataset_kwargs):
    """(dataset, params) of a multiclass problem whose every one-vs-rest
    problem has a unique finite optimum (class_weight keyed by 0 and 1)."""
    C = draw(C, label="C")
    dataset = draw(datasets(well_posed=C > WELL_POSED_ABOVE, **dataset_kwargs))
    params = {"C": C, "fit_intercept": draw(st.booleans(), label="fit_intercept")}
    if class_weight != "none":
        params["class_weight"] = _class_weight(draw, [0, 1], class_weight)
    return dataset, params


paths = st.sampled_from(PATHS)
generic_paths = st.sampled_from(GENERIC_PATHS)

# --------------------------------------------------------------------------
# 1. Sample order
# --------------------------------------------------------------------------


@given(setup=binary_setups(), fmt=formats, data=st.data())
def test_binary_sample_order(setup, fmt, data):
    """1. Permuting the samples (X, y and weights together) gives the same
    optimum: the objective is a sum over samples. Both fits must reach the
    exact optimum to the attainable accuracy (module docstring)."""
    dataset, params = setup
    order = np.array(data.draw(st.permutations(range(dataset.n_samples))))
    shuffled = dataset.take(order)
    a = fit_quietly(
        binary(params, **TIGHT),
        as_input(dataset.X, fmt),
        dataset.y,
        dataset.sample_weight,
    )
    b = fit_quietly(
        binary(params, **TIGHT),
        as_input(shuffled.X, fmt),
        shuffled.y,
        shuffled.sample_weight,
    )
    fit_intercept = params["fit_intercept"]
    assert_same_optimum(
        binary_problem(dataset, params),
        estimator_theta(a, fit_intercept),
        estimator_theta(b, fit_intercept),
        "reordered samples",
    )


@given(setup=ovr_setups(), path=paths, fmt=formats, data=st.data())
def test_ovr_sample_order(setup, path, fmt, data):
    """1. Permuting the samples gives the same estimators, class by class."""
    dataset, params = setup
    order = np.array(data.draw(st.permutations(range(dataset.n_samples))))
    shuffled = dataset.take(order)
    a = fit_ovr(
        path,
        params,
        as_input(dataset.X, fmt),
        dataset.y,
        dataset.sample_weight,
        **TIGHT,
    )
    b = fit_ovr(
        path,
        params,
        as_input(shuffled.X, fmt),
        shuffled.y,
        shuffled.sample_weight,
        **TIGHT,
    )
    np.testing.assert_array_equal(a.classes_, b.classes_)
    fit_intercept = params["fit_intercept"]
    assert_same_ovr(
        ovr_problems(dataset, params),
        thetas(a, fit_intercept),
        thetas(b, fit_intercept),
        "reordered samples",
    )


# --------------------------------------------------------------------------
# 2. Class names
# --------------------------------------------------------------------------


def _rename(dataset, new_names):
    """The dataset with class ``classes[i]`` renamed ``new_names[i]``."""
    index = np.searchsorted(dataset.classes, dataset.y)
    return Dataset(dataset.X, new_names[index], dataset.sample_weight)


@given(setup=binary_setups(), data=st.data())
def test_binary_class_renaming(setup, data):
    """2. Renaming the two classes by any bijection renames the outputs.

    When the new names sort in the same order the fit sees identical
    targets and weights, so everything must be bitwise identical. When they
    swap, the problem is the mirror image (``y -> 1 - y``), whose optimum is
    ``-theta``: compared to the attainable accuracy, and the outputs within the
    margin bounds that follow from them.
    """
    dataset, params = setup
    old = dataset.classes
    new = data.draw(class_names(2), label="new names")
    renamed = _rename(dataset, new)
    renamed_params = dict(params)
    if isinstance(params["class_weight"], dict):
        weights = params["class_weight"]
        renamed_params["class_weight"] = {
            plain_label(new[i]): weights[plain_label(old[i])] for i in range(2)
        }
    a = fit_quietly(
        binary(params, **TIGHT), dataset.X, dataset.y, dataset.sample_weight
    )
    b = fit_quietly(
        binary(renamed_params, **TIGHT), renamed.X, renamed.y, renamed.sample_weight
    )
    np.testing.assert_array_equal(b.classes_, np.sort(new))
    swapped = b.classes_[0] != new[0]
    mapped_prediction = new[np.searchsorted(old, a.predict(dataset.X))]
    if not swapped:
        np.testing.assert_array_equal(b.coef_, a.coef_)
        np.testing.assert_array_equal(b.intercept_, a.intercept_)
        np.testing.assert_array_equal(b.predict(dataset.X), mapped_prediction)
        np.testing.assert_array_equal(
            b.predict_proba(dataset.X), a.predict_proba(dataset.X)
        )
        return
    fit_intercept = params["fit_intercept"]
    problem = binary_problem(renamed, renamed_params)
    optimum, distance = assert_same_optimum(
        problem,
        estimator_theta(b, fit_intercept),
        -estimator_theta(a, fit_intercept),
        "swapped class names",
    )
    bounds = margin_bounds(optimum, distance, dataset.X)
    decision_b = b.decision_function(dataset.X)
    assert np.all(np.abs(decision_b + a.decision_function(dataset.X)) <= bounds)
    assert_predictions_agree(
        mapped_prediction, b.predict(dataset.X), np.abs(decision_b) <= bounds, "swap"
    )
    proba_a = a.predict_proba(dataset.X)[:, ::-1]
    proba_b = b.predict_proba(dataset.X)
    tolerance = proba_tolerance(proba_a, proba_b, bounds[:, np.newaxis], np.float64)
    assert np.all(np.abs(proba_a - proba_b) <= tolerance)


@given(setup=ovr_setups(), path=paths, data=st.data())
def test_ovr_class_renaming(setup, path, data):
    """2. Renaming the classes permutes ``estimators_``, ``classes_`` and the
    columns of every output.

    An order-preserving renaming must give bitwise identical results (the
    same binary problems in the same order); otherwise each class's estimator
    is compared with the one of its old name (or, with two classes whose
    order swaps, with its mirror image) to the attainable accuracy, and
    outputs to the margin bounds those imply.

    With two classes there is one estimator, for ``classes_[1]``, and a
    class_weight dict weighs its 0/1 column: when the renaming swaps the
    order, the same class weights are the dict with 0 and 1 swapped.
    """
    dataset, params = setup
    old = dataset.classes
    n_classes = old.shape[0]
    new = data.draw(class_names(n_classes), label="new names")
    renamed = _rename(dataset, new)
    # Column j of the renamed outputs is about old class permutation[j].
    permutation = np.argsort(new, kind="stable")
    renamed_params = dict(params)
    class_weight = params["class_weight"]
    if n_classes == 2 and permutation[0] == 1 and isinstance(class_weight, dict):
        renamed_params["class_weight"] = {0: class_weight[1], 1: class_weight[0]}
    a = fit_ovr(path, params, dataset.X, dataset.y, dataset.sample_weight, **TIGHT)
    b = fit_ovr(
        path, renamed_params, renamed.X, renamed.y, renamed.sample_weight, **TIGHT
    )
    np.testing.assert_array_equal(b.classes_, new[permutation])
    X = dataset.X
    mapped_prediction = new[np.searchsorted(old, a.predict(X))]
    if np.array_equal(permutation, np.arange(n_classes)):
        for ea, eb in zip(a.estimators_, b.estimators_, strict=True):
            np.testing.assert_array_equal(binary_of(eb).coef_, binary_of(ea).coef_)
            np.testing.assert_array_equal(
                binary_of(eb).intercept_, binary_of(ea).intercept_
            )
        np.testing.assert_array_equal(b.predict(X), mapped_prediction)
        np.testing.assert_array_equal(b.predict_proba(X), a.predict_proba(X))
        return

    fit_intercept = params["fit_intercept"]
    theta_a = thetas(a, fit_intercept)
    if n_classes == 2:
        expected = [-theta_a[0]]  # the positive class swapped
    else:
        expected = [theta_a[permutation[j]] for j in range(n_classes)]
    reached = assert_same_ovr(
        ovr_problems(renamed, renamed_params),
        thetas(b, fit_intercept),
        expected,
        "renamed classes",
    )
    bounds = np.column_stack(
        [margin_bounds(optimum, distance, X) for optimum, distance in reached]
    )
    decision_a = decision_matrix(a, X)
    decision_b = decision_matrix(b, X)
    if n_classes == 2:
        assert np.all(np.abs(decision_b + decision_a) <= bounds)
        ambiguous = np.abs(decision_b[:, 0]) <= bounds[:, 0]
    else:
        assert np.all(np.abs(decision_b - decision_a[:, permutation]) <= bounds)
        ambiguous = ambiguous_argmax(decision_b, bounds)
    assert_predictions_agree(mapped_prediction, b.predict(X), ambiguous, "renamed")
    proba_a = a.predict_proba(X)[:, permutation]
    proba_b = b.predict_proba(X)
    tolerance = proba_tolerance(proba_a, proba_b, bounds, np.float64)
    assert np.all(np.abs(proba_a - proba_b) <= tolerance)


# --------------------------------------------------------------------------
# 3. Integer weights and repeated samples
# --------------------------------------------------------------------------


def _integer_weights(data, dataset):
    """Weights 0..3 drawn by hypothesis; the rows that keep the optimum
    unique and finite (one per class, the well-posed block) stay positive."""
    weights = data.draw(
        st.lists(
            st.integers(0, 3), min_size=dataset.n_samples, max_size=dataset.n_samples
        ),
        label="integer weights",
    )
    weights = np.array(weights, dtype=np.float64)
    weights[dataset.protected] = np.maximum(weights[dataset.protected], 1.0)
    return weights


@given(setup=binary_setups(weights=False), fmt=formats, data=st.data())
def test_binary_integer_weights_are_repeats(setup, fmt, data):
    """3. Weight ``w_i`` (an integer) equals ``w_i`` copies of sample ``i``;
    a zero weight equals leaving the sample out, also next to other weights.
    Same objective (``S`` is the number of copies), so the same optimum to
    the attainable accuracy."""
    dataset, params = setup
    weights = _integer_weights(data, dataset)
    fit_intercept = params["fit_intercept"]
    weighted = fit_quietly(
        binary(params, **TIGHT), as_input(dataset.X, fmt), dataset.y, weights
    )
    repeated = dataset.take(
        np.repeat(np.arange(dataset.n_samples), weights.astype(int))
    )
    copies = fit_quietly(binary(params, **TIGHT), as_input(repeated.X, fmt), repeated.y)
    kept = dataset.take(np.flatnonzero(weights > 0))
    dropped = fit_quietly(
        binary(params, **TIGHT), as_input(kept.X, fmt), kept.y, weights[weights > 0]
    )
    problem = binary_problem(dataset.with_weights(weights), params)
    theta = estimator_theta(weighted, fit_intercept)
    assert_same_optimum(
        problem, theta, estimator_theta(copies, fit_intercept), "repeated samples"
    )
    assert_same_optimum(
        problem, theta, estimator_theta(dropped, fit_intercept), "zero weights dropped"
    )


@given(setup=ovr_setups(weights=False), path=paths, data=st.data())
def test_ovr_integer_weights_are_repeats(setup, path, data):
    """3. The same for the meta-estimator, weights routed to the estimators."""
    dataset, params = setup
    weights = _integer_weights(data, dataset)
    fit_intercept = params["fit_intercept"]
    weighted = fit_ovr(path, params, dataset.X, dataset.y, weights, **TIGHT)
    repeated = dataset.take(
        np.repeat(np.arange(dataset.n_samples), weights.astype(int))
    )
    copies = fit_ovr(path, params, repeated.X, repeated.y, **TIGHT)
    assert_same_ovr(
        ovr_problems(dataset.with_weights(weights), params),
        thetas(weighted, fit_intercept),
        thetas(copies, fit_intercept),
        "repeated samples",
    )


# --------------------------------------------------------------------------
# 4. Scaling the weights is scaling C
# --------------------------------------------------------------------------

factors = st.one_of(
    st.sampled_from([1e-3, 0.5, 2.0, 1e3]),
    st.floats(-3.0, 3.0).map(lambda exponent: float(10.0**exponent)),
)


@given(setup=binary_setups(), factor=factors)
def test_binary_weight_scale_is_C_scale(setup, factor):
    """4. ``sample_weight * c`` with ``C`` equals ``sample_weight`` with
    ``C * c``: the loss is divided by ``S``, which scales with the weights,
    and the penalty ``||w||^2 / (2 C S)`` then matches ``C * c``. The two
    objectives are the same function, so both fits reach its optimum to the
    attainable accuracy. (With ``C=inf`` both are unpenalised: plain scale
    invariance.)"""
    dataset, params = setup
    weights = dataset.weights_or_ones()
    scaled = fit_quietly(
        binary(params, **TIGHT), dataset.X, dataset.y, weights * factor
    )
    params_c = {**params, "C": params["C"] * factor}
    rescaled = fit_quietly(binary(params_c, **TIGHT), dataset.X, dataset.y, weights)
    fit_intercept = params["fit_intercept"]
    assert_same_optimum(
        binary_problem(dataset.with_weights(weights), params_c),
        estimator_theta(scaled, fit_intercept),
        estimator_theta(rescaled, fit_intercept),
        f"weights times {factor}",
    )


@given(setup=ovr_setups(), path=paths, factor=factors)
@example(
    # Found by the dev profile: features of 0.01 and C * c = 1e9 make the
    # curvature ~1e-8, so tol=1e-10 on the gradient, not the relative
    # reduction of f, ends the run 1e-9 relative above the optimum.
    setup=(
        Dataset(
            np.array([[0.01257302, 0.06404226], [-0.01321049, 0.01049001]]),
            np.array([0, 1]),
        ),
        {"C": 1e6, "fit_intercept": False, "class_weight": None},
    ),
    path="fast",
    factor=1000.0,
)
def test_ovr_weight_scale_is_C_scale(setup, path, factor):
    """4. The same for the meta-estimator, class by class."""
    dataset, params = setup
    weights = dataset.weights_or_ones()
    scaled = fit_ovr(path, params, dataset.X, dataset.y, weights * factor, **TIGHT)
    params_c = {**params, "C": params["C"] * factor}
    rescaled = fit_ovr(path, params_c, dataset.X, dataset.y, weights, **TIGHT)
    fit_intercept = params["fit_intercept"]
    assert_same_ovr(
        ovr_problems(dataset.with_weights(weights), params_c),
        thetas(scaled, fit_intercept),
        thetas(rescaled, fit_intercept),
        f"weights times {factor}",
    )


# --------------------------------------------------------------------------
# 5. class_weight is a sample weight
# --------------------------------------------------------------------------


@given(setup=binary_setups(class_weight="given"))
@example(
    # Bug: labels that are strings of digits make scikit-learn's
    # compute_class_weight look the classes up as ints, so a class_weight
    # dict keyed by the labels themselves raises "The classes, [0, 1], are
    # not in class_weight".
    setup=(
        Dataset(np.array([[0.0], [1.0], [2.0], [3.0]]), np.array(["0", "1", "0", "1"])),
        {"C": 1.0, "fit_intercept": True, "class_weight": {"0": 2.0, "1": 1.0}},
    )
)
def test_binary_class_weight_is_sample_weight(setup):
    """5. ``class_weight`` (a dict or "balanced") equals passing
    ``sample_weight * class_weight[y]``: the weights enter the objective only
    as that product (``S`` included). "balanced" is computed here as
    ``S / (2 S_c)`` with the sample weights. Same objective, so both fits
    reach its optimum (attainable accuracy)."""
    dataset, params = setup
    labels = dataset.classes
    weighted = fit_quietly(
        binary(params, **TIGHT), dataset.X, dataset.y, dataset.sample_weight
    )
    y01 = dataset.y == labels[1]
    weights = binary_weights(y01, dataset.sample_weight, params["class_weight"], labels)
    unweighted = {**params, "class_weight": None}
    reweighted = fit_quietly(binary(unweighted, **TIGHT), dataset.X, dataset.y, weights)
    fit_intercept = params["fit_intercept"]
    assert_same_optimum(
        binary_problem(dataset, params),
        estimator_theta(weighted, fit_intercept),
        estimator_theta(reweighted, fit_intercept),
        f"class_weight={params['class_weight']!r}",
    )


@given(setup=ovr_setups(class_weight="given"), path=paths)
def test_ovr_class_weight_is_sample_weight(setup, path):
    """5. With the meta-estimator the base estimator sees 0/1 columns, so
    ``class_weight`` is keyed by 0 and 1 and "balanced" is per column: each
    estimator equals a binary fit on its column with the matching sample
    weights."""
    dataset, params = setup
    model = fit_ovr(path, params, dataset.X, dataset.y, dataset.sample_weight, **TIGHT)
    fit_intercept = params["fit_intercept"]
    problems = ovr_problems(dataset, params)
    unweighted = {**params, "class_weight": None}
    expected = []
    for label, problem in problems:
        column = (dataset.y == label).astype(int)
        single = fit_quietly(binary(unweighted, **TIGHT), dataset.X, column, problem.s)
        expected.append(estimator_theta(single, fit_intercept))
    assert_same_ovr(
        problems,
        thetas(model, fit_intercept),
        expected,
        f"class_weight={params['class_weight']!r}",
    )


@st.composite
def label_weighted_ovr_setups(draw):
    """(dataset, params, class_weight): a class_weight for the meta-estimator,
    "balanced" or a dict on some of the dataset's labels (the others weigh 1).
    """
    dataset, params = draw(ovr_setups(class_weight="none"))
    labels = [plain_label(label) for label in dataset.classes]
    keys = draw(st.lists(st.sampled_from(labels), unique=True), label="keys")
    weight = st.floats(0.1, 10.0)
    by_label = st.fixed_dictionaries(dict.fromkeys(keys, weight))
    class_weight = draw(st.one_of(st.just("balanced"), by_label), label="weights")
    return dataset, params, class_weight


@given(setup=label_weighted_ovr_setups(), path=paths)
def test_ovr_label_class_weight_is_sample_weight(setup, path):
    """5. ``OneVsRestClassifier(class_weight=...)`` keys a dict on the
    original labels: each problem weighs sample ``i`` by ``s_i c[y_i]``,
    its own label's weight whatever the problem; "balanced" balances each
    problem's column as a base estimator would. Each estimator must reach the
    optimum of that problem (attainable accuracy)."""
    dataset, params, class_weight = setup
    with config_context(enable_metadata_routing=True):
        model = make_ovr(path, params, **TIGHT).set_params(class_weight=class_weight)
        fit_quietly(model, dataset.X, dataset.y, dataset.sample_weight)
    fit_intercept = params["fit_intercept"]
    if class_weight == "balanced":
        problems = ovr_problems(dataset, {**params, "class_weight": "balanced"})
    else:
        s = np.ones(dataset.n_samples)
        if dataset.sample_weight is not None:
            s = np.array(dataset.sample_weight, dtype=np.float64)
        s = s * np.array([class_weight.get(plain_label(v), 1.0) for v in dataset.y])
        weighted = Dataset(dataset.X, dataset.y, s)
        problems = ovr_problems(weighted, params)
    for (label, problem), theta in zip(
        problems, thetas(model, fit_intercept), strict=True
    ):
        assert_near_optimum(
            problem,
            solve(problem),
            theta,
            f"class_weight={class_weight!r}, class {label!r}",
        )


# --------------------------------------------------------------------------
# 6. Consistent outputs
# --------------------------------------------------------------------------

fit_settings = st.fixed_dictionaries(
    {
        "C": any_C,
        "fit_intercept": st.booleans(),
        "tol": st.sampled_from([1e-4, 1e-2, 1e-8]),
        "max_iter": st.sampled_from([100, 3]),
    }
)
probe_scales = st.sampled_from([1.0, 100.0, 1e4])


def _assert_probabilities(proba, n_classes):
    """Finite, in [0, 1], rows summing to 1 within ``4 K eps`` of the
    probabilities' dtype (K correctly rounded terms, then a division)."""
    eps = np.finfo(proba.dtype).eps
    assert proba.shape[1] == n_classes
    assert np.all(np.isfinite(proba))
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(
        proba.sum(axis=1), 1.0, rtol=0, atol=4 * n_classes * eps, err_msg="row sums"
    )


def _assert_predict_is_most_probable(classes, predicted, proba):
    """``predict`` is the argmax of ``predict_proba``: where several classes
    tie at the maximal (rounded) probability, it is one of them."""
    index = np.searchsorted(classes, predicted)
    np.testing.assert_array_equal(classes[index], predicted)
    rows = np.arange(proba.shape[0])
    np.testing.assert_array_equal(proba[rows, index], proba.max(axis=1))


@given(
    dataset=binary_datasets(),
    settings_=fit_settings,
    fmt=formats,
    dtype=dtypes,
    scale=probe_scales,
)
def test_binary_outputs_are_consistent(dataset, settings_, fmt, dtype, scale):
    """6. For any fit (converged or not, any C, separable or not) and on the
    training points and far from them:

    - probabilities are finite, in [0, 1], rows sum to 1 within ``8 eps``
      of their dtype (two correctly rounded terms);
    - ``predict_proba[:, 1] == expit(decision_function)`` (and column 0 is
      ``expit(-decision)``), evaluated in the probabilities' dtype, to 4
      ulps: the same computation;
    - ``decision_function == X @ coef_.T + intercept_`` within the standard
      dot-product rounding bound ``(d + 3) eps |X| |coef|`` of the dtype;
    - ``predict`` is ``classes_[decision > 0]``, the argmax of
      ``decision_function``, and the most probable class;
    - ``predict_log_proba`` is finite and equals ``log(predict_proba)``
      wherever that is a normal number: to 8 eps absolute (the relative
      rounding of the probability) plus 4 ulps of the logarithm.
    """
    X = as_input(probe_points(dataset.X, scale), fmt, dtype)
    model = fit_quietly(
        BinaryLogisticRegression(**settings_),
        as_input(dataset.X, fmt, dtype),
        dataset.y,
        dataset.sample_weight,
    )
    np.testing.assert_array_equal(model.classes_, dataset.classes)
    decision = model.decision_function(X)
    proba = model.predict_proba(X)
    predicted = model.predict(X)
    assert decision.shape == (X.shape[0],)
    assert np.all(np.isfinite(decision))
    _assert_probabilities(proba, 2)
    eps = np.finfo(proba.dtype).eps
    scores = decision.astype(proba.dtype)
    np.testing.assert_allclose(proba[:, 1], expit(scores), rtol=4 * eps, atol=0)
    np.testing.assert_allclose(proba[:, 0], expit(-scores), rtol=4 * eps, atol=0)
    expected = (
        np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)
        @ model.coef_.T.astype(np.float64)
    ).ravel() + model.intercept_[0]
    bound = dot_bound(X, model.coef_, model.intercept_, dtype).ravel()
    assert np.all(np.abs(decision - expected) <= bound)
    np.testing.assert_array_equal(predicted, model.classes_[(decision > 0).astype(int)])
    _assert_predict_is_most_probable(model.classes_, predicted, proba)
    log_proba = model.predict_log_proba(X)
    assert np.all(np.isfinite(log_proba))
    assert np.all(log_proba <= 0)
    eps = max(eps, np.finfo(log_proba.dtype).eps)
    normal = proba >= np.finfo(proba.dtype).tiny
    np.testing.assert_allclose(
        log_proba[normal], np.log(proba[normal]), rtol=4 * eps, atol=8 * eps
    )


@given(
    dataset=datasets(),
    settings_=fit_settings,
    path=paths,
    fmt=formats,
    dtype=dtypes,
    scale=probe_scales,
)
@example(
    # Bug: far from the data every class's score is below -745 and expit
    # underflows to 0 for all of them. The fast path now normalises in log
    # space, subtracting logsumexp, which leaves rows summing to 1 only
    # within eps |score| (5e-14 here, 2e-8 at x=1e9) ...
    dataset=Dataset(np.ones((3, 1)), np.array([0, 1, 2])),
    settings_={"C": 1.0, "fit_intercept": False, "tol": 1e-4, "max_iter": 100},
    path="fast",
    fmt="dense",
    dtype=np.float64,
    scale=3000.0,
)
@example(
    # ... and the generic path still gives a row of zeros.
    dataset=Dataset(np.ones((3, 1)), np.array([0, 1, 2])),
    settings_={"C": 1.0, "fit_intercept": False, "tol": 1e-4, "max_iter": 100},
    path="pipeline",
    fmt="dense",
    dtype=np.float64,
    scale=3000.0,
)
def test_ovr_outputs_are_consistent(dataset, settings_, path, fmt, dtype, scale):
    """6. Single-label meta-estimator, any fit, on the training points and
    far from them:

    - probabilities are finite, in [0, 1] and rows sum to 1 within
      ``4 K eps`` of their dtype (K normalised terms);
    - ``predict`` is the argmax of ``decision_function`` (``> 0`` for two
      classes) and the most probable class;
    - ``decision_function`` stacks the estimators' own decision functions
      (exactly in the generic path; in the fast path, one matrix product
      instead of one per class, within twice the dot-product rounding bound)
      and with the fast path equals ``X @ coef_.T + intercept_`` within the
      dot-product rounding bound.
    """
    X = as_input(probe_points(dataset.X, scale), fmt, dtype)
    model = fit_ovr(
        path,
        settings_,
        as_input(dataset.X, fmt, dtype),
        dataset.y,
        dataset.sample_weight,
    )
    classes = dataset.classes
    np.testing.assert_array_equal(model.classes_, classes)
    assert not model.multilabel_
    decision = decision_matrix(model, X)
    proba = model.predict_proba(X)
    predicted = model.predict(X)
    assert np.all(np.isfinite(decision))
    _assert_probabilities(proba, classes.shape[0])
    if classes.shape[0] == 2:
        np.testing.assert_array_equal(predicted, classes[(decision[:, 0] > 0) * 1])
    else:
        np.testing.assert_array_equal(predicted, classes[np.argmax(decision, axis=1)])
    _assert_predict_is_most_probable(classes, predicted, proba)
    own = np.column_stack([e.decision_function(X) for e in model.estimators_])
    if path == "fast":
        dense = np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)
        expected = dense @ model.coef_.T + model.intercept_
        bound = dot_bound(X, model.coef_, model.intercept_, dtype)
        assert np.all(np.abs(decision - expected) <= bound)
        assert np.all(np.abs(decision - own) <= 2 * bound)
    else:
        np.testing.assert_array_equal(decision, own)


# --------------------------------------------------------------------------
# 7. Convergence and optimality
# --------------------------------------------------------------------------

tolerances = st.sampled_from([1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8])
_TWO_POINTS_FLOAT32 = Dataset(np.array([[200.0], [300.0]]), np.array([1, 0]))
_TWO_POINTS_FLOAT64 = Dataset(np.array([[-2000.0], [1000.0]]), np.array([1, 0]))


def _fit_recording(estimator, X, y, sample_weight):
    """Fit and return whether a ConvergenceWarning was raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator.fit(X, y, sample_weight=sample_weight)
    return any(issubclass(w.category, ConvergenceWarning) for w in caught)


def _assert_gradient_below_tol(problem, theta, tol, dtype, what):
    """The independent gradient is at most ``tol`` in max norm, plus, for
    float32 ``X``, the bound on the float32 rounding of the gradient the
    estimator computes (``Problem.float32_gradient_error``)."""
    gradient = np.abs(problem.gradient(theta))
    allowed = tol + problem.gradient_rounding(theta)
    if dtype == np.float32:
        allowed = allowed + problem.float32_gradient_error(theta)
    worst = int(np.argmax(gradient - allowed))
    assert np.all(gradient <= allowed), (
        f"{what}: reported converged (no ConvergenceWarning) but the gradient "
        f"is {gradient[worst]:.3g} > tol + rounding = {allowed[worst]:.3g} in "
        f"entry {worst}; gradient={gradient!r}"
    )


@given(setup=binary_setups(), tol=tolerances, fmt=formats, dtype=dtypes)
@example(
    # Bug: L-BFGS-B also stops, without a warning, when an iteration lowers
    # the objective by at most 64 eps relative. With float32 X, whose
    # objective carries float32 rounding, this happens at the default tol
    # and leaves a gradient 5 times tol.
    setup=(_TWO_POINTS_FLOAT32, {"C": 1.0, "fit_intercept": True}),
    tol=1e-4,
    fmt="dense",
    dtype=np.float32,
)
@example(
    # The same in float64 at tol=1e-8: a gradient 5.7 times tol.
    setup=(_TWO_POINTS_FLOAT64, {"C": 1.0, "fit_intercept": True}),
    tol=1e-8,
    fmt="dense",
    dtype=np.float64,
)
def test_binary_gradient_below_tol_at_convergence(setup, tol, fmt, dtype):
    """7. When a fit ends without ConvergenceWarning, the max-norm of the
    objective's gradient, computed here independently in float64, is at most
    ``tol`` (the documented stopping rule), up to float64 rounding of the
    check itself and, for float32 X, the float32 rounding of the products."""
    dataset, params = setup
    model = BinaryLogisticRegression(**params, tol=tol, max_iter=10_000)
    warned = _fit_recording(
        model, as_input(dataset.X, fmt, dtype), dataset.y, dataset.sample_weight
    )
    event(f"ConvergenceWarning: {warned}")
    # A run that warned promised nothing; hypothesis reports if too many do.
    assume(not warned)
    theta = estimator_theta(model, params["fit_intercept"])
    _assert_gradient_below_tol(
        binary_problem(dataset, params), theta, tol, dtype, "binary"
    )


@given(setup=ovr_setups(), path=paths, tol=tolerances, fmt=formats, dtype=dtypes)
@example(
    # The relative-reduction stop of test_binary_gradient_below_tol_...
    setup=(_TWO_POINTS_FLOAT32, {"C": 1.0, "fit_intercept": True}),
    path="fast",
    tol=1e-4,
    fmt="dense",
    dtype=np.float32,
)
def test_ovr_gradient_below_tol_at_convergence(setup, path, tol, fmt, dtype):
    """7. The same for each estimator of the meta-estimator (a warning names
    its class; a run with any warning is not checked)."""
    dataset, params = setup
    with config_context(enable_metadata_routing=True):
        model = make_ovr(path, params, tol=tol, max_iter=10_000)
        warned = _fit_recording(
            model, as_input(dataset.X, fmt, dtype), dataset.y, dataset.sample_weight
        )
    event(f"ConvergenceWarning: {warned}")
    assume(not warned)
    for (label, problem), theta in zip(
        ovr_problems(dataset, params),
        thetas(model, params["fit_intercept"]),
        strict=True,
    ):
        _assert_gradient_below_tol(problem, theta, tol, dtype, f"class {label!r}")


def _assert_not_worse_than_sklearn(problem, ours, theirs, what):
    """Our objective is at most scikit-learn's times ``1 + 1e-8``, plus 1e-12,
    plus the gap L-BFGS-B may leave above the optimum at this condition
    number (``_strategies.attainable_gap``: about ``kappa 3e-14`` relative).

    Both run the same L-BFGS-B options at tol=1e-10 on the same objective,
    so on a well-conditioned problem both stop within ~1e-12 relative of the
    optimum and only the 1e-8 relative margin is in play; on an
    ill-conditioned one either run may stop that gap early, and which one
    does is luck. Both solutions are also checked against the exact optimum
    the test computes itself, which validates the test's own objective
    against scikit-learn's.
    """
    optimum = solve(problem)
    f_ours = problem.objective(ours)
    f_theirs = problem.objective(theirs)
    slack = 1e-8 * abs(f_theirs) + 1e-12 + attainable_gap(problem, optimum, ours)
    assert f_ours <= f_theirs + slack, (
        f"{what}: our objective {f_ours!r} > scikit-learn's {f_theirs!r} + "
        f"{slack:.3g} (condition number {optimum.condition:.3g})"
    )
    assert_near_optimum(problem, optimum, ours, f"{what}, ours")
    assert_near_optimum(problem, optimum, theirs, f"{what}, scikit-learn's")


def _sklearn_theta(dataset, y01, params, sample_weight, labels=(0, 1)):
    """scikit-learn's solution on 0/1 targets (``y01`` says which samples are
    in class ``labels[1]``), a class_weight dict re-keyed to match.

    0/1 targets keep scikit-learn's ``compute_class_weight`` away from string
    labels, which it turns into ints when they look like ints.
    """
    class_weight = params.get("class_weight")
    if isinstance(class_weight, dict):
        class_weight = {k: class_weight[plain_label(labels[k])] for k in (0, 1)}
    model = LogisticRegression(**{**params, "class_weight": class_weight}, **TIGHT)
    model = fit_quietly(model, dataset.X, np.asarray(y01, dtype=int), sample_weight)
    return estimator_theta(model, params["fit_intercept"])


@given(setup=binary_setups(), fmt=st.sampled_from(["dense", "csr_matrix"]))
def test_binary_objective_not_above_sklearn(setup, fmt):
    """7. Against ``LogisticRegression(solver="lbfgs")`` on the same data and
    parameters (float64; its float32 solutions are only float32-accurate):
    our objective, evaluated independently, is never worse."""
    dataset, params = setup
    ours = fit_quietly(
        binary(params, **TIGHT),
        as_input(dataset.X, fmt),
        dataset.y,
        dataset.sample_weight,
    )
    labels = dataset.classes
    y01 = dataset.y == labels[1]
    theirs = _sklearn_theta(dataset, y01, params, dataset.sample_weight, labels)
    _assert_not_worse_than_sklearn(
        binary_problem(dataset, params),
        estimator_theta(ours, params["fit_intercept"]),
        theirs,
        "binary",
    )


@pytest.mark.slow
@given(setup=ovr_setups(), path=paths)
def test_ovr_objective_not_above_sklearn(setup, path):
    """7. Each estimator of the meta-estimator against scikit-learn's
    ``LogisticRegression`` fitted on that class's 0/1 column."""
    dataset, params = setup
    model = fit_ovr(path, params, dataset.X, dataset.y, dataset.sample_weight, **TIGHT)
    for (label, problem), theta in zip(
        ovr_problems(dataset, params),
        thetas(model, params["fit_intercept"]),
        strict=True,
    ):
        column = dataset.y == label
        theirs = _sklearn_theta(dataset, column, params, dataset.sample_weight)
        _assert_not_worse_than_sklearn(problem, theta, theirs, f"class {label!r}")


# --------------------------------------------------------------------------
# 8. Fast path and generic path
# --------------------------------------------------------------------------


@given(setup=ovr_setups(), generic=generic_paths, fmt=formats)
def test_ovr_fast_path_equals_generic_path(setup, generic, fmt):
    """8. Fitting all classes in lockstep gives, class by class, the optimum
    one fit per class gives (same objective; the batched products only round
    differently), to the attainable accuracy."""
    dataset, params = setup
    X = as_input(dataset.X, fmt)
    fast = fit_ovr("fast", params, X, dataset.y, dataset.sample_weight, **TIGHT)
    slow = fit_ovr(generic, params, X, dataset.y, dataset.sample_weight, **TIGHT)
    assert all(type(e) is BinaryLogisticRegression for e in fast.estimators_)
    fit_intercept = params["fit_intercept"]
    assert_same_ovr(
        ovr_problems(dataset, params),
        thetas(fast, fit_intercept),
        thetas(slow, fit_intercept),
        f"fast vs {generic}",
    )


# --------------------------------------------------------------------------
# 9. Sparse and dense, float32 and float64
# --------------------------------------------------------------------------


@given(setup=binary_setups(), sparse=st.sampled_from(SPARSE_FORMATS))
def test_binary_sparse_equals_dense(setup, sparse):
    """9. A sparse X gives the optimum of the same dense X (attainable accuracy)."""
    dataset, params = setup
    dense = fit_quietly(
        binary(params, **TIGHT), dataset.X, dataset.y, dataset.sample_weight
    )
    sparse_fit = fit_quietly(
        binary(params, **TIGHT),
        as_input(dataset.X, sparse),
        dataset.y,
        dataset.sample_weight,
    )
    fit_intercept = params["fit_intercept"]
    assert_same_optimum(
        binary_problem(dataset, params),
        estimator_theta(dense, fit_intercept),
        estimator_theta(sparse_fit, fit_intercept),
        sparse,
    )


@given(setup=ovr_setups(), path=paths, sparse=st.sampled_from(SPARSE_FORMATS))
def test_ovr_sparse_equals_dense(setup, path, sparse):
    """9. The same for the meta-estimator, class by class."""
    dataset, params = setup
    dense = fit_ovr(path, params, dataset.X, dataset.y, dataset.sample_weight, **TIGHT)
    sparse_fit = fit_ovr(
        path,
        params,
        as_input(dataset.X, sparse),
        dataset.y,
        dataset.sample_weight,
        **TIGHT,
    )
    fit_intercept = params["fit_intercept"]
    assert_same_ovr(
        ovr_problems(dataset, params),
        thetas(dense, fit_intercept),
        thetas(sparse_fit, fit_intercept),
        sparse,
    )


@given(setup=binary_setups(), fmt=formats)
def test_binary_float32_close_to_float64(setup, fmt):
    """9. float32 X (kept float32, products in float32) reaches the optimum of
    the same values in float64, to what L-BFGS-B can reach when it evaluates
    the objective and gradient with float32 products: the attainable gap
    counts their float32 rounding (``_strategies.attainable_gap``). X's
    values are exactly float32, so both fits see the same numbers."""
    dataset, params = setup
    single = fit_quietly(
        binary(params, **TIGHT),
        as_input(dataset.X, fmt, np.float32),
        dataset.y,
        dataset.sample_weight,
    )
    double = fit_quietly(
        binary(params, **TIGHT), dataset.X, dataset.y, dataset.sample_weight
    )
    fit_intercept = params["fit_intercept"]
    assert single.coef_.dtype == np.float64
    assert_same_optimum(
        binary_problem(dataset, params),
        estimator_theta(single, fit_intercept),
        estimator_theta(double, fit_intercept),
        "float32",
        float32_a=True,
    )


@given(setup=ovr_setups(), path=paths, fmt=formats)
def test_ovr_float32_close_to_float64(setup, path, fmt):
    """9. The same for the meta-estimator, class by class."""
    dataset, params = setup
    single = fit_ovr(
        path,
        params,
        as_input(dataset.X, fmt, np.float32),
        dataset.y,
        dataset.sample_weight,
        **TIGHT,
    )
    double = fit_ovr(path, params, dataset.X, dataset.y, dataset.sample_weight, **TIGHT)
    fit_intercept = params["fit_intercept"]
    assert_same_ovr(
        ovr_problems(dataset, params),
        thetas(single, fit_intercept),
        thetas(double, fit_intercept),
        "float32",
        float32_a=True,
    )


# --------------------------------------------------------------------------
# 10. Multilabel
# --------------------------------------------------------------------------


@given(
    dataset=multilabel_datasets(),
    C=finite_C.filter(lambda C: C <= WELL_POSED_ABOVE),
    fit_intercept=st.booleans(),
    class_weight=class_weights([0, 1]),
    path=paths,
    sparse_y=st.booleans(),
)
@example(
    # Bug: with the first label in every sample, estimators_[0] is a constant
    # predictor, and the threshold that suits it (0.5, as it is not a
    # classifier) is applied to every label's decision function instead of 0.
    dataset=Dataset(
        np.array([[-2.0], [-1.0], [1.0], [2.0]]),
        np.array([[1, 0], [1, 0], [1, 1], [1, 1]]),
    ),
    C=0.1,
    fit_intercept=True,
    class_weight=None,
    path="fast",
    sparse_y=False,
)
def test_ovr_multilabel_columns_are_binary_fits(
    dataset, C, fit_intercept, class_weight, path, sparse_y
):
    """10. Multilabel targets: estimator ``k`` is the binary fit on column
    ``k`` alone (attainable accuracy), and its probabilities are the
    meta-estimator's column ``k``, unnormalised (to the margin bound). A
    column with one value gives a constant prediction of that value.
    (C up to 1e3 only: a label may be separable; see ``WELL_POSED_ABOVE``.)"""
    params = {"C": C, "fit_intercept": fit_intercept, "class_weight": class_weight}
    Y = sp.csr_matrix(dataset.y) if sparse_y else dataset.y
    model = fit_ovr(path, params, dataset.X, Y, dataset.sample_weight, **TIGHT)
    assert model.multilabel_
    assert len(model.estimators_) == dataset.y.shape[1]
    proba = model.predict_proba(dataset.X)
    predicted = model.predict(dataset.X)
    predicted = predicted.toarray() if sp.issparse(predicted) else predicted
    for k, estimator in enumerate(model.estimators_):
        column = dataset.y[:, k]
        if np.unique(column).shape[0] == 1:
            np.testing.assert_array_equal(proba[:, k], column)
            np.testing.assert_array_equal(predicted[:, k], column)
            continue
        single = fit_quietly(
            binary(params, **TIGHT), dataset.X, column, dataset.sample_weight
        )
        s = binary_weights(column, dataset.sample_weight, class_weight)
        problem = Problem.make(dataset.X, column, s, C, fit_intercept)
        optimum, distance = assert_same_optimum(
            problem,
            estimator_theta(binary_of(estimator), fit_intercept),
            estimator_theta(single, fit_intercept),
            f"label {k}",
        )
        bounds = margin_bounds(optimum, distance, dataset.X)
        expected = single.predict_proba(dataset.X)[:, 1]
        tolerance = proba_tolerance(
            proba[:, [k]], expected[:, np.newaxis], bounds[:, np.newaxis], np.float64
        )
        assert np.all(np.abs(proba[:, k] - expected) <= tolerance.ravel())
        decision = single.decision_function(dataset.X)
        assert_predictions_agree(
            predicted[:, k],
            single.predict(dataset.X),
            np.abs(decision) <= bounds,
            f"{k}",
        )


# --------------------------------------------------------------------------
# 11. Warm start
# --------------------------------------------------------------------------

warm_tolerances = st.sampled_from([1e-3, 1e-4, 1e-6, 1e-10])


def _assert_stays_put(problem, first, second, n_iter, converged, what):
    """After a first fit that reported convergence: at most 2 iterations,
    and none leaves the solution bitwise unchanged. In any case the
    objective does not go up (beyond rounding) and the point moves no
    further than the first one's own distance from the optimum allows
    (twice it, in the norm of the Hessian at the optimum)."""
    if converged:
        assert n_iter <= 2, f"{what}: {n_iter} iterations from a converged start"
    if n_iter == 0:
        np.testing.assert_array_equal(second, first)
        return
    rounding = problem.objective_rounding(first) + problem.objective_rounding(second)
    assert problem.objective(second) <= problem.objective(first) + rounding, what
    optimum = solve(problem)
    reach = closeness(problem, optimum, first).distance
    delta = second - first
    moved = np.sqrt(max(delta @ optimum.hessian @ delta, 0.0))
    assert moved <= 2 * reach, f"{what}: moved {moved:.3g} > {2 * reach:.3g}"


# A constant column next to the intercept with C=1e6: the first fit stops on
# the relative-reduction rule far along the flat direction (see test 7).
_FLAT = Dataset(
    np.array(
        [
            [0.1, 0.012573022],
            [0.1, -0.013210486],
            [0.1, 0.06404226],
            [0.1, 0.010490011],
            [0.1, -0.053566936],
        ]
    )
    .astype(np.float32)
    .astype(np.float64),
    np.array([0, 1, 0, 1, 0]),
)


@given(setup=binary_setups(), tol=warm_tolerances)
@example(
    # Bug (the relative-reduction stop of test 7): the first fit reports
    # convergence at tol=1e-10 without a warning, and the warm restart then
    # runs 5 more iterations and moves coef_[0] from -0.038 to 5e-9.
    setup=(_FLAT, {"C": 1e6, "fit_intercept": True, "class_weight": None}),
    tol=1e-10,
)
def test_binary_warm_start_stays_put(setup, tol):
    """11. Refitting with ``warm_start=True`` on the same data starts from a
    converged solution: L-BFGS-B checks the gradient before its first step,
    so it stops at once when the first fit met ``tol`` (2 iterations allowed
    for the last rounding), and the solution does not move beyond the first
    one's accuracy. The iteration count is only checked when the first fit
    reported convergence (no ConvergenceWarning)."""
    dataset, params = setup
    model = binary(params, tol=tol, max_iter=10_000, warm_start=True)
    warned = _fit_recording(model, dataset.X, dataset.y, dataset.sample_weight)
    first = estimator_theta(model, params["fit_intercept"])
    fit_quietly(model, dataset.X, dataset.y, dataset.sample_weight)
    second = estimator_theta(model, params["fit_intercept"])
    problem = binary_problem(dataset, params)
    _assert_stays_put(problem, first, second, model.n_iter_, not warned, "refit")


@given(
    setup=ovr_setups(), path=st.sampled_from(["fast", "subclass"]), tol=warm_tolerances
)
@example(
    # The same, as the meta-estimator's two-class problem.
    setup=(_FLAT, {"C": 1e6, "fit_intercept": True, "class_weight": None}),
    path="fast",
    tol=1e-10,
)
def test_ovr_warm_start_stays_put(setup, path, tol):
    """11. The same for each estimator of the meta-estimator (the fast path,
    and the generic path through a subclass; a pipeline has no warm start)."""
    dataset, params = setup
    with config_context(enable_metadata_routing=True):
        model = make_ovr(path, params, tol=tol, max_iter=10_000, warm_start=True)
        warned = _fit_recording(model, dataset.X, dataset.y, dataset.sample_weight)
        first = thetas(model, params["fit_intercept"])
        fit_quietly(model, dataset.X, dataset.y, dataset.sample_weight)
    second = thetas(model, params["fit_intercept"])
    for (label, problem), estimator, a, b in zip(
        ovr_problems(dataset, params), model.estimators_, first, second, strict=True
    ):
        n_iter = estimator.n_iter_
        _assert_stays_put(problem, a, b, n_iter, not warned, f"class {label!r}")


# --------------------------------------------------------------------------
# 12. Extreme data
# --------------------------------------------------------------------------

huge_C = st.one_of(
    st.sampled_from([1e6, math.inf]),
    st.floats(4.0, 6.0).map(lambda exponent: float(10.0**exponent)),
)


def _extreme_datasets(**kwargs):
    return datasets(
        scales=(1.0, 1e3, 1e6), labellings=("linear", "noisy linear"), **kwargs
    )


@given(
    dataset=_extreme_datasets(max_classes=2),
    C=huge_C,
    fit_intercept=st.booleans(),
    fmt=formats,
    dtype=dtypes,
    scale=probe_scales,
)
def test_binary_extreme_data(dataset, C, fit_intercept, fmt, dtype, scale):
    """12. Separable or nearly separable data, huge or no penalty, features up
    to 1e6: fitting and predicting raise no RuntimeWarning (overflow, invalid
    value, division by zero), the solution is finite and the outputs are
    valid probabilities (test 6's checks). A ConvergenceWarning is allowed:
    on separable data with ``C=inf`` there is no optimum to converge to."""
    X = as_input(dataset.X, fmt, dtype)
    probe = as_input(probe_points(dataset.X, scale), fmt, dtype)
    model = BinaryLogisticRegression(C=C, fit_intercept=fit_intercept)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, dataset.y, sample_weight=dataset.sample_weight)
        proba = model.predict_proba(probe)
        log_proba = model.predict_log_proba(probe)
        decision = model.decision_function(probe)
        predicted = model.predict(probe)
    assert np.all(np.isfinite(model.coef_))
    assert np.all(np.isfinite(model.intercept_))
    assert np.all(np.isfinite(decision))
    assert np.all(np.isfinite(log_proba))
    _assert_probabilities(proba, 2)
    _assert_predict_is_most_probable(model.classes_, predicted, proba)


@given(
    dataset=_extreme_datasets(),
    C=huge_C,
    fit_intercept=st.booleans(),
    path=paths,
    fmt=formats,
    dtype=dtypes,
    scale=probe_scales,
)
@example(
    # Bug: the rows of probabilities of test 6, at scores of -3e3.
    dataset=Dataset(np.ones((3, 1)), np.array([0, 1, 2])),
    C=1e6,
    fit_intercept=False,
    path="fast",
    fmt="dense",
    dtype=np.float64,
    scale=1e4,
)
def test_ovr_extreme_data(dataset, C, fit_intercept, path, fmt, dtype, scale):
    """12. The same for the meta-estimator: no RuntimeWarning, finite
    coefficients, rows of probabilities that sum to 1 even where every
    class's score is hugely negative."""
    X = as_input(dataset.X, fmt, dtype)
    probe = as_input(probe_points(dataset.X, scale), fmt, dtype)
    params = {"C": C, "fit_intercept": fit_intercept}
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = fit_ovr(path, params, X, dataset.y, dataset.sample_weight)
        proba = model.predict_proba(probe)
        decision = decision_matrix(model, probe)
        predicted = model.predict(probe)
    for theta in thetas(model, fit_intercept):
        assert np.all(np.isfinite(theta))
    assert np.all(np.isfinite(decision))
    _assert_probabilities(proba, dataset.classes.shape[0])
    _assert_predict_is_most_probable(model.classes_, predicted, proba)


# --------------------------------------------------------------------------
# 13. An all-zero feature
# --------------------------------------------------------------------------


def _with_zero_column(X, position):
    return np.insert(X, position, 0.0, axis=1)


@given(setup=binary_setups(), fmt=formats, data=st.data())
def test_binary_zero_feature(setup, fmt, data):
    """13. An all-zero column gets exactly zero: its gradient entry is
    ``0 * residuals + coef / (C S) = 0`` from the zero start, and L-BFGS-B's
    step in that coordinate is built from zero gradient differences, so it
    never moves. The other coefficients are the optimum without the column
    (attainable accuracy), and predictions agree wherever the decision is not
    within its margin bound of 0."""
    dataset, params = setup
    position = data.draw(st.integers(0, dataset.n_features), label="position")
    X0 = _with_zero_column(dataset.X, position)
    plain = fit_quietly(
        binary(params, **TIGHT), dataset.X, dataset.y, dataset.sample_weight
    )
    padded = fit_quietly(
        binary(params, **TIGHT), as_input(X0, fmt), dataset.y, dataset.sample_weight
    )
    assert padded.coef_[0, position] == 0.0
    fit_intercept = params["fit_intercept"]
    theta = np.delete(estimator_theta(padded, fit_intercept), position)
    optimum, distance = assert_same_optimum(
        binary_problem(dataset, params),
        estimator_theta(plain, fit_intercept),
        theta,
        "zero feature",
    )
    bounds = margin_bounds(optimum, distance, dataset.X)
    decision = plain.decision_function(dataset.X)
    assert np.all(
        np.abs(padded.decision_function(as_input(X0, fmt)) - decision) <= bounds
    )
    assert_predictions_agree(
        plain.predict(dataset.X),
        padded.predict(as_input(X0, fmt)),
        np.abs(decision) <= bounds,
        "zero feature",
    )


@given(setup=ovr_setups(), path=paths, fmt=formats, data=st.data())
def test_ovr_zero_feature(setup, path, fmt, data):
    """13. The same for the meta-estimator, class by class."""
    dataset, params = setup
    position = data.draw(st.integers(0, dataset.n_features), label="position")
    X0 = as_input(_with_zero_column(dataset.X, position), fmt)
    plain = fit_ovr(path, params, dataset.X, dataset.y, dataset.sample_weight, **TIGHT)
    padded = fit_ovr(path, params, X0, dataset.y, dataset.sample_weight, **TIGHT)
    fit_intercept = params["fit_intercept"]
    padded_thetas = thetas(padded, fit_intercept)
    for theta in padded_thetas:
        assert theta[position] == 0.0
    reached = assert_same_ovr(
        ovr_problems(dataset, params),
        thetas(plain, fit_intercept),
        [np.delete(theta, position) for theta in padded_thetas],
        "zero feature",
    )
    bounds = np.column_stack(
        [margin_bounds(optimum, distance, dataset.X) for optimum, distance in reached]
    )
    decision = decision_matrix(plain, dataset.X)
    assert np.all(np.abs(decision_matrix(padded, X0) - decision) <= bounds)
    if decision.shape[1] == 1:
        ambiguous = np.abs(decision[:, 0]) <= bounds[:, 0]
    else:
        ambiguous = ambiguous_argmax(decision, bounds)
    assert_predictions_agree(
        plain.predict(dataset.X), padded.predict(X0), ambiguous, "zero feature"
    )


# --------------------------------------------------------------------------
# 14. clone, pickle, get_params / set_params
# --------------------------------------------------------------------------


def _assert_same_behaviour(a, b, X):
    """Bitwise the same outputs: the same code on the same numbers."""
    for method in ("decision_function", "predict_proba", "predict"):
        np.testing.assert_array_equal(getattr(a, method)(X), getattr(b, method)(X))


@given(dataset=binary_datasets(), settings_=fit_settings, cw=st.data(), fmt=formats)
def test_binary_clone_pickle_params(dataset, settings_, cw, fmt):
    """14. A clone refitted on the same data, a pickled-and-loaded copy and an
    estimator rebuilt from ``get_params`` behave bitwise identically (the fit
    is deterministic), and the parameters survive every round trip. Any C:
    equality holds whether or not an optimum exists."""
    params = {**settings_, "class_weight": cw.draw(class_weights(dataset.classes))}
    X = as_input(dataset.X, fmt)
    model = fit_quietly(
        BinaryLogisticRegression(**params), X, dataset.y, dataset.sample_weight
    )
    refit = fit_quietly(clone(model), X, dataset.y, dataset.sample_weight)
    assert refit.get_params() == model.get_params()
    np.testing.assert_array_equal(refit.coef_, model.coef_)
    np.testing.assert_array_equal(refit.intercept_, model.intercept_)
    assert refit.n_iter_ == model.n_iter_
    _assert_same_behaviour(model, refit, X)

    loaded = pickle.loads(pickle.dumps(model))
    assert loaded.get_params() == model.get_params()
    _assert_same_behaviour(model, loaded, X)

    rebuilt = BinaryLogisticRegression().set_params(**model.get_params())
    assert rebuilt.get_params() == model.get_params()
    fit_quietly(rebuilt, X, dataset.y, dataset.sample_weight)
    _assert_same_behaviour(model, rebuilt, X)


@given(dataset=datasets(), settings_=fit_settings, path=paths, fmt=formats)
def test_ovr_clone_pickle_params(dataset, settings_, path, fmt):
    """14. The same for the meta-estimator, including the deep parameters of
    its base estimator."""
    X = as_input(dataset.X, fmt)
    model = fit_ovr(path, settings_, X, dataset.y, dataset.sample_weight)
    with config_context(enable_metadata_routing=True):
        refit = fit_quietly(clone(model), X, dataset.y, dataset.sample_weight)
        rebuilt = OneVsRestClassifier().set_params(**model.get_params(deep=False))
        fit_quietly(rebuilt, X, dataset.y, dataset.sample_weight)
    assert _comparable(refit.get_params()) == _comparable(model.get_params())
    for a, b in zip(model.estimators_, refit.estimators_, strict=True):
        np.testing.assert_array_equal(binary_of(a).coef_, binary_of(b).coef_)
        np.testing.assert_array_equal(binary_of(a).intercept_, binary_of(b).intercept_)
    _assert_same_behaviour(model, refit, X)
    loaded = pickle.loads(pickle.dumps(model))
    assert _comparable(loaded.get_params()) == _comparable(model.get_params())
    _assert_same_behaviour(model, loaded, X)
    _assert_same_behaviour(model, rebuilt, X)


def _comparable(value):
    """Parameters made comparable with ``==``: estimators (also inside a
    pipeline's ``steps``) become their type and parameters."""
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_comparable(item) for item in value)
    if hasattr(value, "get_params"):
        return (type(value).__name__, _comparable(value.get_params()))
    return value
