"""The figures of ``train``: confusion matrix, coefficients, misclassified digits.

Drawn on :class:`matplotlib.figure.Figure` objects, not through pyplot, so
nothing depends on a display or touches pyplot's global state; ``savefig``
renders them with the Agg backend.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np


def _figure(**kwargs):
    # Imported here: matplotlib is needed by `train`, not by `predict`.
    from matplotlib.figure import Figure

    return Figure(layout="constrained", **kwargs)


def plot_confusion_matrix(matrix, labels, path, *, title):
    """Save the confusion matrix as an image: counts in cells, darker is more.

    Parameters
    ----------
    matrix : ndarray of shape (n_classes, n_classes)
        Counts, true classes in rows.
    labels : list of str
        Class names.
    path : str or path-like
        The PNG file to write.
    title : str
        Figure title.
    """
    n = len(labels)
    size = 2.5 + 0.55 * n
    fig = _figure(figsize=(size + 1, size))
    ax = fig.add_subplot()
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8, label="test images")
    threshold = matrix.max() / 2
    for (row, col), count in np.ndenumerate(matrix):
        ax.text(
            col,
            row,
            str(count),
            ha="center",
            va="center",
            fontsize=8 if n > 5 else 11,
            color="white" if count > threshold else "black",
        )
    ax.set_xticks(range(n), labels)
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.savefig(path, dpi=110)


def plot_coefficients(coef, titles, image_shape, path, *, title):
    """Save each class's coefficients as an image, red positive, blue negative.

    Parameters
    ----------
    coef : ndarray of shape (n_images, n_features)
        One row per binary model.
    titles : list of str
        A title per row.
    image_shape : tuple of int
        The shape of the images, ``n_features`` pixels.
    path : str or path-like
        The PNG file to write.
    title : str
        Figure title.
    """
    n = len(coef)
    n_cols = min(n, 5)
    n_rows = -(-n // n_cols)
    fig = _figure(figsize=(2.1 * n_cols + 0.9, 2.2 * n_rows + 0.5))
    # One colour scale for all, so that the images compare.
    limit = np.abs(coef).max() or 1.0
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, row, name in zip(axes.flat, coef, titles, strict=False):
        image = ax.imshow(
            row.reshape(image_shape), cmap="RdBu_r", vmin=-limit, vmax=limit
        )
        ax.set_title(name)
    fig.colorbar(image, ax=axes, shrink=0.8, label="coefficient")
    fig.suptitle(title)
    fig.savefig(path, dpi=110)


def plot_misclassified(images, true_labels, predicted_labels, path, *, title):
    """Save a gallery of digits, each titled with its true and predicted label.

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width)
        Grey levels, ink high (drawn dark on light).
    true_labels, predicted_labels : list of str
        The labels of each image.
    path : str or path-like
        The PNG file to write.
    title : str
        Figure title.
    """
    n = len(images)
    n_cols = min(max(n, 1), 10)
    n_rows = max(-(-n // n_cols), 1)
    fig = _figure(figsize=(1.25 * n_cols, 1.45 * n_rows + 0.4))
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, image, true, predicted in zip(
        axes.flat, images, true_labels, predicted_labels, strict=False
    ):
        ax.imshow(image, cmap="gray_r", vmin=0)
        ax.set_title(f"true {true}\npred {predicted}", fontsize=8, color="firebrick")
    if n == 0:
        axes.flat[0].text(0.5, 0.5, "none", ha="center", va="center")
    fig.suptitle(title)
    fig.savefig(path, dpi=110)
