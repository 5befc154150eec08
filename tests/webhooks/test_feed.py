"""Every event is written by the use case that makes its change, in the same transaction
(transactional outbox): a change that does not commit leaves no event, one that commits
always has its event. Both backends; payloads as docs/webhooks.md documents them."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bot.db import Database, TenantRef
from bot.db.conversations import add_customer_message, add_message
from bot.db.models import WEBHOOK_EVENT_TYPES, Conversation, Tenant, Ticket, WebhookEvent
from bot.db.tickets import change_ticket_status, get_ticket, open_ticket
from bot.db.webhook_feed import public_conversation_id
from bot.db.webhooks import add_endpoint
from tests.handoff.conftest import KARI, SUP, Desk, clock, desk, redactor  # noqa: F401 - fixtures
from tests.webhooks.feed_support import (
    CommitRefused,
    commits_fail_when_they_write,
    delivered_types,
    documented_examples,
    event_of_type,
    events,
    keys_of,
)

EMAIL = "ola.nordmann@example.no"


async def _endpoint(database: Database, tenant: TenantRef, events_: list[str]) -> int:
    async with database.sessionmaker.begin() as session:
        endpoint, _ = await add_endpoint(session, tenant.id, "https://crm.example.com/hooks", events_)
    return endpoint.id


@pytest.fixture
async def manual(desk: Desk, nordlys: TenantRef) -> Desk:  # noqa: F811 - the imported fixture
    """Nordlys without auto-assignment: chats wait until someone claims them."""
    async with desk.database.sessionmaker.begin() as session:
        await session.execute(update(Tenant).where(Tenant.id == nordlys.id).values(auto_assign=False))
    return desk


async def _state(database: Database, conversation_id: str) -> tuple[str, int | None, int | None]:
    async with database.sessionmaker() as session:
        found = await session.get(Conversation, conversation_id)
    assert found is not None
    return found.state, found.assigned_agent_id, found.rating


# --- tickets ---------------------------------------------------------------------------------


async def test_an_opened_ticket_and_its_ticket_created_event_commit_together(
    database: Database, nordlys: TenantRef
) -> None:
    await _endpoint(database, nordlys, ["*"])

    async def open_one() -> str:
        async with database.sessionmaker.begin() as session:
            ticket = await open_ticket(
                session, nordlys, account_id=None, conversation_id="c" * 32,
                subject="Meter reading wrong", description="Reading says 99999 since May.",
                category="billing",
            )
            return ticket.reference

    with commits_fail_when_they_write(event_of_type("ticket.created")) as refused:
        with pytest.raises(CommitRefused):
            await open_one()
    assert refused, "the ticket's transaction wrote the event"
    async with database.sessionmaker() as session:
        assert await session.scalar(select(Ticket).where(Ticket.subject == "Meter reading wrong")) is None
    assert await events(database) == []

    reference = await open_one()
    [created] = await events(database)
    assert created.type == "ticket.created" and created.tenant_id == nordlys.id
    ticket = created.data["ticket"]
    assert ticket["reference"] == reference
    assert (ticket["status"], ticket["category"], ticket["priority"]) == ("open", "billing", "normal")
    assert ticket["subject"] == "Meter reading wrong"
    assert ticket["conversation_id"] == public_conversation_id("c" * 32)
    assert "c" * 32 not in str(created.data), "never the browser's conversation id"
    assert ticket["created_at"].endswith("Z") and ticket["account_number"] is None


async def test_a_ticket_status_change_and_its_ticket_updated_event_commit_together(
    database: Database, nordlys: TenantRef
) -> None:
    await _endpoint(database, nordlys, ["ticket.updated"])

    async def move(to: str) -> None:
        async with database.sessionmaker.begin() as session:
            await change_ticket_status(session, nordlys, "NRD-1042", to)

    with commits_fail_when_they_write(event_of_type("ticket.updated")):
        with pytest.raises(CommitRefused):
            await move("pending")
    async with database.sessionmaker() as session:
        assert (await get_ticket(session, nordlys, "NRD-1042")).status == "open"
    assert await events(database) == []

    await move("pending")
    [updated] = await events(database)
    assert updated.type == "ticket.updated"
    assert updated.data["ticket"]["reference"] == "NRD-1042"
    assert updated.data["ticket"]["status"] == "pending"
    assert updated.data["ticket"]["account_number"] == "10000001"
    assert updated.data["changes"] == {"status": {"from": "open", "to": "pending"}}


async def test_an_event_no_endpoint_wants_is_not_stored_at_all(database: Database, nordlys: TenantRef) -> None:
    await _endpoint(database, nordlys, ["conversation.resolved"])
    async with database.sessionmaker.begin() as session:
        await change_ticket_status(session, nordlys, "NRD-1042", "pending")
    assert await events(database) == []


# --- the handoff -----------------------------------------------------------------------------


async def test_escalate_claim_resolve_and_rate_each_commit_with_their_event_in_order(
    manual: Desk, nordlys: TenantRef
) -> None:
    desk = manual
    endpoint_id = await _endpoint(desk.database, nordlys, ["*"])
    [kari] = await desk.online(KARI)
    conversation_id = await desk.conversation(nordlys)
    summary = {"text": f"Handoff (customer request); mail {EMAIL}".replace(EMAIL, "[email]")}

    # Each step once with its commit refused (nothing changes, no event), then for real.
    with commits_fail_when_they_write(event_of_type("conversation.escalated")):
        with pytest.raises(CommitRefused):
            await desk.service.start_handoff(nordlys, conversation_id, reason="customer_request", summary=summary)
    assert await _state(desk.database, conversation_id) == ("bot", None, None)
    await desk.service.start_handoff(nordlys, conversation_id, reason="customer_request", summary=summary)

    with commits_fail_when_they_write(event_of_type("conversation.assigned")):
        with pytest.raises(CommitRefused):
            await desk.service.claim(kari, conversation_id)
    assert (await _state(desk.database, conversation_id))[0] == "queued"
    await desk.service.claim(kari, conversation_id)

    with commits_fail_when_they_write(event_of_type("conversation.resolved")):
        with pytest.raises(CommitRefused):
            await desk.service.resolve(kari, conversation_id)
    assert (await _state(desk.database, conversation_id))[0] == "assigned"
    await desk.service.resolve(kari, conversation_id)

    with commits_fail_when_they_write(event_of_type("conversation.rated")):
        with pytest.raises(CommitRefused):
            await desk.service.rate(nordlys, conversation_id, 4, f"quick, thanks - {EMAIL}")
    assert await _state(desk.database, conversation_id) == ("resolved", kari.agent_id, None)
    await desk.service.rate(nordlys, conversation_id, 4, f"quick, thanks - {EMAIL}")

    assert await delivered_types(desk.database, endpoint_id) == [
        "conversation.escalated", "conversation.assigned", "conversation.resolved", "conversation.rated",
    ]
    escalated, assigned, resolved, rated = await events(desk.database)
    conversation = {
        "id": public_conversation_id(conversation_id), "language": "en", "verified_account": None,
    }
    for event in (escalated, assigned, resolved, rated):
        assert {k: event.data["conversation"][k] for k in conversation} == conversation
        assert event.ordering_key == f"conversation:{conversation_id}"
    assert escalated.data["reason"] == "customer_request"
    assert escalated.data["summary"] == summary["text"]
    assert (escalated.data["outcome"], escalated.data["ticket_reference"]) == ("queued", None)
    assert assigned.data["agent"] == {"id": kari.agent_id, "name": "Kari"}
    assert (assigned.data["how"], assigned.data["previous_agent"]) == ("claimed", None)
    assert resolved.data["agent"] == {"id": kari.agent_id, "name": "Kari"}
    assert rated.data["rating"] == 4
    assert EMAIL not in rated.data["comment"] and rated.data["comment"].startswith("quick, thanks")


async def test_auto_assignment_and_a_transfer_say_how_the_chat_was_assigned(
    desk: Desk, nordlys: TenantRef  # noqa: F811
) -> None:
    await _endpoint(desk.database, nordlys, ["conversation.assigned"])
    kari, sup = await desk.online(KARI, SUP)
    conversation_id = await desk.conversation(nordlys)
    outcome = await desk.service.start_handoff(nordlys, conversation_id, reason="customer_request", summary=None)
    first_owner = outcome.change.after.agent_id
    assert first_owner in (kari.agent_id, sup.agent_id)
    owner, other = (kari, sup) if first_owner == kari.agent_id else (sup, kari)
    await desk.service.transfer(owner, conversation_id, other.agent_id)

    auto, transferred = await events(desk.database, "conversation.assigned")
    assert (auto.data["how"], auto.data["agent"]["id"], auto.data["previous_agent"]) == ("auto", owner.agent_id, None)
    assert transferred.data["how"] == "transferred"
    assert transferred.data["agent"]["id"] == other.agent_id
    assert transferred.data["previous_agent"]["id"] == owner.agent_id


async def test_with_nobody_to_come_the_escalation_names_the_ticket_left_for_the_back_office(
    desk: Desk, nordlys: TenantRef  # noqa: F811
) -> None:
    await _endpoint(desk.database, nordlys, ["*"])
    conversation_id = await desk.conversation(nordlys)  # every agent is offline
    outcome = await desk.service.start_handoff(nordlys, conversation_id, reason="complaint", summary={"text": "angry"})

    created, escalated = await events(desk.database)
    assert created.type == "ticket.created" and escalated.type == "conversation.escalated"
    assert created.data["ticket"]["reference"] == outcome.ticket_reference
    assert escalated.data["outcome"] == "message_left"
    assert escalated.data["ticket_reference"] == outcome.ticket_reference


# --- messages --------------------------------------------------------------------------------


async def test_message_created_goes_only_to_endpoints_that_name_it_and_commits_with_the_message(
    database: Database, nordlys: TenantRef
) -> None:
    everything = await _endpoint(database, nordlys, ["*"])
    messages = await _endpoint(database, nordlys, ["message.created"])
    async with database.sessionmaker.begin() as session:
        conversation = Conversation(id="m" * 32, tenant_id=nordlys.id, state="bot", language="en", last_seq=0)
        session.add(conversation)

    with commits_fail_when_they_write(event_of_type("message.created")):
        with pytest.raises(CommitRefused):
            async with database.sessionmaker.begin() as session:
                await add_customer_message(session, nordlys, "m" * 32, client_id="x1", text="hello [email]")
    assert await events(database) == []

    async with database.sessionmaker.begin() as session:
        await add_customer_message(session, nordlys, "m" * 32, client_id="x1", text="hello [email]")
        await add_message(session, nordlys, "m" * 32, role="bot", text="Hi! How can I help?")

    assert await delivered_types(database, everything) == [], "'*' does not include message.created"
    assert await delivered_types(database, messages) == ["message.created", "message.created"]
    customer, bot = await events(database)
    assert customer.data == {
        "conversation": {"id": public_conversation_id("m" * 32)},
        "message": {
            "seq": 1, "role": "customer", "text": "hello [email]", "agent_name": None,
            "created_at": customer.data["message"]["created_at"],
        },
    }
    assert (bot.data["message"]["seq"], bot.data["message"]["role"]) == (2, "bot")


async def test_without_a_subscriber_storing_messages_writes_no_event(database: Database, nordlys: TenantRef) -> None:
    await _endpoint(database, nordlys, ["*"])
    async with database.sessionmaker.begin() as session:
        session.add(Conversation(id="q" * 32, tenant_id=nordlys.id, state="bot", language="en", last_seq=0))
    async with database.sessionmaker.begin() as session:
        await add_customer_message(session, nordlys, "q" * 32, client_id="x1", text="hello")
    async with database.sessionmaker() as session:
        assert (await session.scalars(select(WebhookEvent))).all() == []


# --- the documented contract -------------------------------------------------------------------


async def test_every_event_type_has_one_documented_example_with_exactly_the_fields_it_sends(
    manual: Desk, nordlys: TenantRef
) -> None:
    desk = manual
    await _endpoint(desk.database, nordlys, ["*", "message.created"])
    [kari] = await desk.online(KARI)
    conversation_id = await desk.conversation(nordlys)  # message.created, twice
    await desk.service.start_handoff(nordlys, conversation_id, reason="customer_request", summary={"text": "x"})
    await desk.service.claim(kari, conversation_id)
    await desk.service.resolve(kari, conversation_id)
    await desk.service.rate(nordlys, conversation_id, 5)
    async with desk.database.sessionmaker.begin() as session:
        ticket = await open_ticket(
            session, nordlys, account_id=None, conversation_id=conversation_id, subject="s", description="d",
            category="billing",
        )
        await change_ticket_status(session, nordlys, ticket.reference, "pending")
    # conversation.started is recorded by the gateway's transcript (test_gateway_feed); its
    # payload is the conversation block every conversation event carries.
    sent = {event.type: event.data for event in await events(desk.database)}
    sent["conversation.started"] = {"conversation": sent["conversation.escalated"]["conversation"]}

    examples = documented_examples()
    assert sorted(examples) == sorted(WEBHOOK_EVENT_TYPES), "one example per event type"
    for type_ in WEBHOOK_EVENT_TYPES:
        assert keys_of(examples[type_]) == keys_of(sent[type_]), type_
