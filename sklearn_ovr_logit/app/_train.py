"""``train``: fit the pipeline, evaluate it on the test set, write model and figures."""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import os

import numpy as np
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix

from ._data import load_for_command
from ._figures import (
    plot_by_class,
    plot_coefficients,
    plot_confusion_matrix,
    plot_misclassified,
    require_matplotlib,
)
from ._fitting import fit_catching_warnings, print_warnings
from ._output import MODEL_FILE, prepare_output
from ._persistence import save_model
from ._pipeline import describe, make_pipeline, scaler_label
from ._progress import Steps, fit_progress_bar
from ._report import format_confusion_matrix

#: The figures ``train`` writes into its output folder, beside MODEL_FILE.
CONFUSION_FILE = "confusion_matrix.png"
COEFFICIENTS_FILE = "coefficients.png"
MISCLASSIFIED_FILE = "misclassified.png"
BY_CLASS_FILE = "correctly_classified.png"
# The gallery shows the most confident mistakes, at most this many.
_GALLERY_SIZE = 40
# Examples of each group, for each class, in the figure by class.
_PER_GROUP = 3


def run(args):
    """Run ``train`` with the parsed options; return the exit code."""
    require_matplotlib()
    steps = Steps(enabled=args.progress)
    output = prepare_output(args.output)
    data = load_for_command(args, steps)
    y_train, y_test, class_names = _targets(data, args.positive_class)
    pipeline = make_pipeline(
        scaler=args.scaler,
        max_value=data.max_value,
        C=args.C,
        tol=args.tol,
        max_iter=args.max_iter,
        positive_class=args.positive_class,
        n_jobs=args.n_jobs,
    )
    height, width = data.image_shape
    print(
        f"Data: {data.name}, {len(y_train)} training and {len(y_test)} test "
        f"images of {height}x{width} pixels ({data.X_train.dtype.name})"
    )
    print(f"Model: {describe(pipeline)}")

    what = (
        f"{len(class_names)} classes"
        if args.positive_class is None
        else f"{args.positive_class} vs rest"
    )
    bar = args.progress and fit_progress_bar(pipeline)
    with steps.step(f"Fitting on {len(y_train)} images ({what})", bar) as fit:
        caught = fit_catching_warnings(pipeline, data.X_train, y_train)
    print_warnings(caught)
    binaries = getattr(pipeline[-1], "estimators_", [pipeline[-1]])
    print(f"Fit time: {fit.seconds:.1f} s")
    print(
        "L-BFGS iterations per binary model: "
        + " ".join(str(binary.n_iter_) for binary in binaries)
    )

    with steps.step(f"Predicting the {len(y_test)} test images"):
        proba = pipeline.predict_proba(data.X_test)
    y_pred = pipeline.classes_[np.argmax(proba, axis=1)]
    accuracy = _print_evaluation(y_test, y_pred, class_names, args.positive_class)

    metadata = {
        "dataset": data.key,
        "image_shape": list(data.image_shape),
        "max_value": data.max_value,
        "class_names": class_names,
        "positive_class": args.positive_class,
        "n_train": len(y_train),
        "test_accuracy": accuracy,
        "fit_time_seconds": round(fit.seconds, 2),
        "command": args.command_line,
    }
    path = os.path.join(output, MODEL_FILE)
    save_model(pipeline, path, metadata=metadata)
    print(f"Wrote {path} (the fitted pipeline; `predict --model {path}` uses it)")
    _write_figures(
        output, data, pipeline, binaries, y_test, y_pred, proba, accuracy, class_names
    )
    return 0


def _print_evaluation(y_test, y_pred, class_names, positive_class):
    """Print accuracy, per-class report and confusion matrix; return accuracy."""
    accuracy = accuracy_score(y_test, y_pred)
    n_right = int(np.sum(y_test == y_pred))
    print(f"\nTest accuracy: {accuracy:.4f} ({n_right} of {len(y_test)})")
    if positive_class is not None:
        print(
            f"(predicting 'not {positive_class}' for every image would score "
            f"{np.mean(y_test == 0):.4f})"
        )
    print("\nPer-class precision, recall and F1 on the test set:")
    print(classification_report(y_test, y_pred, target_names=class_names, digits=3))
    print("Confusion matrix (rows: true class, columns: predicted class):")
    print(format_confusion_matrix(confusion_matrix(y_test, y_pred), class_names))
    print()
    return accuracy


def _write_figures(
    output, data, pipeline, binaries, y_test, y_pred, proba, accuracy, class_names
):
    """Draw the confusion matrix, coefficients and the galleries of digits."""
    path = os.path.join(output, CONFUSION_FILE)
    plot_confusion_matrix(
        confusion_matrix(y_test, y_pred),
        class_names,
        path,
        title=f"{data.name}, test accuracy {accuracy:.4f}",
    )
    print(f"Wrote {path}")

    coef = np.vstack([binary.coef_ for binary in binaries])
    # One image per binary model: "k vs rest" for the last len(coef) classes
    # (all ten, or only the positive class of a binary model).
    path = os.path.join(output, COEFFICIENTS_FILE)
    plot_coefficients(
        coef,
        [f"{name} vs rest" for name in class_names[-len(coef) :]],
        data.image_shape,
        path,
        title=f"Coefficients of the pixels, scaled by {scaler_label(pipeline[0])}",
    )
    print(f"Wrote {path}")

    wrong = np.flatnonzero(y_test != y_pred)
    # The most confident mistakes first: the most telling ones.
    wrong = wrong[np.argsort(-proba[wrong].max(axis=1), kind="stable")]
    shown = wrong[:_GALLERY_SIZE]
    names = np.asarray(class_names)
    index = {label: i for i, label in enumerate(pipeline.classes_)}
    path = os.path.join(output, MISCLASSIFIED_FILE)
    plot_misclassified(
        np.asarray(data.X_test)[shown].reshape(-1, *data.image_shape),
        names[[index[label] for label in y_test[shown]]],
        names[[index[label] for label in y_pred[shown]]],
        path,
        title=(
            f"The {len(shown)} most confident of {len(wrong)} misclassified test images"
            if len(shown) < len(wrong)
            else f"All {len(wrong)} misclassified test images, most confident first"
        ),
    )
    print(f"Wrote {path}")

    path = os.path.join(output, BY_CLASS_FILE)
    images, captions = examples_by_class(
        np.asarray(data.X_test).reshape(-1, *data.image_shape),
        y_test,
        y_pred,
        proba,
        pipeline.classes_,
        names,
        _PER_GROUP,
    )
    plot_by_class(
        images,
        captions,
        [False, False, True],
        class_names,
        path,
        title="Test images by true class, with the probability of the class predicted",
        groups=[
            "correct, most confident",
            "correct, least confident",
            "wrong, most confident",
        ],
    )
    print(f"Wrote {path}")


def examples_by_class(images, y_true, y_pred, proba, classes, names, n):
    """For each class, ``n`` test images of each kind, and their captions.

    The kinds are the correct predictions with the highest and with the
    lowest probability, and the wrong predictions with the highest
    probability (of the class predicted), among the images of that class.

    Returns
    -------
    examples : ndarray of shape (n_classes, 3, n, height, width)
        The images, NaN where a class has fewer than ``n`` of a kind.
    captions : nested list of str, shape (n_classes, 3, n)
        The probability, and for a wrong prediction the class predicted.
    """
    index = {label: i for i, label in enumerate(classes)}
    predicted = np.array([index[label] for label in y_pred])
    confidence = proba[np.arange(len(predicted)), predicted]
    examples = np.full((len(classes), 3, n, *images.shape[1:]), np.nan)
    captions = [[[""] * n for _ in range(3)] for _ in classes]
    for row, label in enumerate(classes):
        right = np.flatnonzero((y_true == label) & (y_pred == label))
        wrong = np.flatnonzero((y_true == label) & (y_pred != label))
        # Stable sorts: ties keep the test set's order, so the figure is
        # the same from run to run.
        right = right[np.argsort(-confidence[right], kind="stable")]
        wrong = wrong[np.argsort(-confidence[wrong], kind="stable")]
        least = right[n:][::-1][:n]  # not those shown as the most confident
        kinds = [right[:n], least, wrong[:n]]
        for kind, chosen in enumerate(kinds):
            for place, sample in enumerate(chosen):
                examples[row, kind, place] = images[sample]
                p = _probability(confidence[sample])
                captions[row][kind][place] = (
                    f"as {names[predicted[sample]]}\n{p}" if kind == 2 else p
                )
        if len(wrong) == 0:
            captions[row][2][0] = "no mistakes"
    return examples, captions


def _probability(p):
    """Three decimals, without rounding a near-certainty up to 1.000."""
    return ">0.999" if p > 0.999 else f"{p:.3f}"


def _targets(data, positive_class):
    """Training and test targets, and the names of their classes, in order."""
    if positive_class is None:
        classes = np.unique(data.y_train)
        return data.y_train, data.y_test, [str(label) for label in classes]
    # 1 for the positive class, so that it is BinaryLogisticRegression's
    # classes_[1], whose probability predict_proba gives second.
    y_train = (data.y_train == positive_class).astype(np.int64)
    y_test = (data.y_test == positive_class).astype(np.int64)
    return y_train, y_test, [f"not {positive_class}", str(positive_class)]
