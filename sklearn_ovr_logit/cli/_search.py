"""``search``: cross-validated grid search over the scaler and C of the pipeline."""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import os

import numpy as np
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from .._persistence import save_model
from ._data import load_for_command
from ._errors import UsageError
from ._pipeline import (
    C_PARAM,
    SCALER_PARAM,
    describe,
    make_pipeline,
    make_scaler,
    scaler_label,
)
from ._progress import Steps
from ._report import format_cv_results
from ._train import (
    MODEL_FILE,
    fit_catching_warnings,
    prepare_output,
    print_warnings,
)


def run(args):
    """Run ``search`` with the parsed options; return the exit code."""
    steps = Steps(enabled=args.progress)
    output = None if args.output is None else prepare_output(args.output)
    data = load_for_command(args, steps)
    n_train = len(data.y_train)
    min_class = np.bincount(np.unique(data.y_train, return_inverse=True)[1]).min()
    if args.cv > min_class:
        raise UsageError(
            f"--cv {args.cv} folds need at least {args.cv} training images of "
            f"each class; the smallest class has {min_class}"
        )

    pipeline = make_pipeline(
        scaler=args.scaler[0],
        max_value=data.max_value,
        C=args.C[0],
        tol=args.tol,
        max_iter=args.max_iter,
    )
    grid = {
        SCALER_PARAM: [make_scaler(name, data.max_value) for name in args.scaler],
        C_PARAM: list(args.C),
    }
    n_candidates = len(args.scaler) * len(args.C)
    print(f"Data: {data.name}, {n_train} training and {len(data.y_test)} test images")
    print(f"Pipeline: {describe(pipeline)}")
    print("Grid:")
    print(f"  {SCALER_PARAM}: {', '.join(map(scaler_label, grid[SCALER_PARAM]))}")
    print(f"  {C_PARAM}: {', '.join(f'{C:g}' for C in args.C)}")

    search = GridSearchCV(
        pipeline,
        grid,
        scoring="accuracy",
        cv=StratifiedKFold(args.cv, shuffle=True, random_state=args.random_state),
        n_jobs=args.n_jobs,
        error_score="raise",
    )
    message = (
        f"Fitting {args.cv} folds for each of {n_candidates} candidates "
        f"({args.cv * n_candidates} fits), then the best on all {n_train} images"
    )
    with steps.step(message) as fit:
        caught = fit_catching_warnings(search, data.X_train, data.y_train)
    print_warnings(caught)
    print(f"Search time: {fit.seconds:.1f} s\n")

    print(f"Cross-validation results ({args.cv} folds, best first):")
    columns = [
        (SCALER_PARAM, SCALER_PARAM, scaler_label),
        (C_PARAM, "C", lambda C: f"{C:g}"),
    ]
    print(format_cv_results(search.cv_results_, columns))
    best = search.best_params_
    print(
        f"\nBest parameters: {SCALER_PARAM}={scaler_label(best[SCALER_PARAM])}, "
        f"{C_PARAM}={best[C_PARAM]:g} (mean CV accuracy {search.best_score_:.4f})"
    )
    accuracy = search.score(data.X_test, data.y_test)
    print(
        f"Test accuracy of the best pipeline, refitted on the {n_train} training "
        f"images: {accuracy:.4f}"
    )
    if output is not None:
        path = os.path.join(output, MODEL_FILE)
        save_model(
            search.best_estimator_,
            path,
            metadata={
                "dataset": data.key,
                "image_shape": list(data.image_shape),
                "max_value": data.max_value,
                "class_names": [str(c) for c in search.classes_],
                "positive_class": None,
                "n_train": n_train,
                "test_accuracy": accuracy,
                "cv_accuracy": search.best_score_,
                "command": args.command_line,
            },
        )
        print(f"Wrote {path}")
    return 0
