"""The "scaled pixels" step of the command line's pipelines.

Kept apart from the image preprocessing (``_images``), which needs Pillow, so that
the command line and model files work (and say what is missing) without it.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.preprocessing import FunctionTransformer


def scale_grey_levels(X, max_value=255.0):
    """Divide grey levels by their largest possible value, giving [0, 1].

    The "scaled pixels" step of our pipelines, used in a
    :class:`~sklearn.preprocessing.FunctionTransformer`. Unlike
    :class:`~sklearn.preprocessing.MinMaxScaler` it learns nothing from the
    training set, so a pixel that is faint in every training image is not
    blown up in a new one.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Grey levels, 0 to ``max_value``.

    max_value : float, default=255.0
        The largest grey level: 255 for MNIST, 16 for the 8x8 digits.

    Returns
    -------
    X_scaled : ndarray of shape (n_samples, n_features)
        ``X / max_value``, float32 for float32 input and float64 otherwise.
    """
    X = np.asarray(X)
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    return np.divide(X, max_value, dtype=dtype)


def make_grey_level_scaler(max_value=255.0):
    """The "scaled pixels" step: grey levels divided by ``max_value``.

    Parameters
    ----------
    max_value : float, default=255.0
        The largest grey level of the images: 255 for MNIST, 16 for the 8x8
        digits.

    Returns
    -------
    scaler : FunctionTransformer
        A stateless transformer calling :func:`scale_grey_levels`, the only
        ``FunctionTransformer`` that model files can hold.
    """
    return FunctionTransformer(
        scale_grey_levels,
        kw_args={"max_value": float(max_value)},
        feature_names_out="one-to-one",
    )
