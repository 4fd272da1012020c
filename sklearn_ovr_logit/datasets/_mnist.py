"""The MNIST database of handwritten digits.

The four idx files are looked for on disk and, when missing, downloaded from
public mirrors into scikit-learn's data home.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import hashlib
import http.client
import math
import os
import socket
import ssl
import sys
import tempfile
import threading
import time
import urllib.request
from importlib import resources
from numbers import Real

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, validate_params

from ._idx import _GZIP_MAGIC, _read_idx

__all__ = ["fetch_mnist"]

#: Base URLs tried in order when the files have to be downloaded; each holds
#: the four files as ``<name>.gz``.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

#: Environment variable naming a folder that holds the four files.
ENV_VAR = "SKLEARN_OVR_LOGIT_MNIST"

# MD5 of the *uncompressed* files: mirrors recompress the same data, so the
# checksums of the .gz files differ from one mirror to the next.
FILES = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}

#: The shape each file's idx header announces (all four hold uint8 values).
SHAPES = {
    "train-images-idx3-ubyte": (60000, 28, 28),
    "train-labels-idx1-ubyte": (60000,),
    "t10k-images-idx3-ubyte": (10000, 28, 28),
    "t10k-labels-idx1-ubyte": (10000,),
}

FEATURE_NAMES = [f"pixel_{row}_{col}" for row in range(28) for col in range(28)]

_DTYPES = (np.dtype(np.uint8), np.dtype(np.float32), np.dtype(np.float64))
_CHUNK_SIZE = 1 << 16
_USER_AGENT = "sklearn-ovr-logit (fetch_mnist; Python urllib)"
# A download may be no larger than the file uncompressed (a mirror could
# serve it so), plus what gzip adds: 5 bytes per 64 KiB block of stored
# data, its header and trailer, and room for optional header fields.
_GZIP_SLACK = (1 / 10_000, 64 * 1024)
# Each download must average at least this many bytes per second, counted on
# that largest size, on top of one timeout to connect: a server that trickles
# bytes would otherwise keep it alive for ever.
_MIN_BYTES_PER_SECOND = 25_000


@validate_params(
    {
        "data_home": [str, os.PathLike, None],
        "download_if_missing": ["boolean"],
        "return_X_y": ["boolean"],
        "as_frame": ["boolean"],
        "scale": ["boolean"],
        "dtype": [str, type, np.dtype, None],
        "mirrors": [list, tuple, None],
        "timeout": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def fetch_mnist(
    *,
    data_home=None,
    download_if_missing=True,
    return_X_y=False,
    as_frame=False,
    scale=False,
    dtype=None,
    mirrors=None,
    timeout=30.0,
):
    """Load the MNIST handwritten digits dataset (classification).

    Download it if necessary.

    =================   ==========================
    Classes                                     10
    Samples total                            70000
    Training samples                         60000
    Test samples                             10000
    Dimensionality                  784 (28 x 28)
    Features            integers 0-255 (or scaled)
    =================   ==========================

    The canonical split is kept: 60,000 training images from about 250
    writers and 10,000 test images from other writers.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The data home folder, as in scikit-learn's ``fetch_*`` functions. When
        given, the files are looked for in ``<data_home>/mnist`` and then in
        ``data_home`` itself, and downloaded into ``<data_home>/mnist``. When
        None, they are looked for in the folder named by the environment
        variable ``SKLEARN_OVR_LOGIT_MNIST`` if it is set, then in
        ``<get_data_home()>/mnist`` (by default ``~/scikit_learn_data/mnist``,
        see :func:`sklearn.datasets.get_data_home`), where they are
        downloaded to.

    download_if_missing : bool, default=True
        If False, raise a :class:`FileNotFoundError` when the files are not
        found instead of downloading them.

    return_X_y : bool, default=False
        If True, return ``(X_train, X_test, y_train, y_test)``, the order of
        :func:`~sklearn.model_selection.train_test_split`, instead of a
        :class:`~sklearn.utils.Bunch`.

    as_frame : bool, default=False
        If True, ``data`` and ``data_test`` are pandas DataFrames with columns
        ``feature_names``, ``target`` and ``target_test`` are Series named
        ``"target"``, and ``frame`` and ``frame_test`` hold both. Requires
        pandas.

    scale : bool, default=False
        If True, divide the pixels by 255 so that they lie in [0, 1], the
        usual input of a linear model. The result has a floating ``dtype``.

    dtype : {"uint8", "float32", "float64"} or numpy dtype, default=None
        The dtype of the pixels. None means ``uint8`` (the stored grey
        levels 0-255) when ``scale=False`` and ``float64`` when
        ``scale=True``. A floating dtype without ``scale`` gives the grey
        levels 0.0-255.0.

    mirrors : list or tuple of str, default=None
        Base URLs to download from, tried in order for each file; the file
        URL is the base URL followed by ``<name>.gz``. None means the module
        constant ``MIRRORS``: ``https://ossci-datasets.s3.amazonaws.com/mnist/``
        then ``https://storage.googleapis.com/cvdf-datasets/mnist/``.

    timeout : float, default=30.0
        Timeout in seconds of each network operation while downloading.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, with the following attributes.

        data : {ndarray, DataFrame} of shape (60000, 784)
            The training images, one flattened 28 x 28 image per row
            (row-major, so column ``28 * r + c`` is pixel ``(r, c)``).
            0 is the background and 255 the darkest ink.
        target : {ndarray, Series} of shape (60000,)
            The training labels, the digits 0-9 as ``int64``.
        data_test : {ndarray, DataFrame} of shape (10000, 784)
            The test images.
        target_test : {ndarray, Series} of shape (10000,)
            The test labels.
        images : ndarray of shape (60000, 28, 28)
            The training images as 2D arrays, a view of the ``data`` array
            (always an ndarray, also when ``as_frame=True``).
        images_test : ndarray of shape (10000, 28, 28)
            The test images as 2D arrays.
        frame : DataFrame of shape (60000, 785)
            Only a DataFrame when ``as_frame=True`` (else None): ``data``
            with a ``target`` column.
        frame_test : DataFrame of shape (10000, 785)
            The same for the test set.
        feature_names : list of str
            ``"pixel_<row>_<col>"`` for each column, rows and columns
            numbered from 0.
        target_names : ndarray of shape (10,)
            The classes, ``0`` to ``9``.
        DESCR : str
            A description of the dataset.

    (X_train, X_test, y_train, y_test) : tuple if ``return_X_y`` is True
        ``data``, ``data_test``, ``target`` and ``target_test`` as above.

    Raises
    ------
    FileNotFoundError
        If the files are not found and ``download_if_missing`` is False. The
        message lists each folder searched and how to provide the files.
    OSError
        If a file has to be downloaded and no mirror delivers a valid copy.
        The message lists each URL tried and why it failed.
    ValueError
        If a local file is damaged or is not the MNIST file of that name.

    See Also
    --------
    load_idx : Read one idx file, the format of the MNIST files.
    sklearn.datasets.load_digits : A small 8 x 8 digits dataset shipped with
        scikit-learn.

    Notes
    -----
    Four files are read: ``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
    ``t10k-labels-idx1-ubyte``, each either gzip-compressed (named with a
    ``.gz`` suffix) or not. All four must be in the same folder, the first
    folder of the search order that has them all.

    Every file is checked each time it is loaded (one pass over its bytes):
    it must be a complete idx file (see :func:`load_idx`) whose
    uncompressed content has the MD5 checksum of the original MNIST file.
    A downloaded file is checked the same way before it enters the cache;
    it is written to a temporary file in the cache folder and renamed only
    once valid, so an interrupted or failed download leaves nothing behind.
    Files already in the cache folder are kept, so only the missing ones
    are downloaded. Download progress is printed to standard error.

    Loading all four files takes under a second.

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based
       learning applied to document recognition", Proceedings of the IEEE,
       86(11):2278-2324, 1998.

    Examples
    --------
    >>> from sklearn_ovr_logit.datasets import fetch_mnist
    >>> # Drop download_if_missing=False to download the files when missing.
    >>> mnist = fetch_mnist(download_if_missing=False)
    >>> mnist.data.shape, mnist.data.dtype
    ((60000, 784), dtype('uint8'))
    >>> mnist.data_test.shape
    (10000, 784)
    >>> mnist.target[:8]
    array([5, 0, 4, 1, 9, 2, 1, 3])
    >>> mnist.images[0].shape
    (28, 28)
    >>> X_train, X_test, y_train, y_test = fetch_mnist(
    ...     return_X_y=True, scale=True, dtype="float32"
    ... )
    >>> X_train.dtype, float(X_train.min()), float(X_train.max())
    (dtype('float32'), 0.0, 1.0)
    """
    dtype = _check_dtype(dtype, scale)
    if as_frame:
        pd = _import_pandas()
    mirrors = MIRRORS if mirrors is None else tuple(mirrors)

    arrays = _load_or_download(data_home, download_if_missing, mirrors, timeout)
    train_images = arrays["train-images-idx3-ubyte"]
    test_images = arrays["t10k-images-idx3-ubyte"]
    X_train = _convert(train_images.reshape(len(train_images), -1), dtype, scale)
    X_test = _convert(test_images.reshape(len(test_images), -1), dtype, scale)
    y_train = arrays["train-labels-idx1-ubyte"].astype(np.int64)
    y_test = arrays["t10k-labels-idx1-ubyte"].astype(np.int64)
    images = X_train.reshape(-1, 28, 28)
    images_test = X_test.reshape(-1, 28, 28)

    frame = frame_test = None
    if as_frame:
        # copy=False: pandas 3 copies an array by default, and images
        # (a view of the array) would no longer be one of the data.
        X_train = pd.DataFrame(X_train, columns=FEATURE_NAMES, copy=False)
        X_test = pd.DataFrame(X_test, columns=FEATURE_NAMES, copy=False)
        y_train = pd.Series(y_train, name="target")
        y_test = pd.Series(y_test, name="target")
        frame = pd.concat([X_train, y_train], axis=1)
        frame_test = pd.concat([X_test, y_test], axis=1)

    if return_X_y:
        return X_train, X_test, y_train, y_test

    return Bunch(
        data=X_train,
        target=y_train,
        data_test=X_test,
        target_test=y_test,
        images=images,
        images_test=images_test,
        frame=frame,
        frame_test=frame_test,
        feature_names=list(FEATURE_NAMES),
        target_names=np.arange(10),
        DESCR=_load_descr(),
    )


def _check_dtype(dtype, scale):
    if dtype is None:
        return np.dtype(np.float64 if scale else np.uint8)
    try:
        valid = np.dtype(dtype) in _DTYPES
    except TypeError:
        valid = False
    if not valid:
        raise ValueError(
            f"dtype must be 'uint8', 'float32', 'float64' or None; got {dtype!r}."
        )
    dtype = np.dtype(dtype)
    if scale and dtype.kind != "f":
        raise ValueError(
            f"scale=True gives pixels in [0, 1], which dtype {dtype.name} cannot "
            "hold; use dtype='float32' or 'float64'."
        )
    return dtype


def _convert(X, dtype, scale):
    if scale:
        # Divide rather than multiply by 1/255 so that 255 maps to exactly 1.
        return np.divide(X, 255, dtype=dtype)
    return X.astype(dtype, copy=False)


def _import_pandas():
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(
            "fetch_mnist with as_frame=True requires pandas, which is not "
            "installed; install it with `pip install pandas`, or use "
            "as_frame=False to get NumPy arrays."
        ) from exc
    return pandas


def _load_descr():
    descr = resources.files(__package__) / "descr" / "mnist.rst"
    return descr.read_text(encoding="utf-8")


def _load_or_download(data_home, download_if_missing, mirrors, timeout):
    """Return the four arrays keyed by file name, downloading missing files."""
    searched = []
    for folder, source in _search_order(data_home):
        found = _find_files(folder)
        if all(found.values()):
            return {name: _load_file(path, name) for name, path in found.items()}
        # Described now: a download may create the folder afterwards.
        searched.append(_describe(folder, source, found))

    cache = _cache_folder(data_home)
    if not download_if_missing:
        raise FileNotFoundError(
            "MNIST files not found and download_if_missing=False.\n"
            + _where_looked(searched)
            + _how_to_provide(cache, downloading=False)
        )

    os.makedirs(cache, exist_ok=True)
    found = _find_files(cache)
    arrays = {}
    for name, path in found.items():
        if path is not None:
            arrays[name] = _load_file(path, name)
        else:
            arrays[name] = _download(name, cache, mirrors, timeout, searched)
    return arrays


def _search_order(data_home):
    """Yield ``(folder, source)`` in the order the files are looked for."""
    if data_home is not None:
        root = os.path.expanduser(os.fspath(data_home))
        yield os.path.join(root, "mnist"), "data_home"
        yield root, "data_home"
        return
    folder = os.environ.get(ENV_VAR)
    if folder:
        yield os.path.expanduser(folder), f"${ENV_VAR}"
    yield _cache_folder(None), "scikit-learn data home"


def _cache_folder(data_home):
    """The folder downloads go to, not created: only a download creates it.

    The same folder as ``get_data_home(data_home)/mnist``, which would create
    the data home even when nothing is downloaded.
    """
    if data_home is None:
        default = os.path.join("~", "scikit_learn_data")
        data_home = os.environ.get("SCIKIT_LEARN_DATA", default)
    return os.path.join(os.path.expanduser(os.fspath(data_home)), "mnist")


def _find_files(folder):
    """Map each file name to its path in ``folder``, or None when missing."""
    found = {}
    for name in FILES:
        found[name] = None
        # The uncompressed file first: it loads faster.
        for candidate in (name, name + ".gz"):
            path = os.path.join(folder, candidate)
            if os.path.isfile(path):
                found[name] = path
                break
    return found


def _load_file(path, name):
    """Parse an idx file and check the MD5 of its uncompressed content.

    The header must announce the shape of the MNIST file of that name, which
    is checked before anything else is read or decompressed.
    """
    array, hasher = _read_idx(
        path,
        hasher=hashlib.md5(usedforsecurity=False),
        expected=(np.dtype(np.uint8), SHAPES[name], f"the MNIST file {name}"),
    )
    if hasher.hexdigest() != FILES[name]:
        raise ValueError(
            f"{path}: not the MNIST file {name}: the MD5 of its uncompressed "
            f"content is {hasher.hexdigest()}, expected {FILES[name]}. Delete "
            "or replace it; fetch_mnist downloads missing files."
        )
    return array


def _describe(folder, source, found):
    """One line of the "Looked in" list of error messages."""
    if not os.path.isdir(folder):
        state = "folder does not exist"
    else:
        missing = [name for name, path in found.items() if path is None]
        if len(missing) == len(FILES):
            state = "none of the files"
        else:
            state = "missing " + ", ".join(missing)
    return f"  - {folder} ({source}): {state}"


def _where_looked(searched):
    return "Looked in:\n" + "\n".join(searched) + "\n"


def _how_to_provide(cache, *, downloading):
    names = ", ".join(FILES)
    action = (
        "retry when a mirror is reachable"
        if downloading
        else "call fetch_mnist with download_if_missing=True"
    )
    return (
        f"To provide the files, put {names} (each may be gzip-compressed, "
        f"with a .gz suffix) in one folder and set the environment variable "
        f"{ENV_VAR} to that folder, or pass data_home=<folder> (the files go "
        f"in <folder>/mnist or <folder>), or {action} to download them into "
        f"{cache}."
    )


def _download(name, folder, mirrors, timeout, searched):
    """Download ``name`` into ``folder`` from the first mirror that works."""
    failures = []
    last = "no mirrors given"
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name + ".gz"
        try:
            return _download_one(url, name, folder, timeout)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            # Checksum mismatches included: another mirror may be intact.
            failures.append(f"  - {url}: {exc}")
            last = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            print(f"Download of {url} failed: {exc}", file=sys.stderr)
    if not mirrors:
        failures.append("  - no mirrors given")
    # The last failure on the first line, which is all a one-line report shows.
    raise OSError(
        f"Could not download the MNIST file {name} into {folder}; every "
        f"mirror failed (last: {last}):\n"
        + "\n".join(failures)
        + "\nThe files were not found locally either. "
        + _where_looked(searched)
        + _how_to_provide(folder, downloading=True)
    )


def _file_size(name):
    """The size of the uncompressed MNIST file ``name``, header included."""
    shape = SHAPES[name]
    return 4 + 4 * len(shape) + math.prod(shape)


def _download_one(url, name, folder, timeout):
    """Download ``url`` through a temporary file, verify it, then cache it.

    The body may not exceed the file's uncompressed size (plus gzip's
    overhead), and the whole download must end by a deadline set by that
    size: a server sending an endless body, or a byte at a time, fails.
    """
    size = _file_size(name)
    max_bytes = size + math.ceil(size * _GZIP_SLACK[0]) + _GZIP_SLACK[1]
    seconds = timeout + max_bytes / _MIN_BYTES_PER_SECOND
    fd, tmp_path = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out, _Deadline(seconds) as deadline:
            try:
                _receive(url, out, timeout, max_bytes, deadline)
            except (OSError, http.client.HTTPException):
                if deadline.expired:
                    raise OSError(_too_slow(seconds, max_bytes)) from None
                raise
            out.flush()
            os.fsync(out.fileno())
        array = _load_file(tmp_path, name)
        with open(tmp_path, "rb") as f:
            suffix = ".gz" if f.read(2) == _GZIP_MAGIC else ""
        # mkstemp makes the file private; the cache holds public data.
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, os.path.join(folder, name + suffix))
        return array
    finally:
        # Also on KeyboardInterrupt: never leave a partial file behind.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_path)


def _receive(url, out, timeout, max_bytes, deadline):
    """Write the body of ``url`` to ``out``, at most ``max_bytes`` of it."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with deadline.opener().open(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length", "")
        total = int(length) if length.isdigit() else None
        if total is not None and total > max_bytes:
            raise OSError(
                f"the server announces {total} bytes, more than the "
                f"{max_bytes} bytes the file can take; not downloaded"
            )
        progress = _Progress(url, total)
        received = 0
        while chunk := response.read(_CHUNK_SIZE):
            received += len(chunk)
            if received > max_bytes:
                raise OSError(
                    f"the server sent more than the {max_bytes} bytes the file "
                    "can take; download stopped"
                )
            out.write(chunk)
            progress.update(received)
        if deadline.expired:
            raise OSError("deadline passed")  # reported by the caller
        progress.close(received)
    if total is not None and received != total:
        raise OSError(f"incomplete transfer: received {received} of {total} bytes")


def _too_slow(seconds, max_bytes):
    return (
        f"download too slow: not done after {seconds:.0f} s (the deadline for "
        f"up to {max_bytes / 1e6:.1f} MB at {_MIN_BYTES_PER_SECOND / 1e3:.0f} "
        "kB/s); stopped"
    )


class _Deadline:
    """Cut a download's connections when its time is up.

    The ``timeout`` of a socket bounds each wait for data, not the whole
    transfer; a timer shuts down the connections that :meth:`opener` makes,
    which wakes any read blocked on them.
    """

    def __init__(self, seconds):
        self.expired = False
        self._sockets = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc_info):
        self._timer.cancel()

    def _watch(self, sock):
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shutdown(sock)

    def _expire(self):
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shutdown(sock)

    def opener(self):
        """A urllib opener whose HTTP(S) connections this deadline watches."""
        watch = self._watch

        class HTTPConnection(http.client.HTTPConnection):
            def connect(self):
                super().connect()
                watch(self.sock)

        class HTTPSConnection(http.client.HTTPSConnection):
            def connect(self):
                super().connect()
                watch(self.sock)

        class HTTPHandler(urllib.request.HTTPHandler):
            def http_open(self, req):
                return self.do_open(HTTPConnection, req)

        class HTTPSHandler(urllib.request.HTTPSHandler):
            def https_open(self, req):
                # What urllib uses when given no context: the system's CAs.
                context = ssl.create_default_context()
                return self.do_open(HTTPSConnection, req, context=context)

        return urllib.request.build_opener(HTTPHandler, HTTPSHandler)


def _shutdown(sock):
    # socket.socket's own shutdown, also for an SSL socket: it cuts the TCP
    # connection under a read in progress in another thread.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Progress:
    """Print download progress to stderr, redrawn in place on a terminal."""

    def __init__(self, url, total, stream=None):
        self.stream = sys.stderr if stream is None else stream
        self.total = total
        self.start = time.monotonic()
        isatty = getattr(self.stream, "isatty", None)
        self.interactive = bool(isatty and isatty())
        self.last_percent = -1
        size = "" if total is None else f" ({total / 1e6:.1f} MB)"
        self.stream.write(f"Downloading {url}{size}\n")
        self.stream.flush()

    def update(self, received):
        if not self.interactive or not self.total:
            return
        percent = 100 * received // self.total
        if percent != self.last_percent:
            self.last_percent = percent
            self.stream.write(f"\r  {percent:3d}% of {self.total / 1e6:.1f} MB")
            self.stream.flush()

    def close(self, received):
        seconds = time.monotonic() - self.start
        prefix = "\r" if self.interactive and self.total else ""
        self.stream.write(
            f"{prefix}  received {received / 1e6:.1f} MB in {seconds:.1f} s\n"
        )
        self.stream.flush()
