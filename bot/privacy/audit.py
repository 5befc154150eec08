"""Who may read the audit log: supervisors and admins, of the tenants they serve.

The data functions (record, entries, the action names) are bot/db/audit.py.
"""

from __future__ import annotations

from bot.db.agents import AgentScope
from bot.db.audit import AUDIT_READ, DEFAULT_PAGE, Actor, AuditView, entries, record
from bot.db.engine import Database
from bot.handoff.errors import NotPermitted

ADMIN_ROLE = "admin"


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
    tenant's; any tenant's for an admin), newest first. Reading the log is itself recorded."""
    if not scope.supervises:
        raise AuditNotVisible()
    # Admins work for the whole BPO; supervisors for the tenants they serve.
    if tenant_id is not None and not (scope.serves(tenant_id) or scope.role == ADMIN_ROLE):
        raise AuditNotVisible()
    tenant_ids = [tenant_id] if tenant_id is not None else sorted(scope.tenant_ids)
    async with database.sessionmaker.begin() as session:
        found = await entries(session, tenant_ids, action=action, before_id=before_id, limit=limit)
        for served in tenant_ids:
            await record(session, Actor.agent(scope), AUDIT_READ, tenant_id=served)
    return found
