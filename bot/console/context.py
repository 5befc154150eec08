"""Reads behind the console's panels: a conversation's full context, the supervisor overview.

Each read goes through the agent's scope first (bot.db.assignments.conversation_for_agent
or the scope's tenant ids), so another tenant's data is never reached.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.console import views
from bot.console.told import told_facts
from bot.db.agents import AgentScope, agent_loads
from bot.db.assignments import conversation_for_agent, tenant_refs
from bot.db.audit import record_conversation_read
from bot.db.conversations import messages_after
from bot.db.models import Account, Agent, Conversation, Tenant, Ticket
from bot.db.notes import list_notes
from bot.db.types import utcnow

TICKETS_SHOWN = 20


async def tenants_of(session: AsyncSession, scope: AgentScope) -> list[dict[str, Any]]:
    if not scope.tenant_ids:
        return []
    rows = await session.execute(
        select(Tenant.id, Tenant.slug, Tenant.name)
        .where(Tenant.id.in_(scope.tenant_ids))
        .order_by(Tenant.name)
    )
    return [{"id": row.id, "slug": row.slug, "name": row.name} for row in rows]


async def conversation_context(
    sessionmaker: async_sessionmaker[AsyncSession], scope: AgentScope, conversation_id: str
) -> dict[str, Any]:
    """Everything the agent needs to take over without asking the customer again."""
    async with sessionmaker.begin() as session:  # begin: the read is audited
        scoped = await conversation_for_agent(session, scope, conversation_id)
        conversation, tenant = scoped.conversation, scoped.tenant
        account = None
        if conversation.verified_account_id is not None:
            account = await session.scalar(
                select(Account).where(
                    Account.tenant_id == tenant.id, Account.id == conversation.verified_account_id
                )
            )
        ticket_filter = Ticket.conversation_id == conversation.id
        if account is not None:
            ticket_filter = or_(ticket_filter, Ticket.account_id == account.id)
        tickets = (
            await session.scalars(
                select(Ticket)
                .where(Ticket.tenant_id == tenant.id, ticket_filter)
                .order_by(Ticket.created_at.desc(), Ticket.id.desc())
                .limit(TICKETS_SHOWN)
            )
        ).all()
        transcript = await messages_after(session, tenant, conversation.id)
        notes = await list_notes(session, scope, conversation.id)
        owner = (
            await session.scalar(select(Agent.display_name).where(Agent.id == conversation.assigned_agent_id))
            if conversation.assigned_agent_id is not None
            else None
        )
        tenant_name = await session.scalar(select(Tenant.name).where(Tenant.id == tenant.id))
        await record_conversation_read(session, scope, tenant.id, conversation.id, account.account_number if account else None)
        return {
            "conversation": {
                **views.conversation_row(conversation, tenant.slug),
                "tenant_name": tenant_name,
                "agent_name": owner,
                "summary": conversation.handoff_summary,
                "rating": conversation.rating,
                "mine": conversation.state == "assigned"
                and conversation.assigned_agent_id == scope.agent_id,
            },
            "account": views.account_card(account),
            "verification": views.verification_view(conversation) if account else None,
            "told": told_facts(transcript, account, tickets),
            "tickets": [views.ticket_view(ticket) for ticket in tickets],
            "transcript": [views.message_view(message) for message in transcript],
            "notes": [views.note_view(note) for note in notes],
        }


async def overview(
    sessionmaker: async_sessionmaker[AsyncSession], scope: AgentScope, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Per tenant of the scope: waiting, in progress, longest wait, and the agents' presence."""
    now = now or utcnow()
    async with sessionmaker() as session:
        tenants = await tenants_of(session, scope)
        refs = await tenant_refs(session, {tenant["id"] for tenant in tenants})
        result = []
        for tenant in tenants:
            open_chats = (Conversation.tenant_id == tenant["id"], Conversation.ended_at.is_(None))
            waiting = await session.execute(
                select(func.count(), func.min(Conversation.queued_at)).where(
                    *open_chats, Conversation.state == "queued"
                )
            )
            waiting_count, oldest = waiting.one()
            in_progress = await session.scalar(
                select(func.count()).where(*open_chats, Conversation.state == "assigned")
            )
            agents = await agent_loads(session, refs[tenant["id"]].id)
            result.append(
                {
                    **tenant,
                    "waiting": int(waiting_count or 0),
                    "in_progress": int(in_progress or 0),
                    "longest_wait_seconds": int((now - oldest).total_seconds()) if oldest else 0,
                    "agents": [
                        {
                            "id": agent.agent_id,
                            "name": agent.display_name,
                            "presence": agent.presence,
                            "open_chats": agent.open_chats,
                            "max_chats": agent.max_concurrent_chats,
                        }
                        for agent in agents
                    ],
                }
            )
        return result
