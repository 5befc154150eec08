"""Cards, fødselsnumre and bank accounts (Norwegian and IBAN): numbers that pass their checksum."""

from __future__ import annotations

import re
from typing import List, NamedTuple, Optional

from spacy.tokens import Doc

from bot.nlu.context import ACCOUNT_WORDS, has_word_near
from bot.nlu.matching import Patterns, Spans
from bot.nlu.tokens import DigitRun, char_end, claim, digit_runs, joined_next
from bot.redaction.checksums import fodselsnummer_valid, iban_valid, luhn_valid, norwegian_bank_account_valid
from bot.redaction.kinds import BANK_ACCOUNT, CARD, NATIONAL_ID

_IBAN_START = "IBAN_START"  # "NO93" of "NO93 8601 1117 947"
_IBAN_COMPACT = "IBAN_COMPACT"  # "NO9386011117947"
_DOTTED_ACCOUNT = "DOTTED_ACCOUNT"  # "8601.11.17947"
PATTERNS: Patterns = {
    _IBAN_START: [[{"SHAPE": {"IN": ["XXdd", "xxdd", "Xxdd", "xXdd"]}}]],
    _IBAN_COMPACT: [[{"LENGTH": {">=": 15, "<=": 34}, "IS_ALPHA": False, "IS_DIGIT": False}]],
    _DOTTED_ACCOUNT: [[{"SHAPE": "dddd.dd.dddd"}]],
}
_IBAN_TOKEN = re.compile(r"[A-Za-z]{2}\d{2}[A-Za-z0-9]{11,30}")
_IBAN_GROUP = re.compile(r"[A-Za-z0-9]{1,4}")
_IBAN_MAX = 34
_DOTTED_RE = re.compile(r"\d{4}\.\d{2}\.\d{5}")

_CARD_LENGTHS = range(13, 20)
_MAX_GROUPS = 6  # longest grouping looked at inside a run: 19 digits as 4-4-4-4-3


class Finding(NamedTuple):
    kind: str
    start: int
    end: int


def find(doc: Doc, claimed: "set[int]", spans: Spans) -> List[Finding]:
    """IBANs, dotted bank accounts, then cards / fødselsnumre / bank accounts in digit runs;
    claims their tokens."""
    found = _ibans(doc, claimed, spans)
    for i, _ in spans.get(_DOTTED_ACCOUNT, ()):
        text = doc[i].text
        if i not in claimed and _DOTTED_RE.fullmatch(text) and norwegian_bank_account_valid(text.replace(".", "")):
            found.append(Finding(BANK_ACCOUNT, doc[i].idx, char_end(doc, i)))
            claimed.add(i)
    for run in digit_runs(doc, claimed):
        found.extend(_in_run(doc, run, claimed))
    return found


def classify_run(doc: Doc, run: DigitRun) -> Optional[str]:
    """The sensitive kind a digit run is, judged by its grouping and check digits."""
    digits = run.digits
    sizes = tuple(len(g) for g in run.groups)
    if len(digits) in _CARD_LENGTHS and _card_grouping(sizes) and luhn_valid(digits):
        return CARD
    if len(digits) != 11:
        return None
    if sizes == (4, 2, 5):
        # the bank's own 4.2.5 grouping decides, even for digits that are also a fødselsnummer
        return BANK_ACCOUNT if norwegian_bank_account_valid(digits) else None
    if sizes not in ((11,), (6, 5)):
        return None
    if fodselsnummer_valid(digits):
        # every fødselsnummer also passes the bank MOD11, so only an account word beside a
        # plain 11-digit number makes it a bank account
        if sizes == (11,) and has_word_near(doc, run.first, run.last, ACCOUNT_WORDS):
            return BANK_ACCOUNT
        return NATIONAL_ID
    if sizes == (11,) and norwegian_bank_account_valid(digits):
        return BANK_ACCOUNT
    return None


def _card_grouping(sizes: "tuple[int, ...]") -> bool:
    """One block, groups of four (last one shorter), or Amex/Diners 4-6-5 / 4-6-4."""
    if len(sizes) == 1 or sizes in ((4, 6, 5), (4, 6, 4)):
        return True
    return all(s == 4 for s in sizes[:-1]) and 1 <= sizes[-1] <= 4


def _ibans(doc: Doc, claimed: "set[int]", spans: Spans) -> List[Finding]:
    found = []
    for i, _ in spans.get(_IBAN_COMPACT, ()):
        if i not in claimed and _IBAN_TOKEN.fullmatch(doc[i].text) and iban_valid(doc[i].text):
            found.append(Finding(BANK_ACCOUNT, doc[i].idx, char_end(doc, i)))
            claimed.add(i)
    for i, _ in spans.get(_IBAN_START, ()):
        if i in claimed:
            continue
        tokens = [i]
        length = len(doc[i].text)
        while length < _IBAN_MAX:
            step = joined_next(doc, tokens[-1], allow_dash=False)
            if step is None or step[0] in claimed or not _IBAN_GROUP.fullmatch(doc[step[0]].text):
                break
            tokens.append(step[0])
            length += len(doc[step[0]].text)
        # the country's fixed length picks how many of the following groups belong to it
        for k in range(len(tokens), 1, -1):
            if iban_valid("".join(doc[t].text for t in tokens[:k])):
                found.append(Finding(BANK_ACCOUNT, doc[i].idx, char_end(doc, tokens[k - 1])))
                claim(claimed, i, tokens[k - 1])
                break
    return found


def _in_run(doc: Doc, run: DigitRun, claimed: "set[int]") -> List[Finding]:
    """Longest classifiable stretch of groups first, left to right: one run may hold a
    fødselsnummer followed by an unrelated number ("15038512363 12345678")."""
    found = []
    n = len(run.groups)
    i = 0
    while i < n:
        for j in range(min(n, i + _MAX_GROUPS), i, -1):
            part = run if (i, j) == (0, n) else run.sub_run(i, j)
            kind = classify_run(doc, part)
            if kind is not None:
                found.append(Finding(kind, doc[part.first].idx, char_end(doc, part.last)))
                claim(claimed, part.first, part.last)
                i = j
                break
        else:
            i += 1
    return found
