"""One training or one prediction run, in a process of its own so that its peak memory is its own.

    python -m benchmarks.nlu.worker train CONFIG NLU_DATA MODEL_DIR RESULT_JSON
    python -m benchmarks.nlu.worker predict MODEL TEXTS_JSON RESULT_JSON
    python -m benchmarks.nlu.worker train_predict CONFIG NLU_DATA MODEL_DIR TEXTS_JSON RESULT_JSON
    python -m benchmarks.nlu.worker folds CONFIG FOLDS_JSON WORK_DIR RESULT_JSON

Rasa prints to stdout, so results go to RESULT_JSON. train_predict (small data sets: one Rasa
start-up instead of two) reports both; its peak memory is the larger of the two. `folds`
trains and predicts every fold of a cross-validation in one process, each sentence embedded once
(the embeddings are deterministic: tests/engine/test_multilingual_encoder.py), and rewrites
RESULT_JSON after each fold.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

FALLBACK_INTENT = "nlu_fallback"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def train(config: str, nlu_data: str, model_dir: str) -> Dict[str, Any]:
    from rasa.model_training import train_nlu

    wall, cpu = time.perf_counter(), cpu_seconds()
    model = train_nlu(config=config, nlu_data=nlu_data, output=model_dir, fixed_model_name="nlu")
    if not model:
        raise SystemExit("training produced no model")
    return {
        "model": model,
        "train_seconds": round(time.perf_counter() - wall, 1),
        "train_cpu_seconds": round(cpu_seconds() - cpu, 1),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def classifier_view(parsed: Dict[str, Any]) -> Dict[str, Any]:
    """The classifier's own top two, looking through the FallbackClassifier (which, when it
    fires, only puts nlu_fallback in front of the ranking) and through the OutOfScopeDetector's
    verdict (which puts out_of_scope in front the same way), plus what the pipeline decided.
    Before 2026-12-06 05:40 the detector's verdicts counted as the classifier's answer: the
    `full` accuracies of pipelines with the detector were lowered by its refusals."""
    ranking = [r for r in parsed.get("intent_ranking") or [] if r["name"] != FALLBACK_INTENT]
    if (parsed.get("oos_detection") or {}).get("intent_replaced") and ranking:
        ranking = ranking[1:]  # the detector's out_of_scope, not the classifier's
    top = ranking[0] if ranking else {"name": None, "confidence": 0.0}
    second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
    return {
        "intent": top["name"],
        "confidence": float(top["confidence"]),
        "second_confidence": float(second),
        "pipeline_intent": parsed["intent"]["name"],
    }


class ComponentCpu:
    """CPU seconds of the whole process spent inside each graph component, by class name.

    Process CPU, not thread CPU: TensorFlow runs its kernels on threads of its own. Rasa runs
    a message's graph nodes one after another, so nothing else is counted in a node's time.
    """

    def __init__(self) -> None:
        self.seconds: Dict[str, float] = {}
        self._original = None

    def __enter__(self) -> "ComponentCpu":
        from rasa.engine.graph import GraphNode

        original = self._original = GraphNode.__call__
        seconds = self.seconds

        def timed(node, *inputs):
            started = time.process_time()
            try:
                return original(node, *inputs)
            finally:
                name = node._component_class.__name__
                seconds[name] = seconds.get(name, 0.0) + time.process_time() - started

        GraphNode.__call__ = timed
        return self

    def __exit__(self, *exc_info) -> None:
        from rasa.engine.graph import GraphNode

        GraphNode.__call__ = self._original


async def predict_all(model: str, texts: List[str]) -> Dict[str, Any]:
    from rasa.core.agent import Agent

    started = time.perf_counter()
    agent = Agent.load(model)
    await agent.parse_message("hello")  # first call builds TensorFlow's graph: not throughput
    load_seconds = time.perf_counter() - started

    predictions = []
    started, cpu = time.perf_counter(), cpu_seconds()
    with ComponentCpu() as components:
        for text in texts:  # one message at a time, as the server sees them
            predictions.append(classifier_view(await agent.parse_message(text)))
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return {
        "predictions": predictions,
        "load_seconds": round(load_seconds, 1),
        "predict_seconds": round(seconds, 1),
        "messages_per_second": round(len(texts) / seconds, 1),
        "cpu_ms_per_message": round(1000 * cpu / len(texts), 2),
        "component_cpu_ms_per_message": {
            name: round(1000 * value / len(texts), 3) for name, value in sorted(components.seconds.items())
        },
        "peak_rss_mb": round(peak_rss_mb()),
    }


def memoize_sentence_embeddings() -> None:
    """Cross-validation embeds every sentence once per fold; the same text always gets the same
    vector, so the folds share one cache (the first fold's timings include the encoding)."""
    from bot.nlu.multilingual_encoder import MultilingualEncoder

    original = MultilingualEncoder.encode
    cache: Dict[str, Any] = {}

    def encode(self, texts):
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            cache.update(zip(missing, original(self, missing)))
        import numpy as np

        return np.array([cache[t] for t in texts], np.float32).reshape(len(texts), -1)

    MultilingualEncoder.encode = encode


def run_folds(config: str, folds_file: str, work_dir: str, result: str) -> Dict[str, Any]:
    from benchmarks.nlu.data import Example, write_rasa_nlu

    memoize_sentence_embeddings()
    folds = json.loads(Path(folds_file).read_text(encoding="utf-8"))
    outcome: Dict[str, Any] = {"folds": []}
    for fold in folds:
        directory = Path(work_dir) / fold["name"]
        directory.mkdir(parents=True, exist_ok=True)
        nlu = write_rasa_nlu([Example(e["text"], e["intent"]) for e in fold["train"]], directory / "nlu.json")
        trained = train(config, str(nlu), str(directory))
        predicted = asyncio.run(predict_all(trained["model"], fold["texts"]))
        outcome["folds"].append({"name": fold["name"], "train": trained, "predict": predicted})
        Path(result).write_text(json.dumps(outcome), encoding="utf-8")
    return outcome


def main(argv: List[str]) -> None:
    logging.basicConfig(level=logging.WARNING)
    command, *args = argv
    if command == "train":
        config, nlu_data, model_dir, result = args
        outcome = train(config, nlu_data, model_dir)
    elif command == "predict":
        model, texts_file, result = args
        texts = json.loads(Path(texts_file).read_text(encoding="utf-8"))
        outcome = asyncio.run(predict_all(model, texts))
    elif command == "train_predict":
        config, nlu_data, model_dir, texts_file, result = args
        trained = train(config, nlu_data, model_dir)
        texts = json.loads(Path(texts_file).read_text(encoding="utf-8"))
        outcome = {"train": trained, "predict": asyncio.run(predict_all(trained["model"], texts))}
    elif command == "folds":
        config, folds_file, work_dir, result = args
        outcome = run_folds(config, folds_file, work_dir, result)
    else:
        raise SystemExit(__doc__)
    Path(result).write_text(json.dumps(outcome), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
