"""The live handoff through the real gateway: customer widget ↔ agent console, both ways."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import select

from bot.db import Database
from bot.db.models import Conversation, Message, Tenant, Ticket

from .conftest import KARI, SUP
from .support import WELCOME_BACK, ConsoleRasa


def cid() -> str:
    return str(uuid.uuid4())


async def ask_for_person(widget: Any) -> str:
    """The customer asks for a person; returns the conversation id once the assistant escalated."""
    await widget.say("I want a person", cid(), payload="/request_human")
    await widget.wait_for(lambda f: f["type"] == "message" and f["role"] == "system" and "queue" in f["text"])
    return widget.conversation_id


async def open_customer(widget_factory: Any, tenant: str = "nordlys") -> Any:
    widget = await widget_factory(tenant)
    welcome = next(frame for frame in widget.received if frame["type"] == "welcome")
    widget.conversation_id = welcome["conversation_id"]
    return widget


async def conversation(database: Database, conversation_id: str) -> Conversation:
    async with database.sessionmaker() as session:
        row = await session.get(Conversation, conversation_id)
        assert row is not None
        return row


async def test_escalation_queues_the_customer_with_position_and_the_console_sees_it(
    widget: Any, console: Any, desk_db: Database
) -> None:
    kari = await console(KARI)
    customer = await open_customer(widget)
    conversation_id = await ask_for_person(customer)

    queue_frame = await customer.next_of("queue")
    assert queue_frame["position"] == 1
    assert "estimated_wait_seconds" in queue_frame
    await kari.next_of("queue_changed")
    listed = await (await kari.get("/agent/api/queue")).json()
    assert [row["id"] for row in listed["queue"]] == [conversation_id]
    assert listed["queue"][0]["reason"] == "customer_request"
    assert (await conversation(desk_db, conversation_id)).state == "queued"


async def test_claimed_chat_carries_messages_and_typing_both_ways_and_never_reaches_rasa(
    widget: Any, console: Any, fake_rasa: ConsoleRasa, desk_db: Database
) -> None:
    kari = await console(KARI)
    customer = await open_customer(widget)
    conversation_id = await ask_for_person(customer)

    await kari.send(type="claim", conversation_id=conversation_id, ref="c1")
    assert (await kari.next_of("claimed", ref="c1"))["conversation_id"] == conversation_id
    joined = await customer.next_of("agent_joined")
    assert joined["agent_name"] == "Kari"
    await customer.wait_for(lambda f: f["type"] == "message" and "Kari has joined" in f["text"])

    rasa_calls_before = len(fake_rasa.attempts)
    await customer.send(type="typing", on=True)
    typing = await kari.next_of("typing", conversation_id=conversation_id, role="customer")
    assert typing["on"] is True
    await customer.say("My bill is wrong", cid())
    seen = await kari.wait_for(
        lambda f: f["type"] == "message" and f["message"]["role"] == "customer"
        and f["message"]["text"] == "My bill is wrong"
    )
    assert seen["conversation_id"] == conversation_id

    await kari.send(type="typing", conversation_id=conversation_id, on=True)
    assert (await customer.next_of("typing", role="agent"))["on"] is True
    await kari.send(type="message", conversation_id=conversation_id, text="Let me look at it", ref="m1")
    sent = await kari.next_of("sent", ref="m1")
    shown = await customer.wait_for(lambda f: f["type"] == "message" and f["role"] == "agent")
    assert shown["text"] == "Let me look at it"
    assert shown["agent_name"] == "Kari"
    assert shown["seq"] == sent["seq"]

    await asyncio.sleep(0.2)  # give a wrong delivery to Rasa the chance to happen
    assert len(fake_rasa.attempts) == rasa_calls_before
    async with desk_db.sessionmaker() as session:
        undelivered = await session.scalars(
            select(Message).where(
                Message.conversation_id == conversation_id, Message.delivered_to_bot.is_(False)
            )
        )
        assert undelivered.all() == []  # nothing waits to be resent to the bot later


async def test_two_agents_claiming_at_once_exactly_one_wins(
    widget: Any, console: Any, desk_db: Database
) -> None:
    kari, sup = await console(KARI), await console(SUP)
    customer = await open_customer(widget)
    conversation_id = await ask_for_person(customer)

    await asyncio.gather(
        kari.send(type="claim", conversation_id=conversation_id, ref="k"),
        sup.send(type="claim", conversation_id=conversation_id, ref="s"),
    )
    answers = [
        await kari.wait_for(lambda f: f.get("ref") == "k"),
        await sup.wait_for(lambda f: f.get("ref") == "s"),
    ]
    kinds = sorted(answer["type"] for answer in answers)
    assert kinds == ["claimed", "error"]
    loser = next(answer for answer in answers if answer["type"] == "error")
    assert loser["code"] == "conflict"
    winner_id = kari.agent["id"] if answers[0]["type"] == "claimed" else sup.agent["id"]
    stored = await conversation(desk_db, conversation_id)
    assert (stored.state, stored.assigned_agent_id) == ("assigned", winner_id)


async def test_resolving_asks_the_customer_for_a_rating_which_is_stored(
    widget: Any, console: Any, desk_db: Database
) -> None:
    kari = await console(KARI)
    customer = await open_customer(widget)
    conversation_id = await ask_for_person(customer)
    assert (await kari.post(f"/agent/api/conversations/{conversation_id}/claim")).status == 200

    response = await kari.post(f"/agent/api/conversations/{conversation_id}/resolve")
    assert response.status == 200
    assert (await customer.next_of("agent_left"))["reason"] == "resolved"
    question = await customer.wait_for(
        lambda f: f["type"] == "message" and [b["payload"] for b in f["buttons"]][:1] == ["/rate_1"]
    )
    assert [button["title"] for button in question["buttons"]] == ["1", "2", "3", "4", "5"]

    await customer.say("4", cid(), payload="/rate_4")
    await customer.wait_for(lambda f: f["type"] == "message" and "Thank you for your rating" in f["text"])
    stored = await conversation(desk_db, conversation_id)
    assert (stored.state, stored.rating) == ("resolved", 4)


async def test_handing_back_resumes_rasa_and_the_bot_greets_the_customer_again(
    widget: Any, console: Any, fake_rasa: ConsoleRasa, desk_db: Database
) -> None:
    kari = await console(KARI)
    customer = await open_customer(widget)
    conversation_id = await ask_for_person(customer)
    await kari.post(f"/agent/api/conversations/{conversation_id}/claim")

    response = await kari.post(f"/agent/api/conversations/{conversation_id}/hand_back")
    assert response.status == 200
    greeting = await customer.wait_for(lambda f: f["type"] == "message" and f["role"] == "bot" and f["text"] == WELCOME_BACK)
    assert greeting
    assert fake_rasa.calls(conversation_id) == [
        ("events", [{"event": "resume"}]),
        ("execute", {"name": "utter_greet"}),
        ("events", [{"event": "action", "name": "action_listen"}]),
    ]
    assert (await conversation(desk_db, conversation_id)).state == "bot"

    await customer.say("hello again bot", cid())
    await customer.wait_for(lambda f: f["type"] == "message" and f["text"] == "echo: hello again bot")


async def test_agent_disconnect_returns_the_chat_to_the_queue_after_the_grace_period_and_tells_the_customer(
    widget: Any, console: Any, desk_db: Database
) -> None:
    kari = await console(KARI)
    customer = await open_customer(widget)
    conversation_id = await ask_for_person(customer)
    await kari.post(f"/agent/api/conversations/{conversation_id}/claim")
    await customer.next_of("agent_joined")

    await kari.ws.close()  # the agent's browser dies

    assert (await customer.next_of("agent_left"))["reason"] == "requeued"
    told = await customer.wait_for(lambda f: f["type"] == "message" and "back in the queue" in f["text"])
    assert told["role"] == "system"
    assert (await customer.next_of("queue"))["position"] == 1
    stored = await conversation(desk_db, conversation_id)
    assert (stored.state, stored.assigned_agent_id) == ("queued", None)


async def test_agent_reconnecting_within_the_grace_period_keeps_the_chat(
    widget: Any, console: Any, desk_db: Database, make_gateway: Any
) -> None:
    kari = await console(KARI)
    customer = await open_customer(widget)
    conversation_id = await ask_for_person(customer)
    await kari.post(f"/agent/api/conversations/{conversation_id}/claim")

    await kari.ws.close()
    await kari.open_socket()  # a page reload
    await asyncio.sleep(0.6)  # past the 0.3 s grace

    stored = await conversation(desk_db, conversation_id)
    assert (stored.state, stored.assigned_agent_id) == ("assigned", kari.agent["id"])


async def test_with_no_agent_online_the_customer_gets_a_ticket_reference(
    widget: Any, desk_db: Database
) -> None:
    customer = await open_customer(widget)
    await customer.say("I want a person", cid(), payload="/request_human")
    told = await customer.wait_for(lambda f: f["type"] == "message" and "ticket" in f["text"])
    async with desk_db.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.conversation_id == customer.conversation_id))
    assert ticket is not None
    assert ticket.reference in told["text"]
    assert "no one is available" in told["text"]
    assert (await conversation(desk_db, customer.conversation_id)).state == "bot"


async def test_waiting_customer_may_leave_a_message_instead(
    widget: Any, console: Any, desk_db: Database
) -> None:
    await console(KARI)
    customer = await open_customer(widget)
    conversation_id = await ask_for_person(customer)

    await customer.say("Leave a message instead", cid(), payload="/leave_message")
    told = await customer.wait_for(lambda f: f["type"] == "message" and "ticket" in f["text"])
    async with desk_db.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.conversation_id == conversation_id))
    assert ticket is not None and ticket.reference in told["text"]
    assert (await conversation(desk_db, conversation_id)).state == "bot"


async def test_gateway_escalates_itself_when_rasa_is_down_and_the_customer_asks_for_a_person(
    widget: Any, console: Any, fake_rasa: ConsoleRasa, desk_db: Database
) -> None:
    kari = await console(KARI)
    customer = await open_customer(widget)
    fake_rasa.mode = "unavailable"

    await customer.say("Talk to a person", cid(), payload="/request_human")

    await customer.next_of("queue")
    stored = await conversation(desk_db, customer.conversation_id)
    assert (stored.state, stored.handoff_reason) == ("queued", "assistant_unavailable")
    await kari.next_of("queue_changed")


async def test_internal_notes_are_shown_to_agents_and_never_to_the_customer(
    widget: Any, console: Any, desk_db: Database
) -> None:
    kari = await console(KARI)
    customer = await open_customer(widget)
    conversation_id = await ask_for_person(customer)
    await kari.post(f"/agent/api/conversations/{conversation_id}/claim")

    response = await kari.post(
        f"/agent/api/conversations/{conversation_id}/notes", {"text": "Customer sounds upset; be gentle"}
    )
    assert response.status == 201
    context = await (await kari.get(f"/agent/api/conversations/{conversation_id}")).json()
    assert [note["text"] for note in context["notes"]] == ["Customer sounds upset; be gentle"]

    # A reconnecting tab replays the whole transcript: the note is not part of it.
    welcome = await customer.hello(conversation_id, 0)
    assert welcome["resumed"] is True
    assert customer.messages()
    assert all("upset" not in str(frame) for frame in customer.received)


async def test_context_panel_shows_reason_summary_transcript_and_verified_account(
    widget: Any, console: Any, desk_db: Database
) -> None:
    kari = await console(KARI)
    customer = await open_customer(widget)
    conversation_id = await ask_for_person(customer)

    context = await (await kari.get(f"/agent/api/conversations/{conversation_id}")).json()
    assert context["conversation"]["reason"] == "customer_request"
    # The summary is stored redacted (it quoted the customer's e-mail address).
    assert "ola.nordmann@example.no" not in str(context["conversation"]["summary"])
    roles = [message["role"] for message in context["transcript"]]
    assert roles[:3] == ["bot", "customer", "bot"]  # greeting, the request, the bot's answer
    assert context["account"] is None  # anonymous customer


async def test_transfer_moves_the_chat_to_another_online_agent(
    widget: Any, console: Any, desk_db: Database
) -> None:
    kari, sup = await console(KARI), await console(SUP)
    customer = await open_customer(widget)
    conversation_id = await ask_for_person(customer)
    await kari.post(f"/agent/api/conversations/{conversation_id}/claim")

    targets = await (await kari.get(f"/agent/api/conversations/{conversation_id}/transfer_targets")).json()
    assert [agent["name"] for agent in targets["agents"]] == ["Sofie"]
    response = await kari.post(
        f"/agent/api/conversations/{conversation_id}/transfer", {"agent_id": sup.agent["id"]}
    )
    assert response.status == 200
    await customer.wait_for(lambda f: f["type"] == "message" and "Sofie has taken over" in f["text"])
    stored = await conversation(desk_db, conversation_id)
    assert stored.assigned_agent_id == sup.agent["id"]
    await sup.next_of("ownership", conversation_id=conversation_id, agent_id=sup.agent["id"])


async def test_supervisor_sees_live_counts_of_every_queue_and_agents_do_not(
    widget: Any, console: Any
) -> None:
    kari, sup = await console(KARI), await console(SUP)
    customer = await open_customer(widget)
    await ask_for_person(customer)

    overview = await (await sup.get("/agent/api/overview")).json()
    nordlys = next(t for t in overview["tenants"] if t["slug"] == "nordlys")
    assert (nordlys["waiting"], nordlys["in_progress"]) == (1, 0)
    assert nordlys["longest_wait_seconds"] >= 0
    assert {t["slug"] for t in overview["tenants"]} == {"nordlys", "fjordnett", "lighthouse"}
    assert (await kari.get("/agent/api/overview")).status == 403


async def test_with_auto_assignment_the_least_busy_online_agent_gets_the_chat_at_once(
    widget: Any, console: Any, desk_db: Database
) -> None:
    async with desk_db.sessionmaker.begin() as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.slug == "nordlys"))
        tenant.auto_assign = True
    kari = await console(KARI)
    customer = await open_customer(widget)
    await customer.say("I want a person", cid(), payload="/request_human")

    joined = await customer.next_of("agent_joined")
    assert joined["agent_name"] == "Kari"
    stored = await conversation(desk_db, customer.conversation_id)
    assert (stored.state, stored.assigned_agent_id) == ("assigned", kari.agent["id"])
    await kari.next_of("ownership", conversation_id=customer.conversation_id, state="assigned")


async def test_customer_writing_after_resolution_is_answered_by_the_bot_again(
    widget: Any, console: Any, fake_rasa: ConsoleRasa, desk_db: Database
) -> None:
    kari = await console(KARI)
    customer = await open_customer(widget)
    conversation_id = await ask_for_person(customer)
    await kari.post(f"/agent/api/conversations/{conversation_id}/claim")
    await kari.post(f"/agent/api/conversations/{conversation_id}/resolve")

    await customer.say("one more question", cid())

    await customer.wait_for(lambda f: f["type"] == "message" and f["text"] == "echo: one more question")
    assert ("events", [{"event": "resume"}]) in fake_rasa.calls(conversation_id)
    assert (await conversation(desk_db, conversation_id)).state == "bot"


async def test_a_rating_payload_the_chat_never_offered_rates_nothing(
    widget: Any, console: Any, desk_db: Database
) -> None:
    kari = await console(KARI)
    customer = await open_customer(widget)
    conversation_id = await ask_for_person(customer)

    await customer.send(type="message", client_id=cid(), text="5", payload="/rate_5")

    # Not offered (the chat is not resolved): it is plain text for the agent, not a rating.
    seen = await kari.wait_for(lambda f: f["type"] == "message" and f["message"]["role"] == "customer" and f["message"]["text"] == "5")
    assert seen["conversation_id"] == conversation_id
    stored = await conversation(desk_db, conversation_id)
    assert (stored.state, stored.rating) == ("queued", None)
