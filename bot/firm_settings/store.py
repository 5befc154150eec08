"""Data functions of the settings a firm maintains itself. Take a session, never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.errors import TenantNotFound
from bot.db.models import FaqAnswer, Tenant
from bot.db.tenant_admin import new_identity_secret
from bot.db.tenants import TenantRef


async def tenant_row(session: AsyncSession, slug: str, *, for_update: bool = False) -> Tenant:
    """The tenant; for_update locks its row (PostgreSQL) so a change's 'before' is what it replaced."""
    query = select(Tenant).where(Tenant.slug == slug)
    if for_update:
        query = query.with_for_update()
    tenant = await session.scalar(query)
    if tenant is None:
        raise TenantNotFound(slug)
    return tenant


async def set_branding(session: AsyncSession, tenant: Tenant, branding: dict[str, Any]) -> None:
    # A new dict, not an in-place change: JSON columns only notice assignment.
    tenant.branding = {**(tenant.branding or {}), **branding}
    await session.flush()


async def set_allowed_origins(session: AsyncSession, tenant: Tenant, origins: list[str]) -> None:
    tenant.allowed_origins = list(origins)
    await session.flush()


async def set_business_hours(
    session: AsyncSession, tenant: Tenant, time_zone: str, business_hours: dict[str, Any]
) -> None:
    tenant.time_zone = time_zone
    tenant.business_hours = business_hours
    await session.flush()


async def replace_identity_secret(session: AsyncSession, tenant: Tenant) -> str:
    """Stored as the admin CLI stores it (bot.db.tenant_admin); the caller shows it once."""
    secret = new_identity_secret()
    tenant.identity_secret = secret
    await session.flush()
    return secret


async def faq_keys(session: AsyncSession, tenant: TenantRef) -> list[str]:
    """The topics the firm answers (in any language): the ones its assistant recognises."""
    rows = await session.scalars(
        select(FaqAnswer.key).where(FaqAnswer.tenant_id == tenant.id).distinct().order_by(FaqAnswer.key)
    )
    return list(rows)


async def stored_faq_answer(session: AsyncSession, tenant: TenantRef, key: str, language: str) -> str | None:
    """Exactly this language's answer (bot.db.faq falls back to English for the assistant)."""
    return await session.scalar(
        select(FaqAnswer.answer).where(
            FaqAnswer.tenant_id == tenant.id, FaqAnswer.key == key, FaqAnswer.language == language
        )
    )
