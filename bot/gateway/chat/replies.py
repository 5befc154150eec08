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


def interpret_replies(replies: list[BotReply], language: str) -> BotTurn:
    messages: list[NewMessage] = []
    handoff: HandoffRequest | None = None
    fallback: str | None = None
    for reply in replies:
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
    return BotTurn(tuple(messages), handoff, fallback)


def _handoff(raw: dict[str, Any]) -> HandoffRequest:
    summary = raw.get("summary")
    if summary is not None and not isinstance(summary, dict):
        summary = {"text": str(summary)}
    return HandoffRequest(reason=str(raw.get("reason") or "unspecified"), summary=summary)
