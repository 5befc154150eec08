"""What the gateway needs to know about a tenant, loaded once per request or socket."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import LANGUAGES
from bot.db.tenants import TenantRef, get_tenant
from bot.gateway.errors import NoSuchTenant


@dataclass(frozen=True)
class TenantContext:
    ref: TenantRef
    name: str
    trade: str
    language: str
    branding: dict[str, Any]
    allowed_origins: frozenset[str]
    # Server-side only: verifies customer identities; never serialised into a response.
    identity_secret: str = field(repr=False)

    @property
    def slug(self) -> str:
        return self.ref.slug

    @property
    def greeting(self) -> str:
        return str(self.branding.get("greeting") or f"Hi! How can {self.name} help you today?")

    def conversation_language(self, hint: str | None) -> str:
        """The browser's language when we support it ('nb-NO' -> 'nb'), else the tenant's."""
        if hint:
            primary = hint.split("-")[0].split("_")[0].lower()
            if primary == "no":  # Norwegian without a variant: Bokmål is what we have
                primary = "nb"
            if primary in LANGUAGES:
                return primary
        return self.language

    def public_config(self, max_message_chars: int) -> dict[str, Any]:
        """The widget configuration: branding and limits, deliberately without any secret."""
        branding = self.branding
        return {
            "tenant": self.slug,
            "name": self.name,
            "language": self.language,
            "branding": {
                "color": branding.get("color"),
                "title": branding.get("title") or self.name,
                "greeting": self.greeting,
                "avatar_url": branding.get("avatar_url"),
            },
            "limits": {"max_message_chars": max_message_chars},
        }


async def load_tenant(session: AsyncSession, slug: str) -> TenantContext:
    """The tenant by slug, or NoSuchTenant."""
    if not slug or len(slug) > 40:
        raise NoSuchTenant()
    tenant = await get_tenant(session, slug)
    if tenant is None:
        raise NoSuchTenant()
    return TenantContext(
        ref=TenantRef.of(tenant),
        name=tenant.name,
        trade=tenant.trade,
        language=tenant.language,
        branding=dict(tenant.branding or {}),
        allowed_origins=frozenset(origin.rstrip("/") for origin in tenant.allowed_origins or ()),
        identity_secret=tenant.identity_secret,
    )
