"""Conversation ownership as stored: the queue, agents' chats, compare-and-set ownership changes.

Every ownership change is one conditional UPDATE that names the ownership it
expects (state and agent). When two writers race, the database lets exactly one
match: on PostgreSQL the second UPDATE waits for the first's row lock and then
re-checks its WHERE clause; on SQLite writers are serialised outright. The
loser sees rowcount 0 and nothing changed.

Agent-side reads take an AgentScope and filter by its tenants; functions taking
a TenantRef serve the customer side (gateway) and the system (routing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.agents import AgentScope
from bot.db.audit import record_handoff_transition
from bot.db.conversations import ConversationNotFound
from bot.db.models import Conversation, Tenant
from bot.db.tenants import TenantRef

# Ended conversations (the customer left for good) never wait in a queue.
_NOT_ENDED = Conversation.ended_at.is_(None)


@dataclass(frozen=True)
class ScopedConversation:
    """A conversation together with its tenant, found within an agent's scope."""

    tenant: TenantRef
    conversation: Conversation


async def conversation_for_agent(
    session: AsyncSession, scope: AgentScope, conversation_id: str | None
) -> ScopedConversation:
    """The conversation if it belongs to a tenant the agent serves, else ConversationNotFound."""
    row = None
    if conversation_id and len(conversation_id) <= 64 and scope.tenant_ids:
        row = (
            await session.execute(
                select(Conversation, Tenant.slug, Tenant.ticket_prefix)
                .join(Tenant, Tenant.id == Conversation.tenant_id)
                .where(
                    Conversation.id == conversation_id,
                    Conversation.tenant_id.in_(scope.tenant_ids),
                )
                .execution_options(populate_existing=True)
            )
        ).one_or_none()
    if row is None:
        raise ConversationNotFound()
    conversation, slug, prefix = row
    return ScopedConversation(TenantRef(conversation.tenant_id, slug, prefix), conversation)


async def conversation_of_tenant(
    session: AsyncSession, tenant: TenantRef, conversation_id: str | None
) -> Conversation:
    """The tenant's conversation, freshly read; ConversationNotFound otherwise."""
    conversation = None
    if conversation_id and len(conversation_id) <= 64:
        conversation = await session.scalar(
            select(Conversation)
            .where(Conversation.tenant_id == tenant.id, Conversation.id == conversation_id)
            .execution_options(populate_existing=True)
        )
    if conversation is None:
        raise ConversationNotFound()
    return conversation


async def compare_and_set_ownership(
    session: AsyncSession,
    tenant_id: int,
    conversation_id: str,
    *,
    expected_state: str,
    expected_agent_id: int | None,
    state: str,
    agent_id: int | None,
    **stamps: datetime | None,
) -> bool:
    """Move the conversation to (state, agent_id) if it is still as expected; True if it moved.

    `stamps` sets queued_at / assigned_at / resolved_at alongside.
    """
    allowed = {"queued_at", "assigned_at", "resolved_at"}
    if not set(stamps) <= allowed:
        raise ValueError(f"only {sorted(allowed)} can be stamped")
    owner_matches = (
        Conversation.assigned_agent_id.is_(None)
        if expected_agent_id is None
        else Conversation.assigned_agent_id == expected_agent_id
    )
    result = await session.execute(
        update(Conversation)
        .where(
            Conversation.tenant_id == tenant_id,
            Conversation.id == conversation_id,
            Conversation.state == expected_state,
            owner_matches,
        )
        .values(state=state, assigned_agent_id=agent_id, **stamps)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # every change of hands is in the audit log, in the same transaction
        await record_handoff_transition(session, tenant_id, conversation_id, expected_state, state, agent_id)
    return result.rowcount == 1


@dataclass(frozen=True)
class TenantRouting:
    """What routing needs to know about a tenant."""

    auto_assign: bool
    time_zone: str
    business_hours: dict[str, Any]


async def tenant_routing(session: AsyncSession, tenant_id: int) -> TenantRouting:
    row = (
        await session.execute(
            select(Tenant.auto_assign, Tenant.time_zone, Tenant.business_hours).where(
                Tenant.id == tenant_id
            )
        )
    ).one()
    return TenantRouting(bool(row.auto_assign), row.time_zone, dict(row.business_hours or {}))


async def tenant_refs(session: AsyncSession, tenant_ids: set[int]) -> dict[int, TenantRef]:
    if not tenant_ids:
        return {}
    rows = await session.execute(
        select(Tenant.id, Tenant.slug, Tenant.ticket_prefix).where(Tenant.id.in_(tenant_ids))
    )
    return {row.id: TenantRef(row.id, row.slug, row.ticket_prefix) for row in rows}


async def touch_if_owned(
    session: AsyncSession, tenant_id: int, conversation_id: str, agent_id: int, *, at: datetime
) -> bool:
    """Mark activity if the agent owns the chat right now; True if so.

    Being a conditional UPDATE, it also holds the conversation until commit, so
    the agent's message cannot slip in after a concurrent transfer or requeue.
    """
    result = await session.execute(
        update(Conversation)
        .where(
            Conversation.tenant_id == tenant_id,
            Conversation.id == conversation_id,
            Conversation.state == "assigned",
            Conversation.assigned_agent_id == agent_id,
        )
        .values(last_activity_at=at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def record_handoff(
    session: AsyncSession,
    tenant_id: int,
    conversation_id: str,
    *,
    reason: str,
    summary: dict[str, object] | None,
) -> None:
    await session.execute(
        update(Conversation)
        .where(Conversation.tenant_id == tenant_id, Conversation.id == conversation_id)
        .values(handoff_reason=reason, handoff_summary=summary)
        .execution_options(synchronize_session=False)
    )


async def queue_for_agent(session: AsyncSession, scope: AgentScope) -> list[Conversation]:
    """Waiting chats of the agent's tenants, longest waiting first."""
    if not scope.tenant_ids:
        return []
    return list(
        await session.scalars(
            select(Conversation)
            .where(
                _NOT_ENDED,
                Conversation.state == "queued",
                Conversation.tenant_id.in_(scope.tenant_ids),
            )
            .order_by(Conversation.queued_at, Conversation.id)
        )
    )


async def chats_of_agent(session: AsyncSession, scope: AgentScope) -> list[Conversation]:
    """The agent's own open chats (only within tenants they still serve)."""
    if not scope.tenant_ids:
        return []
    return list(
        await session.scalars(
            select(Conversation)
            .where(
                Conversation.state == "assigned",
                Conversation.assigned_agent_id == scope.agent_id,
                Conversation.tenant_id.in_(scope.tenant_ids),
            )
            .order_by(Conversation.assigned_at, Conversation.id)
        )
    )


async def queued_conversations(session: AsyncSession, tenant_id: int) -> list[Conversation]:
    """A tenant's waiting chats, longest waiting first (for dispatching)."""
    return list(
        await session.scalars(
            select(Conversation)
            .where(_NOT_ENDED, Conversation.state == "queued", Conversation.tenant_id == tenant_id)
            .order_by(Conversation.queued_at, Conversation.id)
        )
    )


async def assigned_conversations(session: AsyncSession, agent_id: int) -> list[Conversation]:
    """Every chat the agent owns, across tenants (for requeueing when they vanish)."""
    return list(
        await session.scalars(
            select(Conversation)
            .where(Conversation.state == "assigned", Conversation.assigned_agent_id == agent_id)
            .order_by(Conversation.assigned_at, Conversation.id)
        )
    )


async def queue_position(session: AsyncSession, conversation: Conversation) -> int | None:
    """1 for the next chat to be taken among the tenant's queued chats in its language; None if not queued."""
    if conversation.state != "queued" or conversation.queued_at is None:
        return None
    ahead = await session.scalar(
        select(func.count())
        .select_from(Conversation)
        .where(
            _NOT_ENDED,
            Conversation.tenant_id == conversation.tenant_id,
            Conversation.state == "queued",
            Conversation.language == conversation.language,
            or_(
                Conversation.queued_at < conversation.queued_at,
                and_(
                    Conversation.queued_at == conversation.queued_at,
                    Conversation.id < conversation.id,
                ),
            ),
        )
    )
    return int(ahead or 0) + 1


async def recent_handling_times(
    session: AsyncSession, tenant_id: int, *, since: datetime, limit: int
) -> list[timedelta]:
    """How long agents held the tenant's most recently resolved chats (newest first)."""
    rows = await session.execute(
        select(Conversation.assigned_at, Conversation.resolved_at)
        .where(
            Conversation.tenant_id == tenant_id,
            Conversation.resolved_at.is_not(None),
            Conversation.assigned_at.is_not(None),
            Conversation.resolved_at >= since,
        )
        .order_by(Conversation.resolved_at.desc())
        .limit(limit)
    )
    return [
        resolved - assigned
        for assigned, resolved in rows
        if assigned is not None and resolved is not None and resolved >= assigned
    ]


async def record_rating(
    session: AsyncSession,
    tenant: TenantRef,
    conversation_id: str,
    *,
    rating: int,
    comment: str | None,
) -> bool:
    """Store the customer's rating if the conversation is resolved; False otherwise."""
    result = await session.execute(
        update(Conversation)
        .where(
            Conversation.tenant_id == tenant.id,
            Conversation.id == conversation_id,
            Conversation.state == "resolved",
        )
        .values(rating=rating, rating_comment=comment)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
