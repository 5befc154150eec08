"""One prediction run for the out-of-scope benchmark, in a process of its own.

    python -m benchmarks.nlu.oos_worker MODEL TEXTS_JSON RESULT_JSON

Like `benchmarks.nlu.worker predict`, plus what the OutOfScopeDetector saw (similarity,
p-value) and the CPU time its `process` took per message inside the real pipeline.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

from benchmarks.nlu.worker import FALLBACK_INTENT, peak_rss_mb


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
        "pipeline_intent": parsed["intent"]["name"],
        "similarity": detection.get("similarity"),
        "p_value": detection.get("p_value"),
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
    model, texts_file, result = argv
    texts = json.loads(Path(texts_file).read_text(encoding="utf-8"))
    Path(result).write_text(json.dumps(asyncio.run(predict_all(model, texts))), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
