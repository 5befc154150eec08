"""Postcodes, the second identity factor: Norwegian "0150", UK "BS1 4DJ".

A Norwegian postcode is four digits, which is also a year, a PIN, a meter reading or a price,
so it needs evidence: a postcode word nearby ("postnummeret er 0150", "postnr: 0150",
"postcode 0150") or a place name right after it ("0150 Oslo"). A UK postcode has a shape of
its own but is only read when written in capitals or next to a postcode word.
"""

from __future__ import annotations

import re
from typing import List, Optional

from spacy.tokens import Doc

from bot.nlu.context import POSTCODE_WORDS, has_word_near
from bot.nlu.entity import POSTCODE, Entity
from bot.nlu.matching import Patterns, Spans
from bot.nlu.tokens import char_end, claim, digit_runs, is_free, span_text

NO_DIGITS = 4
_YEAR = re.compile(r"(19|20)\d\d")
# Capitalised words after four digits that are not places ("2024 Kroner", "1200 NOK").
# fmt: off
_NOT_PLACES = frozenset({
    "kr", "kroner", "nok", "kwh", "mbit", "gbit", "januar", "februar", "mars", "april", "mai",
    "juni", "juli", "august", "september", "oktober", "november", "desember", "mandag",
    "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag", "og", "eller", "er", "i",
})
# fmt: on

_UK_SPACED = "POSTCODE_UK_SPACED"  # "BS1 4DJ", "SW1A 1AA"
_UK_GLUED = "POSTCODE_UK_GLUED"  # "BS14DJ"
_OUTWARD = r"[A-Za-z]{1,2}\d[A-Za-z\d]?"
# The inward code's letters never include C, I, K, M, O or V.
_INWARD = r"\d[ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2}"
PATTERNS: Patterns = {
    _UK_SPACED: [[{"TEXT": {"REGEX": rf"^{_OUTWARD}$"}}, {"TEXT": {"REGEX": rf"^{_INWARD}$"}}]],
    _UK_GLUED: [[{"TEXT": {"REGEX": rf"^{_OUTWARD}{_INWARD}$"}}]],
}
_UK_GLUED_RE = re.compile(rf"({_OUTWARD})({_INWARD})")
# Sizes, not inward codes: "MP3 4GB", "PS5 2TB".
_NOT_INWARD = frozenset({"GB", "TB"})


def find(doc: Doc, claimed: "set[int]", spans: Spans) -> List[Entity]:
    """Postcodes in doc; claims their tokens."""
    found = _uk(doc, claimed, spans) + _norwegian(doc, claimed)
    found.sort(key=lambda e: e.start)
    return found


def _norwegian(doc: Doc, claimed: "set[int]") -> List[Entity]:
    found = []
    for run in digit_runs(doc, claimed):
        if run.continued or len(run.groups) != 1 or len(run.digits) != NO_DIGITS:
            continue
        i = run.first
        if has_word_near(doc, i, i, POSTCODE_WORDS, before=4, after=2) or _place_follows(doc, i):
            found.append(Entity(POSTCODE, doc[i].idx, char_end(doc, i), doc[i].text, doc[i].text))
            claim(claimed, i, i)
    return found


def _place_follows(doc: Doc, i: int) -> bool:
    """"0150 Oslo", "5003 BERGEN": a capitalised word follows; a year ("2019 Fjordnett") does not count."""
    if i + 1 >= len(doc) or not doc[i].whitespace_ or _YEAR.fullmatch(doc[i].text):
        return False
    place = doc[i + 1].text
    return len(place) >= 2 and place.isalpha() and place[0].isupper() and place.lower() not in _NOT_PLACES


def _uk(doc: Doc, claimed: "set[int]", spans: Spans) -> List[Entity]:
    found = []
    for kind in (_UK_SPACED, _UK_GLUED):
        for first, end in spans.get(kind, ()):
            last = end - 1
            if not is_free(claimed, first, last):
                continue
            value = _uk_value(doc, kind, first, last)
            if value is not None:
                found.append(Entity(POSTCODE, doc[first].idx, char_end(doc, last), span_text(doc, first, last), value))
                claim(claimed, first, last)
    return found


def _uk_value(doc: Doc, kind: str, first: int, last: int) -> Optional[str]:
    """"BS1 4DJ" normalized, or None when the tokens only look like a postcode."""
    if kind == _UK_SPACED:
        if doc[first].whitespace_ != " ":
            return None
        outward, inward = doc[first].text, doc[last].text
    else:
        match = _UK_GLUED_RE.fullmatch(doc[first].text)
        if match is None:
            return None
        outward, inward = match.groups()
    written = outward + inward
    if inward[1:].upper() in _NOT_INWARD:
        return None
    if not (written.isupper() or has_word_near(doc, first, last, POSTCODE_WORDS, before=4, after=2)):
        return None
    return f"{outward.upper()} {inward.upper()}"
