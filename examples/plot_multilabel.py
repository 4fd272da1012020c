"""
============================================
Multilabel one-vs-rest: properties of digits
============================================

In a multilabel problem each sample can have any number of labels at once,
and the target is an indicator matrix with one 0/1 column per label.
:class:`~sklearn_ovr_logit.OneVsRestClassifier` accepts such a matrix: it fits
one binary logistic regression per column, and ``predict_proba`` returns the
probability of each label, independently of the others.

Here the labels are arithmetic properties of MNIST digits: is the digit even,
is it 5 or more, is it prime, is it a multiple of 3? A 6, for example, is even,
5 or more, and a multiple of 3, but not prime. The model only sees the pixels.
To keep the example quick, it is trained on a random subset of 10,000 of the
60,000 training images and evaluated on the 10,000 test images.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# The labels
# ----------
import matplotlib.pyplot as plt
import numpy as np

from sklearn_ovr_logit.datasets import fetch_mnist

mnist = fetch_mnist(scale=True, dtype="float32")
rng = np.random.default_rng(0)
subset = rng.choice(mnist.data.shape[0], size=10_000, replace=False)
X_train, digits_train = mnist.data[subset], mnist.target[subset]
X_test, digits_test = mnist.data_test, mnist.target_test

label_names = ["even", "5 or more", "prime", "multiple of 3"]


def properties(digits):
    """The indicator matrix of the four properties, one row per digit."""
    return np.column_stack(
        [
            digits % 2 == 0,
            digits >= 5,
            np.isin(digits, [2, 3, 5, 7]),
            digits % 3 == 0,
        ]
    ).astype(int)


Y_train, Y_test = properties(digits_train), properties(digits_test)
print("labels:", label_names)
for digit in range(10):
    print(f"digit {digit}: {properties(np.array([digit]))[0]}")

# %%
# Fit one binary model per label
# ------------------------------
#
# The indicator matrix goes straight into ``fit``; ``C=0.1`` lets L-BFGS-B
# converge within the default 100 iterations on this subset.
from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier

clf = OneVsRestClassifier(BinaryLogisticRegression(C=0.1))
clf.fit(X_train, Y_train)
print("multilabel:", clf.multilabel_)
print("iterations per label:", [e.n_iter_ for e in clf.estimators_])

Y_pred = clf.predict(X_test)
proba = clf.predict_proba(X_test)
print("predicted indicator matrix:", Y_pred.shape)
print("probabilities of the first test image:", proba[0].round(3))

# %%
# Two common scores of a multilabel model: the fraction of images whose
# labels are *all* right (scikit-learn's ``accuracy_score`` on indicator
# matrices), and the fraction of wrong labels (the Hamming loss).
from sklearn.metrics import accuracy_score, hamming_loss

print(f"all four labels right: {accuracy_score(Y_test, Y_pred):.4f}")
print(f"Hamming loss:          {hamming_loss(Y_test, Y_pred):.4f}")
per_label = (Y_pred == Y_test).mean(axis=0)
for name, value in zip(label_names, per_label, strict=True):
    print(f"accuracy of '{name}': {value:.4f}")

# %%
# Per-label probabilities of a few test digits
# --------------------------------------------
#
# Each bar is the probability of one label; green bars are labels that the
# digit has, grey bars labels that it does not have. A label is predicted when
# its probability is above 0.5 (the dotted line). The probabilities are
# independent: they need not sum to one, and several can be high at once.
shown = rng.choice(X_test.shape[0], size=8, replace=False)
fig, axes = plt.subplots(
    4, 4, figsize=(10, 7.5), gridspec_kw={"width_ratios": [1, 1.8, 1, 1.8]}
)
for k, index in enumerate(shown):
    ax_image, ax_bars = axes[k // 2, 2 * (k % 2)], axes[k // 2, 2 * (k % 2) + 1]
    ax_image.imshow(mnist.images_test[index], cmap="gray_r")
    ax_image.set_title(f"a {digits_test[index]}")
    ax_image.set_axis_off()
    colors = np.where(Y_test[index] == 1, "tab:green", "tab:gray")
    ax_bars.barh(label_names, proba[index], color=colors)
    ax_bars.axvline(0.5, color="black", linestyle=":", linewidth=1)
    ax_bars.set_xlim(0, 1)
    ax_bars.invert_yaxis()
    ax_bars.tick_params(axis="y", labelsize=9)
    if k // 2 == 3:
        ax_bars.set_xlabel("predicted probability")
    else:
        ax_bars.set_xticklabels([])
fig.suptitle("Per-label probabilities (green: the digit has the label)")
fig.tight_layout()

# %%
# What the model learned, digit by digit
# --------------------------------------
#
# Averaging the predicted probabilities over the test images of each digit
# shows how well each property is recognised on each digit. The framed cells
# are those where the digit has the property: a perfect model would put
# probability 1 in them and 0 elsewhere.
mean_proba = np.array([proba[digits_test == d].mean(axis=0) for d in range(10)])
truth = properties(np.arange(10))

fig, ax = plt.subplots(figsize=(6, 6.5))
image = ax.imshow(mean_proba, cmap="viridis", vmin=0, vmax=1, aspect="auto")
for digit in range(10):
    for label in range(len(label_names)):
        value = mean_proba[digit, label]
        ax.text(
            label,
            digit,
            f"{value:.2f}",
            ha="center",
            va="center",
            color="black" if value > 0.5 else "white",
        )
        if truth[digit, label]:
            ax.add_patch(
                plt.Rectangle(
                    (label - 0.48, digit - 0.48),
                    0.96,
                    0.96,
                    fill=False,
                    edgecolor="red",
                    linewidth=2,
                )
            )
ax.set_xticks(range(len(label_names)), label_names)
ax.set_yticks(range(10))
ax.set_xlabel("label")
ax.set_ylabel("true digit")
ax.set_title("Mean predicted probability per digit\n(framed: the digit has the label)")
fig.colorbar(image, ax=ax, label="mean probability")
fig.tight_layout()

# %%
# Labels or digits?
# -----------------
#
# Each label is the union of several digits that look nothing alike ("even"
# is 0, 2, 4, 6 or 8), a hard target for one linear score of the pixels. Here
# the labels are functions of the digit,
# so there is another route: a one-vs-rest model of the ten digits, whose
# predicted digit gives all four labels. Both routes, label by label:
digit_model = OneVsRestClassifier(BinaryLogisticRegression(C=0.1))
digit_model.fit(X_train, digits_train)
Y_via_digit = properties(digit_model.predict(X_test))
per_label_via_digit = (Y_via_digit == Y_test).mean(axis=0)
subset_accuracy = accuracy_score(Y_test, Y_via_digit)
print(f"all four labels right, via the digit: {subset_accuracy:.4f}")

positions = np.arange(len(label_names))
fig, ax = plt.subplots(figsize=(7, 4))
ax.bar(positions - 0.2, per_label, width=0.4, label="one model per label")
ax.bar(
    positions + 0.2,
    per_label_via_digit,
    width=0.4,
    label="labels of the predicted digit",
)
ax.set_xticks(positions, label_names)
ax.set_ylim(0.5, 1)
ax.set_ylabel("test accuracy of the label")
ax.set_title("Per-label accuracy of the two routes")
ax.legend(loc="lower right")
ax.grid(True, axis="y", alpha=0.3)
fig.tight_layout()

# %%
# The second route needs labels that follow from a single class. Labels such as
# the tags of a photo or the topics of a text have no such class behind them,
# and one model per label, as above, is the way to predict them.
plt.show()
