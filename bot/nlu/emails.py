"""Email addresses."""

from __future__ import annotations

import re
from typing import List

from spacy.tokens import Doc

from bot.nlu.entity import EMAIL, Entity
from bot.nlu.matching import Patterns, Spans

_WITH_AT = "EMAIL_TOKEN"
# Tokens holding an "@" between letters or digits ("email:ola@x.no" stays one token).
PATTERNS: Patterns = {_WITH_AT: [[{"TEXT": {"REGEX": r"[^\W_]@[^\W_]"}}]]}

# Letters include æøå and other non-ASCII letters: "bjørn@blåbær.no" is one address (and
# "kåre@example.no" must never shrink to "re@example.no"). [^\W_] is a letter or digit.
_ALNUM = r"[^\W_]"
# Anchored on a letter or digit at both ends so trailing punctuation ("...@example.no.") stays out.
_EMAIL = re.compile(
    r"(?<![\w.+-])"
    rf"[\w+-](?:[\w.+-]*[\w+-])?"
    rf"@{_ALNUM}(?:(?:{_ALNUM}|-)*{_ALNUM})?"
    rf"(?:\.{_ALNUM}(?:(?:{_ALNUM}|-)*{_ALNUM})?)*\.[^\W\d_]{{2,}}"
    rf"(?![\w-]|\.{_ALNUM})"
)


def find(doc: Doc, claimed: "set[int]", spans: Spans) -> List[Entity]:
    """Emails in doc, cut out of the tokens that hold them; claims those tokens."""
    found = []
    for i, _ in spans.get(_WITH_AT, ()):
        if i in claimed:
            continue
        token = doc[i]
        for match in _EMAIL.finditer(token.text):
            local, domain = match.group().split("@", 1)
            start = token.idx + match.start()
            # domains are case-insensitive; the local part is left as written
            value = f"{local}@{domain.lower()}"
            found.append(Entity(EMAIL, start, start + len(match.group()), match.group(), value))
            claimed.add(i)
    return found
