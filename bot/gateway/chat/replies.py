"""Turning Rasa's replies into transcript messages (and a handoff request)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.db.models import FALLBACK_KINDS
from bot.gateway.rasa_client import BotReply
from bot.gateway.chat import texts


@dataclass(frozen=True)
class NewMessage:
    role: str
    text: str  # as Rasa said it; redacted when stored
    buttons: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True)
class HandoffRequest:
    """The assistant asked for a human (custom message {"handoff": {...}})."""

    reason: str
    summary: dict[str, Any] | None = field(default=None)


@dataclass(frozen=True)
class BotTurn:
    messages: tuple[NewMessage, ...]
    handoff: HandoffRequest | None
    # The customer's message was not understood (custom message {"fallback": "nlu" | "dialogue"}).
    fallback: str | None = None
    # What the customer's message was understood as (reports): an intent, "faq/<key>" for an
    # FAQ topic; from the custom element {"turn": {"intent": ...}} Rasa's channel adds.
    understood: str | None = None


INTENT_MAX_CHARS = 100


def understood_intent(parse_data: Any) -> str | None:
    """The intent of Rasa's parse data, with the FAQ topic for the retrieval intent ("faq/opening_hours")."""
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


def interpret_replies(replies: list[BotReply], language: str) -> BotTurn:
    messages: list[NewMessage] = []
    handoff: HandoffRequest | None = None
    fallback: str | None = None
    understood: str | None = None
    for reply in replies:
        turn = (reply.custom or {}).get("turn")
        if isinstance(turn, dict) and isinstance(turn.get("intent"), str) and turn["intent"]:
            understood = turn["intent"][:INTENT_MAX_CHARS]
            continue  # a note for us, not a message
        text = reply.text or reply.image  # an image becomes a link; the widget renders text only
        if text or reply.buttons:
            messages.append(
                NewMessage("bot", text or "", tuple(button.as_dict() for button in reply.buttons))
            )
        raw_handoff = (reply.custom or {}).get("handoff")
        if isinstance(raw_handoff, dict) and handoff is None:
            handoff = _handoff(raw_handoff)
            messages.append(
                NewMessage(
                    "system", str(raw_handoff.get("message") or texts.handoff_requested(language))
                )
            )
        raw_fallback = (reply.custom or {}).get("fallback")
        if raw_fallback in FALLBACK_KINDS and fallback is None:
            fallback = raw_fallback
    return BotTurn(tuple(messages), handoff, fallback=fallback, understood=understood)


def _handoff(raw: dict[str, Any]) -> HandoffRequest:
    summary = raw.get("summary")
    if summary is not None and not isinstance(summary, dict):
        summary = {"text": str(summary)}
    return HandoffRequest(reason=str(raw.get("reason") or "unspecified"), summary=summary)
