"""The arithmetic LinearIntentClassifier and LinearResponseSelector share: tf-idf weights learned
from training counts, unit-length rows, and a multinomial logistic regression kept as one weight
row per label (so prediction is plain numpy, whatever scikit-learn stored).

Training works on scipy matrices of all examples. Serving predicts one message at a time on its
few non-zero n-grams instead (`sentence_features`, `side_by_side`, `unit_length`): the same
numbers, in microseconds where scipy's per-message matrix building and products cost milliseconds."""

from __future__ import annotations

import warnings
from typing import Any, List, Optional, Sequence, Text, Tuple

import numpy as np
import scipy.sparse
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from sklearn.exceptions import ConvergenceWarning


def smoothed_idf(counts: scipy.sparse.csr_matrix) -> np.ndarray:
    """Inverse document frequency per column, smoothed as scikit-learn's TfidfTransformer."""
    documents = counts.shape[0]
    frequency = np.bincount(counts.indices, minlength=counts.shape[1])
    return np.log((1 + documents) / (1 + frequency)) + 1.0


def sublinear_tf(counts: np.ndarray) -> np.ndarray:
    """Each positive count c as 1 + log(c): a repeated n-gram is not that much more telling."""
    return np.where(counts > 0, 1.0 + np.log(np.maximum(counts, 1e-12)), counts)


def unit_rows(matrix: scipy.sparse.csr_matrix) -> scipy.sparse.csr_matrix:
    """Each row scaled to unit length (a long message must not look more certain); empty rows stay."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return scipy.sparse.csr_matrix(scipy.sparse.diags(1.0 / norms) @ matrix)


def fit_softmax(
    features: scipy.sparse.csr_matrix,
    labels: np.ndarray,
    *,
    C: float,
    max_iter: int,
    random_seed: Optional[int],
    class_weight: Optional[Text] = None,
) -> Tuple[List[Text], np.ndarray, np.ndarray]:
    """(labels, weights (labels x features), intercepts) of a multinomial logistic regression."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, max_iter=max_iter, random_state=random_seed, class_weight=class_weight)
    with warnings.catch_warnings():
        # not converging within max_iter changes the last decimals, not the predictions
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(features, labels)
    classes = list(model.classes_)
    if len(classes) == 2:
        # scikit-learn keeps one weight row for two classes: p(second) = sigmoid(row)
        return classes, np.vstack([np.zeros_like(model.coef_), model.coef_]), np.concatenate([[0.0], model.intercept_])
    return classes, model.coef_, model.intercept_


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities along the last axis."""
    exponentials = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


# -- one message at a time (serving) ------------------------------------------------------------


def sentence_features(message: Any, featurizers: Sequence[Text]) -> Tuple[List[Any], Optional[np.ndarray]]:
    """The message's sparse sentence Features of TEXT in the order the featurizers added them, and
    its dense sentence features side by side as one float64 vector (None: there are none); empty
    `featurizers`: every featurizer. What Message.get_sparse_features / get_dense_features give for
    sentences, without their deep copies and hstacks of the sequence features too."""
    sparse, dense = [], []
    for feature in message.features:
        if feature.attribute == TEXT and feature.type == FEATURE_TYPE_SENTENCE and (
            not featurizers or feature.origin in featurizers
        ):
            (sparse if feature.is_sparse() else dense).append(feature)
    vector = np.concatenate([np.asarray(f.features, np.float64).reshape(-1) for f in dense]) if dense else None
    return sparse, vector


def side_by_side(
    matrices: Sequence[Optional[scipy.sparse.spmatrix]], widths: Optional[Sequence[int]] = None
) -> Tuple[np.ndarray, np.ndarray]:
    """(columns, values) of the non-zero entries of one-row matrices laid side by side, each as
    wide as `widths` says (default: its own width; None in `matrices`: a block of zeros): the row
    scipy.sparse.hstack would build, repeated entries added up as in a csr matrix."""
    columns, values, offset = [], [], 0
    for matrix, width in zip(matrices, widths if widths is not None else [m.shape[1] for m in matrices]):
        if matrix is not None:
            matrix = matrix.tocoo()  # Rasa's count featurizers give coo already: no copy
            columns.append(matrix.col.astype(np.int64) + offset)
            values.append(np.asarray(matrix.data, np.float64))
        offset += width
    if not columns:
        return np.zeros(0, np.int64), np.zeros(0)
    columns, values = np.concatenate(columns), np.concatenate(values)
    unique, position = np.unique(columns, return_inverse=True)
    if len(unique) < len(columns):
        columns, values = unique, np.bincount(position, weights=values)
    return columns, values


def unit_length(values: np.ndarray, segments: Optional[np.ndarray] = None, count: int = 1) -> np.ndarray:
    """`values` (one row's non-zero entries) scaled to unit length as unit_rows scales a row, or
    each segment on its own (`segments`: the segment, 0 .. count-1, of each value); all-zero stays."""
    if segments is None:
        norm = np.sqrt(values @ values)
        return values / norm if norm > 0 else values
    norms = np.sqrt(np.bincount(segments, weights=values * values, minlength=count))
    norms[norms == 0] = 1.0
    return values / norms[segments]
