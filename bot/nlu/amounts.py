"""Money amounts with a currency: "450 kr", "NOK 1 200,50", "£12.50", "12.50 pounds", "450,-"."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import List, Optional, Sequence, Tuple

from spacy.tokens import Doc

from bot.nlu.entity import AMOUNT, Entity
from bot.nlu.matching import Patterns, Spans
from bot.nlu.tokens import (
    char_end,
    claim,
    glued_to_previous,
    is_free,
    joined_next,
    joined_previous,
    span_text,
)

# "kr" is Norwegian first: the product serves Norwegian and UK firms.
# fmt: off
CURRENCIES = {
    "kr": "NOK", "kroner": "NOK", "krone": "NOK", "nok": "NOK", "nkr": "NOK",
    "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "quid": "GBP",
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD",
    "sek": "SEK", "dkk": "DKK",
}
# fmt: on
_SYMBOLS = frozenset({"£", "€", "$"})

_NUMBER_TOKEN = re.compile(r"\d[\d.,]*(?:[.,]-)?")
_LEADING_GROUP = re.compile(r"\d{1,3}")
_INNER_GROUP = re.compile(r"\d{3}")
_LAST_GROUP = re.compile(r"(\d{3})(?:[.,](\d{1,2})|[.,]-)?")
_WHOLE = re.compile(r"(\d+)(?:[.,]-)?")
_CENT = Decimal("0.01")
_MAX_GROUPS = 6


def parse_amount(texts: Sequence[str]) -> Optional[Decimal]:
    """The value of a number written as the given space-separated tokens, or None.

    Accepts "450", "450,-", "1 200,50", "1.200", "1,200.50", "12,5"; rejects dates and
    anything else that is not unambiguously one money figure.
    """
    if len(texts) == 1:
        return _parse_single(texts[0])
    if not _LEADING_GROUP.fullmatch(texts[0]):
        return None
    if not all(_INNER_GROUP.fullmatch(t) for t in texts[1:-1]):
        return None
    last = _LAST_GROUP.fullmatch(texts[-1])
    if last is None:
        return None
    whole = "".join(texts[:-1]) + last.group(1)
    return _value(whole, last.group(2) or "")


def _parse_single(text: str) -> Optional[Decimal]:
    whole = _WHOLE.fullmatch(text)
    if whole:
        return _value(whole.group(1), "")
    if not _NUMBER_TOKEN.fullmatch(text):
        return None
    whole_only = text.endswith("-")
    body = text[:-2] if whole_only else text
    separators = [c for c in body if c in ".,"]
    if len(set(separators)) == 2:
        decimal_sep = body[max(body.rfind("."), body.rfind(","))]
        integer, fraction = body.rsplit(decimal_sep, 1)
        thousands = "," if decimal_sep == "." else "."
        return _grouped(integer.split(thousands), fraction, whole_only)
    separator = separators[0]
    parts = body.split(separator)
    if len(parts) > 2 or len(parts[1]) == 3:
        return _grouped(parts, "", whole_only)  # "1.200", "1,200,000": thousands
    if len(parts[1]) in (1, 2) and not whole_only:
        return _value(parts[0], parts[1])  # "12,5", "12.50": decimals
    return None


def _grouped(groups: List[str], fraction: str, whole_only: bool) -> Optional[Decimal]:
    if whole_only and fraction:
        return None
    if not _LEADING_GROUP.fullmatch(groups[0]) or not all(_INNER_GROUP.fullmatch(g) for g in groups[1:]):
        return None
    if fraction and not re.fullmatch(r"\d{1,2}", fraction):
        return None
    return _value("".join(groups), fraction)


def _value(integer: str, fraction: str) -> Decimal:
    return Decimal(f"{integer}.{fraction or '0'}").quantize(_CENT)


_CURRENCY = "AMOUNT_CURRENCY"
# "450,-", "1 200,-": in Norwegian ",-" after a number marks whole kroner, no currency needed.
_WHOLE_KRONER = "AMOUNT_WHOLE_KRONER"
PATTERNS: Patterns = {
    _CURRENCY: [[{"LOWER": {"IN": sorted(CURRENCIES)}}]],
    _WHOLE_KRONER: [[{"TEXT": {"REGEX": r"^\d[\d.]*,-$"}}]],
}
_KRONER = "NOK"


def find(doc: Doc, claimed: "set[int]", spans: Spans) -> List[Entity]:
    """Amounts in doc, read from the number beside each currency word or marked ",-"; claims their tokens."""
    found = []
    for c, _ in spans.get(_CURRENCY, ()):
        if c in claimed:
            continue
        # "450 kr", "12.50 pounds" but "£12.50", "$1,200.50"
        readers = (_number_after, _number_before) if doc[c].text in _SYMBOLS else (_number_before, _number_after)
        for read in readers:
            number = read(doc, c, claimed)
            if number is None:
                continue
            first, last, value = number
            first, last = min(first, c), max(last, c)
            found.append(_amount(doc, first, last, value, CURRENCIES[doc[c].lower_]))
            claim(claimed, first, last)
            break
    # after the currency words, which may already own the number ("kr 450,-")
    for _, end in spans.get(_WHOLE_KRONER, ()):
        number = _whole_kroner(doc, end - 1, claimed)
        if number is not None:
            first, last, value = number
            found.append(_amount(doc, first, last, value, _KRONER))
            claim(claimed, first, last)
    return found


def _amount(doc: Doc, first: int, last: int, value: Decimal, code: str) -> Entity:
    amount = str(value)
    return Entity(
        AMOUNT,
        doc[first].idx,
        char_end(doc, last),
        span_text(doc, first, last),
        f"{amount} {code}",
        {"amount": amount, "currency": code},
    )


def _whole_kroner(doc: Doc, last: int, claimed: "set[int]") -> Optional[Tuple[int, int, Decimal]]:
    """The number ending in the ",-" token `last`, with the groups written before it ("1 200,-")."""
    if last in claimed:
        return None
    tokens = [last]
    while len(tokens) < _MAX_GROUPS:
        previous = joined_previous(doc, tokens[0], allow_dash=False)
        if previous is None or previous[0] in claimed or not _NUMBER_TOKEN.fullmatch(doc[previous[0]].text):
            break
        tokens.insert(0, previous[0])
    for k in range(len(tokens)):
        chosen = tokens[k:]
        if glued_to_previous(doc, chosen[0]):
            continue
        value = parse_amount([doc[i].text for i in chosen])
        if value is not None:
            return chosen[0], chosen[-1], value
    return None


def _number_before(doc: Doc, c: int, claimed: "set[int]") -> Optional[Tuple[int, int, Decimal]]:
    """The number right before currency token c: "450 kr", "450kr", "1 200,50 NOK"."""
    step = joined_previous(doc, c, allow_dash=False)
    if step is None and c >= 1 and not doc[c - 1].whitespace_:
        step = (c - 1, "")  # "450kr" was split by the tokenizer
    if step is None:
        return None
    tokens = [step[0]]
    while len(tokens) < _MAX_GROUPS:
        previous = joined_previous(doc, tokens[0], allow_dash=False)
        if previous is None or not _NUMBER_TOKEN.fullmatch(doc[previous[0]].text):
            break
        tokens.insert(0, previous[0])
    # the longest tail that reads as one number: "account 12345678 450 kr" -> "450"
    for k in range(len(tokens)):
        chosen = tokens[k:]
        if not is_free(claimed, chosen[0], chosen[-1]) or glued_to_previous(doc, chosen[0]):
            continue
        value = parse_amount([doc[i].text for i in chosen])
        if value is not None:
            return chosen[0], chosen[-1], value
    return None


def _number_after(doc: Doc, c: int, claimed: "set[int]") -> Optional[Tuple[int, int, Decimal]]:
    """The number right after currency token c: "NOK 1 200,50", "kr. 450,-", "£12.50"."""
    i = c + 1
    if i < len(doc) and doc[i].text == "." and not doc[c].whitespace_:
        i += 1  # "kr. 450"
    if i >= len(doc) or i in claimed or not _NUMBER_TOKEN.fullmatch(doc[i].text):
        return None
    tokens = [i]
    while len(tokens) < _MAX_GROUPS:
        following = joined_next(doc, tokens[-1], allow_dash=False)
        if following is None or following[0] in claimed or not _NUMBER_TOKEN.fullmatch(doc[following[0]].text):
            break
        tokens.append(following[0])
    # the longest head that reads as one number
    for k in range(len(tokens), 0, -1):
        chosen = tokens[:k]
        value = parse_amount([doc[i].text for i in chosen])
        if value is not None:
            return chosen[0], chosen[-1], value
    return None
