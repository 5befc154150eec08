"""Concurrent claims on real connections: exactly one agent wins, and nobody is overbooked."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import update

from bot.db import TenantRef
from bot.db.assignments import compare_and_set_ownership, conversation_of_tenant
from bot.db.models import Agent, Conversation, Tenant
from bot.handoff.errors import AgentAtCapacity
from bot.handoff.ownership import IllegalTransition
from bot.handoff.results import OwnershipChange

from .conftest import KARI, SUP, Desk

ROUNDS = 5


@pytest.fixture
async def manual(desk: Desk, nordlys: TenantRef) -> Desk:
    async with desk.database.sessionmaker.begin() as session:
        await session.execute(update(Tenant).where(Tenant.id == nordlys.id).values(auto_assign=False))
    return desk


async def test_two_agents_claiming_at_once_exactly_one_wins(manual: Desk, nordlys: TenantRef) -> None:
    kari, sup = await manual.online(KARI, SUP)
    async with manual.database.sessionmaker.begin() as session:  # room for every round
        await session.execute(update(Agent).values(max_concurrent_chats=ROUNDS))
    for _ in range(ROUNDS):
        conversation_id = await manual.queued(nordlys)

        results = await asyncio.gather(
            manual.service.claim(kari, conversation_id),
            manual.service.claim(sup, conversation_id),
            return_exceptions=True,
        )

        winners = [r for r in results if isinstance(r, OwnershipChange)]
        losers = [r for r in results if isinstance(r, IllegalTransition)]
        assert (len(winners), len(losers)) == (1, 1), results
        async with manual.database.sessionmaker() as session:
            stored = await session.get(Conversation, conversation_id)
        assert stored is not None
        assert (stored.state, stored.assigned_agent_id) == ("assigned", winners[0].after.agent_id)


async def test_of_two_interleaved_compare_and_sets_the_second_finds_nothing_to_change(
    manual: Desk, nordlys: TenantRef
) -> None:
    """Both writers read 'queued'; the first commits; the second, blocked meanwhile, changes nothing."""
    kari, sup = await manual.online(KARI, SUP)
    conversation_id = await manual.queued(nordlys)
    sessionmaker = manual.database.sessionmaker

    async def take(session, agent_id: int) -> bool:  # type: ignore[no-untyped-def]
        return await compare_and_set_ownership(
            session, nordlys.id, conversation_id,
            expected_state="queued", expected_agent_id=None,
            state="assigned", agent_id=agent_id,
        )

    async with sessionmaker() as first, sessionmaker() as second:
        assert (await conversation_of_tenant(first, nordlys, conversation_id)).state == "queued"
        assert (await conversation_of_tenant(second, nordlys, conversation_id)).state == "queued"

        assert await take(first, kari.agent_id)
        # The second writer blocks on the first's row lock (PostgreSQL) / write lock
        # (SQLite) until the first commits, then re-checks its condition.
        second_write = asyncio.create_task(take(second, sup.agent_id))
        await asyncio.sleep(0.2)  # give it the chance to run into the lock first
        await first.commit()
        assert await second_write is False
        await second.commit()

    async with sessionmaker() as session:
        stored = await session.get(Conversation, conversation_id)
    assert stored is not None and stored.assigned_agent_id == kari.agent_id


async def test_one_agent_claiming_two_chats_at_once_is_not_overbooked(manual: Desk, nordlys: TenantRef) -> None:
    (kari,) = await manual.online(KARI)
    async with manual.database.sessionmaker.begin() as session:
        await session.execute(update(Agent).where(Agent.id == kari.agent_id).values(max_concurrent_chats=1))
    first, second = await manual.queued(nordlys), await manual.queued(nordlys)

    results = await asyncio.gather(
        manual.service.claim(kari, first),
        manual.service.claim(kari, second),
        return_exceptions=True,
    )

    assert sorted(type(r).__name__ for r in results) == ["AgentAtCapacity", "OwnershipChange"], results
    assert sum(isinstance(r, AgentAtCapacity) for r in results) == 1
    assert len(await manual.workspace.my_chats(kari)) == 1


async def test_concurrent_handoffs_never_overbook_the_one_free_agent(desk: Desk, nordlys: TenantRef) -> None:
    (kari,) = await desk.online(KARI)
    async with desk.database.sessionmaker.begin() as session:
        await session.execute(update(Agent).where(Agent.id == kari.agent_id).values(max_concurrent_chats=2))
    chats = [await desk.conversation(nordlys) for _ in range(4)]

    outcomes = await asyncio.gather(
        *(
            desk.service.start_handoff(nordlys, chat, reason="customer_request", summary=None)
            for chat in chats
        )
    )

    assert sorted(outcome.kind for outcome in outcomes) == ["assigned", "assigned", "queued", "queued"]
    assert len(await desk.workspace.my_chats(kari)) == 2
