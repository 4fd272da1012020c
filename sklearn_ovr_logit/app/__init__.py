"""The application: the command line ``sklearn-ovr-logit`` and what only it uses.

Run it as ``sklearn-ovr-logit`` or ``python -m sklearn_ovr_logit``.

The application is built on the library's public names only. It holds the
command line (``train``, ``search`` and ``predict``, one module each), the
pipelines it fits (a pixel scaler, then one-vs-rest logistic regression), its
model files (JSON, no pickle), image preprocessing for ``predict`` and the
figures of ``train``.

Its public names are those the scripts of the repository and users who load
the command line's models in Python need: the model files (:func:`save_model`,
:func:`load_model`), the pipelines (:func:`make_pipeline`) and their pixel
scaler, and the command line itself (:func:`main`). Everything else is the
command line's business and may change without notice.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

from .. import skops_trusted_types as _library_trusted_types
from ._main import build_parser, main
from ._persistence import ModelFileError, load_model, save_model
from ._pipeline import describe, make_pipeline
from ._report import format_cv_results
from ._scaling import make_grey_level_scaler, scale_grey_levels

__all__ = [
    "ModelFileError",
    "build_parser",
    "describe",
    "format_cv_results",
    "load_model",
    "main",
    "make_grey_level_scaler",
    "make_pipeline",
    "save_model",
    "scale_grey_levels",
    "skops_trusted_types",
]


def skops_trusted_types():
    """The types to trust when loading the command line's pipelines with skops.

    The library's types (:func:`sklearn_ovr_logit.skops_trusted_types`) and
    the function of the "pixels" scaler, :func:`scale_grey_levels`, which
    ``skops.io.load`` also refuses unless it is trusted.

    Returns
    -------
    types : list of str
        Full names, as ``skops.io.get_untrusted_types`` reports them.

    Examples
    --------
    >>> import skops.io as sio
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ovr_logit.app import make_pipeline, skops_trusted_types
    >>> X, y = load_digits(return_X_y=True)
    >>> model = make_pipeline(scaler="pixels", max_value=16).fit(X, y)
    >>> data = sio.dumps(model)
    >>> set(sio.get_untrusted_types(data=data)) <= set(skops_trusted_types())
    True
    >>> loaded = sio.loads(data, trusted=skops_trusted_types())
    >>> bool((loaded.predict(X) == model.predict(X)).all())
    True
    """
    function = f"{scale_grey_levels.__module__}.{scale_grey_levels.__qualname__}"
    return sorted([*_library_trusted_types(), function])
