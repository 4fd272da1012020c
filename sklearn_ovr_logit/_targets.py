"""Checks of the targets ``y`` shared by the estimators, in memory or on dask."""

import numpy as np
from sklearn.utils.multiclass import check_classification_targets, type_of_target


def unsortable_labels_error(labels, exc):
    """The error for labels numpy cannot sort into classes (``exc``).

    numpy sorts the labels to find the classes, and cannot order None against
    a number, or a number against a string.
    """
    types = sorted({type(label).__name__ for label in np.ravel(labels)})
    return ValueError(
        f"The labels of y cannot be sorted into classes ({exc}); they are "
        f"of the types {types}. Give labels of one kind, all numbers or all "
        "strings, with no None (drop or fill the missing labels)."
    )


def target_type(y):
    """``type_of_target(y)``, with labels that cannot be sorted refused clearly."""
    try:
        return type_of_target(y, input_name="y")
    except TypeError as exc:
        raise unsortable_labels_error(y, exc) from exc


def sorted_classes(labels):
    """``np.unique(labels)``, with labels that cannot be sorted refused clearly."""
    try:
        return np.unique(labels)
    except TypeError as exc:
        raise unsortable_labels_error(labels, exc) from exc


def classification_classes(y):
    """The sorted classes of ``y``, after scikit-learn's classification checks."""
    try:
        # (It sorts the labels too, through type_of_target.)
        check_classification_targets(y)
    except TypeError as exc:
        raise unsortable_labels_error(y, exc) from exc
    return sorted_classes(y)
