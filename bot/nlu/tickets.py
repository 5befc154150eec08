"""Ticket references: three letters and 3-6 digits, normalized to "NRD-1042"."""

from __future__ import annotations

import re
from itertools import product
from typing import List, Optional

from spacy.tokens import Doc

from bot.nlu.amounts import CURRENCIES
from bot.nlu.context import PHONE_WORDS, TICKET_WORDS, has_word_near
from bot.nlu.entity import TICKET_REF, Entity
from bot.nlu.matching import Patterns, Spans
from bot.nlu.tokens import char_end, claim, is_free, span_text

_DASHED = "TICKET_DASHED"  # "nrd-1042": unambiguous in any case
_GLUED = "TICKET_GLUED"  # "nrd1042"
_SPACED = "TICKET_SPACED"  # "NRD 1042"

# spaCy shapes: x/X per letter, d per digit, runs capped at four ("1042", "104211" -> "dddd").
_LETTERS = ["".join(cases) for cases in product("xX", repeat=3)]
_DIGITS = ["ddd", "dddd"]
PATTERNS: Patterns = {
    _DASHED: [[{"SHAPE": {"IN": [f"{p}-{d}" for p in _LETTERS for d in _DIGITS]}}]],
    _GLUED: [[{"SHAPE": {"IN": [f"{p}{d}" for p in _LETTERS for d in _DIGITS]}}]],
    _SPACED: [[{"SHAPE": {"IN": _LETTERS}}, {"SHAPE": {"IN": _DIGITS}}]],
}
_DASHED_RE = re.compile(r"([A-Za-z]{3})-(\d{3,6})")
_GLUED_RE = re.compile(r"([A-Za-z]{3})(\d{3,6})")
_DIGITS_RE = re.compile(r"\d{3,6}")

# Three-letter words that precede numbers for other reasons ("pin 1234", "NOK 1200"). spaCy's
# stop words are English, so Norwegian small words and month names are listed here: next to
# "saken" they would otherwise read as a ticket ("saken fra 2023", "sak fra mai 2024").
# fmt: off
_NOT_PREFIXES = (
    frozenset(CURRENCIES)
    | TICKET_WORDS
    | PHONE_WORDS
    | frozenset({"pin", "nro", "num", "box", "apt", "kwh", "tlf", "fax", "age", "bus", "vei"})
    | frozenset({
        "fra", "til", "ved", "med", "for", "som", "per", "den", "det", "dem", "seg", "meg", "deg",
        "oss", "var", "har", "kan", "vil", "ble", "alt", "ett", "tre", "fem", "sju", "syv", "uke",
        "dag", "mnd", "kto", "nye", "min", "din", "sin", "dei", "eit", "ein", "vel", "nei", "kap",
        "art", "kun", "jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "oct",
        "nov", "des", "dec",
    })
)
# fmt: on
_CURRENCY_CODES = frozenset(c for c in CURRENCIES if len(c) == 3)
_YEAR = re.compile(r"(19|20)\d\d")


def find(doc: Doc, claimed: "set[int]", spans: Spans) -> List[Entity]:
    """Ticket references in doc; claims their tokens."""
    found = []
    for kind in (_DASHED, _GLUED, _SPACED):
        for first, end in spans.get(kind, ()):
            last = end - 1
            if not is_free(claimed, first, last):
                continue
            value = _read(doc, kind, first, last)
            if value is not None:
                text = span_text(doc, first, last)
                found.append(Entity(TICKET_REF, doc[first].idx, char_end(doc, last), text, value))
                claim(claimed, first, last)
    return found


def _read(doc: Doc, kind: str, first: int, last: int) -> Optional[str]:
    """The normalized reference, or None when the tokens only look like one."""
    if kind == _DASHED:
        match = _DASHED_RE.fullmatch(doc[first].text)
        if match is None or match.group(1).lower() in _CURRENCY_CODES:
            return None
        return f"{match.group(1).upper()}-{match.group(2)}"
    if kind == _GLUED:
        match = _GLUED_RE.fullmatch(doc[first].text)
        if match is None:
            return None
        prefix, number = match.groups()
    else:
        prefix, number = doc[first].text, doc[last].text
        if doc[first].whitespace_ != " " or not prefix.isascii() or not _DIGITS_RE.fullmatch(number):
            return None
    if prefix.lower() in _NOT_PREFIXES or doc.vocab[prefix.lower()].is_stop:
        return None
    if has_word_near(doc, first, last, TICKET_WORDS, before=4, after=2):
        return f"{prefix.upper()}-{number}"
    # capitals alone are enough, but "SAS 2024" is more likely a year than a ticket
    if prefix.isupper() and not (kind == _SPACED and _YEAR.fullmatch(number)):
        return f"{prefix}-{number}"
    return None
