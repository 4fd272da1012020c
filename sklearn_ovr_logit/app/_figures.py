"""The figures of ``train``: confusion matrix, coefficients, digits by confidence.

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


def plot_by_class(images, captions, mistakes, class_names, path, *, title, groups):
    """Save a row of example digits per class, in groups side by side.

    Parameters
    ----------
    images : ndarray of shape (n_classes, n_groups, n_per_group, height, width)
        Grey levels, ink high; NaN for an empty place (too few examples).
    captions : nested list of str, shape (n_classes, n_groups, n_per_group)
        The text under each image (two lines at most).
    mistakes : list of bool, one per group
        Groups of wrong predictions, captioned in red rather than green.
    class_names : list of str
        The label of each row.
    path : str or path-like
        The PNG file to write.
    title : str
        Figure title.
    groups : list of str
        The heading of each group.
    """
    n_classes, n_groups, n_per_group, height, width = images.shape
    geometry = _ByClassGeometry(n_classes, n_groups, n_per_group, height, width)
    mosaic = np.full(geometry.shape, np.nan)
    fig = _figure(figsize=geometry.figsize, dpi=_BY_CLASS_DPI)
    ax = fig.add_subplot()
    for row in range(n_classes):
        top = geometry.row_top(row)
        ax.text(
            geometry.label_width / 2,
            top + height / 2,
            class_names[row],
            ha="center",
            va="center",
            fontsize=13,
            fontweight="bold",
        )
        for group in range(n_groups):
            color = _WRONG if mistakes[group] else _RIGHT
            for place in range(n_per_group):
                left = geometry.column_left(group, place)
                mosaic[top : top + height, left : left + width] = images[
                    row, group, place
                ]
                ax.text(
                    left + (width - 1) / 2,
                    top + height + geometry.gap / 2,
                    captions[row][group][place],
                    ha="center",
                    va="top",
                    fontsize=8,
                    linespacing=1.0,
                    color=color,
                )
    for group, heading in enumerate(groups):
        first = geometry.column_left(group, 0)
        last = geometry.column_left(group, n_per_group - 1) + width
        ax.text(
            (first + last - 1) / 2,
            geometry.header_height - geometry.gap,
            heading,
            ha="center",
            va="bottom",
            fontsize=10,
            color=_WRONG if mistakes[group] else _RIGHT,
        )
    finite = images[np.isfinite(images)]
    vmax = max(finite.max(), 1) if finite.size else 1
    # Empty places (NaN) are drawn in the background colour.
    ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=vmax, interpolation="nearest")
    ax.set_axis_off()
    fig.suptitle(title)
    fig.savefig(path, dpi=_BY_CLASS_DPI)


_RIGHT = "darkgreen"
_WRONG = "firebrick"
_BY_CLASS_DPI = 100
# Figure pixels per image: a 28-pixel digit drawn about 2.3 times its size.
_BY_CLASS_PIXELS_PER_IMAGE = 65


class _ByClassGeometry:
    """Where the rows, groups and captions of :func:`plot_by_class` go.

    In the mosaic's pixels (one per image pixel): a column for the row
    labels, then per group ``n_per_group`` images with a small gap between
    them and an image's width between groups; per row the images, two lines
    of caption and a gap; a band on top for the group headings.
    """

    def __init__(self, n_classes, n_groups, n_per_group, height, width):
        self.n_per_group = n_per_group
        self.width = width
        self.gap = max(1, round(width / 8))
        self.label_width = width
        self.group_gap = width // 2
        self.cell_width = width + self.gap
        self.row_height = height + round(0.7 * height) + self.gap
        self.header_height = round(0.45 * height)
        self.shape = (
            self.header_height + n_classes * self.row_height,
            self.label_width
            + n_groups * n_per_group * self.cell_width
            + (n_groups - 1) * self.group_gap,
        )
        # Whole pixels, so that the PNG's size is exactly this, plus room
        # for the title above the mosaic.
        scale = _BY_CLASS_PIXELS_PER_IMAGE / width
        self.pixels = (
            round(self.shape[1] * scale) + 30,
            round(self.shape[0] * scale) + 60,
        )
        self.figsize = tuple(n / _BY_CLASS_DPI for n in self.pixels)

    def row_top(self, row):
        return self.header_height + row * self.row_height

    def column_left(self, group, place):
        return (
            self.label_width
            + group * (self.n_per_group * self.cell_width + self.group_gap)
            + place * self.cell_width
        )


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
