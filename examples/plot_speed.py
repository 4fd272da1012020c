"""
=========================================
Speed: against scikit-learn's one-vs-rest
=========================================

:class:`sklearn_ovr_logit.OneVsRestClassifier` with its default base estimator
solves the same ten binary problems as scikit-learn's
``OneVsRestClassifier(LogisticRegression())``: the same objective, the same
L-BFGS-B solver and options, the same stopping rule. The difference is how the
work is organised: scikit-learn fits one class after the other, each reading
the whole data set at every iteration, while ``sklearn_ovr_logit`` runs the
ten solvers side by side and computes what they all need with one pass over
the data per round.

This example times both on a random subset of 5,000 MNIST training images (so
that it runs in seconds), checks that they find the same model, and draws fit
time and test accuracy side by side. The times are those of the machine that
ran the example; they change with its processor, its BLAS library and the
number of cores, so run it on yours.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# The data and the versions
# -------------------------
import os
import platform

import matplotlib.pyplot as plt
import numpy as np
import scipy
import sklearn

import sklearn_ovr_logit
from sklearn_ovr_logit.datasets import fetch_mnist

print(f"Python {platform.python_version()}, {os.cpu_count()} CPU(s)")
print(f"numpy {np.__version__}, scipy {scipy.__version__}")
print(f"scikit-learn {sklearn.__version__}")
print(f"sklearn_ovr_logit {sklearn_ovr_logit.__version__}")

X_train, X_test, y_train, y_test = fetch_mnist(return_X_y=True, scale=True)
rng = np.random.default_rng(0)
subset = rng.choice(X_train.shape[0], size=5_000, replace=False)
X_train, y_train = X_train[subset], y_train[subset]

# %%
# The two models
# --------------
#
# Both with their defaults: ``C=1``, ``tol=1e-4``, ``max_iter=100``.
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier as SklearnOneVsRest

from sklearn_ovr_logit import OneVsRestClassifier

models = {
    "scikit-learn": SklearnOneVsRest(LogisticRegression()),
    "sklearn_ovr_logit": OneVsRestClassifier(),
}
tick_labels = [
    "scikit-learn\nOneVsRestClassifier(LogisticRegression())",
    "sklearn_ovr_logit\nOneVsRestClassifier()",
]

# %%
# Time the fits
# -------------
#
# Each model is fitted three times from scratch; we keep the median time, and
# the fastest and slowest as the range. Timings on a busy machine vary, and the
# median is less sensitive to an unlucky run than the mean.
from time import perf_counter

from sklearn.base import clone

n_repeats = 3
times, fitted = {}, {}
for name, model in models.items():
    times[name] = []
    for _ in range(n_repeats):
        model = clone(model)
        start = perf_counter()
        model.fit(X_train, y_train)
        times[name].append(perf_counter() - start)
    fitted[name] = model
    print(f"{name}: fit times {np.round(times[name], 2)} s")

# %%
# The same model?
# ---------------
#
# Both stop when the gradient of each binary problem is small (``tol``), so
# they land on the same optimum up to that tolerance: the coefficients should
# nearly agree, and so should the predictions and the number of L-BFGS-B
# iterations per class.
ours, theirs = fitted["sklearn_ovr_logit"], fitted["scikit-learn"]
print("iterations, ours:  ", [int(e.n_iter_) for e in ours.estimators_])
print("iterations, theirs:", [int(np.ravel(e.n_iter_)[0]) for e in theirs.estimators_])
theirs_coef = np.vstack([e.coef_ for e in theirs.estimators_])
print(f"largest coefficient difference: {np.abs(ours.coef_ - theirs_coef).max():.2e}")
print(f"largest coefficient:            {np.abs(theirs_coef).max():.2e}")
agreement = np.mean(ours.predict(X_test) == theirs.predict(X_test))
print(f"test predictions that agree: {agreement:.2%}")

accuracy = {name: model.score(X_test, y_test) for name, model in fitted.items()}
for name, value in accuracy.items():
    print(f"{name}: test accuracy {value:.4f}")

# %%
# Fit time and accuracy side by side
# ----------------------------------
#
# The bars are the median fit times, the whiskers the fastest and slowest of
# the three fits; the right panel is the accuracy on the 10,000 test images.
names = list(models)
medians = np.array([np.median(times[name]) for name in names])
lows = medians - np.array([min(times[name]) for name in names])
highs = np.array([max(times[name]) for name in names]) - medians
colors = ["tab:gray", "tab:red"]

fig, (ax_time, ax_accuracy) = plt.subplots(1, 2, figsize=(10, 4.5))
ax_time.bar(
    [f"{label}\n{t:.2f} s" for label, t in zip(tick_labels, medians, strict=True)],
    medians,
    yerr=[lows, highs],
    capsize=6,
    color=colors,
)
ax_time.set_ylabel("fit time (s), median of 3")
speedup = medians[0] / medians[1]
ax_time.set_title(
    f"Fit time on {X_train.shape[0]:,} MNIST images\n"
    f"scikit-learn / sklearn_ovr_logit: {speedup:.1f}x"
)

bars = ax_accuracy.bar(tick_labels, [accuracy[name] for name in names], color=colors)
ax_accuracy.bar_label(bars, fmt="%.4f", label_type="center")
ax_accuracy.set_ylim(0, 1)
ax_accuracy.set_ylabel("test accuracy")
ax_accuracy.set_title("Accuracy on the 10,000 test images\n")
for ax in (ax_time, ax_accuracy):
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(True, axis="y", alpha=0.3)
fig.tight_layout()
print(f"ratio of the median fit times: {speedup:.1f}")
plt.show()
