"""The pipelines the command line fits: a scaler, then our logistic regression."""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

from .. import BinaryLogisticRegression, OneVsRestClassifier
from ._scaling import make_grey_level_scaler

#: The scalers offered by --scaler: "pixels" divides the grey levels by the
#: largest one (255 for MNIST), so that pixels lie in [0, 1]; "standard" is a
#: StandardScaler, "minmax" a MinMaxScaler (each pixel by its training range).
SCALERS = ("pixels", "standard", "minmax")

#: The grid-search name of C in the one-vs-rest pipeline: the pipeline step
#: "ovr", its parameter "estimator" (the binary model), whose parameter is C.
C_PARAM = "ovr__estimator__C"
SCALER_PARAM = "scaler"


def make_scaler(name, max_value):
    """The scaler called ``name`` in ``SCALERS``."""
    if name == "pixels":
        return make_grey_level_scaler(max_value)
    if name == "standard":
        return StandardScaler()
    if name == "minmax":
        return MinMaxScaler()
    raise ValueError(f"unknown scaler {name!r}; choose from {', '.join(SCALERS)}")


def make_pipeline(
    *,
    scaler="pixels",
    max_value=255,
    C=1.0,
    tol=1e-4,
    max_iter=1000,
    positive_class=None,
    n_jobs=None,
):
    """The pipeline ``scaler`` then one-vs-rest (or one binary) logistic regression.

    Parameters
    ----------
    scaler : {"pixels", "standard", "minmax"}, default="pixels"
        The first step, see ``SCALERS``.
    max_value : float, default=255
        The largest grey level, for the "pixels" scaler.
    C, tol, max_iter : float, float, int
        Parameters of :class:`~sklearn_ovr_logit.BinaryLogisticRegression`.
    positive_class : int, default=None
        None fits one-vs-rest over all classes (steps "scaler" and "ovr").
        A class makes the final step a single ``BinaryLogisticRegression``
        (step "logit") for targets "is this class or not".
    n_jobs : int, default=None
        Jobs of the ``OneVsRestClassifier``.

    Returns
    -------
    pipeline : Pipeline
        Unfitted.
    """
    binary = BinaryLogisticRegression(C=C, tol=tol, max_iter=max_iter)
    if positive_class is None:
        final = ("ovr", OneVsRestClassifier(binary, n_jobs=n_jobs))
    else:
        final = ("logit", binary)
    return Pipeline([("scaler", make_scaler(scaler, max_value)), final])


def scaler_label(scaler):
    """A short name for a scaler step, for tables and messages."""
    if isinstance(scaler, FunctionTransformer):
        return f"pixels/{scaler.kw_args['max_value']:g}"
    if isinstance(scaler, StandardScaler):
        return "standard"
    if isinstance(scaler, MinMaxScaler):
        return "minmax"
    return type(scaler).__name__ if scaler != "passthrough" else "none"


def describe(pipeline):
    """Describe a pipeline of :func:`make_pipeline` in one line.

    Parameters
    ----------
    pipeline : Pipeline
        A scaler, then ``OneVsRestClassifier`` of
        ``BinaryLogisticRegression`` or one ``BinaryLogisticRegression``.

    Returns
    -------
    text : str
        The scaler's short name, then the classifier with its parameters.

    Examples
    --------
    >>> from sklearn_ovr_logit.app import describe, make_pipeline
    >>> print(describe(make_pipeline(scaler="standard", C=0.1, max_iter=500)))
    standard -> OneVsRestClassifier(BinaryLogisticRegression(C=0.1, tol=0.0001,
    max_iter=500))
    """
    scaler, classifier = pipeline.steps[0][1], pipeline.steps[-1][1]
    if isinstance(classifier, OneVsRestClassifier):
        binary = classifier.estimator
        name = f"OneVsRestClassifier({_describe_binary(binary)})"
    else:
        name = _describe_binary(classifier)
    return f"{scaler_label(scaler)} -> {name}"


def _describe_binary(binary):
    return (
        f"BinaryLogisticRegression(C={binary.C:g}, tol={binary.tol:g}, "
        f"max_iter={binary.max_iter})"
    )
