"""Class weights on the original labels: ``OneVsRestClassifier(class_weight=...)``.

The functions of ``_class_weight`` against scikit-learn's ``compute_class_weight``;
the meta-estimator's ``class_weight`` against the sample weights it stands for,
in the fast path, the generic path and ``partial_fit``; the base estimator's own
``class_weight`` on top; and the errors for what cannot work. Equality with
scikit-learn 1.7's ``multi_class="ovr"`` is in ``test_sklearn17_reference.py``.
"""

import warnings

import numpy as np
import pytest
from _shared import TIGHT
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import check_random_state

from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier
from sklearn_ovr_logit._class_weight import (
    balanced_label_weights,
    label_weights,
    ovr_class_weights,
)


class GenericBinary(BinaryLogisticRegression):
    """Our estimator under another type: the meta-estimator's generic path."""


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=240,
        n_features=6,
        n_informative=4,
        n_classes=4,
        weights=[0.4, 0.3, 0.2, 0.1],
        random_state=0,
    )
    sample_weight = check_random_state(0).uniform(0.2, 3.0, size=y.shape[0])
    return StandardScaler().fit_transform(X), y, sample_weight


def fit(model, X, y, sample_weight=None):
    """Fit with routing on (for sample_weight), ignoring tol=1e-10 warnings."""
    with config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if sample_weight is None:
            return model.fit(X, y)
        return model.fit(X, y, sample_weight=sample_weight)


def weighted(base):
    """``base`` requesting sample_weight (set under routing)."""
    with config_context(enable_metadata_routing=True):
        return base.set_fit_request(sample_weight=True)


def assert_same_coef(ours, theirs, rtol=1e-7):
    scale = np.abs(theirs.coef_).max()
    assert_allclose(ours.coef_, theirs.coef_, rtol=rtol, atol=rtol * scale)
    assert_allclose(ours.intercept_, theirs.intercept_, rtol=rtol, atol=rtol * scale)


# -- The functions --------------------------------------------------------


def test_label_weights_looks_labels_up_as_scikit_learn_1_7():
    classes = np.array([0, 1, 2, 3])
    # A label left out weighs 1; numpy and bool keys equal to a label match.
    assert_array_equal(label_weights({0: 3.0, 2: 0.5}, classes), [3, 1, 0.5, 1])
    assert_array_equal(label_weights({np.int64(1): 2, True: 2}, classes), [1, 2, 1, 1])
    assert_array_equal(label_weights({}, classes), [1, 1, 1, 1])
    # Keys beyond the labels are fine when every label has a weight (a subset
    # of the classes, a fold without some class)...
    everything = {0: 1.0, 1: 2.0, 2: 3.0, 3: 4.0, 7: 5.0}
    assert_array_equal(label_weights(everything, classes), [1, 2, 3, 4])
    # ...and an error otherwise, as compute_class_weight raised in 1.7.
    with pytest.raises(ValueError, match=r"keys that are not labels of y: \[7\]"):
        label_weights({0: 1.0, 7: 5.0}, classes)


def test_label_weights_match_compute_class_weight_on_strings():
    classes = np.array(["cat", "dog", "fish"])
    weights = {"cat": 0.5, "fish": 4.0}
    expected = compute_class_weight(weights, classes=classes, y=classes)
    assert_array_equal(label_weights(weights, classes), expected)


@pytest.mark.parametrize(
    ("classes", "key", "hint"),
    [
        (np.array(["0", "1"]), 0, r"The key 0 \(int\) is not the label '0' \(str\)"),
        (np.array([0, 1]), "0", r"The key '0' \(str\) is not the label 0 \(int\)"),
        (np.array([False, True]), "True", r"'True' \(str\) is not the label True"),
    ],
)
def test_label_weights_say_when_a_key_only_reads_like_a_label(classes, key, hint):
    with pytest.raises(ValueError, match=hint):
        label_weights({key: 2.0}, classes)


@pytest.mark.parametrize("weight", [-1.0, np.nan, np.inf, "2", True, None])
def test_label_weights_must_be_finite_non_negative_numbers(weight):
    with pytest.raises(ValueError, match="must be finite, non-negative numbers"):
        label_weights({1: weight}, np.array([0, 1, 2]))


@pytest.mark.parametrize("with_weights", [False, True])
def test_balanced_label_weights_are_compute_class_weights(data, with_weights):
    _, y, sample_weight = data
    sample_weight = sample_weight if with_weights else None
    classes = np.unique(y)
    expected = compute_class_weight(
        "balanced", classes=classes, y=y, sample_weight=sample_weight
    )
    assert_allclose(balanced_label_weights(y, classes, sample_weight), expected)


def test_balanced_label_weights_refuse_a_label_without_weight():
    y = np.array(["a", "b", "c", "c"])
    with pytest.raises(ValueError, match=r"\['b'\] have none"):
        balanced_label_weights(y, np.unique(y), np.array([1.0, 0.0, 1.0, 1.0]))


@pytest.mark.parametrize("with_weights", [False, True])
def test_balanced_pairs_balance_each_masked_problem(data, with_weights):
    """As 1.7 did after masking: compute_class_weight on "y == k", per k."""
    _, y, sample_weight = data
    sample_weight = sample_weight if with_weights else None
    classes = np.unique(y)
    Y = (y[:, None] == classes).astype(int)
    weights = ovr_class_weights(
        "balanced", Y, classes, sample_weight=sample_weight, multilabel=False
    )
    assert weights.sample_weight is sample_weight
    for k, label in enumerate(classes):
        mask = (y == label).astype(int)
        expected = compute_class_weight(
            "balanced", classes=np.array([0, 1]), y=mask, sample_weight=sample_weight
        )
        assert_allclose(weights.class_weights[k], expected)


def test_dict_weights_every_sample_by_its_label(data):
    _, y, sample_weight = data
    classes = np.unique(y)
    Y = (y[:, None] == classes).astype(int)
    weights = ovr_class_weights(
        {1: 5.0, 3: 0.5}, Y, classes, sample_weight=sample_weight, multilabel=False
    )
    assert weights.class_weights is None
    assert_allclose(weights.sample_weight, sample_weight * np.array([1, 5, 1, 0.5])[y])
    # Two classes, one indicator column (the second class): the same rule.
    y2 = np.array(["b", "a", "b", "b"])
    weights = ovr_class_weights(
        {"a": 3.0}, (y2 == "b")[:, None], np.array(["a", "b"]), multilabel=False
    )
    assert_array_equal(weights.sample_weight, [1, 3, 1, 1])


def test_a_single_class_is_weighted_too():
    """LabelBinarizer gives one class a column of zeros: still one code each."""
    weights = ovr_class_weights(
        {"a": 2.0}, np.zeros((3, 1), dtype=int), np.array(["a"]), multilabel=False
    )
    assert_array_equal(weights.sample_weight, [2.0, 2.0, 2.0])


def test_problem_sample_weight_multiplies_the_pair_in():
    weights = ovr_class_weights(
        "balanced",
        np.array([[1, 0], [0, 1], [0, 1], [0, 1]]),
        np.array([0, 1]),
        sample_weight=np.array([1.0, 1.0, 2.0, 0.0]),
        multilabel=True,
    )
    # Column 0: the label weighs 1 of 4, the rest 3; S / (2 * each).
    column = np.array([1, 0, 0, 0])
    assert_allclose(weights.problem_sample_weight(0, column), [2, 2 / 3, 4 / 3, 0])


# -- The meta-estimator: what class_weight stands for ------------------------


@pytest.mark.parametrize("path", ["fast", "generic", "sklearn"])
@pytest.mark.parametrize("with_weights", [False, True])
def test_dict_equals_sample_weight_times_label_weight(data, path, with_weights):
    X, y, sample_weight = data
    sample_weight = sample_weight if with_weights else None
    base = {
        "fast": BinaryLogisticRegression,
        "generic": GenericBinary,
        "sklearn": LogisticRegression,
    }[path](**TIGHT)
    class_weight = {0: 0.5, 2: 3.0}
    ours = fit(
        OneVsRestClassifier(weighted(clone(base)), class_weight=class_weight),
        X,
        y,
        sample_weight,
    )
    by_sample = np.array([0.5, 1.0, 3.0, 1.0])[y]
    if sample_weight is not None:
        by_sample = by_sample * sample_weight
    expected = fit(OneVsRestClassifier(weighted(clone(base))), X, y, by_sample)
    assert_same_coef(ours, expected)


@pytest.mark.parametrize("with_weights", [False, True])
def test_balanced_equals_the_base_estimators_balanced(data, with_weights):
    """In 1.7, "balanced" balanced each binary problem, as a base estimator does."""
    X, y, sample_weight = data
    sample_weight = sample_weight if with_weights else None
    ours = fit(
        OneVsRestClassifier(
            weighted(BinaryLogisticRegression(**TIGHT)), class_weight="balanced"
        ),
        X,
        y,
        sample_weight,
    )
    base_balanced = fit(
        OneVsRestClassifier(
            weighted(BinaryLogisticRegression(class_weight="balanced", **TIGHT))
        ),
        X,
        y,
        sample_weight,
    )
    assert_same_coef(ours, base_balanced)


def test_a_dict_and_balanced_differ(data):
    """The point of the two rules: balancing labels is not balancing problems."""
    X, y, _ = data
    balanced = fit(OneVsRestClassifier(class_weight="balanced"), X, y)
    classes = np.unique(y)
    labels = dict(zip(classes, balanced_label_weights(y, classes), strict=True))
    by_label = fit(OneVsRestClassifier(class_weight=labels), X, y)
    assert np.abs(balanced.coef_ - by_label.coef_).max() > 0.01


@pytest.mark.parametrize(
    ("ours", "base"),
    [
        ({0: 0.5, 2: 3.0}, {0: 1.0, 1: 4.0}),
        ({0: 0.5, 2: 3.0}, "balanced"),
        ("balanced", {0: 2.0, 1: 0.5}),
    ],
)
@pytest.mark.parametrize("with_weights", [False, True])
def test_base_class_weight_applies_on_top_alike_in_both_paths(
    data, ours, base, with_weights
):
    """The fast path does what a base estimator does with the weights it gets.

    In the generic path the base estimator receives our weights as
    ``sample_weight`` and applies its own ``class_weight`` to them, its
    "balanced" counting them; the fast path must compose the two the same way.
    """
    X, y, sample_weight = data
    sample_weight = sample_weight if with_weights else None
    fast = OneVsRestClassifier(
        weighted(BinaryLogisticRegression(class_weight=base, **TIGHT)),
        class_weight=ours,
    )
    generic = OneVsRestClassifier(
        weighted(GenericBinary(class_weight=base, **TIGHT)), class_weight=ours
    )
    fit(fast, X, y, sample_weight)
    fit(generic, X, y, sample_weight)
    assert_same_coef(fast, generic, rtol=1e-6)
    # And the combination is not simply one of the two.
    alone = fit(
        OneVsRestClassifier(
            weighted(BinaryLogisticRegression(**TIGHT)), class_weight=ours
        ),
        X,
        y,
        sample_weight,
    )
    assert np.abs(fast.coef_ - alone.coef_).max() > 1e-3


def test_balanced_on_balanced_is_balanced(data):
    """Problems balanced by us are balanced already: the base's adds nothing."""
    X, y, _ = data
    both = OneVsRestClassifier(
        BinaryLogisticRegression(class_weight="balanced", **TIGHT),
        class_weight="balanced",
    )
    ours = OneVsRestClassifier(
        BinaryLogisticRegression(**TIGHT), class_weight="balanced"
    )
    assert_same_coef(fit(both, X, y), fit(ours, X, y))


def test_multilabel_balanced_is_per_label(data):
    X, Y = make_multilabel_classification(
        n_samples=150, n_features=5, n_classes=3, random_state=0
    )
    ours = fit(
        OneVsRestClassifier(BinaryLogisticRegression(**TIGHT), class_weight="balanced"),
        X,
        Y,
    )
    theirs = fit(
        OneVsRestClassifier(BinaryLogisticRegression(class_weight="balanced", **TIGHT)),
        X,
        Y,
    )
    assert_same_coef(ours, theirs)


def test_a_multilabel_label_in_every_sample_is_still_constant():
    X, Y = make_multilabel_classification(
        n_samples=100, n_features=5, n_classes=3, random_state=0
    )
    Y[:, 1] = 1
    with pytest.warns(UserWarning, match="Label 1 is present in all training"):
        model = OneVsRestClassifier(class_weight="balanced").fit(X, Y)
    assert_array_equal(model.predict(X)[:, 1], 1)


def test_labels_with_zero_weight_are_never_predicted(data):
    X, y, _ = data
    model = fit(OneVsRestClassifier(class_weight={3: 0.0}), X, y)
    assert 3 not in model.predict(X)
    assert 3 in fit(OneVsRestClassifier(), X, y).predict(X)


def test_string_and_bool_labels(data):
    X, y, _ = data
    names = np.array(["0", "1", "2", "3"])[y]
    by_name = fit(OneVsRestClassifier(class_weight={"0": 0.5, "2": 3.0}), X, names)
    by_code = fit(OneVsRestClassifier(class_weight={0: 0.5, 2: 3.0}), X, y)
    assert_same_coef(by_name, by_code)
    flags = y == 2
    by_true = fit(OneVsRestClassifier(class_weight={True: 3.0}), X, flags)
    by_one = fit(OneVsRestClassifier(class_weight={1: 3.0}), X, flags)
    assert_same_coef(by_true, by_one)
    plain = fit(OneVsRestClassifier(), X, flags)
    assert np.abs(by_true.coef_ - plain.coef_).max() > 1e-3


# -- partial_fit --------------------------------------------------------------


def test_partial_fit_with_a_dict_passes_the_weights_on(data):
    X, y, sample_weight = data
    class_weight = {0: 0.5, 2: 3.0}
    classes = np.unique(y)
    with config_context(enable_metadata_routing=True):
        base = SGDClassifier(random_state=0).set_partial_fit_request(sample_weight=True)
        ours = OneVsRestClassifier(base, class_weight=class_weight)
        theirs = OneVsRestClassifier(clone(base))
        by_sample = sample_weight * np.array([0.5, 1, 3, 1])[y]
        for batch in np.array_split(np.arange(len(y)), 3):
            ours.partial_fit(
                X[batch], y[batch], classes, sample_weight=sample_weight[batch]
            )
            theirs.partial_fit(
                X[batch], y[batch], classes, sample_weight=by_sample[batch]
            )
    assert_allclose(ours.coef_, theirs.coef_)
    plain = OneVsRestClassifier(SGDClassifier(random_state=0))
    for batch in np.array_split(np.arange(len(y)), 3):
        plain.partial_fit(X[batch], y[batch], classes)
    assert np.abs(plain.coef_ - ours.coef_).max() > 1e-3


def test_partial_fit_refuses_balanced(data):
    X, y, _ = data
    model = OneVsRestClassifier(SGDClassifier(), class_weight="balanced")
    with pytest.raises(ValueError, match="which partial_fit never sees at once"):
        model.partial_fit(X, y, np.unique(y))


class _PartialFitWithoutWeights(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        return self

    def partial_fit(self, X, y, classes=None):
        return self

    def decision_function(self, X):
        return np.zeros(len(X))


def test_partial_fit_needs_a_base_that_takes_sample_weight(data):
    X, y, _ = data
    model = OneVsRestClassifier(_PartialFitWithoutWeights(), class_weight={0: 2.0})
    with pytest.raises(ValueError, match=r"partial_fit does not take sample_weight"):
        model.partial_fit(X, y, np.unique(y))


# -- Parameters, clone, searches ----------------------------------------------


def test_get_params_clone_and_search(data):
    X, y, _ = data
    model = OneVsRestClassifier(class_weight={0: 2.0})
    assert model.get_params()["class_weight"] == {0: 2.0}
    assert clone(model).class_weight == {0: 2.0}
    search = GridSearchCV(
        OneVsRestClassifier(),
        {"class_weight": [None, "balanced", {3: 4.0}]},
        cv=KFold(3),
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 3
    best = search.best_params_["class_weight"]
    assert_same_coef(
        search.best_estimator_, OneVsRestClassifier(class_weight=best).fit(X, y)
    )


def test_a_fold_without_a_label(data):
    """As in 1.7: fine with a weight for every label, an error with only some."""
    X, y, _ = data
    rare = y == 3
    X_fold, y_fold = X[~rare], y[~rare]
    every = {0: 1.0, 1: 2.0, 2: 1.0, 3: 9.0}
    model = fit(OneVsRestClassifier(class_weight=every), X_fold, y_fold)
    assert_array_equal(model.classes_, [0, 1, 2])
    with pytest.raises(ValueError, match="give a weight for every label"):
        OneVsRestClassifier(class_weight={1: 2.0, 3: 9.0}).fit(X_fold, y_fold)


# -- Errors ---------------------------------------------------------------------


@pytest.mark.parametrize("class_weight", [[1.0, 2.0], "auto", 2.0])
def test_invalid_class_weight(data, class_weight):
    X, y, _ = data
    with pytest.raises(InvalidParameterError, match="'class_weight' parameter"):
        OneVsRestClassifier(class_weight=class_weight).fit(X, y)


@pytest.mark.parametrize("generic", [False, True])
@pytest.mark.parametrize("weight", [-1.0, np.nan, np.inf])
def test_bad_weights(data, generic, weight):
    X, y, _ = data
    base = GenericBinary() if generic else None
    with pytest.raises(ValueError, match="must be finite, non-negative numbers"):
        OneVsRestClassifier(base, class_weight={1: weight}).fit(X, y)


@pytest.mark.parametrize("generic", [False, True])
def test_keys_that_are_not_labels(data, generic):
    X, y, _ = data
    base = GenericBinary() if generic else None
    with pytest.raises(ValueError, match=r"not labels of y: \['cat'\]"):
        OneVsRestClassifier(base, class_weight={"cat": 2.0}).fit(X, y)


def test_balanced_with_a_label_without_weight(data):
    X, y, sample_weight = data
    sample_weight = np.where(y == 2, 0.0, sample_weight)
    model = OneVsRestClassifier(
        weighted(BinaryLogisticRegression()), class_weight="balanced"
    )
    with pytest.raises(ValueError, match=r"for the labels \[2\] one side has none"):
        fit(model, X, y, sample_weight)


def test_multilabel_refuses_a_dict():
    X, Y = make_multilabel_classification(n_samples=50, random_state=0)
    with pytest.raises(ValueError, match="a sample can have any number of labels"):
        OneVsRestClassifier(class_weight={0: 2.0}).fit(X, Y)


@pytest.mark.parametrize(
    "base",
    [
        BinaryLogisticRegression(class_weight={"cat": 2.0}),
        LogisticRegression(class_weight={"cat": 2.0}),
        # Keys 0 and 1 apply to every binary problem, and key 2 to none: a dict
        # meant for the labels, until now silently used as "rest 0, label 1".
        BinaryLogisticRegression(class_weight={0: 1.0, 1: 2.0, 2: 5.0}),
        GenericBinary(class_weight={"0": 2.0}),
    ],
    ids=["fast", "sklearn", "keys-0-1-2", "string-0"],
)
def test_base_class_weight_keyed_on_labels_says_what_to_use(data, base):
    X, y, _ = data
    with pytest.raises(ValueError, match=r"give the dict to OneVsRestClassifier"):
        OneVsRestClassifier(base).fit(X, y)


def test_generic_base_estimator_needs_sample_weight(data):
    X, y, _ = data
    model = OneVsRestClassifier(KNeighborsClassifier(), class_weight={0: 2.0})
    with pytest.raises(ValueError, match="KNeighborsClassifier.fit does not take"):
        model.fit(X, y)


def test_a_pipeline_takes_class_weight_through_routing(data):
    X, y, _ = data  # X is standardised already: the scaler changes nothing
    pipeline = make_pipeline(StandardScaler(), BinaryLogisticRegression(**TIGHT))
    with pytest.raises(ValueError, match="enable metadata routing"):
        OneVsRestClassifier(pipeline, class_weight={0: 2.0}).fit(X, y)
    with config_context(enable_metadata_routing=True):
        pipeline = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False),
            BinaryLogisticRegression(**TIGHT).set_fit_request(sample_weight=True),
        )
        model = fit(OneVsRestClassifier(pipeline, class_weight={0: 2.0}), X, y)
    fast = fit(
        OneVsRestClassifier(BinaryLogisticRegression(**TIGHT), class_weight={0: 2.0}),
        X,
        y,
    )
    assert_allclose(model.predict_proba(X), fast.predict_proba(X), atol=1e-7)
    plain = fit(OneVsRestClassifier(BinaryLogisticRegression(**TIGHT)), X, y)
    assert np.abs(model.predict_proba(X) - plain.predict_proba(X)).max() > 1e-3
