"""Conversations cost something to create: new ones are limited per client address and per
tenant, a hello stores no message (the greeting is stored with the customer's first message),
a resumed hello stores nothing, and conversations nobody wrote in are deleted by the sweep.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.db import Database
from bot.db.models import Conversation, Message
from bot.db.types import utcnow
from bot.gateway.keys import IDLE_SWEEPER
from bot.gateway.settings import RateLimit

from .support import ALLOWED_ORIGIN, Widget

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
Connect = Callable[..., Awaitable[Widget]]


async def counts(database: Database) -> tuple[int, int]:
    """(conversations, messages) stored."""
    async with database.sessionmaker() as session:
        conversations = await session.scalar(select(func.count()).select_from(Conversation))
        messages = await session.scalar(select(func.count()).select_from(Message))
    return int(conversations or 0), int(messages or 0)


async def open_tab(gateway: TestClient, tenant: str = "nordlys") -> Widget:
    return Widget(await gateway.ws_connect(f"/api/v1/tenants/{tenant}/ws", origin=ALLOWED_ORIGIN))


async def test_a_hello_stores_no_message_and_the_first_customer_message_stores_the_greeting_with_it(
    connect: Connect, database: Database, stored: Callable[..., Awaitable[list[Any]]]
) -> None:
    before = await counts(database)
    widget = await connect()
    welcome = await widget.hello(language="en")
    greeting = next(f for f in widget.received if f["type"] == "message")
    assert (welcome["last_seq"], greeting["seq"], greeting["role"]) == (1, 1, "bot")
    assert await counts(database) == (before[0] + 1, before[1])  # one row, no message

    ack = await widget.say("hello there", "c1")
    assert ack["seq"] == 2
    rows = await stored(welcome["conversation_id"])
    assert [(row.seq, row.role, row.text) for row in rows[:2]] == [
        (1, "bot", greeting["text"]), (2, "customer", "hello there")
    ]


async def test_a_resumed_hello_stores_nothing_and_shows_the_same_greeting(
    connect: Connect, database: Database
) -> None:
    first = await connect()
    welcome = await first.hello(language="en")
    greeting = next(f for f in first.received if f["type"] == "message")
    before = await counts(database)

    again = await connect()
    resumed = await again.hello(conversation_id=welcome["conversation_id"], last_seq=0, language="en")
    assert resumed["resumed"] is True and resumed["last_seq"] == 1
    replayed = next(f for f in again.received if f["type"] == "message")
    assert (replayed["seq"], replayed["text"]) == (1, greeting["text"])
    up_to_date = await connect()
    await up_to_date.hello(conversation_id=welcome["conversation_id"], last_seq=1, language="en")
    assert not [f for f in up_to_date.received if f["type"] == "message"]
    assert await counts(database) == before


async def test_one_address_cannot_flood_us_with_conversations_but_may_resume_its_own(
    make_gateway: Callable[..., Awaitable[TestClient]], database: Database
) -> None:
    gateway = await make_gateway(new_conversations_per_address=RateLimit(3, 60.0))
    tabs = [await open_tab(gateway) for _ in range(4)]
    try:
        welcomes = [await tab.hello(language="en") for tab in tabs[:3]]
        before = await counts(database)
        await tabs[3].send(type="hello", last_seq=0, language="en")
        refused = await tabs[3].next_of("error")
        assert refused["code"] == "too_many_conversations"
        assert await counts(database) == before  # nothing stored for the refused hello
        # The socket stays usable, and resuming a conversation is not limited.
        resumed = await tabs[3].hello(conversation_id=welcomes[0]["conversation_id"], last_seq=1)
        assert resumed["resumed"] is True
        assert (await tabs[3].say("still here", "c1"))["seq"] == 2
    finally:
        for tab in tabs:
            await tab.close()


async def test_new_conversations_of_a_tenant_are_limited_across_addresses_and_instances(
    make_gateway: Callable[..., Awaitable[TestClient]],
) -> None:
    # Redis-backed: two instances share one budget for the tenant (a prefix of their own).
    shared = {"redis_url": REDIS_URL, "redis_prefix": f"bpo-test-{secrets.token_hex(4)}:",
              "new_conversations_per_tenant": RateLimit(2, 60.0)}
    first, second = await make_gateway(**shared), await make_gateway(**shared)
    tabs = [await open_tab(first), await open_tab(second), await open_tab(second), await open_tab(first, "lighthouse")]
    try:
        await tabs[0].hello(language="en")
        await tabs[1].hello(language="en")
        await tabs[2].send(type="hello", last_seq=0, language="en")
        assert (await tabs[2].next_of("error"))["code"] == "too_many_conversations"
        assert (await tabs[3].hello(language="en"))["resumed"] is False  # another tenant's budget
    finally:
        for tab in tabs:
            await tab.close()


async def test_the_sweep_deletes_conversations_nobody_wrote_in_and_keeps_the_others(
    gateway: TestClient, connect: Connect, database: Database
) -> None:
    silent, talking = await connect(), await connect()
    silent_id = (await silent.hello(language="en"))["conversation_id"]
    talking_id = (await talking.hello(language="en"))["conversation_id"]
    await talking.say("hi", "c1")

    sweeper = gateway.app[IDLE_SWEEPER]
    assert await sweeper.sweep_empty_once(now=utcnow()) == []  # too young
    deleted = await sweeper.sweep_empty_once(now=utcnow() + timedelta(hours=1))
    assert [key.conversation_id for key in deleted] == [silent_id]
    assert (await silent.next_of("conversation_ended"))["reason"] == "idle"
    async with database.sessionmaker() as session:
        assert await session.get(Conversation, silent_id) is None
        assert await session.get(Conversation, talking_id) is not None
    # The silent tab starts anew when its customer writes.
    assert (await silent.hello(conversation_id=silent_id, last_seq=1))["conversation_id"] != silent_id


async def test_a_hello_without_writing_leaves_no_row_for_an_unknown_conversation_id(
    connect: Connect, database: Database
) -> None:
    widget = await connect()
    before = await counts(database)
    await widget.send(type="hello", conversation_id=str(uuid.uuid4()), last_seq=3)
    assert (await widget.next_of("error"))["code"] == "conversation_not_found"
    welcome = await widget.next_of("welcome")
    assert welcome["resumed"] is False
    assert await counts(database) == (before[0] + 1, before[1])
