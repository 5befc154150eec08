"""The id a client firm knows a conversation by, in webhooks and the public API alike.

The conversation's own id is a bearer secret: the widget holds it and it resumes the chat.
Firms get a one-way hash of it instead. The raw id is already random, so a plain sha256
prefix (no key) cannot be reversed or guessed. It is stored (conversations.public_id,
unique) because SQLite cannot compute sha256 in SQL, and the API looks conversations up by it.
"""

from __future__ import annotations

import hashlib

PUBLIC_ID_PREFIX = "conv_"
PUBLIC_ID_LENGTH = len(PUBLIC_ID_PREFIX) + 32


def public_conversation_id(conversation_id: str) -> str:
    """The id a firm sees for a conversation: stable, not reversible to the browser's id."""
    digest = hashlib.sha256(f"conversation:{conversation_id}".encode()).hexdigest()
    return f"{PUBLIC_ID_PREFIX}{digest[:32]}"
