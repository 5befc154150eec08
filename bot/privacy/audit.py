"""The audit log: who read or changed what, when, in which tenant. Append-only.

Data functions take a session and never commit: an entry is written in the transaction of
the thing it records, so a read or change that rolled back leaves no entry, and one that
happened always has one. Entries hold ids (agent, conversation, account number, ticket
reference), never personal data. There is no update or delete here, and the database refuses
both (triggers of migration 0005_privacy).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.agents import AgentScope
from bot.db.engine import Database
from bot.db.models import AuditEntry
from bot.handoff.errors import NotPermitted

# What is recorded (action names are "<thing>.<verb>").
TRANSCRIPT_READ = "transcript.read"
ACCOUNT_CARD_READ = "account_card.read"
HANDOFF_TRANSITION = "handoff.transition"  # details: {"to": "queued" | "assigned" | "resolved" | ...}
ADMIN_CHANGE = "admin.change"  # details: {"change": "tenant.updated" | "agent.created" | ...}
SUBJECT_EXPORTED = "subject.exported"
SUBJECT_ERASED = "subject.erased"
AUDIT_READ = "audit.read"
TICKET_LOOKUP = "ticket.lookup"  # a customer asked for a ticket's status; target: the conversation

DEFAULT_PAGE = 100
MAX_PAGE = 500


@dataclass(frozen=True)
class Actor:
    """Who did it: an agent (id and role), or the system / a command line operator."""

    kind: str  # "agent" | "customer" | "system" | "cli"
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


class AuditNotVisible(NotPermitted):
    """Only supervisors and admins read the audit log, and only of tenants they serve."""

    def __init__(self) -> None:
        super().__init__("read this audit log")


async def list_for_supervisor(
    database: Database,
    scope: AgentScope,
    *,
    tenant_id: int | None = None,
    action: str | None = None,
    before_id: int | None = None,
    limit: int = DEFAULT_PAGE,
) -> list[AuditView]:
    """The use case behind the supervisor's audit view: their tenants' entries (or one
    tenant's), newest first. Reading the log is itself recorded."""
    if not scope.supervises:
        raise AuditNotVisible()
    if tenant_id is not None and not scope.serves(tenant_id):
        raise AuditNotVisible()
    tenant_ids = [tenant_id] if tenant_id is not None else sorted(scope.tenant_ids)
    async with database.sessionmaker.begin() as session:
        found = await entries(session, tenant_ids, action=action, before_id=before_id, limit=limit)
        for served in tenant_ids:
            await record(session, Actor.agent(scope), AUDIT_READ, tenant_id=served)
    return found
