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
    def step(self, message):
        """Time the block; yield a :class:`Timer` whose ``seconds`` it sets."""
        timer = Timer()
        self._print(f"{message}... ", end="")
        start = time.perf_counter()
        try:
            yield timer
        except BaseException:
            self._print("failed")
            raise
        timer.seconds = time.perf_counter() - start
        self._print(f"done in {timer.seconds:.1f} s")


class Timer:
    """The duration of a step, in seconds, once it has finished."""

    seconds = None
