"""The customer's past turns, as the tracker's user events hold them."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker


def user_turns(tracker: Tracker) -> list[dict[str, Any]]:
    """Every message of the customer in this conversation, oldest first."""
    return [event for event in tracker.events if event.get("event") == "user"]


def intent_of(turn: dict[str, Any]) -> str | None:
    return ((turn.get("parse_data") or {}).get("intent") or {}).get("name")


def latest_turn_with(tracker: Tracker, intents: tuple[str, ...]) -> dict[str, Any] | None:
    """The customer's latest message with one of `intents`, however many turns ago."""
    return next((turn for turn in reversed(user_turns(tracker)) if intent_of(turn) in intents), None)
