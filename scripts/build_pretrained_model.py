"""Build the pretrained MNIST model that ``sklearn-ovr-logit predict`` uses.

The model shipped in ``sklearn_ovr_logit/app/models/mnist_ovr_logit.json`` is
the default pipeline of ``sklearn-ovr-logit train`` -- grey levels divided by
255, then ``OneVsRestClassifier(BinaryLogisticRegression(C=1, tol=1e-4,
max_iter=1000))`` -- fitted on all 60,000 MNIST training images, and evaluated
on the 10,000 test images (about 92 % accuracy). The file is the command line's
JSON model file (``sklearn_ovr_logit.app.save_model``): a 10 x 784 coefficient
matrix, ten intercepts and a description of the pipeline, about 150 kB.

Usage, from the root of the repository::

    python scripts/build_pretrained_model.py            # rebuild the file
    python scripts/build_pretrained_model.py --check    # compare, write nothing

MNIST is found as ``fetch_mnist`` finds it (``$SKLEARN_OVR_LOGIT_MNIST``, then
``~/scikit_learn_data/mnist``), or downloaded. The fit is deterministic: a
rebuild on the same platform writes the same numbers, and on another BLAS the
coefficients agree to about 1e-6. ``--check`` exits with 1 if the shipped
model's test predictions differ from a fresh build's on more than 0.1 % of the
test images.

Rebuild the file (and commit it) whenever the pipeline's defaults, the solver
or the model file format change.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import sklearn

import sklearn_ovr_logit
from sklearn_ovr_logit.app import describe, load_model, make_pipeline, save_model
from sklearn_ovr_logit.datasets import fetch_mnist

REPOSITORY = Path(__file__).resolve().parents[1]
MODEL_PATH = (
    REPOSITORY / "sklearn_ovr_logit" / "app" / "models" / "mnist_ovr_logit.json"
)
# The most test predictions a rebuild may change before --check fails.
_MAX_CHANGED = 0.001


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Fit the pretrained MNIST model shipped with sklearn_ovr_logit."
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=MODEL_PATH,
        help="where to write the model (default: %(default)s)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare a fresh fit with the model at --output instead of writing it",
    )
    args = parser.parse_args(argv)

    X_train, X_test, y_train, y_test = fetch_mnist(return_X_y=True, dtype="float64")
    pipeline = make_pipeline(scaler="pixels", max_value=255, C=1.0, tol=1e-4)
    print(f"Fitting {describe(pipeline)}", flush=True)
    print(f"  on {len(y_train)} MNIST training images...", flush=True)
    start = time.perf_counter()
    pipeline.fit(X_train, y_train)
    print(f"  done in {time.perf_counter() - start:.1f} s")
    predicted = pipeline.predict(X_test)
    accuracy = float(np.mean(predicted == y_test))
    print(f"Test accuracy: {accuracy:.4f}")

    if args.check:
        shipped = load_model(args.output)
        changed = float(np.mean(shipped.predict(X_test) != predicted))
        print(f"{args.output}: {100 * changed:.2f} % of test predictions differ")
        return 0 if changed <= _MAX_CHANGED else 1

    metadata = {
        "description": "Pretrained MNIST model of sklearn-ovr-logit, built by "
        "scripts/build_pretrained_model.py",
        "dataset": "mnist",
        "image_shape": [28, 28],
        "max_value": 255,
        "class_names": [str(label) for label in pipeline.classes_],
        "positive_class": None,
        "n_train": len(y_train),
        "test_accuracy": accuracy,
        "command": "python scripts/build_pretrained_model.py",
        # No date or fit time: a rebuild that changes nothing changes no byte.
        "versions": {
            "sklearn_ovr_logit": sklearn_ovr_logit.__version__,
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
        },
    }
    save_model(pipeline, args.output, metadata=metadata)
    size = args.output.stat().st_size
    print(f"Wrote {args.output} ({size / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
