"""Metadata routing to the default base estimator of OneVsRestClassifier.

With ``estimator=None`` there is no base estimator on which a user could call
``set_fit_request``, yet scikit-learn's error for metadata passed without a
request tells them to call it. The request that ``OneVsRestClassifier`` routes
to for ``estimator=None`` raises the same error with a message that says what
to write instead. Because the message comes from the request itself, it is
the same whether ``fit`` is called directly or from a pipeline or a search.
"""

from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.utils.metadata_routing import get_routing_for_object

from ._binary import BinaryLogisticRegression
from ._display import DOCUMENTATION_URL, documentation_version

try:
    from sklearn.utils._metadata_requests import MethodMetadataRequest
except ImportError:  # pragma: no cover - a future scikit-learn moves it
    MethodMetadataRequest = None


def base_estimator_routing(estimator):
    """What OneVsRestClassifier's router routes ``fit`` metadata to.

    Parameters
    ----------
    estimator : estimator object or None
        The ``estimator`` parameter.

    Returns
    -------
    routing : estimator object or MetadataRequest
        ``estimator`` itself, or for ``None`` the requests of
        ``BinaryLogisticRegression()``, whose error for unrequested metadata
        says how to request it.
    """
    if estimator is not None:
        return estimator
    request = get_routing_for_object(BinaryLogisticRegression())
    if MethodMetadataRequest is not None and isinstance(
        request.fit, MethodMetadataRequest
    ):
        request.fit.__class__ = _DefaultEstimatorFitRequest
    return request


def default_estimator_message(unrequested):
    """The error for metadata passed to the default base estimator's ``fit``."""
    names = ", ".join(unrequested)
    requests = ", ".join(f"{name}=True" for name in unrequested)
    ignore = ", ".join(f"{name}=False" for name in unrequested)
    from . import __version__

    guide = (
        f"{DOCUMENTATION_URL}/en/{documentation_version(__version__)}/"
        "user_guide/metadata_routing.html"
    )
    return (
        f"[{names}] passed to OneVsRestClassifier.fit, but its base estimator is "
        "the default (estimator=None, a BinaryLogisticRegression()), which does "
        "not request them, and there is no instance on which to call "
        "set_fit_request. Give the base estimator with its request: "
        f"OneVsRestClassifier(BinaryLogisticRegression().set_fit_request({requests}))"
        f" ({ignore} if only other steps of a pipeline should receive them). See "
        "the metadata routing recipes at "
        f"<{guide}>."
    )


if MethodMetadataRequest is not None:

    class _DefaultEstimatorFitRequest(MethodMetadataRequest):
        """The ``fit`` requests of the default base estimator."""

        def __sklearn_clone__(self):
            # scikit-learn >= 1.9 copies requests by building new
            # MethodMetadataRequest objects: keep the class.
            copy = super().__sklearn_clone__()
            copy.__class__ = type(self)
            return copy

        def _route_params(self, *args, **kwargs):
            try:
                return super()._route_params(*args, **kwargs)
            except UnsetMetadataPassedError as exc:
                raise UnsetMetadataPassedError(
                    message=default_estimator_message(exc.unrequested_params),
                    unrequested_params=exc.unrequested_params,
                    routed_params=exc.routed_params,
                ) from None
