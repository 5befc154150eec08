"""The console's working tools: the verified account card, canned responses, tickets, presence, logout."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Agent, Ticket
from bot.gateway.identity import sign_user_id
from tests.gateway.support import DEMO_CUSTOMER, identity_secret

from .conftest import KARI


def cid() -> str:
    return str(uuid.uuid4())


async def queued_chat(widget: Any, **hello: Any) -> tuple[str, Any]:
    customer = await widget("nordlys")
    if hello:
        await customer.hello(None, 0, language="en", **hello)
    conversation_id = [f for f in customer.received if f["type"] == "welcome"][-1]["conversation_id"]
    await customer.say("person please", cid(), payload="/request_human")
    await customer.next_of("queue")
    return conversation_id, customer


async def test_the_context_panel_shows_the_verified_customers_account_card(
    widget: Any, console: Any, desk_db: Database
) -> None:
    kari = await console(KARI)
    secret = await identity_secret(desk_db, "nordlys")
    conversation_id, _ = await queued_chat(
        widget, user_id=DEMO_CUSTOMER, user_hash=sign_user_id(secret, DEMO_CUSTOMER)
    )
    context = await (await kari.get(f"/agent/api/conversations/{conversation_id}")).json()
    assert context["account"]["account_number"] == DEMO_CUSTOMER
    assert context["conversation"]["verified"] is True


async def test_canned_responses_are_the_chats_tenants(widget: Any, console: Any) -> None:
    kari = await console(KARI)
    conversation_id, _ = await queued_chat(widget)
    canned = await (await kari.get(f"/agent/api/conversations/{conversation_id}/canned")).json()
    shortcuts = {item["shortcut"] for item in canned["canned"]}
    assert {"hei", "takk"} <= shortcuts  # Nordlys'
    assert "claim-docs" not in shortcuts  # Lighthouse's


async def test_agent_creates_and_updates_a_ticket_from_the_conversation(
    widget: Any, console: Any, desk_db: Database
) -> None:
    kari = await console(KARI)
    conversation_id, _ = await queued_chat(widget)
    base = f"/agent/api/conversations/{conversation_id}"

    created = await kari.post(
        f"{base}/tickets", {"subject": "Bill too high", "description": "Customer disputes the November bill.", "category": "billing"}
    )
    assert created.status == 201
    reference = (await created.json())["ticket"]["reference"]
    assert reference.startswith("NRD-")
    updated = await kari.post(f"{base}/tickets/{reference}/status", {"status": "pending"})
    assert updated.status == 200
    context = await (await kari.get(base)).json()
    assert [(t["reference"], t["status"]) for t in context["tickets"]] == [(reference, "pending")]
    async with desk_db.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket is not None and ticket.conversation_id == conversation_id

    bad = await kari.post(f"{base}/tickets", {"subject": "x", "description": "y", "category": "nonsense"})
    assert bad.status == 400


async def test_a_ticket_an_agent_opens_is_stored_with_personal_data_redacted(
    widget: Any, console: Any, desk_db: Database
) -> None:
    kari = await console(KARI)
    conversation_id, _ = await queued_chat(widget)

    created = await kari.post(f"/agent/api/conversations/{conversation_id}/tickets", {
        "subject": "Call back on +47 912 34 567",
        "description": "Customer (kari.nordmann@example.no) wants the refund on card 4111 1111 1111 1111.",
        "category": "billing",
    })

    assert created.status == 201
    view = (await created.json())["ticket"]
    async with desk_db.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.reference == view["reference"]))
    stored = f"{ticket.subject} {ticket.description}"
    for personal in ("912 34 567", "kari.nordmann@example.no", "4111 1111 1111 1111"):
        assert personal not in stored and personal not in str(view)
    assert "Call back on" in ticket.subject and "wants the refund" in ticket.description


async def test_an_away_agent_gets_no_new_chats(widget: Any, console: Any, desk_db: Database) -> None:
    kari = await console(KARI)
    await kari.send(type="presence", status="away")
    await kari.next_of("presence", status="away")
    async with desk_db.sessionmaker() as session:
        agent = await session.scalar(select(Agent).where(Agent.email == KARI))
        assert agent is not None and agent.presence == "away"

    customer = await widget("nordlys")
    await customer.say("person please", cid(), payload="/request_human")
    told = await customer.wait_for(lambda f: f["type"] == "message" and "ticket" in f["text"])
    assert "no one is available" in told["text"]


async def test_bad_frames_on_the_agent_socket_get_clear_errors_and_the_socket_stays_open(console: Any) -> None:
    kari = await console(KARI)
    await kari.ws.send_str("not json")
    assert (await kari.next_of("error"))["code"] == "bad_json"
    await kari.send(type="presence", status="asleep", ref="p")
    assert (await kari.next_of("error", ref="p"))["code"] == "unknown_frame"
    await kari.send(type="claim", ref="c")
    assert (await kari.next_of("error", ref="c"))["code"] == "unknown_frame"
    await kari.send(type="heartbeat", ref="h")
    await kari.next_of("heartbeat_ack", ref="h")


async def test_logging_out_closes_the_agents_sockets(console: Any) -> None:
    kari = await console(KARI)
    assert (await kari.post("/agent/api/logout")).status == 200
    closing = await kari.ws.receive(timeout=10)
    while closing.type is aiohttp.WSMsgType.TEXT:  # live events sent before the close
        closing = await kari.ws.receive(timeout=10)
    assert (closing.type, closing.data) == (aiohttp.WSMsgType.CLOSE, 4401)
