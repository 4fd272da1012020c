"""Text reports: confusion matrix and cross-validation tables for the console."""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import unicodedata

import numpy as np


def format_confusion_matrix(matrix, labels):
    """The confusion matrix as text, true classes in rows, predictions in columns.

    Parameters
    ----------
    matrix : ndarray of shape (n_classes, n_classes)
        Counts, as from :func:`sklearn.metrics.confusion_matrix`.
    labels : list of str
        Class names, in the order of the rows.

    Returns
    -------
    text : str
        A table with a header line of predicted classes.
    """
    labels = [str(label) for label in labels]
    width = max(len(str(int(matrix.max()))), *(len(label) for label in labels)) + 1
    corner = "true \\ predicted"
    first = max(len(corner), *(len(label) for label in labels))
    lines = [corner.ljust(first) + "".join(label.rjust(width) for label in labels)]
    for label, row in zip(labels, matrix, strict=True):
        lines.append(label.ljust(first) + "".join(f"{n:>{width}d}" for n in row))
    return "\n".join(lines)


def format_table(header, rows, align=None):
    """A plain text table, columns padded to their widest cell.

    Parameters
    ----------
    header : list of str
        Column titles.
    rows : list of list
        Cells, converted with ``str``.
    align : str, default=None
        One character per column, "<" (left) or ">" (right); None aligns the
        first column left and the others right.

    Returns
    -------
    text : str
    """
    cells = [list(map(str, header))] + [[str(cell) for cell in row] for row in rows]
    if align is None:
        align = "<" + ">" * (len(header) - 1)
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "  ".join(
            f"{cell:{a}{w}}" for cell, a, w in zip(row, align, widths, strict=True)
        )
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def format_cv_results(cv_results, columns):
    """The candidates of a grid search as a table, best first.

    Parameters
    ----------
    cv_results : dict
        ``GridSearchCV.cv_results_``, or a dict with its keys ``"params"``,
        ``"mean_test_score"``, ``"std_test_score"`` and ``"rank_test_score"``
        (and optionally ``"mean_fit_time"``, shown when present).
    columns : list of (str, str, callable)
        For each searched parameter: its key in ``params``, the column
        title, and a function formatting its values.

    Returns
    -------
    text : str
        One line per candidate, best first (ties in the order of
        ``params``), after a header line.

    Examples
    --------
    >>> from sklearn_ovr_logit.app import format_cv_results
    >>> results = {
    ...     "params": [{"C": 0.1}, {"C": 1.0}],
    ...     "mean_test_score": [0.9, 0.95],
    ...     "std_test_score": [0.01, 0.02],
    ...     "rank_test_score": [2, 1],
    ... }
    >>> print(format_cv_results(results, [("C", "C", "{:g}".format)]))
    rank  C  mean accuracy     std
    ----  ---  -------------  ------
       1  1         0.9500  0.0200
       2  0.1       0.9000  0.0100
    """
    order = np.argsort(cv_results["rank_test_score"], kind="stable")
    timed = "mean_fit_time" in cv_results
    header = ["rank", *(title for _, title, _ in columns), "mean accuracy", "std"]
    header += ["fit time (s)"] * timed
    rows = []
    for i in order:
        params = cv_results["params"][i]
        row = [
            cv_results["rank_test_score"][i],
            *(fmt(params[key]) for key, _, fmt in columns),
            f"{cv_results['mean_test_score'][i]:.4f}",
            f"{cv_results['std_test_score'][i]:.4f}",
        ]
        if timed:
            row.append(f"{cv_results['mean_fit_time'][i]:.1f}")
        rows.append(row)
    align = ">" + "<" * len(columns) + ">>" + ">" * timed
    return format_table(header, rows, align)


# Characters that would act on a terminal instead of showing: control codes
# (escape sequences, newlines), format characters (bidirectional overrides)
# and line separators.
_HIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def printable(text):
    """``text`` with its control and format characters escaped, as ``\\x1b``.

    For what the command line prints from files: a label or a path holding
    an escape sequence must show as text, not clear the screen, and a
    newline must not start a line that looks like another result.

    Parameters
    ----------
    text : str

    Returns
    -------
    text : str
        Unchanged if it holds no such character.
    """
    text = str(text)
    if all(unicodedata.category(c) not in _HIDDEN for c in text):
        return text
    return "".join(
        ascii(c)[1:-1] if unicodedata.category(c) in _HIDDEN else c for c in text
    )
