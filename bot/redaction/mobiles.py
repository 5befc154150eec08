"""Bare Norwegian mobile numbers the entity finder leaves: the redactor's wider net.

bot/nlu/phones.py takes an 8-digit number as a phone only next to a phone word from its
exact list, and only when no account word is nearer: right for reading intent, where a bare
8-digit number is an account number. Before storage a missed phone number costs more, so
this pass also knows the Norwegian forms ("ringe", "mobilnummeret", "telefonnummeret",
"mobilen", "tlf.nr") and takes a number written in a phone's grouping ("412 34 567",
"41 23 45 67") next to a phone word even when an account is mentioned too. An ungrouped
8-digit number with an account or ticket word nearer than the phone word stays: that is
the account number agents need.
"""

from __future__ import annotations

from typing import List, Optional

from spacy.tokens import Doc

from bot.nlu.context import ACCOUNT_WORDS, AFTER, BEFORE, PHONE_WORDS, TICKET_WORDS
from bot.nlu.tokens import char_end, claim, digit_runs
from bot.redaction.kinds import PHONE
from bot.redaction.numbers import Finding

MOBILE_FIRST_DIGITS = "49"  # Norwegian mobile numbers begin with 4 or 9
PHONE_GROUPINGS = {(3, 2, 3), (2, 2, 2, 2), (4, 4)}
# Stems of Norwegian and English phone words, inflected and compounded: "ringe", "ringer",
# "mobilnummeret", "mobiltelefon", "telefonen", "tlf.nr", "phonenumber".
PHONE_STEMS = ("ring", "mobil", "telefon", "tlf", "phone", "mob.", "cell")
_NOT_PHONE = frozenset({"ringside"})  # the odd word with a phone stem that means something else


def find(doc: Doc, claimed: "set[int]") -> List[Finding]:
    found: List[Finding] = []
    for run in digit_runs(doc, claimed):
        if run.continued or len(run.digits) != 8 or run.digits[0] not in MOBILE_FIRST_DIGITS:
            continue
        phone = _distance(doc, run.first, run.last, _is_phone_word)
        if phone is None:
            continue
        grouped_as_phone = tuple(len(g) for g in run.groups) in PHONE_GROUPINGS
        other = _distance(doc, run.first, run.last, _is_account_or_ticket_word)
        if grouped_as_phone or other is None or phone <= other:
            found.append(Finding(PHONE, doc[run.first].idx, char_end(doc, run.last)))
            claim(claimed, run.first, run.last)
    return found


def _is_phone_word(word: str) -> bool:
    return word in PHONE_WORDS or (word.startswith(PHONE_STEMS) and word not in _NOT_PHONE)


def _is_account_or_ticket_word(word: str) -> bool:
    return word in ACCOUNT_WORDS or word in TICKET_WORDS or word.startswith(("konto", "kundenum"))


def _distance(doc: Doc, first: int, last: int, matches) -> Optional[int]:
    """Token distance from first..last to the nearest word `matches` accepts, within reach;
    a placeholder the redactor left ("[phone]") is not a word the customer wrote."""
    best: Optional[int] = None
    for i in range(max(0, first - BEFORE), first):
        if matches(doc[i].lower_) and not _placeholder(doc, i):
            best = first - i
    for i in range(last + 1, min(len(doc), last + 1 + AFTER)):
        if matches(doc[i].lower_) and not _placeholder(doc, i):
            return i - last if best is None or i - last < best else best
    return best


def _placeholder(doc: Doc, i: int) -> bool:
    return 0 < i < len(doc) - 1 and doc[i - 1].text == "[" and doc[i + 1].text == "]"
