"""End to end through the running gateway: its own delivery worker sends what the use cases
recorded to a real receiving server. The assistant's turns run the real custom actions on
the real database (a stand-in decides which action, as the NLU and policies would)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Message, WebhookEvent
from bot.db.webhook_feed import public_conversation_id
from tests.console.support import ActionsRasa, AgentConsole, ConsoleRasa
from tests.webhooks.conftest import Receiver, documented_verifier, wait_for
from tests.webhooks.gateway_fixtures import (  # noqa: F401 - fixtures
    KARI,
    actions_use_the_database,
    ada,
    console,
    desk_db,
    fake_rasa,
    gateway,
    redactor,
    register,
    settings,
    widget,
)
from tests.webhooks.feed_support import commits_fail_when_they_write, event_of_type, events

pytestmark = pytest.mark.usefixtures("actions_use_the_database")

EMAIL = "ola.nordmann@example.no"
CONVERSATION_EVENTS = ("conversation.escalated", "conversation.assigned", "conversation.resolved", "conversation.rated")


class TicketingRasa(ActionsRasa):
    """ActionsRasa, plus: a request to open a case runs the real action_open_ticket with the
    ticket form filled from the customer's words (as the form would have asked for them)."""

    async def turn(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        if "open a case" not in text.lower():
            return await super().turn(sender, text, metadata)
        from actions.tickets import ActionOpenTicket
        from tests.actions.actions_harness import conversation, run, user

        slots = self.slots.setdefault(sender, {"tenant": metadata.get("tenant"), "language": "en"})
        turns = self.turns.setdefault(sender, [])
        turns.append(user(text, "open_ticket", metadata=metadata))
        form = {**slots, "ticket_category": "billing", "ticket_description": text}
        outcome = await run(ActionOpenTicket(), conversation(*turns, slots=form, sender_id=sender))
        slots.update(outcome.slots)
        return [{"recipient_id": sender, "text": reply} for reply in outcome.texts]


@pytest.fixture
def rasa_stand_in() -> ConsoleRasa:
    return TicketingRasa()


def cid() -> str:
    return str(uuid.uuid4())


async def say(customer: Any, text: str, expected: str, payload: str | None = None) -> None:
    await customer.say(text, cid(), payload=payload)
    try:
        await customer.wait_for(lambda f: f["type"] == "message" and f["role"] != "customer" and expected in f["text"])
    except TimeoutError:
        raise AssertionError(f"{expected!r} not among {customer.messages()}") from None


async def open_customer(widget_factory: Any) -> Any:
    customer = await widget_factory("nordlys")
    customer.conversation_id = next(f for f in customer.received if f["type"] == "welcome")["conversation_id"]
    return customer


def bodies(receiver: Receiver, path: str) -> list[dict[str, Any]]:
    """What the receiver accepted at `path`, in arrival order."""
    return [json.loads(a.body) for a in receiver.arrivals if a.status == 200 and a.path == path]


async def test_a_ticket_the_assistant_opens_arrives_signed_as_ticket_created_and_verifies_with_the_recipe(
    ada: AgentConsole, widget: Any, receiver: Receiver, desk_db: Database  # noqa: F811
) -> None:
    secret = await register(ada, receiver, "/crm", ["ticket.created"])
    customer = await open_customer(widget)
    await say(customer, "how much do I owe?", "confirm who you are")
    await say(customer, "10000001 0150", "You're verified")
    await say(customer, f"please open a case: my meter reading is wrong, mail me at {EMAIL}", "NRD-")
    told = next(m["text"] for m in reversed(customer.messages()) if "NRD-" in m["text"])

    await wait_for(lambda: len(bodies(receiver, "/crm")) == 1)
    [arrival] = [a for a in receiver.arrivals if a.status == 200]
    assert documented_verifier()(secret, arrival.headers["X-BPO-Signature"], arrival.body)
    payload = json.loads(arrival.body)
    assert (payload["type"], payload["tenant"]) == ("ticket.created", "nordlys")
    assert payload["id"] == arrival.headers["X-BPO-Event-Id"] and payload["id"].startswith("evt_")
    ticket = payload["data"]["ticket"]
    assert ticket["reference"] in told, "the reference the customer was told"
    assert (ticket["status"], ticket["category"], ticket["account_number"]) == ("open", "billing", "10000001")
    assert ticket["conversation_id"] == public_conversation_id(customer.conversation_id)
    assert EMAIL not in arrival.body.decode() and "meter reading is wrong" in ticket["description"]
    assert customer.conversation_id not in arrival.body.decode()


async def test_escalate_assign_resolve_and_rate_arrive_in_order_for_one_conversation(
    ada: AgentConsole, console: Any, widget: Any, receiver: Receiver  # noqa: F811
) -> None:
    await register(ada, receiver, "/all", ["*"])
    kari = await console(KARI)
    customer = await open_customer(widget)
    await say(customer, "I want a person", "queue", payload="/request_human")
    conversation_id = customer.conversation_id
    assert (await kari.post(f"/agent/api/conversations/{conversation_id}/claim")).status == 200
    assert (await kari.post(f"/agent/api/conversations/{conversation_id}/resolve")).status == 200
    await customer.wait_for(lambda f: f["type"] == "message" and [b["payload"] for b in f["buttons"]][:1] == ["/rate_1"])
    await say(customer, "5", "Thank you for your rating", payload="/rate_5")

    await wait_for(lambda: [b["type"] for b in bodies(receiver, "/all")][-1:] == ["conversation.rated"])
    received = bodies(receiver, "/all")
    assert [b["type"] for b in received] == ["conversation.started", *CONVERSATION_EVENTS]
    public_id = public_conversation_id(conversation_id)
    assert {b["data"]["conversation"]["id"] for b in received} == {public_id}
    escalated, assigned, _, rated = received[1:]
    assert escalated["data"]["reason"] == "customer_request" and escalated["data"]["outcome"] == "queued"
    assert escalated["data"]["summary"], "the bot's summary for the agent"
    assert assigned["data"]["agent"]["name"] == "Kari" and assigned["data"]["how"] == "claimed"
    assert rated["data"]["rating"] == 5
    times = [b["created_at"] for b in received]
    assert times == sorted(times)


async def test_message_created_reaches_only_the_endpoint_that_asked_for_it_redacted(
    ada: AgentConsole, widget: Any, receiver: Receiver, desk_db: Database  # noqa: F811
) -> None:
    await register(ada, receiver, "/all", ["*"])
    await register(ada, receiver, "/messages", ["message.created"])
    customer = await open_customer(widget)
    await say(customer, f"hello, my mail is {EMAIL}", "You wrote")

    await wait_for(lambda: len(bodies(receiver, "/messages")) == 3 and len(bodies(receiver, "/all")) == 1)
    assert [b["type"] for b in bodies(receiver, "/all")] == ["conversation.started"]
    messages = [b["data"]["message"] for b in bodies(receiver, "/messages")]
    assert [(m["seq"], m["role"]) for m in messages] == [(1, "bot"), (2, "customer"), (3, "bot")]
    async with desk_db.sessionmaker() as session:
        stored = (await session.scalars(
            select(Message.text).where(Message.conversation_id == customer.conversation_id).order_by(Message.seq)
        )).all()
    assert [m["text"] for m in messages] == list(stored), "the stored (redacted) text"
    assert EMAIL not in json.dumps(messages)


async def test_a_first_message_whose_store_fails_records_no_start_and_its_retry_records_one(
    ada: AgentConsole, widget: Any, receiver: Receiver, desk_db: Database  # noqa: F811
) -> None:
    await register(ada, receiver, "/all", ["*"])
    customer = await open_customer(widget)
    with commits_fail_when_they_write(event_of_type("conversation.started")) as refused:
        await customer.send(type="message", client_id="first", text="hello")
        await customer.next_of("error")
    assert refused
    assert await events(desk_db, "conversation.started") == []
    async with desk_db.sessionmaker() as session:
        assert (await session.scalars(select(Message).where(Message.conversation_id == customer.conversation_id))).all() == []

    # The widget resends an unacknowledged message with the same client id.
    await customer.send(type="message", client_id="first", text="hello")
    await customer.wait_for(lambda f: f["type"] == "message" and f["role"] == "bot" and "You wrote" in f["text"])
    await wait_for(lambda: len(bodies(receiver, "/all")) == 1)
    assert [b["type"] for b in bodies(receiver, "/all")] == ["conversation.started"]
    async with desk_db.sessionmaker() as session:
        started = (await session.scalars(select(WebhookEvent).where(WebhookEvent.type == "conversation.started"))).all()
    assert len(started) == 1
