"""Tenant lookups. Other data functions accept a tenant only as a TenantRef."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Tenant


@dataclass(frozen=True)
class TenantRef:
    """The identifying part of a tenant: cheap to pass around, holds no secret."""

    id: int
    slug: str
    ticket_prefix: str

    @classmethod
    def of(cls, tenant: Tenant) -> TenantRef:
        return cls(id=tenant.id, slug=tenant.slug, ticket_prefix=tenant.ticket_prefix)


async def get_tenant(session: AsyncSession, slug: str) -> Tenant | None:
    return await session.scalar(select(Tenant).where(Tenant.slug == slug))


async def tenant_ref(session: AsyncSession, slug: str) -> TenantRef | None:
    row = (
        await session.execute(
            select(Tenant.id, Tenant.slug, Tenant.ticket_prefix).where(Tenant.slug == slug)
        )
    ).one_or_none()
    return TenantRef(id=row.id, slug=row.slug, ticket_prefix=row.ticket_prefix) if row else None


async def list_tenants(session: AsyncSession) -> list[Tenant]:
    """All tenants ordered by slug."""
    return list(await session.scalars(select(Tenant).order_by(Tenant.slug)))
