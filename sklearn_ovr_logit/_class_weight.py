"""Class weights keyed on the original labels of a one-vs-rest fit.

scikit-learn 1.7's ``LogisticRegression(multi_class="ovr", class_weight=...)``
weighted its binary problems in two different ways (``_logistic_regression_path``):

- a **dict** is keyed on the original labels: each sample is weighted by the
  weight of its own label, the same in every binary problem, before the labels
  are masked into "this class" and "the rest";
- **"balanced"** is computed after masking, in each binary problem: the rest
  and the class get ``S / (2 * S_rest)`` and ``S / (2 * S_class)``, ``S``
  summing the sample weights.

In both cases the class weights multiply the sample weights, and their product
summed is the ``S`` that scales the L2 penalty, ``1 / (C * S)``.

:func:`ovr_class_weights` turns ``class_weight`` into these weights; the
one-vs-rest estimators call it and hand the result to the fast path or, as
sample weights, to each clone of a base estimator.
"""

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ._binary import _check_class_weight_value


@dataclass(frozen=True)
class OvrWeights:
    """The weights of the binary problems of a one-vs-rest fit.

    Parameters
    ----------
    sample_weight : ndarray of shape (n_samples,), or None
        Weights shared by every problem: the sample weight times the class
        weight of the sample's label. None means all ones.
    class_weights : ndarray of shape (n_problems, 2), or None
        Weight of the rest and of the label in each problem, multiplying
        ``sample_weight``. None means ones.
    """

    sample_weight: np.ndarray | None = None
    class_weights: np.ndarray | None = None

    def problem_sample_weight(self, index, targets):
        """The sample weights of one problem, for a base estimator's ``fit``.

        Parameters
        ----------
        index : int
            The problem (a column of the label indicator).
        targets : ndarray of shape (n_samples,)
            Its targets, 0 for the rest and 1 for the label.

        Returns
        -------
        sample_weight : ndarray of shape (n_samples,), or None
        """
        weight = self.sample_weight
        if self.class_weights is not None:
            by_target = self.class_weights[index][np.asarray(targets, dtype=np.intp)]
            weight = by_target if weight is None else weight * by_target
        return weight


def ovr_class_weights(class_weight, Y, classes, *, sample_weight=None, multilabel):
    """Weights of a one-vs-rest fit, as ``multi_class="ovr"`` had them in 1.7.

    Parameters
    ----------
    class_weight : dict, "balanced" or None
        A dict ``{label: weight}`` keyed on the original labels (a label it
        omits weighs 1), or "balanced" for each binary problem balanced on its
        own.
    Y : {ndarray, sparse matrix} of shape (n_samples, n_problems)
        The 0/1 targets of the binary problems, as
        :class:`~sklearn.preprocessing.LabelBinarizer` makes them: one column
        (the second class) for two classes, else one column per class.
    classes : ndarray of shape (n_classes,)
        The sorted labels.
    sample_weight : ndarray of shape (n_samples,), default=None
        Validated sample weights; None means all ones.
    multilabel : bool
        Whether ``Y`` is a multilabel target, where a dict cannot apply.

    Returns
    -------
    weights : OvrWeights
        A dict gives shared ``sample_weight``; "balanced" gives per-problem
        ``class_weights``; None gives ``sample_weight`` unchanged.

    Notes
    -----
    scikit-learn 1.7's ``LogisticRegressionCV`` computed "balanced" differently:
    once, on the whole ``y``, over the original labels (``S / (K * S_k)``
    for each of the ``K`` labels), then used it as a dict in every fold. Get
    that dict from :func:`balanced_label_weights`.
    """
    if class_weight is None:
        return OvrWeights(sample_weight=sample_weight)
    Y = sparse.csr_array(Y)
    if isinstance(class_weight, str):
        names = classes[1:] if Y.shape[1] == 1 and len(classes) == 2 else classes
        return OvrWeights(
            sample_weight=sample_weight,
            class_weights=_balanced_pairs(Y, sample_weight, names),
        )
    if multilabel:
        raise ValueError(
            "class_weight as a dict weights each sample by the weight of its "
            "label, but with a multilabel target a sample can have any number "
            "of labels. Pass sample_weight instead, or give the base estimator "
            "a class_weight, which weights the rest (key 0) and the label "
            "(key 1) of every binary problem."
        )
    weights = label_weights(class_weight, classes)
    codes = label_codes(Y, len(classes))
    by_sample = weights[codes]
    if sample_weight is not None:
        by_sample = sample_weight * by_sample
    return OvrWeights(sample_weight=by_sample)


def label_weights(class_weight, classes):
    """The weight of each label from a dict keyed on the original labels.

    As scikit-learn 1.7's ``compute_class_weight`` looked them up: a label is
    found by equality (so ``"0"`` is not ``0``), an omitted label weighs 1,
    and keys that are no label are allowed only when every label has a
    weight (a dict written for all the classes, used on a subset of them).
    Unlike 1.7, a weight must be a finite, non-negative number.

    Parameters
    ----------
    class_weight : dict
        ``{label: weight}``.
    classes : ndarray of shape (n_classes,)
        The labels.

    Returns
    -------
    weights : ndarray of shape (n_classes,)
    """
    labels = np.asarray(classes).tolist()
    weights = np.ones(len(labels))
    missing = []
    for index, label in enumerate(labels):
        if label in class_weight:
            weights[index] = _check_class_weight_value(label, class_weight[label])
        else:
            missing.append(label)
    if missing and len(labels) - len(missing) != len(class_weight):
        unknown = [key for key in class_weight if key not in set(labels)]
        raise ValueError(
            f"class_weight has keys that are not labels of y: {unknown!r}; the "
            f"labels are {_shown(labels)}. {_type_hint(unknown, labels)}Key "
            "class_weight on the labels of y (a label left out weighs 1), or, if "
            "some labels can be absent from the data (a fold of a search), give "
            "a weight for every label."
        )
    return weights


def balanced_label_weights(y, classes, sample_weight=None):
    """``S / (K * S_k)`` for each of the ``K`` labels: "balanced" over the labels.

    What scikit-learn 1.7's ``LogisticRegressionCV`` made of
    ``class_weight="balanced"`` before fitting any fold, for
    ``multi_class="ovr"`` as well: pass ``dict(zip(classes, weights))`` on to
    :func:`ovr_class_weights` for each fold.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels, each one of ``classes``.
    classes : ndarray of shape (n_classes,)
        The sorted labels.
    sample_weight : ndarray of shape (n_samples,), default=None
        Validated sample weights; None means all ones.

    Returns
    -------
    weights : ndarray of shape (n_classes,)
    """
    codes = np.searchsorted(classes, np.asarray(y))
    sums = np.bincount(codes, weights=sample_weight, minlength=len(classes))
    if np.any(sums <= 0):
        empty = np.asarray(classes)[sums <= 0].tolist()
        raise ValueError(
            f'class_weight="balanced" needs a positive total sample weight for '
            f"every class, and the classes {_shown(empty)} have none. Drop those "
            "classes' samples from the data or give them a positive weight."
        )
    return sums.sum() / (len(classes) * sums)


def label_codes(Y, n_classes):
    """The index of each sample's label, from a single-label indicator ``Y``."""
    Y = sparse.csr_array(Y)
    if n_classes == 1:
        # One class: LabelBinarizer gives a column of zeros.
        return np.zeros(Y.shape[0], dtype=np.intp)
    if Y.shape[1] == 1 and n_classes == 2:
        # Two classes, one column: 1 marks the second class.
        return (Y.toarray()[:, 0] != 0).astype(np.intp)
    Y.eliminate_zeros()
    return Y.indices.astype(np.intp, copy=False)


def _balanced_pairs(Y, sample_weight, names):
    """``[S / (2 * S_rest), S / (2 * S_label)]`` for each column of ``Y``.

    A column with one value only (a label in every sample or in none) gets
    ones: the estimators fit no problem for it.
    """
    counts = np.asarray(Y.sum(axis=0), dtype=np.float64).ravel()
    constant = (counts == 0) | (counts == Y.shape[0])
    if sample_weight is None:
        positive, total = counts, float(Y.shape[0])
    else:
        positive = np.asarray(Y.T @ sample_weight, dtype=np.float64).ravel()
        total = sample_weight.sum()
    negative = total - positive
    empty = ~constant & ((positive <= 0) | (negative <= 0))
    if np.any(empty):
        raise ValueError(
            'class_weight="balanced" balances each label against the rest, so '
            "both need a positive total sample weight, but for the labels "
            f"{_shown(np.asarray(names)[empty].tolist())} one side has none. "
            "Give those samples a positive weight, or drop the label."
        )
    pairs = np.ones((Y.shape[1], 2))
    fitted = ~constant
    pairs[fitted, 0] = total / (2 * negative[fitted])
    pairs[fitted, 1] = total / (2 * positive[fitted])
    return pairs


def _shown(values, limit=10):
    shown = ", ".join(repr(v) for v in values[:limit])
    more = ", ..." if len(values) > limit else ""
    return f"[{shown}{more}]"


def _type_hint(keys, labels):
    """Why a key that reads like a label misses it: ``0`` is not ``"0"``."""
    by_text = {str(label): label for label in labels}
    for key in keys:
        if str(key) in by_text:
            label = by_text[str(key)]
            return (
                f"The key {key!r} ({type(key).__name__}) is not the label "
                f"{label!r} ({type(label).__name__}). "
            )
    return ""
