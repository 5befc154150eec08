"""NorSID with LinearIntentClassifier itself, on the pipeline's own featurizers, outside a Rasa server.

    .venv/engine/bin/python -m benchmarks.nlu.norsid_check [--jobs 4]

Between the proxy (benchmarks/nlu/norsid_proxy.py: scikit-learn's TfidfVectorizer and a bare
LogisticRegression) and the real `norsid_*` settings of `make bench-nlu` (a Rasa model per fold,
every message parsed one at a time): here the features come from Rasa's own WhitespaceTokenizer and
CountVectorsFeaturizers (trained per fold) plus the e5 embedding (computed once, cached), and the
classifier is the real LinearIntentClassifier (train, then process message by message), with the
previous defaults and with config.yml's settings. The same folds and settings as
benchmarks/nlu/norsid.py: Bokmål only -> dialects, stratified 5-fold CV, 5-fold CV grouped by
sentence. Left out: the components that add no sentence features (regex, lexical, entity and
language components) and the OutOfScopeDetector/FallbackClassifier (the classifier's top intent
is what the benchmark scores).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

from benchmarks.nlu import norsid, sweep_linear
from benchmarks.nlu.data import REPO, Example
from benchmarks.nlu.embedding_cache import DEFAULT_CACHE, cached_embeddings

RESULTS = REPO / "benchmarks" / "results" / "nlu-norsid-check.json"
UTTERANCES = norsid.load()
EXAMPLES = [Example(u.text, u.intent) for u in UTTERANCES]


def run(options: Dict[str, Any], embeddings: np.ndarray, train: np.ndarray, test: np.ndarray, workdir: Path) -> List[str]:
    featurized = sweep_linear.Featurized(EXAMPLES, embeddings, train, test, options["char_ngrams"], workdir / "features")
    predicted, _ = sweep_linear.train_and_predict(featurized, options, workdir / "model")
    return predicted


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--config", type=Path, default=REPO / "config.yml")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--workdir", type=Path, default=REPO / ".cache" / "norsid-check")
    args = parser.parse_args(argv)
    from benchmarks.nlu.assistant_cv import configured

    texts = [e.text for e in EXAMPLES]
    index = args.cache / "norsid.json"
    if not (index.is_file() and json.loads(index.read_text(encoding="utf-8")) == texts):
        from benchmarks.nlu.linear_test_check import encode

        bounds = np.linspace(0, len(texts), args.jobs + 1).astype(int)
        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            parts = [pool.submit(encode, texts[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
            args.cache.mkdir(parents=True, exist_ok=True)
            np.save(args.cache / "norsid.npy", np.vstack([part.result() for part in parts]))
        index.write_text(json.dumps(texts), encoding="utf-8")
    embeddings = cached_embeddings("norsid", texts, args.cache)
    candidates = {"previous defaults": sweep_linear.START, args.config.name: configured(args.config)}
    dialects = np.array([u.dialect for u in UTTERANCES])
    gold = np.array([e.intent for e in EXAMPLES])
    splits = {"bokmaal_to_dialects": [(np.where(dialects == "B")[0], np.where(dialects != "B")[0])]}
    for grouped, key in ((False, "cv"), (True, "cv_grouped")):
        splits[key] = [(np.setdiff1d(np.arange(len(EXAMPLES)), test), test) for test in norsid.folds(UTTERANCES, grouped)]
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = {(name, key, n): pool.submit(run, options, embeddings, train, test, args.workdir / f"{abs(hash(name))}_{key}_{n}")
                   for name, options in candidates.items() for key, folds in splits.items()
                   for n, (train, test) in enumerate(folds)}
        predicted = {k: f.result() for k, f in futures.items()}

    def by_dialect(indices: np.ndarray, guesses: np.ndarray) -> Dict[str, float]:
        return {d: round(100 * float(np.mean(guesses[dialects[indices] == d] == gold[indices][dialects[indices] == d])), 2)
                for d in sorted(set(dialects[indices]))}

    result: Dict[str, Any] = {"what": __doc__.split("\n\n")[1].strip(), "anchors": norsid.ANCHORS,
                              "folds": norsid.FOLDS, "seed": norsid.SEED,
                              "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "settings": {}}
    for name, options in candidates.items():
        entry: Dict[str, Any] = {"options": options}
        for key, folds in splits.items():
            indices = np.concatenate([test for _, test in folds])
            guesses = np.array([p for n in range(len(folds)) for p in predicted[(name, key, n)]])
            entry[key] = {"accuracy": round(100 * float(np.mean(guesses == gold[indices])), 2),
                          "accuracy_by_dialect": by_dialect(indices, guesses)}
        result["settings"][name] = entry
        print(name, json.dumps(entry), flush=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
