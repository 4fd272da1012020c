"""Reference fits of scikit-learn 1.7's ``LogisticRegression(multi_class="ovr")``.

scikit-learn removed ``multi_class`` in 1.8. This script keeps a record of what
the removed option computed, so that the tests can check that
``OneVsRestClassifier(BinaryLogisticRegression(...), class_weight=...)``
reproduces it: it fits ``LogisticRegression(multi_class="ovr",
solver="lbfgs", tol=1e-10)`` in a virtual environment with scikit-learn 1.7 on
a few small deterministic datasets and settings (``C``, ``fit_intercept``,
``class_weight`` as a dict and "balanced", ``sample_weight``, ``warm_start``,
float32 data, string, negative and non-contiguous labels), and
``LogisticRegressionCV(multi_class="ovr")`` on a few of them (for
``OneVsRestLogisticRegressionCV(C_per_class=True)``), and writes the data, the
settings and the results (coefficients, intercepts, iterations, predictions and
the first rows of ``predict_proba``; for the searches, the folds, each class's
``C_`` and scores) to ``tests/data/sklearn17_ovr_reference.json``, which
``tests/test_sklearn17_reference.py`` reads.

Usage, from the root of the repository::

    python scripts/make_ovr_reference.py                  # build a venv, write
    python scripts/make_ovr_reference.py --python /tmp/sk17/bin/python
    python scripts/make_ovr_reference.py --check          # compare, write nothing

Without ``--python``, the script creates (or reuses) a virtual environment in
``--venv`` (default: ``sklearn_ovr_logit-sklearn17`` in the temporary folder)
and installs the versions in ``REQUIREMENTS`` with pip. ``--python`` names the
interpreter of an existing environment with scikit-learn 1.7 instead. Nothing
from ``sklearn_ovr_logit`` runs in that environment: the data are made there
with NumPy's ``default_rng`` and stored in the file, so the tests never
regenerate them. Floats are written with ``repr``, which round-trips float64
exactly. ``--check`` refits and exits with 1 if any coefficient moved by more
than 1e-12 relative, or any prediction changed.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import json
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
OUTPUT = REPO_ROOT / "tests" / "data" / "sklearn17_ovr_reference.json"
# What the reference environment gets, pinned so that a rerun is the same fit.
REQUIREMENTS = ["scikit-learn==1.7.2", "numpy==2.3.5", "scipy==1.16.3"]
TOL = 1e-10
MAX_ITER = 10_000
# predict_proba is stored for this many rows of each dataset.
PROBA_ROWS = 8


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--python", help="interpreter of an environment with scikit-learn 1.7"
    )
    parser.add_argument(
        "--venv",
        default=os.path.join(tempfile.gettempdir(), "sklearn_ovr_logit-sklearn17"),
        help="where to create the environment when --python is not given",
    )
    parser.add_argument("--output", default=str(OUTPUT), help="the JSON file")
    parser.add_argument(
        "--check", action="store_true", help="compare with --output, write nothing"
    )
    # Internal: the run inside the reference environment.
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.generate:
        return generate(args.generate)

    python = args.python or reference_python(args.venv)
    with tempfile.TemporaryDirectory() as folder:
        fresh = os.path.join(folder, "reference.json")
        subprocess.run([python, __file__, "--generate", fresh], check=True)
        if args.check:
            return compare(fresh, args.output)
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(Path(fresh).read_text())
    size = Path(args.output).stat().st_size
    print(f"Wrote {args.output} ({size / 1024:.0f} kB)")
    return 0


def reference_python(folder):
    """The python of a venv in ``folder`` with ``REQUIREMENTS``, made if need be."""
    bin_dir = "Scripts" if sys.platform == "win32" else "bin"
    python = os.path.join(folder, bin_dir, "python")
    if not os.path.exists(python):
        print(f"Creating a virtual environment in {folder}")
        venv.create(folder, with_pip=True)
    installed = subprocess.run(
        [python, "-c", "import sklearn; print(sklearn.__version__)"],
        capture_output=True,
        text=True,
    )
    if installed.stdout.strip() != REQUIREMENTS[0].split("==")[1]:
        print(f"Installing {' '.join(REQUIREMENTS)}")
        subprocess.run(
            [python, "-m", "pip", "install", "--quiet", *REQUIREMENTS], check=True
        )
    return python


# -- What runs in the reference environment -----------------------------------


def make_datasets(np):
    """Small, well-conditioned datasets, a few classes each, by name."""
    rng = np.random.default_rng(17)

    def blobs(n_samples, n_features, class_sizes, spread):
        y = np.repeat(np.arange(len(class_sizes)), class_sizes)
        centres = rng.normal(scale=spread, size=(len(class_sizes), n_features))
        X = centres[y] + rng.normal(size=(n_samples, n_features))
        order = rng.permutation(n_samples)
        return X[order], y[order]

    datasets = {}
    # Four integer classes that overlap.
    X, y = blobs(120, 5, [30, 40, 20, 30], spread=1.0)
    datasets["four"] = (X, y, "float64")
    # Three string classes, imbalanced.
    X, codes = blobs(100, 4, [55, 30, 15], spread=1.2)
    datasets["strings"] = (X, np.array(["cat", "dog", "fish"])[codes], "float64")
    # Two classes, -1 and 1: one binary problem, for the class 1.
    X, codes = blobs(80, 3, [60, 20], spread=0.8)
    datasets["binary"] = (X, np.array([-1, 1])[codes], "float64")
    # Pixel-like features in [0, 1], stored exactly as float32, labels 2, 5, 9.
    X, codes = blobs(90, 6, [30, 35, 25], spread=1.0)
    X = (1 / (1 + np.exp(-X))).astype(np.float32).astype(np.float64)
    datasets["pixels"] = (X, np.array([2, 5, 9])[codes], "float32")

    weights = {}
    for name, (X, _, _) in datasets.items():
        # Weights from 0.1 to 3, a few of them zero.
        weight = rng.uniform(0.1, 3.0, size=X.shape[0])
        weight[rng.choice(X.shape[0], size=3, replace=False)] = 0.0
        weights[name] = weight
    return datasets, weights


def case(name, dataset, *, sample_weight=False, first_fit=None, **params):
    """A setting: the dataset, LogisticRegression's parameters, ``sample_weight``
    or not, and the parameters of a first fit that this one warm-starts from.
    """
    return name, dataset, params, sample_weight, first_fit


CASES = [
    case("four", "four"),
    case("four-C0.01", "four", C=0.01),
    case("four-C100", "four", C=100.0),
    case("four-no-intercept", "four", fit_intercept=False),
    case("four-sample-weight", "four", sample_weight=True),
    case("four-dict", "four", class_weight={0: 3.0, 2: 0.5}),
    case(
        "four-dict-sample-weight",
        "four",
        sample_weight=True,
        class_weight={0: 3.0, 1: 0.25, 2: 0.5, 3: 2.0},
    ),
    case(
        "four-dict-C0.1-no-intercept",
        "four",
        class_weight={1: 4.0, 3: 0.5},
        C=0.1,
        fit_intercept=False,
    ),
    # Class 3 weighs nothing: its problem has no positive weight, and its
    # intercept heads for -inf until the gradient is below tol.
    case("four-dict-zero-weight", "four", class_weight={3: 0.0, 0: 2.0}),
    case("four-balanced", "four", class_weight="balanced"),
    case(
        "four-balanced-sample-weight",
        "four",
        sample_weight=True,
        class_weight="balanced",
    ),
    case(
        "four-warm-start-new-C",
        "four",
        first_fit={"C": 0.1},
        C=10.0,
        class_weight={0: 2.0},
        warm_start=True,
    ),
    # The first fit stops after 3 iterations, the second after 4 more:
    # neither converges, so the result depends on where the second starts.
    case(
        "four-warm-start-unconverged",
        "four",
        sample_weight=True,
        first_fit={"max_iter": 3},
        max_iter=4,
        warm_start=True,
    ),
    case("strings-dict", "strings", class_weight={"cat": 0.5, "fish": 4.0}),
    case("strings-balanced", "strings", class_weight="balanced"),
    case(
        "strings-dict-sample-weight",
        "strings",
        sample_weight=True,
        class_weight={"cat": 1.0, "dog": 2.0, "fish": 3.0},
        C=0.3,
    ),
    case("binary", "binary"),
    case("binary-dict", "binary", class_weight={-1: 1.0, 1: 5.0}),
    case(
        "binary-balanced-sample-weight",
        "binary",
        sample_weight=True,
        class_weight="balanced",
    ),
    case("pixels-float32", "pixels", C=10.0),
    case("pixels-float32-dict", "pixels", class_weight={9: 2.0}),
    case(
        "pixels-float32-balanced-sample-weight",
        "pixels",
        sample_weight=True,
        class_weight="balanced",
        C=3.0,
    ),
]


# LogisticRegressionCV(multi_class="ovr"): these Cs, 3 stratified folds made
# once on the multiclass labels (stored with the case).
CV_CS = [0.01, 0.1, 1.0, 10.0]
CV_FOLDS = 3
CV_CASES = [
    case("four-cv", "four"),
    case("four-cv-no-intercept", "four", fit_intercept=False),
    case(
        "four-cv-dict-sample-weight",
        "four",
        sample_weight=True,
        class_weight={0: 3.0, 2: 0.5},
    ),
    case("four-cv-balanced", "four", class_weight="balanced"),
    case(
        "strings-cv-balanced-sample-weight",
        "strings",
        sample_weight=True,
        class_weight="balanced",
    ),
    case("binary-cv-balanced", "binary", class_weight="balanced"),
]


def generate(path):
    """Fit every case with this environment's scikit-learn; write ``path``."""
    import warnings

    import numpy as np
    import scipy
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold

    if not sklearn.__version__.startswith("1.7."):
        raise SystemExit(
            f"scikit-learn {sklearn.__version__} in {sys.executable}: the "
            "reference needs 1.7, the last version with multi_class"
        )
    datasets, weights = make_datasets(np)
    cases = []
    for name, dataset, params, use_weights, first in CASES:
        X, y, dtype = datasets[dataset]
        X_fit = X.astype(dtype)  # lbfgs upcasts float32 to float64 in 1.7
        fit_params = {"sample_weight": weights[dataset]} if use_weights else {}
        model = LogisticRegression(
            multi_class="ovr", solver="lbfgs", tol=TOL, max_iter=MAX_ITER
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # multi_class
            warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter=3
            if first is not None:
                model.set_params(**{**params, **first}).fit(X_fit, y, **fit_params)
            model.set_params(**params).fit(X_fit, y, **fit_params)
        cases.append(
            {
                "name": name,
                "dataset": dataset,
                "params": _params_for_json(params),
                "sample_weight": use_weights,
                "first_fit": first,
                "coef": model.coef_.tolist(),
                "intercept": model.intercept_.tolist(),
                "n_iter": model.n_iter_.tolist(),
                "predict": model.predict(X_fit).tolist(),
                "predict_proba_head": model.predict_proba(X_fit[:PROBA_ROWS]).tolist(),
            }
        )
    cv_cases = []
    for name, dataset, params, use_weights, _ in CV_CASES:
        X, y, dtype = datasets[dataset]
        folds = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=0)
        splits = list(folds.split(X, y))
        fit_params = {"sample_weight": weights[dataset]} if use_weights else {}
        model = LogisticRegressionCV(
            Cs=CV_CS,
            cv=splits,
            multi_class="ovr",
            solver="lbfgs",
            tol=TOL,
            max_iter=MAX_ITER,
            **params,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # multi_class
            model.fit(X.astype(dtype), y, **fit_params)
        cv_cases.append(
            {
                "name": name,
                "dataset": dataset,
                "params": _params_for_json(params),
                "sample_weight": use_weights,
                "test_folds": [test.tolist() for _, test in splits],
                "C": model.C_.tolist(),
                # scores_ is keyed on the label of each binary problem.
                "scores": [model.scores_[label].tolist() for label in model.scores_],
                "coef": model.coef_.tolist(),
                "intercept": model.intercept_.tolist(),
                "predict": model.predict(X.astype(dtype)).tolist(),
            }
        )
    reference = {
        "about": (
            "LogisticRegression(multi_class='ovr', solver='lbfgs') (cases) and "
            "LogisticRegressionCV(multi_class='ovr') (cv_cases) of "
            "scikit-learn 1.7, made by scripts/make_ovr_reference.py; "
            "class_weight dicts are lists of [label, weight] pairs"
        ),
        "versions": {
            "python": sys.version.split()[0],
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
        "tol": TOL,
        "max_iter": MAX_ITER,
        "datasets": {
            name: {
                "dtype": dtype,
                "X": X.tolist(),
                "y": y.tolist(),
                "sample_weight": weights[name].tolist(),
            }
            for name, (X, y, dtype) in datasets.items()
        },
        "cases": cases,
        "cv_Cs": CV_CS,
        "cv_cases": cv_cases,
    }
    with open(path, "w") as file:
        json.dump(reference, file, separators=(",", ":"))
    return 0


def _params_for_json(params):
    params = dict(params)
    if isinstance(params.get("class_weight"), dict):
        # JSON keys are strings; pairs keep the labels' types.
        params["class_weight"] = [[k, v] for k, v in params["class_weight"].items()]
    return params


# -- --check ------------------------------------------------------------------


def compare(fresh_path, stored_path):
    """0 if the fresh fits match the stored ones, else print and return 1."""
    import numpy as np

    fresh = json.loads(Path(fresh_path).read_text())
    stored = json.loads(Path(stored_path).read_text())
    if fresh["datasets"] != stored["datasets"]:
        print("The datasets differ: NumPy's generator changed; regenerate.")
        return 1
    failures = 0
    fresh_cases = fresh["cases"] + fresh["cv_cases"]
    stored_cases = stored["cases"] + stored.get("cv_cases", [])
    for new, old in zip(fresh_cases, stored_cases, strict=True):
        coef_new, coef_old = np.array(new["coef"]), np.array(old["coef"])
        change = np.abs(coef_new - coef_old).max() / np.abs(coef_old).max()
        same_predictions = new["predict"] == old["predict"]
        if change > 1e-12 or not same_predictions:
            failures += 1
            print(
                f"{new['name']}: coefficients moved by {change:.2g} relative; "
                f"predictions {'same' if same_predictions else 'changed'}"
            )
    print(f"{len(fresh_cases) - failures} of {len(fresh_cases)} cases match")
    return int(failures > 0)


if __name__ == "__main__":
    sys.exit(main())
