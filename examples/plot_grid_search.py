"""
================================================
Choosing the scaler and ``C`` with a grid search
================================================

:class:`~sklearn_ovr_logit.OneVsRestClassifier` is a scikit-learn estimator, so
it fits in a :class:`~sklearn.pipeline.Pipeline` and its parameters, including
those of its base estimator, can be tuned with
:class:`~sklearn.model_selection.GridSearchCV`. This example searches, on
MNIST, for the best way to scale the pixels and the best ``C`` (the inverse of
the L2 penalty's strength), and draws the validation curve: the
cross-validated accuracy against ``C``, with error bars.

A grid search fits one model per candidate and fold, so, to keep the example
quick, it runs on a random subset of 5,000 of the 60,000 training images. The
chosen model is then evaluated on the 10,000 test images.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Load a subset of the data
# -------------------------
#
# The raw grey levels (0 to 255, as float32) go into the pipeline: scaling them
# is the pipeline's first step, which is fitted on the training folds only at
# each step of the cross-validation.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_ovr_logit.datasets import fetch_mnist

X_train, X_test, y_train, y_test = fetch_mnist(return_X_y=True, dtype="float32")
rng = np.random.default_rng(0)
subset = rng.choice(X_train.shape[0], size=5_000, replace=False)
X_train, y_train = X_train[subset], y_train[subset]

# %%
# The pipeline and the grid
# -------------------------
#
# Two scalers compete:
#
# - :class:`~sklearn.preprocessing.StandardScaler` gives each pixel mean 0 and
#   variance 1 over the training images;
# - :class:`~sklearn.preprocessing.MinMaxScaler` maps each pixel's range to
#   [0, 1].
#
# In a pipeline, the parameters of a step are named ``<step>__<parameter>``,
# and those of the one-vs-rest model's base estimator
# ``ovr__estimator__<parameter>``. A step itself is a parameter too, so the
# grid can swap the scaler. ``max_iter=300`` gives the weakest penalties
# enough iterations to converge.
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier

pipeline = Pipeline(
    [
        ("scaler", StandardScaler()),
        ("ovr", OneVsRestClassifier(BinaryLogisticRegression(max_iter=300))),
    ]
)
C_values = np.logspace(-4, 0, 5)
param_grid = {
    "scaler": [StandardScaler(), MinMaxScaler()],
    "ovr__estimator__C": C_values,
}
search = GridSearchCV(pipeline, param_grid, cv=5, return_train_score=True)
search.fit(X_train, y_train)

print("best parameters:", search.best_params_)
print(f"best cross-validated accuracy: {search.best_score_:.4f}")

# %%
# ``search.cv_results_`` holds, for each candidate, the accuracy on each of the
# five validation folds, their mean and standard deviation, and the same on
# the training folds. A :class:`pandas.DataFrame` shows them as a table:
import pandas as pd

results = pd.DataFrame(search.cv_results_)
results["scaler"] = results["param_scaler"].map(lambda s: type(s).__name__)
results["C"] = results["param_ovr__estimator__C"].astype(float)
columns = ["scaler", "C", "mean_test_score", "std_test_score", "mean_train_score"]
print(results[columns].sort_values(["scaler", "C"]).round(4).to_string(index=False))

# %%
# The validation curve
# --------------------
#
# Solid lines are the mean accuracy on the validation folds, with error bars of
# one standard deviation over the five folds; dashed lines are the accuracy on
# the training folds. With a small ``C``, the penalty is so strong that the
# model underfits and both accuracies are low; as ``C`` grows the training
# accuracy keeps rising, while the validation accuracy levels off and then
# drops: the model starts to fit the training images rather than the digits.
# The star marks the best candidate. Where two candidates' error bars overlap,
# the difference between them is within the variation from one fold to the
# next.
fig, (ax_score, ax_time) = plt.subplots(
    1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [3, 2]}
)
for (name, group), color in zip(
    results.groupby("scaler"), ["tab:blue", "tab:orange"], strict=True
):
    group = group.sort_values("C")
    ax_score.errorbar(
        group["C"],
        group["mean_test_score"],
        yerr=group["std_test_score"],
        color=color,
        marker="o",
        capsize=4,
        label=f"{name}, validation",
    )
    ax_score.plot(
        group["C"],
        group["mean_train_score"],
        color=color,
        linestyle="--",
        label=f"{name}, training",
    )
    ax_time.errorbar(
        group["C"],
        group["mean_fit_time"],
        yerr=group["std_fit_time"],
        color=color,
        marker="o",
        capsize=4,
        label=name,
    )
best = search.best_index_
ax_score.plot(
    results["C"][best],
    results["mean_test_score"][best],
    marker="*",
    markersize=18,
    color="black",
    linestyle="none",
    label="best candidate",
)
ax_score.set_xscale("log")
ax_score.set_xlabel("C (inverse regularisation strength)")
ax_score.set_ylabel("accuracy")
ax_score.set_title("Validation curve (5-fold cross-validation)")
ax_score.grid(True, alpha=0.3)
ax_score.legend(fontsize=8)

ax_time.set_xscale("log")
ax_time.set_xlabel("C (inverse regularisation strength)")
ax_time.set_ylabel("mean fit time per fold (s)")
ax_time.set_title("Fit time of the pipeline")
ax_time.grid(True, alpha=0.3)
ax_time.legend(fontsize=8)
fig.tight_layout()

# %%
# The right panel shows the other side of ``C``: a weaker penalty makes the
# L-BFGS-B problems harder, and the fits take longer.
#
# Evaluate the chosen model
# -------------------------
#
# ``GridSearchCV`` refits the best candidate on the whole training subset;
# the test images, which took no part in the choice, give an unbiased
# estimate of its accuracy.
print(f"test accuracy of the chosen pipeline: {search.score(X_test, y_test):.4f}")
plt.show()
