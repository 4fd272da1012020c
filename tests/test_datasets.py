"""Tests of the idx parser and of fetch_mnist: search order, checks, download.

The real MNIST files come from the ``mnist_dir`` fixture; downloads are served
by an HTTP server on 127.0.0.1, so nothing here touches the internet.
"""

import gzip
import http.server
import os
import re
import socket
import struct
import sys
import threading
import time

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ovr_logit.datasets import _mnist, fetch_mnist, load_idx
from sklearn_ovr_logit.datasets._mnist import ENV_VAR, FILES

IDX_CODES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.int16,
    0x0C: np.int32,
    0x0D: np.float32,
    0x0E: np.float64,
}
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def idx_bytes(array, code=None):
    """Encode ``array`` in the idx format."""
    array = np.asarray(array)
    if code is None:
        code = {np.dtype(t): c for c, t in IDX_CODES.items()}[array.dtype]
    header = bytes([0, 0, code, array.ndim])
    header += struct.pack(f">{array.ndim}i", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, content, *, compress=False):
    path.write_bytes(gzip.compress(content, mtime=0) if compress else content)
    return path


def unused_port():
    """A loopback port nobody listens on, so connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def part_files(folder):
    return [name for name in os.listdir(folder) if name.endswith(".part")]


@pytest.fixture(autouse=True)
def _isolate(monkeypatch, tmp_path):
    # No test may reach the default mirrors or the user's data home.
    monkeypatch.setattr(_mnist, "MIRRORS", (f"http://127.0.0.1:{unused_port()}/",))
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "scikit_learn_data"))


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    return fetch_mnist(data_home=mnist_dir, download_if_missing=False)


@pytest.fixture(scope="session")
def mnist_gz(mnist_dir):
    """The bytes of each MNIST file, gzip-compressed, as a mirror serves them."""
    files = {}
    for name in FILES:
        path = mnist_dir / (name + ".gz")
        if path.exists():
            files[name] = path.read_bytes()
        else:
            raw = (mnist_dir / name).read_bytes()
            files[name] = gzip.compress(raw, compresslevel=1, mtime=0)
    return files


def populate(folder, mnist_gz, names=FILES, *, garbage=False):
    """Write MNIST files into ``folder``, or garbage under the same names."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        content = b"not an idx file" if garbage else mnist_gz[name]
        (folder / (name + ".gz")).write_bytes(content)
    return folder


# --------------------------------------------------------------------- idx


@pytest.mark.parametrize("code", IDX_CODES)
@pytest.mark.parametrize("compress", [False, True])
def test_load_idx_round_trip(tmp_path, code, compress):
    rng = np.random.default_rng(0)
    dtype = np.dtype(IDX_CODES[code])
    if dtype.kind == "f":
        expected = rng.standard_normal((3, 4, 5)).astype(dtype)
    else:
        info = np.iinfo(dtype)
        expected = rng.integers(info.min, info.max, (3, 4, 5), endpoint=True)
        expected = expected.astype(dtype)
    path = write(tmp_path / "a.idx", idx_bytes(expected), compress=compress)

    array = load_idx(path)

    assert array.dtype == dtype
    assert array.dtype.isnative
    assert array.flags.c_contiguous
    assert array.flags.writeable
    np.testing.assert_array_equal(array, expected)


@pytest.mark.parametrize("shape", [(0,), (7,), (2, 0, 3), (1, 1, 1, 1, 2)])
def test_load_idx_shapes(tmp_path, shape):
    expected = np.arange(np.prod(shape), dtype=np.int32).reshape(shape)
    path = write(tmp_path / "a.idx", idx_bytes(expected))
    np.testing.assert_array_equal(load_idx(str(path)), expected)
    assert load_idx(path).shape == shape


def test_load_idx_detects_gzip_from_content(tmp_path):
    expected = np.arange(6, dtype=np.uint8).reshape(2, 3)
    gz_without_suffix = write(tmp_path / "a", idx_bytes(expected), compress=True)
    plain_with_suffix = write(tmp_path / "b.gz", idx_bytes(expected))
    np.testing.assert_array_equal(load_idx(gz_without_suffix), expected)
    np.testing.assert_array_equal(load_idx(plain_with_suffix), expected)


def test_load_idx_property(tmp_path):
    hypothesis = pytest.importorskip("hypothesis")
    hnp = pytest.importorskip("hypothesis.extra.numpy")
    st = hypothesis.strategies
    dtypes = st.sampled_from([np.dtype(t) for t in IDX_CODES.values()])

    @hypothesis.given(
        array=hnp.arrays(dtypes, hnp.array_shapes(min_dims=1, max_dims=4)),
        compress=st.booleans(),
    )
    def check(array, compress):
        path = write(tmp_path / "p.idx", idx_bytes(array), compress=compress)
        loaded = load_idx(path)
        assert loaded.dtype == array.dtype.newbyteorder("=")
        # Compare bits so that NaNs with payloads count as equal.
        assert loaded.tobytes() == array.astype(loaded.dtype).tobytes()

    check()


VALID = idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "too short"),
        (b"\x00\x00", "too short"),
        (b"\x01" + VALID[1:], "bad magic number"),
        (VALID[:2] + b"\x0a" + VALID[3:], "unknown idx dtype code 0x0A"),
        (VALID[:2] + b"\x08\x00" + VALID[4:], "0 dimensions"),
        (VALID[:10], "truncated idx header"),
        (VALID[:-1], "truncated"),
        (VALID[:12], "truncated"),
        (VALID + b"\x00", "too long"),
        (VALID[:3] + b"\x01" + VALID[4:], "too long"),
        (VALID[:4] + struct.pack(">i", -3) + VALID[8:], "negative dimension"),
    ],
)
def test_load_idx_rejects_corrupt_files(tmp_path, content, message, compress):
    path = write(tmp_path / "bad-idx-ubyte", content, compress=compress)
    with pytest.raises(ValueError, match=message) as excinfo:
        load_idx(path)
    assert str(path) in str(excinfo.value)


def test_load_idx_rejects_impossible_size_before_allocating(tmp_path):
    # A tiny gzip file claiming (2**31 - 1)**3 bytes must not reach np.empty.
    header = bytes([0, 0, 0x0E, 3]) + struct.pack(">3i", *[2**31 - 1] * 3)
    path = write(tmp_path / "huge.gz", header, compress=True)
    with pytest.raises(ValueError, match="more than a .*-byte gzip file can hold"):
        load_idx(path)
    path = write(tmp_path / "huge", header)
    with pytest.raises(ValueError, match="truncated"):
        load_idx(path)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda gz: gz[: len(gz) // 2], "damaged gzip data"),
        (lambda gz: gz[:-8] + bytes(8), "damaged gzip data"),  # CRC and length
        (lambda gz: gz[:12] + bytes(len(gz) - 12), "damaged gzip data"),
        (lambda gz: gz + b"trailing garbage", "damaged gzip data"),
    ],
    ids=["truncated", "bad-crc", "bad-deflate", "garbage-member"],
)
def test_load_idx_rejects_bad_gzip(tmp_path, damage, message):
    payload = idx_bytes(np.arange(1000, dtype=np.int16))
    path = tmp_path / "bad.gz"
    path.write_bytes(damage(gzip.compress(payload, mtime=0)))
    with pytest.raises(ValueError, match=message) as excinfo:
        load_idx(path)
    assert str(path) in str(excinfo.value)


def test_load_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_idx(tmp_path / "absent")


# -------------------------------------------------------------- real MNIST


def test_fetch_mnist_bunch(mnist):
    assert mnist.data.shape == (60000, 784)
    assert mnist.data_test.shape == (10000, 784)
    assert mnist.data.dtype == mnist.data_test.dtype == np.uint8
    assert mnist.target.shape == (60000,)
    assert mnist.target_test.shape == (10000,)
    assert mnist.target.dtype == mnist.target_test.dtype == np.int64
    assert np.bincount(mnist.target).tolist() == TRAIN_COUNTS
    assert np.bincount(mnist.target_test).tolist() == TEST_COUNTS
    assert sum(TRAIN_COUNTS) + sum(TEST_COUNTS) == 70000
    assert mnist.target[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert mnist.data.min() == 0
    assert mnist.data.max() == 255

    assert mnist.images.shape == (60000, 28, 28)
    assert mnist.images_test.shape == (10000, 28, 28)
    assert np.shares_memory(mnist.images, mnist.data)
    np.testing.assert_array_equal(mnist.images[7].ravel(), mnist.data[7])
    # Column 28 * r + c is pixel (r, c) and is named after it.
    assert mnist.feature_names[28 * 5 + 17] == "pixel_5_17"
    assert len(mnist.feature_names) == len(set(mnist.feature_names)) == 784
    np.testing.assert_array_equal(mnist.target_names, np.arange(10))
    assert mnist.frame is None
    assert mnist.frame_test is None
    assert "MNIST" in mnist.DESCR
    assert "60,000" in mnist.DESCR


def test_fetch_mnist_return_X_y(mnist, mnist_dir):
    X_train, X_test, y_train, y_test = fetch_mnist(data_home=mnist_dir, return_X_y=True)
    np.testing.assert_array_equal(X_train, mnist.data)
    np.testing.assert_array_equal(X_test, mnist.data_test)
    np.testing.assert_array_equal(y_train, mnist.target)
    np.testing.assert_array_equal(y_test, mnist.target_test)


@pytest.mark.parametrize("dtype", [None, "float32"])
def test_fetch_mnist_scale(mnist, mnist_dir, dtype):
    X_train, X_test, _, _ = fetch_mnist(
        data_home=mnist_dir, return_X_y=True, scale=True, dtype=dtype
    )
    expected_dtype = np.float64 if dtype is None else np.dtype(dtype)
    assert X_train.dtype == X_test.dtype == expected_dtype
    assert X_train.min() == 0.0
    assert X_train.max() == 1.0
    np.testing.assert_array_equal(X_test, (mnist.data_test / 255).astype(X_test.dtype))


@pytest.mark.parametrize("spelling", ["float32", np.float32, np.dtype("float32")])
def test_dtype_spellings(spelling):
    assert _mnist._check_dtype(spelling, scale=True) == np.float32


def test_fetch_mnist_float_without_scale(mnist, mnist_dir):
    bunch = fetch_mnist(data_home=mnist_dir, dtype="float32")
    assert bunch.data.dtype == np.float32
    assert bunch.images.dtype == np.float32
    np.testing.assert_array_equal(bunch.data_test, mnist.data_test)
    assert bunch.data.max() == 255.0


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"scale": True, "dtype": "uint8"}, ValueError, "scale=True"),
        ({"dtype": "int64"}, ValueError, "dtype must be"),
        ({"dtype": "not a dtype"}, ValueError, "dtype must be"),
        ({"dtype": 3}, InvalidParameterError, "dtype"),
        ({"scale": "yes"}, InvalidParameterError, "scale"),
        ({"timeout": 0}, InvalidParameterError, "timeout"),
        ({"mirrors": "http://127.0.0.1/"}, InvalidParameterError, "mirrors"),
        ({"data_home": 3}, InvalidParameterError, "data_home"),
    ],
)
def test_fetch_mnist_invalid_parameters(tmp_path, params, error, message):
    # Parameters are checked before anything is looked for or downloaded.
    with pytest.raises(error, match=message):
        fetch_mnist(**{"data_home": tmp_path, "download_if_missing": False, **params})


def test_fetch_mnist_as_frame(mnist, mnist_dir):
    pd = pytest.importorskip("pandas")
    bunch = fetch_mnist(data_home=mnist_dir, as_frame=True)
    assert isinstance(bunch.data, pd.DataFrame)
    assert isinstance(bunch.target, pd.Series)
    assert bunch.data.shape == (60000, 784)
    assert bunch.data_test.shape == (10000, 784)
    assert list(bunch.data.columns) == mnist.feature_names
    assert bunch.target.name == "target"
    assert bunch.frame.shape == (60000, 785)
    assert bunch.frame_test.shape == (10000, 785)
    assert list(bunch.frame.columns) == [*mnist.feature_names, "target"]
    np.testing.assert_array_equal(bunch.target_test.to_numpy(), mnist.target_test)
    np.testing.assert_array_equal(bunch.data_test.to_numpy(), mnist.data_test)
    assert isinstance(bunch.images, np.ndarray)
    # The data frames hold the pixel arrays themselves, not copies.
    assert np.shares_memory(bunch.data.to_numpy(), bunch.images)
    assert np.shares_memory(bunch.data_test.to_numpy(), bunch.images_test)

    X_train, X_test, y_train, y_test = fetch_mnist(
        data_home=mnist_dir, as_frame=True, return_X_y=True
    )
    assert isinstance(X_test, pd.DataFrame)
    assert isinstance(y_test, pd.Series)
    assert X_train.shape == (60000, 784)
    assert y_train.shape == (60000,)


def test_fetch_mnist_as_frame_without_pandas(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pandas", None)
    # The missing dependency is reported before any file is looked for.
    with pytest.raises(ImportError, match="as_frame=True requires pandas"):
        fetch_mnist(data_home=tmp_path, as_frame=True, download_if_missing=False)


def test_fetch_mnist_is_fast(mnist_dir):
    fetch_mnist(data_home=mnist_dir)  # warm the OS file cache
    start = time.perf_counter()
    fetch_mnist(data_home=mnist_dir)
    # About 0.3 s on a laptop; the bound leaves room for a busy CI machine.
    assert time.perf_counter() - start < 5


# ------------------------------------------------------------ search order


def test_data_home_beats_environment_and_sklearn_home(
    monkeypatch, tmp_path, mnist_gz, mnist
):
    data_home = tmp_path / "home"
    populate(data_home / "mnist", mnist_gz)
    monkeypatch.setenv(ENV_VAR, str(populate(tmp_path / "env", mnist_gz, garbage=True)))
    populate(tmp_path / "scikit_learn_data" / "mnist", mnist_gz, garbage=True)

    bunch = fetch_mnist(data_home=data_home, download_if_missing=False)
    np.testing.assert_array_equal(bunch.target_test, mnist.target_test)


def test_data_home_may_hold_the_files_directly(monkeypatch, tmp_path, mnist_gz):
    monkeypatch.delenv(ENV_VAR, raising=False)
    data_home = populate(tmp_path / "home", mnist_gz)
    X_train, *_ = fetch_mnist(data_home=data_home, return_X_y=True)
    assert X_train.shape == (60000, 784)


def test_data_home_is_not_combined_with_other_folders(monkeypatch, tmp_path, mnist_dir):
    monkeypatch.setenv(ENV_VAR, str(mnist_dir))
    data_home = tmp_path / "empty_home"
    with pytest.raises(FileNotFoundError, match="empty_home"):
        fetch_mnist(data_home=data_home, download_if_missing=False)


def test_environment_beats_sklearn_home(monkeypatch, tmp_path, mnist_gz, mnist):
    monkeypatch.setenv(ENV_VAR, str(populate(tmp_path / "env", mnist_gz)))
    populate(tmp_path / "scikit_learn_data" / "mnist", mnist_gz, garbage=True)

    bunch = fetch_mnist(download_if_missing=False)
    np.testing.assert_array_equal(bunch.target, mnist.target)


@pytest.mark.parametrize("env", [None, "", "missing", "partial"])
def test_sklearn_home_is_the_fallback(monkeypatch, tmp_path, mnist_gz, env):
    if env is None:
        monkeypatch.delenv(ENV_VAR, raising=False)
    elif env == "":
        monkeypatch.setenv(ENV_VAR, "")
    elif env == "missing":
        monkeypatch.setenv(ENV_VAR, str(tmp_path / "does_not_exist"))
    else:
        partial = populate(tmp_path / "env", mnist_gz, ["t10k-labels-idx1-ubyte"])
        monkeypatch.setenv(ENV_VAR, str(partial))
    populate(tmp_path / "scikit_learn_data" / "mnist", mnist_gz)

    *_, y_test = fetch_mnist(return_X_y=True, download_if_missing=False)
    assert np.bincount(y_test).tolist() == TEST_COUNTS


def test_uncompressed_files_are_found(monkeypatch, tmp_path, mnist_gz, mnist):
    folder = tmp_path / "plain"
    folder.mkdir()
    for name, content in mnist_gz.items():
        (folder / name).write_bytes(gzip.decompress(content))
    monkeypatch.setenv(ENV_VAR, str(folder))
    bunch = fetch_mnist(download_if_missing=False)
    np.testing.assert_array_equal(bunch.data_test, mnist.data_test)


def test_not_found_error_says_where_it_looked(monkeypatch, tmp_path, mnist_gz):
    env_folder = populate(tmp_path / "env", mnist_gz, ["train-labels-idx1-ubyte"])
    monkeypatch.setenv(ENV_VAR, str(env_folder))
    with pytest.raises(FileNotFoundError) as excinfo:
        fetch_mnist(download_if_missing=False)
    message = str(excinfo.value)
    sklearn_folder = str(tmp_path / "scikit_learn_data" / "mnist")
    assert f"{env_folder} (${ENV_VAR}): missing train-images-idx3-ubyte" in message
    assert (
        f"{sklearn_folder} (scikit-learn data home): folder does not exist" in message
    )
    assert f"set the environment variable {ENV_VAR}" in message
    assert "data_home=" in message
    assert "download_if_missing=True" in message
    # Looking creates no folder; only a download would.
    assert not (tmp_path / "scikit_learn_data").exists()
    typo = tmp_path / "typo"
    with pytest.raises(FileNotFoundError, match="folder does not exist"):
        fetch_mnist(data_home=typo, download_if_missing=False)
    assert not typo.exists()


def test_corrupt_local_file_is_reported(monkeypatch, tmp_path, mnist_gz):
    folder = populate(tmp_path / "env", mnist_gz)
    labels = gzip.decompress(mnist_gz["t10k-labels-idx1-ubyte"])
    labels = labels[:-1] + bytes([(labels[-1] + 1) % 10])
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(labels))
    monkeypatch.setenv(ENV_VAR, str(folder))
    with pytest.raises(ValueError, match="not the MNIST file t10k-labels-idx1-ubyte"):
        fetch_mnist()


# ---------------------------------------------------------------- download


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serve ``server.routes``: URL path -> (body, behaviour)."""

    def do_GET(self):
        self.server.requests.append(self.path)
        body, behaviour = self.server.routes.get(self.path, (None, None))
        if body is None:
            self.send_error(404)
            return
        if behaviour == "hang":
            time.sleep(2)
        if behaviour in _TRICKLES:
            _TRICKLES[behaviour](self, body)
            return
        self.send_response(200)
        if behaviour != "no-length":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if behaviour in ("short", "no-length"):
            # Close the connection half-way through the body.
            body = body[: len(body) // 2]
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _trickle(handler, data, seconds=30):
    """Send ``data`` a byte every 20 ms, for at most ``seconds``."""
    end = time.monotonic() + seconds
    for byte in data:
        if time.monotonic() > end:
            return
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(0.02)


def _trickle_body(handler, body):
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    _trickle(handler, body)


def _trickle_headers(handler, body):
    handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
    _trickle(handler, b"X-Slow: " + b"a" * 5000 + b"\r\n\r\n")


def _endless(handler, body, limit=200 << 20):
    # No Content-Length, then zeros until the client hangs up (or 200 MiB).
    handler.send_response(200)
    handler.end_headers()
    chunk = bytes(1 << 20)
    for _ in range(limit // len(chunk)):
        handler.wfile.write(chunk)


def _announce_too_much(handler, body):
    handler.send_response(200)
    handler.send_header("Content-Length", str(10**12))
    handler.end_headers()
    handler.wfile.write(body)


_TRICKLES = {
    "trickle-body": _trickle_body,
    "trickle-headers": _trickle_headers,
    "endless": _endless,
    "announce-too-much": _announce_too_much,
}


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address):
        pass  # the "hang" client disconnects on purpose


@pytest.fixture
def server():
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.routes = {}
    httpd.requests = []

    def mirror(prefix, files, behaviour=None):
        for name, body in files.items():
            httpd.routes[f"/{prefix}/{name}.gz"] = (body, behaviour)
        return f"http://127.0.0.1:{httpd.server_address[1]}/{prefix}/"

    httpd.mirror = mirror
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def cache(monkeypatch, tmp_path):
    """The empty cache folder, with the environment variable unset."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    return tmp_path / "scikit_learn_data" / "mnist"


@pytest.mark.slow
def test_download(server, cache, mnist_gz, mnist, capsys):
    url = server.mirror("ok", mnist_gz)

    bunch = fetch_mnist(mirrors=[url])

    np.testing.assert_array_equal(bunch.data, mnist.data)
    np.testing.assert_array_equal(bunch.target_test, mnist.target_test)
    assert sorted(os.listdir(cache)) == sorted(name + ".gz" for name in FILES)
    assert (cache / "t10k-labels-idx1-ubyte.gz").read_bytes() == mnist_gz[
        "t10k-labels-idx1-ubyte"
    ]
    stderr = capsys.readouterr().err
    assert f"Downloading {url}train-images-idx3-ubyte.gz" in stderr
    assert len(server.requests) == 4

    # The cached files are loaded without any request or output.
    X_train, *_ = fetch_mnist(mirrors=[url], return_X_y=True)
    np.testing.assert_array_equal(X_train, mnist.data)
    assert len(server.requests) == 4
    assert capsys.readouterr().err == ""


def test_download_into_data_home(server, tmp_path, mnist_gz, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    data_home = tmp_path / "home"
    populate(data_home / "mnist", mnist_gz, ["train-images-idx3-ubyte"])
    url = server.mirror("ok", mnist_gz)

    *_, y_test = fetch_mnist(data_home=data_home, mirrors=(url,), return_X_y=True)

    # Only the missing files were downloaded.
    assert sorted(server.requests) == sorted(
        f"/ok/{name}.gz" for name in FILES if name != "train-images-idx3-ubyte"
    )
    assert len(os.listdir(data_home / "mnist")) == 4
    assert np.bincount(y_test).tolist() == TEST_COUNTS


def test_download_checksum_mismatch(server, cache, mnist_gz):
    # Valid gzip and valid idx, but one label changed.
    populate(cache, mnist_gz, [n for n in FILES if n != "t10k-labels-idx1-ubyte"])
    labels = bytearray(gzip.decompress(mnist_gz["t10k-labels-idx1-ubyte"]))
    labels[100] = (labels[100] + 1) % 10
    url = server.mirror("bad", {"t10k-labels-idx1-ubyte": gzip.compress(labels)})

    with pytest.raises(OSError, match="t10k-labels-idx1-ubyte") as excinfo:
        fetch_mnist(mirrors=[url])

    assert "MD5" in str(excinfo.value)
    assert f"{url}t10k-labels-idx1-ubyte.gz" in str(excinfo.value)
    assert "t10k-labels-idx1-ubyte.gz" not in os.listdir(cache)
    assert part_files(cache) == []


@pytest.mark.parametrize("behaviour", ["short", "no-length"])
def test_download_truncated_transfer(server, cache, mnist_gz, behaviour):
    populate(cache, mnist_gz, [n for n in FILES if n != "t10k-images-idx3-ubyte"])
    url = server.mirror("short", mnist_gz, behaviour)

    with pytest.raises(OSError, match="t10k-images-idx3-ubyte") as excinfo:
        fetch_mnist(mirrors=[url])

    reason = "incomplete|IncompleteRead" if behaviour == "short" else "gzip"
    assert any(word in str(excinfo.value) for word in reason.split("|"))
    assert len(os.listdir(cache)) == 3
    assert part_files(cache) == []


def test_download_server_down(cache):
    url = f"http://127.0.0.1:{unused_port()}/mnist/"

    with pytest.raises(OSError, match="every mirror failed") as excinfo:
        fetch_mnist(mirrors=[url])

    message = str(excinfo.value)
    assert f"{url}train-images-idx3-ubyte.gz" in message
    assert "Connection refused" in message or "refused" in message.lower()
    # The cause is on the first line, the one the command line shows.
    assert "refused" in message.splitlines()[0].lower()
    assert "Looked in" in message
    assert f"{cache} (scikit-learn data home): folder does not exist" in message
    assert f"set the environment variable {ENV_VAR}" in message
    assert os.listdir(cache) == []


def test_download_timeout(server, cache, mnist_gz):
    populate(cache, mnist_gz, [n for n in FILES if n != "t10k-labels-idx1-ubyte"])
    url = server.mirror("slow", mnist_gz, "hang")
    start = time.perf_counter()
    with pytest.raises(OSError, match="timed out"):
        fetch_mnist(mirrors=[url], timeout=0.2)
    # The server never answers: anything short of a hang is the timeout at
    # work (a loaded CI machine took 3 s).
    assert time.perf_counter() - start < 15
    assert part_files(cache) == []


@pytest.mark.parametrize("first", ["down", "404", "corrupt"])
def test_download_falls_back_to_next_mirror(
    server, cache, mnist_gz, mnist, capsys, first
):
    populate(cache, mnist_gz, [n for n in FILES if n != "t10k-labels-idx1-ubyte"])
    if first == "down":
        bad = f"http://127.0.0.1:{unused_port()}/"
    elif first == "404":
        bad = server.mirror("empty", {})
    else:
        labels = b"\x00" * len(gzip.decompress(mnist_gz["t10k-labels-idx1-ubyte"]))
        bad = server.mirror("corrupt", {"t10k-labels-idx1-ubyte": labels})
    good = server.mirror("ok", mnist_gz)

    bunch = fetch_mnist(mirrors=[bad, good])

    np.testing.assert_array_equal(bunch.target_test, mnist.target_test)
    stderr = capsys.readouterr().err
    assert f"Download of {bad}t10k-labels-idx1-ubyte.gz failed" in stderr
    assert part_files(cache) == []


def test_download_interrupted(server, cache, mnist_gz, monkeypatch):
    url = server.mirror("ok", mnist_gz)

    def interrupt(self, received):
        raise KeyboardInterrupt

    monkeypatch.setattr(_mnist._Progress, "update", interrupt)
    # Not taken for a failed mirror: the interrupt reaches the caller.
    with pytest.raises(KeyboardInterrupt):
        fetch_mnist(mirrors=[url, url])
    assert os.listdir(cache) == []
    assert len(server.requests) == 1


def test_download_if_missing_false_never_downloads(server, cache, mnist_gz):
    url = server.mirror("ok", mnist_gz)
    with pytest.raises(FileNotFoundError, match="download_if_missing=False"):
        fetch_mnist(mirrors=[url], download_if_missing=False)
    assert server.requests == []


def test_default_mirrors_are_used(server, cache, mnist_gz, monkeypatch):
    url = server.mirror("ok", mnist_gz)
    monkeypatch.setattr(_mnist, "MIRRORS", (url,))
    X_train, X_test, y_train, y_test = fetch_mnist(return_X_y=True)
    assert len(server.requests) == 4
    assert X_test.shape == (10000, 784)


def test_progress_on_a_terminal():
    class Terminal:
        def __init__(self):
            self.text = ""

        def write(self, text):
            self.text += text

        def flush(self):
            pass

        def isatty(self):
            return True

    terminal = Terminal()
    progress = _mnist._Progress("http://x/f.gz", 2_000_000, stream=terminal)
    for received in range(0, 2_000_001, 10_000):
        progress.update(received)
    progress.close(2_000_000)
    assert terminal.text.startswith("Downloading http://x/f.gz (2.0 MB)\n")
    assert "\r   50% of 2.0 MB" in terminal.text
    assert terminal.text.count("%") == 101
    assert re.search(r"\r  received 2.0 MB in \d+\.\d s\n$", terminal.text)


def test_cache_files_are_readable_by_others(server, cache, mnist_gz):
    populate(cache, mnist_gz, [n for n in FILES if n != "t10k-labels-idx1-ubyte"])
    fetch_mnist(mirrors=[server.mirror("ok", mnist_gz)])
    mode = os.stat(cache / "t10k-labels-idx1-ubyte.gz").st_mode
    assert mode & 0o444 == 0o444


def test_shared_copy_is_left_alone(mnist_dir):
    # Loading never writes next to the files it reads.
    before = sorted(os.listdir(mnist_dir))
    fetch_mnist(data_home=mnist_dir)
    assert sorted(os.listdir(mnist_dir)) == before


@pytest.mark.parametrize("behaviour", ["trickle-body", "trickle-headers"])
def test_download_has_an_overall_deadline(
    server, cache, mnist_gz, monkeypatch, behaviour
):
    # A byte every 20 ms never trips a 0.5 s timeout; the deadline (one
    # timeout plus the largest file size at the minimum rate, made 1 MB/s
    # here to be quick) ends it. Before, it went on for the server's 30 s.
    monkeypatch.setattr(_mnist, "_MIN_BYTES_PER_SECOND", 1_000_000)
    populate(cache, mnist_gz, [n for n in FILES if n != "t10k-labels-idx1-ubyte"])
    url = server.mirror("slow", mnist_gz, behaviour)
    start = time.perf_counter()
    with pytest.raises(OSError, match="download too slow: not done after 1 s"):
        fetch_mnist(mirrors=[url], timeout=0.5)
    assert time.perf_counter() - start < 8
    assert part_files(cache) == []


def test_download_body_is_capped(server, cache, mnist_gz):
    # An endless body: stopped past the file's uncompressed size plus gzip's
    # overhead (75546 bytes for the 10008-byte labels), not written on.
    populate(cache, mnist_gz, [n for n in FILES if n != "t10k-labels-idx1-ubyte"])
    url = server.mirror("endless", mnist_gz, "endless")
    with pytest.raises(OSError, match="sent more than the 75546 bytes the file can"):
        fetch_mnist(mirrors=[url])
    assert part_files(cache) == []


def test_download_announcing_too_much_is_not_read(server, cache, mnist_gz):
    populate(cache, mnist_gz, [n for n in FILES if n != "t10k-labels-idx1-ubyte"])
    url = server.mirror("big", mnist_gz, "announce-too-much")
    with pytest.raises(OSError, match="announces 1000000000000 bytes, more than"):
        fetch_mnist(mirrors=[url])
    assert part_files(cache) == []


def _bomb(shape):
    """A small gzip file whose idx header announces ``shape`` of zeros."""
    header = bytes([0, 0, 0x08, len(shape)]) + struct.pack(f">{len(shape)}i", *shape)
    return gzip.compress(header + bytes(int(np.prod(shape))), mtime=0)


def test_download_with_another_shape_is_refused_before_decompressing(
    server, cache, mnist_gz, monkeypatch
):
    # 47 MB of zeros in a 46 kB gzip file, served as the 10 kB labels: the
    # header's shape is not MNIST's, so nothing past it is decompressed.
    populate(cache, mnist_gz, [n for n in FILES if n != "t10k-labels-idx1-ubyte"])
    bomb = _bomb((47_040_000,))
    assert len(bomb) < 60_000
    url = server.mirror("bomb", {"t10k-labels-idx1-ubyte": bomb})
    decompressed = []

    def counting(method):
        def read(self, *args):
            result = method(self, *args)
            if "t10k-labels" in getattr(self.fileobj, "name", ""):
                decompressed.append(result if isinstance(result, int) else len(result))
            return result

        return read

    for name in ("read", "readinto"):
        monkeypatch.setattr(gzip.GzipFile, name, counting(getattr(gzip.GzipFile, name)))
    with pytest.raises(OSError, match=r"announces shape \(47040000,\) of uint8, exp"):
        fetch_mnist(mirrors=[url])
    assert 0 < sum(decompressed) < 100  # the header, not the 47 MB
    assert part_files(cache) == []


def test_local_file_with_another_shape_is_refused(monkeypatch, tmp_path, mnist_gz):
    folder = populate(tmp_path / "env", mnist_gz)
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(_bomb((10000,)))
    monkeypatch.setenv(ENV_VAR, str(folder))
    with pytest.raises(ValueError, match=r"labels-idx1-ubyte: its idx header announ"):
        fetch_mnist()
