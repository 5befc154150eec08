"""Personal data taken out of free text before it is stored (ticket descriptions)."""

from __future__ import annotations

from functools import cache

from bot.redaction import Redactor


@cache
def _redactor() -> Redactor:
    # Builds a spaCy pipeline: once per process, on first use rather than at import.
    return Redactor()


def redact(text: str) -> str:
    """'mail me at ola@example.no' -> 'mail me at [email]'; account numbers and refs stay."""
    return _redactor().redact(text).text
