"""One training or prediction run for the out-of-scope benchmark, in a process of its own.

    python -m benchmarks.nlu.oos_worker MODEL TEXTS_JSON RESULT_JSON
    python -m benchmarks.nlu.oos_worker train CONFIG NLU_DATA MODEL_DIR RESULT_JSON

The first is like `benchmarks.nlu.worker predict`, plus what the OutOfScopeDetector saw
(similarity, p-value, calibration key) and the CPU time its `process` took per message inside the real pipeline.
The second is `benchmarks.nlu.worker train`.

With OOS_EMBEDDING_MEMO=DIR, sentence embeddings are memoised on disk in DIR: the same text
always gets the same vector (tests/engine/test_multilingual_encoder.py), and the benchmark
embeds the same BANKING77 texts in every split and every calibration fold, so each is embedded
once. Timings of a memoised run leave out the embedding (they are reported as such).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

import numpy as np

from benchmarks.nlu.worker import FALLBACK_INTENT, peak_rss_mb

MEMO_ENV = "OOS_EMBEDDING_MEMO"


def memoise_embeddings_on_disk(directory: Path) -> Callable[[], None]:
    """Makes MultilingualEncoder.encode look texts up in DIR's shards first; returns the
    function that writes this process's new embeddings as a shard of its own (processes that
    run side by side never write the same file)."""
    from bot.nlu.multilingual_encoder import MultilingualEncoder

    directory.mkdir(parents=True, exist_ok=True)
    known: Dict[str, np.ndarray] = {}
    for shard in sorted(directory.glob("*.npz")):
        with np.load(shard, allow_pickle=False) as arrays:
            known.update(zip(arrays["texts"].tolist(), arrays["vectors"]))
    new: Dict[str, np.ndarray] = {}
    original = MultilingualEncoder.encode

    def encode(self, texts):
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            vectors = original(self, missing)
            known.update(zip(missing, vectors))
            new.update(zip(missing, vectors))
        return np.array([known[t] for t in texts], np.float32).reshape(len(texts), -1)

    MultilingualEncoder.encode = encode

    def flush() -> None:
        if not new:
            return
        part = directory / f"{os.getpid()}-{time.time_ns()}.part"
        with open(part, "wb") as handle:
            np.savez(handle, texts=np.array(list(new)), vectors=np.vstack(list(new.values())).astype(np.float32))
        part.rename(part.with_suffix(".npz"))

    return flush


def view(parsed: Dict[str, Any]) -> Dict[str, Any]:
    """The classifier's own top two (looking through nlu_fallback and the detector's verdict),
    the pipeline's decision and the detector's scores."""
    detection = parsed.get("oos_detection") or {}
    ranking = parsed.get("intent_ranking") or []
    if detection.get("intent_replaced"):
        ranking = ranking[1:]  # the detector's verdict in front of the classifier's ranking
    ranking = [r for r in ranking if r["name"] != FALLBACK_INTENT]
    top = ranking[0] if ranking else {"name": None, "confidence": 0.0}
    return {
        "intent": top["name"],
        "confidence": float(top["confidence"]),
        "second_confidence": float(ranking[1]["confidence"]) if len(ranking) > 1 else 0.0,
        "second_intent": ranking[1]["name"] if len(ranking) > 1 else None,
        "pipeline_intent": parsed["intent"]["name"],
        "similarity": detection.get("similarity"),
        "p_value": detection.get("p_value"),
        # the held-out scores the p-value was read from (None from detectors that predate it)
        "calibration": detection.get("calibration"),
    }


async def predict_all(model: str, texts: List[str]) -> Dict[str, Any]:
    from rasa.core.agent import Agent

    from bot.nlu.rasa_oos_detector import OutOfScopeDetector

    spent: List[float] = []
    process = OutOfScopeDetector.process

    def timed(self, messages):
        started = time.process_time()
        try:
            return process(self, messages)
        finally:
            spent.append(time.process_time() - started)

    OutOfScopeDetector.process = timed
    agent = Agent.load(model)
    await agent.parse_message("hello")
    spent.clear()
    predictions = []
    started, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        predictions.append(view(await agent.parse_message(text)))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    return {
        "predictions": predictions,
        "messages_per_second": round(len(texts) / seconds, 1),
        "pipeline_cpu_ms_per_message": round(1000 * cpu_seconds / len(texts), 2),
        "detector_cpu_ms_per_message": round(1000 * sum(spent) / len(spent), 3) if spent else None,
        "peak_rss_mb": round(peak_rss_mb()),
    }


def main(argv: List[str]) -> None:
    logging.basicConfig(level=logging.WARNING)
    flush = memoise_embeddings_on_disk(Path(os.environ[MEMO_ENV])) if os.environ.get(MEMO_ENV) else None
    if argv[0] == "train":
        from benchmarks.nlu.worker import train

        config, nlu_data, model_dir, result = argv[1:]
        outcome = train(config, nlu_data, model_dir)
    else:
        model, texts_file, result = argv
        texts = json.loads(Path(texts_file).read_text(encoding="utf-8"))
        outcome = asyncio.run(predict_all(model, texts))
    if flush:
        flush()
        outcome["embeddings_memoised"] = True
    Path(result).write_text(json.dumps(outcome), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
