"""The structured entity extractor: one spaCy tokenization and match pass, then the finders
in priority order."""

from __future__ import annotations

from typing import Iterable, List, Optional

from spacy.tokens import Doc

from bot.nlu import accounts, amounts, emails, phones, postcodes, tickets
from bot.nlu.entity import LABELS, Entity
from bot.nlu.matching import SharedMatcher
from bot.nlu.pipeline import build_nlp

# Order is priority: each finder claims its tokens and later finders only see the rest.
# Amounts and phones come before accounts so that "12 345 678 kr" or "+47 12345678" never
# comes out as an account number; postcodes after tickets, so "ABC 123" stays a ticket.
_FINDERS = (emails, amounts, tickets, phones, postcodes, accounts)


class StructuredExtractor:
    """Extracts account numbers, ticket refs, emails, phones, amounts and postcodes from a message.

    Build once (it builds the spaCy pipeline and matcher) and reuse; `extract` keeps no
    state between calls.
    """

    def __init__(self, labels: Optional[Iterable[str]] = None) -> None:
        wanted = set(LABELS if labels is None else labels)
        unknown = wanted - set(LABELS)
        if unknown:
            raise ValueError(f"unknown entity labels {sorted(unknown)}; known: {list(LABELS)}")
        self._labels = frozenset(wanted)
        self.nlp = build_nlp()
        self._matcher = SharedMatcher(self.nlp.vocab, [f.PATTERNS for f in _FINDERS])

    def extract(self, text: str) -> List[Entity]:
        """Entities in text, ordered by position; offsets index into text."""
        return self.extract_from_doc(self.nlp.make_doc(text))

    def extract_from_doc(self, doc: Doc) -> List[Entity]:
        spans = self._matcher(doc)
        claimed: "set[int]" = set()
        found: List[Entity] = []
        for finder in _FINDERS:
            found.extend(finder.find(doc, claimed, spans))
        # filtered only now: an unwanted amount must still keep its digits from the accounts
        return sorted((e for e in found if e.label in self._labels), key=lambda e: e.start)
