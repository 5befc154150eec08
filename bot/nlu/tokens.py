"""Token-level helpers shared by the finders: how tokens join into one written number."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from spacy.tokens import Doc, Token

# Non-breaking and thin spaces are common inside numbers ("1 200 kr"); spaCy keeps them
# as tokens of their own instead of trailing whitespace.
_SPACE_TOKENS = frozenset({"\u00a0", "\u202f", "\u2009"})
DASH = "-"
SPACE = " "


def is_digits(token: Token) -> bool:
    """ASCII digits only: superscripts and other Unicode digits are not part of numbers here."""
    text = token.text
    return text.isascii() and text.isdigit()


def char_end(doc: Doc, last: int) -> int:
    token = doc[last]
    return token.idx + len(token.text)


def span_text(doc: Doc, first: int, last: int) -> str:
    """Text of tokens first..last; cheaper than slicing doc.text, which rebuilds the whole text."""
    return doc[first : last + 1].text


def joined_next(doc: Doc, i: int, allow_dash: bool = True) -> Optional[Tuple[int, str]]:
    """The token that continues token i after exactly one space (or one dash, no spaces).

    Returns (index, separator) or None when token i is the end of the written group sequence.
    """
    n = len(doc)
    token = doc[i]
    if token.whitespace_:
        return (i + 1, SPACE) if i + 1 < n else None
    if i + 2 >= n:
        return None
    between = doc[i + 1]
    if between.whitespace_:
        return None
    if between.text in _SPACE_TOKENS:
        return i + 2, SPACE
    if allow_dash and between.text == DASH:
        return i + 2, DASH
    return None


def joined_previous(doc: Doc, i: int, allow_dash: bool = True) -> Optional[Tuple[int, str]]:
    """Mirror of `joined_next`: the token that token i continues, if any."""
    if i < 1:
        return None
    before = doc[i - 1]
    if before.whitespace_:
        return i - 1, SPACE
    if i < 2 or doc[i - 2].whitespace_:
        return None
    if before.text in _SPACE_TOKENS:
        return i - 2, SPACE
    if allow_dash and before.text == DASH:
        return i - 2, DASH
    return None


def glued_to_previous(doc: Doc, i: int) -> bool:
    """True when token i is written straight onto a preceding word or number ("+47-912...")."""
    if i < 1:
        return False
    before = doc[i - 1]
    if before.whitespace_:
        return False
    if before.text[-1:].isalnum():
        return True
    # a dash glued on both sides continues whatever precedes it
    return before.text == DASH and i >= 2 and not doc[i - 2].whitespace_ and doc[i - 2].text[-1:].isalnum()


@dataclass(frozen=True)
class DigitRun:
    """Digit groups written as one number: "12 345 678", "1234-5678", "91234567"."""

    first: int  # token index of the first group
    last: int  # token index of the last group (inclusive)
    groups: Tuple[str, ...]
    group_tokens: Tuple[int, ...]
    separator: str  # SPACE, DASH, or "" for a single group
    # more digits follow behind a different separator ("1234 5678-9999"): part of a longer number
    continued: bool = False

    @property
    def digits(self) -> str:
        return "".join(self.groups)

    def sub_run(self, start: int, stop: int) -> "DigitRun":
        """Groups start..stop-1 as a run of their own."""
        tokens = self.group_tokens[start:stop]
        return DigitRun(
            first=tokens[0],
            last=tokens[-1],
            groups=self.groups[start:stop],
            group_tokens=tokens,
            separator=self.separator if stop - start > 1 else "",
        )


def collect_run(doc: Doc, i: int, claimed: "set[int]") -> DigitRun:
    """The longest run of digit groups starting at token i (which must be digits).

    Groups join with one space or one dash, the same separator throughout.
    """
    groups = [doc[i].text]
    tokens = [i]
    separator = ""
    continued = False
    while True:
        step = joined_next(doc, tokens[-1])
        if step is None:
            break
        j, sep = step
        if j in claimed or not is_digits(doc[j]):
            break
        if separator and sep != separator:
            continued = True
            break
        separator = sep
        groups.append(doc[j].text)
        tokens.append(j)
    return DigitRun(i, tokens[-1], tuple(groups), tuple(tokens), separator, continued)


def digit_runs(doc: Doc, claimed: "set[int]") -> "list[DigitRun]":
    """All maximal digit runs made of unclaimed tokens, left to right."""
    runs = []
    i = 0
    n = len(doc)
    while i < n:
        if i in claimed or not is_digits(doc[i]) or glued_to_previous(doc, i):
            i += 1
            continue
        run = collect_run(doc, i, claimed)
        runs.append(run)
        i = run.last + 1
    return runs


def claim(claimed: "set[int]", first: int, last: int) -> None:
    claimed.update(range(first, last + 1))


def is_free(claimed: "set[int]", first: int, last: int) -> bool:
    return not any(i in claimed for i in range(first, last + 1))
