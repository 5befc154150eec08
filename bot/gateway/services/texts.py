"""What the gateway itself says in a conversation, per conversation language."""

from __future__ import annotations

from bot.gateway.errors import AssistantUnavailable

REQUEST_HUMAN_PAYLOAD = "/request_human"

_ASSISTANT_UNAVAILABLE = {
    "en": AssistantUnavailable.default_message,
    "nb": (
        "Assistenten vår svarer ikke akkurat nå. Meldingen din er lagret og blir besvart så "
        "snart den er tilbake — eller be om å få snakke med et menneske."
    ),
}
_ASK_FOR_PERSON = {"en": "Talk to a person", "nb": "Snakk med et menneske"}
_HANDOFF_REQUESTED = {
    "en": "I have asked for a person to take over this conversation. They will continue here.",
    "nb": "Jeg har bedt om at et menneske tar over samtalen. De fortsetter her.",
}


def assistant_unavailable(language: str) -> str:
    return _ASSISTANT_UNAVAILABLE.get(language, _ASSISTANT_UNAVAILABLE["en"])


def ask_for_person_button(language: str) -> dict[str, str]:
    return {
        "title": _ASK_FOR_PERSON.get(language, _ASK_FOR_PERSON["en"]),
        "payload": REQUEST_HUMAN_PAYLOAD,
    }


def handoff_requested(language: str) -> str:
    return _HANDOFF_REQUESTED.get(language, _HANDOFF_REQUESTED["en"])
