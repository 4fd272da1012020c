"""
==============================================
Is it a 5? Precision, recall and the threshold
==============================================

:class:`~sklearn_ovr_logit.BinaryLogisticRegression` is the building block of
the one-vs-rest model, and a classifier in its own right. This example asks it
a single question about MNIST digits, "is it a 5?", and looks at the
precision-recall curve: how many of the images it flags are really 5s
(precision) against how many of the 5s it finds (recall), as the decision
threshold moves. The default threshold is one point on that curve; we choose
another one, on validation data, for a different goal.

To keep the example quick, the model is trained on a random subset of 20,000
training images; 10,000 other training images serve to choose the threshold,
and the 10,000 test images to evaluate it.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# A binary problem
# ----------------
#
# The target is ``True`` for a 5 and ``False`` for any other digit. About one
# image in ten is a 5, so the classes are unbalanced, and accuracy alone says
# little: always answering "no" would already be right about nine times in
# ten.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_ovr_logit.datasets import fetch_mnist

mnist = fetch_mnist(scale=True, dtype="float32")
rng = np.random.default_rng(0)
order = rng.permutation(mnist.data.shape[0])
train, validation = order[:20_000], order[20_000:30_000]
X_train, y_train = mnist.data[train], mnist.target[train] == 5
X_val, y_val = mnist.data[validation], mnist.target[validation] == 5
X_test, y_test = mnist.data_test, mnist.target_test == 5
print(f"fraction of 5s in the training subset: {y_train.mean():.3f}")
print(f"accuracy of always answering 'no' on the test set: {1 - y_test.mean():.3f}")

# %%
# Fit the model with its defaults (``C=1``):
from sklearn_ovr_logit import BinaryLogisticRegression

clf = BinaryLogisticRegression().fit(X_train, y_train)
print("classes:", clf.classes_, "- iterations:", clf.n_iter_)
print(f"test accuracy: {clf.score(X_test, y_test):.4f}")

# %%
# The decision threshold
# ----------------------
#
# ``decision_function`` returns a score per image, ``X @ coef_[0] +
# intercept_[0]``; ``predict_proba`` turns it into the probability of a 5 with
# the logistic function, and ``predict`` answers "5" when the score is above 0,
# that is when the probability is above 0.5. Any other threshold on the score
# gives another classifier, with another precision and recall.
#
# Suppose we want to find at least 90% of the 5s. On the validation images,
# :func:`~sklearn.metrics.precision_recall_curve` gives the precision and
# recall of every threshold; we keep the highest threshold whose recall is at
# least 0.9, the one that flags the fewest images while reaching that recall.
from sklearn.metrics import precision_recall_curve

precision, recall, thresholds = precision_recall_curve(
    y_val, clf.decision_function(X_val)
)
# recall[i] is that of thresholds[i]; recall decreases as the threshold rises.
candidates = np.flatnonzero(recall[:-1] >= 0.9)
chosen = thresholds[candidates[-1]]
print(f"chosen threshold on the score: {chosen:.3f}")
print(f"the same as a probability of a 5 above {1 / (1 + np.exp(-chosen)):.3f}")

# %%
# :class:`~sklearn.model_selection.FixedThresholdClassifier` wraps the model
# with the new threshold, so that ``predict`` (and anything built on it, such
# as a pipeline or a scorer) uses it. :class:`~sklearn.frozen.FrozenEstimator`
# tells it that the model is already fitted, so that ``fit`` does not fit it
# again.
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import precision_score, recall_score
from sklearn.model_selection import FixedThresholdClassifier

tuned = FixedThresholdClassifier(
    FrozenEstimator(clf), threshold=chosen, response_method="decision_function"
).fit(X_train, y_train)

test_scores = clf.decision_function(X_test)
operating_points = []
for name, model, threshold in [
    ("default threshold (0)", clf, 0.0),
    (f"chosen threshold ({chosen:.2f})", tuned, chosen),
]:
    y_pred = model.predict(X_test)
    point = {
        "name": name,
        "threshold": threshold,
        "precision": precision_score(y_test, y_pred),
        "recall": recall_score(y_test, y_pred),
    }
    operating_points.append(point)
    print(
        f"{name}: test precision {point['precision']:.3f}, "
        f"test recall {point['recall']:.3f}"
    )

# %%
# The threshold was chosen on the validation images, so on the test images
# the recall is close to the target of 0.9 rather than guaranteed to reach it.
# The lower threshold bought that recall with precision: more of the flagged
# images are other digits.
# %%
# The precision-recall curve
# --------------------------
#
# On the left, the curve on the test images, traced by moving the threshold,
# with the two thresholds marked. On the right, precision and recall against
# the threshold itself: lowering the threshold flags more images, finds more
# 5s (recall rises) and lets in more other digits (precision falls).
from sklearn.metrics import PrecisionRecallDisplay

fig, (ax_curve, ax_threshold) = plt.subplots(1, 2, figsize=(11, 4.8))
PrecisionRecallDisplay.from_predictions(
    y_test,
    test_scores,
    ax=ax_curve,
    name="BinaryLogisticRegression",
    plot_chance_level=True,
)
for point, marker in zip(operating_points, ["o", "s"], strict=True):
    ax_curve.plot(
        point["recall"],
        point["precision"],
        marker=marker,
        markersize=10,
        linestyle="none",
        label=point["name"],
    )
ax_curve.set_xlabel("recall (fraction of the 5s found)")
ax_curve.set_ylabel("precision (fraction of the flagged images that are 5s)")
ax_curve.set_title("Is it a 5? Precision-recall curve (test set)")
ax_curve.legend(loc="lower left")

precision_test, recall_test, thresholds_test = precision_recall_curve(
    y_test, test_scores
)
ax_threshold.plot(thresholds_test, precision_test[:-1], label="precision")
ax_threshold.plot(thresholds_test, recall_test[:-1], label="recall")
for point, style in zip(operating_points, ["--", ":"], strict=True):
    ax_threshold.axvline(
        point["threshold"], color="black", linestyle=style, label=point["name"]
    )
ax_threshold.set_xlim(-10, 10)
ax_threshold.set_xlabel("threshold on decision_function")
ax_threshold.set_ylabel("precision / recall")
ax_threshold.set_title("Precision and recall against the threshold (test set)")
ax_threshold.grid(True, alpha=0.3)
ax_threshold.legend(loc="lower left")
fig.tight_layout()

# %%
# The images behind the numbers
# -----------------------------
#
# The other digits that score highest as a 5 (false alarms at both
# thresholds), and the 5s that score lowest (missed at both):
not_five = np.flatnonzero(~y_test)
five = np.flatnonzero(y_test)
false_alarms = not_five[np.argsort(test_scores[not_five])[::-1][:8]]
missed = five[np.argsort(test_scores[five])[:8]]

fig, axes = plt.subplots(2, 8, figsize=(10, 3.8))
for row, indices in [(0, false_alarms), (1, missed)]:
    for ax, index in zip(axes[row], indices, strict=True):
        ax.imshow(mnist.images_test[index], cmap="gray_r")
        ax.set_title(
            f"a {mnist.target_test[index]}\nscore {test_scores[index]:.1f}",
            fontsize=9,
        )
        ax.set_axis_off()
fig.suptitle(
    "Top: the other digits that score highest. Bottom: the 5s that score lowest"
)
fig.tight_layout()
plt.show()
