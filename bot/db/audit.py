"""The audit log (data functions): who read or changed what, when, in which tenant. Append-only.

Data functions take a session and never commit: an entry is written in the transaction of
the thing it records, so a read or change that rolled back leaves no entry, and one that
happened always has one. Entries hold ids (agent, conversation, account number, ticket
reference), never personal data. There is no update or delete here, and the database refuses
both (triggers of migration 0006_privacy). The supervisor's listing is bot/privacy/audit.py.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.agents import AgentScope
from bot.db.models import AuditEntry

# What is recorded (action names are "<thing>.<verb>").
TRANSCRIPT_READ = "transcript.read"
ACCOUNT_CARD_READ = "account_card.read"
HANDOFF_TRANSITION = "handoff.transition"  # details: {"to": "queued" | "assigned" | "resolved" | ...}
ADMIN_CHANGE = "admin.change"  # details: {"change": "tenant.updated" | "agent.created" | ...}
SUBJECT_EXPORTED = "subject.exported"
SUBJECT_ERASED = "subject.erased"
AUDIT_READ = "audit.read"
TICKET_OPENED = "ticket.opened"  # an agent opened a ticket from a conversation
TICKET_STATUS_CHANGED = "ticket.status_changed"  # an agent moved a ticket; details: {"to": status}
TICKET_REPLIED = "ticket.replied"  # the firm set the public reply (public API)
ACCOUNT_DELETED = "account.deleted"  # the firm removed an account (public API); target: its number
WEBHOOK_DISABLED = "webhook.disabled"  # the delivery worker disabled a failing endpoint; target: it
TICKET_LOOKUP = "ticket.lookup"  # a customer asked for a ticket's status; target: the conversation
SETTINGS_CHANGED = "settings.changed"  # a firm changed its own settings (bot.firm_settings.changes)

DEFAULT_PAGE = 100
MAX_PAGE = 500


@dataclass(frozen=True)
class Actor:
    """Who did it: an agent (id and role), or the system / a command line operator."""

    kind: str  # "agent" | "customer" | "system" | "cli" | "api_key" (id: the key's row) | "portal_user" (a client firm's portal account)
    id: int | None = None
    role: str | None = None

    @classmethod
    def agent(cls, scope: AgentScope) -> Actor:
        return cls("agent", scope.agent_id, scope.role)

    @classmethod
    def customer(cls) -> Actor:
        return cls("customer")

    @classmethod
    def cli(cls) -> Actor:
        return cls("cli")

    @classmethod
    def system(cls) -> Actor:
        return cls("system")

    @classmethod
    def api_key(cls, key_id: int) -> Actor:
        """A client firm's system, through the public API with this key."""
        return cls("api_key", key_id)


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime
    tenant_id: int | None
    actor_kind: str
    actor_id: int | None
    actor_role: str | None
    action: str
    target_kind: str | None
    target_id: str | None
    details: dict[str, Any] = field(default_factory=dict)


async def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    *,
    tenant_id: int | None,
    target_kind: str | None = None,
    target_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Appends one entry in the caller's transaction."""
    session.add(
        AuditEntry(
            tenant_id=tenant_id, actor_kind=actor.kind, actor_id=actor.id, actor_role=actor.role,
            action=action, target_kind=target_kind, target_id=target_id, details=details or {},
        )
    )
    await session.flush()


async def entries(
    session: AsyncSession,
    tenant_ids: Collection[int],
    *,
    action: str | None = None,
    before_id: int | None = None,
    limit: int = DEFAULT_PAGE,
) -> list[AuditView]:
    """Entries of these tenants, newest first; page with before_id (the last id seen)."""
    query = select(AuditEntry).where(AuditEntry.tenant_id.in_(list(tenant_ids)))
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    rows = await session.scalars(query.order_by(AuditEntry.id.desc()).limit(max(1, min(limit, MAX_PAGE))))
    return [_view(row) for row in rows]


async def count_since(
    session: AsyncSession, tenant_id: int, action: str, target_id: str, since: datetime
) -> int:
    """How often `action` was recorded on target_id since `since` (e.g. a conversation's lookups)."""
    return await session.scalar(
        select(func.count()).select_from(AuditEntry).where(
            AuditEntry.tenant_id == tenant_id, AuditEntry.action == action,
            AuditEntry.target_id == target_id, AuditEntry.at >= since,
        )
    ) or 0


def _view(row: AuditEntry) -> AuditView:
    return AuditView(row.id, row.at, row.tenant_id, row.actor_kind, row.actor_id, row.actor_role,
                     row.action, row.target_kind, row.target_id, dict(row.details or {}))


async def record_conversation_read(
    session: AsyncSession, scope: AgentScope, tenant_id: int, conversation_id: str, account_number: str | None
) -> None:
    """An agent opened a conversation: its transcript, and the account card when verified."""
    actor = Actor.agent(scope)
    await record(session, actor, TRANSCRIPT_READ, tenant_id=tenant_id,
                 target_kind="conversation", target_id=conversation_id)
    if account_number is not None:
        await record(session, actor, ACCOUNT_CARD_READ, tenant_id=tenant_id, target_kind="account",
                     target_id=account_number, details={"conversation": conversation_id})


async def record_handoff_transition(
    session: AsyncSession, tenant_id: int, conversation_id: str, before: str, after: str, agent_id: int | None
) -> None:
    """A conversation changed hands (bot -> queue -> agent -> resolved ...), whoever moved it."""
    await record(session, Actor.system(), HANDOFF_TRANSITION, tenant_id=tenant_id,
                 target_kind="conversation", target_id=conversation_id,
                 details={"from": before, "to": after, "agent_id": agent_id})
