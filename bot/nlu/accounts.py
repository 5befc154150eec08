"""Customer account numbers: exactly 8 digits, possibly grouped ("12 345 678", "1234-5678")."""

from __future__ import annotations

from datetime import date
from typing import List

from spacy.tokens import Doc

from bot.nlu.entity import ACCOUNT_NUMBER, Entity
from bot.nlu.matching import Patterns, Spans
from bot.nlu.phones import follows_country_code
from bot.nlu.tokens import SPACE, DigitRun, char_end, claim, digit_runs, span_text

ACCOUNT_DIGITS = 8
PATTERNS: Patterns = {}  # accounts are read off digit runs, not matched

# Readings, not identifiers: "12345678 kWh".
_UNITS = frozenset(
    {"kwh", "kw", "wh", "mwh", "kg", "g", "km", "m", "m3", "m²", "m³", "l", "ml", "cm", "mm", "%"}
    | {"liter", "litre", "litres", "liters"}
)


def is_account_run(doc: Doc, run: DigitRun) -> bool:
    """Whether an unclaimed digit run reads as an account number (and nothing else)."""
    if run.continued or len(run.digits) != ACCOUNT_DIGITS:
        return False
    sizes = tuple(len(g) for g in run.groups)
    if len(sizes) > 1 and not (2 <= len(sizes) <= 4 and all(2 <= s <= 4 for s in sizes)):
        return False
    if _is_date(run.groups):
        return False
    if follows_country_code(doc, run.first) or _followed_by_unit(doc, run.last):
        return False
    return True


def _is_date(groups: "tuple[str, ...]") -> bool:
    """"12-05-2024", "2024 05 12": day-month-year or year-month-day that is a real date."""
    sizes = tuple(len(g) for g in groups)
    if sizes == (2, 2, 4):
        day, month, year = groups
    elif sizes == (4, 2, 2):
        year, month, day = groups
    else:
        return False
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def _followed_by_unit(doc: Doc, last: int) -> bool:
    return last + 1 < len(doc) and doc[last + 1].lower_ in _UNITS


def find(doc: Doc, claimed: "set[int]", spans: Spans) -> List[Entity]:
    """Account numbers among the digit runs nobody else claimed; claims their tokens."""
    found = []
    for run in digit_runs(doc, claimed):
        for candidate in _split_listed_accounts(run):
            if is_account_run(doc, candidate):
                first, last = candidate.first, candidate.last
                text = span_text(doc, first, last)
                found.append(Entity(ACCOUNT_NUMBER, doc[first].idx, char_end(doc, last), text, candidate.digits))
                claim(claimed, first, last)
    return found


def _split_listed_accounts(run: DigitRun) -> "list[DigitRun]":
    """"12345678 87654321" lists two accounts rather than writing one 16-digit number."""
    if len(run.groups) > 1 and run.separator == SPACE and all(len(g) == ACCOUNT_DIGITS for g in run.groups):
        return [run.sub_run(k, k + 1) for k in range(len(run.groups))]
    return [run]
