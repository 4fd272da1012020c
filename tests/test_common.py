"""scikit-learn's estimator checks on our estimators, and why two of them fail."""

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
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
    OneVsRestClassifier(class_weight="balanced"),
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


def expected_failed_checks(estimator):
    """The checks an estimator of ESTIMATORS fails by design, with the reason."""
    if not isinstance(estimator, OneVsRestClassifier):
        return {}
    base = estimator.estimator
    if isinstance(base, Pipeline):
        return {
            "check_class_weight_classifiers": (
                "OneVsRestClassifier's class_weight reaches a generic base "
                "estimator as its sample_weight, which a Pipeline's fit takes "
                "only with metadata routing, not enabled by the check; the "
                "error says so (test_class_weight.py)."
            )
        }
    if getattr(base, "class_weight", None) == "balanced":
        return {
            "check_class_weight_classifiers": (
                "The check sets OneVsRestClassifier's class_weight; the base "
                "estimator's 'balanced' then re-balances each binary problem "
                "on those weights, as documented, which undoes the weighting "
                "between the classes that the check looks for."
            )
        }
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
