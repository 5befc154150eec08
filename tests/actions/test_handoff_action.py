"""action_handoff: a person takes over, briefed, and the bot pauses."""

from __future__ import annotations

from typing import Any

from actions_harness import conversation, run, user

from actions.handoff import ActionHandoff

OLA = {"verified": True, "account_number": "10000001", "customer_name": "Ola Nordmann"}


def handoff_of(outcome) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    [custom] = outcome.custom
    return custom["handoff"]


async def test_asking_for_a_person_hands_off_and_pauses_the_bot() -> None:
    outcome = await run(ActionHandoff(), conversation(user("I want to talk to a human", "request_human")))

    assert outcome.texts == [
        "I'm passing you to a member of our team. A person will take over this chat as soon as possible."
    ]
    assert handoff_of(outcome)["reason"] == "customer_request"
    assert outcome.event_types()[-1] == "pause"


async def test_the_json_message_comes_after_the_words_to_the_customer() -> None:
    outcome = await run(ActionHandoff(), conversation(user("agent please", "request_human")))

    assert [bool(m.get("custom")) for m in outcome.messages] == [False, True]


async def test_a_complaint_is_handed_off_as_a_complaint() -> None:
    outcome = await run(ActionHandoff(), conversation(user("worst service ever", "complain")))

    assert handoff_of(outcome)["reason"] == "complaint"


async def test_an_accepted_offer_after_an_unanswered_question_is_recorded_as_such() -> None:
    tracker = conversation(user("can I pay with gold bars", "faq", faq_key="payment_methods"),
                           user("yes please", "affirm"), slots={"handoff_offered": True})

    outcome = await run(ActionHandoff(), tracker)

    assert handoff_of(outcome)["reason"] == "unanswered_question"


async def test_the_summary_tells_the_agent_what_happened() -> None:
    tracker = conversation(
        user("hi", "greet"),
        user("my internet is down, please open a case", "open_ticket"),
        user("10000001", "inform", {"account_number": "10000001"}),
        user("0150", "inform"),
        user("/affirm", "affirm"),
        user("what's my balance", "check_balance"),
        user("this is ridiculous, get me a person", "request_human"),
        slots={**OLA, "opened_tickets": ["NRD-1043"]},
    )

    summary = handoff_of(await run(ActionHandoff(), tracker))["summary"]

    assert summary["first_message"] == "my internet is down, please open a case"
    assert summary["last_intents"] == ["inform", "inform", "affirm", "check_balance", "request_human"]
    assert summary["verified"] is True
    assert (summary["account_number"], summary["customer_name"]) == ("10000001", "Ola Nordmann")
    assert summary["tickets_opened"] == ["NRD-1043"]
    assert "\n" not in summary["text"]
    for fact in ("my internet is down", "10000001", "Ola Nordmann", "NRD-1043", "customer request"):
        assert fact in summary["text"]


async def test_an_unverified_customer_is_summarised_without_an_account() -> None:
    # The account number typed into the form is unconfirmed: it must not look verified.
    tracker = conversation(user("balance?", "check_balance"), user("10000002", "inform"),
                           user("human please", "request_human"), slots={"account_number": "10000002"})

    summary = handoff_of(await run(ActionHandoff(), tracker))["summary"]

    assert summary["verified"] is False
    assert summary["account_number"] is None and summary["customer_name"] is None
    assert "10000002" not in summary["text"]
    assert summary["first_message"] == "balance?"


async def test_a_handoff_in_the_middle_of_a_form_stops_the_form() -> None:
    tracker = conversation(user("open a ticket", "open_ticket"), user("a person!", "request_human"),
                           slots={**OLA, "requested_slot": "ticket_description"}, active_loop="ticket_form")

    outcome = await run(ActionHandoff(), tracker)

    assert outcome.event_types() == ["active_loop", "slot", "pause"]
    assert outcome.events[0]["name"] is None
