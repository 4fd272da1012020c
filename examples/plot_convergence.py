"""
============================================
Convergence: why the pixels should be scaled
============================================

L-BFGS-B, the solver behind :class:`~sklearn_ovr_logit.BinaryLogisticRegression`
and :class:`~sklearn_ovr_logit.OneVsRestClassifier`, needs few iterations when
the features have a moderate scale, and many more when they do not. Raw MNIST
pixels are grey levels from 0 to 255; this example fits the same models on raw
and on scaled pixels (divided by 255), counts the iterations, catches the
:class:`~sklearn.exceptions.ConvergenceWarning`, and follows the objective
iteration by iteration.

To keep the example quick, everything runs on a random subset of 5,000 of the
60,000 training images.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Raw and scaled pixels
# ---------------------
#
# ``fetch_mnist(dtype="float64")`` gives the grey levels 0.0 to 255.0;
# ``scale=True`` would divide them by 255. We keep both versions.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier
from sklearn_ovr_logit.datasets import fetch_mnist

X_train, _, y_train, _ = fetch_mnist(return_X_y=True, dtype="float64")
rng = np.random.default_rng(0)
subset = rng.choice(X_train.shape[0], size=5_000, replace=False)
X_raw, y = X_train[subset], y_train[subset]
X_scaled = X_raw / 255
print(f"raw pixels in [{X_raw.min():.0f}, {X_raw.max():.0f}]")
print(f"scaled pixels in [{X_scaled.min():.0f}, {X_scaled.max():.0f}]")


def fit_and_catch(model, X, y):
    """Fit the model, and return the ConvergenceWarnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(X, y)
    return [w for w in caught if issubclass(w.category, ConvergenceWarning)]


# %%
# The defaults on raw pixels
# --------------------------
#
# We fit the one-vs-rest model with its defaults (``C=1``, ``max_iter=100``)
# on both versions and count the warnings: there is one per class that ran out
# of iterations before converging.
raw_default = OneVsRestClassifier()
raw_warnings = fit_and_catch(raw_default, X_raw, y)
scaled_default = OneVsRestClassifier()
scaled_warnings = fit_and_catch(scaled_default, X_scaled, y)

print(f"raw pixels:    {len(raw_warnings)} ConvergenceWarning(s)")
print(f"scaled pixels: {len(scaled_warnings)} ConvergenceWarning(s)")
if raw_warnings:
    print("\nthe first one says:\n" + str(raw_warnings[0].message))

# %%
# The iterations per class of both fits; hatched bars are the classes that
# stopped at ``max_iter=100`` without converging.
classes = np.arange(10)
fig, ax = plt.subplots(figsize=(8, 4.2))
for offset, (label, model, color) in zip(
    [-0.2, 0.2],
    [
        ("scaled pixels", scaled_default, "tab:blue"),
        ("raw pixels", raw_default, "tab:orange"),
    ],
    strict=True,
):
    n_iter = np.array([e.n_iter_ for e in model.estimators_])
    patches = ax.bar(classes + offset, n_iter, width=0.4, color=color, label=label)
    for patch, n in zip(patches, n_iter, strict=True):
        if n >= 100:
            patch.set_hatch("//")
ax.axhline(100, color="black", linestyle=":", label="max_iter=100")
ax.set_xticks(classes)
ax.set_xlabel("class (digit)")
ax.set_ylabel("L-BFGS-B iterations")
ax.set_title("OneVsRestClassifier() with its defaults: iterations per class")
ax.set_ylim(0, 125)
ax.legend(loc="upper center", ncols=3)
ax.grid(True, axis="y", alpha=0.3)
fig.tight_layout()

# %%
# The same model, two parametrisations
# ------------------------------------
#
# That comparison is not quite fair: ``C=1`` does not mean the same thing on
# both scales. Multiplying the pixels by 255 while dividing the coefficients by
# 255 leaves every score ``x @ w + b`` unchanged but shrinks the penalty
# :math:`\|w\|^2 / (2 C n)` by a factor of :math:`255^2`. So the raw-pixel
# model with ``C / 255**2`` has *exactly* the objective of the scaled-pixel
# model with ``C``: the same optimum, coefficients 255 times smaller. Only the
# path of the solver can differ.
#
# To follow that path, take one binary problem, "is it an 8?", and fit it with
# ``BinaryLogisticRegression(verbose=2)``, which prints the objective after
# every iteration; we capture the printout and read the values back.
import contextlib
import io
import re

is_eight = y == 8


def objective_trace(model, X, target):
    """Fit with verbose=2 and return the objective after each iteration."""
    printout = io.StringIO()
    with contextlib.redirect_stdout(printout):
        model.set_params(verbose=2).fit(X, target)
    values = re.findall(r"iteration\s+\d+: objective (\S+)", printout.getvalue())
    if not values:
        raise RuntimeError("no objective values in the verbose=2 output")
    return np.array(values, dtype=float)


def objective(model, X, target, C):
    """The objective of BinaryLogisticRegression, evaluated with NumPy."""
    w, b = model.coef_[0], model.intercept_[0]
    z = X @ w + b
    return np.mean(np.logaddexp(0, z) - target * z) + w @ w / (2 * C * len(target))


C = 1.0
traces = {}
for name, X, C_name in [
    ("scaled pixels, C=1", X_scaled, C),
    ("raw pixels, C=1/255²", X_raw, C / 255**2),
]:
    model = BinaryLogisticRegression(C=C_name, max_iter=1000)
    trace = objective_trace(model, X, is_eight)
    traces[name] = (trace, model.n_iter_)
    print(
        f"{name}: converged after {model.n_iter_} iterations, last objective "
        f"printed {trace[-1]:.10f}, evaluated with NumPy "
        f"{objective(model, X, is_eight, C_name):.10f}"
    )

# %%
# Both runs minimise the same function, so the best value either reached is an
# estimate of the optimum :math:`f^*`; the plot shows the distance to it, on a
# log scale, iteration by iteration.
f_star = min(trace.min() for trace, _ in traces.values())

fig, ax = plt.subplots(figsize=(8, 4.5))
for (name, (trace, n_iter)), color in zip(
    traces.items(), ["tab:blue", "tab:orange"], strict=True
):
    iterations = np.arange(1, trace.size + 1)
    gap = trace - f_star
    keep = gap > 0
    ax.semilogy(iterations[keep], gap[keep], color=color, label=name)
    ax.axvline(n_iter, color=color, linestyle=":", label=f"{name}: stops at {n_iter}")
ax.set_xlabel("L-BFGS-B iteration")
ax.set_ylabel("objective minus best value, f(w, b) - f*")
ax.set_title('"Is it an 8?": the same objective on scaled and on raw pixels')
ax.grid(True, which="both", alpha=0.3)
ax.legend()
fig.tight_layout()

# %%
# Two things happen on raw pixels. The stopping test compares the largest
# entry of the gradient with ``tol``, and the gradient with respect to the
# raw-pixel coefficients is 255 times the gradient with respect to the
# scaled-pixel ones: the same ``tol=1e-4`` asks for a more accurate solution.
# And, as the curves show, the objective itself comes down more slowly on raw
# pixels, with long stretches where it barely moves. One reason: the
# coefficients have to be 255 times smaller than on scaled pixels while the
# intercept keeps its size, and L-BFGS-B, which starts out treating all
# directions alike, needs many iterations to adapt to directions of such
# different scales.
#
# Dividing by 255 (``fetch_mnist(scale=True)``) removes the problem at the
# source; for other data, put a :class:`~sklearn.preprocessing.StandardScaler`
# or :class:`~sklearn.preprocessing.MinMaxScaler` in a pipeline.
plt.show()
