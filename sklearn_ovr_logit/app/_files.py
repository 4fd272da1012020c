"""Read an input file whole, refusing anything that is not a regular file.

Model files and images come from users, and a path may name a FIFO (reading
blocks until someone writes), a device such as ``/dev/zero`` (reading never
ends) or a folder. The file is opened without blocking and checked with
``fstat`` on the open descriptor, so that what is checked is what is read,
and no read goes past the size limit checked.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import os
import stat

__all__ = ["read_regular_file"]

_KINDS = {
    stat.S_ISFIFO: "a FIFO (named pipe)",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
    stat.S_ISSOCK: "a socket",
}


def read_regular_file(path, *, max_bytes, what, error=ValueError):
    """The content of the regular file ``path``, at most ``max_bytes`` long.

    Parameters
    ----------
    path : str or path-like
        The file to read; symbolic links are followed.
    max_bytes : int
        The largest size accepted: a larger file is refused before it is
        read, and a file growing past it while read is refused too.
    what : str
        What the file should be, for messages: "model file", "image file".
    error : type, default=ValueError
        The exception raised when the file is not a regular file or is too
        large; its message starts with the path.

    Returns
    -------
    content : bytes

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError, OSError
        If there is no file at ``path``, it is a folder, or it cannot be
        opened; the message starts with the path.
    error
        If ``path`` is a FIFO, a device or a socket, or is larger than
        ``max_bytes``.
    """
    path = os.fspath(path)
    # O_NONBLOCK: opening a FIFO for reading would wait for a writer.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"{path}: is a folder, not {_a(what)}") from None
    except PermissionError:
        raise PermissionError(f"{path}: permission denied") from None
    except OSError as exc:
        raise OSError(f"{path}: cannot open: {exc.strerror or exc}") from None
    try:
        _check_regular(path, os.fstat(fd), max_bytes, what, error)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb", buffering=0) as f:
        # One byte past the limit tells a file that grew while being read.
        content = _read_at_most(f, max_bytes + 1)
    if len(content) > max_bytes:
        raise error(
            f"{path}: grew past the {_megabytes(max_bytes)} limit of {_a(what)} "
            "while being read"
        )
    return content


def _check_regular(path, status, max_bytes, what, error):
    mode = status.st_mode
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(f"{path}: is a folder, not {_a(what)}")
    if not stat.S_ISREG(mode):
        kind = next((k for test, k in _KINDS.items() if test(mode)), "special")
        raise error(f"{path}: is {kind}, not {_a(what)}")
    if status.st_size > max_bytes:
        raise error(
            f"{path}: too large for {_a(what)} ({_megabytes(status.st_size)}; "
            f"the limit is {_megabytes(max_bytes)})"
        )


def _read_at_most(f, limit):
    chunks = []
    remaining = limit
    while remaining > 0:
        chunk = f.read(min(remaining, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _megabytes(n_bytes):
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 100_000 else f"{n_bytes} bytes"


def _a(noun):
    return ("an " if noun[:1] in "aeiou" else "a ") + noun
