"""
==========================================
Larger than memory: fitting on dask arrays
==========================================

When ``X`` is a :mod:`dask.array` chunked by rows,
:class:`~sklearn_ovr_logit.OneVsRestClassifier` and
:class:`~sklearn_ovr_logit.BinaryLogisticRegression` fit it where its chunks
are: on the workers of a dask cluster. ``X`` is never gathered. Each round of
the fit sends the classes' coefficients to the workers, each worker evaluates
them on the chunks it holds, and only the summed losses and gradients come
back to this process, where the L-BFGS-B runs are. The model is the same as
the one fitted in memory.

This example starts a small cluster of two workers, fits MNIST digits on it,
checks that the model is the in-memory one, and predicts lazily, chunk by
chunk. See :ref:`larger_than_memory` for what it costs and what can go wrong.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# A cluster
# ---------
#
# Two workers of one thread each. They run in this process here, so that the
# example starts in a second and runs as a script; on a real cluster they are
# processes on other machines (``Client("tcp://scheduler:8786")``), and
# nothing below changes. Worker processes limit numpy's BLAS to one thread,
# since the cluster already runs one task per thread; workers that are
# threads of this process need that limit set here.
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster, wait
from threadpoolctl import threadpool_limits

threadpool_limits(limits=1, user_api="blas")
cluster = LocalCluster(
    n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
)
client = Client(cluster)

# %%
# The data, read by the workers
# ------------------------------
#
# Data too large for one machine is read by the workers themselves
# (``da.from_zarr``, ``da.from_npy_stack``, ...). Here one worker loads MNIST
# and the chunks are cut from it there: 6,000 training images in chunks of
# 750 rows, each with all 784 pixels. ``persist`` keeps them on the workers.
import dask

from sklearn_ovr_logit.datasets import fetch_mnist

n_train, rows = 6_000, 750
mnist = dask.delayed(fetch_mnist)(return_X_y=True, scale=True)
X = da.concatenate(
    [
        da.from_delayed(mnist[0][start : start + rows], (rows, 784), np.float64)
        for start in range(0, n_train, rows)
    ]
).persist()
y = da.from_delayed(mnist[2][:n_train], (n_train,), np.uint8).persist()
wait([X, y])  # persist returns at once: wait for the chunks
X

# %%
# Fit on the cluster
# ------------------
#
# The same estimator and the same call as in memory. The workers' counters of
# bytes sent show what travelled during the fit.
import time

from sklearn_ovr_logit import OneVsRestClassifier


def bytes_sent(dask_worker):
    return dask_worker.transfer_outgoing_bytes_total


sent_before = client.run(bytes_sent)
start = time.perf_counter()
model = OneVsRestClassifier().fit(X, y)
print(f"fitted on the cluster in {time.perf_counter() - start:.1f} s")
sent = {w: client.run(bytes_sent)[w] - sent_before[w] for w in sent_before}

# The same fit in memory, for comparison.
X_train, X_test, y_train, y_test = fetch_mnist(return_X_y=True, scale=True)
in_memory = OneVsRestClassifier().fit(X_train[:n_train], y_train[:n_train])
difference = np.abs(model.coef_ - in_memory.coef_).max()
print(f"largest difference from the in-memory coefficients: {difference:.1e}")
print(f"iterations: {[e.n_iter_ for e in model.estimators_]}")

# %%
# At the default ``tol=1e-4`` both stop within rounding of each other; at
# ``tol=1e-8`` the coefficients agree to about ``1e-10`` relative: each class
# follows the same iterates, only the order of the floating-point sums
# differs.
#
# Where the data was
# ------------------
#
# Each worker holds its share of ``X``. What the workers sent during the fit,
# to each other and to this process, is what the rounds exchange: each
# round, the ten classes' coefficients go to the workers and their sums of
# losses and gradients come back, ``10 x 785`` numbers each way. That grows
# with the rounds, the classes and the features, never with the samples: on
# these 6,000 images it is a fair fraction of ``X``, on 6 million it would be
# a thousandth.
import matplotlib.pyplot as plt


def held_bytes(dask_worker, name=X.name):
    return sum(
        value.nbytes
        for key, value in dask_worker.data.items()
        if isinstance(key, tuple) and key[0] == name
    )


held = client.run(held_bytes)
workers = sorted(held)
fig, ax = plt.subplots(figsize=(6, 2.5))
positions = np.arange(len(workers))
ax.barh(positions + 0.2, [held[w] / 1e6 for w in workers], 0.4, label="X held")
ax.barh(positions - 0.2, [sent[w] / 1e6 for w in workers], 0.4, label="sent")
ax.set_yticks(positions, [f"worker {i}" for i in positions])
ax.set_xlabel("MB")
ax.legend(loc="lower right")
ax.set_title(f"{len(model.estimators_)} classes, {n_train} samples")
fig.tight_layout()

# %%
# Lazy predictions
# ----------------
#
# On a dask array the prediction methods return dask arrays at once: nothing
# is computed until asked, and then each chunk is predicted by the worker that
# holds it. ``score`` computes the accuracy there and returns one number.
X_new = da.concatenate(
    [
        da.from_delayed(mnist[1][start : start + 2_500], (2_500, 784), np.float64)
        for start in range(0, 10_000, 2_500)
    ]
)
proba = model.predict_proba(X_new)
proba

# %%
predicted = model.predict(X_new)
print(predicted[:10].compute(), y_test[:10])
print(f"test accuracy: {model.score(X_new, y_test):.4f}")

# %%
client.close()
cluster.close()
