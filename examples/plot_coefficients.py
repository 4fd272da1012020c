"""
======================
What the model learned
======================

A linear model for images has one coefficient per pixel and class, so its
coefficients can be drawn as images, one per digit. This example shows the ten
coefficient images of a :class:`~sklearn_ovr_logit.OneVsRestClassifier`
fitted to MNIST, and how they change with ``C``, the inverse of the strength
of the L2 penalty.

The models are trained on a random subset of 10,000 of the 60,000 training
images, to keep the example quick, and evaluated on the 10,000 test images.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Load the data
# -------------
#
# The pixels are scaled to [0, 1] and stored as float32, which halves the memory
# and speeds up the matrix products; the model keeps float32 data as it is.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_ovr_logit.datasets import fetch_mnist

X_train, X_test, y_train, y_test = fetch_mnist(
    return_X_y=True, scale=True, dtype="float32"
)
rng = np.random.default_rng(0)
subset = rng.choice(X_train.shape[0], size=10_000, replace=False)
X_train, y_train = X_train[subset], y_train[subset]

# %%
# Ten coefficient images
# ----------------------
#
# The binary model of digit ``k`` scores an image ``x`` with
# ``coef_[k] @ x + intercept_[k]``; the digit with the highest score wins. Drawn
# as a 28 x 28 image, ``coef_[k]`` shows where ink raises the score of ``k``
# (red) and where ink lowers it (blue); white pixels, such as those along the
# border, where nearly every image is blank, have coefficients near zero.
#
# With a strong penalty, ``C=0.001``, the images are smooth enough to read: the
# model of the 0, for example, rewards ink on a ring and penalises ink in its
# middle, where a 0 has none.
from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier

clf = OneVsRestClassifier(BinaryLogisticRegression(C=0.001))
clf.fit(X_train, y_train)
print(f"C=0.001: test accuracy {clf.score(X_test, y_test):.4f}")

coef_images = clf.coef_.reshape(-1, 28, 28)
limit = np.abs(coef_images).max()
fig, axes = plt.subplots(2, 5, figsize=(9, 4.4), layout="constrained")
for digit, ax in enumerate(axes.flat):
    image = ax.imshow(coef_images[digit], cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(f"digit {clf.classes_[digit]}")
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(image, ax=axes, shrink=0.8, label="coefficient")
fig.suptitle("Coefficients of the ten one-vs-rest models (C=0.001)")

# %%
# The effect of ``C``
# -------------------
#
# A small ``C`` penalises large coefficients strongly: each image can only
# afford broad, smooth strokes, close to the average shape of its digit
# against the others. As ``C`` grows, the penalty weakens and the coefficients
# become larger and more speckled: single pixels get their own large weights,
# fitted to the particular training images. We refit the model for ``C`` from
# 1e-4 to 10, with ``max_iter=500`` because the weakest penalties need more
# than the default 100 L-BFGS-B iterations, and draw each image on its own
# colour scale, so that the patterns are visible whatever their size. The
# largest absolute coefficient and the test accuracy are written on the left
# of each row.
C_values = [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]
fits = []
for C in C_values:
    model = OneVsRestClassifier(BinaryLogisticRegression(C=C, max_iter=500))
    model.fit(X_train, y_train)
    fits.append(
        {
            "C": C,
            "coef": model.coef_.reshape(-1, 28, 28),
            "train": model.score(X_train, y_train),
            "test": model.score(X_test, y_test),
        }
    )
    print(
        f"C={C:g}: training accuracy {fits[-1]['train']:.4f}, "
        f"test accuracy {fits[-1]['test']:.4f}, "
        f"largest |coefficient| {np.abs(model.coef_).max():.3f}, "
        f"at most {max(e.n_iter_ for e in model.estimators_)} iterations"
    )

fig, axes = plt.subplots(
    len(C_values), 10, figsize=(10, 1.15 * len(C_values) + 0.6), layout="constrained"
)
for row, fit in zip(axes, fits, strict=True):
    for digit, ax in enumerate(row):
        image = fit["coef"][digit]
        scale = np.abs(image).max()
        ax.imshow(image, cmap="RdBu_r", vmin=-scale, vmax=scale)
        ax.set_xticks([])
        ax.set_yticks([])
        if fit is fits[0]:
            ax.set_title(f"digit {digit}")
    row[0].set_ylabel(
        f"C={fit['C']:g}\nmax |w|={np.abs(fit['coef']).max():.2g}\n"
        f"test {fit['test']:.3f}",
        rotation=0,
        ha="right",
        va="center",
        fontsize=9,
    )
fig.suptitle("Coefficient images from strong (top) to weak (bottom) regularisation")

# %%
# Accuracy against ``C``
# ----------------------
#
# The training accuracy rises with ``C``, since a weaker penalty lets the model
# fit the training images more closely. Compare it with the test accuracy in
# the plot; a gap that widens as ``C`` grows is the overfitting that the speckled
# images above show. :ref:`sphx_glr_auto_examples_plot_grid_search.py` chooses
# ``C`` by cross-validation instead of looking at the test set.
fig, ax = plt.subplots(figsize=(6, 4))
ax.semilogx(C_values, [f["train"] for f in fits], "o-", label="training set")
ax.semilogx(C_values, [f["test"] for f in fits], "s-", label="test set")
ax.set_xlabel("C (inverse regularisation strength)")
ax.set_ylabel("accuracy")
ax.set_title("Accuracy of the one-vs-rest model against C")
ax.grid(True, alpha=0.3)
ax.legend()
fig.tight_layout()
plt.show()
