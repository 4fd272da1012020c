"""Fits for the commands: warnings collected during the fit, printed once each."""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings


def fit_catching_warnings(estimator, X, y):
    """Fit ``estimator``; return the warnings raised instead of showing them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # The scaler step has no progress to report; that is not news.
        warnings.filterwarnings("ignore", "The estimator .* does not support callb")
        estimator.fit(X, y)
    return caught


def print_warnings(caught):
    """Each distinct warning on one line, without the source-code context.

    A ConvergenceWarning per class would otherwise print ten times, each
    with a line of our source code.
    """
    seen = set()
    for warning in caught:
        message = " ".join(str(warning.message).split())
        if message not in seen:
            seen.add(message)
            print(f"warning: {message}")
