"""Digit image preprocessing: a picture of one digit in the format a model was fit on.

MNIST's images were made from black and white scans: each digit was
"size normalized to fit in a 20x20 pixel box while preserving [its] aspect
ratio" (grey levels coming from the anti-aliasing), then "centered in a 28x28
image by computing the center of mass of the pixels" [1]_. :func:`to_mnist`
repeats these steps on any picture (a PNG, a JPEG, a phone photo of a digit on
paper, any size, colour or grey, dark on light or light on dark), so that a
model fitted on MNIST sees what it was trained on. :func:`to_digits_8x8` does
the same for scikit-learn's 8x8 digits, whose 32x32 bitmaps were summed over
4x4 blocks [2]_.

References
----------
.. [1] Y. LeCun, C. Cortes and C. J. C. Burges, "The MNIST database of
   handwritten digits", http://yann.lecun.com/exdb/mnist/.
.. [2] E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten Digits",
   UCI Machine Learning Repository, 1998.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import io
import os
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

from ._files import read_regular_file

__all__ = ["read_image", "to_digits_8x8", "to_mnist"]

#: The side of MNIST's images and of the box its digits are fitted into.
MNIST_SIZE = 28
MNIST_BOX = 20
# Measured on MNIST's training set: the centres of mass average (14.0, 14.0) in
# pixel indices, with a spread of 0.3 px, so the digits were shifted by whole
# pixels to put their centre of mass on pixel (14, 14).
MNIST_CENTRE = 14

# Ink fainter than this fraction of the darkest stroke is noise (paper texture,
# JPEG ringing); left in, it would widen the bounding box.
_NOISE_FLOOR = 0.1
# Larger pictures are reduced to this side first.
_MAX_SIDE = 1024
# An image file is read whole; a photo of a digit is a few megabytes, and a
# larger file would exceed Pillow's decompression-bomb limit anyway.
_MAX_FILE_BYTES = 256 * 1024 * 1024
# Ink at least this strong (as a fraction of the strongest) draws the strokes;
# a region of strokes smaller than this fraction of the largest is a speck.
_STROKE = 0.3
_SMALLEST_PART = 0.05
# A picture whose ink differs from its background by fewer grey levels than
# this has no digit in it.
_MIN_CONTRAST = 24


def read_image(path):
    """Open an image file and decode it fully.

    Parameters
    ----------
    path : str or path-like
        Any format Pillow reads: PNG, JPEG, GIF, BMP, TIFF, WebP, ...

    Returns
    -------
    image : PIL.Image.Image
        The decoded image, turned upright if its EXIF data says so.

    Raises
    ------
    OSError
        If there is no file at ``path`` (``FileNotFoundError``), it is a
        folder or it cannot be read.
    ValueError
        If the path is not a regular file (a FIFO, a device), the file is
        larger than 256 MiB, is not an image Pillow can read, is damaged, or
        is so large that Pillow suspects a decompression bomb.
    """
    path = os.fspath(path)
    content = read_regular_file(path, max_bytes=_MAX_FILE_BYTES, what="image file")
    try:
        with warnings.catch_warnings():
            # Between Pillow's two pixel limits it warns on stderr, in several
            # lines; above the second it raises, which is reported below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                # Image.open reads lazily: a truncated file only fails when
                # its pixels are decoded.
                image.load()
                return _upright(image)
    except UnidentifiedImageError:
        raise ValueError(f"{path}: not an image file (Pillow cannot read it)")
    except Image.DecompressionBombError as exc:
        raise ValueError(f"{path}: image too large to read safely ({exc})")
    except (OSError, SyntaxError, ValueError) as exc:
        # Pillow reports damaged data as OSError ("image file is truncated"),
        # SyntaxError (bad PNG chunks) or ValueError.
        raise ValueError(f"{path}: damaged image file ({exc})")


def _upright(image):
    """The picture as it is meant to be seen, for photos stored sideways.

    A phone stores the rotation in the EXIF data. That data is metadata: if
    Pillow cannot parse it, the pixels are still good, and are used as stored.
    """
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # any error of Pillow's EXIF parser, whatever its type
        return image


def to_mnist(image):
    """Preprocess a picture of one digit the way MNIST's digits were.

    Parameters
    ----------
    image : str, path-like, PIL.Image.Image or ndarray
        A file name, a Pillow image, or an array of grey levels 0-255 of shape
        (height, width), or (height, width, 3 or 4) for RGB(A). Any size.
        The digit may be dark on a light background or light on a dark one.

    Returns
    -------
    digit : ndarray of shape (28, 28)
        Grey levels 0.0-255.0 with MNIST's conventions: light digit (255 for
        the strongest ink) on a black (0) background, its bounding box fitted
        into 20 x 20 pixels keeping the aspect ratio, its centre of mass on
        pixel (14, 14). Flatten it into a row to predict.

    Raises
    ------
    ValueError
        If the image is blank (no ink stands out from the background), or
        cannot be read.

    Notes
    -----
    The steps:

    1. Convert to grey. Transparent pixels are laid on a background that
       contrasts with the opaque ones. Pictures larger than 1024 pixels are
       reduced by averaging blocks of pixels.
    2. Find the polarity: the median grey level of the outermost ring of
       pixels is the background. If it is light, invert the image.
    3. Subtract the background and stretch the contrast so that the
       strongest ink is 1. The strokes are the connected regions of ink
       above 0.3; regions smaller than 5 % of the largest (specks, dust)
       are dropped, as is all ink not next to a stroke, and ink under 0.1
       (paper grain, JPEG noise).
    4. Crop to the bounding box of the ink, and resize it (anti-aliased) so
       that its longer side is 20 pixels, keeping the aspect ratio. Scale
       the grey levels so that the strongest is 255, as in every MNIST
       digit.
    5. Paste it into a black 28 x 28 image, shifted by whole pixels so that
       its centre of mass is on pixel (14, 14).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ovr_logit.app._images import to_mnist
    >>> picture = np.full((300, 200), 255, dtype=np.uint8)  # white paper
    >>> picture[50:250, 90:110] = 0  # a black "1", 200 px tall
    >>> digit = to_mnist(picture)
    >>> digit.shape, float(digit.max())
    ((28, 28), 255.0)
    >>> rows, cols = np.nonzero(digit)
    >>> int(rows.min()), int(rows.max())  # 20 px tall, centred
    (4, 23)
    """
    ink = _ink(image)
    height, width = ink.shape
    scale = MNIST_BOX / max(height, width)
    digit = _resize(ink, _scaled(height, scale), _scaled(width, scale))
    # Every MNIST digit's strongest pixel is 254 or 255.
    return 255.0 * _paste_centred(digit / digit.max())


def to_digits_8x8(image):
    """Preprocess a picture of one digit like scikit-learn's 8x8 digits.

    Those digits were normalised to 32 x 32 bitmaps whose 4 x 4 blocks were
    counted, giving grey levels 0-16 (see
    :func:`sklearn.datasets.load_digits`). Here the bounding box of the ink is
    fitted into 32 x 32 pixels keeping the aspect ratio, centred, and the
    blocks are averaged.

    Parameters
    ----------
    image : str, path-like, PIL.Image.Image or ndarray
        As in :func:`to_mnist`.

    Returns
    -------
    digit : ndarray of shape (8, 8)
        Grey levels 0.0-16.0, light digit on a black background.

    Raises
    ------
    ValueError
        If the image is blank or cannot be read.
    """
    ink = _ink(image)
    height, width = ink.shape
    scale = 32 / max(height, width)
    box = _resize(ink, _scaled(height, scale), _scaled(width, scale))
    box /= box.max()
    canvas = np.zeros((32, 32))
    top = (32 - box.shape[0]) // 2
    left = (32 - box.shape[1]) // 2
    canvas[top : top + box.shape[0], left : left + box.shape[1]] = box
    return 16.0 * canvas.reshape(8, 4, 8, 4).mean(axis=(1, 3))


def _scaled(length, scale):
    return max(1, round(length * scale))


def _ink(image):
    """The ink of a picture in [0, 1], background 0, cropped to its bounding box."""
    grey = _shrunk(_grey_levels(image))
    background = np.median(_border(grey))
    if background > 127.5:
        # MNIST's digits are light on dark: invert dark-on-light pictures.
        grey = 255.0 - grey
        background = 255.0 - background
    contrast = grey.max() - background
    if contrast < _MIN_CONTRAST:
        raise ValueError(
            "no digit found: the image is blank (no pixel differs from the "
            f"background by more than {max(contrast, 0):.0f} grey levels)"
        )
    ink = np.clip((grey - background) / contrast, 0.0, 1.0)
    ink = _without_specks(ink)
    ink[ink < _NOISE_FLOOR] = 0.0
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _border(grey):
    """The outermost ring of pixels, where the background shows.

    A picture one or two pixels wide (or tall) is all ring: its two ends
    along the longer side are then the border.
    """
    height, width = grey.shape
    if height > 2 and width > 2:
        return np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])
    if height > 2:
        return np.concatenate([grey[0], grey[-1]])
    if width > 2:
        return np.concatenate([grey[:, 0], grey[:, -1]])
    return grey.ravel()


def _shrunk(grey):
    """Average blocks of pixels of a large picture, down to at most 1024 px.

    The digit ends up 20 px tall: a 12-megapixel photo holds far more
    detail than that needs, and takes seconds to clean up.
    """
    factor = -(-max(grey.shape) // _MAX_SIDE)
    if factor <= 1:
        return grey
    # Edges repeated up to whole blocks: a side shorter than a block (a
    # 5000 x 4 picture) must keep one pixel, not vanish.
    height, width = (-(-side // factor) * factor for side in grey.shape)
    padding = ((0, height - grey.shape[0]), (0, width - grey.shape[1]))
    blocks = np.pad(grey, padding, mode="edge").reshape(
        height // factor, factor, width // factor, factor
    )
    return blocks.mean(axis=(1, 3))


def _without_specks(ink):
    """Keep the digit's strokes and their faint edges; drop specks and grain.

    The strokes are the connected regions of clear ink; regions much smaller
    than the largest (dust, paper grain, JPEG blocks) are dropped, and so is
    everything not next to a kept region, so that noise far from the digit
    does not widen its bounding box.
    """
    strokes, n_regions = ndimage.label(ink >= _STROKE, structure=np.ones((3, 3)))
    sizes = np.bincount(strokes.ravel())[1:]
    kept = np.flatnonzero(sizes >= _SMALLEST_PART * sizes.max()) + 1
    mask = np.isin(strokes, kept)
    # Anti-aliased edges lie within a pixel or two of a 28 px digit's
    # strokes; scale that with the picture.
    margin = max(1, round(max(ink.shape) / 28))
    near = ndimage.maximum_filter(mask, size=2 * margin + 1)
    return np.where(near, ink, 0.0)


def _grey_levels(image):
    """A 2D float array of grey levels 0-255 from a file, PIL image or array."""
    if isinstance(image, (str, os.PathLike)):
        image = read_image(image)  # already upright
    elif isinstance(image, np.ndarray):
        image = _image_from_array(image)
    else:
        image = _upright(image)
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        # 16-bit and float images: convert("L") would clip them at 255.
        return _stretched(np.asarray(image, dtype=np.float64))
    if _has_transparency(image):
        return _flatten_transparency(image)
    return np.asarray(image.convert("L"), dtype=np.float64)


def _stretched(grey):
    """Grey levels of any range stretched to 0-255; infinities saturate."""
    n_nan = np.count_nonzero(np.isnan(grey))
    if n_nan:
        raise ValueError(
            f"{n_nan} of the image's {grey.size} pixels are NaN (not a number); "
            "save the image with a value for every pixel"
        )
    finite = grey[np.isfinite(grey)]
    if finite.size == 0:
        raise ValueError("no digit found: every pixel of the image is infinite")
    low, high = finite.min(), finite.max()
    grey = np.clip(grey, low, high)
    if not high > low:
        return np.zeros_like(grey)
    # Float64 holds the difference of any two float32 or int32 pixels.
    return (grey - low) * (255.0 / (high - low))


def _image_from_array(array):
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ValueError(
            "an image array must have shape (height, width) or (height, width, "
            f"3 or 4); got shape {array.shape}"
        )
    if min(array.shape[:2]) < 1:
        raise ValueError(f"the image is empty: shape {array.shape}")
    array = np.clip(np.nan_to_num(array.astype(np.float64)), 0, 255)
    return Image.fromarray(np.round(array).astype(np.uint8))


def _has_transparency(image):
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        "transparency" in image.info
    )


def _flatten_transparency(image):
    """Lay a transparent picture on a background that contrasts with its ink."""
    rgba = np.asarray(image.convert("RGBA"), dtype=np.float64)
    grey = np.asarray(image.convert("RGBA").convert("L"), dtype=np.float64)
    alpha = rgba[..., 3] / 255.0
    opaque = alpha > 0.5
    if opaque.all() or not opaque.any():
        # Transparency carries no shape: the colours alone draw the digit.
        return grey
    # A drawing app typically leaves the paper transparent: the opaque pixels
    # are the strokes, light strokes go on black and dark ones on white.
    background = 0.0 if np.median(grey[opaque]) > 127.5 else 255.0
    return alpha * grey + (1.0 - alpha) * background


def _resize(ink, height, width):
    """Resize with anti-aliasing, in floating point to keep the grey levels."""
    resized = Image.fromarray(ink.astype(np.float32)).resize(
        (width, height), Image.Resampling.LANCZOS
    )
    # Lanczos overshoots a little next to sharp edges.
    return np.clip(np.asarray(resized, dtype=np.float64), 0.0, 1.0)


def _paste_centred(digit):
    """Paste ``digit`` into a black 28 x 28 image, centre of mass on (14, 14)."""
    height, width = digit.shape
    total = digit.sum()
    centre_row = (digit.sum(axis=1) @ np.arange(height)) / total
    centre_col = (digit.sum(axis=0) @ np.arange(width)) / total
    top = round(MNIST_CENTRE - centre_row)
    left = round(MNIST_CENTRE - centre_col)
    size = MNIST_SIZE
    canvas = np.zeros((size, size))
    # Clip what falls outside, as MNIST did for lopsided digits.
    rows = slice(max(top, 0), min(top + height, size))
    cols = slice(max(left, 0), min(left + width, size))
    canvas[rows, cols] = digit[
        rows.start - top : rows.stop - top, cols.start - left : cols.stop - left
    ]
    return canvas
