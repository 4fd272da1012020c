"""The "pixels" scaler of the command line's pipelines (``app/_scaling.py``)."""

import numpy as np

from sklearn_ovr_logit.app import make_grey_level_scaler, scale_grey_levels


def test_scale_grey_levels():
    X = np.array([[0, 51, 255]], dtype=np.uint8)
    np.testing.assert_array_equal(scale_grey_levels(X), [[0.0, 0.2, 1.0]])
    assert scale_grey_levels(X).dtype == np.float64
    assert scale_grey_levels(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_array_equal(scale_grey_levels([[8, 16]], 16), [[0.5, 1.0]])
    scaler = make_grey_level_scaler(16)
    np.testing.assert_array_equal(scaler.fit_transform([[8.0, 16.0]]), [[0.5, 1.0]])
    assert list(scaler.get_feature_names_out(["a", "b"])) == ["a", "b"]
