"""Support tickets: opening with per-tenant sequential references, lookups, lifecycle."""

from __future__ import annotations

import re
from types import MappingProxyType

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.errors import (
    AccountNotFound,
    IllegalTicketTransition,
    InvalidTicketData,
    TenantNotFound,
    TicketNotFound,
)
from bot.db.models import TICKET_CATEGORIES, TICKET_PRIORITIES, Account, Tenant, Ticket
from bot.db.tenants import TenantRef
from bot.db.types import utcnow
from bot.db.webhook_feed import ticket_created, ticket_updated

SUBJECT_MAX_CHARS = 200
DESCRIPTION_MAX_CHARS = 10_000
CONVERSATION_ID_MAX_CHARS = 64

# The lifecycle: open -> pending -> resolved -> closed. Pending and resolved
# tickets can be (re)opened; an open ticket can be resolved straight away;
# closed is final.
TICKET_TRANSITIONS: MappingProxyType[str, frozenset[str]] = MappingProxyType(
    {
        "open": frozenset({"pending", "resolved"}),
        "pending": frozenset({"open", "resolved"}),
        "resolved": frozenset({"open", "closed"}),
        "closed": frozenset(),
    }
)

# 'NRD-1042', 'nrd 1042', 'NRD1042', '#NRD-1042' (also with an en dash).
_REFERENCE = re.compile(r"#?\s*([A-Za-z]{3})\s*[-\u2013\s]?\s*([0-9]{1,9})")


def normalize_reference(raw: str | None) -> str | None:
    """'nrd-1042' -> 'NRD-1042'; anything that isn't a ticket reference -> None."""
    if raw is None:
        return None
    match = _REFERENCE.fullmatch(raw.strip())
    if match is None:
        return None
    prefix, number = match.groups()
    return f"{prefix.upper()}-{int(number)}"


def format_reference(prefix: str, number: int) -> str:
    return f"{prefix}-{number}"


async def open_ticket(
    session: AsyncSession,
    tenant: TenantRef,
    *,
    account_id: int | None,
    conversation_id: str | None,
    subject: str,
    description: str,
    category: str,
    priority: str = "normal",
    closed_reason: str | None = None,
) -> Ticket:
    """Create an open ticket with the tenant's next reference (e.g. 'NRD-1043'), and its
    ticket.created webhook event in the same transaction (whoever opens it: the assistant's
    action, an agent, the handoff, the firm's API).

    closed_reason: a ticket left because nobody could take the chat says why
    ("outside_hours" or "no_agent_available"; reports count the after-hours ones).

    Raises InvalidTicketData for bad fields and AccountNotFound when account_id
    is not one of this tenant's accounts.
    """
    subject = _validated_subject(subject)
    description = _validated_description(description)
    if category not in TICKET_CATEGORIES:
        raise InvalidTicketData("category", f"must be one of {', '.join(TICKET_CATEGORIES)}")
    if priority not in TICKET_PRIORITIES:
        raise InvalidTicketData("priority", f"must be one of {', '.join(TICKET_PRIORITIES)}")
    if conversation_id is not None and len(conversation_id) > CONVERSATION_ID_MAX_CHARS:
        raise InvalidTicketData("conversation_id", f"longer than {CONVERSATION_ID_MAX_CHARS} chars")
    if account_id is not None and not await _account_exists(session, tenant, account_id):
        raise AccountNotFound(account_id)

    number = await _allocate_ticket_number(session, tenant)
    ticket = Ticket(
        tenant_id=tenant.id,
        account_id=account_id,
        conversation_id=conversation_id,
        reference=format_reference(tenant.ticket_prefix, number),
        subject=subject,
        description=description,
        category=category,
        priority=priority,
        status="open",
        closed_reason=closed_reason,
    )
    session.add(ticket)
    await session.flush()
    await ticket_created(session, tenant.id, ticket)
    return ticket


async def get_ticket(session: AsyncSession, tenant: TenantRef, reference: str | None) -> Ticket | None:
    normalized = normalize_reference(reference)
    if normalized is None:
        return None
    return await session.scalar(
        select(Ticket).where(Ticket.tenant_id == tenant.id, Ticket.reference == normalized)
    )


async def ticket_of_customer(
    session: AsyncSession,
    tenant: TenantRef,
    reference: str | None,
    *,
    conversation_id: str,
    account_id: int | None,
) -> Ticket | None:
    """The ticket, if it belongs to this customer: opened in this conversation, or on the
    account they are verified as. None alike for a ticket that does not exist and one that
    is someone else's, so a reference tells a stranger nothing."""
    normalized = normalize_reference(reference)
    if normalized is None:
        return None
    owner = Ticket.conversation_id == conversation_id
    if account_id is not None:
        owner = or_(owner, Ticket.account_id == account_id)
    return await session.scalar(
        select(Ticket).where(Ticket.tenant_id == tenant.id, Ticket.reference == normalized, owner)
    )


async def list_tickets(session: AsyncSession, tenant: TenantRef, *, account_id: int) -> list[Ticket]:
    """The account's tickets, newest first."""
    return list(
        await session.scalars(
            select(Ticket)
            .where(Ticket.tenant_id == tenant.id, Ticket.account_id == account_id)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        )
    )


async def change_ticket_status(
    session: AsyncSession, tenant: TenantRef, reference: str, new_status: str
) -> Ticket:
    """Move a ticket along its lifecycle (see TICKET_TRANSITIONS); records ticket.updated."""
    normalized = normalize_reference(reference)
    ticket = None
    if normalized is not None:
        ticket = await session.scalar(
            select(Ticket)
            .where(Ticket.tenant_id == tenant.id, Ticket.reference == normalized)
            .with_for_update()  # two agents changing one ticket: the second sees the first's result
        )
    if ticket is None:
        raise TicketNotFound(reference)
    if new_status not in TICKET_TRANSITIONS.get(ticket.status, frozenset()):
        raise IllegalTicketTransition(ticket.reference, ticket.status, new_status)
    previous = ticket.status
    ticket.status = new_status
    await session.flush()
    await ticket_updated(session, tenant.id, ticket, changes={"status": {"from": previous, "to": new_status}})
    return ticket


async def _allocate_ticket_number(session: AsyncSession, tenant: TenantRef) -> int:
    # One atomic UPDATE ... RETURNING: the row lock (PostgreSQL) or the write
    # lock (SQLite) serialises concurrent callers, so no number is handed out twice.
    tenants = Tenant.__table__
    after = await session.scalar(
        update(tenants)
        .where(tenants.c.id == tenant.id)
        .values(next_ticket_number=tenants.c.next_ticket_number + 1)
        .returning(tenants.c.next_ticket_number)
    )
    if after is None:
        raise TenantNotFound(tenant.slug)
    return int(after) - 1


async def _account_exists(session: AsyncSession, tenant: TenantRef, account_id: int) -> bool:
    found = await session.scalar(
        select(Account.id).where(Account.tenant_id == tenant.id, Account.id == account_id)
    )
    return found is not None


def _validated_subject(subject: str) -> str:
    if not isinstance(subject, str) or not subject.strip():
        raise InvalidTicketData("subject", "must not be empty")
    subject = subject.strip()
    if len(subject) > SUBJECT_MAX_CHARS:
        raise InvalidTicketData("subject", f"longer than {SUBJECT_MAX_CHARS} characters")
    return subject


def _validated_description(description: str) -> str:
    if not isinstance(description, str):
        raise InvalidTicketData("description", "must be text")
    if len(description) > DESCRIPTION_MAX_CHARS:
        raise InvalidTicketData("description", f"longer than {DESCRIPTION_MAX_CHARS} characters")
    return description.strip()


PUBLIC_REPLY_MAX_CHARS = 2_000


async def add_public_reply(
    session: AsyncSession, tenant: TenantRef, reference: str, reply: str
) -> Ticket:
    """Set the ticket's public reply: what the customer hears on their next status question.
    The caller redacts it first (it is stored as given)."""
    if not isinstance(reply, str) or not reply.strip():
        raise InvalidTicketData("reply", "must not be empty")
    reply = reply.strip()
    if len(reply) > PUBLIC_REPLY_MAX_CHARS:
        raise InvalidTicketData("reply", f"longer than {PUBLIC_REPLY_MAX_CHARS} characters")
    normalized = normalize_reference(reference)
    ticket = None
    if normalized is not None:
        ticket = await session.scalar(
            select(Ticket)
            .where(Ticket.tenant_id == tenant.id, Ticket.reference == normalized)
            .with_for_update()
        )
    if ticket is None:
        raise TicketNotFound(reference)
    ticket.public_reply = reply
    ticket.public_reply_at = utcnow()
    ticket.updated_at = ticket.public_reply_at
    await session.flush()
    # The reply is already redacted (the caller's job); the firm's systems get what we store.
    await ticket_updated(session, tenant.id, ticket, changes={"public_reply": reply})
    return ticket
