"""Warnings point at the line that called fit, not into the package."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from sklearn_ovr_logit import (
    BinaryLogisticRegression,
    OneVsRestClassifier,
    OneVsRestLogisticRegressionCV,
)


@pytest.fixture(scope="module")
def data():
    return make_classification(
        n_samples=200, n_features=6, n_informative=4, n_classes=3, random_state=0
    )


def warnings_of(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return caught


@pytest.mark.parametrize(
    "make",
    [
        lambda: BinaryLogisticRegression(max_iter=1),
        lambda: OneVsRestClassifier(BinaryLogisticRegression(max_iter=1)),
        lambda: OneVsRestClassifier(BinaryLogisticRegression(max_iter=1), n_jobs=2),
        lambda: OneVsRestLogisticRegressionCV([0.1, 1.0], cv=2, max_iter=1),
    ],
    ids=["binary", "one-vs-rest", "one-vs-rest, threads", "cv"],
)
def test_convergence_warnings_name_the_callers_line(data, make):
    X, y = data
    if isinstance(make(), BinaryLogisticRegression):
        y = y == 1
    caught = warnings_of(lambda: make().fit(X, y))
    convergence = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert convergence
    assert {w.filename for w in convergence} == {__file__}


def test_constant_label_warning_names_the_callers_line(data):
    X, _ = data
    Y = np.zeros((len(X), 2), dtype=int)
    Y[::2, 0] = 1
    Y[:, 1] = 1
    caught = warnings_of(lambda: OneVsRestClassifier().fit(X, Y))
    assert [w.filename for w in caught] == [__file__]
