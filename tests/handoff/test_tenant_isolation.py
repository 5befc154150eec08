"""Tenant isolation: an agent of Lighthouse can neither list, read, claim nor write to Nordlys chats.

Every agent-side operation is tried on a chat of a tenant the agent does not
serve, in every ownership state, and must answer "not found" and change nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.db import TenantRef
from bot.db.agents import AgentScope, TenantNotServed
from bot.db.conversations import ConversationNotFound
from bot.db.models import Conversation, InternalNote, Message, Tenant

from .conftest import KARI, SAM, SUP, Desk

Operation = Callable[[Desk, AgentScope, str], Awaitable[Any]]

AGENT_OPERATIONS: dict[str, Operation] = {
    "read": lambda d, s, c: d.workspace.conversation(s, c),
    "transcript": lambda d, s, c: d.workspace.transcript(s, c),
    "notes": lambda d, s, c: d.workspace.notes(s, c),
    "add_note": lambda d, s, c: d.workspace.add_note(s, c, "peeking"),
    "send_message": lambda d, s, c: d.workspace.send_message(s, c, "hello from elsewhere"),
    "claim": lambda d, s, c: d.service.claim(s, c),
    "transfer": lambda d, s, c: d.service.transfer(s, c, s.agent_id),
    "resolve": lambda d, s, c: d.service.resolve(s, c),
    "hand_back": lambda d, s, c: d.service.hand_back_to_bot(s, c),
}


async def _snapshot(desk: Desk, conversation_id: str) -> tuple[Any, ...]:
    async with desk.database.sessionmaker() as session:
        stored = await session.get(Conversation, conversation_id)
        messages = await session.scalar(
            select(func.count()).select_from(Message).where(Message.conversation_id == conversation_id)
        )
        notes = await session.scalar(
            select(func.count()).select_from(InternalNote).where(InternalNote.conversation_id == conversation_id)
        )
    assert stored is not None
    return (stored.state, stored.assigned_agent_id, stored.last_seq, messages, notes)


async def _nordlys_chat_in_state(desk: Desk, nordlys: TenantRef, state: str) -> str:
    """A Nordlys chat in `state`, owned by Kari when it has an owner."""
    async with desk.database.sessionmaker.begin() as session:
        await session.execute(update(Tenant).where(Tenant.id == nordlys.id).values(auto_assign=False))
    kari = await desk.scope(KARI)
    conversation_id = await desk.conversation(nordlys)
    if state == "bot":
        return conversation_id
    await desk.service.start_handoff(nordlys, conversation_id, reason="customer_request", summary=None)
    if state in ("assigned", "resolved"):
        await desk.service.claim(kari, conversation_id)
    if state == "resolved":
        await desk.service.resolve(kari, conversation_id)
    return conversation_id


async def _outcomes(attempts: dict[str, Callable[[], Awaitable[Any]]]) -> dict[str, str]:
    """Each attempt's exception class name ('no error' if it went through)."""
    outcomes = {}
    for name, attempt in attempts.items():
        try:
            await attempt()
            outcomes[name] = "no error"
        except Exception as error:  # noqa: BLE001 - reported by name below
            outcomes[name] = type(error).__name__
    return outcomes


@pytest.mark.parametrize("state", ["bot", "queued", "assigned", "resolved"])
async def test_an_agent_cannot_reach_a_chat_of_a_tenant_they_do_not_serve(
    desk: Desk, nordlys: TenantRef, state: str
) -> None:
    await desk.online(KARI, SAM)
    conversation_id = await _nordlys_chat_in_state(desk, nordlys, state)
    sam = await desk.scope(SAM)  # serves Lighthouse only
    before = await _snapshot(desk, conversation_id)

    outcomes = await _outcomes(
        {
            name: (lambda operation=operation: operation(desk, sam, conversation_id))
            for name, operation in AGENT_OPERATIONS.items()
        }
    )

    assert outcomes == dict.fromkeys(AGENT_OPERATIONS, "ConversationNotFound")
    assert await _snapshot(desk, conversation_id) == before


async def test_the_queue_shows_only_chats_of_the_agents_tenants(
    desk: Desk, nordlys: TenantRef, fjordnett: TenantRef, lighthouse: TenantRef
) -> None:
    async with desk.database.sessionmaker.begin() as session:
        await session.execute(update(Tenant).values(auto_assign=False))
    await desk.online(SUP)
    chats = {tenant.slug: await desk.queued(tenant) for tenant in (nordlys, fjordnett, lighthouse)}

    queue_of = {email: {c.id for c in await desk.workspace.queue(await desk.scope(email))} for email in (KARI, SAM, SUP)}

    assert queue_of[KARI] == {chats["nordlys"], chats["fjordnett"]}
    assert queue_of[SAM] == {chats["lighthouse"]}
    assert queue_of[SUP] == set(chats.values())


async def test_an_agent_cannot_list_canned_responses_of_another_tenant(
    desk: Desk, nordlys: TenantRef, lighthouse: TenantRef
) -> None:
    sam = await desk.scope(SAM)

    assert {r.shortcut for r in await desk.workspace.canned_responses(sam, lighthouse.id)} >= {"hello", "bye"}
    with pytest.raises(TenantNotServed):
        await desk.workspace.canned_responses(sam, nordlys.id)


async def test_a_transfer_cannot_move_a_chat_to_an_agent_of_another_tenant(desk: Desk, nordlys: TenantRef) -> None:
    await desk.online(KARI, SAM)
    conversation_id = await _nordlys_chat_in_state(desk, nordlys, "assigned")
    kari, sam = await desk.scope(KARI), await desk.scope(SAM)
    from bot.handoff.errors import AgentNotEligible

    with pytest.raises(AgentNotEligible):
        await desk.service.transfer(kari, conversation_id, sam.agent_id)


async def test_an_agent_dropped_from_a_tenant_loses_access_at_once(desk: Desk, nordlys: TenantRef) -> None:
    from bot.admin import use_cases as admin

    await desk.online(KARI)
    conversation_id = await _nordlys_chat_in_state(desk, nordlys, "assigned")

    requeued = await admin.set_agent_tenants(desk.database.sessionmaker, KARI, ["fjordnett"])
    kari = await desk.scope(KARI)  # scopes are loaded per request

    assert requeued == 1
    assert await desk.workspace.my_chats(kari) == []
    with pytest.raises(ConversationNotFound):
        await desk.workspace.transcript(kari, conversation_id)


async def test_notes_of_one_tenant_never_appear_for_another_tenants_agent(
    desk: Desk, nordlys: TenantRef, lighthouse: TenantRef
) -> None:
    await desk.online(KARI, SAM)
    nordlys_chat = await _nordlys_chat_in_state(desk, nordlys, "assigned")
    kari, sam = await desk.scope(KARI), await desk.scope(SAM)
    await desk.workspace.add_note(kari, nordlys_chat, "customer disputes the January bill")
    lighthouse_chat = await desk.conversation(lighthouse)

    assert await desk.workspace.notes(sam, lighthouse_chat) == []
    assert [n.text for n in await desk.workspace.notes(kari, nordlys_chat)] == [
        "customer disputes the January bill"
    ]


CUSTOMER_OPERATIONS: dict[str, Callable[[Desk, TenantRef, str], Awaitable[Any]]] = {
    "start_handoff": lambda d, t, c: d.service.start_handoff(t, c, reason="customer_request", summary=None),
    "queue_status": lambda d, t, c: d.service.queue_status(t, c),
    "leave_message": lambda d, t, c: d.service.leave_message(t, c),
    "customer_returned": lambda d, t, c: d.service.customer_returned(t, c),
    "rate": lambda d, t, c: d.service.rate(t, c, 5),
}


@pytest.mark.parametrize("state", ["bot", "queued", "resolved"])
async def test_customer_side_operations_with_another_tenants_reference_find_nothing(
    desk: Desk, nordlys: TenantRef, lighthouse: TenantRef, state: str
) -> None:
    await desk.online(KARI, SAM)
    conversation_id = await _nordlys_chat_in_state(desk, nordlys, state)
    before = await _snapshot(desk, conversation_id)

    outcomes = await _outcomes(
        {
            name: (lambda operation=operation: operation(desk, lighthouse, conversation_id))
            for name, operation in CUSTOMER_OPERATIONS.items()
        }
    )

    assert outcomes == dict.fromkeys(CUSTOMER_OPERATIONS, "ConversationNotFound")
    assert await _snapshot(desk, conversation_id) == before


def test_an_agent_scope_cannot_be_made_up() -> None:
    with pytest.raises(TypeError, match="load_agent_scope"):
        AgentScope(  # type: ignore[call-arg]
            agent_id=1, display_name="Mallory", role="admin", languages=("en",), tenant_ids=frozenset({1, 2, 3})
        )
