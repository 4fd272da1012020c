"""The figures of ``train``: confusion matrix, coefficients, misclassified digits.

Drawn on :class:`matplotlib.figure.Figure` objects, not through pyplot, so
nothing depends on a display or touches pyplot's global state; ``savefig``
renders them with the Agg backend.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np


def require_matplotlib():
    """Raise ImportError now if the figures cannot be drawn, not after a fit."""
    import matplotlib.figure  # noqa: F401


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
    images = coef.reshape(-1, *image_shape)
    mosaic, positions = _tile(images, n_cols=min(len(images), 5), blank=np.nan)
    # One colour scale for all, so that the images compare. Pixels that are
    # almost never inked get the largest weights; clipping the top 0.5 %
    # keeps them from washing out the others.
    limit = np.quantile(np.abs(coef), 0.995) or 1.0
    fig = _figure(figsize=_figsize(mosaic, width=2.0 * min(len(images), 5), extra=1.2))
    ax = fig.add_subplot()
    image = ax.imshow(mosaic, cmap="RdBu_r", vmin=-limit, vmax=limit)
    _label(ax, positions, titles, fontsize=11)
    fig.colorbar(image, ax=ax, shrink=0.8, extend="both", label="coefficient")
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
    if len(images) == 0:
        fig = _figure(figsize=(6, 1.5))
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, "none", ha="center", va="center")
    else:
        n_cols = min(len(images), 10)
        mosaic, positions = _tile(images, n_cols=n_cols, blank=0.0)
        fig = _figure(figsize=_figsize(mosaic, width=1.2 * n_cols))
        ax = fig.add_subplot()
        ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=max(images.max(), 1))
        labels = [
            f"true {true}\npred {predicted}"
            for true, predicted in zip(true_labels, predicted_labels, strict=True)
        ]
        _label(ax, positions, labels, fontsize=8, color="firebrick")
    fig.suptitle(title)
    fig.savefig(path, dpi=110)


def _tile(images, n_cols, blank):
    """Tile ``images`` into one array, leaving room above each for a label.

    One image in one Axes draws many times faster than one Axes per image.

    Returns
    -------
    mosaic : ndarray
        The tiled images, ``blank`` between them.
    positions : list of (float, float)
        Where each label goes: the centre of the image's top edge, in the
        mosaic's pixel coordinates.
    """
    n, height, width = images.shape
    gap = max(1, width // 8)
    # Room above each image for a label of two lines.
    label_height = round(height * 0.45)
    cell_height, cell_width = height + label_height + gap, width + gap
    n_rows = -(-n // n_cols)
    mosaic = np.full((n_rows * cell_height, n_cols * cell_width - gap), blank)
    positions = []
    for index, image in enumerate(images):
        row, col = divmod(index, n_cols)
        top = row * cell_height + label_height
        left = col * cell_width
        mosaic[top : top + height, left : left + width] = image
        positions.append((left + (width - 1) / 2, top - 1))
    return mosaic, positions


def _label(ax, positions, labels, **text_options):
    for (x, y), label in zip(positions, labels, strict=True):
        ax.text(x, y, label, ha="center", va="bottom", linespacing=1.0, **text_options)
    ax.set_axis_off()


def _figsize(mosaic, width, extra=0.0):
    """A figure size that fits ``mosaic`` at ``width`` inches, plus a title.

    At least 6.5 inches wide, so that a title fits above a few images.
    """
    height = width * mosaic.shape[0] / mosaic.shape[1]
    return max(width + extra, 6.5), height + 0.6
