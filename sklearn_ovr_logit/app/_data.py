"""The data of the command line: MNIST, or scikit-learn's 8x8 digits without it."""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch

from ..datasets import fetch_mnist
from ._errors import UsageError

#: How to get MNIST, for the messages of a failed or skipped MNIST load.
HOW_TO_GET_MNIST = (
    "to use MNIST, run once with internet access (it is downloaded into "
    "$SCIKIT_LEARN_DATA/mnist, by default ~/scikit_learn_data/mnist) or set "
    "SKLEARN_OVR_LOGIT_MNIST to a folder holding its four idx files"
)


def load_dataset(name, *, train_size=None, dtype=np.float64, download=True, seed=0):
    """Load the training and test images of a dataset.

    Parameters
    ----------
    name : {"auto", "mnist", "digits"}
        "auto" is MNIST when it can be found or downloaded, else the 8x8
        digits, with a notice saying so.
    train_size : int, default=None
        Keep a stratified random subset of this many training images.
    dtype : numpy dtype, default=np.float64
        The dtype of the images, grey levels as floats.
    download : bool, default=True
        Whether MNIST may be downloaded when it is not on disk.
    seed : int, default=0
        Seed of the subset and of the digits' train/test split.

    Returns
    -------
    data : Bunch
        ``X_train``, ``y_train``, ``X_test``, ``y_test``, ``name`` (for
        messages), ``key`` ("mnist" or "digits"), ``image_shape`` and
        ``max_value`` (the largest grey level), and ``notice``: None, or why
        "auto" fell back to the digits, for the user.

    Raises
    ------
    OSError
        If ``name`` is "mnist" and MNIST can be neither found nor downloaded.
    UsageError
        If ``train_size`` does not fit the dataset.
    """
    if name == "digits":
        data = _digits(seed)
    else:
        try:
            data = _mnist(download)
        except (OSError, ValueError) as exc:
            reason = _why_not(exc)
            if name == "mnist":
                raise OSError(
                    f"--dataset mnist: MNIST is not available ({reason}); "
                    f"{HOW_TO_GET_MNIST}, or drop --dataset mnist to fall back "
                    "to the 8x8 digits"
                ) from None
            notice = (
                f"notice: MNIST is not available ({reason}), so this run uses "
                "scikit-learn's bundled 8x8 digits (1797 images) instead; "
                f"{HOW_TO_GET_MNIST}. Pass --dataset mnist to fail instead of "
                "falling back."
            )
            data = _digits(seed)
            data.notice = notice
    if train_size is not None:
        _subsample(data, train_size, seed)
    # Converted last: MNIST's training set is 47 MB as uint8, 376 MB as
    # float64, and a subset need not pay for the whole.
    data.X_train = data.X_train.astype(dtype, copy=False)
    data.X_test = data.X_test.astype(dtype, copy=False)
    return data


def _mnist(download):
    X_train, X_test, y_train, y_test = fetch_mnist(
        return_X_y=True, download_if_missing=download
    )
    return Bunch(
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        name="MNIST",
        key="mnist",
        image_shape=(28, 28),
        max_value=255,
        notice=None,
    )


def _digits(seed):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=seed
    )
    return Bunch(
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        name="the 8x8 digits",
        key="digits",
        image_shape=(8, 8),
        max_value=16,
        notice=None,
    )


def _subsample(data, train_size, seed):
    n_train = len(data.y_train)
    n_classes = len(np.unique(data.y_train))
    if train_size > n_train:
        raise UsageError(
            f"--train-size {train_size} is more than the {n_train} training "
            f"images of {data.name}"
        )
    if train_size < 2 * n_classes:
        raise UsageError(
            f"--train-size {train_size} is too small: take at least two images "
            f"of each of the {n_classes} classes ({2 * n_classes})"
        )
    if train_size < n_train:
        # Stratified, so that a small subset still has every class.
        data.X_train, _, data.y_train, _ = train_test_split(
            data.X_train,
            data.y_train,
            train_size=train_size,
            stratify=data.y_train,
            random_state=seed,
        )


def _why_not(exc):
    """Why MNIST could not be loaded, in a few words on one line."""
    if isinstance(exc, FileNotFoundError):
        # fetch_mnist's message, several lines long, speaks of its own
        # parameters; --no-download is what the user typed.
        return "not found on disk, and --no-download is set"
    first_line = str(exc).strip().splitlines()[0].rstrip(".:;")
    if isinstance(exc, ValueError):
        return f"damaged file: {first_line}"
    return f"not found on disk, and the download failed: {first_line}"


# With "auto", a fallback to the digits is announced by a notice right after.
_DATASET_LABELS = {
    "auto": "MNIST",
    "mnist": "MNIST",
    "digits": "the 8x8 digits",
}


def load_for_command(args, steps):
    """Load the data a ``train`` or ``search`` command asks for, as a timed step.

    Prints the fallback notice, if any, to standard error.
    """
    dtype = np.float32 if args.float32 else np.float64
    with steps.step(f"Loading {_DATASET_LABELS[args.dataset]}"):
        data = load_dataset(
            args.dataset,
            train_size=args.train_size,
            dtype=dtype,
            download=args.download,
            seed=args.random_state,
        )
    if data.notice:
        print(data.notice, file=sys.stderr)
    return data
