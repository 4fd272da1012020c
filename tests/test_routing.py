"""Metadata routing to the default base estimator (sklearn_ovr_logit._routing),
and the recipes of docs/user_guide/metadata_routing.rst with their outputs."""

import re

import numpy as np
import pytest
import sklearn
from sklearn.datasets import load_iris
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier

RECIPE = (
    "OneVsRestClassifier(BinaryLogisticRegression().set_fit_request("
    "sample_weight=True))"
)


@pytest.fixture(autouse=True)
def _routing_enabled():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y, np.where(y == 2, 3.0, 1.0)


def _requesting(**kwargs):
    return OneVsRestClassifier(
        BinaryLogisticRegression().set_fit_request(sample_weight=True), **kwargs
    )


@pytest.mark.parametrize(
    "make_model",
    [
        OneVsRestClassifier,
        lambda: make_pipeline(
            StandardScaler().set_fit_request(sample_weight=True),
            OneVsRestClassifier(),
        ),
        lambda: GridSearchCV(
            OneVsRestClassifier().set_score_request(sample_weight=True),
            {"n_jobs": [None]},
            cv=2,
            error_score="raise",
        ),
    ],
    ids=["plain", "pipeline", "grid-search"],
)
def test_the_default_estimator_error_says_what_to_write(make_model, iris):
    X, y, weights = iris
    with pytest.raises(UnsetMetadataPassedError) as info:
        make_model().fit(X, y, sample_weight=weights)
    message = str(info.value)
    assert RECIPE in message
    assert "sample_weight=False if only other steps" in message
    assert "estimator=None" in message
    assert "metadata_routing.html" in message
    assert info.value.unrequested_params.keys() == {"sample_weight"}


@pytest.mark.parametrize(
    "base",
    [BinaryLogisticRegression(), LogisticRegression()],
    ids=["ours", "LogisticRegression"],
)
def test_an_explicit_estimator_keeps_scikit_learns_message(base, iris):
    X, y, weights = iris
    name = type(base).__name__
    with pytest.raises(
        UnsetMetadataPassedError, match=re.escape(f"Call `{name}.set_fit_request(")
    ):
        OneVsRestClassifier(base).fit(X, y, sample_weight=weights)


def test_the_default_estimator_routes_nothing_when_nothing_is_passed(iris):
    X, y, _ = iris
    clf = OneVsRestClassifier().fit(X, y)
    routing = clf.get_metadata_routing()
    assert routing.consumes("fit", ["sample_weight"]) == set()
    # The router's copy (clone) of the requests keeps the message.
    with pytest.raises(UnsetMetadataPassedError, match=re.escape(RECIPE)):
        routing.route_params(params={"sample_weight": np.ones(3)}, caller="fit")


def test_recipe_plain(iris):
    X, y, weights = iris
    weighted = _requesting().fit(X, y, sample_weight=weights)
    np.testing.assert_array_equal(weighted.intercept_.round(3), [6.812, 5.688, -14.63])
    unweighted = OneVsRestClassifier().fit(X, y)
    np.testing.assert_array_equal(
        unweighted.intercept_.round(3), [6.689, 5.586, -14.436]
    )
    # The weights reach each class's problem as if given to it directly.
    for index, estimator in enumerate(weighted.estimators_):
        direct = BinaryLogisticRegression().fit(X, y == index, sample_weight=weights)
        np.testing.assert_allclose(estimator.coef_, direct.coef_, rtol=1e-6)


def test_recipe_weights_for_the_scaler_only(iris):
    X, y, weights = iris
    model = make_pipeline(
        StandardScaler().set_fit_request(sample_weight=True),
        OneVsRestClassifier(
            BinaryLogisticRegression().set_fit_request(sample_weight=False)
        ),
    ).fit(X, y, sample_weight=weights)
    scaled = StandardScaler().fit(X, sample_weight=weights).transform(X)
    expected = OneVsRestClassifier().fit(scaled, y)
    np.testing.assert_array_equal(model[-1].coef_, expected.coef_)


def test_recipe_pipeline(iris):
    X, y, weights = iris
    model = make_pipeline(
        StandardScaler().set_fit_request(sample_weight=True), _requesting()
    )
    assert model.fit(X, y, sample_weight=weights).score(X, y) == 0.88


def test_recipe_grid_search(iris):
    X, y, weights = iris
    model = make_pipeline(
        StandardScaler().set_fit_request(sample_weight=True),
        _requesting().set_score_request(sample_weight=True),
    )
    search = GridSearchCV(
        model, {"onevsrestclassifier__estimator__C": [0.01, 0.1, 1.0]}, cv=3
    )
    search.fit(X, y, sample_weight=weights)
    assert search.best_params_ == {"onevsrestclassifier__estimator__C": 1.0}
    assert round(search.best_score_, 4) == 0.9117
