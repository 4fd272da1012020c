"""The options of the command line and ``main``: parse, run, report errors."""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import os
import shlex
import sys

from ._errors import UsageError
from ._pipeline import SCALERS
from ._report import printable

_DESCRIPTION = """\
One-vs-rest logistic regression on handwritten digits.

  train    fit the pipeline on MNIST's training set and evaluate it on the
           test set; write the model and figures into --output
  search   choose the scaler and C by cross-validation
  predict  read the digit in image files (PNG, JPEG, ...)

MNIST is used when it can be found or downloaded, otherwise scikit-learn's
8x8 digits (with a notice). COMMAND --help lists the options of a command.
"""

_PREDICT_DESCRIPTION = """\
Predict the digit in each image file, printing its label and the probability
of each class. Any image Pillow reads works (PNG, JPEG, BMP, ...), any size,
colour or grey, a dark digit on a light background or a light one on a dark
background: it is preprocessed as MNIST was (grey, inverted if needed, the
digit's bounding box fitted into 20x20 pixels keeping the aspect ratio, its
centre of mass centred in 28x28). The default model is the pretrained MNIST
model shipped with the package.
"""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, without the usage text."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(prog=None):
    """The parser of ``sklearn-ovr-logit``, with its three subcommands.

    Parameters
    ----------
    prog : str, default=None
        The program name in messages; None guesses it from ``sys.argv[0]``.

    Returns
    -------
    parser : argparse.ArgumentParser
        The parser of the options; each subcommand's namespace has ``run``,
        the function that runs it.
    """
    if prog is None:
        prog = _prog_name()
    parser = _Parser(
        prog=prog,
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=_version_string())
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )

    train = commands.add_parser(
        "train",
        help="fit on the training set, evaluate on the test set",
        description="Fit a Pipeline (a scaler, then OneVsRestClassifier of "
        "BinaryLogisticRegression) on the training images, print the test "
        "accuracy, per-class precision/recall/F1 and the confusion matrix, and "
        "write into --output: model.json, confusion_matrix.png, "
        "coefficients.png, misclassified.png and correctly_classified.png.",
    )
    _add_data_options(train)
    fitting = _add_model_options(train)
    fitting.add_argument(
        "--C",
        type=_positive_float,
        default=1.0,
        help="inverse regularisation "
        "strength of each binary model (default: 1; 'inf' for none)",
    )
    fitting.add_argument(
        "--scaler",
        choices=SCALERS,
        default="pixels",
        help="the first step: pixels = grey levels / 255 (default), standard "
        "= StandardScaler, minmax = MinMaxScaler",
    )
    fitting.add_argument(
        "--positive-class",
        type=int,
        choices=range(10),
        metavar="K",
        help="fit one BinaryLogisticRegression for 'digit K or not' instead of "
        "one-vs-rest over the ten digits",
    )
    train.add_argument(
        "--output",
        default="ovr_logit_output",
        metavar="DIR",
        help="folder for the model and figures, created if needed (default: "
        "%(default)s)",
    )
    train.set_defaults(run=_run_train)

    search = commands.add_parser(
        "search",
        help="choose the scaler and C by cross-validation",
        description="Choose the pipeline's scaler and the C of its binary "
        "models by cross-validated accuracy. For each scaler, "
        "OneVsRestLogisticRegressionCV scores every C on every fold in one fit "
        "(a scaler that learns from the data, standard or minmax, is fitted "
        "on each fold's training images: one fit per fold). Print the results "
        "(ties go to the first candidate, C outermost, as in GridSearchCV), the "
        "time of each scaler's search, the best parameters and the test "
        "accuracy of the best pipeline refitted on the whole training set. "
        "--train-size 10000 gives a quick look on MNIST.",
    )
    _add_data_options(search)
    fitting = _add_model_options(search)
    fitting.add_argument(
        "--C",
        type=_positive_float,
        nargs="+",
        default=[0.01, 0.1, 1.0],
        metavar="C",
        help="values of C to try (default: 0.01 0.1 1)",
    )
    fitting.add_argument(
        "--scaler",
        choices=SCALERS,
        nargs="+",
        default=["pixels", "standard"],
        metavar="NAME",
        help="scalers to try, among pixels, standard and minmax (default: "
        "pixels standard)",
    )
    fitting.add_argument(
        "--cv", type=_int_at_least(2), default=3, help="number of folds (default: 3)"
    )
    search.add_argument(
        "--output",
        metavar="DIR",
        help="also save the best pipeline as DIR/model.json",
    )
    search.set_defaults(run=_run_search)

    predict = commands.add_parser(
        "predict",
        help="predict the digit in image files",
        description=_PREDICT_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    predict.add_argument(
        "--model",
        metavar="FILE",
        help="a model.json written by train or search (default: the "
        "pretrained MNIST model shipped with the package)",
    )
    predict.set_defaults(run=_run_predict)
    return parser


def main(argv=None):
    """Run the command line.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program name; None means ``sys.argv[1:]``.

    Returns
    -------
    code : int
        The exit code: 0 on success, 1 when an input (data, image or model
        file) is bad, 2 for invalid options, 130 when interrupted.
    """
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        # --help, --version and usage errors: return the code, don't exit,
        # so that main() is callable in-process.
        return exc.code
    args.command_line = shlex.join(["sklearn-ovr-logit", *argv])
    args.prog = f"{parser.prog} {args.command}"
    prefix = f"{args.prog}: error:"
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"{prefix} {_one_line(exc)}", file=sys.stderr)
        return 2
    except ImportError as exc:
        print(
            f"{prefix} {_one_line(exc)}; the command line needs matplotlib and "
            "pillow: pip install 'sklearn-ovr-logit[cli]'",
            file=sys.stderr,
        )
        return 1
    except (OSError, ValueError) as exc:
        # Missing or unreadable files, damaged models, data that cannot be
        # fitted: the message says what is wrong, a traceback would not help.
        print(f"{prefix} {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\n{parser.prog}: interrupted", file=sys.stderr)
        return 130


# Each command's module is imported when it runs, not with the parser: predict
# needs Pillow and train matplotlib, and --help or a usage error needs neither.


def _run_train(args):
    from ._train import run

    return run(args)


def _run_search(args):
    from ._search import run

    return run(args)


def _run_predict(args):
    from ._predict import run

    return run(args)


def _add_data_options(parser):
    group = parser.add_argument_group("data")
    group.add_argument(
        "--dataset",
        choices=("auto", "mnist", "digits"),
        default="auto",
        help="auto (default): MNIST if it can be found or downloaded, else "
        "scikit-learn's 8x8 digits; mnist: fail if MNIST is not available",
    )
    group.add_argument(
        "--no-download",
        dest="download",
        action="store_false",
        help="never download MNIST; use it only if it is on disk",
    )
    group.add_argument(
        "--train-size",
        type=_int_at_least(1),
        metavar="N",
        help="fit on a stratified random subset of N training images",
    )
    group.add_argument(
        "--float32",
        action="store_true",
        help="hold the images in float32 instead of float64 (faster, half the memory)",
    )
    group.add_argument(
        "--random-state",
        type=_int_at_least(0, 2**32 - 1),
        default=0,
        metavar="SEED",
        help="seed of the training subset, of the digits' train/test split "
        "and of the folds (default: 0)",
    )


def _add_model_options(parser):
    group = parser.add_argument_group("fitting")
    group.add_argument(
        "--tol",
        type=_positive_float,
        default=1e-4,
        help="L-BFGS stopping tolerance on the gradient (default: %(default)g)",
    )
    group.add_argument(
        "--max-iter",
        type=_int_at_least(1),
        default=1000,
        metavar="N",
        help="maximum L-BFGS iterations per binary model (default: %(default)d)",
    )
    group.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=None,
        metavar="N",
        help="parallel jobs (-1: all cores; default: 1)",
    )
    group.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="print each long step with its duration (default: on)",
    )
    return group


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    if not value > 0:  # also False for NaN
        raise argparse.ArgumentTypeError(f"must be positive, got {text!r}")
    return value


def _int_at_least(minimum, maximum=None):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}")
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            # NumPy's seeds stop there.
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
        return value

    parse.__name__ = "integer"  # argparse names the type in some messages
    return parse


def _n_jobs(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}")
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(
            f"must be a positive number of jobs or -1 (all cores), got {value}"
        )
    return value


def _one_line(exc):
    """An exception's message on one line: its lines joined, spaces squeezed."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        # "[Errno 2] No such file or directory: 'x'" reads better as "x: ...".
        message = f"{exc.filename}: {exc.strerror}"
    # Escaped: a message may quote a file name or a model file's content.
    return printable(" ".join(message.split()))


def _prog_name():
    folder, name = os.path.split(sys.argv[0])
    if name == "__main__.py" and os.path.basename(folder) == "sklearn_ovr_logit":
        return "python -m sklearn_ovr_logit"
    return "sklearn-ovr-logit"


def _version_string():
    from .. import __version__

    return f"%(prog)s {__version__}"
