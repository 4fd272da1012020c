"""Helpers shared by the benchmark scripts: environment report, timing, memory."""

import os
import platform
import statistics
import time
import tracemalloc

import numpy as np
import scipy
import sklearn
from threadpoolctl import threadpool_info

import sklearn_ovr_logit
import sklearn_ovr_logit._lockstep as lockstep


def print_environment():
    """Print the library versions and the BLAS libraries threadpoolctl sees."""
    print(
        f"python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"sklearn_ovr_logit {sklearn_ovr_logit.__version__}, "
        f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}"
    )
    # The kernel OpenBLAS chose (SkylakeX with AVX-512, Haswell with AVX2
    # only, ...) changes the ratios: print it with every figure.
    for library in threadpool_info():
        print(
            f"  {library['user_api']}: {library['internal_api']} "
            f"{library.get('version')}, kernel {library.get('architecture')}, "
            f"{library['num_threads']} threads: {library['filepath']}"
        )


def binary_objective(coef, intercept, X, y, C):
    """sklearn's binary lbfgs objective, computed directly with numpy."""
    z = X @ coef + intercept
    n_samples = X.shape[0]
    penalty = coef @ coef / (2 * C * n_samples) if np.isfinite(C) else 0.0
    return float(np.mean(np.logaddexp(0, z) - y * z) + penalty)


def class_objectives(model, X, y, C):
    """Each class's binary objective at a one-vs-rest model's coefficients."""
    return np.array(
        [
            binary_objective(
                estimator.coef_.ravel(),
                estimator.intercept_[0],
                X,
                (y == k).astype(np.float64),
                C,
            )
            for k, estimator in zip(model.classes_, model.estimators_, strict=True)
        ]
    )


def time_call(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def alternate(candidates, repeats):
    """Time each candidate ``repeats`` times, interleaved, and return the runs.

    ``candidates`` maps a name to a zero-argument callable returning a fitted
    model. Interleaving spreads the noise of a shared machine over all of them.
    """
    times = {name: [] for name in candidates}
    models = {}
    for repeat in range(repeats):
        for name, fit in candidates.items():
            seconds, models[name] = time_call(fit)
            times[name].append(seconds)
            print(
                f"  repeat {repeat + 1}/{repeats} {name:<40s} {seconds:8.2f} s",
                flush=True,
            )
    return {name: statistics.median(t) for name, t in times.items()}, times, models


class PeakMemory:
    """Peak memory growth of this process over a ``with`` block (Linux).

    Two measures, because each misses something:

    - ``peak_increase``: the resident set's high-water mark (``VmHWM``, reset
      through ``/proc/self/clear_refs`` on entry) minus the resident set on
      entry. It sees every allocation, numpy's or a library's, but not memory
      the allocator reuses from earlier frees without asking the kernel.
    - ``traced_peak``: the peak of the allocations that :mod:`tracemalloc`
      sees, which include every numpy array's data, whether or not the
      allocator reused freed memory for it.

    ``peak_resident`` is the process's whole high-water mark during the block.
    """

    def __enter__(self):
        with open("/proc/self/clear_refs", "w") as file:
            file.write("5")
        self.before = _status_kib("VmRSS")
        tracemalloc.start()
        return self

    def __exit__(self, *exc_info):
        _, self.traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        self.peak_resident = _status_kib("VmHWM") * 1024
        self.peak_increase = self.peak_resident - self.before * 1024


def _status_kib(field):
    with open("/proc/self/status") as file:
        for line in file:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


class RoundTimer:
    """Counts the lockstep rounds of our fits and times their evaluations.

    ``times`` holds each round's evaluation time (one pass over X);
    ``rounds`` is their number, ``seconds`` their sum, and ``evaluations``
    the number of problems the rounds evaluated in all.
    """

    @property
    def rounds(self):
        return len(self.times)

    @property
    def seconds(self):
        return float(sum(self.times))

    def __enter__(self):
        self.times = []
        self.evaluations = 0
        self._original = lockstep.ProblemBatch.loss_and_gradient
        timer = self

        def timed(batch, coef, evaluator):
            start = time.perf_counter()
            result = timer._original(batch, coef, evaluator)
            timer.times.append(time.perf_counter() - start)
            timer.evaluations += coef.shape[0]
            return result

        lockstep.ProblemBatch.loss_and_gradient = timed
        return self

    def __exit__(self, *exc_info):
        lockstep.ProblemBatch.loss_and_gradient = self._original


def median_seconds(function, repeats=7):
    """Median time of ``repeats`` calls of ``function``, after one warm-up call."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))
