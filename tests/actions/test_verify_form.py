"""validate_verify_form: identity before any account detail; three wrong answers hand off, and so
do two answers in a row that cannot be checked at all (issue #11: no dead ends)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from actions_harness import Outcome, conversation, run, user

from actions.handoff import ActionHandoff
from actions.verification import ValidateVerifyForm
from bot.db import Database


def answer(text: str, slot: str, *earlier: dict[str, Any], entities: dict[str, str] | None = None, **slots: Any):
    """The customer answers the form's question for `slot` with `text`, after the `earlier` turns."""
    return conversation(
        *earlier,
        user(text, "inform", entities),
        candidates={slot: (entities or {}).get(slot.replace("verification_factor", "email"), text)},
        slots={"requested_slot": slot, **slots},
        active_loop="verify_form",
    )


async def test_account_number_is_accepted_with_spaces_and_asked_for_the_factor_next(records: Database) -> None:
    outcome = await run(ValidateVerifyForm(), answer("my account is 10 000 001", "account_number"))

    assert outcome.slots["account_number"] == "10000001"
    assert outcome.slots["verification_failures"] == 0
    assert "requested_slot" not in outcome.slots  # the form goes on to the next question
    assert outcome.texts == []


def bot(response: str) -> dict[str, Any]:
    """The bot's answer as the tracker holds it: the response name in the metadata."""
    return {"event": "bot", "text": "…", "metadata": {"utter_action": response}}


async def test_account_number_of_the_wrong_length_is_asked_again_and_not_counted_as_a_guess(
    records: Database,
) -> None:
    outcome = await run(ValidateVerifyForm(), answer("1234567", "account_number"))

    assert outcome.slots == {"account_number": None}  # no failed verification: nothing was checked
    assert outcome.texts == ["That account number should have 8 digits."]
    assert "pause" not in outcome.event_types()


async def test_a_second_answer_in_a_row_without_an_account_number_ends_the_form_for_a_person(
    records: Database,
) -> None:
    earlier = (user("1234567", "inform"), bot("utter_account_number_invalid"), bot("utter_ask_account_number"))
    tracker = answer("I don't have it here", "account_number", *earlier)

    outcome = await run(ValidateVerifyForm(), tracker)

    assert outcome.slots == {"account_number": None, "requested_slot": None}  # ends verify_form ...
    assert outcome.messages == []
    handoff = await run(ActionHandoff(), tracker)  # ... and the rules hand off
    assert handoff.custom[0]["handoff"]["reason"] == "repeated_misses"
    assert handoff.event_types()[-1] == "pause"


async def test_an_answer_that_is_no_postcode_or_email_is_asked_again_and_not_counted(records: Database) -> None:
    tracker = answer("jeg husker ikke", "verification_factor", account_number="10000001", language="nb")

    outcome = await run(ValidateVerifyForm(), tracker)

    assert outcome.slots == {"verification_factor": None}
    assert outcome.texts == ["Det ser ikke ut som et postnummer eller en e-postadresse."]


async def test_a_second_answer_in_a_row_that_is_no_postcode_or_email_ends_the_form_for_a_person(
    records: Database,
) -> None:
    earlier = (user("no idea", "inform"), bot("utter_verification_factor_invalid"),
               bot("utter_ask_verification_factor"))
    tracker = answer("what?", "verification_factor", *earlier, account_number="10000001")

    outcome = await run(ValidateVerifyForm(), tracker)

    assert outcome.slots == {"verification_factor": None, "requested_slot": None}
    handoff = await run(ActionHandoff(), tracker)
    assert handoff.custom[0]["handoff"]["reason"] == "repeated_misses"


async def test_an_unusable_answer_after_a_wrong_one_is_only_asked_again(records: Database) -> None:
    # A wrong postcode is a guess, counted towards the three; it is no miss, so the
    # unusable answer that follows is the first miss, not the second.
    earlier = (user("0151", "inform"), bot("utter_verification_mismatch"), bot("utter_ask_account_number"))

    outcome = await run(ValidateVerifyForm(), answer("hmm", "account_number", *earlier, verification_failures=1.0))

    assert outcome.responses == ["utter_account_number_invalid"]
    assert outcome.custom == []


async def test_postcode_on_file_verifies_the_customer(records: Database) -> None:
    outcome = await run(
        ValidateVerifyForm(), answer("it's 0150", "verification_factor", account_number="10000001")
    )

    assert outcome.slots["verified"] is True
    assert outcome.slots["customer_name"] == "Ola Nordmann"
    assert outcome.slots["account_number"] == "10000001"
    assert outcome.slots["verification_factor"] == "matched"  # the postcode itself is not kept
    assert outcome.texts == ["Thanks, Ola Nordmann. You're verified."]


async def test_email_on_file_verifies_whatever_its_case(records: Database) -> None:
    tracker = answer(
        "Ola.Nordmann@Example.no", "verification_factor",
        entities={"email": "Ola.Nordmann@Example.no"}, account_number="10000001",
    )

    outcome = await run(ValidateVerifyForm(), tracker)

    assert outcome.slots["verified"] is True


async def test_uk_postcode_verifies_without_spaces_or_capitals(records: Database) -> None:
    tracker = answer("bs14dj", "verification_factor", account_number="30000001", tenant="lighthouse")

    outcome = await run(ValidateVerifyForm(), tracker)

    assert outcome.slots["verified"] is True
    assert outcome.slots["customer_name"] == "Oliver Bennett"


async def test_account_number_and_postcode_in_one_message_verify_at_once(records: Database) -> None:
    outcome = await run(
        ValidateVerifyForm(), answer("account number 10000001, postcode 0150", "account_number")
    )

    assert outcome.slots["verified"] is True
    assert outcome.slots["verification_factor"] == "matched"


async def test_wrong_postcode_is_refused_counted_and_both_answers_asked_again(records: Database) -> None:
    outcome = await run(
        ValidateVerifyForm(), answer("0151", "verification_factor", account_number="10000001")
    )

    assert outcome.slots.get("verified") is None
    assert outcome.slots["account_number"] is None
    assert outcome.slots["verification_factor"] is None
    assert outcome.slots["verification_failures"] == 1
    assert outcome.texts == ["Those details don't match our records."]


async def test_account_of_another_tenant_does_not_verify(records: Database) -> None:
    # Ola's number and postcode are right, but the conversation belongs to Fjordnett.
    tracker = answer("0150", "verification_factor", account_number="10000001", tenant="fjordnett")

    outcome = await run(ValidateVerifyForm(), tracker)

    assert outcome.slots.get("verified") is None
    assert outcome.texts == ["Those details don't match our records."]


async def test_an_answer_full_of_postcodes_is_a_single_wrong_guess(records: Database) -> None:
    guesses = " ".join(f"{code:04d}" for code in range(140, 160))  # 0150 is among them

    outcome = await run(
        ValidateVerifyForm(), answer(guesses, "verification_factor", account_number="10000001")
    )

    assert outcome.slots.get("verified") is None
    assert outcome.slots["verification_failures"] == 1


async def test_third_failure_stops_the_form(records: Database) -> None:
    tracker = answer("9999", "verification_factor", account_number="10000001", verification_failures=2.0)

    outcome = await run(ValidateVerifyForm(), tracker)

    assert outcome.slots["verification_failures"] == 3
    assert outcome.slots["requested_slot"] is None  # ends verify_form; the rules hand off


async def test_three_failed_verifications_hand_off_to_a_person(records: Database) -> None:
    slots: dict[str, Any] = {}
    attempts = [("12345678", "account_number"), ("0150", "verification_factor"),
                ("10000001", "account_number"), ("0999", "verification_factor"),
                ("10000001", "account_number"), ("bad@example.no", "verification_factor")]
    outcomes: list[Outcome] = []
    for text, slot in attempts:
        outcome = await run(ValidateVerifyForm(), answer(text, slot, **slots))
        slots.update(outcome.slots)
        outcomes.append(outcome)

    assert [o.slots["verification_failures"] for o in outcomes] == [0, 1, 1, 2, 2, 3]
    assert outcomes[-1].slots["requested_slot"] is None
    handoff = await run(ActionHandoff(), conversation(user("bad@example.no", "inform"), slots=slots))
    assert handoff.custom[0]["handoff"]["reason"] == "verification_failed"
    assert handoff.event_types()[-1] == "pause"


async def test_an_interruption_is_left_to_the_rules(records: Database) -> None:
    # 'this is ridiculous' fills no form slot; with no events the form rejects the
    # turn and the complaint rule takes over instead of the question being repeated.
    tracker = conversation(user("this is ridiculous", "complain"), candidates={"pending_request": "account_info"},
                           slots={"requested_slot": "verification_factor", "account_number": "10000001"},
                           active_loop="verify_form")

    outcome = await run(ValidateVerifyForm(), tracker)

    assert outcome.events == [] and outcome.messages == []


async def test_already_verified_customer_is_not_asked_again(records: Database) -> None:
    tracker = answer("10000001", "account_number", verified=True)

    outcome = await run(ValidateVerifyForm(), tracker)

    assert outcome.slots == {"requested_slot": None}


async def test_unreachable_records_ask_again_without_counting_a_failure(
    unreachable_records: Database, caplog: pytest.LogCaptureFixture
) -> None:
    tracker = answer("0150", "verification_factor", account_number="10000001")

    outcome = await run(ValidateVerifyForm(), tracker)

    assert outcome.slots == {"verification_factor": None}
    assert outcome.texts == [
        "Sorry, I can't reach our records right now. Please try again in a moment, or ask for a person."
    ]
    assert any(record.levelno == logging.ERROR for record in caplog.records)
