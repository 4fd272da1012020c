"""
============================================
Quick start: one-vs-rest logistic regression
============================================

This example fits :class:`~sklearn_ovr_logit.OneVsRestClassifier` to the MNIST
handwritten digits: one binary logistic regression per digit, each telling its
digit apart from the nine others. We measure the accuracy on the test set, look
at which digits the model confuses with a confusion matrix, show the test
images it gets wrong with the most confidence, and, digit by digit, those it
is surest and least sure of.

To keep the example quick, the model is trained on a random subset of 20,000 of
the 60,000 training images; the test set is the full 10,000 images.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Load the digits
# ---------------
#
# :func:`~sklearn_ovr_logit.datasets.fetch_mnist` returns the canonical split:
# 60,000 training and 10,000 test images of 28 x 28 pixels, flattened to rows of
# 784 features. ``scale=True`` divides the grey levels by 255 so that the
# pixels lie in [0, 1], which is what a logistic regression fitted by L-BFGS
# wants (see :ref:`sphx_glr_auto_examples_plot_convergence.py`).
import matplotlib.pyplot as plt
import numpy as np

from sklearn_ovr_logit.datasets import fetch_mnist

mnist = fetch_mnist(scale=True)
print("training images:", mnist.data.shape, "test images:", mnist.data_test.shape)

rng = np.random.default_rng(0)
subset = rng.choice(mnist.data.shape[0], size=20_000, replace=False)
X_train, y_train = mnist.data[subset], mnist.target[subset]
X_test, y_test = mnist.data_test, mnist.target_test

# %%
# A few of the training images, with their labels:
fig, axes = plt.subplots(2, 8, figsize=(8, 2.6))
for ax, image, label in zip(axes.flat, mnist.images[subset], y_train, strict=False):
    ax.imshow(image, cmap="gray_r")
    ax.set_title(f"{label}")
    ax.set_axis_off()
fig.suptitle("MNIST training images and their labels")
fig.tight_layout()

# %%
# Fit the model
# -------------
#
# :class:`~sklearn_ovr_logit.OneVsRestClassifier` fits a copy of its base
# estimator per class, here a :class:`~sklearn_ovr_logit.BinaryLogisticRegression`.
# Its ``C`` is the inverse of the strength of the L2 penalty; ``C=0.1``, a
# stronger penalty than the default ``C=1``, lets L-BFGS-B converge in fewer
# iterations on these pixels. (:ref:`sphx_glr_auto_examples_plot_grid_search.py`
# chooses ``C`` by cross-validation.) The ten binary problems are solved
# together, so that each pass over the data serves all of them.
from time import perf_counter

from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier

clf = OneVsRestClassifier(BinaryLogisticRegression(C=0.1))
start = perf_counter()
clf.fit(X_train, y_train)
print(f"fit in {perf_counter() - start:.1f} s")
print("L-BFGS-B iterations per class:", [e.n_iter_ for e in clf.estimators_])

# %%
# ``score`` is the accuracy, the fraction of correctly classified images:
train_accuracy = clf.score(X_train, y_train)
test_accuracy = clf.score(X_test, y_test)
print(f"training accuracy: {train_accuracy:.4f}")
print(f"test accuracy:     {test_accuracy:.4f}")

# %%
# Which digits are confused?
# --------------------------
#
# The confusion matrix counts the test images of each true digit (rows) by the
# digit the model predicted (columns). The diagonal holds the correct
# predictions; a large count off the diagonal is a pair of digits that the
# linear model struggles to tell apart.
from sklearn.metrics import ConfusionMatrixDisplay

y_pred = clf.predict(X_test)
fig, ax = plt.subplots(figsize=(7, 6))
ConfusionMatrixDisplay.from_predictions(
    y_test, y_pred, ax=ax, cmap="Blues", colorbar=False
)
ax.set_title(f"MNIST test set, accuracy {test_accuracy:.3f}")
fig.tight_layout()

# %%
# The errors by true digit, as a fraction of that digit's test images:
errors = y_pred != y_test
error_rate = [errors[y_test == digit].mean() for digit in clf.classes_]
for digit, rate in zip(clf.classes_, error_rate, strict=True):
    print(f"digit {digit}: {rate:.1%} misclassified")

# %%
# The most confident mistakes
# ---------------------------
#
# ``predict_proba`` gives, for each image, the probability of each digit (the
# ten one-vs-rest probabilities normalised to sum to one). Below are the
# misclassified test images for which the model gave its (wrong) prediction
# the highest probability. Some are hard to read even for a person; others
# are clear to us, and yet the linear model is sure of the wrong digit.
proba = clf.predict_proba(X_test)
confidence = proba.max(axis=1)
wrong = np.flatnonzero(errors)
most_confident = wrong[np.argsort(confidence[wrong])[::-1][:18]]
print(f"{wrong.size} misclassified test images out of {y_test.size}")

fig, axes = plt.subplots(3, 6, figsize=(8, 5.2))
for ax, index in zip(axes.flat, most_confident, strict=True):
    ax.imshow(mnist.images_test[index], cmap="gray_r")
    ax.set_title(
        f"true {y_test[index]}, pred {y_pred[index]}\np = {confidence[index]:.2f}",
        fontsize=9,
    )
    ax.set_axis_off()
fig.suptitle("Misclassified test digits, most confident first")
fig.tight_layout()

# %%
# Digit by digit: sure, unsure and wrong
# --------------------------------------
#
# For each digit (a row), the three test images of that digit that the model
# classifies correctly with the highest probability, the three it still
# classifies correctly but with the lowest, and the three it gets wrong with
# the highest probability, each captioned with the probability of the digit
# predicted. The confident correct ones are the textbook shapes; the unsure
# ones are thin, slanted or unusual strokes, close to the point where another
# digit's model would win. The ``train`` command of the command line
# (:ref:`cli`) writes this figure as ``correctly_classified.png``, beside
# ``misclassified.png``.
n = 3
groups = {
    "correct, most confident": "darkgreen",
    "correct, least confident": "darkgreen",
    "wrong, most confident": "firebrick",
}
# n columns per group, and a narrow empty column between groups.
ratios = ([1] * n + [0.3]) * len(groups)
fig, axes = plt.subplots(
    10, len(ratios) - 1, figsize=(8.2, 12.6), width_ratios=ratios[:-1]
)
for ax in axes.flat:
    ax.set_axis_off()
for digit, row in zip(clf.classes_, axes, strict=True):
    mine = y_test == digit
    right = np.flatnonzero(mine & ~errors)
    right = right[np.argsort(-confidence[right], kind="stable")]
    wrong = np.flatnonzero(mine & errors)
    wrong = wrong[np.argsort(-confidence[wrong], kind="stable")]
    chosen = [right[:n], right[n:][::-1][:n], wrong[:n]]
    for group, (indices, color) in enumerate(zip(chosen, groups.values(), strict=True)):
        for ax, index in zip(row[group * (n + 1) :], indices, strict=False):
            ax.imshow(mnist.images_test[index], cmap="gray_r")
            p = confidence[index]
            caption = ">0.999" if p > 0.999 else f"{p:.3f}"
            if errors[index]:
                caption = f"as {y_pred[index]}: {caption}"
            ax.set_title(caption, fontsize=8, color=color, y=-0.32)
    row[0].text(-0.5, 0.5, str(digit), transform=row[0].transAxes, fontsize=14)
for group, (heading, color) in enumerate(groups.items()):
    # Above the middle image of the group's first row (whose title is taken).
    middle = axes[0, group * (n + 1) + n // 2]
    middle.text(0.5, 1.2, heading, color=color, transform=middle.transAxes, ha="center")
fig.suptitle("Test digits by true digit, with the probability of the digit predicted")
fig.subplots_adjust(left=0.06, right=0.99, top=0.92, bottom=0.02, hspace=0.45)
plt.show()
