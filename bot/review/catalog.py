"""What a reviewer may say a customer message should have been understood as: the assistant's
intents (domain.yml) and, for a retrieval intent such as `faq`, its topics ("faq/<topic>",
from the NLU data in data/). Read from the files at startup, so a new intent or FAQ topic in
the assistant's data shows up without touching this code.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML, YAMLError

from bot.db.engine import REPO_ROOT

DEFAULT_DOMAIN = REPO_ROOT / "domain.yml"
DEFAULT_DATA = REPO_ROOT / "data"
# Intents Rasa predicts by itself; nobody should "have understood" a message as these.
_NOT_CHOOSABLE = frozenset({"nlu_fallback"})


class CatalogError(Exception):
    """domain.yml or the NLU data could not be read into a list of intents."""


@dataclass(frozen=True)
class IntentChoice:
    name: str  # "check_balance" or "faq/opening_hours": what goes into the NLU data
    is_faq: bool

    @property
    def label(self) -> str:
        """How a reviewer reads it: "check balance", "FAQ: opening hours"."""
        if self.is_faq:
            return "FAQ: " + self.name.partition("/")[2].replace("_", " ")
        return self.name.replace("_", " ")


@dataclass(frozen=True)
class IntentCatalog:
    intents: tuple[IntentChoice, ...]  # plain intents first, then FAQ topics; each sorted

    def __contains__(self, name: object) -> bool:
        return any(choice.name == name for choice in self.intents)

    def choice(self, name: str) -> IntentChoice | None:
        return next((choice for choice in self.intents if choice.name == name), None)

    @classmethod
    def of(cls, domain_intents: Iterable[str], retrieval_intents: dict[str, Iterable[str]]) -> IntentCatalog:
        """Plain intents of the domain, with each retrieval intent replaced by its topics."""
        plain = sorted(
            name for name in set(domain_intents) if name not in retrieval_intents and name not in _NOT_CHOOSABLE
        )
        topics = sorted(
            f"{base}/{topic}"
            for base, names in retrieval_intents.items()
            if base in set(domain_intents)
            for topic in set(names)
        )
        return cls(
            tuple(IntentChoice(name, False) for name in plain)
            + tuple(IntentChoice(name, True) for name in topics)
        )


def load_intent_catalog(domain_path: Path = DEFAULT_DOMAIN, data_dir: Path = DEFAULT_DATA) -> IntentCatalog:
    """Read the catalog from the assistant's files (blocking file I/O: call at startup)."""
    yaml = YAML(typ="safe", pure=True)
    domain = _read(yaml, domain_path)
    domain_intents = [_intent_name(entry) for entry in domain.get("intents") or []]
    retrieval: dict[str, set[str]] = {}
    for path in sorted(data_dir.rglob("*.yml")):
        for entry in _read(yaml, path).get("nlu") or []:
            name = entry.get("intent") if isinstance(entry, dict) else None
            if isinstance(name, str) and "/" in name:
                base, _, topic = name.partition("/")
                retrieval.setdefault(base, set()).add(topic)
    catalog = IntentCatalog.of(domain_intents, retrieval)
    if not catalog.intents:
        raise CatalogError(f"no intents found in {domain_path}")
    return catalog


@functools.cache
def assistant_intent_catalog() -> IntentCatalog:
    """The catalog of this repository's assistant, read once per process (the files change
    only with a new model, which means a restart)."""
    return load_intent_catalog()


def _intent_name(entry: Any) -> str:
    # domain.yml lists an intent as a name, or as {name: {use_entities: ...}}.
    if isinstance(entry, dict) and len(entry) == 1:
        return str(next(iter(entry)))
    return str(entry)


def _read(yaml: YAML, path: Path) -> dict[str, Any]:
    try:
        content = yaml.load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, YAMLError) as error:
        raise CatalogError(f"cannot read {path}: {error}") from error
    return content if isinstance(content, dict) else {}
