"""The agent's workspace: messages to the customer, internal notes, canned responses."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from bot.db import TenantRef
from bot.db.conversations import messages_after
from bot.db.models import Tenant
from bot.db.notes import NOTE_MAX_CHARS
from bot.handoff.errors import InvalidHandoffInput, NotPermitted
from bot.handoff.workspace import AGENT_MESSAGE_MAX_CHARS

from .conftest import KARI, SUP, Desk


@pytest.fixture
async def kari_chat(desk: Desk, nordlys: TenantRef) -> str:
    """A Nordlys chat Kari owns."""
    async with desk.database.sessionmaker.begin() as session:
        await session.execute(update(Tenant).where(Tenant.id == nordlys.id).values(auto_assign=False))
    kari, _ = await desk.online(KARI, SUP)
    conversation_id = await desk.queued(nordlys)
    await desk.service.claim(kari, conversation_id)
    return conversation_id


async def test_the_owner_writes_to_the_customer_under_their_name(
    desk: Desk, nordlys: TenantRef, kari_chat: str
) -> None:
    kari = await desk.scope(KARI)

    message = await desk.workspace.send_message(kari, kari_chat, "  Hi, I'm Kari. Let me look at that.  ")

    async with desk.database.sessionmaker() as session:
        stored = await messages_after(session, nordlys, kari_chat, message.seq - 1)
    assert [(m.role, m.agent_name, m.text) for m in stored] == [
        ("agent", "Kari", "Hi, I'm Kari. Let me look at that.")
    ]
    assert [m.seq for m in await desk.workspace.transcript(kari, kari_chat)] == [1, 2, 3]


async def test_personal_data_an_agent_types_is_redacted_before_it_is_stored(
    desk: Desk, kari_chat: str
) -> None:
    kari = await desk.scope(KARI)

    message = await desk.workspace.send_message(kari, kari_chat, "I'll e-mail ola.nordmann@example.no today")
    note = await desk.workspace.add_note(kari, kari_chat, "asked to call +47 912 34 567 tomorrow")

    assert "ola.nordmann@example.no" not in message.text and message.text.startswith("I'll e-mail ")
    assert "912 34 567" not in note.text and note.text.startswith("asked to call ")


async def test_nobody_but_the_owner_writes_in_a_chat(desk: Desk, nordlys: TenantRef, kari_chat: str) -> None:
    sup = await desk.scope(SUP)  # even a supervisor takes the chat over first
    with pytest.raises(NotPermitted):
        await desk.workspace.send_message(sup, kari_chat, "hello")

    waiting = await desk.queued(nordlys)
    with pytest.raises(NotPermitted):
        await desk.workspace.send_message(await desk.scope(KARI), waiting, "hello")


@pytest.mark.parametrize("text", ["", "   ", "x" * (AGENT_MESSAGE_MAX_CHARS + 1)])
async def test_an_empty_or_too_long_message_is_refused_and_nothing_is_stored(
    desk: Desk, kari_chat: str, text: str
) -> None:
    kari = await desk.scope(KARI)
    before = len(await desk.workspace.transcript(kari, kari_chat))

    with pytest.raises(InvalidHandoffInput):
        await desk.workspace.send_message(kari, kari_chat, text)

    assert len(await desk.workspace.transcript(kari, kari_chat)) == before


async def test_notes_are_shared_with_colleagues_but_never_in_the_transcript(
    desk: Desk, kari_chat: str
) -> None:
    kari, sup = await desk.scope(KARI), await desk.scope(SUP)
    transcript_before = await desk.workspace.transcript(kari, kari_chat)

    await desk.workspace.add_note(kari, kari_chat, "promised a callback")
    desk.clock.advance(seconds=1)
    await desk.workspace.add_note(sup, kari_chat, "approved a goodwill credit")

    notes = await desk.workspace.notes(sup, kari_chat)
    assert [(n.author_name, n.text) for n in notes] == [
        ("Kari", "promised a callback"),
        ("Sofie", "approved a goodwill credit"),
    ]
    transcript = await desk.workspace.transcript(kari, kari_chat)
    assert [m.text for m in transcript] == [m.text for m in transcript_before]


@pytest.mark.parametrize("text", ["", " \n ", "x" * (NOTE_MAX_CHARS + 1)])
async def test_an_empty_or_too_long_note_is_refused(desk: Desk, kari_chat: str, text: str) -> None:
    kari = await desk.scope(KARI)
    with pytest.raises(InvalidHandoffInput):
        await desk.workspace.add_note(kari, kari_chat, text)
    assert await desk.workspace.notes(kari, kari_chat) == []


async def test_canned_responses_come_sorted_by_shortcut(desk: Desk, nordlys: TenantRef) -> None:
    kari = await desk.scope(KARI)

    responses = await desk.workspace.canned_responses(kari, nordlys.id)

    assert [r.shortcut for r in responses] == sorted(r.shortcut for r in responses)
    assert {r.shortcut for r in responses} >= {"hei", "takk"}
