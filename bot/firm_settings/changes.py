"""The change record of a firm's settings: one audit entry per change, in the change's transaction.

details = {"change": "<what>.<verb>", "before": {...}, "after": {...}, ...}. Secrets never
appear: a rotated identity secret is recorded as "identity_secret.rotated" and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import audit
from bot.db.audit import Actor

SETTINGS_CHANGED = audit.SETTINGS_CHANGED
PAGE = 50


@dataclass(frozen=True)
class Change:
    id: int
    at: datetime
    actor_kind: str
    actor_id: int | None
    actor_role: str | None
    change: str  # "faq.published", "branding.updated", "origins.updated", "hours.updated", ...
    target: str | None
    before: dict[str, Any]
    after: dict[str, Any]
    details: dict[str, Any]


async def record(
    session: AsyncSession,
    actor: Actor,
    tenant_id: int,
    change: str,
    *,
    target: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    **details: Any,
) -> None:
    """Only the fields that changed go into before/after."""
    before, after = before or {}, after or {}
    changed = sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))
    entry: dict[str, Any] = {"change": change, **details}
    if changed:
        entry["before"] = {key: before.get(key) for key in changed}
        entry["after"] = {key: after.get(key) for key in changed}
    await audit.record(session, actor, SETTINGS_CHANGED, tenant_id=tenant_id, target_kind="settings",
                       target_id=target, details=entry)


async def listing(
    session: AsyncSession, tenant_id: int, *, before_id: int | None = None, limit: int = PAGE
) -> list[Change]:
    """The tenant's settings changes, newest first (page with before_id)."""
    rows = await audit.entries(session, [tenant_id], action=SETTINGS_CHANGED, before_id=before_id, limit=limit)
    return [
        Change(
            id=row.id, at=row.at, actor_kind=row.actor_kind, actor_id=row.actor_id, actor_role=row.actor_role,
            change=str(row.details.get("change", "")), target=row.target_id,
            before=dict(row.details.get("before") or {}), after=dict(row.details.get("after") or {}),
            details={k: v for k, v in row.details.items() if k not in {"change", "before", "after"}},
        )
        for row in rows
    ]
