"""Who calls: the API key in `Authorization: Bearer`, its per-key rate limit and its scopes."""

from __future__ import annotations

import math

from aiohttp import web
from sqlalchemy import select

from bot.db.api_keys import Caller, authenticate
from bot.db.models import Tenant
from bot.db.tenants import TenantRef
from bot.firm_api.deps import FirmApiDeps
from bot.firm_api.errors import MissingScope, TooManyRequests, Unauthenticated

MAX_KEY_CHARS = 200


def bearer_key(request: web.Request) -> str | None:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key or len(key) > MAX_KEY_CHARS:
        return None
    return key


async def authorize(request: web.Request, deps: FirmApiDeps, scope: str) -> tuple[Caller, TenantRef]:
    """The caller and their tenant, or 401 (no valid key), 429 (over the key's limit),
    403 (the key lacks `scope`)."""
    key = bearer_key(request)
    if key is None:
        raise Unauthenticated()
    async with deps.database.sessionmaker.begin() as session:
        caller = await authenticate(session, key)
        if caller is None:
            raise Unauthenticated()
        row = (
            await session.execute(
                select(Tenant.slug, Tenant.ticket_prefix).where(Tenant.id == caller.tenant_id)
            )
        ).one()
    if not await deps.limiter.allow(caller.prefix):
        raise TooManyRequests(max(1, math.ceil(deps.window_seconds)))
    if scope not in caller.scopes:
        raise MissingScope(f"This API key lacks the scope {scope}.")
    return caller, TenantRef(id=caller.tenant_id, slug=row.slug, ticket_prefix=row.ticket_prefix)
