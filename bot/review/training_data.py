"""The examples the assistant is already trained on (data/*.yml, `nlu:` sections), by text:
the export leaves out what is already there and holds back what contradicts it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

from bot.review.catalog import DEFAULT_DATA

# Rasa's entity annotation inside an example: [text](entity) or [text]{"entity": ...}.
_ENTITY = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def example_key(text: str) -> str:
    """What makes two examples the same for training: the words, case and spacing aside."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class TrainingExamples:
    intents_by_text: dict[str, frozenset[str]]  # example_key(text) -> intents with that example

    def intents_of(self, text: str) -> frozenset[str]:
        return self.intents_by_text.get(example_key(text), frozenset())


def load_training_examples(data_dir: Path = DEFAULT_DATA) -> TrainingExamples:
    """Every NLU example under data_dir (blocking file I/O)."""
    yaml = YAML(typ="safe", pure=True)
    found: dict[str, set[str]] = {}
    for path in sorted(data_dir.rglob("*.yml")):
        content = yaml.load(path.read_text(encoding="utf-8"))
        if not isinstance(content, dict):
            continue
        for entry in content.get("nlu") or []:
            if not isinstance(entry, dict) or not isinstance(entry.get("intent"), str):
                continue
            for text in _examples(entry.get("examples")):
                found.setdefault(example_key(_ENTITY.sub(r"\1", text)), set()).add(entry["intent"])
    return TrainingExamples({key: frozenset(intents) for key, intents in found.items()})


def _examples(raw: object) -> list[str]:
    # Rasa 3 writes examples as a "- text" block, or as a list of {text: ...} with metadata.
    if isinstance(raw, str):
        return [line.strip()[2:] for line in raw.splitlines() if line.strip().startswith("- ")]
    if isinstance(raw, list):
        return [str(item.get("text", "")).strip() for item in raw if isinstance(item, dict)]
    return []
