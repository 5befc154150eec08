"""Frames of the widget protocol (docs/widget-protocol.md): parse the client's, build ours."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.db.models import Message
from bot.gateway.errors import BadJson, MessageTooLong, UnknownFrame
from bot.text_input import clean_text, is_clean

PROTOCOL_VERSION = 1
CLIENT_ID_MAX_CHARS = 64
USER_ID_MAX_CHARS = 64
USER_HASH_MAX_CHARS = 128
CONVERSATION_ID_MAX_CHARS = 64
LANGUAGE_MAX_CHARS = 35  # the longest BCP 47 tags browsers send


@dataclass(frozen=True)
class Hello:
    conversation_id: str | None
    last_seq: int
    user_id: str | None = None
    user_hash: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class CustomerText:
    client_id: str
    text: str
    payload: str | None = None


@dataclass(frozen=True)
class Typing:
    on: bool


@dataclass(frozen=True)
class Ping:
    pass


ClientFrame = Hello | CustomerText | Typing | Ping


def parse_client_frame(raw: str, max_message_chars: int) -> ClientFrame:
    """One text frame -> a typed frame, or BadJson / UnknownFrame / MessageTooLong."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        raise BadJson() from None
    if not isinstance(data, dict):
        raise BadJson()
    kind = data.get("type")
    if kind == "hello":
        return _hello(data)
    if kind == "message":
        return _customer_text(data, max_message_chars)
    if kind == "typing":
        if not isinstance(data.get("on"), bool):
            raise UnknownFrame("A typing frame needs 'on' (true or false).")
        return Typing(on=data["on"])
    if kind == "ping":
        return Ping()
    raise UnknownFrame()


def _hello(data: dict[str, Any]) -> Hello:
    last_seq = data.get("last_seq") or 0
    if isinstance(last_seq, bool) or not isinstance(last_seq, int) or last_seq < 0:
        raise UnknownFrame("hello.last_seq must be a whole number >= 0.")
    user_id = data.get("user_id")
    if isinstance(user_id, int) and not isinstance(user_id, bool):
        user_id = str(user_id)  # account numbers are digits; accept them unquoted
    return Hello(
        conversation_id=_optional_string(data, "conversation_id", CONVERSATION_ID_MAX_CHARS),
        last_seq=last_seq,
        user_id=_optional_string({"user_id": user_id}, "user_id", USER_ID_MAX_CHARS),
        user_hash=_optional_string(data, "user_hash", USER_HASH_MAX_CHARS),
        language=_optional_string(data, "language", LANGUAGE_MAX_CHARS),
    )


def _customer_text(data: dict[str, Any], max_message_chars: int) -> CustomerText:
    client_id = data.get("client_id")
    if (not isinstance(client_id, str) or not 0 < len(client_id) <= CLIENT_ID_MAX_CHARS
            or not is_clean(client_id)):
        raise UnknownFrame("A message needs a client_id (a string of at most 64 characters).")
    text = data.get("text")
    payload = data.get("payload")
    if not isinstance(text, str) or not isinstance(payload, str | None):
        raise UnknownFrame(
            "A message needs 'text' (a string); 'payload' must be a string.", client_id=client_id
        )
    if len(text) > max_message_chars or (payload and len(payload) > max_message_chars):
        raise MessageTooLong(
            f"That message is too long: at most {max_message_chars} characters.",
            client_id=client_id,
        )
    # Control characters (NUL above all: PostgreSQL refuses it) go, on every backend alike.
    text = clean_text(text).strip()
    payload = clean_text(payload).strip() if payload else None
    if not text and not payload:
        raise UnknownFrame("A message needs some text.", client_id=client_id)
    return CustomerText(client_id=client_id, text=text, payload=payload)


def _optional_string(data: dict[str, Any], field: str, max_chars: int) -> str | None:
    """The field as a non-empty string of at most max_chars, None when absent, null or ''."""
    value = data.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > max_chars or not is_clean(value):
        raise UnknownFrame(f"hello.{field} must be a string of at most {max_chars} characters.")
    return value


# --- server -> client -----------------------------------------------------------------


def welcome(
    conversation_id: str, *, resumed: bool, verified: bool, last_seq: int
) -> dict[str, Any]:
    return {
        "type": "welcome",
        "v": PROTOCOL_VERSION,
        "conversation_id": conversation_id,
        "resumed": resumed,
        "verified": verified,
        "last_seq": last_seq,
    }


def message(stored: Message) -> dict[str, Any]:
    """A stored (redacted) transcript message as the widget renders it."""
    frame: dict[str, Any] = {
        "type": "message",
        "seq": stored.seq,
        "role": stored.role,
        "text": stored.text,
        "buttons": list(stored.buttons or []),
        "ts": stored.created_at.isoformat(),
    }
    if stored.client_id is not None:
        frame["client_id"] = stored.client_id
    if stored.agent_name is not None:
        frame["agent_name"] = stored.agent_name
    return frame


def ack(client_id: str, seq: int, *, duplicate: bool) -> dict[str, Any]:
    return {"type": "ack", "client_id": client_id, "seq": seq, "duplicate": duplicate}


def typing(on: bool, role: str = "bot") -> dict[str, Any]:
    return {"type": "typing", "on": on, "role": role}


def conversation_ended(reason: str = "idle") -> dict[str, Any]:
    return {"type": "conversation_ended", "reason": reason}


def error(code: str, message_text: str, client_id: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message_text}
    if client_id is not None:
        frame["client_id"] = client_id
    return frame


def pong() -> dict[str, Any]:
    return {"type": "pong"}
