"""Personal data in the webhook outbox, deleted: events (payloads hold redacted text, account
numbers, ticket descriptions) with their deliveries.

Rules (docs/privacy.md): an event goes when the conversation or ticket it is about goes
(erasure, retention sweep), and every event goes once it is older than its tenant's
retention period, whatever its deliveries' status: retention wins over delivery, so a
delivery still pending then is dropped (with the default 24-hour retry window, only when the
worker was stopped for the whole period). Data functions: a session in, nothing committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import WebhookDelivery, WebhookEvent
from bot.db.webhook_feed import conversation_ordering_key


def keys_about(conversation_ids: Sequence[str] = (), ticket_ids: Sequence[int] = ()) -> list[str]:
    """The ordering keys of events about these conversations and tickets (bot.db.webhook_feed)."""
    return [conversation_ordering_key(c) for c in conversation_ids] + [f"ticket:{t}" for t in ticket_ids]


async def delete_events_about(session: AsyncSession, tenant_id: int, keys: Sequence[str]) -> tuple[int, int]:
    """Deletes the tenant's events with these ordering keys; returns (events, deliveries)."""
    if not keys:
        return 0, 0
    ids = list(await session.scalars(
        select(WebhookEvent.id).where(WebhookEvent.tenant_id == tenant_id, WebhookEvent.ordering_key.in_(keys))
    ))
    return await delete_events(session, ids)


async def events_older_than(session: AsyncSession, tenant_id: int, cutoff: datetime, limit: int) -> list[str]:
    return list(await session.scalars(
        select(WebhookEvent.id)
        .where(WebhookEvent.tenant_id == tenant_id, WebhookEvent.occurred_at < cutoff)
        .order_by(WebhookEvent.occurred_at)
        .limit(limit)
    ))


async def delete_events(session: AsyncSession, event_ids: Sequence[str]) -> tuple[int, int]:
    """Deletes the events and their deliveries; returns (events, deliveries). Deliveries
    explicitly rather than by ON DELETE CASCADE, so the count is known."""
    if not event_ids:
        return 0, 0
    deliveries = await session.execute(delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(event_ids)))
    events = await session.execute(delete(WebhookEvent).where(WebhookEvent.id.in_(event_ids)))
    return events.rowcount or 0, deliveries.rowcount or 0
