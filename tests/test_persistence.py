"""The command line's model files (``app/_persistence.py``): what saves must
load, exactly, and what loads must be sane.

Exact round trips of every pipeline the files hold, label types, numbers no
fitted model has, degenerate scalers, feature names, models the format cannot
hold, and paths that are not regular files. The messages a user sees for
damaged files, through ``predict --model``, are tested in ``test_cli.py``.
"""

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from _shared import fit_quietly
from hypothesis import given
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier
from sklearn_ovr_logit.app import (
    ModelFileError,
    load_model,
    make_grey_level_scaler,
    save_model,
)

X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X_SMALL = X_DIGITS[:120] / 16


def saved_document(tmp_path, model, **metadata):
    path = tmp_path / "model.json"
    save_model(model, path, metadata=metadata)
    return json.loads(path.read_text())


# -- labels ----------------------------------------------------------------


def _labels(dtype, n_classes, draw):
    """``n_classes`` distinct labels of ``dtype``, drawn from its extremes too."""
    kind = np.dtype(dtype).kind
    if kind == "b":
        return np.array([False, True])
    if kind in "iu":
        info = np.iinfo(dtype)
        values = st.integers(int(info.min), int(info.max))
    elif kind == "f":
        # Whole numbers: scikit-learn takes other floats for a regression.
        bound = int(np.finfo(dtype).max) if np.dtype(dtype).itemsize < 8 else 2**60
        values = st.integers(-bound, bound).map(
            lambda v: float(np.dtype(dtype).type(v))
        )
    else:
        # Any text but NUL at the end, which NumPy's strings drop.
        values = st.text(min_size=1, max_size=8).filter(lambda v: not v.endswith("\0"))
    labels = draw(st.lists(values, min_size=n_classes, max_size=n_classes, unique=True))
    array = np.empty(n_classes, dtype=object) if kind == "O" else None
    if array is None:
        array = np.asarray(labels, dtype=dtype)
    else:
        array[:] = labels
    if len(np.unique(array)) < n_classes:  # float rounding made two equal
        return None
    return array


LABEL_DTYPES = [
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "bool", "str", "object",
]  # fmt: skip


@given(data=st.data())
def test_every_label_type_fit_accepts_round_trips(tmp_path_factory, data):
    """Labels load back with their values and dtype, or saving refuses them."""
    dtype = data.draw(st.sampled_from(LABEL_DTYPES), label="dtype")
    one_vs_rest = data.draw(st.booleans(), label="one_vs_rest")
    n_classes = (
        2
        if dtype == "bool" or not one_vs_rest
        else data.draw(st.integers(2, 4), label="n_classes")
    )
    labels = _labels(dtype, n_classes, data.draw)
    if labels is None:
        return
    y = labels[np.arange(len(X_SMALL)) % n_classes]
    classifier = (
        OneVsRestClassifier(BinaryLogisticRegression(max_iter=30))
        if one_vs_rest
        else BinaryLogisticRegression(max_iter=30)
    )
    model = fit_quietly(
        Pipeline([("scaler", StandardScaler()), ("c", classifier)]), X_SMALL, y
    )
    path = tmp_path_factory.mktemp("labels") / "model.json"
    save_model(model, path)
    loaded = load_model(path)
    assert loaded.classes_.dtype == model.classes_.dtype
    assert loaded.classes_.tolist() == model.classes_.tolist()
    expected = model.predict(X_SMALL)
    predicted = loaded.predict(X_SMALL)
    assert predicted.dtype == expected.dtype
    assert predicted.tolist() == expected.tolist()
    np.testing.assert_array_equal(
        loaded.predict_proba(X_SMALL), model.predict_proba(X_SMALL)
    )


def test_labels_a_file_cannot_hold_are_refused_at_save(tmp_path):
    path = tmp_path / "model.json"
    # Fixed-width strings wider than any label name: refused, not truncated.
    wide = np.array(["a", "b"], dtype="<U5000")
    model = fit_quietly(BinaryLogisticRegression(), X_SMALL, wide[np.arange(120) % 2])
    with pytest.raises(ValueError, match="cannot save the model: its file would not"):
        save_model(model, path)
    # Metadata that JSON cannot hold exactly.
    small = fit_quietly(BinaryLogisticRegression(), X_SMALL, np.arange(120) % 2)
    with pytest.raises(ValueError, match="cannot save the model"):
        save_model(small, path, metadata={"score": float("nan")})
    with pytest.raises(ValueError, match="does not fit in 64 bits"):
        save_model(small, path, metadata={"n": 2**70})
    assert os.listdir(tmp_path) == []  # nothing written, no temporary file


# -- numbers and scalers a fitted model never has --------------------------


@pytest.fixture(scope="module")
def standard_model(tmp_path_factory):
    """The text of a saved standard scaler + one-vs-rest model (3 classes)."""
    model = Pipeline(
        [
            ("scaler", StandardScaler()),
            ("ovr", OneVsRestClassifier(BinaryLogisticRegression(max_iter=50))),
        ]
    )
    fit_quietly(model, X_DIGITS[:300], Y_DIGITS[:300] % 3)
    path = tmp_path_factory.mktemp("model") / "model.json"
    save_model(model, path, metadata={"n_train": 300})
    return json.loads(path.read_text())


def _edited(document, step, **changes):
    steps = [dict(s) for s in document["steps"]]
    steps[step].update(changes)
    return {**document, "steps": steps}


def _scale(document, index, value, var=None):
    scaler = document["steps"][0]
    scale, variance = list(scaler["scale"]), list(scaler["var"])
    scale[index] = value
    if var is not None:
        variance[index] = var
    return _edited(document, 0, scale=scale, var=variance)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        # JSON's non-standard constants and numbers beyond float64.
        (lambda t: t.replace('"n_train": 300', '"n_train": NaN'), "NaN is not a valid"),
        (lambda t: t.replace('"n_train": 300', '"n_train": Infinity'), "Infinity is"),
        (lambda t: t.replace('"n_train": 300', '"n_train": -Infinity'), "-Infinity is"),
        (lambda t: t.replace('"n_train": 300', '"n_train": 1e400'), "out of the range"),
        # Integers beyond 64 bits: a label, a count, thousands of digits.
        (lambda t: t.replace('"classes": [0,', f'"classes": [{-(2**70)},'), "64 bits"),
        (lambda t: t.replace('"n_train": 300', f'"n_train": {10**400}'), "64 bits"),
        (lambda t: t.replace('"n_train": 300', '"n_train": 1' + "0" * 5000), "64 bits"),
    ],
    ids=["nan", "inf", "-inf", "1e400", "label-2**70", "10**400", "5000-digits"],
)
def test_numbers_no_model_has_are_refused(tmp_path, standard_model, edit, match):
    path = tmp_path / "model.json"
    text = json.dumps(standard_model)
    edited = edit(text)
    assert edited != text
    path.write_text(edited)
    with pytest.raises(ModelFileError, match=match) as excinfo:
        load_model(path)
    assert str(excinfo.value).startswith(f"{path}: ")


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda d: _scale(d, 5, 0.0), "'scale' must be the square root of 'var'"),
        (lambda d: _scale(d, 5, 0.0, var=0.0), "'scale' must be the square root"),
        (lambda d: _scale(d, 5, 1e-320, var=0.0), "'scale' must be the square root"),
        (lambda d: _scale(d, 5, 1e-320, var=1e-640), "'scale' must be the square"),
        (lambda d: _scale(d, 5, 3.0, var=4.0), "'scale' must be the square root"),
        (lambda d: _scale(d, 5, 1.0, var=-1.0), "'var' must not be negative"),
    ],
    ids=[
        "zero",
        "zero-var-zero",
        "subnormal",
        "subnormal-underflow",
        "not-sqrt",
        "neg",
    ],
)
def test_degenerate_standard_scalers_are_refused(tmp_path, standard_model, edit, match):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(edit(standard_model)))
    with pytest.raises(ModelFileError, match=match):
        load_model(path)


def test_degenerate_min_max_and_grey_level_scalers_are_refused(tmp_path):
    model = Pipeline([("scaler", MinMaxScaler()), ("c", BinaryLogisticRegression())])
    document = saved_document(tmp_path, fit_quietly(model, X_SMALL, Y_DIGITS[:120] % 2))
    scaler = document["steps"][0]
    path = tmp_path / "edited.json"
    low, high = list(scaler["data_min"]), list(scaler["data_max"])
    low[10], high[10] = 5.0, 1.0
    swapped = _edited(document, 0, data_min=low, data_max=high)
    low, high = list(scaler["data_min"]), list(scaler["data_max"])
    low[10], high[10] = -1e308, 1e308
    infinite = _edited(document, 0, data_min=low, data_max=high)
    huge_range = _edited(document, 0, feature_range=[-1e308, 1e308])
    grey = _edited(document, 0, kind="grey_level_scaler", max_value=1e-320)
    for edited, match in [
        (swapped, "'data_min' must not be above 'data_max'"),
        (infinite, "'data_max' - 'data_min' must be finite"),
        (huge_range, "bad feature_range"),
        (grey, "max_value must be at least 1"),
    ]:
        path.write_text(json.dumps(edited))
        with pytest.raises(ModelFileError, match=match):
            load_model(path)


def test_standard_scaler_of_data_with_missing_values_round_trips(tmp_path):
    # Per-feature counts of samples seen, an array, as StandardScaler keeps
    # them when the training data had NaN.
    X = X_SMALL.copy()
    X[::7, 3] = np.nan
    scaler = StandardScaler().fit(X)
    assert isinstance(scaler.n_samples_seen_, np.ndarray)
    X = np.nan_to_num(X)
    model = Pipeline([("s", scaler), ("c", BinaryLogisticRegression())])
    model.steps[1] = (
        "c",
        fit_quietly(
            BinaryLogisticRegression(), scaler.transform(X), Y_DIGITS[:120] % 2
        ),
    )
    path = tmp_path / "model.json"
    save_model(model, path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded[0].n_samples_seen_, scaler.n_samples_seen_)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


# -- feature names ---------------------------------------------------------


@pytest.mark.parametrize(
    ("scaler", "checks_names"),
    [
        # A FunctionTransformer checks no names: the classifier after it
        # sees an array.
        (make_grey_level_scaler(16), False),
        (StandardScaler(), True),
        (MinMaxScaler(), True),
        ("passthrough", True),  # our classifier checks them first
    ],
    ids=["grey-levels", "standard", "minmax", "passthrough"],
)
def test_feature_names_are_saved_and_checked(tmp_path, scaler, checks_names):
    pd = pytest.importorskip("pandas")
    columns = [f"pixel_{i // 8}_{i % 8}" for i in range(64)]
    X = pd.DataFrame(X_DIGITS[:200], columns=columns)
    y = Y_DIGITS[:200] % 3
    model = Pipeline([("scaler", scaler), ("ovr", OneVsRestClassifier())])
    fit_quietly(model, X, y)
    path = tmp_path / "model.json"
    save_model(model, path)
    loaded = load_model(path)
    for (_, fitted), (_, restored) in zip(model.steps, loaded.steps, strict=True):
        names = getattr(fitted, "feature_names_in_", None)
        assert names is None or list(restored.feature_names_in_) == columns
    assert (
        list(
            loaded[-1].feature_names_in_
            if scaler == "passthrough"
            else loaded.feature_names_in_
        )
        == columns
    )
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    # Other names, or none: the loaded model does what the fitted one does,
    # an error and a warning where the first step checks names.
    renamed = X.rename(columns={columns[3]: "pixel_x"})
    assert outcome(loaded, renamed) == outcome(model, renamed)
    assert outcome(loaded, X.to_numpy()) == outcome(model, X.to_numpy())
    if checks_names:
        assert "feature names should match" in outcome(loaded, renamed)
        assert "does not have valid feature names" in outcome(loaded, X.to_numpy())


def outcome(model, X):
    """What predicting ``X`` gives: the error or the warnings, as text."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.predict(X)
        except ValueError as exc:
            return f"error: {exc}"
    return "warnings: " + " | ".join(str(w.message) for w in caught)


def test_feature_names_that_do_not_fit_are_refused(tmp_path, standard_model):
    path = tmp_path / "model.json"
    for names, match in [
        (["a", "b"], "2 'feature_names' for 64 features"),
        ([1] * 64, "'feature_names' must be a list of strings"),
        ("abc", "'feature_names' must be a list of strings"),
    ]:
        path.write_text(json.dumps(_edited(standard_model, 0, feature_names=names)))
        with pytest.raises(ModelFileError, match=match):
            load_model(path)


# -- paths that are not regular files --------------------------------------


def _load_in_subprocess(path):
    """Run load_model(path) in a fresh interpreter, with memory and time bounds.

    Bounded so that a regression (reading a FIFO for ever, /dev/zero until
    memory runs out) fails this test instead of the machine.
    """
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))\n"
        "from sklearn_ovr_logit.app._persistence import ModelFileError, load_model\n"
        "try:\n"
        f"    load_model({str(path)!r})\n"
        "except ModelFileError as exc:\n"
        "    print(exc)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_fifo_and_devices_are_refused_before_reading(tmp_path):
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    for path, kind in [
        (fifo, "a FIFO (named pipe)"),
        ("/dev/zero", "a character device"),
    ]:
        done = _load_in_subprocess(path)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"{path}: is {kind}, not a model file"


def test_symlink_to_a_model_loads(tmp_path, standard_model):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(standard_model))
    link = tmp_path / "link.json"
    link.symlink_to(path)
    assert list(load_model(link).classes_) == [0, 1, 2]


def test_byte_order_mark_is_accepted_and_duplicate_keys_refused(
    tmp_path, standard_model
):
    path = tmp_path / "model.json"
    # As Notepad saves UTF-8.
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(standard_model).encode())
    assert list(load_model(path).classes_) == [0, 1, 2]
    # Readers differ on a repeated key (first or last wins): refused.
    text = json.dumps(standard_model)
    path.write_text(text[:-1] + ', "format_version": 2}')
    with pytest.raises(ModelFileError, match="key 'format_version' appears twice"):
        load_model(path)


def test_save_errors_name_the_model_file(tmp_path):
    model = fit_quietly(BinaryLogisticRegression(), X_SMALL, Y_DIGITS[:120] % 2)
    missing = tmp_path / "no" / "such" / "model.json"
    with pytest.raises(FileNotFoundError) as excinfo:
        save_model(model, missing)
    assert excinfo.value.filename == str(missing)
    assert "cannot write a model file" in str(excinfo.value)
    folder = tmp_path / "folder.json"
    folder.mkdir()
    with pytest.raises(IsADirectoryError) as excinfo:
        save_model(model, folder)
    assert excinfo.value.filename == str(folder)
    assert os.listdir(tmp_path) == ["folder.json"]  # no temporary file left


# -- what saves loads, exactly ---------------------------------------------


@pytest.mark.parametrize(
    "scaler",
    [make_grey_level_scaler(16), StandardScaler(), MinMaxScaler(), "passthrough"],
    ids=["grey-levels", "standard", "minmax", "passthrough"],
)
@pytest.mark.parametrize(
    "kind", ["one-vs-rest", "one-vs-rest-two-classes", "binary", "binary-strings"]
)
def test_model_files_round_trip_exactly(tmp_path, scaler, kind):
    X, y = load_digits(return_X_y=True)
    X, y = X[:300], y[:300]
    if kind == "one-vs-rest":
        classifier = OneVsRestClassifier(BinaryLogisticRegression(max_iter=300))
    elif kind == "one-vs-rest-two-classes":
        classifier = OneVsRestClassifier(
            BinaryLogisticRegression(class_weight={0: 1.0, 1: 3.0}, max_iter=300)
        )
        y = y % 2
    elif kind == "binary":
        classifier = BinaryLogisticRegression(C=np.inf, max_iter=300)
        y = (y == 3).astype(int)
    else:
        classifier = BinaryLogisticRegression(max_iter=300)
        y = np.where(y == 3, "three", "other")
    model = Pipeline([("scaler", scaler), ("classifier", classifier)])
    with warnings.catch_warnings():
        # Convergence on a few digits is not what this test is about.
        warnings.simplefilter("ignore")
        model.fit(X, y)
    path = tmp_path / "model.json"
    save_model(model, path, metadata={"n": np.int64(3), "values": np.arange(2)})
    loaded, metadata = load_model(path, return_metadata=True)
    assert metadata == {"n": 3, "values": [0, 1]}
    for X_new in (X, X.astype(np.float32)):
        np.testing.assert_array_equal(
            loaded.predict_proba(X_new), model.predict_proba(X_new)
        )
        np.testing.assert_array_equal(loaded.predict(X_new), model.predict(X_new))
    np.testing.assert_array_equal(loaded.classes_, model.classes_)


def test_save_model_refuses_what_it_cannot_load(tmp_path):
    X, y = load_digits(return_X_y=True)
    path = tmp_path / "model.json"
    with pytest.raises(ValueError, match="cannot save a LogisticRegression"):
        save_model(LogisticRegression().fit(X[:50] / 16, y[:50]), path)
    with pytest.raises(ValueError, match="is not fitted"):
        save_model(
            Pipeline([("s", StandardScaler()), ("c", OneVsRestClassifier())]), path
        )
    X = X[:200] / 16
    with pytest.raises(ValueError, match="only the FunctionTransformer of make_grey"):
        save_model(
            Pipeline(
                [("log", FunctionTransformer(np.log1p)), ("c", OneVsRestClassifier())]
            ).fit(X, y[:200]),
            path,
        )
    multilabel = OneVsRestClassifier().fit(
        X, np.column_stack([y[:200] == 1, y[:200] > 4])
    )
    with pytest.raises(ValueError, match="cannot save a multilabel"):
        save_model(multilabel, path)
    other_base = OneVsRestClassifier(LogisticRegression()).fit(X, y[:200])
    with pytest.raises(ValueError, match="OneVsRestClassifier of LogisticRegression"):
        save_model(other_base, path)
    assert not path.exists()
    assert os.listdir(tmp_path) == []  # no temporary file left behind


def test_oversized_file_is_not_read(tmp_path, monkeypatch):
    import sklearn_ovr_logit.app._persistence as persistence

    monkeypatch.setattr(persistence, "_MAX_BYTES", 10)
    path = tmp_path / "big.json"
    path.write_text('{"format": "sklearn-ovr-logit-model"}')
    with pytest.raises(ModelFileError, match="too large for a model file"):
        load_model(path)
