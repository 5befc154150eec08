"""One spaCy Matcher pass per message for the token patterns of every finder."""

from __future__ import annotations

from typing import Dict, Iterable, List, Mapping, Tuple

from spacy.matcher import Matcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

# A finder's token patterns by match label; labels are unique across finders.
Patterns = Mapping[str, List[List[dict]]]
# Matched token spans (start, end) by label, in text order.
Spans = Dict[str, List[Tuple[int, int]]]


class SharedMatcher:
    """Runs the patterns of several finders in a single Matcher call per doc."""

    def __init__(self, vocab: Vocab, pattern_sets: Iterable[Patterns]) -> None:
        self._matcher = Matcher(vocab)
        for patterns in pattern_sets:
            for label, token_patterns in patterns.items():
                if label in self._matcher:
                    raise ValueError(f"match label {label!r} is used by two finders")
                self._matcher.add(label, token_patterns)

    def __call__(self, doc: Doc) -> Spans:
        spans: Spans = {}
        strings = doc.vocab.strings
        for match_id, start, end in self._matcher(doc):
            spans.setdefault(strings[match_id], []).append((start, end))
        for found in spans.values():
            found.sort()
        return spans
