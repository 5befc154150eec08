"""Outbound webhooks: endpoints, the event outbox, and the delivery queue.

record_event is called by use cases inside their own transaction (the outbox:
the event exists exactly when the change it reports was committed). The delivery
worker claims due deliveries with a lease (claimed_until + claim_token) so several
processes never send the same delivery while its lease is live; on PostgreSQL the
claim also skips rows another worker is claiming (FOR UPDATE SKIP LOCKED).
Like every data function here: a session in, nothing committed.
"""

from __future__ import annotations

import secrets as _secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.errors import DomainError
from bot.db.models import (
    WEBHOOK_DELIVERY_STATUSES,
    WEBHOOK_EVENT_TYPES,
    Tenant,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from bot.db.types import utcnow

ALL_EVENTS = "*"  # every type except message.created, which must be asked for by name
OPT_IN_EVENTS = frozenset({"message.created"})
MAX_ENDPOINTS_PER_TENANT = 16
# How an endpoint disabled by the worker (not by a person) starts its disabled_reason.
DISABLED_FOR_FAILING = "every delivery failed"


class InvalidWebhook(DomainError, ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class WebhookNotFound(DomainError, LookupError):
    def __init__(self, what: str, ident: int | str) -> None:
        super().__init__(f"no webhook {what} {ident!r} for this tenant")


def new_event_id() -> str:
    return f"evt_{_secrets.token_urlsafe(18)}"


def new_secret() -> str:
    return f"whsec_{_secrets.token_urlsafe(32)}"


def normalize_events(events: Iterable[str]) -> list[str]:
    chosen = sorted({name.strip() for name in events if name.strip()})
    if not chosen:
        raise InvalidWebhook("events", "choose at least one event type (or '*')")
    unknown = [name for name in chosen if name != ALL_EVENTS and name not in WEBHOOK_EVENT_TYPES]
    if unknown:
        raise InvalidWebhook("events", f"unknown event types {', '.join(unknown)}")
    return chosen


def subscribes_to(events: Sequence[str], event_type: str) -> bool:
    if event_type in events:
        return True
    return ALL_EVENTS in events and event_type not in OPT_IN_EVENTS


def active_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, plus the previous one while its overlap lasts."""
    found = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        found.append(endpoint.previous_secret)
    return found


# --- endpoints (admin) ------------------------------------------------------------


async def add_endpoint(
    session: AsyncSession, tenant_id: int, url: str, events: Iterable[str]
) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its secret (shown to the operator once). The caller checks
    the URL against the SSRF rules (bot.webhooks.guard.check_url) first."""
    url = url.strip()
    if not url or len(url) > 2048:
        raise InvalidWebhook("url", "give a URL of at most 2048 characters")
    count = await session.scalar(
        select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.tenant_id == tenant_id)
    )
    if (count or 0) >= MAX_ENDPOINTS_PER_TENANT:
        raise InvalidWebhook("url", f"a tenant has at most {MAX_ENDPOINTS_PER_TENANT} endpoints")
    secret = new_secret()
    endpoint = WebhookEndpoint(
        tenant_id=tenant_id, url=url, events=normalize_events(events), secret=secret
    )
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


async def list_endpoints(session: AsyncSession, tenant_id: int) -> list[WebhookEndpoint]:
    return list(
        await session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.tenant_id == tenant_id).order_by(WebhookEndpoint.id)
        )
    )


async def get_endpoint(session: AsyncSession, tenant_id: int, endpoint_id: int) -> WebhookEndpoint:
    endpoint = await session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.id == endpoint_id
        )
    )
    if endpoint is None:
        raise WebhookNotFound("endpoint", endpoint_id)
    return endpoint


async def rotate_secret(
    session: AsyncSession, tenant_id: int, endpoint_id: int, *, overlap: timedelta, now: datetime | None = None
) -> str:
    """A new secret; the current one keeps signing (as a second v1) for `overlap`."""
    now = now or utcnow()
    endpoint = await get_endpoint(session, tenant_id, endpoint_id)
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + overlap
    endpoint.secret = secret
    endpoint.updated_at = now
    await session.flush()
    return secret


async def set_endpoint_enabled(
    session: AsyncSession, tenant_id: int, endpoint_id: int, enabled: bool, *, reason: str | None = None
) -> WebhookEndpoint:
    endpoint = await get_endpoint(session, tenant_id, endpoint_id)
    endpoint.enabled = enabled
    endpoint.disabled_reason = None if enabled else (reason or "disabled by an administrator")
    endpoint.failing_since = None
    endpoint.updated_at = utcnow()
    await session.flush()
    return endpoint


async def set_endpoint_events(
    session: AsyncSession, tenant_id: int, endpoint_id: int, events: Iterable[str]
) -> WebhookEndpoint:
    """Change what the endpoint subscribes to (events recorded from now on)."""
    endpoint = await get_endpoint(session, tenant_id, endpoint_id)
    endpoint.events = normalize_events(events)
    endpoint.updated_at = utcnow()
    await session.flush()
    return endpoint


async def tenant_of_endpoint(session: AsyncSession, endpoint_id: int) -> int | None:
    return await session.scalar(select(WebhookEndpoint.tenant_id).where(WebhookEndpoint.id == endpoint_id))


async def remove_endpoint(session: AsyncSession, tenant_id: int, endpoint_id: int) -> None:
    """Removes the endpoint and its deliveries (the events stay for other endpoints)."""
    endpoint = await get_endpoint(session, tenant_id, endpoint_id)
    await session.execute(
        WebhookDelivery.__table__.delete().where(WebhookDelivery.endpoint_id == endpoint.id)
    )
    await session.delete(endpoint)
    await session.flush()


# --- the outbox -------------------------------------------------------------------


async def wanted_by_any_endpoint(session: AsyncSession, tenant_id: int, event_type: str) -> bool:
    """Whether an enabled endpoint of the tenant subscribes to `event_type` (one small query:
    a use case asks before it builds a payload nobody would receive)."""
    return bool(await _subscribers(session, tenant_id, event_type))


async def _subscribers(session: AsyncSession, tenant_id: int, event_type: str) -> list[int]:
    endpoints = (
        await session.execute(
            select(WebhookEndpoint.id, WebhookEndpoint.events).where(
                WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.enabled.is_(True)
            ).order_by(WebhookEndpoint.id)
        )
    ).all()
    return [endpoint_id for endpoint_id, events in endpoints if subscribes_to(events, event_type)]


async def record_event(
    session: AsyncSession,
    tenant_id: int,
    type: str,  # noqa: A002 - the event's documented field name
    data: dict[str, Any],
    ordering_key: str | None = None,
    *,
    now: datetime | None = None,
) -> str | None:
    """Write an event and one pending delivery per enabled endpoint that wants it.

    Call it inside the transaction that makes the change the event reports; it only
    flushes. ordering_key (e.g. 'conversation:<id>'): an endpoint receives the events
    sharing a key in the order they were recorded. Returns the event id, or None when
    no enabled endpoint wants the type (then nothing is written: an event nobody
    receives is neither stored nor sent later).
    """
    if type not in WEBHOOK_EVENT_TYPES:
        raise InvalidWebhook("type", f"unknown event type {type!r}")
    subscribers = await _subscribers(session, tenant_id, type)
    if not subscribers:
        return None
    now = now or utcnow()
    event = WebhookEvent(
        id=new_event_id(), tenant_id=tenant_id, type=type, occurred_at=now, data=data,
        ordering_key=ordering_key,
    )
    session.add(event)
    await session.flush()  # the event row before the deliveries that reference it
    session.add_all(
        WebhookDelivery(
            tenant_id=tenant_id, event_id=event.id, endpoint_id=endpoint_id,
            ordering_key=ordering_key, next_attempt_at=now, created_at=now,
        )
        for endpoint_id in subscribers
    )
    await session.flush()
    return event.id


# --- the worker's side ------------------------------------------------------------


@dataclass(frozen=True)
class ClaimedDelivery:
    """Everything needed to send one delivery, read while claiming it."""

    id: int
    endpoint_id: int
    url: str
    secrets: tuple[str, ...]
    attempts: int
    created_at: datetime
    event_id: str
    event_type: str
    occurred_at: datetime
    tenant_slug: str
    data: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.event_id,
            "type": self.event_type,
            "tenant": self.tenant_slug,
            "created_at": self.occurred_at.isoformat().replace("+00:00", "Z"),
            "data": self.data,
        }


async def claim_due_deliveries(
    session: AsyncSession, *, token: str, now: datetime, lease: timedelta, limit: int
) -> list[ClaimedDelivery]:
    """Lease up to `limit` due deliveries to the worker holding `token`.

    Due: pending, next_attempt_at reached, no live lease, endpoint enabled, and no
    earlier pending delivery with the same ordering key to the same endpoint (that one
    goes first, or finally fails first). One UPDATE ... WHERE id IN (SELECT ...): on
    SQLite it takes the write lock before reading, on PostgreSQL the inner SELECT
    skips rows another worker is claiming right now.
    """
    earlier = aliased(WebhookDelivery)
    lease_free = or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until <= now)
    due = (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            lease_free,
            WebhookEndpoint.enabled.is_(True),
            ~exists().where(
                earlier.endpoint_id == WebhookDelivery.endpoint_id,
                earlier.ordering_key == WebhookDelivery.ordering_key,
                earlier.id < WebhookDelivery.id,
                earlier.status == "pending",
            ),
        )
        .order_by(WebhookDelivery.id)
        .limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    )
    claimed_ids = list(
        await session.scalars(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(due.scalar_subquery()), lease_free)
            .values(claimed_until=now + lease, claim_token=token)
            .returning(WebhookDelivery.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not claimed_ids:
        return []
    rows = await session.execute(
        select(WebhookDelivery, WebhookEvent, WebhookEndpoint, Tenant.slug)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(Tenant, Tenant.id == WebhookDelivery.tenant_id)
        .where(WebhookDelivery.id.in_(claimed_ids))
        .order_by(WebhookDelivery.id)
    )
    return [
        ClaimedDelivery(
            id=delivery.id, endpoint_id=endpoint.id, url=endpoint.url,
            secrets=tuple(active_secrets(endpoint, now)), attempts=delivery.attempts,
            created_at=delivery.created_at, event_id=event.id, event_type=event.type,
            occurred_at=event.occurred_at, tenant_slug=slug, data=event.data,
        )
        for delivery, event, endpoint, slug in rows
    ]


async def finish_attempt(
    session: AsyncSession,
    delivery_id: int,
    *,
    token: str,
    now: datetime,
    status: str,
    next_attempt_at: datetime | None,
    error: str | None,
    status_code: int | None,
) -> bool:
    """Store an attempt's outcome and release the lease. False when the lease was lost
    (it expired and another worker claimed the delivery): then nothing is written."""
    if status not in WEBHOOK_DELIVERY_STATUSES:
        raise ValueError(f"unknown delivery status {status!r}")
    values: dict[str, Any] = {
        "status": status,
        "attempts": WebhookDelivery.attempts + 1,
        "claimed_until": None,
        "claim_token": None,
        "last_status_code": status_code,
        "last_error": error[:500] if error else None,
    }
    if status == "delivered":
        values["delivered_at"] = now
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    result = await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.claim_token == token)
        .values(**values)
        .returning(WebhookDelivery.endpoint_id)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none() is not None


async def note_endpoint_health(
    session: AsyncSession, endpoint_id: int, *, succeeded: bool, now: datetime, disable_after: timedelta
) -> bool:
    """Track how long an endpoint has been failing; disable it after `disable_after`
    of nothing but failures. True when this call disabled it."""
    if succeeded:
        await session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.failing_since.is_not(None))
            .values(failing_since=None)
        )
        return False
    await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.failing_since.is_(None))
        .values(failing_since=now)
    )
    disabled = await session.execute(
        update(WebhookEndpoint)
        .where(
            WebhookEndpoint.id == endpoint_id,
            WebhookEndpoint.enabled.is_(True),
            WebhookEndpoint.failing_since <= now - disable_after,
        )
        .values(
            enabled=False,
            disabled_reason=f"{DISABLED_FOR_FAILING} for {disable_after}; fix the receiver, then enable it",
            updated_at=now,
        )
        .returning(WebhookEndpoint.id)
    )
    return disabled.scalar_one_or_none() is not None


# --- the delivery log -------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryRecord:
    id: int
    endpoint_id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


async def list_deliveries(
    session: AsyncSession,
    tenant_id: int,
    *,
    endpoint_id: int | None = None,
    status: str | None = None,
    event_id: str | None = None,
    delivery_id: int | None = None,
    limit: int = 50,
) -> list[DeliveryRecord]:
    """Newest first."""
    query = (
        select(WebhookDelivery, WebhookEvent.type)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.tenant_id == tenant_id)
    )
    if endpoint_id is not None:
        query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if event_id is not None:
        query = query.where(WebhookDelivery.event_id == event_id)
    if delivery_id is not None:
        query = query.where(WebhookDelivery.id == delivery_id)
    rows = await session.execute(query.order_by(WebhookDelivery.id.desc()).limit(limit))
    return [
        DeliveryRecord(
            id=d.id, endpoint_id=d.endpoint_id, event_id=d.event_id, event_type=event_type,
            status=d.status, attempts=d.attempts, next_attempt_at=d.next_attempt_at,
            last_status_code=d.last_status_code, last_error=d.last_error,
            delivered_at=d.delivered_at, created_at=d.created_at,
        )
        for d, event_type in rows
    ]


async def redeliver(
    session: AsyncSession, tenant_id: int, delivery_id: int, *, now: datetime | None = None
) -> None:
    """Queue a delivery again now, whatever its state (a receiver asked for it again).
    Its 24-hour retry window starts afresh."""
    now = now or utcnow()
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.tenant_id == tenant_id,
            # A delivery in flight keeps its lease; its outcome decides.
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until <= now),
        )
        .values(status="pending", next_attempt_at=now, created_at=now, delivered_at=None,
                claimed_until=None, claim_token=None)
        .returning(WebhookDelivery.id)
        .execution_options(synchronize_session=False)
    )
    if result.scalar_one_or_none() is None:
        exists_at_all = await session.scalar(
            select(WebhookDelivery.id).where(
                and_(WebhookDelivery.id == delivery_id, WebhookDelivery.tenant_id == tenant_id)
            )
        )
        if exists_at_all is None:
            raise WebhookNotFound("delivery", delivery_id)
        raise InvalidWebhook("delivery", "it is being sent right now; try again in a minute")
