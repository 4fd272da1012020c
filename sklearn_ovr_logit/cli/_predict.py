"""``predict``: the digit in each image file, with the probability of each class."""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import sys
from contextlib import ExitStack
from importlib import resources

import numpy as np

from .._images import to_digits_8x8, to_mnist
from .._persistence import load_model

#: The pretrained model shipped in the package, built by
#: scripts/build_pretrained_model.py.
PRETRAINED_MODEL = "mnist_ovr_logit.json"

# The preprocessing for each image format a model can be fitted on, keyed by
# the number of pixels.
_PREPROCESSING = {784: to_mnist, 64: to_digits_8x8}


def run(args):
    """Run ``predict`` with the parsed options; return the exit code."""
    with ExitStack() as stack:
        path = args.model
        if path is None:
            # as_file: the package may be installed in a zip file.
            path = stack.enter_context(resources.as_file(pretrained_model_path()))
        model, metadata = load_model(path, return_metadata=True)
    print(f"Model: {args.model or 'the pretrained MNIST model'}{_summary(metadata)}")
    classifier = model[-1]
    preprocess = _preprocessing(model)
    names = metadata.get("class_names")
    if not isinstance(names, list) or len(names) != len(classifier.classes_):
        names = [str(label) for label in classifier.classes_]

    n_failed = 0
    for image in args.images:
        try:
            pixels = preprocess(image)
        except (OSError, ValueError) as exc:
            message = str(exc) if str(image) in str(exc) else f"{image}: {exc}"
            print(f"{args.prog}: error: {message}", file=sys.stderr)
            n_failed += 1
            continue
        X = pixels.reshape(1, -1)
        proba = model.predict_proba(X)[0]
        # The most probable class, which is also what model.predict returns.
        predicted = int(np.argmax(proba))
        print(f"{image}: {names[predicted]} (probability {proba[predicted]:.3f})")
        pairs = zip(names, proba, strict=True)
        print("  " + "  ".join(f"{name}: {p:.3f}" for name, p in pairs))
    return 1 if n_failed else 0


def pretrained_model_path():
    """The shipped pretrained MNIST model, as an importlib resource."""
    return resources.files("sklearn_ovr_logit") / "models" / PRETRAINED_MODEL


def _summary(metadata):
    """What the metadata says about the training, in parentheses, if anything."""
    parts = []
    if isinstance(metadata.get("n_train"), int):
        dataset = {"mnist": "MNIST", "digits": "8x8 digits"}.get(
            metadata.get("dataset"), "training"
        )
        parts.append(f"fitted on {metadata['n_train']} {dataset} images")
    if isinstance(metadata.get("test_accuracy"), float):
        parts.append(f"test accuracy {metadata['test_accuracy']:.4f}")
    return f" ({', '.join(parts)})" if parts else ""


def _preprocessing(model):
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
