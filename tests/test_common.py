"""scikit-learn's estimator checks on our estimators, with no expected failures."""

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_ovr_logit import (
    BinaryLogisticRegression,
    OneVsRestClassifier,
    OneVsRestLogisticRegressionCV,
)

ESTIMATORS = [
    BinaryLogisticRegression(),
    BinaryLogisticRegression(C=np.inf, max_iter=500),
    # fit_intercept=False is covered by the oracle tests instead: a line through
    # the origin cannot pass check_class_weight_classifiers' off-centre blobs,
    # for scikit-learn's LogisticRegression(fit_intercept=False) either.
    BinaryLogisticRegression(C=0.01),
    BinaryLogisticRegression(class_weight="balanced", tol=1e-8),
    BinaryLogisticRegression(warm_start=True),
    OneVsRestClassifier(),
    OneVsRestClassifier(BinaryLogisticRegression(C=10.0, class_weight="balanced")),
    OneVsRestClassifier(n_jobs=2),
    # The generic path, around other base estimators.
    OneVsRestClassifier(make_pipeline(StandardScaler(), BinaryLogisticRegression())),
    OneVsRestClassifier(LogisticRegression()),
    OneVsRestClassifier(LinearSVC()),
    OneVsRestClassifier(Ridge()),
    OneVsRestLogisticRegressionCV(),
    OneVsRestLogisticRegressionCV(
        Cs=3, cv=3, C_per_class=True, class_weight="balanced", refit=False
    ),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
