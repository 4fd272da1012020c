"""
==================================================
Choosing ``C`` for every class by cross-validation
==================================================

:class:`~sklearn_ovr_logit.OneVsRestLogisticRegressionCV` fits the one-vs-rest
logistic regression at every value of ``C`` on every cross-validation fold,
all classes and folds at once, and keeps what a search shows: the score of
each class's binary problem on each fold's held-out images, at each ``C``,
and the coefficients along the way. This example looks at both on a subset
of MNIST: which ``C`` suits which digit, and how the penalty shrinks the
weights of a few pixels.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Load a subset of MNIST
# ----------------------
#
# 6,000 training images, pixels divided by 255 (a stateless scaling, so it can
# happen before the cross-validation). Three folds, seven values of ``C``.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_ovr_logit import OneVsRestLogisticRegressionCV
from sklearn_ovr_logit.datasets import fetch_mnist

X_train, X_test, y_train, y_test = fetch_mnist(return_X_y=True, scale=True)
rng = np.random.default_rng(0)
subset = rng.choice(X_train.shape[0], size=6_000, replace=False)
X_train, y_train = X_train[subset], y_train[subset]
Cs = np.logspace(-4, 2, 7)

# %%
# One ``C`` per class
# -------------------
#
# With ``C_per_class=True`` each digit's binary problem, that digit against
# the rest, is scored on its own (accuracy of the binary prediction on the
# held-out images) and gets the ``C`` with the best mean score over the
# folds, as ``OneVsRestClassifier(LogisticRegressionCV())`` would choose.
per_class = OneVsRestLogisticRegressionCV(Cs, cv=3, C_per_class=True, max_iter=300)
per_class.fit(X_train, y_train)
for digit, C in zip(per_class.classes_, per_class.C_, strict=True):
    print(f"digit {digit}: C = {C:g}")

# %%
# One ``C`` for all classes, for comparison: the score is now the accuracy of
# the ten-class prediction, as a ``GridSearchCV`` over ``C`` would measure it.
shared = OneVsRestLogisticRegressionCV(Cs, cv=3, max_iter=300)
shared.fit(X_train, y_train)
print(f"one C for all: C = {shared.C_[0]:g}")
print(f"test accuracy, one C per class: {per_class.score(X_test, y_test):.4f}")
print(f"test accuracy, one C for all:   {shared.score(X_test, y_test):.4f}")

# %%
# Scores against ``C``
# --------------------
#
# ``class_scores_`` has shape (classes, folds, Cs). Each line is a digit's
# mean binary accuracy over the three folds, the band its spread over the
# folds, and the dot its chosen ``C``. The binary accuracies sit near 0.9
# even for a useless model (nine images in ten are "the rest"), so the
# differences are small: most digits peak at ``C = 0.1``, a couple at
# ``C = 1``, and the accuracy falls on both sides, faster for the digits
# that look like others (8, 9, 5) than for 0 and 1.
# ``scores_`` of the second search, the ten-class accuracy, is drawn on the
# right with its own chosen ``C``.
fig, (ax_classes, ax_all) = plt.subplots(
    1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [3, 2]}
)
colors = plt.cm.tab10(np.arange(10))
for k, digit in enumerate(per_class.classes_):
    scores = per_class.class_scores_[k]
    mean = scores.mean(axis=0)
    ax_classes.plot(Cs, mean, color=colors[k], label=f"digit {digit}")
    ax_classes.fill_between(
        Cs, scores.min(axis=0), scores.max(axis=0), color=colors[k], alpha=0.15
    )
    best = np.flatnonzero(Cs == per_class.C_[k])[0]
    ax_classes.plot(Cs[best], mean[best], "o", color=colors[k])
ax_classes.set_xscale("log")
ax_classes.set_ylim(0.88, 1.0)
ax_classes.set_xlabel("C")
ax_classes.set_ylabel("binary accuracy on the held-out folds")
ax_classes.set_title("Each digit against the rest")
ax_classes.legend(fontsize=7, ncol=2)
ax_classes.grid(True, alpha=0.3)

mean = shared.scores_.mean(axis=0)
ax_all.errorbar(Cs, mean, yerr=shared.scores_.std(axis=0), marker="o", capsize=4)
best = np.flatnonzero(Cs == shared.C_[0])[0]
ax_all.plot(Cs[best], mean[best], "*", markersize=16, color="black", label="chosen")
ax_all.set_xscale("log")
ax_all.set_xlabel("C")
ax_all.set_ylabel("ten-class accuracy on the held-out folds")
ax_all.set_title("One C for all classes")
ax_all.legend()
ax_all.grid(True, alpha=0.3)
fig.tight_layout()

# %%
# The path of a few coefficients
# ------------------------------
#
# ``coefs_paths_`` has shape (classes, folds, Cs, pixels + intercept): every
# problem the search solved. For the digit 0, here are the pixels with the
# largest weights (positive or negative) at the weakest penalty, averaged
# over the folds, against ``C``. A strong penalty (small ``C``) pulls every
# weight towards zero; as it weakens, the weights grow, the most useful
# pixels first. The folds (thin lines) agree where the weights are small and
# drift apart at large ``C``, where the model starts to fit each fold's own
# images: the drop of the validation score above.
digit = 0
path = per_class.coefs_paths_[digit, :, :, :-1]  # (folds, Cs, pixels)
largest = np.argsort(np.abs(path[:, -1].mean(axis=0)))[-6:]
fig, (ax_path, ax_image) = plt.subplots(
    1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [3, 2]}
)
for color, pixel in zip(plt.cm.tab10(np.arange(6)), largest, strict=True):
    row, column = divmod(pixel, 28)
    label = f"pixel ({row}, {column})"
    ax_path.plot(Cs, path[:, :, pixel].mean(axis=0), color=color, label=label)
    ax_path.plot(Cs, path[:, :, pixel].T, color=color, linewidth=0.5, alpha=0.6)
ax_path.axvline(per_class.C_[digit], color="black", linestyle=":", label="chosen C")
ax_path.set_xscale("log")
ax_path.set_xlabel("C")
ax_path.set_ylabel("coefficient")
ax_path.set_title(f"Digit {digit}: coefficients along the path")
ax_path.legend(fontsize=7)
ax_path.grid(True, alpha=0.3)

# The refitted coefficients of the digit, at its chosen C, as an image; the
# pixels of the left panel are marked.
weights = per_class.coef_[digit].reshape(28, 28)
limit = np.abs(weights).max()
ax_image.imshow(weights, cmap="RdBu_r", vmin=-limit, vmax=limit)
rows, columns = np.divmod(largest, 28)
ax_image.scatter(columns, rows, s=60, facecolors="none", edgecolors="black")
ax_image.set_title(f"Digit {digit} at C = {per_class.C_[digit]:g} (refitted)")
ax_image.set_axis_off()
fig.tight_layout()

# %%
# The whole search, 10 digits x 3 folds x 7 values of ``C`` (210 binary
# problems) and the refit, ran as one lockstep fit: each pass over the
# images evaluated every problem still running, and each problem started
# from its own solution at the previous ``C``. ``n_iter_paths_`` has the
# iterations of each:
print("iterations per C, summed over digits and folds:")
iterations = per_class.n_iter_paths_.sum(axis=(0, 1))
for C, n_iter in zip(Cs, iterations, strict=True):
    print(f"  C = {C:g}: {n_iter}")
plt.show()
