"""BANKING77 test accuracy of LinearIntentClassifier settings, after they were chosen on the
training split (benchmarks/nlu/sweep_linear.py): a reading, never a choice.

    .venv/engine/bin/python -m benchmarks.nlu.linear_test_check [--jobs 5]

Trains on the whole training split (10,003) and tests on the test split (3,080) with the
features of the sweep (Rasa's tokenizer and count vectorizers, trained on the training split;
the e5 embedding, computed here for the test texts in `--jobs` processes and cached), for the
previous defaults and for config.yml's settings. The previous defaults' figure is checked
against the real Rasa run of the same pipeline (`make bench-nlu --settings full`, 93.05 % on
2026-12-06 with the same classifier settings): the featurization here leaves out only components
that add no sentence features. The real run measures the whole pipeline; this is the fallback
when the machine has no room for its 15-20 CPU minutes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from benchmarks.nlu import data, sweep_linear
from benchmarks.nlu.data import REPO
from benchmarks.nlu.embedding_cache import DEFAULT_CACHE, cached_embeddings

RESULTS = REPO / "benchmarks" / "results" / "nlu-linear-test-check.json"
RASA_RUN_PREVIOUS_DEFAULTS = 93.05  # results/nlu.json, config.yml full, measured 2026-12-06T06:08Z


def encode(texts: Sequence[str]) -> np.ndarray:
    from bot.nlu.multilingual_encoder import MultilingualEncoder

    encoder = MultilingualEncoder()
    return np.vstack([encoder.encode(list(texts[i : i + 64])) for i in range(0, len(texts), 64)])


def fit(options: Dict[str, Any], embeddings: np.ndarray, workdir: Path) -> Dict[str, Any]:
    """Trains on the whole training split; the classifier is stored under workdir."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from bot.nlu.rasa_linear_classifier import LinearIntentClassifier

    train = data.load_split("train")
    featurized = sweep_linear.Featurized(train, embeddings, np.arange(len(train)), np.arange(0), options["char_ngrams"],
                                         workdir / "features")
    config = {k: v for k, v in options.items() if k != "char_ngrams"}
    (workdir / "model").mkdir(parents=True, exist_ok=True)
    classifier = LinearIntentClassifier.create(config, LocalModelStorage(workdir / "model"), Resource("linear"),
                                               ExecutionContext(GraphSchema({}), node_name="linear"))
    started = time.process_time()
    classifier.train(featurized.train)
    return {"train_cpu_seconds": round(time.process_time() - started, 1)}


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--config", type=Path, default=REPO / "config.yml")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--jobs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=REPO / ".cache" / "linear-test-check")
    args = parser.parse_args(argv)
    from benchmarks.nlu.assistant_cv import configured

    train, test = data.load_split("train"), data.load_split("test")
    train_vectors = cached_embeddings("banking77-train", [e.text for e in train], args.cache)
    candidates = {"previous defaults": sweep_linear.START, args.config.name: configured(args.config)}
    test_texts = [e.text for e in test]
    index = args.cache / "banking77-test.json"
    have_test = index.is_file() and json.loads(index.read_text(encoding="utf-8")) == test_texts
    chunks = max(1, args.jobs - len(candidates))
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        fits = {name: pool.submit(fit, options, train_vectors, args.workdir / name.replace(" ", "_").replace(".", "_"))
                for name, options in candidates.items()}
        if not have_test:
            bounds = np.linspace(0, len(test_texts), chunks + 1).astype(int)
            parts = [pool.submit(encode, test_texts[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
            np.save(args.cache / "banking77-test.npy", np.vstack([p.result() for p in parts]))
            index.write_text(json.dumps(test_texts), encoding="utf-8")
        timings = {name: future.result() for name, future in fits.items()}
    test_vectors = cached_embeddings("banking77-test", test_texts, args.cache)

    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from sklearn.metrics import f1_score

    from bot.nlu.rasa_linear_classifier import LinearIntentClassifier

    examples = train + test
    every = np.vstack([train_vectors, test_vectors])
    test_idx = np.arange(len(train), len(examples))
    result: Dict[str, Any] = {"what": __doc__.split("\n\n")[1].strip() + " " + __doc__.split("\n\n")[2].strip(),
                              "rasa_run_previous_defaults": RASA_RUN_PREVIOUS_DEFAULTS,
                              "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "settings": {}}
    featurized: Dict[str, sweep_linear.Featurized] = {}
    for name, options in candidates.items():
        ngrams = str(options["char_ngrams"])
        if ngrams not in featurized:
            featurized[ngrams] = sweep_linear.Featurized(examples, every, np.arange(len(train)), test_idx,
                                                         options["char_ngrams"], args.workdir / "test_features")
        workdir = args.workdir / name.replace(" ", "_").replace(".", "_")
        config = {k: v for k, v in options.items() if k != "char_ngrams"}
        classifier = LinearIntentClassifier.load(config, LocalModelStorage(workdir / "model"), Resource("linear"),
                                                 ExecutionContext(GraphSchema({}), node_name="linear"))
        predicted = [classifier.process([m])[0].get("intent")["name"] for m in featurized[ngrams].held_out]
        gold = featurized[ngrams].gold
        result["settings"][name] = {
            "options": options,
            "test_accuracy": round(100 * float(np.mean([p == g for p, g in zip(predicted, gold)])), 2),
            "test_macro_f1": round(100 * f1_score(gold, predicted, average="macro"), 2),
            **timings[name],
        }
        print(name, json.dumps(result["settings"][name]), flush=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
