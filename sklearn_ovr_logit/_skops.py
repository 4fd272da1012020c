"""The names of this package's types, for loading models with ``skops.io``."""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

from ._binary import BinaryLogisticRegression
from ._cv import OneVsRestLogisticRegressionCV
from ._ovr import OneVsRestClassifier, _ConstantPredictor

# _ConstantPredictor: what a one-vs-rest fit keeps for a label present in
# every sample, or in none (multilabel targets).
_TYPES = (
    BinaryLogisticRegression,
    OneVsRestClassifier,
    OneVsRestLogisticRegressionCV,
    _ConstantPredictor,
)


def skops_trusted_types():
    """The types of this package that fitted estimators hold, for ``skops.io``.

    ``skops.io.load`` builds only the types it is told to trust, and
    refuses a file naming any other. Our estimators are types it does not
    know; this is the list to trust for them, and for nothing else.

    Returns
    -------
    types : list of str
        Full names of the types, as ``skops.io.get_untrusted_types``
        reports them.

    See Also
    --------
    sklearn_ovr_logit.app.skops_trusted_types : With the command line's
        pipelines' own function, for the models it fits.

    Examples
    --------
    >>> import skops.io as sio
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_ovr_logit import OneVsRestClassifier, skops_trusted_types
    >>> X, y = load_iris(return_X_y=True)
    >>> model = OneVsRestClassifier().fit(X / 10, y)
    >>> data = sio.dumps(model)
    >>> for name in sio.get_untrusted_types(data=data):
    ...     print(name)
    sklearn_ovr_logit._binary.BinaryLogisticRegression
    sklearn_ovr_logit._ovr.OneVsRestClassifier
    >>> loaded = sio.loads(data, trusted=skops_trusted_types())
    >>> bool((loaded.predict_proba(X / 10) == model.predict_proba(X / 10)).all())
    True
    """
    return sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in _TYPES)
