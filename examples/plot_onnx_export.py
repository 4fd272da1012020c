"""
=========================================
Export to ONNX and run with onnxruntime
=========================================

A fitted model can leave Python as an `ONNX <https://onnx.ai>`_ graph and run
wherever onnxruntime runs (C, C#, Java, JavaScript, mobile). skl2onnx writes the
graph; :func:`~sklearn_ovr_logit.onnx.register_onnx_converters` tells it how to
write ours (install with ``pip install "sklearn-ovr-logit[onnx]"``).

Here a scaler and a :class:`~sklearn_ovr_logit.OneVsRestClassifier` are fitted on
3,000 MNIST training images, exported, and the graph's labels and
probabilities on the 10,000 test images are compared with the pipeline's own.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Fit a pipeline
# --------------
import numpy as np
import onnxruntime as ort
import pandas as pd
from skl2onnx import to_onnx
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier
from sklearn_ovr_logit.datasets import fetch_mnist
from sklearn_ovr_logit.onnx import register_onnx_converters

mnist = fetch_mnist(scale=True, dtype="float32")
rng = np.random.default_rng(0)
subset = rng.choice(mnist.data.shape[0], size=3_000, replace=False)
X_train, y_train = mnist.data[subset], mnist.target[subset]
X_test, y_test = mnist.data_test, mnist.target_test

model = make_pipeline(
    StandardScaler(), OneVsRestClassifier(BinaryLogisticRegression(C=0.01))
)
model.fit(X_train, y_train)
print(f"test accuracy: {model.score(X_test, y_test):.4f}")

# %%
# Export
# ------
#
# One call registers the converters, then skl2onnx converts the whole pipeline.
# The sample ``X_train[:1]`` gives the input's type and number of features;
# ``zipmap=False`` returns the probabilities as one matrix rather than a list of
# dictionaries.
register_onnx_converters()
onx = to_onnx(model, X_train[:1], options={"zipmap": False})
print(f"graph: {len(onx.SerializeToString()) / 1024:.0f} KiB,", end=" ")
print("operators:", ", ".join(node.op_type for node in onx.graph.node))

# %%
# Run with onnxruntime and compare
# --------------------------------
#
# The session takes a float32 matrix, as the model was fitted on float32 data.
# The labels are the same; the probabilities agree to about 1e-6, as float32
# arithmetic allows (the estimator computes its probabilities in float64 from
# float32 decision values, the graph stays in float32).
session = ort.InferenceSession(
    onx.SerializeToString(), providers=["CPUExecutionProvider"]
)
labels, proba = session.run(None, {"X": X_test})
expected_labels = model.predict(X_test)
expected_proba = model.predict_proba(X_test)

# %%
# The same model fitted on float64 data exports a float64 graph.
X_train64, X_test64 = X_train.astype(np.float64), X_test.astype(np.float64)
model64 = make_pipeline(
    StandardScaler(), OneVsRestClassifier(BinaryLogisticRegression(C=0.01))
).fit(X_train64, y_train)
session64 = ort.InferenceSession(
    to_onnx(model64, X_train64[:1], options={"zipmap": False}).SerializeToString(),
    providers=["CPUExecutionProvider"],
)
labels64, proba64 = session64.run(None, {"X": X_test64})

pd.DataFrame(
    {
        "input": ["float32", "float64"],
        "labels that differ": [
            int((labels != expected_labels).sum()),
            int((labels64 != model64.predict(X_test64)).sum()),
        ],
        "max |ONNX - predict_proba|": [
            f"{np.abs(proba - expected_proba).max():.1e}",
            f"{np.abs(proba64 - model64.predict_proba(X_test64)).max():.1e}",
        ],
    }
)

# %%
# In production only the ``.onnx`` file and onnxruntime are needed: save it
# with ``open("model.onnx", "wb").write(onx.SerializeToString())`` and load it
# with ``ort.InferenceSession("model.onnx")``.
