"""Which understood messages are requests: what makes a conversation "served" rather than
"abandoned" (docs/reports.md). Shared by the transcript, which records it on the conversation
as the bot answers (conversations.made_request), and the reports."""

from __future__ import annotations

# Intents that ask for nothing the assistant could serve; None (not known) is no request either.
NO_REQUEST_INTENTS = (
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "inform",
    "nlu_fallback",
    "out_of_scope",
)


def is_request(intent: str | None) -> bool:
    return bool(intent) and intent not in NO_REQUEST_INTENTS
