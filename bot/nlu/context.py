"""Context words: the words around a number that tell what kind of number it is."""

from __future__ import annotations

from typing import FrozenSet, Optional

from spacy.tokens import Doc

# fmt: off
PHONE_WORDS = frozenset(
    {
        "call", "calls", "calling", "ring", "phone", "phones", "telephone", "tel", "tlf",
        "mobile", "mob", "mobil", "cell", "cellphone", "text", "sms", "whatsapp", "reach",
        "contact", "telefon", "telefonnummer", "mobilnummer", "landline", "fax",
    }
)
ACCOUNT_WORDS = frozenset(
    {
        "account", "acct", "acc", "konto", "kontonr", "kontonummer", "kundenummer",
        "kundenr", "customer", "membership", "member", "contract", "avtale", "avtalenummer",
        "bank", "iban",
    }
)
# fmt: on
TICKET_WORDS = frozenset(
    {"ticket", "tickets", "case", "ref", "reference", "sak", "saken", "saksnummer", "referanse"}
)

BEFORE = 6  # tokens looked at before a number
AFTER = 3  # tokens looked at after it ("91234567 is my mobile")


def nearest_word_distance(
    doc: Doc, first: int, last: int, words: FrozenSet[str], before: int = BEFORE, after: int = AFTER
) -> Optional[int]:
    """Token distance from the span first..last to the closest word in `words`, if in reach."""
    best: Optional[int] = None
    for i in range(max(0, first - before), first):
        if doc[i].lower_ in words and not _in_placeholder(doc, i):
            best = first - i  # later hits are nearer
    for i in range(last + 1, min(len(doc), last + 1 + after)):
        if doc[i].lower_ in words and not _in_placeholder(doc, i):
            distance = i - last
            return distance if best is None or distance < best else best
    return best


def _in_placeholder(doc: Doc, i: int) -> bool:
    """"[phone]" left by the redactor is not a word the customer wrote."""
    return 0 < i < len(doc) - 1 and doc[i - 1].text == "[" and doc[i + 1].text == "]"


def has_word_near(
    doc: Doc, first: int, last: int, words: FrozenSet[str], before: int = BEFORE, after: int = AFTER
) -> bool:
    return nearest_word_distance(doc, first, last, words, before, after) is not None


def phone_context(doc: Doc, first: int, last: int) -> bool:
    """A phone word is near and no account word is nearer ("call me about account 12345678")."""
    phone = nearest_word_distance(doc, first, last, PHONE_WORDS)
    if phone is None:
        return False
    account = nearest_word_distance(doc, first, last, ACCOUNT_WORDS)
    return account is None or phone <= account
