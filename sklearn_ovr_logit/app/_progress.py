"""Console progress: one line per long step, with the time it took."""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import sys
import time
from contextlib import contextmanager


class Steps:
    """Print "Doing something... done in 1.2 s" around the long steps.

    Parameters
    ----------
    enabled : bool, default=True
        False prints nothing (``--no-progress``); the steps are still timed.
    stream : file-like, default=None
        Where to print; None means standard output at the time of printing.
    """

    def __init__(self, enabled=True, stream=None):
        self.enabled = enabled
        self.stream = stream

    def _print(self, text, end="\n"):
        if self.enabled:
            stream = sys.stdout if self.stream is None else self.stream
            print(text, end=end, file=stream, flush=True)

    @contextmanager
    def step(self, message, own_line=False):
        """Time the block; yield a :class:`Timer` whose ``seconds`` it sets.

        ``own_line=True`` ends the message's line at once, for a block that
        draws its own progress bar below it.
        """
        timer = Timer()
        self._print(f"{message}...", end="\n" if own_line else " ")
        start = time.perf_counter()
        try:
            yield timer
        except BaseException:
            self._print("failed")
            raise
        timer.seconds = time.perf_counter() - start
        self._print(f"done in {timer.seconds:.1f} s")


def fit_progress_bar(estimator):
    """Show a progress bar of ``estimator``'s fit, one line per class.

    Uses scikit-learn's callback API (``sklearn.callback.ProgressBar``, which
    draws with rich). Returns False, and shows nothing, when that is not
    available: scikit-learn < 1.9 or rich not installed.
    """
    try:
        from sklearn.callback import ProgressBar

        progress_bar = ProgressBar(max_propagation_depth=None)
    except ImportError:
        return False
    estimator.set_callbacks(progress_bar)
    return True


class Timer:
    """The duration of a step, in seconds, once it has finished."""

    seconds = None
