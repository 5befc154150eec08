"""Two gateway instances sharing the database and Redis: the customer's tab on one, the
agent's console on the other, and the handoff works as if there were one.

The instances are two apps in this process with separate Redis connections, which is all
they share with each other besides the database (tests/scaleout runs real processes).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Conversation, Message
from bot.handoff.demo_agents import DEMO_AGENT_PASSWORD
from tests.gateway.support import ALLOWED_ORIGIN

from .conftest import KARI
from .support import AgentConsole, ConsoleRasa, Widget

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def cid() -> str:
    return str(uuid.uuid4())


@pytest.fixture
async def two_gateways(
    make_gateway: Callable[..., Awaitable[TestClient]],
) -> tuple[TestClient, TestClient]:
    # A prefix of their own: other tests (and other runs) share this Redis.
    prefix = f"bpo-test-{secrets.token_hex(4)}:"
    first = await make_gateway(redis_url=REDIS_URL, redis_prefix=prefix)
    second = await make_gateway(redis_url=REDIS_URL, redis_prefix=prefix)
    return first, second


@pytest.fixture
async def people() -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """Open a customer's tab or an agent's console on a given instance."""
    closers: list[Callable[[], Awaitable[Any]]] = []

    async def open_on(instance: TestClient, who: str) -> Any:
        if who == "customer":
            ws = await instance.ws_connect("/api/v1/tenants/nordlys/ws", origin=ALLOWED_ORIGIN)
            widget = Widget(ws)
            closers.append(widget.close)
            widget.conversation_id = (await widget.hello(language="en"))["conversation_id"]
            return widget
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        closers.append(http.close)
        agent = AgentConsole(http, str(instance.make_url("")).rstrip("/"))
        assert (await agent.login(who, DEMO_AGENT_PASSWORD)).status == 200
        await agent.open_socket()
        closers.insert(0, agent.close)
        return agent

    yield open_on
    for close in closers:
        await close()


async def test_escalation_claim_chat_both_ways_and_resolve_across_two_instances(
    two_gateways: tuple[TestClient, TestClient],
    people: Callable[..., Awaitable[Any]],
    fake_rasa: ConsoleRasa,
    desk_db: Database,
) -> None:
    instance_a, instance_b = two_gateways
    customer = await people(instance_a, "customer")
    kari = await people(instance_b, KARI)
    conversation_id = customer.conversation_id

    await customer.say("I want a person", cid(), payload="/request_human")
    # The queue change made on A reaches the console on B.
    queued = await kari.next_of("queue_changed")
    assert queued
    listed = await (await kari.get("/agent/api/queue")).json()
    assert [row["id"] for row in listed["queue"]] == [conversation_id]
    assert (await customer.next_of("queue"))["position"] == 1

    await kari.send(type="claim", conversation_id=conversation_id, ref="c1")
    await kari.next_of("claimed", ref="c1")
    assert (await customer.next_of("agent_joined"))["agent_name"] == "Kari"

    await customer.say("My bill is wrong", cid())
    seen = await kari.wait_for(
        lambda f: f["type"] == "message" and f["message"]["text"] == "My bill is wrong"
    )
    assert seen["conversation_id"] == conversation_id
    await customer.send(type="typing", on=True)
    assert (await kari.next_of("typing", role="customer"))["on"] is True

    await kari.send(type="typing", conversation_id=conversation_id, on=True)
    assert (await customer.next_of("typing", role="agent"))["on"] is True
    await kari.send(type="message", conversation_id=conversation_id, text="Let me look", ref="m1")
    sent = await kari.next_of("sent", ref="m1")
    shown = await customer.wait_for(lambda f: f["type"] == "message" and f["role"] == "agent")
    assert (shown["text"], shown["seq"]) == ("Let me look", sent["seq"])

    assert (await kari.post(f"/agent/api/conversations/{conversation_id}/resolve")).status == 200
    assert (await customer.next_of("agent_left"))["reason"] == "resolved"
    await customer.say("5", cid(), payload="/rate_5")
    await customer.wait_for(lambda f: f["type"] == "message" and "Thank you for your rating" in f["text"])

    async with desk_db.sessionmaker() as session:
        stored = await session.get(Conversation, conversation_id)
        assert stored is not None and (stored.state, stored.rating) == ("resolved", 5)
        seqs = list(await session.scalars(
            select(Message.seq).where(Message.conversation_id == conversation_id).order_by(Message.seq)
        ))
    # The customer's tab saw the whole transcript, each message once, in order.
    shown_seqs = [f["seq"] for f in customer.received if f["type"] == "message"]
    assert shown_seqs == seqs


async def test_a_tab_on_each_instance_sees_every_message_once_and_in_order(
    two_gateways: tuple[TestClient, TestClient], people: Callable[..., Awaitable[Any]]
) -> None:
    instance_a, instance_b = two_gateways
    first_tab = await people(instance_a, "customer")
    ws = await instance_b.ws_connect("/api/v1/tenants/nordlys/ws", origin=ALLOWED_ORIGIN)
    second_tab = Widget(ws)
    try:
        await second_tab.hello(conversation_id=first_tab.conversation_id, last_seq=0, language="en")
        texts = [f"message {n}" for n in range(6)]
        for n, text in enumerate(texts):
            tab = first_tab if n % 2 == 0 else second_tab
            await tab.say(text, cid())
        for tab in (first_tab, second_tab):
            await tab.wait_for(lambda f: f["type"] == "message" and f["text"] == "echo: message 5")
            await asyncio.sleep(0.2)  # a duplicate would arrive by now
            while True:
                try:
                    await asyncio.wait_for(tab.next_frame(), 0.2)
                except (TimeoutError, asyncio.TimeoutError):
                    break
            seqs = [f["seq"] for f in tab.received if f["type"] == "message"]
            assert seqs == list(range(1, len(seqs) + 1))
            assert [f["text"] for f in tab.received if f["type"] == "message" and f["role"] == "customer"] == texts
    finally:
        await second_tab.close()
