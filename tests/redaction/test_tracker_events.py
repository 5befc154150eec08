"""Rasa tracker events lose their personal data before the tracker store writes them, and keep
what the dialogue needs on later turns (bot/redaction/events.py)."""

from __future__ import annotations

import json

import pytest

from actions.verification import FACTOR_MATCHED
from bot.redaction import Redactor
from bot.redaction.events import SECRET, SECRET_SLOTS, redact_events, verify_form_running


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor()


def user_event(text: str, entities: list[dict] | None = None) -> dict:
    return {
        "event": "user",
        "timestamp": 1764980000.5,
        "text": text,
        "parse_data": {
            "intent": {"name": "inform", "confidence": 0.93},
            "entities": entities or [],
            "text": text,
            "message_id": "5c1f0e9a1b2c4d5e8f90a1b2c3d4e5f6",
            "metadata": {"tenant": "nordlys", "conversation_id": "abc"},
            "intent_ranking": [{"name": "inform", "confidence": 0.93}],
        },
        "input_channel": "rest",
        "message_id": "5c1f0e9a1b2c4d5e8f90a1b2c3d4e5f6",
        "metadata": {"tenant": "nordlys", "verified_account": "10000001"},
    }


def slot(name: str, value) -> dict:
    return {"event": "slot", "timestamp": 1764980001.0, "name": name, "value": value}


def test_user_text_and_parse_data_text_are_redacted(redactor: Redactor) -> None:
    [event] = redact_events([user_event("fnr 15038512363, call me on 91234567")], redactor)

    assert event["text"] == "fnr [national-id], call me on [phone]"
    assert event["parse_data"]["text"] == "fnr [national-id], call me on [phone]"


def test_personal_entity_values_are_replaced_whatever_their_form(redactor: Redactor) -> None:
    entities = [
        {"entity": "phone", "start": 11, "end": 19, "value": "+4791234567", "extractor": "X"},
        {"entity": "email", "start": 25, "end": 35, "value": "ola@example.no", "extractor": "X"},
        {"entity": "account_number", "start": 40, "end": 48, "value": "10000001", "extractor": "X"},
    ]
    [event] = redact_events([user_event("x", entities)], redactor)

    phone, email, account = event["parse_data"]["entities"]
    assert phone == {"entity": "phone", "start": 11, "end": 19, "value": "[phone]", "extractor": "X"}
    assert email["value"] == "[email]"
    assert account["value"] == "10000001"


def test_account_numbers_ticket_refs_ids_and_flags_stay(redactor: Redactor) -> None:
    events = [
        user_event("account 10000001, ticket NRD-1042"),
        slot("account_number", "10000001"),
        slot("verified", True),
        slot("opened_tickets", ["NRD-1042", "NRD-1043"]),
        slot("verification_failures", 1.0),
    ]

    redacted = redact_events(events, redactor)

    assert redacted == events


def test_a_secret_answer_to_verify_form_is_gone_from_the_slot_and_the_message(redactor: Redactor) -> None:
    events = [
        user_event("it's 0150"),
        slot("verification_factor", "0150"),
        slot("verification_factor", FACTOR_MATCHED),
        slot("verified", True),
    ]

    redacted = redact_events(events, redactor)

    assert redacted[0]["text"] == f"it's {SECRET}"
    assert redacted[0]["parse_data"]["text"] == f"it's {SECRET}"
    assert [e.get("value") for e in redacted[1:]] == [SECRET, FACTOR_MATCHED, True]
    assert "0150" not in json.dumps(redacted)


def test_the_matched_marker_is_the_one_actions_verification_stores() -> None:
    assert FACTOR_MATCHED in SECRET_SLOTS["verification_factor"]


def test_bot_texts_and_free_text_slots_are_redacted(redactor: Redactor) -> None:
    events = [
        {"event": "bot", "timestamp": 1.0, "text": "I will call 91234567 back", "data": {}, "metadata": {}},
        slot("ticket_description", "card 4111 1111 1111 1111 charged twice, mail ola@example.no"),
    ]

    bot, description = redact_events(events, redactor)

    assert bot["text"] == "I will call [phone] back"
    assert description["value"] == "card [card] charged twice, mail [email]"


def test_the_events_given_are_not_changed(redactor: Redactor) -> None:
    events = [user_event("call me on 91234567"), slot("verification_factor", "0150")]
    before = json.loads(json.dumps(events))

    redact_events(events, redactor)

    assert events == before


def test_a_postcode_typed_while_verify_form_runs_is_a_secret(redactor: Redactor) -> None:
    events = [user_event("account 1000 0001, postcode 0150"), user_event("it's BS1 4DJ")]

    first, second = redact_events(events, redactor, verifying=True)

    assert first["text"] == f"account 1000 0001, postcode {SECRET}"
    assert first["parse_data"]["text"] == f"account 1000 0001, postcode {SECRET}"
    assert second["text"] == f"it's {SECRET}"


def test_four_digits_outside_verification_stay(redactor: Redactor) -> None:
    events = [
        {"event": "active_loop", "timestamp": 1.0, "name": None},  # verify_form ended
        user_event("the bill says 1840 kWh"),
    ]

    redacted = redact_events(events, redactor, verifying=True)

    assert redacted[1]["text"] == "the bill says 1840 kWh"


def test_whether_verify_form_runs_is_read_off_the_events_before() -> None:
    started = {"event": "active_loop", "timestamp": 1.0, "name": "verify_form"}
    ended = {"event": "active_loop", "timestamp": 2.0, "name": None}

    assert verify_form_running([started]) is True
    assert verify_form_running([started, ended]) is False
    assert verify_form_running([started, {"event": "session_started", "timestamp": 3.0}]) is False
