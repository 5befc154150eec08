"""Giving chats to agents without ever overbooking an agent or double-assigning a chat.

try_assign: lock the agent (so concurrent assignments to them queue up), check
their capacity, then compare-and-set the chat's ownership; a chat someone else
took meanwhile is left alone. dispatch: hand a tenant's queued chats, oldest
first, to the best eligible agents (auto-assign tenants only).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.agents import (
    AgentLoad,
    lock_agent,
    max_concurrent_chats,
    open_chat_count,
    stamp_assignment,
)
from bot.db.assignments import compare_and_set_ownership, queued_conversations, tenant_routing
from bot.db.tenants import TenantRef
from bot.db.webhook_feed import conversation_assigned
from bot.handoff.ownership import QUEUED, Assign, Ownership, transition
from bot.handoff.results import OwnershipChange
from bot.handoff.routing import ranked_candidates, tenant_agents

AssignResult = Literal["assigned", "at_capacity", "changed", "no_agent"]
HowAssigned = Literal["claimed", "auto", "transferred"]  # as the webhook event says it


async def try_assign(
    session: AsyncSession,
    tenant_id: int,
    conversation_id: str,
    agent_id: int,
    *,
    expected: Ownership,
    now: datetime,
    how: HowAssigned,
) -> AssignResult:
    """Make `agent_id` the owner if they have room and the chat is still as `expected`;
    records conversation.assigned in the same transaction."""
    if not await lock_agent(session, agent_id):
        return "no_agent"
    capacity = await max_concurrent_chats(session, agent_id)
    if capacity is None:
        return "no_agent"
    if await open_chat_count(session, agent_id) >= capacity:
        return "at_capacity"
    moved = await compare_and_set_ownership(
        session,
        tenant_id,
        conversation_id,
        expected_state=expected.state,
        expected_agent_id=expected.agent_id,
        state="assigned",
        agent_id=agent_id,
        assigned_at=now,
    )
    if not moved:
        return "changed"
    await stamp_assignment(session, agent_id, at=now)
    await conversation_assigned(
        session, tenant_id, conversation_id, agent_id=agent_id, previous_agent_id=expected.agent_id,
        how=how, at=now,
    )
    return "assigned"


async def auto_assign(
    session: AsyncSession,
    tenant: TenantRef,
    conversation_id: str,
    language: str,
    agents: list[AgentLoad],
    *,
    now: datetime,
    heartbeat_timeout: timedelta,
) -> OwnershipChange | None:
    """Give the queued chat to the best eligible agent; None if nobody could take it."""
    for candidate in ranked_candidates(
        agents, language=language, now=now, heartbeat_timeout=heartbeat_timeout
    ):
        result = await try_assign(
            session, tenant.id, conversation_id, candidate.agent_id, expected=QUEUED, now=now, how="auto"
        )
        if result == "assigned":
            step = transition(QUEUED, Assign(candidate.agent_id))
            return OwnershipChange(
                tenant, conversation_id, QUEUED, step.after, step.events, candidate.display_name
            )
        if result == "changed":  # someone claimed it meanwhile: nothing left to do
            return None
    return None


async def dispatch(
    session: AsyncSession, tenant: TenantRef, *, now: datetime, heartbeat_timeout: timedelta
) -> list[OwnershipChange]:
    """Assign the tenant's waiting chats, oldest first, while eligible agents have room."""
    if not (await tenant_routing(session, tenant.id)).auto_assign:
        return []
    queued = await queued_conversations(session, tenant.id)
    if not queued:
        return []
    agents = await tenant_agents(session, tenant.id)
    changes: list[OwnershipChange] = []
    for conversation in queued:
        change = await auto_assign(
            session,
            tenant,
            conversation.id,
            conversation.language,
            agents,
            now=now,
            heartbeat_timeout=heartbeat_timeout,
        )
        if change is None:
            continue
        changes.append(change)
        owner = change.after.agent_id
        agents = [
            replace(agent, open_chats=agent.open_chats + 1, last_assigned_at=now)
            if agent.agent_id == owner
            else agent
            for agent in agents
        ]
    return changes
