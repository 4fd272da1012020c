"""Tests of the command line, run in-process through ``main([...])``.

Each subcommand runs end to end on a small subset; every kind of bad input
must give a one-line error and a non-zero exit code, never a traceback.
Nothing here downloads: where MNIST must be missing, the MNIST folders point
to empty temporary folders and the mirrors to a closed port on 127.0.0.1.
Here too: the refusal of damaged or foreign model files (pickles included)
through ``predict --model``, with the message the user sees.
"""

import json
import os
import pickle
import re
import socket
import subprocess
import sys
import warnings
from contextlib import redirect_stderr, redirect_stdout
from io import BytesIO, StringIO

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier
from sklearn_ovr_logit.app import (
    ModelFileError,
    describe,
    load_model,
    main,
    make_grey_level_scaler,
    make_pipeline,
    save_model,
)
from sklearn_ovr_logit.app._pipeline import make_scaler, scaler_label
from sklearn_ovr_logit.app._search import cross_validate_C, rank_candidates
from sklearn_ovr_logit.app._train import examples_by_class
from sklearn_ovr_logit.datasets import _mnist, fetch_mnist

FIGURES = (
    "confusion_matrix.png",
    "coefficients.png",
    "misclassified.png",
    "correctly_classified.png",
)


def run(argv):
    """``main(argv)`` with its output captured: (exit code, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(arg) for arg in argv])
    return code, out.getvalue(), err.getvalue()


def run_cli(*argv, timeout=300):
    """``python -m sklearn_ovr_logit`` in a fresh interpreter: (code, out, err).

    Its address space is bounded, so that a regression (reading /dev/zero
    until memory runs out) fails the test instead of the machine; a timeout
    does the same for a hang.
    """
    done = subprocess.run(
        [sys.executable, "-m", "sklearn_ovr_logit", *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "MPLBACKEND": "Agg"},
        preexec_fn=_bound_memory if sys.platform.startswith("linux") else None,
    )
    return done.returncode, done.stdout, done.stderr


def _bound_memory():
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))


def assert_one_line_error(result, code, match):
    """The run failed with ``code`` and one line on stderr matching ``match``."""
    got_code, _, err = result
    lines = err.strip().splitlines()
    assert got_code == code, err
    assert "Traceback" not in err
    assert len(lines) == 1, lines
    assert re.search(match, lines[0]), lines[0]
    assert " error: " in lines[0]


def predictions(stdout):
    """{image path: predicted label} from predict's output."""
    return dict(re.findall(r"^(\S+): (\S+(?: \S+)?) \(probability", stdout, re.M))


@pytest.fixture
def no_mnist(tmp_path, monkeypatch):
    """MNIST nowhere on disk, and downloads refused at once."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv(_mnist.ENV_VAR, str(empty))
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "data_home"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setattr(_mnist, "MIRRORS", (f"http://127.0.0.1:{port}/",))


@pytest.fixture(scope="module")
def trained(mnist_dir, tmp_path_factory):
    """One ``train`` run on 2000 MNIST images: (stdout, output folder)."""
    output = tmp_path_factory.mktemp("train")
    code, out, err = run(["train", "--train-size", 2000, "--output", output])
    assert code == 0, err
    return out, output


@pytest.fixture(scope="module")
def mnist_test(mnist_dir):
    mnist = fetch_mnist()
    return mnist.images_test, mnist.target_test, mnist.data_test


# -- train -----------------------------------------------------------------


@pytest.mark.slow
def test_train_prints_progress_and_results(trained):
    out, _ = trained
    assert re.search(r"Loading .*\.\.\. done in \d+\.\d s", out)
    assert "Data: MNIST, 2000 training and 10000 test images of 28x28" in out
    assert (
        "Model: pixels/255 -> OneVsRestClassifier(BinaryLogisticRegression(C=1, "
        "tol=0.0001, max_iter=1000))" in out
    )
    # The fit step's line, then (test_train_shows_a_progress_bar) the bar,
    # then the step's duration.
    assert re.search(r"Fitting on 2000 images \(10 classes\)\.\.\.", out)
    assert re.search(r"\ndone in \d+\.\d s\nFit time", out)
    assert re.search(r"^Fit time: \d+\.\d s$", out, re.M)
    accuracy = float(re.search(r"Test accuracy: (0\.\d+)", out).group(1))
    # A floor only: a better solver or model must not fail this test.
    assert accuracy > 0.85
    assert "precision    recall  f1-score   support" in out
    # The confusion matrix: a header and ten rows summing to the test set.
    start = out.index("true \\ predicted")
    rows = out[start:].splitlines()[1:11]
    counts = np.array([[int(n) for n in row.split()[1:]] for row in rows])
    assert counts.shape == (10, 10)
    assert counts.sum() == 10000
    assert np.trace(counts) == round(accuracy * 10000)


@pytest.mark.slow
def test_train_shows_a_progress_bar(trained):
    # scikit-learn's ProgressBar, one line per class, drawn with rich (a test
    # dependency, so required here). The callback API is scikit-learn 1.9's.
    pytest.importorskip("sklearn.callback")
    import rich  # noqa: F401

    out, _ = trained
    bar = out[out.index("Fitting on 2000 images") : out.index("Fit time")]
    assert bar.count("OneVsRestClassifier - fit-class") == 10


@pytest.mark.slow
def test_train_writes_model_and_figures(trained, mnist_test):
    out, output = trained
    for name in FIGURES:
        path = output / name
        assert f"Wrote {path}" in out
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert min(image.size) > 300
            # Not a blank canvas.
            assert len(image.convert("L").getcolors(2**16)) > 50
    model, metadata = load_model(output / "model.json", return_metadata=True)
    assert metadata["n_train"] == 2000
    assert metadata["class_names"] == [str(k) for k in range(10)]
    assert metadata["image_shape"] == [28, 28]
    assert metadata["command"].startswith("sklearn-ovr-logit train --train-size 2000")
    _, labels, X_test = mnist_test
    accuracy = np.mean(model.predict(X_test.astype(float)) == labels)
    assert accuracy == pytest.approx(metadata["test_accuracy"])
    assert f"Test accuracy: {accuracy:.4f}" in out


@pytest.mark.slow
def test_train_draws_the_digits_by_class_through_the_command_line(tmp_path):
    """``python -m sklearn_ovr_logit train`` writes the figure by class."""
    output = tmp_path / "out"
    code, out, err = run_cli(
        "train", "--dataset", "digits", "--no-progress", "--output", output
    )
    assert code == 0, err
    path = output / "correctly_classified.png"
    assert f"Wrote {path}" in out
    with Image.open(path) as image:
        image.verify()  # a whole, valid PNG
    with Image.open(path) as image:
        assert image.format == "PNG"
        # 10 rows of 8x8 digits, 3 groups of 3: a mosaic of 154 x 97 pixels
        # (rows of 8 + 6 caption + 1 gap, a heading band of 4; a label column
        # of 8, columns of 8 + 1 gap, 4 between groups) drawn at 65 / 8
        # figure pixels per digit pixel, plus 30 and 60 for the margins and
        # the title, at exactly that size (no tight cropping).
        assert image.size == (818, 1311)
        grey = np.asarray(image.convert("L"))
    # Digits were drawn: dark pixels in every row band, not a blank canvas.
    bands = np.array_split(grey[100:-20], 10)
    assert all((band < 100).sum() > 500 for band in bands)


def test_examples_by_class_picks_by_confidence():
    rng = np.random.default_rng(0)
    images = np.arange(40, dtype=float)[:, None, None] * np.ones((40, 2, 2))
    y_true = np.repeat(np.array(["a", "b"]), 20)
    y_pred = y_true.copy()
    y_pred[[3, 7, 11]] = "b"  # three mistakes among the a's, none among the b's
    proba = rng.uniform(0.5, 1, size=40)
    proba = np.column_stack([proba, 1 - proba])
    proba[y_pred == "b"] = proba[y_pred == "b"][:, ::-1]
    examples, captions = examples_by_class(
        images, y_true, y_pred, proba, np.array(["a", "b"]), np.array(["A", "B"]), 3
    )
    confidence = proba.max(axis=1)
    right_a = np.flatnonzero((y_true == "a") & (y_pred == "a"))
    by_confidence = right_a[np.argsort(-confidence[right_a])]
    # Each image is its index: what was picked, in order.
    picked = examples[..., 0, 0]
    np.testing.assert_array_equal(picked[0, 0], by_confidence[:3])
    np.testing.assert_array_equal(picked[0, 1], by_confidence[::-1][:3])
    wrong = np.array([3, 7, 11])
    np.testing.assert_array_equal(picked[0, 2], wrong[np.argsort(-confidence[wrong])])
    assert captions[0][2][0] == f"as B\n{confidence[picked[0, 2][0].astype(int)]:.3f}"
    assert captions[0][0][0] == f"{confidence[by_confidence[0]]:.3f}"
    # No mistakes among the b's: empty places, and a caption that says so.
    assert np.isnan(examples[1, 2]).all()
    assert captions[1][2] == ["no mistakes", "", ""]


def test_train_positive_class(tmp_path):
    output = tmp_path / "out"
    argv = ["train", "--positive-class", 3, "--dataset", "digits", "--output", output]
    code, out, err = run(argv)
    assert code == 0, err
    assert "Fitting on 1347 images (3 vs rest)" in out
    assert "pixels/16 -> BinaryLogisticRegression(C=1" in out
    assert "OneVsRestClassifier" not in out
    assert re.search(r"predicting 'not 3' for every image would score 0\.89", out)
    assert re.search(r"^\s+not 3\s+0\.\d+", out, re.M)  # the report's rows
    model, metadata = load_model(output / "model.json", return_metadata=True)
    assert metadata["class_names"] == ["not 3", "3"]
    assert isinstance(model[-1], BinaryLogisticRegression)
    for name in FIGURES:
        assert (output / name).stat().st_size > 10_000
    # predict speaks of "3" and "not 3"; on a 3 the model is sure of.
    digits = load_digits()
    threes = digits.images[digits.target == 3]
    proba = model.predict_proba(threes.reshape(len(threes), -1))[:, 1]
    three = threes[np.argmax(proba)]
    path = tmp_path / "three.png"
    grey = (255 - three * 255 / 16).astype(np.uint8)
    Image.fromarray(grey).resize((80, 80), Image.BILINEAR).save(path)
    code, out, err = run(["predict", path, "--model", output / "model.json"])
    assert code == 0, err
    assert predictions(out) == {str(path): "3"}
    assert re.search(r"not 3: 0\.\d{3}  3: 0\.\d{3}", out)


def test_train_options_reach_the_model(tmp_path):
    code, out, err = run(
        [
            "train",
            "--dataset",
            "digits",
            "--float32",
            "--scaler",
            "standard",
            "--C",
            0.5,
            "--tol",
            1e-3,
            "--max-iter",
            3,
            "--n-jobs",
            1,
            "--no-progress",
            "--output",
            tmp_path,
        ]
    )
    assert code == 0, err
    assert "... done" not in out  # --no-progress
    assert "(float32)" in out
    assert "standard -> OneVsRestClassifier(BinaryLogisticRegression(C=0.5" in out
    # max_iter=3 is too few: the warning is one line, not one per class.
    warnings = [line for line in out.splitlines() if line.startswith("warning:")]
    assert len(warnings) >= 1
    assert all("L-BFGS-B failed to converge" in line for line in warnings)
    document = json.loads((tmp_path / "model.json").read_text())
    scaler, ovr = document["steps"]
    assert scaler["kind"] == "standard_scaler"
    assert ovr["params"] == {
        "C": 0.5,
        "fit_intercept": True,
        "tol": 1e-3,
        "max_iter": 3,
        "class_weight": None,
    }
    assert ovr["n_iter"] == [3] * 10


def test_train_on_digits_then_predict_digit_images(tmp_path):
    code, out, err = run(["train", "--dataset", "digits", "--output", tmp_path])
    assert code == 0, err
    assert "notice" not in err
    assert "Data: the 8x8 digits, 1347 training and 450 test images of 8x8" in out
    assert "Model: pixels/16 ->" in out
    digits = load_digits()
    paths = []
    for index in range(0, 200, 20):
        path = tmp_path / f"digit_{index}.png"
        grey = (255 - digits.images[index] * 255 / 16).astype(np.uint8)
        Image.fromarray(grey).resize((64, 64), Image.BILINEAR).save(path)
        paths.append((index, path))
    model = tmp_path / "model.json"
    code, out, err = run(["predict", *(path for _, path in paths), "--model", model])
    assert code == 0, err
    predicted = predictions(out)
    right = sum(
        predicted[str(path)] == str(digits.target[index]) for index, path in paths
    )
    assert right >= 8


def test_auto_falls_back_to_digits_with_a_notice(no_mnist, tmp_path):
    code, out, err = run(["train", "--output", tmp_path / "out"])
    assert code == 0, err
    assert "Data: the 8x8 digits" in out
    notice = [line for line in err.splitlines() if line.startswith("notice:")]
    assert len(notice) == 1
    assert "MNIST is not available" in notice[0]
    assert "the download failed" in notice[0]
    assert "8x8 digits" in notice[0]
    assert _mnist.ENV_VAR in notice[0]  # how to get MNIST
    assert "--dataset mnist" in notice[0]
    assert (tmp_path / "out" / "model.json").exists()


def test_auto_without_download(no_mnist):
    # search rather than train: it draws no figures, so it is quicker.
    argv = ["search", "--no-download", "--C", 1, "--scaler", "pixels", "--cv", 2]
    code, out, err = run(argv)
    assert code == 0, err
    assert "Data: the 8x8 digits" in out
    assert "not found on disk, and --no-download is set" in err
    assert "Download" not in err


@pytest.mark.parametrize("download", [True, False], ids=["download", "no-download"])
def test_dataset_mnist_fails_clearly_without_mnist(no_mnist, tmp_path, download):
    argv = ["train", "--dataset", "mnist", "--output", tmp_path]
    code, out, err = run(argv if download else [*argv, "--no-download"])
    assert code == 1
    assert "Traceback" not in err
    # The download attempts are reported above the error, which is one line.
    error = err.strip().splitlines()[-1]
    assert error.startswith("sklearn-ovr-logit train: error: --dataset mnist: ")
    assert "MNIST is not available" in error
    assert _mnist.ENV_VAR in error
    assert "Data:" not in out
    assert not (tmp_path / "model.json").exists()


# -- search ----------------------------------------------------------------


@pytest.mark.slow
def test_search_end_to_end(mnist_dir, tmp_path):
    code, out, err = run(
        [
            "search",
            "--train-size",
            600,
            "--C",
            0.1,
            1,
            "--scaler",
            "pixels",
            "standard",
            "--cv",
            2,
            "--output",
            tmp_path,
        ]
    )
    assert code == 0, err
    assert "Scalers: pixels/255, standard" in out
    assert "C: 0.1, 1" in out
    assert "Candidates: 2 scalers x 2 values of C, 2 folds" in out
    assert "Searching C after pixels/255 (all folds at once)... done" in out
    assert "Searching C after standard (one search per fold)... done" in out
    assert re.search(r"Search time: pixels/255 \d+\.\d s, standard \d+\.\d s", out)
    table = out[out.index("rank") :].splitlines()
    assert table[0].split() == ["rank", "scaler", "C", "mean", "accuracy", "std"]
    rows = [line.split() for line in table[2:6]]
    assert sorted(int(row[0]) for row in rows) == [1, 2, 3, 4]
    assert {(row[1], row[2]) for row in rows} == {
        ("pixels/255", "0.1"),
        ("pixels/255", "1"),
        ("standard", "0.1"),
        ("standard", "1"),
    }
    best = re.search(
        r"Best parameters: scaler=(\S+), C=(\S+) \(mean CV accuracy (0\.\d+)\)", out
    )
    assert best.groups()[:2] == tuple(rows[0][1:3])
    assert float(best.group(3)) == pytest.approx(float(rows[0][3]), abs=1e-4)
    accuracy = float(re.search(r"training images: (0\.\d+)", out).group(1))
    assert accuracy > 0.75
    model, metadata = load_model(tmp_path / "model.json", return_metadata=True)
    assert metadata["test_accuracy"] == pytest.approx(accuracy)
    assert metadata["cv_accuracy"] == pytest.approx(float(best.group(3)), abs=1e-4)
    assert describe(model).startswith(f"{best.group(1)} -> ")
    assert float(best.group(2)) == model[-1].estimator.C


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_search_chooses_what_grid_search_chooses():
    # The same folds, candidates and ranking as GridSearchCV over the
    # pipeline; scalers that learn from the data see each fold's training
    # rows only, as in the pipeline, or the mean scores would differ.
    X, y = load_digits(return_X_y=True)
    X, y = X[:240], y[:240]
    scalers, Cs = ["pixels", "standard", "minmax"], [10.0, 0.01, 1.0]
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    fit = {"tol": 1e-8, "max_iter": 10_000}
    scores = {}
    for name in scalers:
        scores[name], _ = cross_validate_C(
            X, y, scaler=name, max_value=16, Cs=Cs, folds=folds, n_jobs=None, **fit
        )
    ours = rank_candidates(scores, scalers, Cs)

    grid = GridSearchCV(
        make_pipeline(max_value=16, **fit),
        {"scaler": [make_scaler(n, 16) for n in scalers], "ovr__estimator__C": Cs},
        cv=folds,
    ).fit(X, y)
    theirs = grid.cv_results_
    assert [(p["scaler"], p["C"]) for p in ours["params"]] == [
        (scaler_label(p["scaler"]).split("/")[0], p["ovr__estimator__C"])
        for p in theirs["params"]
    ]
    np.testing.assert_allclose(
        ours["mean_test_score"], theirs["mean_test_score"], rtol=0, atol=1e-6
    )
    np.testing.assert_array_equal(ours["rank_test_score"], theirs["rank_test_score"])
    best = np.argmin(ours["rank_test_score"])
    assert best == grid.best_index_
    # Different scores across candidates: the ranking is a real test.
    assert len(np.unique(ours["mean_test_score"])) > 3


def test_ties_go_to_the_first_candidate_in_grid_order():
    tied = np.array([[0.5, 0.7], [0.9, 0.7]])  # (Cs, folds): both mean 0.6 / 0.8
    scores = {"pixels": tied, "standard": tied[::-1]}
    ranked = rank_candidates(scores, ["pixels", "standard"], [1.0, 2.0])
    # Grid order: (C=1, pixels) 0.6, (C=1, standard) 0.8, (C=2, pixels) 0.8,
    # (C=2, standard) 0.6.
    np.testing.assert_array_equal(ranked["rank_test_score"], [3, 1, 1, 3])
    assert ranked["params"][np.argmin(ranked["rank_test_score"])] == {
        "scaler": "standard",
        "C": 1.0,
    }


# -- predict ---------------------------------------------------------------


def test_predict_images_in_several_formats(mnist_test, tmp_path):
    images, labels, _ = mnist_test
    writers = {
        "png-inverted": lambda d: Image.fromarray(255 - d),
        "jpg-rgb-112": lambda d: (
            Image.fromarray(255 - d).resize((112, 112), Image.BICUBIC).convert("RGB")
        ),
        "bmp-light-on-dark-200x150": lambda d: _padded(d, (200, 150)),
        "gif-upscaled": lambda d: Image.fromarray(255 - d).resize((56, 56)),
        "tiff-as-mnist": Image.fromarray,
        "webp-rgb": lambda d: Image.fromarray(255 - d).convert("RGB").resize((90, 90)),
    }
    expected = {}
    for index in range(24):
        kind = list(writers)[index % len(writers)]
        extension = kind.split("-")[0]
        path = tmp_path / f"{index}-{kind}.{extension}"
        writers[kind](images[index]).save(path, quality=90)
        expected[str(path)] = str(labels[index])
    code, out, err = run(["predict", *expected])
    assert code == 0, err
    assert out.startswith("Model: the pretrained MNIST model (fitted on 60000 MNIST")
    predicted = predictions(out)
    assert predicted.keys() == expected.keys()
    right = sum(predicted[path] == label for path, label in expected.items())
    assert right >= 22  # the model gets 23 of the raw 24 right
    # Each image's probabilities: one per digit, summing to one.
    for line in re.findall(r"^  (0: .*)$", out, re.M):
        values = [float(v) for v in re.findall(r"\d: (\d\.\d{3})", line)]
        assert len(values) == 10
        assert sum(values) == pytest.approx(1, abs=6e-3)


def _padded(digit, size):
    # Light on dark, in a larger dark frame.
    page = Image.new("L", size, 0)
    page.paste(Image.fromarray(digit).resize((80, 80)), (40, 30))
    return page


@pytest.mark.slow
def test_predict_with_a_trained_model(trained, mnist_test, tmp_path):
    images, labels, _ = mnist_test
    path = tmp_path / "seven.png"
    Image.fromarray(255 - images[0]).save(path)
    code, out, err = run(["predict", path, "--model", trained[1] / "model.json"])
    assert code == 0, err
    assert out.startswith(f"Model: {trained[1] / 'model.json'} (fitted on 2000 MNIST")
    assert predictions(out) == {str(path): str(labels[0])}


def test_predict_reports_each_bad_image_and_continues(mnist_test, tmp_path):
    images, labels, _ = mnist_test
    good = tmp_path / "good.png"
    Image.fromarray(images[1]).save(good)
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    blank = tmp_path / "blank.png"
    Image.new("RGB", (40, 40), "white").save(blank)
    missing = tmp_path / "missing.png"
    code, out, err = run(["predict", text, good, blank, missing])
    assert code == 1
    assert predictions(out) == {str(good): str(labels[1])}
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 3
    assert all(line.startswith("sklearn-ovr-logit predict: error: ") for line in lines)
    assert f"{text}: not an image file" in lines[0]
    assert f"{blank}: no digit found: the image is blank" in lines[1]
    assert f"{missing}: no such image file" in lines[2]


# -- bad models ------------------------------------------------------------


def _bad_model_files(folder, good_model):
    """{kind: (path, expected message)} of files that are not loadable models."""
    document = json.loads(good_model.read_text())
    files = {}

    def write(kind, content, match):
        path = folder / f"{kind}.json"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(
                content if isinstance(content, str) else json.dumps(content)
            )
        files[kind] = (path, match)

    write("empty", "", "not a sklearn-ovr-logit model file")
    write("text", "hello", "not a sklearn-ovr-logit model file")
    write("binary", bytes(range(256)), "not a sklearn-ovr-logit model file")
    write("truncated", good_model.read_text()[:5000], "damaged model file")
    write("foreign-json", {"weights": [1, 2, 3]}, "not a sklearn-ovr-logit model")
    write("newer", {**document, "format_version": 99}, "newer sklearn-ovr-logit")
    steps = document["steps"]
    short = [steps[0], {**steps[1], "coef": steps[1]["coef"][:3]}]
    write("wrong-shape", {**document, "steps": short}, r"'coef' has shape \(3, 784\)")
    bad_c = [steps[0], {**steps[1], "params": {**steps[1]["params"], "C": -1}}]
    write("bad-param", {**document, "steps": bad_c}, "bad params")
    unknown = [{"name": "scaler", "kind": "pickle"}, steps[1]]
    write("unknown-kind", {**document, "steps": unknown}, "unknown kind 'pickle'")
    missing = [steps[0], {k: v for k, v in steps[1].items() if k != "intercept"}]
    write("missing-key", {**document, "steps": missing}, "missing 'intercept'")
    write("reversed", {**document, "steps": steps[::-1]}, "'ovr' is not a transformer")
    write("no-classifier", {**document, "steps": steps[:1]}, "is not a classifier")
    deep = '{"steps": ' + "[" * 100_000 + "]" * 100_000 + "}"
    write("deeply-nested", deep, "too deeply nested")

    def with_step(index, **changes):
        changed = list(steps)
        changed[index] = {**steps[index], **changes}
        return {**document, "steps": changed}

    write("no-steps", {**document, "steps": []}, "'steps' must be a non-empty list")
    write("bad-metadata", {**document, "metadata": []}, "'metadata' must be an obj")
    write("bad-version", {**document, "format_version": "one"}, "bad format_version")
    write("step-not-object", {**document, "steps": [1, steps[1]]}, "step 0 is not")
    write("step-no-name", with_step(0, name="a__b"), "step 0 has no valid 'name'")
    write("max-value-zero", with_step(0, max_value=0), "max_value must be at least 1")
    write("max-value-text", with_step(0, max_value="255"), "'max_value' must be a n")
    write("n-iter", with_step(1, n_iter=[1, 2]), "'n_iter' must be a list of 10")
    write("params-keys", with_step(1, params={"C": 1}), "'params' must be an object")
    classes = steps[1]["classes"]
    write("classes-one", with_step(1, classes=[0]), "a list of at least 2 labels")
    mixed = [0, *map(str, classes[1:])]
    write("classes-mixed", with_step(1, classes=mixed), "all integers or all str")
    unsorted = classes[::-1]
    write("classes-unsorted", with_step(1, classes=unsorted), "sorted and distinct")
    write("coef-text", with_step(1, coef="abc"), "'coef' is not an array of num")
    nan = json.dumps(with_step(1, intercept=[float("nan")] * len(classes)))
    write("intercept-nan", nan, "NaN is not a valid number in a model file")
    scaler = {
        "name": "scaler",
        "kind": "standard_scaler",
        "n_features": 784,
        "with_mean": True,
        "with_std": True,
        "mean": [0.0] * 784,
        "var": [1.0] * 784,
        "scale": [1.0] * 784,
        "n_samples_seen": 10,
    }
    for key, value, match in [
        ("with_mean", 1, "'with_mean' must be true or false"),
        ("n_samples_seen", -1, "'n_samples_seen' must not be negative"),
        ("n_features", 7.5, "'n_features' must be a non-negative integer"),
        ("mean", [0.0] * 5, r"'mean' has shape \(5,\), expected 784"),
        ("mean", None, "'mean' is null although 'with_mean' is true"),
        ("scale", None, "'scale' is null although 'with_std' is true"),
    ]:
        bad = {**document, "steps": [{**scaler, key: value}, steps[1]]}
        write(f"standard-scaler-{key}-{value is None}", bad, match)
    narrow = {
        **scaler,
        "n_features": 5,
        **{key: [0.0] * 5 for key in ("mean", "var", "scale")},
    }
    narrow["var"] = narrow["scale"] = [1.0] * 5
    write(
        "feature-counts",
        {**document, "steps": [narrow, steps[1]]},
        "different numbers of features",
    )
    min_max = {
        "name": "scaler",
        "kind": "min_max_scaler",
        "data_min": [0.0] * 784,
        "data_max": [255.0] * 784,
        "feature_range": [1.0, 0.0],
        "clip": False,
        "n_samples_seen": 10,
    }
    write(
        "feature-range",
        {**document, "steps": [min_max, steps[1]]},
        r"bad feature_range \[1.0, 0.0\]",
    )
    binary = {
        "name": "logit",
        "kind": "binary_logistic_regression",
        "params": steps[1]["params"],
        "classes": [0, 1, 2],
        "coef": steps[1]["coef"][:1],
        "intercept": steps[1]["intercept"][:1],
        "n_iter": 5,
    }
    write(
        "binary-classes",
        {**document, "steps": [steps[0], binary]},
        "'classes' must hold 2 labels, got 3",
    )
    return files


@pytest.fixture(scope="module")
def digit_image(tmp_path_factory):
    path = tmp_path_factory.mktemp("image") / "digit.png"
    image = np.zeros((28, 28), dtype=np.uint8)
    image[4:24, 12:16] = 255
    Image.fromarray(image).save(path)
    return path


def test_predict_with_bad_model_files(tmp_path, digit_image):
    from sklearn_ovr_logit.app._predict import pretrained_model_path

    for kind, (path, match) in _bad_model_files(
        tmp_path, pretrained_model_path()
    ).items():
        result = run(["predict", digit_image, "--model", path])
        assert_one_line_error(result, 1, match)
        assert str(path) in result[2], kind
        with pytest.raises(ModelFileError, match=match):
            load_model(path)
    assert_one_line_error(
        run(["predict", digit_image, "--model", tmp_path / "nope.json"]),
        1,
        "nope.json: no such model file",
    )
    assert_one_line_error(
        run(["predict", digit_image, "--model", tmp_path]), 1, "is a folder"
    )


def test_a_pickle_is_refused_not_run(tmp_path, digit_image):
    # A pickle that would create a file when unpickled.
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(Exploit()))
    result = run(["predict", digit_image, "--model", path])
    assert_one_line_error(result, 1, "not a JSON document")
    assert not marker.exists()


# -- bad options -----------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["fit"], "invalid choice: 'fit'"),
        (["train", "--C", "-1"], "argument --C: must be positive, got '-1'"),
        (["train", "--C", "abc"], "argument --C: not a number: 'abc'"),
        (["train", "--C", "nan"], "argument --C: must be positive"),
        (["train", "--tol", "0"], "argument --tol: must be positive"),
        (["train", "--max-iter", "0"], "argument --max-iter: must be at least 1"),
        (["train", "--max-iter", "1.5"], "argument --max-iter: not an integer"),
        (["train", "--train-size", "0"], "argument --train-size: must be at least 1"),
        (["train", "--positive-class", "10"], "argument --positive-class: invalid"),
        (["train", "--dataset", "cifar"], "argument --dataset: invalid choice"),
        (["train", "--scaler", "robust"], "argument --scaler: invalid choice"),
        (["train", "--n-jobs", "0"], "argument --n-jobs: must be a positive"),
        (["train", "--random-state", "-1"], "argument --random-state: must be at le"),
        (["search", "--random-state", str(2**32)], "--random-state: must be at most"),
        (["train", "--bogus"], "unrecognized arguments: --bogus"),
        (["search", "--cv", "1"], "argument --cv: must be at least 2"),
        (["search", "--C"], "argument --C: expected at least one argument"),
        (["predict"], "the following arguments are required: IMAGE"),
    ],
)
def test_bad_options(argv, match):
    assert_one_line_error(run(argv), 2, match)


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (
            ["train", "--train-size", "5000"],
            "--train-size 5000 is more than the 1347 training images of the 8x8",
        ),
        (["train", "--train-size", "10"], "--train-size 10 is too small"),
        (["search", "--train-size", "40", "--cv", "5"], "--cv 5 folds need"),
    ],
)
def test_option_values_that_do_not_fit_the_data(argv, match, tmp_path):
    result = run([*argv, "--dataset", "digits", "--output", tmp_path])
    assert_one_line_error(result, 2, match)


def test_output_is_a_file(tmp_path):
    path = tmp_path / "file"
    path.write_text("")
    result = run(["train", "--dataset", "digits", "--output", path])
    assert_one_line_error(result, 1, "exists and is not a folder")


@pytest.mark.slow
def test_predict_unusual_images_through_the_cli(tmp_path):
    # Each image gets a prediction or a one-line error naming it; no
    # traceback, and exit status 1 since one fails.
    tall = np.full((5000, 4), 255, dtype=np.uint8)
    tall[500:4500, 1:3] = 0
    wide = np.full((1, 1100), 255, dtype=np.uint8)
    wide[0, 300:800] = 0
    bar = np.zeros((40, 40), dtype=np.float32)
    bar[5:35, 18:22] = 1.0
    with_nan, with_inf = bar.copy(), bar.copy()
    with_nan[0, 0] = np.nan
    with_inf[6, 19] = np.inf
    files = {
        "tall.png": lambda p: Image.fromarray(tall).save(p),
        "wide.png": lambda p: Image.fromarray(wide).save(p),
        "nan.tif": lambda p: Image.fromarray(with_nan, "F").save(p),
        "inf.tif": lambda p: Image.fromarray(with_inf, "F").save(p),
        "bad-exif.jpg": lambda p: p.write_bytes(_malformed_exif_jpeg(bar)),
    }
    paths = []
    for name, write in files.items():
        write(tmp_path / name)
        paths.append(tmp_path / name)
    code, out, err = run_cli("predict", *paths)
    assert "Traceback" not in err
    assert code == 1, err
    assert set(predictions(out)) == {str(p) for p in paths if p.name != "nan.tif"}
    assert_one_line_error(
        (code, out, err), 1, "nan.tif: 1 of the image's 1600 pixels are NaN"
    )


def _malformed_exif_jpeg(bar):
    """A JPEG of ``bar`` whose EXIF block is not a valid TIFF structure."""
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = BytesIO()
    Image.fromarray((255 - 255 * bar).astype(np.uint8)).convert("RGB").save(
        buffer, "JPEG", exif=exif
    )
    data = bytearray(buffer.getvalue())
    start = data.find(b"Exif\x00\x00") + 6
    data[start : start + 4] = b"XX\x00\x2a"
    return bytes(data)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
@pytest.mark.parametrize("where", ["image", "model"])
@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_predict_refuses_special_files(tmp_path, digit_image, where, special):
    # A FIFO blocked for ever, /dev/zero was read until memory ran out.
    if special == "fifo":
        path = tmp_path / "special"
        os.mkfifo(path)
        kind = "a FIFO \\(named pipe\\)"
    else:
        path, kind = special, "a character device"
    argv = ["predict", digit_image] if where == "model" else ["predict", path]
    if where == "model":
        argv += ["--model", path]
    result = run_cli(*argv, timeout=120)
    what = "model file" if where == "model" else "an image file"
    assert_one_line_error(result, 1, f"{path}: is {kind}, not (a |)?{what}")


@pytest.mark.slow
@pytest.mark.skipif(
    not os.path.isdir("/proc/self/fdinfo"), reason="needs Linux's /proc"
)
@pytest.mark.parametrize("command", ["train", "search"])
def test_output_folder_that_cannot_be_written_fails_before_fitting(command):
    # A folder where nobody, not even root, can create a file; before, the
    # whole fit ran and then saving the model failed.
    folder = "/proc/self/fdinfo"
    argv = [command, "--dataset", "digits", "--output", folder]
    if command == "search":
        argv += ["--C", "1", "--scaler", "pixels", "--cv", "2"]
    code, out, err = run_cli(*argv)
    assert_one_line_error(
        (code, out, err), 1, f"--output {folder}: cannot write files there"
    )
    assert "Fitting" not in out
    assert "Loading" not in out


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root writes into read-only folders",
)
def test_read_only_output_folder_fails_before_fitting(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        code, out, err = run_cli("train", "--dataset", "digits", "--output", folder)
    finally:
        folder.chmod(0o755)
    assert_one_line_error((code, out, err), 1, "cannot write files there")
    assert "Fitting" not in out


HOSTILE = "one\x1b[2J\x1b]0;pwned\x07\nfake: 9 (probability 1.000)\u202e"


@pytest.mark.slow
def test_strings_from_model_files_are_printed_escaped(tmp_path, digit_image):
    # Labels and metadata of a model file are the file author's text: an
    # escape sequence must not reach the terminal, nor a newline forge a line.
    X, y = load_digits(return_X_y=True)
    labels = np.where(y == 1, HOSTILE, "other")
    model = Pipeline(
        [("scaler", make_grey_level_scaler(16)), ("logit", BinaryLogisticRegression())]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, labels)
    path = tmp_path / "model.json"
    save_model(model, path, metadata={"class_names": [HOSTILE, "other\x1b[0m"]})
    small = tmp_path / "digit8.png"
    Image.open(digit_image).resize((8, 8)).save(small)
    code, out, err = run_cli("predict", small, "--model", path)
    assert code == 0, err
    for text in (out, err):
        assert "\x1b" not in text
        assert "\u202e" not in text
    assert len(out.splitlines()) == 3  # the model, the prediction, the probabilities
    assert "one\\x1b[2J\\x1b]0;pwned\\x07\\nfake" in out
    assert "\\u202e" in out
    assert "other\\x1b[0m" in out

    # In an error message too: the version string of a "newer" file.
    document = json.loads(path.read_text())
    document.update(format_version=99, written_by=HOSTILE)
    path.write_text(json.dumps(document))
    code, out, err = run_cli("predict", small, "--model", path)
    assert_one_line_error((code, out, err), 1, "newer sklearn-ovr-logit")
    assert "\x1b" not in err


@pytest.mark.slow
def test_odd_metadata_and_overflowing_models(tmp_path, digit_image):
    from sklearn_ovr_logit.app._predict import pretrained_model_path

    document = json.loads(pretrained_model_path().read_text())
    # Metadata is free-form: class names that are not strings, a dataset that
    # is a list, a count that is a boolean are ignored, not printed or fatal.
    odd = {
        **document,
        "metadata": {
            **document["metadata"],
            "class_names": [[k] for k in range(10)],
            "dataset": ["mnist"],
            "n_train": True,
        },
    }
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(odd))
    code, out, err = run_cli("predict", digit_image, "--model", path)
    assert code == 0, err
    assert out.splitlines()[0] == f"Model: {path} (test accuracy 0.9208)"
    assert predictions(out) == {str(digit_image): "1"}
    assert re.search(r"^  0: 0\.\d{3}  1: ", out, re.M)

    # Finite coefficients whose scores overflow: the probabilities are NaN,
    # whose argmax once named the first class ("0 (probability nan)").
    ovr = document["steps"][1]
    huge = {**ovr, "coef": [[-1e308] * 784] * 10}
    path.write_text(json.dumps({**document, "steps": [document["steps"][0], huge]}))
    result = run_cli("predict", digit_image, "--model", path)
    assert_one_line_error(result, 1, "no valid probabilities for this image")


@pytest.mark.slow
def test_predict_with_a_model_fitted_on_named_pixels(tmp_path, digit_image):
    pd = pytest.importorskip("pandas")
    digits = load_digits(as_frame=True)
    assert list(digits.data.columns)[:2] == ["pixel_0_0", "pixel_0_1"]
    model = Pipeline([("scaler", StandardScaler()), ("ovr", OneVsRestClassifier())])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(digits.data, digits.target)
    path = tmp_path / "named.json"
    save_model(model, path)
    small = tmp_path / "digit8.png"
    Image.open(digit_image).resize((8, 8)).save(small)
    code, out, err = run_cli("predict", small, "--model", path)
    assert code == 0, err
    assert err == ""  # no warning about the names: they were checked
    assert set(predictions(out)) == {str(small)}

    # Columns that are not the pixels in order: refused, not guessed.
    shuffled = digits.data[digits.data.columns[::-1]]
    model.fit(shuffled, digits.target)
    save_model(model, path)
    result = run_cli("predict", small, "--model", path)
    assert_one_line_error(
        result, 1, "feature 0 is 'pixel_7_7', not 'pixel_0_0'; predict can only"
    )
    assert isinstance(shuffled, pd.DataFrame)


def test_help_and_version():
    code, out, _ = run(["--help"])
    assert code == 0
    assert all(command in out for command in ("train", "search", "predict"))
    code, out, _ = run(["--version"])
    assert code == 0
    assert re.match(r"sklearn-ovr-logit \d+\.\d+", out)


def test_python_dash_m_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_ovr_logit", "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m sklearn_ovr_logit")
    assert "predict" in result.stdout


@pytest.mark.slow
def test_missing_extras_fail_at_once_with_one_line(tmp_path, monkeypatch):
    # Without matplotlib, train stops before loading data or fitting.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    output = tmp_path / "out"
    result = run(["train", "--dataset", "digits", "--output", output])
    assert_one_line_error(result, 1, r"needs matplotlib and pillow")
    assert not output.exists()
    assert "Fitting" not in result[1]

    # Without Pillow, the parser and --help still work and predict says what
    # is missing; in fresh interpreters, where nothing imported Pillow before.
    def without_pillow(argv):
        script = (
            "import sys; sys.modules['PIL'] = None; "
            "from sklearn_ovr_logit.app._main import main; "
            f"sys.exit(main({argv!r}))"
        )
        return subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=False
        )

    done = without_pillow(["--help"])
    assert done.returncode == 0, done.stderr
    assert "usage: sklearn-ovr-logit" in done.stdout
    done = without_pillow(["predict", str(tmp_path / "x.png")])
    assert done.returncode == 1
    assert_one_line_error((1, "", done.stderr), 1, "needs matplotlib and pillow")
