"""``search``: the scaler and C of the pipeline, chosen by cross-validation.

For each scaler, :class:`~sklearn_ovr_logit.OneVsRestLogisticRegressionCV`
scores every C on every fold in one fit (``refit=False``: only the scores are
wanted). A scaler that learns from the data (standard, minmax) must see only
the training images of a fold, so it is fitted on each fold's and one search
runs per fold; the "pixels" scaler learns nothing, so the images are scaled
once and all the folds are searched together. The candidates are ranked as
``GridSearchCV`` ranks them, the best refitted on all the training images.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import os

import numpy as np
from scipy.stats import rankdata
from sklearn.model_selection import StratifiedKFold

from .. import OneVsRestLogisticRegressionCV
from ._data import load_for_command
from ._errors import UsageError
from ._fitting import fit_catching_warnings, print_warnings
from ._output import MODEL_FILE, prepare_output
from ._persistence import save_model
from ._pipeline import describe, make_pipeline, make_scaler, scaler_label
from ._progress import Steps
from ._report import format_cv_results

# The scalers that learn nothing from the data: fitted once for all folds.
_STATELESS = ("pixels",)


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
    folds = list(
        StratifiedKFold(args.cv, shuffle=True, random_state=args.random_state).split(
            data.X_train, data.y_train
        )
    )
    labels = [scaler_label(make_scaler(name, data.max_value)) for name in args.scaler]
    print(f"Data: {data.name}, {n_train} training and {len(data.y_test)} test images")
    print(f"Scalers: {', '.join(labels)}")
    print(f"C: {', '.join(f'{C:g}' for C in args.C)}")
    print(
        f"Candidates: {len(args.scaler)} scalers x {len(args.C)} values of C, "
        f"{args.cv} folds"
    )

    results, seconds, caught = {}, {}, []
    for name, label in zip(args.scaler, labels, strict=True):
        how = "all folds at once" if name in _STATELESS else "one search per fold"
        with steps.step(f"Searching C after {label} ({how})") as timer:
            results[name], warned = cross_validate_C(
                data.X_train,
                data.y_train,
                scaler=name,
                max_value=data.max_value,
                Cs=args.C,
                folds=folds,
                tol=args.tol,
                max_iter=args.max_iter,
                n_jobs=args.n_jobs,
            )
        caught += warned
        seconds[label] = timer.seconds
    print_warnings(caught)
    print("Search time: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))

    table = rank_candidates(results, args.scaler, args.C)
    best = int(np.argmin(table["rank_test_score"]))
    best_scaler = table["params"][best]["scaler"]
    best_C = table["params"][best]["C"]
    best_score = table["mean_test_score"][best]
    print(f"\nCross-validation results ({args.cv} folds, best first):")
    label_of = dict(zip(args.scaler, labels, strict=True))
    columns = [("scaler", "scaler", label_of.get), ("C", "C", "{:g}".format)]
    print(format_cv_results(table, columns))
    print(
        f"\nBest parameters: scaler={label_of[best_scaler]}, "
        f"C={best_C:g} (mean CV accuracy {best_score:.4f})"
    )

    pipeline = make_pipeline(
        scaler=best_scaler,
        max_value=data.max_value,
        C=best_C,
        tol=args.tol,
        max_iter=args.max_iter,
        n_jobs=args.n_jobs,
    )
    print(f"Best pipeline: {describe(pipeline)}")
    with steps.step(f"Refitting it on all {n_train} training images"):
        caught = fit_catching_warnings(pipeline, data.X_train, data.y_train)
    print_warnings(caught)
    accuracy = pipeline.score(data.X_test, data.y_test)
    print(
        f"Test accuracy of the best pipeline, refitted on the {n_train} training "
        f"images: {accuracy:.4f}"
    )
    if output is not None:
        path = os.path.join(output, MODEL_FILE)
        save_model(
            pipeline,
            path,
            metadata={
                "dataset": data.key,
                "image_shape": list(data.image_shape),
                "max_value": data.max_value,
                "class_names": [str(c) for c in pipeline.classes_],
                "positive_class": None,
                "n_train": n_train,
                "test_accuracy": accuracy,
                "cv_accuracy": best_score,
                "command": args.command_line,
            },
        )
        print(f"Wrote {path}")
    return 0


def cross_validate_C(X, y, *, scaler, max_value, Cs, folds, tol, max_iter, n_jobs):
    """The accuracy of each C on each fold, after the scaler called ``scaler``.

    Parameters
    ----------
    X, y : ndarray
        The training images and their labels.
    scaler : str
        A name of :data:`~._pipeline.SCALERS`.
    max_value : float
        The largest grey level, for the "pixels" scaler.
    Cs : list of float
        The values of C, in the order of the grid.
    folds : list of (train, test) index arrays
    tol, max_iter, n_jobs
        Of :class:`~sklearn_ovr_logit.OneVsRestLogisticRegressionCV`.

    Returns
    -------
    scores : ndarray of shape (n_Cs, n_folds)
        Accuracy on each fold's held-out images, for each C of ``Cs``.
    caught : list of warnings.WarningMessage
        The warnings of the fits.
    """

    def search(X_scaled, cv):
        cv_search = OneVsRestLogisticRegressionCV(
            Cs=Cs, cv=cv, refit=False, tol=tol, max_iter=max_iter, n_jobs=n_jobs
        )
        warned = fit_catching_warnings(cv_search, X_scaled, y)
        # Cs_ is sorted: back to the order of Cs.
        columns = np.searchsorted(cv_search.Cs_, Cs)
        return cv_search.scores_[:, columns], warned

    if scaler in _STATELESS:
        scores, caught = search(make_scaler(scaler, max_value).fit_transform(X), folds)
        return scores.T, caught
    per_fold, caught = [], []
    for train, test in folds:
        fitted = make_scaler(scaler, max_value).fit(X[train])
        scores, warned = search(fitted.transform(X), [(train, test)])
        per_fold.append(scores[0])
        caught += warned
    return np.array(per_fold).T, caught


def rank_candidates(scores, scalers, Cs):
    """The candidates in ``GridSearchCV``'s order, with their scores and ranks.

    Parameters
    ----------
    scores : dict
        For each scaler name, the scores of :func:`cross_validate_C`.
    scalers, Cs : list
        The grid, as given on the command line.

    Returns
    -------
    results : dict
        As ``GridSearchCV.cv_results_``: ``"params"`` (dicts of "scaler" and
        "C"), ``"mean_test_score"``, ``"std_test_score"`` and
        ``"rank_test_score"``, the candidates in the grid order of a
        ``GridSearchCV`` over the pipeline (C outermost, as its parameters
        sort), so that ties go to the same one.
    """
    params, fold_scores = [], []
    for i, C in enumerate(Cs):
        for name in scalers:
            params.append({"scaler": name, "C": C})
            fold_scores.append(scores[name][i])
    fold_scores = np.asarray(fold_scores)
    means = fold_scores.mean(axis=1)
    return {
        "params": params,
        "mean_test_score": means,
        "std_test_score": fold_scores.std(axis=1),
        "rank_test_score": rankdata(-means, method="min").astype(np.int32),
    }
