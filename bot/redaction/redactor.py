"""Personal data out of free text before it is stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Tuple

from bot.nlu import emails, phones
from bot.nlu.matching import SharedMatcher
from bot.nlu.pipeline import build_nlp
from bot.redaction import mobiles, numbers
from bot.redaction.kinds import EMAIL, PHONE, placeholder
from bot.redaction.numbers import Finding


@dataclass(frozen=True)
class Redacted:
    """The text with placeholders, and what was replaced."""

    text: str
    # one entry per replaced finding, in text order: ("email", "phone", "phone")
    kinds: Tuple[str, ...]


class Redactor:
    """Replaces card numbers, fødselsnumre/D-numbers, emails, phone numbers and bank
    accounts (Norwegian and IBAN) with placeholders such as "[card]".

    Look-alikes that fail their check digits stay, and so do customer account numbers
    (8 digits) and ticket refs, which agents need. Build once and reuse: the constructor
    builds the spaCy pipeline; `redact` is then cheap (about 50-150 µs of CPU for a chat
    message) and keeps no state between calls.
    """

    MAX_CHARS = 1_000_000  # spaCy's own limit for one text

    def __init__(self) -> None:
        self._nlp = build_nlp()
        self._matcher = SharedMatcher(self._nlp.vocab, [emails.PATTERNS, phones.PATTERNS, numbers.PATTERNS])

    def redact(self, text: str) -> Redacted:
        findings = self.find(text)
        if not findings:
            return Redacted(text, ())
        parts: List[str] = []
        position = 0
        for finding in findings:
            parts.append(text[position : finding.start])
            parts.append(placeholder(finding.kind))
            position = finding.end
        parts.append(text[position:])
        return Redacted("".join(parts), tuple(f.kind for f in findings))

    def find(self, text: str) -> List[Finding]:
        """The personal data in text, in text order, without overlaps.

        Raises TypeError for anything but a str and ValueError beyond MAX_CHARS characters.
        """
        if not isinstance(text, str):
            raise TypeError(f"can only redact a str, not {type(text).__name__}")
        if len(text) > self.MAX_CHARS:
            raise ValueError(f"text of {len(text)} characters is over the redaction limit of {self.MAX_CHARS}")
        doc = self._nlp.make_doc(text)
        spans = self._matcher(doc)
        claimed: "set[int]" = set()
        # Order is priority. A country code ("+47 ...") marks a phone outright; after that,
        # check digits are stronger evidence than an 8-digit shape next to the word "call".
        findings = [Finding(EMAIL, e.start, e.end) for e in emails.find(doc, claimed, spans)]
        findings += [Finding(PHONE, e.start, e.end) for e in phones.find_international(doc, claimed, spans)]
        findings += numbers.find(doc, claimed, spans)
        # all phone forms again: a "0047 ..." inside a longer digit run only stands alone now
        findings += [Finding(PHONE, e.start, e.end) for e in phones.find(doc, claimed, spans)]
        # and the bare Norwegian mobile numbers the entity finder is too careful to take
        findings += mobiles.find(doc, claimed)
        return sorted(findings, key=lambda f: f.start)
