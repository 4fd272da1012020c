"""One-vs-rest logistic regression for scikit-learn, fitted with L-BFGS."""

from ._binary import BinaryLogisticRegression
from ._cv import OneVsRestLogisticRegressionCV
from ._ovr import OneVsRestClassifier
from ._skops import skops_trusted_types

__version__ = "0.1.0"

__all__ = [
    "BinaryLogisticRegression",
    "OneVsRestClassifier",
    "OneVsRestLogisticRegressionCV",
    "__version__",
    "skops_trusted_types",
]
