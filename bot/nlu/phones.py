"""Phone numbers, normalized to E.164 ("+4791234567") where the country is known.

Written forms: "+47 912 34 567", "+4791234567", "0047 91234567", "+44 (0)20 7946 0958",
UK national "020 7946 0958", and Norwegian national "912 34 567" -- the last only next to a
phone word, because a bare 8-digit number is an account number in this product.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from spacy.tokens import Doc

from bot.nlu.context import phone_context
from bot.nlu.entity import PHONE, Entity
from bot.nlu.matching import Patterns, Spans
from bot.nlu.tokens import (
    SPACE,
    DigitRun,
    char_end,
    claim,
    collect_run,
    digit_runs,
    glued_to_previous,
    is_digits,
    joined_next,
    joined_previous,
    span_text,
)

# National significant number lengths (min, max) for the countries our customers call from.
# fmt: off
NATIONAL_LENGTHS: Dict[str, Tuple[int, int]] = {
    "47": (8, 8), "46": (7, 9), "45": (8, 8), "358": (5, 10), "354": (7, 7),
    "44": (9, 10), "353": (7, 9), "49": (6, 11), "31": (9, 9), "33": (9, 9),
    "34": (9, 9), "39": (6, 11), "48": (9, 9), "370": (8, 8), "371": (8, 8),
    "372": (7, 8), "1": (10, 10), "91": (10, 10), "63": (10, 10),
}
# fmt: on
_E164_MIN, _E164_MAX = 8, 15

_PLUS = "PHONE_PLUS"
# "+47", "+4791234567": shapes cap digit runs at four
PATTERNS: Patterns = {_PLUS: [[{"SHAPE": {"IN": ["+d", "+dd", "+ddd", "+dddd"]}}]]}
_PLUS_RE = re.compile(r"\+\d{1,15}")
_COUNTRY_CODE = re.compile(r"\+\d{1,3}")


def find(doc: Doc, claimed: "set[int]", spans: Spans) -> List[Entity]:
    """Phone numbers in doc; claims their tokens."""
    found = find_international(doc, claimed, spans) + find_national(doc, claimed)
    found.sort(key=lambda e: e.start)
    return found


def find_international(doc: Doc, claimed: "set[int]", spans: Spans) -> List[Entity]:
    """Numbers with a country code ("+47 ...", "0047 ..."): phones by their shape alone."""
    found: List[Entity] = []
    for i, _ in spans.get(_PLUS, ()):
        if i not in claimed and _PLUS_RE.fullmatch(doc[i].text) and not glued_to_previous(doc, i):
            _international(doc, i, claimed, found)
    for run in digit_runs(doc, claimed):
        if run.digits.startswith("00"):
            _double_zero(doc, run, claimed, found)
    return found


def find_national(doc: Doc, claimed: "set[int]") -> List[Entity]:
    """Numbers without a country code: Norwegian ones need a phone word nearby."""
    found: List[Entity] = []
    for run in digit_runs(doc, claimed):
        _national(doc, run, claimed, found)
    return found


def to_e164(digits: str, country: Optional[str] = None) -> Optional[str]:
    """"+<digits>" when digits (country code first) are a plausible international number.

    `country` is the code when the writer separated it ("+47 ..."); otherwise it is read off
    the front of the digits using the known codes.
    """
    if not _E164_MIN <= len(digits) <= _E164_MAX or digits.startswith("0"):
        return None
    codes = [country] if country else [digits[:n] for n in (1, 2, 3)]
    known = [code for code in codes if code in NATIONAL_LENGTHS]
    if not known:
        return f"+{digits}"  # a country we do not know: trust the writer's "+"
    for code in known:
        low, high = NATIONAL_LENGTHS[code]
        national = digits[len(code) :]
        if low <= len(national) <= high and not national.startswith("0"):
            return f"+{digits}"
    return None


def follows_country_code(doc: Doc, first: int) -> bool:
    """Token `first` comes right after a "+47"-style country code: it is part of a phone."""
    step = joined_previous(doc, first)
    return step is not None and _COUNTRY_CODE.fullmatch(doc[step[0]].text) is not None


def _international(doc: Doc, plus: int, claimed: "set[int]", found: List[Entity]) -> None:
    """"+47 912 34 567", "+4791234567", "+44 (0)20 7946 0958"."""
    head = doc[plus].text[1:]
    country = head if len(head) <= 3 else None
    following = _groups_after(doc, plus, claimed)
    # take as many following groups as still make a valid number
    for k in range(len(following), -1, -1):
        taken = following[:k]
        digits = head + "".join(doc[t].text for t in taken)
        number = to_e164(digits, country)
        if number is not None:
            _add(doc, plus, taken[-1] if taken else plus, number, claimed, found)
            return


def _groups_after(doc: Doc, plus: int, claimed: "set[int]") -> List[int]:
    i = plus + 1
    # "(0)": the UK trunk prefix written inside an international number is dropped
    if i + 2 < len(doc) and doc[i].text == "(" and doc[i + 1].text == "0" and doc[i + 2].text == ")":
        i += 3
        if i >= len(doc) or not is_digits(doc[i]) or i in claimed:
            return []
        return list(collect_run(doc, i, claimed).group_tokens)
    step = joined_next(doc, plus)
    if step is None or step[0] in claimed or not is_digits(doc[step[0]]):
        return []
    return list(collect_run(doc, step[0], claimed).group_tokens)


def _double_zero(doc: Doc, run: DigitRun, claimed: "set[int]", found: List[Entity]) -> None:
    """"0047 91234567": international with 00 instead of +."""
    groups = run.groups
    country = groups[0][2:] if 3 <= len(groups[0]) <= 5 else None
    for k in range(len(groups), 0, -1):
        number = to_e164("".join(groups[:k])[2:], country)
        if number is not None:
            _add(doc, run.first, run.group_tokens[k - 1], number, claimed, found)
            return


def _national(doc: Doc, run: DigitRun, claimed: "set[int]", found: List[Entity]) -> None:
    digits = run.digits
    groups = run.groups
    number: Optional[str] = None
    if run.continued:
        return
    if len(digits) == 8 and digits[0] in "23456789" and phone_context(doc, run.first, run.last):
        number = "+47" + digits  # a Norwegian number: 8 digits, no trunk prefix
    elif len(digits) in (10, 11) and digits[0] == "0" and digits[1] != "0":
        uk_grouping = run.separator == SPACE and 3 <= len(groups[0]) <= 5 and len(groups[0]) < len(digits)
        if uk_grouping or phone_context(doc, run.first, run.last):
            number = "+44" + digits[1:]  # UK national, trunk 0 dropped
    if number is not None:
        _add(doc, run.first, run.last, number, claimed, found)


def _add(doc: Doc, first: int, last: int, number: str, claimed: "set[int]", found: List[Entity]) -> None:
    start, end = doc[first].idx, char_end(doc, last)
    found.append(Entity(PHONE, start, end, span_text(doc, first, last), number))
    claim(claimed, first, last)
