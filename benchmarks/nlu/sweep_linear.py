"""Tunes LinearIntentClassifier on BANKING77's *training* split only (the test split is never read).

    .venv/engine/bin/python -m benchmarks.nlu.embedding_cache      # once: e5 vectors of every text
    .venv/engine/bin/python -m benchmarks.nlu.sweep_linear [--out benchmarks/results/nlu-linear-sweep.json]
        [--jobs 3] [--char-ngrams]

A stratified fifth of the training split (seed 1, 2,001 of 10,003 messages) is held out; the
other four fifths train. The features are made by the pipeline's own components, as
config.yml configures them: Rasa's WhitespaceTokenizer and its two CountVectorsFeaturizers
(words; char_wb n-grams, range swept), trained on the four fifths, plus the multilingual-e5-small
"query: " embedding (read from benchmarks/nlu/embedding_cache.py's cache: the featurizer's very
vectors, since the encoder is deterministic). The RegexFeaturizer and LexicalSyntacticFeaturizer add
no sentence features here (no patterns; lexical features are per token), so they are left out.
Each candidate is a real LinearIntentClassifier (bot/nlu/rasa_linear_classifier.py) trained with
`train` and asked with `process`, message by message, as in Rasa.

The search starts from the classifier's previous defaults (C=10, dense_weight 2, the embedding as
it comes, joint tf-idf norm) and goes in stages. A stage varies each of its options on its own
around the best configuration so far (one fit per alternative value, `--jobs` fits at a time);
every option whose best value beats the current best is adopted and, when several are, their
combination is fitted too and kept only if it scores at least as well as the best single change.
Ties keep the current value. Every fit is written to --out as it finishes; a re-run skips the
fits already there. One fit on 8,002 messages costs about a CPU minute.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from benchmarks.nlu import data
from benchmarks.nlu.data import REPO
from benchmarks.nlu.embedding_cache import DEFAULT_CACHE, cached_embeddings

RESULTS = REPO / "benchmarks" / "results" / "nlu-linear-sweep.json"
SEED = 1
HELD_OUT_FOLDS = 5  # one fold of five held out
# the classifier's defaults before this sweep, plus the char n-gram range of config.yml
START: Dict[str, Any] = {"C": 10.0, "dense_weight": 2.0, "dense_normalization": "none", "sublinear_tf": False,
                         "sparse_norm": "joint", "class_weight": None, "char_ngrams": [1, 4]}
# stages: the options each varies (values tried for each, one at a time)
STAGES: List[Dict[str, List[Any]]] = [
    {"dense_normalization": ["none", "center", "standardize"]},
    {"dense_weight": [1.0, 2.0, 3.0, 4.0]},
    {"C": [3.0, 10.0, 30.0], "sparse_norm": ["joint", "per_featurizer"], "sublinear_tf": [False, True],
     "class_weight": [None, "balanced"]},
]
CHAR_NGRAM_STAGE: Dict[str, List[Any]] = {"char_ngrams": [[1, 4], [1, 5], [2, 5]]}
# the featurized data of each char n-gram range; module-level so that forked fits share it
FEATURIZED: Dict[str, "Featurized"] = {}


def held_out_split(examples: Sequence[data.Example]) -> Tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(HELD_OUT_FOLDS, shuffle=True, random_state=SEED)
    train, held_out = next(splitter.split(np.zeros(len(examples)), [e.intent for e in examples]))
    return train, held_out


class Featurized:
    """Rasa messages of a training part and a held-out part of `examples`, featurized by the
    pipeline's tokenizer and count vectorizers (trained on the training part) and the cached e5."""

    def __init__(self, examples: Sequence[data.Example], embeddings: np.ndarray, train_idx, held_idx,
                 char_ngrams: Sequence[int], workdir: Path) -> None:
        from rasa.engine.graph import ExecutionContext, GraphSchema
        from rasa.engine.storage.local_model_storage import LocalModelStorage
        from rasa.engine.storage.resource import Resource
        from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
        from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
        from rasa.shared.nlu.constants import TEXT
        from rasa.shared.nlu.training_data.features import Features
        from rasa.shared.nlu.training_data.message import Message
        from rasa.shared.nlu.training_data.training_data import TrainingData

        workdir.mkdir(parents=True, exist_ok=True)
        storage = LocalModelStorage(workdir)
        tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
        featurizers = []
        for name, extra in (("words", {}),
                            ("chars", {"analyzer": "char_wb", "min_ngram": char_ngrams[0], "max_ngram": char_ngrams[1]})):
            config = {**CountVectorsFeaturizer.get_default_config(), **extra}
            featurizers.append(CountVectorsFeaturizer.create(
                config, storage, Resource(f"{name}_{char_ngrams[0]}_{char_ngrams[1]}"),
                ExecutionContext(GraphSchema({}), node_name=f"run_CountVectorsFeaturizer_{name}")))

        def message(i: int, with_intent: bool) -> Message:
            fields = {TEXT: examples[i].text, **({"intent": examples[i].intent} if with_intent else {})}
            return Message(data=fields)

        self.train = TrainingData([message(i, True) for i in train_idx])
        tokenizer.process_training_data(self.train)
        for featurizer in featurizers:
            featurizer.train(self.train)
            featurizer.process_training_data(self.train)
        self.held_out = tokenizer.process([message(i, False) for i in held_idx])
        for featurizer in featurizers:
            featurizer.process(self.held_out)
        self.gold = [examples[i].intent for i in held_idx]
        for messages, indices in ((self.train.training_examples, train_idx), (self.held_out, held_idx)):
            for m, i in zip(messages, indices):
                m.add_features(Features(embeddings[i][np.newaxis, :], "sentence", TEXT, "MultilingualE5Featurizer"))


def train_and_predict(featurized: Featurized, options: Dict[str, Any], workdir: Path) -> Tuple[List[str], Dict[str, Any]]:
    """The held-out messages' predicted intents, and the training time."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from bot.nlu.rasa_linear_classifier import LinearIntentClassifier

    config = {k: v for k, v in options.items() if k != "char_ngrams"}
    workdir.mkdir(parents=True, exist_ok=True)
    classifier = LinearIntentClassifier.create(config, LocalModelStorage(workdir), Resource("linear"),
                                               ExecutionContext(GraphSchema({}), node_name="linear"))
    started, cpu = time.perf_counter(), time.process_time()
    classifier.train(featurized.train)
    train_seconds, train_cpu = time.perf_counter() - started, time.process_time() - cpu
    predicted = [classifier.process([m])[0].get("intent")["name"] for m in featurized.held_out]
    return predicted, {"train_seconds": round(train_seconds, 1), "train_cpu_seconds": round(train_cpu, 1)}


def evaluate(featurized: Featurized, options: Dict[str, Any], workdir: Path) -> Dict[str, Any]:
    predicted, timing = train_and_predict(featurized, options, workdir)
    return {"held_out_accuracy": round(100 * float(np.mean([p == g for p, g in zip(predicted, featurized.gold)])), 2),
            **timing}


def key(options: Dict[str, Any]) -> str:
    return json.dumps(options, sort_keys=True)


def fit(options: Dict[str, Any], workdir: Path) -> Dict[str, Any]:
    return evaluate(FEATURIZED[str(options["char_ngrams"])], options, workdir)


def main(argv: Optional[List[str]] = None) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="embedding cache (embedding_cache.py)")
    parser.add_argument("--jobs", type=int, default=1, help="fits at a time (each about 1 GB)")
    parser.add_argument("--char-ngrams", action="store_true", help="a last stage over the char_wb n-gram range")
    parser.add_argument("--start", type=json.loads, default=None, help="JSON: options to start from (default: START)")
    parser.add_argument("--stages", type=json.loads, default=None, help="JSON list of stages (default: STAGES)")
    parser.add_argument("--workdir", type=Path, default=REPO / ".cache" / "sweep-linear")
    args = parser.parse_args(argv)

    examples = data.load_split("train")
    embeddings = cached_embeddings("banking77-train", [e.text for e in examples], args.cache)
    train_idx, held_idx = held_out_split(examples)
    start = {**START, **(args.start or {})}
    stages = (args.stages or STAGES) + ([CHAR_NGRAM_STAGE] if args.char_ngrams else [])
    results = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    results.update({"what": " ".join(p.strip() for p in __doc__.split("\n\n")[1:4]),
                    "split": {"train": len(train_idx), "held_out": len(held_idx), "seed": SEED},
                    "start": start, "stages": stages})
    fits: Dict[str, Any] = {f["key"]: f for f in results.get("fits", [])}

    def save() -> None:
        results["fits"] = list(fits.values())
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")

    def run_fits(candidates: List[Dict[str, Any]]) -> None:
        todo = [c for c in {key(c): c for c in candidates}.values() if key(c) not in fits]
        for ngrams in {str(c["char_ngrams"]): c["char_ngrams"] for c in todo}.values():
            if str(ngrams) not in FEATURIZED:
                FEATURIZED[str(ngrams)] = Featurized(examples, embeddings, train_idx, held_idx, ngrams,
                                                     args.workdir / f"features_{ngrams[0]}_{ngrams[1]}")
        if not todo:
            return
        print(f"[{time.strftime('%H:%M:%S')}] fitting {len(todo)}: {[key(c) for c in todo]}", flush=True)
        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = {key(c): (c, pool.submit(fit, c, args.workdir / f"fit_{len(fits) + n}")) for n, c in enumerate(todo)}
            for name, (options, future) in futures.items():
                fits[name] = {"key": name, "options": options, **future.result(),
                              "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
                save()
                print(f"[{time.strftime('%H:%M:%S')}] {name}: {fits[name]['held_out_accuracy']}", flush=True)

    def score(options: Dict[str, Any]) -> float:
        return fits[key(options)]["held_out_accuracy"]

    best = dict(start)
    for number, stage in enumerate(stages):
        run_fits([best] + [{**best, name: value} for name, values in stage.items() for value in values])
        changes = {}
        for name, values in stage.items():
            value = max(values, key=lambda v: (score({**best, name: v}), v == best[name]))
            if score({**best, name: value}) > score(best):
                changes[name] = value
        single = max(({**best, n: v} for n, v in changes.items()), key=score, default=best)
        if len(changes) > 1:
            combined = {**best, **changes}
            run_fits([combined])
            best = combined if score(combined) >= score(single) else single
        else:
            best = single
        results["best"] = {"options": best, "held_out_accuracy": score(best), "after_stage": number}
        save()
        print(f"best after stage {number}: {json.dumps(results['best'])}", flush=True)


if __name__ == "__main__":
    main()
