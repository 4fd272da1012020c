"""Save fitted models as plain JSON and load them back, safely: no pickle.

A pickle (and ``joblib.load``) runs whatever code the file names, so a model
file from elsewhere would be a program. Our files are JSON documents that hold
only numbers, strings and the names of the few step types we know how to
rebuild; loading one builds those estimators and sets their fitted arrays,
nothing else. A damaged, foreign or unsupported file raises
:class:`ModelFileError` with a one-line message.

Format, version 1
-----------------
A UTF-8 JSON object::

    {
      "format": "sklearn-ovr-logit-model",
      "format_version": 1,
      "written_by": "sklearn-ovr-logit 0.1.0",
      "steps": [<step>, ...],       # the pipeline, in order
      "metadata": {...}             # free-form: dataset, scores, image shape
    }

Each step is an object with a ``"name"`` (the pipeline step name) and a
``"kind"``, one of:

- ``"grey_level_scaler"``: ``FunctionTransformer(scale_grey_levels)``, with
  ``"max_value"``;
- ``"standard_scaler"``: :class:`~sklearn.preprocessing.StandardScaler`, with
  ``"with_mean"``, ``"with_std"``, ``"n_features"``, ``"mean"``, ``"var"``,
  ``"scale"`` (arrays or null) and ``"n_samples_seen"``;
- ``"min_max_scaler"``: :class:`~sklearn.preprocessing.MinMaxScaler`, with
  ``"feature_range"``, ``"clip"``, ``"data_min"``, ``"data_max"`` and
  ``"n_samples_seen"``;
- ``"one_vs_rest"``: :class:`~sklearn_ovr_logit.OneVsRestClassifier` of
  :class:`~sklearn_ovr_logit.BinaryLogisticRegression`, with ``"params"`` (of
  the binary estimator), ``"classes"``, ``"classes_dtype"``, ``"coef"`` (one
  row per binary estimator: one per class, or one for two classes),
  ``"intercept"`` and ``"n_iter"``;
- ``"binary_logistic_regression"``:
  :class:`~sklearn_ovr_logit.BinaryLogisticRegression`, with ``"params"``,
  ``"classes"`` (two), ``"classes_dtype"``, ``"coef"`` (one row),
  ``"intercept"`` (one value) and ``"n_iter"``.

Any step fitted on named features (a pandas DataFrame) also has
``"feature_names"``, which predict checks as scikit-learn does.
``"classes_dtype"`` is the NumPy dtype of the labels (``dtype.str``: integers,
unsigned integers, floats, booleans, fixed-width strings, or Python strings in
an object array), so that labels load back with their type; without it,
integers load as int64 and strings as fixed-width strings.

Arrays are (nested) lists of numbers, one matrix row per line. Floats are
written with Python's shortest round-trip representation, so a loaded model
predicts exactly what the saved one did. Numbers must be finite (no
``NaN`` or ``Infinity``) and integers must fit in 64 bits. Before writing,
:func:`save_model` reads its document back as :func:`load_model` would, so
that a model whose file would not load the same is refused at save time.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import json
import math
import os
import tempfile

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    LabelBinarizer,
    MinMaxScaler,
    StandardScaler,
)

from .. import BinaryLogisticRegression, OneVsRestClassifier
from ._files import read_regular_file
from ._scaling import make_grey_level_scaler, scale_grey_levels

__all__ = ["ModelFileError", "load_model", "save_model"]

FORMAT_NAME = "sklearn-ovr-logit-model"
FORMAT_VERSION = 1

# Loading reads the whole file; far larger than any model we write, a file
# is something else.
_MAX_BYTES = 256 * 1024 * 1024
# Integers in a model file fit int64 or uint64 (labels of either type); a
# longer run of digits is refused before Python converts it.
_INT_RANGE = (-(2**63), 2**64 - 1)
_MAX_INT_DIGITS = 20
# Label dtype kinds a file can hold, and the widest fixed-width string label.
_LABEL_KINDS = {
    "b": "booleans",
    "i": "integers",
    "u": "unsigned integers",
    "f": "floats",
    "U": "strings",
    "O": "strings",
}
_MAX_LABEL_CHARS = 4096
# The BinaryLogisticRegression parameters stored with a model (verbose and
# warm_start say nothing about the fitted model).
_BINARY_PARAMS = ("C", "fit_intercept", "tol", "max_iter", "class_weight")


class ModelFileError(ValueError):
    """A file is not a model that this version of sklearn_ovr_logit can load."""


def save_model(model, path, *, metadata=None):
    """Save a fitted pipeline (or classifier) to a JSON model file.

    Parameters
    ----------
    model : Pipeline or estimator
        A fitted :class:`~sklearn.pipeline.Pipeline` whose steps are any of
        the kinds listed in this module's documentation, the last one a
        classifier; or that classifier alone.

    path : str or path-like
        The file to write, replaced atomically if it exists.

    metadata : dict, default=None
        JSON-serialisable information stored with the model (NumPy scalars
        and arrays are converted).

    Raises
    ------
    ValueError
        If a step is of a kind that cannot be saved or is not fitted, or if
        the file would not load back the same model (labels of a type model
        files cannot hold, parameters :func:`load_model` refuses, numbers out
        of range in ``metadata``). Nothing is written then.
    """
    steps = model.steps if isinstance(model, Pipeline) else [("classifier", model)]
    document = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "written_by": f"sklearn-ovr-logit {_version()}",
        "steps": [_encode_step(name, step) for name, step in steps],
        "metadata": _plain(metadata or {}),
    }
    try:
        text = _dumps(document) + "\n"
    except ValueError as exc:  # NaN or infinity in the metadata
        raise ValueError(f"cannot save the model: {exc}") from None
    _check_loads_back(text, steps)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp_path = tempfile.mkstemp(prefix=".model.", suffix=".part", dir=folder)
    except OSError as exc:
        # The temporary file's name would only confuse: name the target.
        raise type(exc)(exc.errno, f"cannot write a model file ({exc.strerror})", path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, path)
    except BaseException as exc:
        os.unlink(tmp_path)
        if isinstance(exc, OSError):
            raise type(exc)(
                exc.errno, f"cannot write a model file ({exc.strerror})", path
            ) from None
        raise


def load_model(path, *, return_metadata=False):
    """Load a model saved by :func:`save_model`.

    Parameters
    ----------
    path : str or path-like
        A JSON model file.

    return_metadata : bool, default=False
        Whether to return the metadata stored with the model too.

    Returns
    -------
    model : Pipeline
        The fitted pipeline, ready to predict.

    metadata : dict
        Only when ``return_metadata`` is True.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    IsADirectoryError
        If ``path`` is a folder.
    ModelFileError
        If the file is not a model file of a format this version can load,
        is damaged, holds values no fitted model has (``NaN``, infinities,
        integers beyond 64 bits, a zero scale), or is not a regular file
        (a FIFO, a device) or is larger than 256 MiB: such paths are refused
        before reading. The message is one line and starts with the path.
    """
    path = os.fspath(path)
    content = read_regular_file(
        path, max_bytes=_MAX_BYTES, what="model file", error=ModelFileError
    )
    # A byte-order mark, as some Windows editors write, is not content.
    content = content.removeprefix(b"\xef\xbb\xbf")
    if not content.lstrip()[:1] == b"{":
        raise ModelFileError(
            f"{path}: not a sklearn-ovr-logit model file (not a JSON document; "
            "models are saved as JSON by `sklearn-ovr-logit train`)"
        )
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"{path}: damaged model file (not UTF-8: {exc})")
    try:
        pipeline, metadata = _decode_document(text)
    except _Damaged as exc:
        raise ModelFileError(f"{path}: damaged model file ({exc})") from None
    except _Invalid as exc:
        raise ModelFileError(f"{path}: invalid model file: {exc}") from None
    if return_metadata:
        return pipeline, metadata
    return pipeline


class _Invalid(Exception):
    """A problem in a model document, reported with the path by load_model."""


class _Damaged(Exception):
    """Text that is not JSON, reported with the path by load_model."""


def _version():
    from .. import __version__

    return __version__


def _decode_document(text):
    """The pipeline and metadata of a model file's text."""
    document = _parse_json(text)
    _check_header(document)
    steps = document["steps"]
    if not isinstance(steps, list) or not steps:
        raise _Invalid("'steps' must be a non-empty list")
    decoded = [_decode_step(step, index) for index, step in enumerate(steps)]
    pipeline = Pipeline([(name, estimator) for name, estimator, _ in decoded])
    _fit_stateless_steps(pipeline, _check_steps(pipeline))
    for name, estimator, feature_names in decoded:
        if feature_names is not None:
            _set_feature_names(name, estimator, feature_names)
    metadata = document.get("metadata", {})
    if not isinstance(metadata, dict):
        raise _Invalid("'metadata' must be an object")
    return pipeline, metadata


def _parse_json(text):
    """Strict JSON: finite numbers only, integers that fit in 64 bits."""
    try:
        return json.loads(
            text,
            object_pairs_hook=_without_duplicates,
            parse_constant=_refuse_constant,
            parse_int=_bounded_int,
            parse_float=_finite_float,
        )
    except json.JSONDecodeError as exc:
        raise _Damaged(f"invalid JSON: {exc}") from None
    except RecursionError:
        # Arrays nested thousands deep: no model file looks like that.
        raise _Invalid("JSON too deeply nested for a model file") from None


def _without_duplicates(pairs):
    # JSON readers differ on a repeated key (first or last wins): refused, so
    # that no two readers see different models in one file.
    document = dict(pairs)
    if len(document) != len(pairs):
        seen = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise _Invalid(f"key {key!r} appears twice in one object")
    return document


def _refuse_constant(name):
    raise _Invalid(f"{name} is not a valid number in a model file (finite only)")


def _bounded_int(digits):
    if len(digits.lstrip("-")) > _MAX_INT_DIGITS or not (
        _INT_RANGE[0] <= (value := int(digits)) <= _INT_RANGE[1]
    ):
        shown = (
            digits if len(digits) <= 30 else f"{digits[:12]}...({len(digits)} digits)"
        )
        raise _Invalid(f"integer {shown} does not fit in 64 bits")
    return value


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise _Invalid(f"number {text[:30]} is out of the range of float64")
    return value


def _check_loads_back(text, steps):
    """Refuse to save what would not load back as the same model."""
    try:
        pipeline, _ = _decode_document(text)
    except (_Invalid, _Damaged) as exc:
        raise ValueError(f"cannot save the model: its file would not load: {exc}")
    for (name, saved), (_, loaded) in zip(steps, pipeline.steps, strict=True):
        for attribute in ("classes_", "feature_names_in_"):
            expected = getattr(saved, attribute, None)
            if expected is None:
                continue
            got = getattr(loaded, attribute)
            if got.dtype != expected.dtype or not np.array_equal(got, expected):
                what = "labels" if attribute == "classes_" else "feature names"
                raise ValueError(
                    f"step {name!r}: cannot save {what} {expected!r}: they would "
                    f"load back as {got!r}"
                )


def _check_header(document):
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise _Invalid(f"not a sklearn-ovr-logit model (no 'format': '{FORMAT_NAME}')")
    version = document.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _Invalid(f"bad format_version {version!r}")
    if version > FORMAT_VERSION:
        raise _Invalid(
            f"format version {version} was written by a newer sklearn-ovr-logit "
            f"({document.get('written_by', 'unknown')!r}); this version reads "
            f"version {FORMAT_VERSION}, upgrade to load it"
        )


# -- writing ---------------------------------------------------------------


def _encode_step(name, step):
    if step == "passthrough" or step is None:
        return {"name": name, "kind": "passthrough"}
    encoded = _encode_fitted_step(name, step)
    names = getattr(step, "feature_names_in_", None)
    if names is not None:
        encoded["feature_names"] = [str(feature) for feature in names]
    return encoded


def _encode_fitted_step(name, step):
    if isinstance(step, FunctionTransformer):
        if step.func is not scale_grey_levels or step.inverse_func is not None:
            raise ValueError(
                f"step {name!r}: only the FunctionTransformer of "
                "make_grey_level_scaler can be saved, not one calling "
                f"{getattr(step.func, '__name__', step.func)!r}"
            )
        max_value = (step.kw_args or {}).get("max_value", 255.0)
        return {"name": name, "kind": "grey_level_scaler", "max_value": max_value}
    if type(step) is StandardScaler:
        _require_fitted(name, step, "scale_")
        return {
            "name": name,
            "kind": "standard_scaler",
            "with_mean": step.with_mean,
            "with_std": step.with_std,
            "n_features": step.n_features_in_,
            "mean": step.mean_,
            "var": step.var_,
            "scale": step.scale_,
            "n_samples_seen": step.n_samples_seen_,
        }
    if type(step) is MinMaxScaler:
        _require_fitted(name, step, "scale_")
        return {
            "name": name,
            "kind": "min_max_scaler",
            "feature_range": list(step.feature_range),
            "clip": step.clip,
            "data_min": step.data_min_,
            "data_max": step.data_max_,
            "n_samples_seen": step.n_samples_seen_,
        }
    if type(step) is OneVsRestClassifier:
        return _encode_one_vs_rest(name, step)
    if type(step) is BinaryLogisticRegression:
        _require_fitted(name, step, "coef_")
        return {
            "name": name,
            "kind": "binary_logistic_regression",
            "params": _binary_params(step),
            **_encode_classes(name, step.classes_),
            "coef": step.coef_,
            "intercept": step.intercept_,
            "n_iter": step.n_iter_,
        }
    raise ValueError(
        f"step {name!r}: cannot save a {type(step).__name__}; model files hold "
        "grey-level, standard or min-max scalers and OneVsRestClassifier or "
        "BinaryLogisticRegression classifiers"
    )


def _encode_one_vs_rest(name, ovr):
    _require_fitted(name, ovr, "estimators_")
    if ovr.multilabel_:
        raise ValueError(f"step {name!r}: cannot save a multilabel OneVsRestClassifier")
    for estimator in ovr.estimators_:
        if type(estimator) is not BinaryLogisticRegression:
            raise ValueError(
                f"step {name!r}: cannot save a OneVsRestClassifier of "
                f"{type(estimator).__name__}, only of BinaryLogisticRegression "
                "(a class present in every training sample, or in none, makes "
                "a constant predictor)"
            )
    return {
        "name": name,
        "kind": "one_vs_rest",
        "params": _binary_params(ovr.estimators_[0]),
        **_encode_classes(name, ovr.classes_),
        "coef": np.vstack([e.coef_ for e in ovr.estimators_]),
        "intercept": np.concatenate([e.intercept_ for e in ovr.estimators_]),
        "n_iter": [e.n_iter_ for e in ovr.estimators_],
    }


def _encode_classes(name, classes):
    """The labels and their dtype, or a ValueError if a file cannot hold them."""
    classes = np.asarray(classes)
    kind = classes.dtype.kind
    values = classes.tolist()
    if kind not in _LABEL_KINDS or (
        kind == "O" and not all(isinstance(v, str) for v in values)
    ):
        raise ValueError(
            f"step {name!r}: cannot save labels of dtype {classes.dtype} "
            f"({classes[:3]!r}...); model files hold labels that are integers, "
            "floats, booleans or strings: convert the labels to one of these "
            "and fit again"
        )
    return {"classes": values, "classes_dtype": classes.dtype.str}


def _binary_params(estimator):
    params = estimator.get_params(deep=False)
    params = {key: params[key] for key in _BINARY_PARAMS}
    if math.isinf(params["C"]):
        params["C"] = "inf"  # JSON has no infinity
    if isinstance(params["class_weight"], dict):
        # JSON keys are strings: keep the labels' types with pairs.
        params["class_weight"] = [[k, v] for k, v in params["class_weight"].items()]
    return params


def _require_fitted(name, step, attribute):
    if not hasattr(step, attribute):
        raise ValueError(f"step {name!r}: {type(step).__name__} is not fitted")


def _plain(value):
    """``value`` with NumPy scalars and arrays turned into JSON types."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _dumps(value, indent=""):
    """JSON with objects indented and each row of an array on one line.

    ``json.dumps(indent=...)`` would put every number of a 10 x 784
    coefficient matrix on its own line.
    """
    value = _plain(value)
    inner = indent + "  "
    if isinstance(value, dict) and value:
        items = [
            f"{inner}{json.dumps(k)}: {_dumps(v, inner)}" for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        rows = [inner + _dumps(v, inner) for v in value]
        return "[\n" + ",\n".join(rows) + "\n" + indent + "]"
    return json.dumps(value, allow_nan=False, separators=(", ", ": "))


# -- reading ---------------------------------------------------------------


def _decode_step(step, index):
    if not isinstance(step, dict):
        raise _Invalid(f"step {index} is not an object")
    name = step.get("name")
    if not isinstance(name, str) or not name or "__" in name:
        raise _Invalid(f"step {index} has no valid 'name'")
    kind = step.get("kind")
    decoders = {
        "passthrough": lambda s: "passthrough",
        "grey_level_scaler": _decode_grey_level_scaler,
        "standard_scaler": _decode_standard_scaler,
        "min_max_scaler": _decode_min_max_scaler,
        "one_vs_rest": _decode_one_vs_rest,
        "binary_logistic_regression": _decode_binary,
    }
    if kind not in decoders:
        raise _Invalid(f"step {name!r} has unknown kind {kind!r}")
    try:
        feature_names = step.get("feature_names")
        if feature_names is not None and (
            kind == "passthrough"
            or not isinstance(feature_names, list)
            or not all(isinstance(f, str) for f in feature_names)
        ):
            raise _Invalid("'feature_names' must be a list of strings")
        return name, decoders[kind](step), feature_names
    except _Invalid as exc:
        raise _Invalid(f"step {name!r}: {exc}") from None
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        # KeyError's message is just the quoted key.
        what = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
        raise _Invalid(f"step {name!r}: {what}") from None


def _decode_grey_level_scaler(step):
    max_value = _number(step["max_value"], "max_value")
    # The largest grey level of the images: 255, 16, or 1 for scaled ones.
    # Below 1 it magnifies the pixels, and near 0 makes them infinite.
    if not max_value >= 1:
        raise _Invalid(f"max_value must be at least 1, got {max_value}")
    return make_grey_level_scaler(max_value)


def _decode_standard_scaler(step):
    n_features = _count(step["n_features"], "n_features")
    scaler = StandardScaler(
        with_mean=_bool(step["with_mean"], "with_mean"),
        with_std=_bool(step["with_std"], "with_std"),
    )
    # What transform uses must be there: the mean when centring, the scale
    # (and the variance it comes from) when scaling.
    needed_when = {"mean": "with_mean", "var": "with_std", "scale": "with_std"}
    for key, flag in needed_when.items():
        value = step[key]
        if value is None and getattr(scaler, flag):
            raise _Invalid(f"{key!r} is null although {flag!r} is true")
        array = None if value is None else _array(value, key, (n_features,))
        setattr(scaler, key + "_", array)
    if scaler.var_ is not None and np.any(scaler.var_ < 0):
        raise _Invalid("'var' must not be negative")
    if scaler.scale_ is not None:
        # What StandardScaler computes: the standard deviation, or 1 for a
        # constant feature. A zero or tiny scale from elsewhere would make
        # the scaled pixels infinite or huge.
        expected = None if scaler.var_ is None else np.sqrt(scaler.var_)
        if (
            expected is None
            or not np.all(
                (scaler.scale_ == 1.0)
                | np.isclose(scaler.scale_, expected, rtol=1e-6, atol=0)
            )
            or np.any(scaler.scale_ < np.finfo(np.float64).tiny)
        ):
            raise _Invalid(
                "'scale' must be the square root of 'var' (or 1 for a constant "
                "feature), positive and not subnormal"
            )
    scaler.n_samples_seen_ = _samples_seen(step["n_samples_seen"], n_features)
    scaler.n_features_in_ = n_features
    return scaler


def _decode_min_max_scaler(step):
    data_min = _array(step["data_min"], "data_min", (None,))
    data_max = _array(step["data_max"], "data_max", data_min.shape)
    feature_range = _array(step["feature_range"], "feature_range", (2,))
    with np.errstate(over="ignore"):
        span = feature_range[1] - feature_range[0]
    if not 0 < span < np.inf:
        raise _Invalid(f"bad feature_range {feature_range.tolist()}")
    # Refitting on two rows would swap a minimum above its maximum silently;
    # an infinite range would scale every pixel to zero.
    if np.any(data_min > data_max):
        raise _Invalid("'data_min' must not be above 'data_max'")
    with np.errstate(over="ignore"):
        if not np.isfinite(data_max - data_min).all():
            raise _Invalid("'data_max' - 'data_min' must be finite")
    scaler = MinMaxScaler(
        feature_range=tuple(feature_range.tolist()),
        clip=_bool(step["clip"], "clip"),
    )
    # Fitting on the two extreme rows recomputes exactly the fitted arrays.
    scaler.fit(np.vstack([data_min, data_max]))
    scaler.n_samples_seen_ = _samples_seen(step["n_samples_seen"], len(data_min))
    return scaler


def _decode_one_vs_rest(step):
    classes = _classes(step, minimum=2)
    n_estimators = 1 if len(classes) == 2 else len(classes)
    coef = _array(step["coef"], "coef", (n_estimators, None))
    intercept = _array(step["intercept"], "intercept", (n_estimators,))
    n_iter = step["n_iter"]
    if not isinstance(n_iter, list) or len(n_iter) != n_estimators:
        raise _Invalid(f"'n_iter' must be a list of {n_estimators} counts")
    params = _decode_params(step["params"])
    estimators = [
        _binary_estimator(params, [0, 1], coef[[k]], intercept[[k]], n_iter[k])
        for k in range(n_estimators)
    ]
    ovr = OneVsRestClassifier(BinaryLogisticRegression(**params))
    ovr.label_binarizer_ = LabelBinarizer(sparse_output=True).fit(classes)
    # The labels' own dtype: LabelBinarizer narrows strings and object arrays.
    ovr.label_binarizer_.classes_ = classes
    ovr.classes_ = classes
    ovr.estimators_ = estimators
    ovr.n_features_in_ = coef.shape[1]
    return ovr


def _decode_binary(step):
    classes = _classes(step, minimum=2)
    if len(classes) != 2:
        raise _Invalid(f"'classes' must hold 2 labels, got {len(classes)}")
    coef = _array(step["coef"], "coef", (1, None))
    intercept = _array(step["intercept"], "intercept", (1,))
    params = _decode_params(step["params"])
    return _binary_estimator(params, classes, coef, intercept, step["n_iter"])


def _binary_estimator(params, classes, coef, intercept, n_iter):
    estimator = BinaryLogisticRegression(**params)
    estimator.classes_ = np.asarray(classes)
    estimator.coef_ = coef
    estimator.intercept_ = intercept
    estimator.n_iter_ = _count(n_iter, "n_iter")
    estimator.n_features_in_ = coef.shape[1]
    return estimator


def _decode_params(params):
    if not isinstance(params, dict) or set(params) != set(_BINARY_PARAMS):
        raise _Invalid(f"'params' must be an object with keys {list(_BINARY_PARAMS)}")
    params = dict(params)
    if params["C"] == "inf":
        params["C"] = math.inf
    if isinstance(params["class_weight"], list):
        params["class_weight"] = dict(params["class_weight"])
    # The constructor stores parameters unchecked; validate them here.
    estimator = BinaryLogisticRegression(**params)
    try:
        estimator._validate_params()
    except ValueError as exc:
        raise _Invalid(f"bad params: {exc}") from None
    return params


def _classes(step, minimum):
    """The labels of a classifier step, with the dtype they were fitted with."""
    value = step["classes"]
    if not isinstance(value, list) or len(value) < minimum:
        raise _Invalid(f"'classes' must be a list of at least {minimum} labels")
    dtype = _label_dtype(step.get("classes_dtype"), value)
    kind = dtype.kind
    if kind == "b":
        valid = all(isinstance(v, bool) for v in value)
    elif kind in "iu":
        info = np.iinfo(dtype)
        valid = all(
            isinstance(v, int) and not isinstance(v, bool) and info.min <= v <= info.max
            for v in value
        )
    elif kind == "f":
        valid = all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
        )
    else:
        valid = all(isinstance(v, str) for v in value)
    if not valid:
        raise _Invalid(
            f"'classes' must all be {_LABEL_KINDS[kind]} (of dtype {dtype}) "
            f"for 'classes_dtype' {dtype.str!r}"
        )
    if kind == "O":
        classes = np.empty(len(value), dtype=object)
        classes[:] = value
    else:
        classes = np.asarray(value, dtype=dtype)
    # Exactly the values written: a float that the dtype rounds, or a string
    # ending in NUL characters (which NumPy's strings drop), would change.
    if kind == "f":
        exact = np.array_equal(classes.astype(np.float64), np.asarray(value, float))
    else:
        exact = classes.tolist() == value
    if not exact:
        raise _Invalid(f"'classes' cannot be held exactly by dtype {dtype}")
    if len(np.unique(classes)) != len(classes) or not np.array_equal(
        classes, np.unique(classes)
    ):
        raise _Invalid("'classes' must be sorted and distinct")
    return classes


def _label_dtype(name, value):
    if name is None:
        # Files written before 'classes_dtype': integers or strings.
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return np.dtype(np.int64)
        if all(isinstance(v, str) for v in value):
            return np.asarray(value).dtype if value else np.dtype(str)
        raise _Invalid("'classes' must be all integers or all strings")
    try:
        dtype = np.dtype(name) if isinstance(name, str) else None
    except TypeError:
        dtype = None
    if (
        dtype is None
        or dtype.kind not in _LABEL_KINDS
        or dtype.str != name
        or (dtype.kind == "U" and dtype.itemsize // 4 > _MAX_LABEL_CHARS)
    ):
        raise _Invalid(f"bad 'classes_dtype' {name!r}")
    return dtype


def _array(value, key, shape):
    """A finite float64 array; ``None`` in ``shape`` matches any length."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Invalid(f"{key!r} is not an array of numbers") from None
    if array.ndim != len(shape) or any(
        want is not None and got != want
        for got, want in zip(array.shape, shape, strict=True)
    ):
        expected = " x ".join("n" if n is None else str(n) for n in shape)
        raise _Invalid(f"{key!r} has shape {array.shape}, expected {expected}")
    if array.size == 0 or not np.isfinite(array).all():
        raise _Invalid(f"{key!r} must be non-empty and finite")
    return array


def _number(value, key):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Invalid(f"{key!r} must be a number")
    return float(value)


def _samples_seen(value, n_features):
    # A float for StandardScaler when it counts sample weights, and one count
    # per feature when the training data had missing values.
    if isinstance(value, list):
        counts = _array(value, "n_samples_seen", (n_features,))
        if np.any(counts < 0):
            raise _Invalid("'n_samples_seen' must not be negative")
        return counts
    if _number(value, "n_samples_seen") < 0:
        raise _Invalid("'n_samples_seen' must not be negative")
    return value


def _count(value, key):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Invalid(f"{key!r} must be a non-negative integer")
    return value


def _bool(value, key):
    if not isinstance(value, bool):
        raise _Invalid(f"{key!r} must be true or false")
    return value


def _check_steps(pipeline):
    """Transformers, then a classifier, agreeing on the number of features."""
    *transformers, (name, final) = pipeline.steps
    for step_name, step in transformers:
        if step != "passthrough" and not hasattr(step, "transform"):
            raise _Invalid(f"step {step_name!r} is not a transformer")
    if not hasattr(final, "predict_proba"):
        raise _Invalid(f"the last step, {name!r}, is not a classifier")
    counts = {
        name: step.n_features_in_
        for name, step in pipeline.steps
        if hasattr(step, "n_features_in_")
    }
    if len(set(counts.values())) > 1:
        detail = ", ".join(f"{name} {n}" for name, n in counts.items())
        raise _Invalid(f"the steps expect different numbers of features ({detail})")
    return final.n_features_in_


def _set_feature_names(name, estimator, feature_names):
    """Restore the names predict checks, as scikit-learn's own fit sets them."""
    n_features = getattr(estimator, "n_features_in_", None)
    if len(feature_names) != n_features:
        raise _Invalid(
            f"step {name!r}: {len(feature_names)} 'feature_names' for "
            f"{n_features} features"
        )
    names = np.asarray(feature_names, dtype=object)
    estimator.feature_names_in_ = names
    # The one-vs-rest estimators were fitted on the same columns.
    for binary in getattr(estimator, "estimators_", []):
        binary.feature_names_in_ = names


def _fit_stateless_steps(pipeline, n_features):
    """Fit the grey-level scaler on a dummy row: it learns only the width."""
    for _, step in pipeline.steps:
        if isinstance(step, FunctionTransformer):
            step.fit(np.zeros((1, n_features)))
