"""NorSID proxy outside Rasa: the LinearIntentClassifier's model family on the same features.

    .venv/engine/bin/python -m benchmarks.nlu.norsid_proxy [--out benchmarks/results/nlu-norsid-proxy.json]

Multinomial logistic regression (C=10) on tf-idf word n-grams and tf-idf char_wb 1-4-grams (each
unit-length) plus 2x the multilingual-e5-small "query: " embedding, with scikit-learn's
TfidfVectorizer in place of Rasa's CountVectorsFeaturizer and without the regex and lexical
featurizers. The same folds as `make bench-nlu`'s NorSID settings (benchmarks/nlu/norsid.py).
Minutes instead of the Rasa settings' hour on a loaded machine; the Rasa settings are the
measurement of the pipeline itself.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path
from typing import List, Optional

import numpy as np
import scipy.sparse as sp

from benchmarks.nlu import norsid
from benchmarks.nlu.data import REPO

RESULTS = REPO / "benchmarks" / "results" / "nlu-norsid-proxy.json"


def predict(texts: np.ndarray, labels: np.ndarray, embeddings: np.ndarray, train, test) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    train_parts, test_parts = [], []
    for options in ({"analyzer": "word", "token_pattern": r"(?u)\b\w+\b"}, {"analyzer": "char_wb", "ngram_range": (1, 4)}):
        vectorizer = TfidfVectorizer(lowercase=True, **options).fit(texts[train])
        train_parts.append(vectorizer.transform(texts[train]))
        test_parts.append(vectorizer.transform(texts[test]))
    train_x = sp.hstack(train_parts + [sp.csr_matrix(2 * embeddings[train])]).tocsr()
    test_x = sp.hstack(test_parts + [sp.csr_matrix(2 * embeddings[test])]).tocsr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(C=10, max_iter=200).fit(train_x, labels[train])
    return model.predict(test_x)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    from bot.nlu.multilingual_encoder import MultilingualEncoder

    utterances = norsid.load()
    texts = np.array([u.text for u in utterances])
    labels = np.array([u.intent for u in utterances])
    dialects = np.array([u.dialect for u in utterances])
    embeddings = MultilingualEncoder().encode(list(texts))

    def by_dialect(correct: np.ndarray, groups: np.ndarray) -> dict:
        return {g: round(100 * float(correct[groups == g].mean()), 2) for g in sorted(set(groups))}

    result = {"what": __doc__.split("\n\n")[1].strip(), "anchors": norsid.ANCHORS,
              "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    train, test = np.where(dialects == "B")[0], np.where(dialects != "B")[0]
    correct = predict(texts, labels, embeddings, train, test) == labels[test]
    result["bokmaal_to_dialects"] = {"train_examples": len(train), "accuracy_by_dialect": by_dialect(correct, dialects[test])}
    for grouped, key in ((False, "cv"), (True, "cv_grouped")):
        predicted = np.empty(len(texts), dtype=object)
        for fold_test in norsid.folds(utterances, grouped):
            fold_train = np.setdiff1d(np.arange(len(texts)), fold_test)
            predicted[fold_test] = predict(texts, labels, embeddings, fold_train, fold_test)
        correct = predicted == labels
        result[key] = {"accuracy": round(100 * float(correct.mean()), 2), "accuracy_by_dialect": by_dialect(correct, dialects)}
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
