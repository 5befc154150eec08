"""Context words: the words around a number that tell what kind of number it is."""

from __future__ import annotations

from typing import FrozenSet, Optional, Tuple

from spacy.tokens import Doc

# Norwegian words come in their inflected and abbreviated forms too ("mobilnummeret",
# "tlf.nr", "kontoen"): customers write them that way and there is no lemmatizer here.
# fmt: off
PHONE_WORDS = frozenset(
    {
        "call", "calls", "calling", "ring", "phone", "phones", "telephone", "tel", "tlf",
        "mobile", "mob", "mobil", "cell", "cellphone", "text", "sms", "whatsapp", "reach",
        "contact", "telefon", "telefonnummer", "mobilnummer", "landline", "fax",
        # Norwegian (Bokmål, Nynorsk): "ring meg på", "kan dere ringe", "jeg treffes på"
        "ringe", "ringer", "ringes", "ringa", "ringast", "telefonen", "telefonnr",
        "telefonnummeret", "tlfnr", "tlf.nr", "mobilen", "mobilnr", "mobilnummeret",
        "mobiltelefon", "mobiltlf", "mob.nr", "tekstmelding", "treffes", "treffast",
        "nås", "naas", "kontakte", "kontakta", "kontaktes",
    }
)
ACCOUNT_WORDS = frozenset(
    {
        "account", "acct", "acc", "konto", "kontonr", "kontonummer", "kundenummer",
        "kundenr", "customer", "membership", "member", "contract", "avtale", "avtalenummer",
        "bank", "iban",
        "kontoen", "kontonummeret", "kundenummeret", "kundeforholdet", "avtalen", "avtalenr",
        "avtalenummeret", "medlemsnummer", "medlemsnummeret", "polise", "polisen",
        "polisenummer", "polisenummeret", "forsikringsnummer", "forsikringsnummeret",
    }
)
TICKET_WORDS = frozenset(
    {
        "ticket", "tickets", "case", "ref", "reference", "sak", "saken", "saksnummer", "referanse",
        "saka", "saker", "sakene", "saksnr", "saksnummeret", "saksreferanse", "referansen",
        "referansenummer", "referansenummeret", "refnr", "ref.nr", "henvendelse", "henvendelsen",
    }
)
POSTCODE_WORDS = frozenset(
    {
        "postcode", "postcodes", "zip", "zipcode", "postal",
        "postnummer", "postnummeret", "postnr", "postkode", "postkoden", "postnumme", "poststed",
    }
)
# fmt: on
# Two-word phrases that count as one context word; the hit is their second word.
_PHRASES = {
    PHONE_WORDS: frozenset({("nå", "meg"), ("nå", "oss"), ("naa", "meg"), ("na", "meg")}),  # "du kan nå meg på"
    POSTCODE_WORDS: frozenset({("post", "code"), ("post", "nummer"), ("post", "nr")}),
}

BEFORE = 6  # tokens looked at before a number
AFTER = 3  # tokens looked at after it ("91234567 is my mobile")


def nearest_word_distance(
    doc: Doc, first: int, last: int, words: FrozenSet[str], before: int = BEFORE, after: int = AFTER
) -> Optional[int]:
    """Token distance from the span first..last to the closest word in `words`, if in reach."""
    best: Optional[int] = None
    phrases = _PHRASES.get(words, frozenset())
    for i in range(max(0, first - before), first):
        if _is_context_word(doc, i, words, phrases):
            best = first - i  # later hits are nearer
    for i in range(last + 1, min(len(doc), last + 1 + after)):
        if _is_context_word(doc, i, words, phrases):
            distance = i - last
            return distance if best is None or distance < best else best
    return best


def _is_context_word(doc: Doc, i: int, words: FrozenSet[str], phrases: FrozenSet[Tuple[str, str]]) -> bool:
    word = doc[i].lower_
    # "tlf.", "postnr." and "kontonr:" as the tokenizer may leave them
    stripped = word.rstrip(".:")
    found = word in words or stripped in words or (i > 0 and (doc[i - 1].lower_, stripped) in phrases)
    return found and not _in_placeholder(doc, i)


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
