"""Warnings that point at the user's line, not into this package."""

import os
import sys

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
# scikit-learn's fit wrapper (_fit_context) and joblib's machinery sit
# between the user's call and ours.
_WRAPPERS = (
    os.sep + os.path.join("sklearn", "base.py"),
    os.sep + os.path.join("sklearn", "utils", "_set_output.py"),
)


def user_stacklevel():
    """The ``stacklevel`` for ``warnings.warn`` that names the user's frame.

    Call it in the function that warns: it counts the frames from there up
    to the first one outside this package and scikit-learn's fit wrapper, so
    the warning shows the line that called ``fit`` however deep the package
    raised it. Inside a scikit-learn meta-estimator (a search, a pipeline),
    that is the meta-estimator's line, as for scikit-learn's own warnings.
    """
    frame = sys._getframe(1)
    level = 1
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(_PACKAGE) and not filename.endswith(_WRAPPERS):
            return level
        frame = frame.f_back
        level += 1
    return level
