"""The arithmetic LinearIntentClassifier and LinearResponseSelector share: tf-idf weights learned
from training counts, unit-length rows, and a multinomial logistic regression kept as one weight
row per label (so prediction is plain numpy, whatever scikit-learn stored)."""

from __future__ import annotations

import warnings
from typing import List, Optional, Text, Tuple

import numpy as np
import scipy.sparse
from sklearn.exceptions import ConvergenceWarning


def smoothed_idf(counts: scipy.sparse.csr_matrix) -> np.ndarray:
    """Inverse document frequency per column, smoothed as scikit-learn's TfidfTransformer."""
    documents = counts.shape[0]
    frequency = np.bincount(counts.indices, minlength=counts.shape[1])
    return np.log((1 + documents) / (1 + frequency)) + 1.0


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
