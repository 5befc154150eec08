"""Text from outside (customers, agents, admins) made storable the same way on every backend.

PostgreSQL refuses NUL in text, and no driver can encode a lone UTF-16 surrogate (JSON's
"\\ud800" decodes to one); SQLite would store both. Free text is cleaned at the edge; an
identifier with such characters is refused there instead (it cannot be a real one).
"""

from __future__ import annotations

import re

# What no backend can store: NUL and lone surrogates.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Also dropped from free text: other control characters (not tab, newline, carriage return),
# which only garble a transcript.
_CONTROL_OR_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Free text (a message, a note) without control characters or unstorable ones."""
    return _CONTROL_OR_UNSTORABLE.sub("", value)


def is_clean(value: str) -> bool:
    """True when clean_text would change nothing (for identifiers: refuse rather than alter)."""
    return _CONTROL_OR_UNSTORABLE.search(value) is None


def storable(value: str) -> str:
    """The least change that makes any text storable on both backends (the database layer's
    last line of defence, for paths that did not clean at their edge)."""
    return _UNSTORABLE.sub("", value)
