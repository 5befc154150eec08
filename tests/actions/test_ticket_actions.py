"""Tickets: the ticket form, opening a confirmed ticket, and tenant-scoped ticket status."""

from __future__ import annotations

import logging

import pytest
from actions_harness import conversation, run, user
from sqlalchemy import select

from actions.tickets import (
    ActionCancelTicket,
    ActionOpenTicket,
    MAX_LOOKUPS,
    ActionTicketStatus,
    ValidateTicketForm,
    ValidateTicketStatusForm,
)
from bot.db import Database, TenantRef, Ticket, find_account, get_ticket
from bot.db import audit

OLA = {"verified": True, "account_number": "10000001", "customer_name": "Ola Nordmann"}
CONFIRMED = {**OLA, "ticket_category": "technical",
             "ticket_description": "The power has been off in my flat since this morning."}


def form_answer(text: str, slot: str, form: str = "ticket_form", **slots: object):
    return conversation(user(text, "inform"), candidates={slot: text},
                        slots={"requested_slot": slot, **slots}, active_loop=form)


def status_question(reference: str | None, **slots: object):
    text = f"what's the status of {reference}" if reference else "any update on my ticket?"
    return conversation(user(text, "ticket_status"), slots={"ticket_ref": reference, **slots})


@pytest.mark.parametrize(
    ("typed", "category"),
    [("billing", "billing"), ("It's about my invoice", "billing"), ("the router", "technical"),
     ("I want to make a claim", "claim"), ("login problems", "account"), ("something else", "other"),
     ("teknisk", "technical")],
)
async def test_a_typed_category_is_understood(typed: str, category: str) -> None:
    outcome = await run(ValidateTicketForm(), form_answer(typed, "ticket_category"))

    assert outcome.slots["ticket_category"] == category


@pytest.mark.parametrize(
    ("request_text", "category"),
    [("I want to file a claim", "claim"), ("my internet is down, please open a case", "technical"),
     ("my bill is wrong", "billing"), ("I'd like to open a ticket", None)],
)
async def test_the_request_that_started_the_form_can_name_the_category(
    request_text: str, category: str | None
) -> None:
    # Activation after verification: the latest message is the postcode, not the request.
    tracker = conversation(user(request_text, "open_ticket"), user("0150", "inform"), slots={"verified": True})

    outcome = await run(ValidateTicketForm(), tracker)

    assert outcome.slots.get("ticket_category") == category


async def test_the_category_is_not_guessed_once_the_customer_was_asked() -> None:
    tracker = conversation(user("I want to file a claim", "open_ticket"), user("hmm", "inform"),
                           slots={"requested_slot": "ticket_category"}, active_loop="ticket_form")

    outcome = await run(ValidateTicketForm(), tracker)

    assert "ticket_category" not in outcome.slots


async def test_an_unknown_category_is_asked_again_with_the_choices() -> None:
    outcome = await run(ValidateTicketForm(), form_answer("bananas", "ticket_category"))

    assert outcome.slots["ticket_category"] is None
    assert outcome.texts == ["Please pick one of: billing, technical, account, claim or other."]


async def test_a_too_short_description_is_asked_again() -> None:
    outcome = await run(ValidateTicketForm(), form_answer("help", "ticket_description"))

    assert outcome.slots["ticket_description"] is None
    assert outcome.texts == ["Could you tell me a bit more, so that my colleagues understand what it's about?"]


async def test_a_description_is_kept_as_written_apart_from_whitespace() -> None:
    outcome = await run(ValidateTicketForm(), form_answer("  no power\n since 7am  ", "ticket_description"))

    assert outcome.slots["ticket_description"] == "no power since 7am"


async def test_a_confirmed_ticket_is_written_for_the_account_and_conversation(
    records: Database, nordlys: TenantRef
) -> None:
    tracker = conversation(user("yes", "affirm"), slots=CONFIRMED, sender_id="conv-4711")

    outcome = await run(ActionOpenTicket(), tracker)

    reference = outcome.messages[0]["reference"]
    assert outcome.texts == [f"Done! I've opened ticket {reference}. We'll get back to you as soon as we can."]
    async with records.sessionmaker() as session:
        ticket = await get_ticket(session, nordlys, reference)
        ola = await find_account(session, nordlys, "10000001")
    assert ticket is not None and ola is not None
    assert ticket.account_id == ola.id
    assert reference.startswith("NRD-")
    assert ticket.conversation_id == "conv-4711"
    assert ticket.category == "technical"
    assert ticket.status == "open"
    assert ticket.description == "The power has been off in my flat since this morning."
    assert ticket.subject == "The power has been off in my flat since this morning."
    assert outcome.slots["opened_tickets"] == [reference]
    assert outcome.slots["ticket_category"] is None and outcome.slots["ticket_description"] is None


async def test_personal_data_is_redacted_before_the_ticket_is_stored(
    records: Database, nordlys: TenantRef
) -> None:
    slots = {**CONFIRMED, "ticket_description": "Card 4111 1111 1111 1111 was charged twice, mail me at ola@example.no"}

    outcome = await run(ActionOpenTicket(), conversation(user("yes", "affirm"), slots=slots))

    async with records.sessionmaker() as session:
        ticket = await get_ticket(session, nordlys, outcome.messages[0]["reference"])
    assert ticket is not None
    assert "4111" not in ticket.description and "ola@example.no" not in ticket.description
    assert "charged twice" in ticket.description


async def test_each_ticket_of_the_conversation_is_remembered(records: Database) -> None:
    slots = {**CONFIRMED, "opened_tickets": ["NRD-1043"]}

    outcome = await run(ActionOpenTicket(), conversation(user("yes", "affirm"), slots=slots))

    assert outcome.slots["opened_tickets"] == ["NRD-1043", outcome.messages[0]["reference"]]


async def test_an_unverified_customer_cannot_open_a_ticket(records: Database, nordlys: TenantRef) -> None:
    slots = {**CONFIRMED, "verified": False}

    outcome = await run(ActionOpenTicket(), conversation(user("yes", "affirm"), slots=slots))

    assert outcome.responses == ["utter_verify_first"]
    async with records.sessionmaker() as session:
        count = len(list(await session.scalars(select(Ticket).where(Ticket.conversation_id == "conversation-1"))))
    assert count == 0


async def test_a_declined_ticket_is_not_opened_and_forgotten() -> None:
    outcome = await run(ActionCancelTicket(), conversation(user("no", "deny"), slots=CONFIRMED))

    assert outcome.texts == ["No problem, I haven't opened anything."]
    assert outcome.slots == {"ticket_category": None, "ticket_description": None}


async def test_no_success_is_claimed_when_the_records_are_unreachable(
    unreachable_records: Database, caplog: pytest.LogCaptureFixture
) -> None:
    outcome = await run(ActionOpenTicket(), conversation(user("yes", "affirm"), slots=CONFIRMED))

    assert outcome.responses == ["utter_records_unavailable"]
    assert outcome.events == []
    assert any(record.levelno == logging.ERROR for record in caplog.records)


@pytest.mark.parametrize(("typed", "reference"), [("NRD-1042", "NRD-1042"), ("it's nrd 1042", "NRD-1042"),
                                                  ("#lhi-2304 please", "LHI-2304")])
async def test_a_typed_reference_is_normalised(typed: str, reference: str) -> None:
    outcome = await run(ValidateTicketStatusForm(), form_answer(typed, "ticket_ref", "ticket_status_form"))

    assert outcome.slots["ticket_ref"] == reference


async def test_text_without_a_reference_is_asked_again() -> None:
    outcome = await run(ValidateTicketStatusForm(), form_answer("the one from last week", "ticket_ref",
                                                                "ticket_status_form"))

    assert outcome.slots["ticket_ref"] is None
    assert outcome.responses == ["utter_ticket_ref_invalid"]


async def test_status_of_an_own_ticket_tells_what_it_is_about(records: Database) -> None:
    outcome = await run(ActionTicketStatus(), status_question("NRD-1042", **OLA))

    assert outcome.texts == [
        'Ticket NRD-1042 ("Feil målerstand på siste faktura") is open. Last updated 30 October 2025.'
    ]
    assert outcome.slots["ticket_ref"] is None  # the next question asks afresh


async def test_an_anonymous_visitor_learns_nothing_about_a_ticket_that_is_not_theirs(records: Database) -> None:
    # NRD-1042 exists (Ola's); the visitor did not open it here and is not verified.
    outcome = await run(ActionTicketStatus(), status_question("nrd-1042"))

    assert outcome.texts == ["I couldn't find a ticket with reference NRD-1042."]


async def test_not_yours_and_nonexistent_get_the_same_answer(records: Database) -> None:
    existing = await run(ActionTicketStatus(), status_question("NRD-1042"))
    missing = await run(ActionTicketStatus(), status_question("NRD-9998"))

    assert existing.responses == missing.responses == ["utter_ticket_not_found"]
    assert existing.events == missing.events == [{"event": "slot", "timestamp": None, "name": "ticket_ref", "value": None}]


async def test_a_ticket_opened_in_this_conversation_is_shown_without_verification(
    records: Database, nordlys: TenantRef
) -> None:
    opened = await run(ActionOpenTicket(), conversation(user("yes", "affirm"), slots=CONFIRMED, sender_id="conv-9"))
    reference = opened.messages[0]["reference"]

    def asked_in(sender_id: str):
        return conversation(user(f"status of {reference}", "ticket_status"), slots={"ticket_ref": reference},
                            sender_id=sender_id)

    outcome = await run(ActionTicketStatus(), asked_in("conv-9"))  # anonymous, the chat that opened it
    elsewhere = await run(ActionTicketStatus(), asked_in("conv-10"))

    assert outcome.responses == ["utter_ticket_status_with_subject"]
    assert outcome.texts[0].startswith(f'Ticket {reference} ("The power has been off')
    assert elsewhere.responses == ["utter_ticket_not_found"]


async def test_status_in_norwegian(records: Database) -> None:
    # NRD-1039 is account 10000002's.
    outcome = await run(ActionTicketStatus(), status_question("NRD-1039", language="nb", verified=True,
                                                              account_number="10000002"))

    [text] = outcome.texts
    assert text.startswith("Sak NRD-1039 («")
    assert text.endswith("») har status: venter på mer informasjon. Sist oppdatert 15. oktober 2025.")


async def test_ticket_lookups_of_a_conversation_are_limited(records: Database) -> None:
    for number in range(MAX_LOOKUPS):
        outcome = await run(ActionTicketStatus(), status_question(f"NRD-{2000 + number}"))
        assert outcome.responses == ["utter_ticket_not_found"]

    limited = await run(ActionTicketStatus(), status_question("NRD-1042", **OLA))
    other_conversation = await run(ActionTicketStatus(), conversation(
        user("status of NRD-1042", "ticket_status"), slots={"ticket_ref": "NRD-1042", **OLA}, sender_id="conv-2"))

    assert limited.texts == ["You've asked about several tickets in a short time. Please try again in a few "
                             "minutes, or ask for a person."]
    assert other_conversation.responses == ["utter_ticket_status_with_subject"]


async def test_each_lookup_is_in_the_audit_log(records: Database, nordlys: TenantRef) -> None:
    await run(ActionTicketStatus(), status_question("NRD-1042"))
    await run(ActionTicketStatus(), status_question("NRD-1042", **OLA))

    async with records.sessionmaker() as session:
        entries = await audit.entries(session, [nordlys.id], action=audit.TICKET_LOOKUP)
    assert [(e.actor_kind, e.target_id, e.details) for e in entries] == [
        ("customer", "conversation-1", {"reference": "NRD-1042", "found": True}),
        ("customer", "conversation-1", {"reference": "NRD-1042", "found": False}),
    ]


async def test_ticket_status_of_another_tenant_is_not_found(records: Database) -> None:
    # LHI-2304 exists, but it is Lighthouse's; this conversation is Nordlys's.
    outcome = await run(ActionTicketStatus(), status_question("LHI-2304"))

    assert outcome.texts == ["I couldn't find a ticket with reference LHI-2304."]


async def test_same_number_under_another_tenant_is_not_found(records: Database) -> None:
    outcome = await run(ActionTicketStatus(), status_question("NRD-1042", tenant="fjordnett"))

    assert outcome.texts == ["I couldn't find a ticket with reference NRD-1042."]


async def test_unknown_ticket_is_not_found(records: Database) -> None:
    outcome = await run(ActionTicketStatus(), status_question("NRD-9999"))

    assert outcome.texts == ["I couldn't find a ticket with reference NRD-9999."]


async def test_ticket_of_another_customer_is_not_found_for_a_verified_customer(records: Database) -> None:
    # NRD-1039 belongs to account 10000002; Ola (10000001) is verified.
    outcome = await run(ActionTicketStatus(), status_question("NRD-1039", **OLA))

    assert outcome.texts == ["I couldn't find a ticket with reference NRD-1039."]


async def test_unreachable_records_during_status_are_reported(
    unreachable_records: Database, caplog: pytest.LogCaptureFixture
) -> None:
    outcome = await run(ActionTicketStatus(), status_question("NRD-1042"))

    assert outcome.responses == ["utter_records_unavailable"]
    assert any(record.levelno == logging.ERROR for record in caplog.records)


async def _reply_on(records: Database, nordlys: TenantRef, reference: str, text: str) -> None:
    from bot.db.tickets import add_public_reply

    async with records.sessionmaker.begin() as session:
        await add_public_reply(session, nordlys, reference, text)


async def test_the_firms_latest_public_reply_is_told_after_the_status(
    records: Database, nordlys: TenantRef
) -> None:
    await _reply_on(records, nordlys, "NRD-1042", "We have corrected the meter reading.")
    await _reply_on(records, nordlys, "NRD-1042", "A corrected invoice is on its way.")

    outcome = await run(ActionTicketStatus(), status_question("NRD-1042", **OLA))

    assert outcome.responses == ["utter_ticket_status_with_subject", "utter_ticket_public_reply"]
    assert outcome.texts[1].startswith("Our latest reply (")
    assert outcome.texts[1].endswith('): "A corrected invoice is on its way."')


async def test_the_public_reply_is_introduced_in_norwegian(records: Database, nordlys: TenantRef) -> None:
    await _reply_on(records, nordlys, "NRD-1039", "Vi har rettet målerstanden.")

    outcome = await run(ActionTicketStatus(), status_question("NRD-1039", language="nb", verified=True,
                                                              account_number="10000002"))

    assert outcome.texts[1].startswith("Siste svar fra oss (")
    assert outcome.texts[1].endswith("): «Vi har rettet målerstanden.»")


async def test_a_ticket_without_a_reply_is_told_only_its_status(records: Database) -> None:
    outcome = await run(ActionTicketStatus(), status_question("NRD-1042", **OLA))

    assert outcome.responses == ["utter_ticket_status_with_subject"]


async def test_a_stranger_hears_no_reply_of_someone_elses_ticket(records: Database, nordlys: TenantRef) -> None:
    await _reply_on(records, nordlys, "NRD-1042", "We have corrected the meter reading.")

    outcome = await run(ActionTicketStatus(), status_question("NRD-1042"))

    assert outcome.responses == ["utter_ticket_not_found"]
