"""What each webhook event says: the payload of every type, recorded in the caller's transaction.

The use cases that make a change call these (a session in, nothing committed), so an
event exists exactly when its change was committed (bot.db.webhooks.record_event).
Payloads are a stable, documented contract (docs/webhooks.md): add fields, never rename.

No secrets and personal data only as stored (redacted). The conversation id a browser
holds is a bearer secret (it resumes the chat), so events name a conversation by its
public id, a one-way hash of it (bot.db.public_ids, the same id the public API shows).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Account, Agent, Conversation, Message, Ticket
from bot.db.public_ids import public_conversation_id
from bot.db.webhooks import record_event, wanted_by_any_endpoint

MESSAGE_CREATED = "message.created"


def conversation_ordering_key(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


def timestamp(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


# --- conversations ----------------------------------------------------------------------


async def conversation_started(session: AsyncSession, tenant_id: int, conversation_id: str) -> str | None:
    return await _conversation_event(session, tenant_id, conversation_id, "conversation.started", {})


async def conversation_escalated(
    session: AsyncSession,
    tenant_id: int,
    conversation_id: str,
    *,
    reason: str,
    summary: dict[str, Any] | None,
    outcome: str,
    ticket_reference: str | None = None,
) -> str | None:
    """outcome: 'queued' (a person will come) or 'message_left' (nobody could: a ticket)."""
    summary_text = summary.get("text") if isinstance(summary, dict) else None
    return await _conversation_event(
        session, tenant_id, conversation_id, "conversation.escalated",
        {
            "reason": reason,
            "summary": summary_text if isinstance(summary_text, str) else None,
            "outcome": outcome,
            "ticket_reference": ticket_reference,
        },
    )


async def conversation_assigned(
    session: AsyncSession,
    tenant_id: int,
    conversation_id: str,
    *,
    agent_id: int,
    previous_agent_id: int | None,
    how: str,
    at: datetime,
) -> str | None:
    """how: 'claimed' (an agent took it), 'auto' (routing gave it), 'transferred'."""
    names = await _agent_names(session, {agent_id, previous_agent_id} - {None})
    return await _conversation_event(
        session, tenant_id, conversation_id, "conversation.assigned",
        {
            "agent": _agent(agent_id, names),
            "previous_agent": None if previous_agent_id is None else _agent(previous_agent_id, names),
            "how": how,
            "assigned_at": timestamp(at),
        },
    )


async def conversation_resolved(
    session: AsyncSession, tenant_id: int, conversation_id: str, *, agent_id: int | None, at: datetime
) -> str | None:
    names = await _agent_names(session, {agent_id} - {None})
    return await _conversation_event(
        session, tenant_id, conversation_id, "conversation.resolved",
        {"agent": None if agent_id is None else _agent(agent_id, names), "resolved_at": timestamp(at)},
    )


async def conversation_rated(
    session: AsyncSession, tenant_id: int, conversation_id: str, *, rating: int, comment: str | None
) -> str | None:
    """comment: as stored (redacted)."""
    return await _conversation_event(
        session, tenant_id, conversation_id, "conversation.rated", {"rating": rating, "comment": comment}
    )


async def _conversation_event(
    session: AsyncSession, tenant_id: int, conversation_id: str, type_: str, details: dict[str, Any]
) -> str | None:
    if not await wanted_by_any_endpoint(session, tenant_id, type_):
        return None  # nobody listens: no row, and no query for the conversation's block
    block = await _conversation_block(session, tenant_id, conversation_id)
    return await record_event(
        session, tenant_id, type_, {"conversation": block, **details},
        conversation_ordering_key(conversation_id),
    )


async def _conversation_block(session: AsyncSession, tenant_id: int, conversation_id: str) -> dict[str, Any]:
    row = (
        await session.execute(
            select(
                Conversation.language, Conversation.state, Conversation.created_at,
                Account.account_number,
            )
            .outerjoin(
                Account,
                (Account.tenant_id == Conversation.tenant_id)
                & (Account.id == Conversation.verified_account_id),
            )
            .where(Conversation.tenant_id == tenant_id, Conversation.id == conversation_id)
        )
    ).one()
    return {
        "id": public_conversation_id(conversation_id),
        "language": row.language,
        "state": row.state,
        "verified_account": row.account_number,
        "started_at": timestamp(row.created_at),
    }


async def _agent_names(session: AsyncSession, agent_ids: set[int | None]) -> dict[int, str]:
    ids = [agent_id for agent_id in agent_ids if agent_id is not None]
    if not ids:
        return {}
    rows = await session.execute(select(Agent.id, Agent.display_name).where(Agent.id.in_(ids)))
    return {agent_id: name for agent_id, name in rows}


def _agent(agent_id: int, names: dict[int, str]) -> dict[str, Any]:
    # The name customers see in the chat; never the agent's e-mail.
    return {"id": agent_id, "name": names.get(agent_id)}


# --- tickets --------------------------------------------------------------------------------


async def ticket_created(session: AsyncSession, tenant_id: int, ticket: Ticket) -> str | None:
    return await _ticket_event(session, tenant_id, ticket, "ticket.created", {})


async def ticket_updated(
    session: AsyncSession, tenant_id: int, ticket: Ticket, *, changes: dict[str, Any]
) -> str | None:
    """changes: what changed, e.g. {"status": {"from": "open", "to": "pending"}}."""
    return await _ticket_event(session, tenant_id, ticket, "ticket.updated", {"changes": changes})


async def _ticket_event(
    session: AsyncSession, tenant_id: int, ticket: Ticket, type_: str, details: dict[str, Any]
) -> str | None:
    if not await wanted_by_any_endpoint(session, tenant_id, type_):
        return None
    account_number = None
    if ticket.account_id is not None:
        account_number = await session.scalar(
            select(Account.account_number).where(
                Account.tenant_id == tenant_id, Account.id == ticket.account_id
            )
        )
    view = {
        "reference": ticket.reference,
        "status": ticket.status,
        "category": ticket.category,
        "priority": ticket.priority,
        "subject": ticket.subject,
        "description": ticket.description,
        "account_number": account_number,
        "conversation_id": (
            None if ticket.conversation_id is None else public_conversation_id(ticket.conversation_id)
        ),
        "created_at": timestamp(ticket.created_at),
        "updated_at": timestamp(ticket.updated_at),
    }
    # One key per ticket: a ticket's updates never overtake its creation.
    return await record_event(session, tenant_id, type_, {"ticket": view, **details}, f"ticket:{ticket.id}")


# --- messages ---------------------------------------------------------------------------------


async def messages_created(
    session: AsyncSession, tenant_id: int, conversation_id: str, messages: Sequence[Message]
) -> list[str]:
    """message.created for each stored message, only when an endpoint asked for it by name
    (otherwise this is one small query and nothing is written)."""
    if not messages or not await wanted_by_any_endpoint(session, tenant_id, MESSAGE_CREATED):
        return []
    public_id = public_conversation_id(conversation_id)
    recorded = []
    for message in messages:
        event_id = await record_event(
            session, tenant_id, MESSAGE_CREATED,
            {
                "conversation": {"id": public_id},
                "message": {
                    "seq": message.seq,
                    "role": message.role,
                    "text": message.text,  # stored redacted
                    "agent_name": message.agent_name,
                    "created_at": timestamp(message.created_at),
                },
            },
            conversation_ordering_key(conversation_id),
        )
        if event_id is not None:
            recorded.append(event_id)
    return recorded
