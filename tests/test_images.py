"""Tests of the digit image preprocessing: MNIST's steps on any picture.

The main check saves real MNIST test digits as the kinds of files people have
(dark on light, RGB, transparent, larger, JPEG, padded, sideways with an EXIF
rotation, grainy paper with dust) and checks that the shipped pretrained model
still reads them. On the first 50 test digits as stored in MNIST that model
gets 48 right; after a round trip through any of these files it must get at
least 45 right (46 to 49 when written).
"""

import io
import os
import threading
import warnings

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits

from sklearn_ovr_logit.app import load_model
from sklearn_ovr_logit.app._images import read_image, to_digits_8x8, to_mnist
from sklearn_ovr_logit.app._predict import pretrained_model_path
from sklearn_ovr_logit.datasets import fetch_mnist

N_DIGITS = 50
MIN_RIGHT = 45


@pytest.fixture(scope="module")
def mnist_digits(mnist_dir):
    """The first test digits (uint8, light on dark) and their labels."""
    mnist = fetch_mnist(data_home=mnist_dir)
    return mnist.images_test[:N_DIGITS], mnist.target_test[:N_DIGITS]


@pytest.fixture(scope="module")
def pretrained():
    return load_model(pretrained_model_path())


def centre_of_mass(image):
    rows, cols = np.indices(image.shape)
    return (rows * image).sum() / image.sum(), (cols * image).sum() / image.sum()


def encode(image, format, **options):
    """``image`` written to an in-memory file of ``format``, opened again."""
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    buffer.seek(0)
    return Image.open(buffer)


def dark_on_light(digit):
    return Image.fromarray(255 - digit)


def variant_inverted(digit):
    return dark_on_light(digit)


def variant_rgb_coloured(digit):
    # Blue ink on cream paper.
    ink = digit.astype(float) / 255
    paper = np.array([250.0, 240.0, 215.0])
    blue = np.array([20.0, 40.0, 150.0])
    rgb = (1 - ink[..., None]) * paper + ink[..., None] * blue
    return Image.fromarray(rgb.astype(np.uint8), "RGB")


def variant_transparent(digit):
    # Black strokes whose opacity is the ink, as a drawing app saves them.
    rgba = np.zeros((*digit.shape, 4), dtype=np.uint8)
    rgba[..., 3] = digit
    return encode(Image.fromarray(rgba, "RGBA"), "PNG")


def variant_upscaled_112(digit):
    return encode(dark_on_light(digit).resize((112, 112), Image.BICUBIC), "PNG")


def variant_padded_200x150(digit):
    page = Image.new("L", (200, 150), 255)
    page.paste(dark_on_light(digit).resize((90, 90), Image.BILINEAR), (80, 35))
    return page


def variant_jpeg_rgb_84(digit):
    image = dark_on_light(digit).resize((84, 84), Image.BICUBIC).convert("RGB")
    return encode(image, "JPEG", quality=80)


def variant_light_on_dark_grey_background(digit):
    # Chalk on a blackboard: the background is not black.
    return Image.fromarray((60 + digit.astype(float) * 195 / 255).astype(np.uint8))


def variant_sideways_with_exif(digit):
    # Stored rotated, with the EXIF orientation that turns it upright.
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    stored = dark_on_light(digit).resize((56, 56)).transpose(Image.Transpose.ROTATE_90)
    return encode(stored.convert("RGB"), "JPEG", quality=95, exif=exif)


def variant_noisy_photo(digit):
    # Grey ink on grainy paper with a few specks of dust, 140 px.
    rng = np.random.default_rng(int(digit.sum()))
    page = np.asarray(dark_on_light(digit).resize((140, 140), Image.BICUBIC), float)
    page = 60 + 0.7 * page + rng.normal(0, 8, page.shape)
    for row, col in rng.integers(0, 138, (3, 2)):
        page[row : row + 2, col : col + 2] = 90
    return Image.fromarray(np.clip(page, 0, 255).astype(np.uint8))


VARIANTS = [
    variant_inverted,
    variant_rgb_coloured,
    variant_transparent,
    variant_upscaled_112,
    variant_padded_200x150,
    variant_jpeg_rgb_84,
    variant_light_on_dark_grey_background,
    variant_sideways_with_exif,
    variant_noisy_photo,
]


def test_pretrained_model_reads_the_raw_digits(mnist_digits, pretrained):
    # The reference for the variants: the model on MNIST's own pixels.
    digits, labels = mnist_digits
    predicted = pretrained.predict(digits.reshape(N_DIGITS, -1).astype(float))
    assert np.sum(predicted == labels) == 48


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda f: f.__name__[8:])
def test_pretrained_model_reads_digits_saved_as_files(
    variant, mnist_digits, pretrained
):
    digits, labels = mnist_digits
    X = np.array([to_mnist(variant(digit)).ravel() for digit in digits])
    n_right = np.sum(pretrained.predict(X) == labels)
    assert n_right >= MIN_RIGHT, f"{n_right} of {N_DIGITS} right"


def test_mnist_digits_are_nearly_unchanged(mnist_digits):
    # They already have MNIST's format: preprocessing is close to identity.
    digits, _ = mnist_digits
    differences = [np.abs(to_mnist(digit) - digit).mean() for digit in digits]
    assert np.mean(differences) < 2.0  # grey levels, out of 255
    assert np.max(differences) < 15.0


def test_output_format_on_a_tall_bar():
    # A black bar 200 px tall and 40 px wide on white paper, off centre.
    page = np.full((400, 300), 255, dtype=np.uint8)
    page[20:220, 200:240] = 0
    digit = to_mnist(page)
    assert digit.shape == (28, 28)
    assert digit.dtype == np.float64
    assert digit.min() == 0.0
    assert digit.max() == 255.0
    rows, cols = np.nonzero(digit)
    # The longer side becomes 20 px, the aspect ratio stays 5:1.
    assert rows.max() - rows.min() + 1 == 20
    assert cols.max() - cols.min() + 1 == 4
    np.testing.assert_allclose(centre_of_mass(digit), (14, 14), atol=0.5)


def test_centre_of_mass_not_box_centre():
    # An "L": heavy at the bottom, so its box is shifted up to centre its mass.
    page = np.zeros((100, 100), dtype=np.uint8)
    page[10:90, 10:20] = 255
    page[82:90, 10:60] = 255
    digit = to_mnist(page)
    np.testing.assert_allclose(centre_of_mass(digit), (14, 14), atol=0.5)
    rows = np.flatnonzero(digit.any(axis=1))
    assert rows.min() < 4  # the box's centre is not on row 14


@pytest.mark.parametrize("shape", [(1, 1), (3, 50), (50, 3), (2000, 1500)])
def test_any_size(shape):
    page = np.full(shape, 255, dtype=np.uint8)
    page[shape[0] // 4 : 3 * shape[0] // 4 + 1, shape[1] // 3 : shape[1] // 2 + 1] = 0
    if shape == (1, 1):
        with pytest.raises(ValueError, match="no digit found"):
            to_mnist(page)
        return
    digit = to_mnist(page)
    assert digit.shape == (28, 28)
    assert digit.max() == 255.0


def test_large_noisy_photo():
    # 12 megapixels: grain everywhere, a speck far from a bar-shaped digit.
    rng = np.random.default_rng(0)
    page = rng.integers(215, 240, (3000, 4000)).astype(np.uint8)
    page[1000:2000, 1800:1900] = 30
    page[100:110, 3800:3810] = 30
    digit = to_mnist(page)
    rows, cols = np.nonzero(digit)
    assert rows.max() - rows.min() + 1 == 20
    assert cols.max() - cols.min() + 1 == 2
    assert digit.max() == 255.0


def test_polarity_is_detected():
    light_on_dark = np.zeros((60, 40), dtype=np.uint8)
    light_on_dark[10:50, 15:25] = 200
    dark_on_light = 255 - light_on_dark
    np.testing.assert_array_equal(to_mnist(light_on_dark), to_mnist(dark_on_light))


def test_arrays_paths_and_images_agree(tmp_path, mnist_digits):
    digit = 255 - mnist_digits[0][0]
    path = tmp_path / "digit.png"
    Image.fromarray(digit).save(path)
    expected = to_mnist(digit)
    np.testing.assert_array_equal(to_mnist(path), expected)
    np.testing.assert_array_equal(to_mnist(str(path)), expected)
    np.testing.assert_array_equal(to_mnist(Image.open(path)), expected)
    np.testing.assert_array_equal(to_mnist(np.dstack([digit] * 3)), expected)


def test_sixteen_bit_image(mnist_digits):
    digit = mnist_digits[0][0]
    sixteen_bit = encode(Image.fromarray(digit.astype(np.uint16) * 257), "PNG")
    assert sixteen_bit.mode.startswith("I")
    np.testing.assert_allclose(to_mnist(sixteen_bit), to_mnist(digit), atol=1e-6)


@pytest.mark.parametrize(
    "image",
    [
        np.full((30, 30), 255, dtype=np.uint8),
        np.zeros((30, 30), dtype=np.uint8),
        # Paper texture of a few grey levels is not a digit.
        np.random.default_rng(0).integers(240, 256, (30, 30)).astype(np.uint8),
    ],
    ids=["white", "black", "faint-noise"],
)
def test_blank_image(image):
    with pytest.raises(ValueError, match="no digit found: the image is blank"):
        to_mnist(image)


def test_bad_arrays():
    with pytest.raises(ValueError, match="shape"):
        to_mnist(np.zeros((4, 4, 2)))
    with pytest.raises(ValueError, match="shape"):
        to_mnist(np.zeros(10))


def test_read_image_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.png: no such image file"):
        read_image(tmp_path / "missing.png")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        read_image(tmp_path)
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(ValueError, match="notes.png: not an image file"):
        read_image(text)
    png = tmp_path / "truncated.png"
    Image.fromarray(np.arange(10000, dtype=np.uint8).reshape(100, 100)).save(png)
    png.write_bytes(png.read_bytes()[:200])
    with pytest.raises(ValueError, match="truncated.png: damaged image file"):
        read_image(png)


def test_to_digits_8x8_round_trip():
    # scikit-learn's digits, drawn large and dark on light, come back close.
    digits = load_digits()
    correlations = []
    for image in digits.images[:40]:
        page = Image.fromarray((255 - image * 255 / 16).astype(np.uint8))
        back = to_digits_8x8(page.resize((96, 96), Image.BILINEAR))
        assert back.shape == (8, 8)
        assert back.min() >= 0.0
        assert back.max() <= 16.0
        correlations.append(np.corrcoef(back.ravel(), image.ravel())[0, 1])
    assert np.mean(correlations) > 0.75


@pytest.mark.parametrize(
    ("shape", "box"),
    [
        ((5000, 4), (20, 1)),
        ((4, 5000), (1, 20)),
        ((1, 1100), (1, 20)),
        ((1100, 1), (20, 1)),
        ((2049, 2), (20, 1)),
        ((3000, 40), (20, 1)),
    ],
)
def test_elongated_pictures(shape, box):
    # A black bar along a long, thin white picture. Larger pictures are
    # shrunk by averaging blocks: a side shorter than a block once vanished
    # (an IndexError), and a picture a pixel or two wide is all border, so
    # its background is read at its two ends.
    page = np.full(shape, 255, dtype=np.uint8)
    rows, cols = shape
    page[
        rows // 10 : rows - rows // 10 or None, cols // 3 : cols - cols // 3 or None
    ] = 0
    digit = to_mnist(page)
    rows, cols = np.nonzero(digit)
    assert (np.ptp(rows) + 1, np.ptp(cols) + 1) == box
    assert digit.max() == 255.0


def test_float_image_with_nan_is_refused_and_infinities_saturate():
    bar = np.zeros((40, 40), dtype=np.float32)
    bar[5:35, 18:22] = 1.0
    with_nan = bar.copy()
    with_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="1 of the image's 1600 pixels are NaN"):
        to_mnist(encode(Image.fromarray(with_nan, "F"), "TIFF"))
    with pytest.raises(ValueError, match="1600 of the image's 1600 pixels are NaN"):
        to_mnist(encode(Image.fromarray(np.full_like(bar, np.nan), "F"), "TIFF"))
    # An infinite pixel is as bright (or dark) as the extreme finite ones.
    with_inf = bar.copy()
    with_inf[5, 19] = np.inf
    with_inf[0, 0] = -np.inf
    expected = to_mnist(encode(Image.fromarray(bar, "F"), "TIFF"))
    np.testing.assert_array_equal(
        to_mnist(encode(Image.fromarray(with_inf, "F"), "TIFF")), expected
    )
    with pytest.raises(ValueError, match="every pixel of the image is infinite"):
        to_mnist(encode(Image.fromarray(np.full_like(bar, np.inf), "F"), "TIFF"))


def malformed_exif_jpeg(digit):
    """A JPEG whose EXIF block is not a valid TIFF structure."""
    exif = Image.Exif()
    exif[0x0112] = 6
    data = bytearray(_jpeg_bytes(dark_on_light(digit).convert("RGB"), exif=exif))
    start = data.find(b"Exif\x00\x00") + 6
    data[start : start + 4] = b"XX\x00\x2a"  # neither "II" nor "MM"
    return bytes(data)


def _jpeg_bytes(image, **options):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, **options)
    return buffer.getvalue()


def test_malformed_exif_is_ignored(tmp_path):
    # EXIF is metadata: when Pillow cannot parse it, the pixels are used as
    # stored, through a path or an opened image.
    digit = np.zeros((28, 28), dtype=np.uint8)
    digit[4:24, 12:16] = 255
    path = tmp_path / "bad-exif.jpg"
    path.write_bytes(malformed_exif_jpeg(digit))
    plain = tmp_path / "plain.jpg"
    plain.write_bytes(_jpeg_bytes(dark_on_light(digit).convert("RGB")))
    expected = to_mnist(plain)
    np.testing.assert_allclose(to_mnist(path), expected, atol=2)
    np.testing.assert_allclose(to_mnist(Image.open(path)), expected, atol=2)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_special_files_are_refused_before_reading(tmp_path):
    fifo = tmp_path / "digit.png"
    os.mkfifo(fifo)
    # Opening a FIFO for reading waits for a writer: run it in a thread so
    # that a regression fails here instead of hanging the suite.
    result = {}

    def read():
        try:
            read_image(fifo)
        except ValueError as exc:
            result["error"] = str(exc)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(timeout=30)
    if thread.is_alive():
        # Release the reader so that the thread ends.
        with open(fifo, "wb"):
            pass
        pytest.fail("read_image blocked on a FIFO")
    assert result == {"error": f"{fifo}: is a FIFO (named pipe), not an image file"}
    with pytest.raises(ValueError, match="/dev/zero: is a character device"):
        read_image("/dev/zero")


def test_oversized_image_file_is_not_read(tmp_path, monkeypatch):
    import sklearn_ovr_logit.app._images as images

    monkeypatch.setattr(images, "_MAX_FILE_BYTES", 100)
    path = tmp_path / "big.png"
    Image.fromarray(np.arange(10000, dtype=np.uint8).reshape(100, 100)).save(path)
    with pytest.raises(ValueError, match="big.png: too large for an image file"):
        read_image(path)


def test_no_decompression_bomb_warning_below_the_hard_limit(tmp_path, monkeypatch):
    # Between Pillow's two limits it warned on stderr in several lines: the
    # command line's output must be one line per image.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    path = tmp_path / "large.png"
    Image.fromarray(np.zeros((40, 40), dtype=np.uint8)).save(path)  # 1600 pixels
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert read_image(path).size == (40, 40)
    assert caught == []
    Image.fromarray(np.zeros((50, 50), dtype=np.uint8)).save(path)  # above 2x
    with pytest.raises(ValueError, match="large.png: image too large to read safely"):
        read_image(path)


def test_symlink_loop_is_named_as_such(tmp_path):
    (tmp_path / "a.png").symlink_to(tmp_path / "b.png")
    (tmp_path / "b.png").symlink_to(tmp_path / "a.png")
    with pytest.raises(OSError, match="a.png: cannot open: Too many levels"):
        read_image(tmp_path / "a.png")
