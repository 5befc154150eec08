"""Creating tenants and rotating their identity secrets (admin CLI).

The identity secret signs customer identities (HMAC of the user id). It is
generated here, returned once to the operator, and never logged or shown again.
Opening hours and the time zone are validated by the caller
(bot.handoff.business_hours), which knows their format.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.errors import DomainError, TenantNotFound
from bot.db.models import CURRENCIES, LANGUAGES, Tenant
from bot.db.tenants import TenantRef

_SLUG = re.compile(r"[a-z][a-z0-9-]{1,39}")
_PREFIX = re.compile(r"[A-Z]{3}")
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


class InvalidTenantData(DomainError, ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class DuplicateTenant(DomainError, ValueError):
    def __init__(self, what: str) -> None:
        super().__init__(f"a tenant with this {what} already exists")
        self.what = what


@dataclass(frozen=True)
class NewTenant:
    slug: str
    name: str
    trade: str
    language: str
    time_zone: str
    currency: str
    ticket_prefix: str
    business_hours: dict[str, Any]
    allowed_origins: tuple[str, ...] = ()
    auto_assign: bool = True
    branding: dict[str, Any] = field(default_factory=dict)


def new_identity_secret() -> str:
    return secrets.token_urlsafe(32)


async def create_tenant(session: AsyncSession, spec: NewTenant) -> tuple[Tenant, str]:
    """Insert the tenant; returns it with its identity secret (show it once, then forget it)."""
    values = _validated(spec)
    clash = await session.scalar(
        select(Tenant.slug).where(
            or_(Tenant.slug == values["slug"], Tenant.ticket_prefix == values["ticket_prefix"])
        )
    )
    if clash is not None:
        raise DuplicateTenant("slug" if clash == values["slug"] else "ticket prefix")
    secret = new_identity_secret()
    tenant = Tenant(**values, identity_secret=secret)
    session.add(tenant)
    await session.flush()
    return tenant, secret


async def rotate_identity_secret(session: AsyncSession, tenant: TenantRef) -> str:
    """Replace the tenant's identity secret; identities signed with the old one stop verifying."""
    secret = new_identity_secret()
    result = await session.execute(
        update(Tenant).where(Tenant.id == tenant.id).values(identity_secret=secret)
    )
    if result.rowcount == 0:
        raise TenantNotFound(tenant.slug)
    return secret


def _validated(spec: NewTenant) -> dict[str, Any]:
    slug = spec.slug.strip().lower()
    if not _SLUG.fullmatch(slug):
        raise InvalidTenantData("slug", "use 2-40 lower-case letters, digits or '-', starting with a letter")
    name = spec.name.strip()
    if not name or len(name) > 120:
        raise InvalidTenantData("name", "must be 1..120 characters")
    trade = spec.trade.strip()
    if not trade or len(trade) > 40:
        raise InvalidTenantData("trade", "must be 1..40 characters")
    if spec.language not in LANGUAGES:
        raise InvalidTenantData("language", f"must be one of {', '.join(LANGUAGES)}")
    if spec.currency not in CURRENCIES:
        raise InvalidTenantData("currency", f"must be one of {', '.join(CURRENCIES)}")
    prefix = spec.ticket_prefix.strip().upper()
    if not _PREFIX.fullmatch(prefix):
        raise InvalidTenantData("ticket_prefix", "must be three letters, e.g. NRD")
    if not spec.time_zone or len(spec.time_zone) > 64:
        raise InvalidTenantData("time_zone", "must be an IANA zone name like Europe/Oslo")
    origins = [origin.strip().rstrip("/") for origin in spec.allowed_origins]
    bad = [origin for origin in origins if not _ORIGIN.fullmatch(origin)]
    if bad:
        raise InvalidTenantData("allowed_origins", f"{bad} are not origins like https://www.example.com")
    branding = {"color": None, "title": name, "greeting": None, "avatar_url": None, **spec.branding}
    return {
        "slug": slug,
        "name": name,
        "trade": trade,
        "language": spec.language,
        "time_zone": spec.time_zone,
        "currency": spec.currency,
        "ticket_prefix": prefix,
        "business_hours": spec.business_hours,
        "allowed_origins": list(dict.fromkeys(origins)),
        "auto_assign": spec.auto_assign,
        "branding": branding,
    }
