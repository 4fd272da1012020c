"""Reader for the idx file format used by MNIST.

An idx file is a header followed by the array values in C order::

    offset  type        value
    0       2 bytes     0x00 0x00
    2       1 byte      dtype code (see ``IDX_DTYPES``)
    3       1 byte      number of dimensions, ndim
    4       4*ndim      big-endian int32 size of each dimension
    4+4*ndim            the values, big-endian

Files may be gzip-compressed; the compression is recognised from the content,
not from the file name.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import gzip
import math
import os
import struct
import zlib

import numpy as np

__all__ = ["IDX_DTYPES", "load_idx"]

# The dtype codes of the idx format. Multi-byte values are stored big-endian.
IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_GZIP_MAGIC = b"\x1f\x8b"
# Deflate cannot compress by more than about 1032:1, so a gzip file of n bytes
# holds at most this many times n bytes of data (plus a little slack below).
_MAX_DEFLATE_RATIO = 1032
_CHUNK_SIZE = 1 << 20


def load_idx(path):
    """Load an idx file, optionally gzip-compressed, as a NumPy array.

    The idx format stores one n-dimensional array of ``uint8``, ``int8``,
    ``int16``, ``int32``, ``float32`` or ``float64`` values; it is the
    format of the MNIST files. Whether the file is gzip-compressed is read
    from its first bytes, so the file name does not matter.

    Parameters
    ----------
    path : str or path-like
        The file to read.

    Returns
    -------
    ndarray
        A writable C-contiguous array with the shape and dtype given by the
        header, in native byte order.

    Raises
    ------
    ValueError
        If the file is not a valid idx file: a bad magic number, an unknown
        dtype code, a header or data shorter or longer than the header
        announces, or a damaged gzip stream. The message names the file and
        the problem.

    See Also
    --------
    fetch_mnist : Load the MNIST dataset, stored as four idx files.

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> from sklearn_ovr_logit.datasets import load_idx
    >>> header = bytes([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3])
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny-idx2-ubyte.gz")
    >>> with gzip.open(path, "wb") as f:
    ...     _ = f.write(header + bytes(range(6)))
    >>> load_idx(path)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    array, _ = _read_idx(path)
    return array


def _read_idx(path, *, hasher=None, expected=None):
    """Read an idx file and feed its uncompressed bytes to ``hasher``.

    Returns the array and the hasher (or None), so that callers can check a
    checksum of the uncompressed content without reading the file twice.
    ``expected`` is None or ``(dtype, shape, description)``: a header that
    announces anything else is refused before the data are read, so that
    decompression stops at the size of the file expected.
    """
    path = os.fspath(path)
    with open(path, "rb") as raw:
        file_size = os.fstat(raw.fileno()).st_size
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if compressed:
            stream = gzip.GzipFile(fileobj=raw, mode="rb")
            # Bound the data size to reject absurd headers before allocating.
            max_data_size = _MAX_DEFLATE_RATIO * file_size + _CHUNK_SIZE
        else:
            stream = raw
            max_data_size = None
        try:
            with stream:
                return _parse(stream, path, file_size, max_data_size, hasher, expected)
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise ValueError(f"{path}: damaged gzip data ({exc}).") from exc


def _parse(stream, path, file_size, max_data_size, hasher, expected):
    magic = _read_exactly(stream, 4)
    if len(magic) < 4:
        raise ValueError(
            f"{path}: file too short for an idx header ({len(magic)} bytes)."
        )
    if magic[:2] != b"\x00\x00":
        raise ValueError(
            f"{path}: bad magic number 0x{magic.hex()}; an idx file starts "
            "with two zero bytes."
        )
    code, ndim = magic[2], magic[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(
            f"{path}: unknown idx dtype code 0x{code:02X} (expected one of {known})."
        )
    if ndim == 0:
        raise ValueError(f"{path}: the idx header declares 0 dimensions.")
    dims_bytes = _read_exactly(stream, 4 * ndim)
    if len(dims_bytes) < 4 * ndim:
        raise ValueError(
            f"{path}: truncated idx header: {ndim} dimensions need "
            f"{4 * ndim} bytes of sizes, found {len(dims_bytes)}."
        )
    shape = struct.unpack(f">{ndim}i", dims_bytes)
    if any(size < 0 for size in shape):
        raise ValueError(f"{path}: negative dimension size in shape {shape}.")

    dtype = IDX_DTYPES[code]
    if expected is not None and (dtype, shape) != expected[:2]:
        want_dtype, want_shape, description = expected
        raise ValueError(
            f"{path}: not {description}: its idx header announces shape {shape} "
            f"of {dtype.name}, expected {want_shape} of {want_dtype.name}."
        )
    header_size = 4 + 4 * ndim
    # Python integers: the product of corrupt sizes must not overflow.
    data_size = math.prod(shape) * dtype.itemsize
    if max_data_size is None:
        if file_size != header_size + data_size:
            what = "truncated" if file_size < header_size + data_size else "too long"
            raise ValueError(
                f"{path}: {what}: the header announces shape {shape} of "
                f"{dtype.name} ({header_size + data_size} bytes with the header), "
                f"but the file has {file_size} bytes."
            )
    elif data_size > max_data_size:
        raise ValueError(
            f"{path}: truncated or corrupt: the header announces shape {shape} "
            f"of {dtype.name} ({data_size} bytes), more than a {file_size}-byte "
            "gzip file can hold."
        )

    array = np.empty(shape, dtype=dtype)
    buffer = memoryview(array.reshape(-1).view(np.uint8))
    n_read = 0
    while n_read < data_size:
        n = stream.readinto(buffer[n_read : n_read + _CHUNK_SIZE])
        if not n:
            break
        n_read += n
    if n_read < data_size:
        raise ValueError(
            f"{path}: truncated: the header announces shape {shape} of "
            f"{dtype.name} ({data_size} bytes of data), but only {n_read} "
            "bytes follow it."
        )
    # Reading past the end also makes gzip check its CRC and length trailer.
    if stream.read(1):
        raise ValueError(
            f"{path}: too long: unexpected bytes after the {data_size} bytes of "
            f"data announced by the header (shape {shape} of {dtype.name})."
        )

    if hasher is not None:
        hasher.update(magic)
        hasher.update(dims_bytes)
        hasher.update(buffer)
    if not dtype.isnative:
        array = array.byteswap(inplace=True).view(dtype.newbyteorder("="))
    return array, hasher


def _read_exactly(stream, size):
    """Read ``size`` bytes, fewer only at the end of the stream."""
    chunks = []
    while size > 0:
        chunk = stream.read(size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
