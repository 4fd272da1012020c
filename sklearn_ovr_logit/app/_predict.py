"""``predict``: the digit in each image file, with the probability of each class."""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import sys
import warnings
from contextlib import ExitStack
from importlib import resources

import numpy as np

from ._images import to_digits_8x8, to_mnist
from ._persistence import load_model
from ._report import printable

#: The pretrained model shipped in the package, built by
#: scripts/build_pretrained_model.py.
PRETRAINED_MODEL = "mnist_ovr_logit.json"

# The preprocessing for each image format a model can be fitted on, and the
# images' shape, keyed by the number of pixels.
_PREPROCESSING = {784: (to_mnist, (28, 28)), 64: (to_digits_8x8, (8, 8))}


def run(args):
    """Run ``predict`` with the parsed options; return the exit code."""
    with ExitStack() as stack:
        path = args.model
        if path is None:
            # as_file: the package may be installed in a zip file.
            path = stack.enter_context(resources.as_file(pretrained_model_path()))
        model, metadata = load_model(path, return_metadata=True)
    # Whatever a model file or a file name holds is printed escaped.
    model_name = printable(args.model or "the pretrained MNIST model")
    print(f"Model: {model_name}{_summary(metadata)}")
    classifier = model[-1]
    preprocess, image_shape = _preprocessing(model)
    _check_feature_names(model, image_shape)
    names = metadata.get("class_names")
    if (
        not isinstance(names, list)
        or len(names) != len(classifier.classes_)
        or not all(isinstance(name, str) for name in names)
    ):
        names = classifier.classes_.tolist()
    names = [printable(name) for name in names]

    n_failed = 0
    for image in args.images:
        try:
            pixels = preprocess(image)
        except (OSError, ValueError) as exc:
            message = str(exc) if str(image) in str(exc) else f"{image}: {exc}"
            print(f"{args.prog}: error: {_one_line(message)}", file=sys.stderr)
            n_failed += 1
            continue
        X = pixels.reshape(1, -1)
        with warnings.catch_warnings():
            # The names were checked above; the pixels come in their order.
            warnings.filterwarnings("ignore", "X does not have valid feature names")
            # Overflow in the scores is reported below, in one line.
            warnings.simplefilter("ignore", RuntimeWarning)
            proba = model.predict_proba(X)[0]
        if not (np.isfinite(proba).all() and np.isclose(proba.sum(), 1.0)):
            # Coefficients so large that the scores overflow to -inf for every
            # class (all probabilities 0) or to NaN: argmax would name the
            # first class.
            print(
                f"{args.prog}: error: {printable(image)}: the model gives no valid "
                "probabilities for this image (they overflow); its coefficients "
                "are far too large",
                file=sys.stderr,
            )
            n_failed += 1
            continue
        # The most probable class, which is also what model.predict returns.
        predicted = int(np.argmax(proba))
        image_name = printable(image)
        print(f"{image_name}: {names[predicted]} (probability {proba[predicted]:.3f})")
        pairs = zip(names, proba, strict=True)
        print("  " + "  ".join(f"{name}: {p:.3f}" for name, p in pairs))
    return 1 if n_failed else 0


def pretrained_model_path():
    """The shipped pretrained MNIST model, as an importlib resource."""
    return resources.files(__package__) / "models" / PRETRAINED_MODEL


def _one_line(message):
    return printable(" ".join(message.split()))


def _summary(metadata):
    """What the metadata says about the training, in parentheses, if anything."""
    parts = []
    n_train = metadata.get("n_train")
    if isinstance(n_train, int) and not isinstance(n_train, bool):
        # Only known names: the metadata may hold anything (even a list).
        dataset = metadata.get("dataset")
        dataset = {"mnist": "MNIST", "digits": "8x8 digits"}.get(
            dataset if isinstance(dataset, str) else None, "training"
        )
        parts.append(f"fitted on {n_train} {dataset} images")
    if isinstance(metadata.get("test_accuracy"), float):
        parts.append(f"test accuracy {metadata['test_accuracy']:.4f}")
    return f" ({', '.join(parts)})" if parts else ""


def _preprocessing(model):
    """The preprocessing of the model's images, and their shape."""
    # The classifier, not the pipeline: a "passthrough" first step has no
    # n_features_in_.
    n_features = model[-1].n_features_in_
    if n_features not in _PREPROCESSING:
        raise ValueError(
            f"the model expects {n_features} features; predict reads images for "
            "models fitted on 28x28 images (784 features, MNIST) or 8x8 images "
            "(64 features, scikit-learn's digits)"
        )
    return _PREPROCESSING[n_features]


def _check_feature_names(model, image_shape):
    """A model fitted on named columns must have been fitted on the pixels.

    ``fetch_mnist(as_frame=True)`` and ``load_digits(as_frame=True)`` name
    them ``pixel_<row>_<col>``, row by row: the order predict gives them in.
    """
    first = next((step for _, step in model.steps if step != "passthrough"), None)
    names = getattr(first, "feature_names_in_", None)
    if names is None:
        return
    height, width = image_shape
    expected = [f"pixel_{row}_{col}" for row in range(height) for col in range(width)]
    if list(names) != expected:
        wrong = next(
            i
            for i, pair in enumerate(zip(names, expected, strict=True))
            if pair[0] != pair[1]
        )
        raise ValueError(
            "the model was fitted on features named otherwise than the pixels "
            f"of {height}x{width} images: feature {wrong} is "
            f"{printable(repr(names[wrong]))}, not {expected[wrong]!r}; predict "
            "can only give it pixels"
        )
