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
    "en": "I am asking for a person to take over this conversation.",
    "nb": "Jeg ber om at et menneske tar over samtalen.",
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


# --- human handoff -------------------------------------------------------------------

LEAVE_MESSAGE_PAYLOAD = "/leave_message"
RATE_PAYLOAD_PREFIX = "/rate_"  # /rate_1 .. /rate_5: the rating buttons after a resolved chat

_TEXTS: dict[str, dict[str, str]] = {
    "queued": {
        "en": "You are number {position} in the queue. {wait}",
        "nb": "Du er nummer {position} i køen. {wait}",
    },
    "wait_minutes": {
        "en": "Estimated wait: about {minutes} min.",
        "nb": "Beregnet ventetid: omtrent {minutes} min.",
    },
    "wait_now": {"en": "Someone will be with you shortly.", "nb": "Noen er straks hos deg."},
    "wait_unknown": {"en": "", "nb": ""},
    "leave_message": {"en": "Leave a message instead", "nb": "Legg igjen en melding i stedet"},
    "agent_joined": {
        "en": "{agent} has joined the chat.",
        "nb": "{agent} har blitt med i samtalen.",
    },
    "transferred": {
        "en": "{agent} has taken over the chat.",
        "nb": "{agent} har tatt over samtalen.",
    },
    "requeued": {
        "en": "Your agent lost the connection. You are back in the queue and keep your place; nothing is lost.",
        "nb": "Kundebehandleren din mistet forbindelsen. Du er tilbake i køen og beholder plassen din; ingenting er tapt.",
    },
    "resolved": {
        "en": "The agent has closed this chat. How would you rate the help you got (1 = poor, 5 = excellent)?",
        "nb": "Kundebehandleren har avsluttet samtalen. Hvordan vil du vurdere hjelpen (1 = dårlig, 5 = utmerket)?",
    },
    "rated": {"en": "Thank you for your rating!", "nb": "Takk for vurderingen!"},
    "handed_back": {
        "en": "You are back with the assistant.",
        "nb": "Du er tilbake hos assistenten.",
    },
    "outside_hours": {
        "en": "We are closed right now, so nobody can take over the chat.",
        "nb": "Vi har stengt nå, så ingen kan ta over samtalen.",
    },
    "no_agent_available": {
        "en": "Sorry, no one is available to take over the chat right now.",
        "nb": "Beklager, ingen er ledige til å ta over samtalen akkurat nå.",
    },
    "message_left": {
        "en": "We have saved your message and this chat as ticket {reference}; we will get back to you. Please keep the reference.",
        "nb": "Vi har lagret meldingen din og samtalen som sak {reference}, og tar kontakt med deg. Ta vare på referansen.",
    },
    "next_opening": {"en": "We open again {when} (UTC).", "nb": "Vi åpner igjen {when} (UTC)."},
}


def handoff_text(key: str, language: str, **values: object) -> str:
    by_language = _TEXTS[key]
    return by_language.get(language, by_language["en"]).format(**values).strip()


def leave_message_button(language: str) -> dict[str, str]:
    return {"title": handoff_text("leave_message", language), "payload": LEAVE_MESSAGE_PAYLOAD}


def rating_buttons() -> list[dict[str, str]]:
    return [{"title": str(n), "payload": f"{RATE_PAYLOAD_PREFIX}{n}"} for n in range(1, 6)]


def rating_of(payload: str | None) -> int | None:
    """5 for '/rate_5'; None for anything else."""
    if not payload or not payload.startswith(RATE_PAYLOAD_PREFIX):
        return None
    digits = payload[len(RATE_PAYLOAD_PREFIX):]
    return int(digits) if digits in {"1", "2", "3", "4", "5"} else None
