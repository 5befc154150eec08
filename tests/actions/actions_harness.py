"""Run actions the way the action server does, and read what the customer would see.

Trackers are built from the real domain.yml (slot initial values), and replies are
rendered from its real responses (language variations included), so a test fails
when a response is missing or its wording breaks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rasa_sdk import Action, Tracker
from ruamel.yaml import YAML
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]
DOMAIN: dict[str, Any] = YAML(typ="safe").load((ROOT / "domain.yml").read_text(encoding="utf-8"))
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Keys of a dispatched message that are not template variables.
_MESSAGE_KEYS = {"text", "buttons", "elements", "custom", "template", "response", "image", "attachment"}


def initial_slots() -> dict[str, Any]:
    slots = {name: spec.get("initial_value") for name, spec in DOMAIN["slots"].items()}
    slots.update(requested_slot=None, session_started_metadata=None)
    return slots


def user(
    text: str,
    intent: str,
    entities: dict[str, str] | None = None,
    *,
    faq_key: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A user event as Rasa sends it to the action server."""
    parse_data: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.97},
        "intent_ranking": [{"name": intent, "confidence": 0.97}],
        "entities": [
            {"entity": name, "value": value, "start": 0, "end": len(value)}
            for name, value in (entities or {}).items()
        ],
        "metadata": metadata or {},
    }
    if faq_key is not None:
        parse_data["response_selector"] = {
            "all_retrieval_intents": ["faq"],
            "faq": {"response": {"intent_response_key": f"faq/{faq_key}", "confidence": 0.93}},
        }
    return {"event": "user", "text": text, "parse_data": parse_data, "metadata": metadata or {}}


def conversation(
    *turns: dict[str, Any],
    slots: dict[str, Any] | None = None,
    candidates: dict[str, Any] | None = None,
    active_loop: str | None = None,
    sender_id: str = "conversation-1",
) -> Tracker:
    """A tracker after `turns`; `candidates` are slot values a form is about to validate."""
    values = {**initial_slots(), "tenant": "nordlys", **(slots or {})}
    events = [dict(turn) for turn in turns]
    if candidates:
        # The form appends its candidates after the latest user message (slots_to_validate).
        events += [SlotSet(name, value) for name, value in candidates.items()]
        values.update(candidates)
    latest = next((event["parse_data"] for event in reversed(events) if event["event"] == "user"), {})
    return Tracker(
        sender_id=sender_id,
        slots=values,
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


@dataclass
class Outcome:
    events: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    tracker: Tracker

    @property
    def slots(self) -> dict[str, Any]:
        """The slots the action set, last value winning."""
        return {event["name"]: event["value"] for event in self.events if event.get("event") == "slot"}

    @property
    def responses(self) -> list[str | None]:
        return [message.get("response") for message in self.messages]

    @property
    def texts(self) -> list[str]:
        """What the customer reads, rendered from domain.yml like Rasa's NLG does."""
        return [render(message, {**self.tracker.slots, **self.slots}) for message in self.messages if not message.get("custom")]

    @property
    def custom(self) -> list[dict[str, Any]]:
        return [message["custom"] for message in self.messages if message.get("custom")]

    def event_types(self) -> list[str]:
        return [event["event"] for event in self.events]


async def run(action: Action, tracker: Tracker) -> Outcome:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, DOMAIN)
    return Outcome(events=events, messages=dispatcher.messages, tracker=tracker)


def render(message: dict[str, Any], slots: dict[str, Any]) -> str:
    name = message.get("response")
    if not name:
        return str(message.get("text") or "")
    variations = DOMAIN["responses"][name]
    matching = [v for v in variations if v.get("condition") and _conditions_hold(v["condition"], slots)]
    plain = [v for v in variations if not v.get("condition")]
    template = (matching or plain)[0]["text"]
    values = {**slots, **{k: v for k, v in message.items() if k not in _MESSAGE_KEYS}}
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)


def _conditions_hold(conditions: list[dict[str, Any]], slots: dict[str, Any]) -> bool:
    return all(slots.get(c["name"]) == c["value"] for c in conditions if c.get("type") == "slot")
