"""Personal data out of Rasa tracker events before they are stored.

Runs in the Rasa server (engine environment, Python 3.10) from bot/engine/tracker_store.py,
so it imports neither SQLAlchemy nor rasa: events are the plain dicts of `Event.as_dict()`.

What is kept is what the dialogue needs on a later turn: the verified flag, the account
number, ticket refs, intents and slots. What goes:
- personal data in any string (user and bot texts, parse data, entity values, slot values,
  metadata), found by the Redactor;
- the values of personal entities (email, phone) whatever their form;
- secrets typed to verify_form (postcode or email): the slot value, and that value wherever
  else it appears in the same batch of events (the user's message that gave it).
"""

from __future__ import annotations

import copy
import re
from typing import Any, Dict, Iterable, List, Protocol

from bot.redaction.kinds import placeholder


class TextRedactor(Protocol):
    """bot.redaction.Redactor."""

    def redact(self, text: str) -> Any: ...


# Entities whose value is personal whatever it looks like ("+4791234567" normalized).
PERSONAL_ENTITIES = frozenset({"email", "phone"})
# Slots holding a secret answer while verify_form runs, and the values that are not secret:
# actions/verification.py stores FACTOR_MATCHED ("matched") once the answer was right.
SECRET_SLOTS: Dict[str, frozenset] = {"verification_factor": frozenset({"matched"})}
SECRET = placeholder("verification")
# Identifiers and names: never personal, and changing them would break the tracker.
_KEEP_KEYS = frozenset(
    {"event", "message_id", "sender_id", "timestamp", "input_channel", "entity", "extractor",
     "intent_name", "action_name", "policy", "type_name", "role", "group"}
)
# Every kind the Redactor finds (card, fødselsnummer, phone, email, bank account) has a digit
# or an "@": other strings are not worth a spaCy pass.
_MAY_HOLD_PERSONAL = re.compile(r"[\d@]")
_MIN_SECRET = 3  # shorter slot answers ("no") would blank unrelated words elsewhere


# A postcode in a message typed while verify_form runs ("account 10000001, postcode 0150"):
# Norwegian four digits standing alone (not a group of "1000 0001"), or a UK postcode.
VERIFYING_FORM = "verify_form"
_POSTCODES = re.compile(
    r"(?<![\d\-])(?<!\d )\d{4}(?![\d\-])(?! \d)|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE
)


def redact_events(
    events: Iterable[Dict[str, Any]], redactor: TextRedactor, *, verifying: bool = False
) -> List[Dict[str, Any]]:
    """Copies of `events` (Event.as_dict() dicts) with personal data replaced.

    verifying: verify_form was running when the first of them happened (the tracker store
    knows from the events before); postcodes typed while it runs are secret answers.
    """
    events = [copy.deepcopy(event) for event in events]
    secrets = _secret_values(events)
    redacted = []
    for event in events:
        if event.get("event") == "active_loop":
            verifying = event.get("name") == VERIFYING_FORM
        event = _redact_value(event, redactor, secrets)
        if verifying and event.get("event") == "user":
            _scrub_postcodes(event)
        redacted.append(event)
    return redacted


def verify_form_running(events: Iterable[Dict[str, Any]]) -> bool:
    """Whether verify_form is the active loop after these events."""
    running = False
    for event in events:
        if event.get("event") == "active_loop":
            running = event.get("name") == VERIFYING_FORM
        elif event.get("event") in ("session_started", "restart"):
            running = False
    return running


def _scrub_postcodes(event: Dict[str, Any]) -> None:
    for holder in (event, event.get("parse_data") or {}):
        if isinstance(holder.get("text"), str):
            holder["text"] = _POSTCODES.sub(SECRET, holder["text"])


def _secret_values(events: List[Dict[str, Any]]) -> List[str]:
    found = set()
    for event in events:
        if event.get("event") != "slot" or event.get("name") not in SECRET_SLOTS:
            continue
        value = event.get("value")
        if isinstance(value, str) and value.strip() not in SECRET_SLOTS[event["name"]]:
            if len(value.strip()) >= _MIN_SECRET:
                found.add(value.strip())
            event["value"] = SECRET
    # longest first, so a value inside another does not leave the rest of the longer one
    return sorted(found, key=len, reverse=True)


def _redact_value(value: Any, redactor: TextRedactor, secrets: List[str]) -> Any:
    if isinstance(value, str):
        return _redact_text(value, redactor, secrets)
    if isinstance(value, list):
        return [_redact_value(item, redactor, secrets) for item in value]
    if isinstance(value, dict):
        if value.get("entity") in PERSONAL_ENTITIES:
            return _personal_entity(value)
        return {
            key: item if key in _KEEP_KEYS else _redact_value(item, redactor, secrets)
            for key, item in value.items()
        }
    return value


def _redact_text(text: str, redactor: TextRedactor, secrets: List[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, SECRET)
    if not _MAY_HOLD_PERSONAL.search(text):
        return text
    return redactor.redact(text).text


def _personal_entity(entity: Dict[str, Any]) -> Dict[str, Any]:
    """The entity keeps its label and offsets; every string that was the data goes."""
    mark = placeholder(str(entity["entity"]))
    return {
        key: (mark if isinstance(item, str) and key not in _KEEP_KEYS else item)
        for key, item in entity.items()
    }
