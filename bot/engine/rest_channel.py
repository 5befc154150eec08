"""Rasa's REST channel, whose answer also says what the customer's message was understood as.

The gateway records it on the stored message (messages.intent) for the client firm's reports:
top intents, FAQ answers used, fallback rate (docs/reports.md). After the bot's messages the
answer carries one more element, {"custom": {"turn": {"intent": "faq/opening_hours"}}}, which
the gateway reads and never shows (bot/gateway/chat/replies.py).

No extra work per turn: the tracker store (bot/engine/tracker_store.py) hands the turn's parse
data over through a context variable while it saves the tracker, in the same task as the turn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint

# The parse data of the latest user message of the tracker saved during this turn.
SAVED_PARSE_DATA: ContextVar[dict[str, Any] | None] = ContextVar("saved_parse_data", default=None)
INTENT_MAX_CHARS = 100


def understood_intent(parse_data: Any) -> str | None:
    """The intent of Rasa's parse data, with the FAQ topic for a retrieval intent ("faq/opening_hours").

    The same rule as bot.gateway.chat.replies.understood_intent (the engine environment cannot
    import the gateway)."""
    if not isinstance(parse_data, dict):
        return None
    name = (parse_data.get("intent") or {}).get("name")
    if not isinstance(name, str) or not name:
        return None
    selector = (parse_data.get("response_selector") or {}).get(name) or {}
    full_key = (selector.get("response") or {}).get("intent_response_key")
    if isinstance(full_key, str) and full_key.startswith(f"{name}/"):
        name = full_key
    return name[:INTENT_MAX_CHARS]


def reporting_understanding(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
) -> Callable[[UserMessage], Awaitable[None]]:
    """Wraps Rasa's message handler: after the turn, the collected answer gets the turn note."""

    async def handle(message: UserMessage) -> None:
        token = SAVED_PARSE_DATA.set(None)
        try:
            await on_new_message(message)
            intent = understood_intent(SAVED_PARSE_DATA.get())
        finally:
            SAVED_PARSE_DATA.reset(token)
        channel = message.output_channel
        # A turn Rasa stays silent on (a tracker paused by the handoff: a person answers now)
        # stays an empty answer; the note rides only on an answer.
        if intent is not None and isinstance(channel, CollectingOutputChannel) and channel.messages:
            channel.messages.append(
                {"recipient_id": message.sender_id, "custom": {"turn": {"intent": intent}}}
            )

    return handle


class ReportingRestInput(RestInput):
    """Registered in credentials.yml; same URL as Rasa's own REST channel (/webhooks/rest/webhook)."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return super().blueprint(reporting_understanding(on_new_message))
