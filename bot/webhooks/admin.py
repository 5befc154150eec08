"""Managing a tenant's webhooks: the use cases behind `python -m bot webhooks` and the
admin API (/agent/api/admin/tenants/{slug}/webhooks). Each owns its transaction and
writes its audit entry there.

Secrets leave only in the answer of the call that made them (register, rotate);
views never carry them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import audit
from bot.db import webhooks as data
from bot.db.errors import TenantNotFound
from bot.db.models import WebhookEndpoint
from bot.db.tenants import TenantRef, tenant_ref
from bot.db.types import utcnow
from bot.db.webhooks import DeliveryRecord
from bot.webhooks.guard import DestinationRefused, check_url, refusal_reason

Sessionmaker = async_sessionmaker[AsyncSession]
CLI = audit.Actor.cli()
MAX_DELIVERY_PAGE = 500


@dataclass(frozen=True)
class EndpointView:
    """An endpoint as an operator sees it: never its secrets."""

    id: int
    url: str
    events: tuple[str, ...]
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    previous_secret_valid_until: datetime | None  # during a rotation's overlap
    created_at: datetime
    updated_at: datetime

    @property
    def disabled_for_failing(self) -> bool:
        return not self.enabled and (self.disabled_reason or "").startswith(data.DISABLED_FOR_FAILING)


def check_registrable(url: str, *, allow_loopback_http: bool) -> None:
    """The SSRF rules a URL must pass to be registered: https (http to loopback in tests),
    no credentials, and no IP literal outside public addresses. Names are resolved and
    checked again at every connect."""
    check_url(url, allow_loopback_http=allow_loopback_http)
    host = urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return  # a name
    reason = refusal_reason(host, allow_loopback=allow_loopback_http)
    if reason:
        raise DestinationRefused(f"{host} is {reason}")


async def register_endpoint(
    sessionmaker: Sessionmaker,
    slug: str,
    url: str,
    events: Iterable[str],
    *,
    allow_loopback_http: bool = False,
    actor: audit.Actor = CLI,
) -> tuple[EndpointView, str]:
    """The new endpoint and its secret (to show once)."""
    url = url.strip()
    check_registrable(url, allow_loopback_http=allow_loopback_http)
    async with sessionmaker.begin() as session:
        tenant = await _tenant(session, slug)
        endpoint, secret = await data.add_endpoint(session, tenant.id, url, events)
        await _record(session, actor, tenant, endpoint.id, "webhook.added", {"events": list(endpoint.events)})
        return endpoint_view(endpoint, utcnow()), secret


async def list_endpoints(sessionmaker: Sessionmaker, slug: str) -> list[EndpointView]:
    async with sessionmaker() as session:
        tenant = await _tenant(session, slug)
        now = utcnow()
        return [endpoint_view(e, now) for e in await data.list_endpoints(session, tenant.id)]


async def get_endpoint(sessionmaker: Sessionmaker, slug: str, endpoint_id: int) -> EndpointView:
    async with sessionmaker() as session:
        tenant = await _tenant(session, slug)
        return endpoint_view(await data.get_endpoint(session, tenant.id, endpoint_id), utcnow())


async def update_endpoint(
    sessionmaker: Sessionmaker,
    slug: str,
    endpoint_id: int,
    *,
    events: Iterable[str] | None = None,
    enabled: bool | None = None,
    actor: audit.Actor = CLI,
) -> EndpointView:
    """Change the subscribed events and/or enable or disable the endpoint (one transaction)."""
    async with sessionmaker.begin() as session:
        tenant = await _tenant(session, slug)
        endpoint = await data.get_endpoint(session, tenant.id, endpoint_id)
        if events is not None:
            endpoint = await data.set_endpoint_events(session, tenant.id, endpoint_id, events)
            await _record(session, actor, tenant, endpoint_id, "webhook.events_changed",
                          {"events": list(endpoint.events)})
        if enabled is not None and enabled != endpoint.enabled:
            endpoint = await data.set_endpoint_enabled(session, tenant.id, endpoint_id, enabled)
            await _record(session, actor, tenant, endpoint_id,
                          "webhook.enabled" if enabled else "webhook.disabled")
        return endpoint_view(endpoint, utcnow())


async def rotate_secret(
    sessionmaker: Sessionmaker,
    slug: str,
    endpoint_id: int,
    *,
    overlap: timedelta,
    actor: audit.Actor = CLI,
) -> tuple[EndpointView, str]:
    """A new secret (to show once); the previous one keeps signing for `overlap`."""
    if overlap < timedelta(0) or overlap > timedelta(days=7):
        raise data.InvalidWebhook("overlap", "must be between 0 and 168 hours")
    async with sessionmaker.begin() as session:
        tenant = await _tenant(session, slug)
        secret = await data.rotate_secret(session, tenant.id, endpoint_id, overlap=overlap)
        await _record(session, actor, tenant, endpoint_id, "webhook.secret_rotated",
                      {"overlap_hours": overlap.total_seconds() / 3600})
        endpoint = await data.get_endpoint(session, tenant.id, endpoint_id)
        return endpoint_view(endpoint, utcnow()), secret


async def remove_endpoint(
    sessionmaker: Sessionmaker, slug: str, endpoint_id: int, *, actor: audit.Actor = CLI
) -> None:
    async with sessionmaker.begin() as session:
        tenant = await _tenant(session, slug)
        await data.remove_endpoint(session, tenant.id, endpoint_id)
        await _record(session, actor, tenant, endpoint_id, "webhook.removed")


async def deliveries(
    sessionmaker: Sessionmaker,
    slug: str,
    *,
    endpoint_id: int | None = None,
    status: str | None = None,
    event_id: str | None = None,
    limit: int = 50,
) -> list[DeliveryRecord]:
    """The delivery log, newest first."""
    if status is not None and status not in data.WEBHOOK_DELIVERY_STATUSES:
        raise data.InvalidWebhook("status", f"must be one of {', '.join(data.WEBHOOK_DELIVERY_STATUSES)}")
    if not 1 <= limit <= MAX_DELIVERY_PAGE:
        raise data.InvalidWebhook("limit", f"must be 1..{MAX_DELIVERY_PAGE}")
    async with sessionmaker() as session:
        tenant = await _tenant(session, slug)
        if endpoint_id is not None:
            await data.get_endpoint(session, tenant.id, endpoint_id)  # another tenant's: not found
        return await data.list_deliveries(
            session, tenant.id, endpoint_id=endpoint_id, status=status, event_id=event_id, limit=limit
        )


async def redeliver(
    sessionmaker: Sessionmaker, slug: str, delivery_id: int, *, actor: audit.Actor = CLI
) -> DeliveryRecord:
    """Queue a delivery again now (whatever its state); the worker sends it on its next pass."""
    async with sessionmaker.begin() as session:
        tenant = await _tenant(session, slug)
        await data.redeliver(session, tenant.id, delivery_id)
        record = await _delivery(session, tenant, delivery_id)
        await _record(session, actor, tenant, record.endpoint_id, "webhook.redelivered",
                      {"delivery": delivery_id, "event": record.event_id})
        return record


def endpoint_view(endpoint: WebhookEndpoint, now: datetime) -> EndpointView:
    overlap_until = endpoint.previous_secret_expires_at
    if endpoint.previous_secret is None or overlap_until is None or overlap_until <= now:
        overlap_until = None
    return EndpointView(
        id=endpoint.id, url=endpoint.url, events=tuple(endpoint.events), enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason, failing_since=endpoint.failing_since,
        previous_secret_valid_until=overlap_until, created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


async def _delivery(session: AsyncSession, tenant: TenantRef, delivery_id: int) -> DeliveryRecord:
    found = await data.list_deliveries(session, tenant.id, delivery_id=delivery_id, limit=1)
    if not found:
        raise data.WebhookNotFound("delivery", delivery_id)
    return found[0]


async def _tenant(session: AsyncSession, slug: str) -> TenantRef:
    ref = await tenant_ref(session, slug)
    if ref is None:
        raise TenantNotFound(slug)
    return ref


async def _record(
    session: AsyncSession,
    actor: audit.Actor,
    tenant: TenantRef,
    endpoint_id: int,
    change: str,
    details: dict[str, Any] | None = None,
) -> None:
    await audit.record(
        session, actor, audit.ADMIN_CHANGE, tenant_id=tenant.id, target_kind="webhook_endpoint",
        target_id=str(endpoint_id), details={"change": change, **(details or {})},
    )
