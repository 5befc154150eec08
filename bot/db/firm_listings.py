"""Pages of a tenant's tickets, conversations, ratings and transcripts for the public API.

Keyset pagination: each page starts after the last row of the one before (newest first), so
a page never repeats or skips rows when new ones arrive meanwhile.

Conversations are named by their public id (bot.db.public_ids), never the raw id that
resumes the customer's chat: lookups and page keys use conversations.public_id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Account, Conversation, Message, Ticket


@dataclass(frozen=True)
class TicketRow:
    ticket: Ticket
    account_number: str | None


@dataclass(frozen=True)
class ConversationRow:
    conversation: Conversation
    account_number: str | None


# (created_at, public_id) of the last conversation of the previous page.
ConversationKey = tuple[datetime, str]


async def ticket_page(
    session: AsyncSession,
    tenant_id: int,
    *,
    limit: int,
    before_id: int | None = None,
    status: str | None = None,
    category: str | None = None,
    updated_since: datetime | None = None,
) -> list[TicketRow]:
    """Up to `limit` tickets, newest first, after the ticket with id `before_id`."""
    query = (
        select(Ticket, Account.account_number)
        .outerjoin(Account, and_(Account.tenant_id == Ticket.tenant_id, Account.id == Ticket.account_id))
        .where(Ticket.tenant_id == tenant_id)
    )
    if before_id is not None:
        query = query.where(Ticket.id < before_id)
    if status is not None:
        query = query.where(Ticket.status == status)
    if category is not None:
        query = query.where(Ticket.category == category)
    if updated_since is not None:
        query = query.where(Ticket.updated_at >= updated_since)
    rows = await session.execute(query.order_by(Ticket.id.desc()).limit(limit))
    return [TicketRow(ticket, number) for ticket, number in rows.all()]


async def ticket_with_account(session: AsyncSession, tenant_id: int, ticket_id: int) -> TicketRow | None:
    row = (
        await session.execute(
            select(Ticket, Account.account_number)
            .outerjoin(Account, and_(Account.tenant_id == Ticket.tenant_id, Account.id == Ticket.account_id))
            .where(Ticket.tenant_id == tenant_id, Ticket.id == ticket_id)
        )
    ).one_or_none()
    return TicketRow(row[0], row[1]) if row else None


async def conversation_page(
    session: AsyncSession,
    tenant_id: int,
    *,
    limit: int,
    before: ConversationKey | None = None,
    state: str | None = None,
    since: datetime | None = None,
    rated_only: bool = False,
) -> list[ConversationRow]:
    """Up to `limit` conversations, newest first, after the one keyed `before`."""
    query = (
        select(Conversation, Account.account_number)
        .outerjoin(
            Account,
            and_(Account.tenant_id == Conversation.tenant_id, Account.id == Conversation.verified_account_id),
        )
        .where(Conversation.tenant_id == tenant_id)
    )
    if before is not None:
        created, public_id = before
        query = query.where(
            or_(
                Conversation.created_at < created,
                and_(Conversation.created_at == created, Conversation.public_id < public_id),
            )
        )
    if state is not None:
        query = query.where(Conversation.state == state)
    if since is not None:
        query = query.where(Conversation.created_at >= since)
    if rated_only:
        query = query.where(Conversation.rating.is_not(None))
    rows = await session.execute(
        query.order_by(Conversation.created_at.desc(), Conversation.public_id.desc()).limit(limit)
    )
    return [ConversationRow(conversation, number) for conversation, number in rows.all()]


async def conversation_by_public_id(session: AsyncSession, tenant_id: int, public_id: str) -> Conversation | None:
    return await session.scalar(
        select(Conversation).where(Conversation.tenant_id == tenant_id, Conversation.public_id == public_id)
    )


async def transcript_page(
    session: AsyncSession, tenant_id: int, conversation_id: str, *, after_seq: int, limit: int
) -> list[Message]:
    """The stored (redacted) messages in order, from seq `after_seq + 1`."""
    return list(
        await session.scalars(
            select(Message)
            .where(
                Message.tenant_id == tenant_id,
                Message.conversation_id == conversation_id,
                Message.seq > after_seq,
            )
            .order_by(Message.seq)
            .limit(limit)
        )
    )
