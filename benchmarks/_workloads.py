"""Synthetic workloads shaped like what users bring past MNIST, made without downloads.

Each generator is deterministic (a fixed seed) and returns ``X_train, X_test,
y_train, y_test``. The classes overlap, so that no linear model separates them
and the test accuracy stays well below 1.

- :func:`embeddings`: a "linear probe" over image embeddings: dense float32
  rows on a sphere, one mean direction per class plus noise, many
  classes (1,000 by default) and a few hundred dimensions.
- :func:`sparse_text`: bag-of-words documents with TF-IDF-like, L2-normalised
  CSR rows: a Zipf-distributed vocabulary shared by all classes, plus a topic
  vocabulary per class, about 120 distinct words per document.
"""

import numpy as np
import scipy.sparse as sp


def embeddings(
    n_samples=20_000,
    n_features=256,
    n_classes=1_000,
    n_test=5_000,
    noise=4.0,
    dtype=np.float32,
    random_state=0,
):
    """Embeddings of norm ``sqrt(n_features)`` around one direction per class.

    The norm makes each feature about unit variance, as after standardising.

    Returns
    -------
    X_train, X_test : ndarray of shape (n, n_features), ``dtype``
    y_train, y_test : ndarray of shape (n,), int
    """
    rng = np.random.default_rng(random_state)
    centres = rng.normal(size=(n_classes, n_features))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    n_total = n_samples + n_test
    # Every class is present in the training set, then uniform at random.
    y = np.concatenate(
        [np.arange(n_classes), rng.integers(0, n_classes, n_total - n_classes)]
    )
    X = np.empty((n_total, n_features), dtype=dtype)
    for start in range(0, n_total, 50_000):
        stop = min(start + 50_000, n_total)
        block = centres[y[start:stop]] + noise / np.sqrt(n_features) * rng.normal(
            size=(stop - start, n_features)
        )
        block *= np.sqrt(n_features) / np.linalg.norm(block, axis=1, keepdims=True)
        X[start:stop] = block
    order = rng.permutation(n_total)
    train, test = order[:n_samples], order[n_samples:]
    # Keep every class in the training set.
    return X[train], X[test], y[train], y[test]


def sparse_text(
    n_samples=11_314,
    n_features=100_000,
    n_classes=20,
    n_test=3_000,
    words_per_document=120,
    topic_share=0.03,
    random_state=0,
):
    """TF-IDF-like CSR documents with a shared vocabulary and one topic per class.

    Returns
    -------
    X_train, X_test : csr_matrix of shape (n, n_features), float64
    y_train, y_test : ndarray of shape (n,), int
    """
    rng = np.random.default_rng(random_state)
    n_total = n_samples + n_test
    y = rng.integers(0, n_classes, n_total)
    # Zipf-like frequencies over the whole vocabulary.
    ranks = np.arange(1, n_features + 1)
    common = 1.0 / ranks**1.1
    common /= common.sum()
    common_cdf = np.cumsum(common)
    # Each class prefers its own topic words, a random tenth of the vocabulary.
    topic_words = [
        rng.choice(n_features, size=n_features // 10, replace=False)
        for _ in range(n_classes)
    ]
    lengths = rng.poisson(words_per_document * 1.4, size=n_total) + 5
    rows, cols = [], []
    for doc in range(n_total):
        n_words = lengths[doc]
        from_topic = rng.random(n_words) < topic_share
        words = np.searchsorted(common_cdf, rng.random(n_words))
        topic = topic_words[y[doc]]
        # Topic words are Zipf-distributed within the topic too.
        topic_ranks = np.searchsorted(
            common_cdf[: topic.shape[0]] / common_cdf[topic.shape[0] - 1],
            rng.random(int(from_topic.sum())),
        )
        words[from_topic] = topic[np.minimum(topic_ranks, topic.shape[0] - 1)]
        rows.append(np.full(n_words, doc))
        cols.append(np.minimum(words, n_features - 1))
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    counts = sp.csr_matrix(
        (np.ones(rows.shape[0]), (rows, cols)), shape=(n_total, n_features)
    )
    counts.sum_duplicates()
    document_frequency = np.bincount(counts.indices, minlength=n_features)
    idf = np.log((1 + n_total) / (1 + document_frequency)) + 1
    X = counts.multiply(idf[np.newaxis, :]).tocsr()
    X.data = np.log1p(X.data)
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1))).ravel()
    X = sp.diags(1 / np.maximum(norms, 1e-12)) @ X
    X = X.tocsr()
    X.sort_indices()
    return X[:n_samples], X[n_samples:], y[:n_samples], y[n_samples:]
