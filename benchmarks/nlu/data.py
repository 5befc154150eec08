"""BANKING77, read from shared/ (never copied into the repository) and written as Rasa NLU data."""

from __future__ import annotations

import csv
import json
import os
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

REPO = Path(__file__).resolve().parents[2]
DATA_DIR = Path(os.environ.get("BANKING77_DIR", REPO.parent / "shared" / "benchmarks" / "banking77"))


@dataclass(frozen=True)
class Example:
    text: str
    intent: str


def load_split(name: str) -> List[Example]:
    """train or test; whitespace collapsed, since 13 texts hold line breaks inside quotes."""
    with open(DATA_DIR / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return [Example(" ".join(row["text"].split()), row["category"]) for row in csv.DictReader(handle)]


def load_intents() -> List[str]:
    return json.loads((DATA_DIR / "categories.json").read_text(encoding="utf-8"))


def sample_per_intent(examples: Sequence[Example], per_intent: int, seed: int) -> List[Example]:
    """The few-shot setting: `per_intent` examples of every intent, the same ones for a seed."""
    by_intent: Dict[str, List[Example]] = defaultdict(list)
    for example in examples:
        by_intent[example.intent].append(example)
    rng = random.Random(seed)
    return [e for intent in sorted(by_intent) for e in rng.sample(by_intent[intent], per_intent)]


def hold_out_intents(intents: Sequence[str], fraction: float, seed: int) -> Tuple[List[str], List[str]]:
    """(known, unknown): `fraction` of the intents, drawn with `seed`, are never trained on."""
    unknown = sorted(random.Random(seed).sample(sorted(intents), round(len(intents) * fraction)))
    return [i for i in intents if i not in unknown], unknown


def write_rasa_nlu(examples: Sequence[Example], path: Path) -> Path:
    """Rasa's JSON training format: texts are taken literally (YAML examples would read
    "[text](entity)" as entity markup)."""
    common = [{"text": e.text, "intent": e.intent} for e in examples]
    path.write_text(json.dumps({"rasa_nlu_data": {"common_examples": common}}), encoding="utf-8")
    return path
