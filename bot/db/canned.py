"""Canned responses: a tenant's prepared answers, inserted by agents via a shortcut."""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.agents import AgentScope
from bot.db.errors import DomainError
from bot.db.models import CannedResponse
from bot.db.tenants import TenantRef

CANNED_TEXT_MAX_CHARS = 2000  # what fits in one chat message
_SHORTCUT = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


class InvalidCannedResponse(DomainError, ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def normalize_shortcut(raw: str) -> str:
    """'/Greeting' -> 'greeting'; lower-case letters, digits, '-' and '_', up to 40."""
    shortcut = (raw or "").strip().lstrip("/").lower()
    if not _SHORTCUT.fullmatch(shortcut):
        raise InvalidCannedResponse(
            "shortcut", "use 1-40 lower-case letters, digits, '-' or '_' (e.g. 'greeting')"
        )
    return shortcut


async def put_canned_response(
    session: AsyncSession, tenant: TenantRef, shortcut: str, text: str
) -> bool:
    """Add the response, or replace the text of an existing shortcut; True when added."""
    shortcut = normalize_shortcut(shortcut)
    text = (text or "").strip()
    if not text or len(text) > CANNED_TEXT_MAX_CHARS:
        raise InvalidCannedResponse("text", f"must be 1..{CANNED_TEXT_MAX_CHARS} characters")
    existing = await session.scalar(
        select(CannedResponse).where(
            CannedResponse.tenant_id == tenant.id, CannedResponse.shortcut == shortcut
        )
    )
    if existing is not None:
        existing.text = text
        await session.flush()
        return False
    session.add(CannedResponse(tenant_id=tenant.id, shortcut=shortcut, text=text))
    await session.flush()
    return True


async def remove_canned_response(session: AsyncSession, tenant: TenantRef, shortcut: str) -> bool:
    result = await session.execute(
        delete(CannedResponse).where(
            CannedResponse.tenant_id == tenant.id,
            CannedResponse.shortcut == normalize_shortcut(shortcut),
        )
    )
    return result.rowcount > 0


async def canned_responses(session: AsyncSession, tenant: TenantRef) -> list[CannedResponse]:
    """The tenant's canned responses by shortcut (admin side)."""
    return await _of_tenant(session, tenant.id)


async def canned_responses_for_agent(
    session: AsyncSession, scope: AgentScope, tenant_id: int
) -> list[CannedResponse]:
    """The canned responses of a tenant the agent serves; TenantNotServed otherwise."""
    scope.require_tenant(tenant_id)
    return await _of_tenant(session, tenant_id)


async def _of_tenant(session: AsyncSession, tenant_id: int) -> list[CannedResponse]:
    return list(
        await session.scalars(
            select(CannedResponse)
            .where(CannedResponse.tenant_id == tenant_id)
            .order_by(CannedResponse.shortcut)
        )
    )
