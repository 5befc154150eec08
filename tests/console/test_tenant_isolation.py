"""An agent of one tenant can neither list, read, claim nor write to another tenant's
conversations — through any endpoint or WebSocket frame (a matrix, not one case)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Conversation, InternalNote, Message, Ticket

from .conftest import KARI, SAM

# Sam serves only lighthouse; the chat below is Nordlys'.
READS = [
    "/agent/api/conversations/{id}",
    "/agent/api/conversations/{id}/canned",
    "/agent/api/conversations/{id}/transfer_targets",
]
WRITES = [
    ("/agent/api/conversations/{id}/claim", {}),
    ("/agent/api/conversations/{id}/messages", {"text": "hello from another firm"}),
    ("/agent/api/conversations/{id}/notes", {"text": "a note from another firm"}),
    ("/agent/api/conversations/{id}/transfer", {"agent_id": 1}),
    ("/agent/api/conversations/{id}/resolve", {}),
    ("/agent/api/conversations/{id}/hand_back", {}),
    ("/agent/api/conversations/{id}/tickets", {"subject": "x", "description": "y"}),
    ("/agent/api/conversations/{id}/tickets/NRD-1001/status", {"status": "pending"}),
]
FRAMES = [
    {"type": "claim"},
    {"type": "message", "text": "hello from another firm"},
    {"type": "typing", "on": True},
]


@pytest.fixture
async def nordlys_chat(widget: Any, console: Any) -> tuple[str, Any]:
    """A queued Nordlys chat (Kari online for Nordlys) and its customer."""
    await console(KARI)
    customer = await widget("nordlys")
    conversation_id = next(f for f in customer.received if f["type"] == "welcome")["conversation_id"]
    await customer.say("person please", str(uuid.uuid4()), payload="/request_human")
    await customer.next_of("queue")
    return conversation_id, customer


async def _untouched(database: Database, conversation_id: str) -> None:
    async with database.sessionmaker() as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None and conversation.state == "queued"
        roles = (await session.scalars(select(Message.role).where(Message.conversation_id == conversation_id))).all()
        assert "agent" not in roles
        notes = (await session.scalars(select(InternalNote).where(InternalNote.conversation_id == conversation_id))).all()
        assert notes == []
        tickets = (await session.scalars(select(Ticket).where(Ticket.conversation_id == conversation_id))).all()
        assert tickets == []


async def test_another_tenants_queue_is_not_listed(nordlys_chat: tuple[str, Any], console: Any) -> None:
    conversation_id, _ = nordlys_chat
    sam = await console(SAM, socket=False)
    listed = await (await sam.get("/agent/api/queue")).json()
    assert conversation_id not in str(listed)


@pytest.mark.parametrize("path", READS)
async def test_another_tenants_conversation_cannot_be_read(
    nordlys_chat: tuple[str, Any], console: Any, path: str
) -> None:
    conversation_id, _ = nordlys_chat
    sam = await console(SAM, socket=False)
    response = await sam.get(path.format(id=conversation_id))
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "conversation_not_found"


@pytest.mark.parametrize(("path", "body"), WRITES)
async def test_another_tenants_conversation_cannot_be_changed(
    nordlys_chat: tuple[str, Any], console: Any, desk_db: Database, path: str, body: dict[str, Any]
) -> None:
    conversation_id, customer = nordlys_chat
    sam = await console(SAM, socket=False)
    response = await sam.post(path.format(id=conversation_id), body)
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "conversation_not_found"
    await _untouched(desk_db, conversation_id)
    assert all("another firm" not in str(frame) for frame in customer.received)


@pytest.mark.parametrize("frame", FRAMES, ids=[f["type"] for f in FRAMES])
async def test_another_tenants_conversation_cannot_be_touched_over_the_socket(
    nordlys_chat: tuple[str, Any], console: Any, desk_db: Database, frame: dict[str, Any]
) -> None:
    conversation_id, customer = nordlys_chat
    sam = await console(SAM)
    await sam.send(**frame, conversation_id=conversation_id, ref="x")
    answer = await sam.wait_for(lambda f: f.get("ref") == "x")
    assert (answer["type"], answer["code"]) == ("error", "conversation_not_found")
    await _untouched(desk_db, conversation_id)
    await asyncio.sleep(0.1)
    assert all(f.get("role") != "agent" for f in customer.received)


async def test_another_tenants_live_events_never_reach_the_socket(
    console: Any, widget: Any
) -> None:
    sam = await console(SAM)
    kari = await console(KARI)
    customer = await widget("nordlys")
    await customer.say("person please", str(uuid.uuid4()), payload="/request_human")
    await kari.next_of("queue_changed")  # the event went out to Nordlys' agents...
    await customer.send(type="typing", on=True)
    await kari.next_of("typing")
    await sam.send(type="heartbeat", ref="h")
    await sam.next_of("heartbeat_ack", ref="h")  # ...and by now would have reached Sam too
    assert [f["type"] for f in sam.received if f["type"] not in ("presence", "heartbeat_ack", "ready")] == []
