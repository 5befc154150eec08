"""The assistant's own data (data/, English and Norwegian): stratified 5-fold cross-validation of
LinearIntentClassifier's top intent, for classifier settings side by side.

    .venv/engine/bin/python -m benchmarks.nlu.assistant_cv [--out benchmarks/results/nlu-linear-assistant-cv.json]

A check that settings chosen on BANKING77 (benchmarks/nlu/sweep_linear.py) do not hurt our own
domain. Examples and languages as benchmarks/nlu/oos.py reads them (*_nb.yml files are
Norwegian; out_of_scope examples are always in training, never tested); folds over the English
and Norwegian examples together (seed 1), so each fold trains on both languages as the assistant
does. Features as in sweep_linear.py (Rasa's tokenizer and count vectorizers trained per fold, the
e5 embedding from the cache). The classifier alone: no out-of-scope detector or fallback threshold.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

from benchmarks.nlu import sweep_linear
from benchmarks.nlu.data import REPO, Example
from benchmarks.nlu.embedding_cache import DEFAULT_CACHE, cached_embeddings

RESULTS = REPO / "benchmarks" / "results" / "nlu-linear-assistant-cv.json"
FOLDS = 5
SEED = 1


def configured(config: Path) -> Dict[str, Any]:
    """The sweep's options as a config file sets them."""
    from benchmarks.nlu.pipelines import project_pipeline

    options = dict(sweep_linear.START)
    for component in project_pipeline(config):
        if component["name"].endswith("LinearIntentClassifier"):
            options.update({k: v for k, v in component.items() if k in options})
        if component["name"] == "CountVectorsFeaturizer" and component.get("analyzer") == "char_wb":
            options["char_ngrams"] = [component.get("min_ngram", 1), component.get("max_ngram", 1)]
    return options


def main(argv: Optional[List[str]] = None) -> None:
    from sklearn.model_selection import StratifiedKFold

    from benchmarks.nlu.oos import assistant_examples

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--config", type=Path, default=REPO / "config.yml",
                        help="its LinearIntentClassifier and char_wb settings are compared with the sweep's start")
    parser.add_argument("--workdir", type=Path, default=REPO / ".cache" / "assistant-cv")
    args = parser.parse_args(argv)

    candidates = {"before (previous defaults)": sweep_linear.START, f"after ({args.config.name})": configured(args.config)}
    found = assistant_examples()
    tested = [(t, i, lang) for lang in ("en", "nb") for t, i in found.get(lang, [])]
    always = [(t, i, "train_only") for t, i in found.get("train_only", [])]
    rows = tested + always
    examples = [Example(t, i) for t, i, _ in rows]
    languages = np.array([lang for _, _, lang in rows])
    embeddings = cached_embeddings("assistant", [e.text for e in examples], args.cache)
    splitter = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    n_tested = len(tested)
    labels = [f"{lang}:{i}" for _, i, lang in tested]  # stratified by language and intent
    predicted: Dict[str, Dict[int, str]] = {name: {} for name in candidates}
    for fold, (train_part, test_idx) in enumerate(splitter.split(np.zeros(n_tested), labels)):
        train_idx = np.concatenate([train_part, np.arange(n_tested, len(rows))])
        by_ngrams: Dict[str, sweep_linear.Featurized] = {}
        for name, options in candidates.items():
            ngrams = options["char_ngrams"]
            if str(ngrams) not in by_ngrams:
                by_ngrams[str(ngrams)] = sweep_linear.Featurized(examples, embeddings, train_idx, test_idx, ngrams,
                                                                 args.workdir / f"fold{fold}_{ngrams[0]}_{ngrams[1]}")
            featurized = by_ngrams[str(ngrams)]
            classifier_dir = args.workdir / f"fold{fold}_{len(predicted[name])}_{abs(hash(name))}"
            intents, _ = sweep_linear.train_and_predict(featurized, options, classifier_dir)
            predicted[name].update(zip(test_idx.tolist(), intents))
        print(f"[{time.strftime('%H:%M:%S')}] fold {fold} done", flush=True)

    result: Dict[str, Any] = {"what": __doc__.split("\n\n")[1].strip() + " " + __doc__.split("\n\n")[2].strip(),
                              "folds": FOLDS, "seed": SEED,
                              "examples": {lang: int((languages[:n_tested] == lang).sum()) for lang in ("en", "nb")},
                              "train_only_examples": len(always),
                              "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "settings": {}}
    for name, options in candidates.items():
        scores = {}
        for lang in ("en", "nb"):
            idx = [i for i in range(n_tested) if languages[i] == lang]
            scores[lang] = round(100 * float(np.mean([predicted[name][i] == examples[i].intent for i in idx])), 2)
        result["settings"][name] = {"options": options, "accuracy": scores}
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result["settings"], indent=1))


if __name__ == "__main__":
    main()
