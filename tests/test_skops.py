"""Models through ``skops.io``: every estimator, and the command line's pipelines.

Each model is dumped, its untrusted types must be exactly this package's (so
that :func:`~sklearn_ovr_logit.skops_trusted_types` is the whole list to
trust), and the loaded model must predict exactly what the saved one did.
"""

import io
import json
import zipfile

import numpy as np
import pytest
import skops.io as sio
from _shared import fit_quietly
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits

from sklearn_ovr_logit import (
    BinaryLogisticRegression,
    OneVsRestClassifier,
    OneVsRestLogisticRegressionCV,
    app,
    skops_trusted_types,
)

X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X, Y = X_DIGITS[:300], Y_DIGITS[:300]
MULTILABEL = np.column_stack([Y == 1, Y > 4, np.ones(len(Y), dtype=bool)])


MODELS = {
    "binary": lambda: fit_quietly(BinaryLogisticRegression(C=0.5), X / 16, Y == 3),
    "binary-strings": lambda: fit_quietly(
        BinaryLogisticRegression(class_weight="balanced"),
        X / 16,
        np.where(Y == 3, "three", "other"),
    ),
    "one-vs-rest": lambda: fit_quietly(OneVsRestClassifier(), X / 16, Y),
    "one-vs-rest-generic": lambda: fit_quietly(
        OneVsRestClassifier(BinaryLogisticRegression(C=2.0), n_jobs=2), X / 16, Y
    ),
    # A label in every sample: a constant predictor among the estimators.
    "one-vs-rest-multilabel": lambda: fit_quietly(
        OneVsRestClassifier(), X / 16, MULTILABEL
    ),
    "cv": lambda: fit_quietly(OneVsRestLogisticRegressionCV(Cs=3, cv=3), X / 16, Y),
    "cv-per-class": lambda: fit_quietly(
        OneVsRestLogisticRegressionCV(
            Cs=[0.1, 1.0], cv=3, C_per_class=True, refit=False
        ),
        X / 16,
        Y,
    ),
}
PIPELINES = {
    "pixels": lambda: fit_quietly(
        app.make_pipeline(scaler="pixels", max_value=16), X, Y
    ),
    "standard": lambda: fit_quietly(app.make_pipeline(scaler="standard"), X, Y),
    "minmax-binary": lambda: fit_quietly(
        app.make_pipeline(scaler="minmax", positive_class=3), X, Y == 3
    ),
}


def assert_same_predictions(loaded, model, X):
    assert type(loaded) is type(model)
    assert_array_equal(loaded.predict(X), model.predict(X))
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert_array_equal(loaded.decision_function(X), model.decision_function(X))


@pytest.mark.parametrize("name", MODELS)
def test_estimators_round_trip(tmp_path, name):
    model = MODELS[name]()
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted
    assert set(untrusted) <= set(skops_trusted_types())
    assert all(t.startswith("sklearn_ovr_logit.") for t in untrusted)
    loaded = sio.load(path, trusted=skops_trusted_types())
    assert_same_predictions(loaded, model, X / 16)
    assert loaded.get_params(deep=False).keys() == model.get_params(deep=False).keys()


@pytest.mark.parametrize("name", PIPELINES)
def test_command_line_pipelines_round_trip(tmp_path, name):
    model = PIPELINES[name]()
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert set(untrusted) <= set(app.skops_trusted_types())
    loaded = sio.load(path, trusted=app.skops_trusted_types())
    assert_same_predictions(loaded, model, X)
    assert_array_equal(loaded.predict(X.astype(np.float32)), model.predict(X))


def test_the_pixel_scaler_must_be_trusted_too():
    data = sio.dumps(PIPELINES["pixels"]())
    assert "sklearn_ovr_logit.app._scaling.scale_grey_levels" in (
        sio.get_untrusted_types(data=data)
    )
    # The library's list alone trusts no function of the application.
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.loads(data, trusted=skops_trusted_types())


def test_trusted_lists_name_real_types():
    for name in app.skops_trusted_types():
        module, _, attribute = name.rpartition(".")
        imported = __import__(module, fromlist=[attribute])
        assert getattr(imported, attribute).__qualname__ == attribute
    assert set(skops_trusted_types()) < set(app.skops_trusted_types())


def _rewritten(data, edit):
    """The skops file ``data`` with its schema.json edited by ``edit``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "schema.json":
                schema = json.loads(content)
                edit(schema)
                content = json.dumps(schema)
            target.writestr(name, content)
    return out.getvalue()


def test_what_skops_does_with_damaged_or_hostile_files():
    # Why the command line keeps its own JSON format (docs/user_guide/cli.rst):
    # a file naming another type is refused, but a damaged one gives errors
    # that do not say "damaged model file", and values no fitted model has
    # load without complaint.
    model = MODELS["one-vs-rest"]()
    data = sio.dumps(model)
    trusted = skops_trusted_types()

    def hostile(schema):
        schema["__module__"], schema["__class__"] = "os", "system"

    with pytest.raises(sio.exceptions.UntrustedTypesFoundException, match="os"):
        sio.loads(_rewritten(data, hostile), trusted=trusted)
    with pytest.raises(zipfile.BadZipFile):
        sio.loads(data[: len(data) // 2], trusted=trusted)

    def broken_node(schema):
        schema["content"]["content"]["classes_"] = {"__class__": "str"}

    with pytest.raises(KeyError):
        sio.loads(_rewritten(data, broken_node), trusted=trusted)

    def impossible_width(schema):
        schema["content"]["content"]["n_features_in_"]["content"] = "-5"

    loaded = sio.loads(_rewritten(data, impossible_width), trusted=trusted)
    assert loaded.n_features_in_ == -5  # loaded, unchecked
