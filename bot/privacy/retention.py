"""The retention sweep: conversations idle for longer than their tenant keeps them are deleted
(transcript, notes, handoff summary, annotations, Rasa's tracker, webhook events about them),
a batch per transaction, after their figures were added to daily_stats. Then webhook events
older than the retention period go too (bot/privacy/outbox.py says why pending ones as well).
Last, sign-in records that can never be used again: console and portal sessions and portal
invitations that ended more than SIGN_IN_GRACE ago.

`python -m bot sweep` runs it once; bot/privacy/timer.py runs it periodically under `make run`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.bearer_sessions import delete_ended_sessions
from bot.db.engine import Database
from bot.db.models import (
    AgentSession,
    Annotation,
    Conversation,
    DailyStats,
    InternalNote,
    Message,
    PortalSession,
    Tenant,
)
from bot.db.portal_users import delete_stale_invites
from bot.db.types import utcnow
from bot.privacy import outbox
from bot.privacy.tracker import TrackerStore

log = logging.getLogger(__name__)

BATCH_SIZE = 200  # conversations per transaction: a short write lock, even on SQLite
PAUSE_SECONDS = 0.05  # between batches, so customer turns get the database in between
# Ended sessions and used or expired invitations are kept this long, so "your session has
# expired" and "this invitation was already used" stay explainable for a while.
SIGN_IN_GRACE = timedelta(days=7)


@dataclass
class SweepResult:
    conversations: int = 0
    messages: int = 0
    notes: int = 0
    annotations: int = 0
    webhook_events: int = 0
    webhook_deliveries: int = 0
    tracker_events: int = 0
    orphan_trackers: int = 0  # Rasa conversations with no conversation of ours (e.g. `make shell`)
    sessions: int = 0  # console and portal sessions that ended more than SIGN_IN_GRACE ago
    invites: int = 0  # portal invitations used or expired more than SIGN_IN_GRACE ago
    per_tenant: Counter = field(default_factory=Counter)


async def sweep(
    database: Database,
    tracker: TrackerStore,
    *,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    pause_seconds: float = PAUSE_SECONDS,
) -> SweepResult:
    """Deletes everything past its tenant's retention period; returns what went."""
    now = now or utcnow()
    result = SweepResult()
    async with database.sessionmaker() as session:
        tenants = (await session.execute(select(Tenant.id, Tenant.slug, Tenant.retention_days))).all()
    for tenant_id, slug, days in tenants:
        cutoff = now - timedelta(days=days)
        while True:
            async with database.sessionmaker.begin() as session:
                ids = await expired_conversations(session, tenant_id, cutoff, batch_size)
                if not ids:
                    break
                # Rasa's copy first: if we stop between the two, the next sweep still finds
                # the conversation and finishes it.
                result.tracker_events += await tracker.delete_senders(ids)
                await add_to_daily_stats(session, ids)
                deleted = await delete_conversations(session, ids)
                events, deliveries = await outbox.delete_events_about(session, tenant_id, outbox.keys_about(ids))
            result.conversations += len(ids)
            result.messages += deleted.messages
            result.notes += deleted.notes
            result.annotations += deleted.annotations
            result.webhook_events += events
            result.webhook_deliveries += deliveries
            result.per_tenant[slug] += len(ids)
            await asyncio.sleep(pause_seconds)
        while True:
            async with database.sessionmaker.begin() as session:
                event_ids = await outbox.events_older_than(session, tenant_id, cutoff, batch_size)
                if not event_ids:
                    break
                events, deliveries = await outbox.delete_events(session, event_ids)
            result.webhook_events += events
            result.webhook_deliveries += deliveries
            await asyncio.sleep(pause_seconds)
    if tenants:
        shortest = min(days for _, _, days in tenants)
        result.orphan_trackers = await _sweep_orphan_trackers(
            database, tracker, now - timedelta(days=shortest), batch_size, pause_seconds
        )
    async with database.sessionmaker.begin() as session:
        ended_before = now - SIGN_IN_GRACE
        for table in (AgentSession, PortalSession):
            result.sessions += await delete_ended_sessions(session, table, ended_before=ended_before)
        result.invites = await delete_stale_invites(session, ended_before=ended_before)
    return result


async def expired_conversations(session: AsyncSession, tenant_id: int, cutoff: datetime, limit: int) -> list[str]:
    rows = await session.scalars(
        select(Conversation.id)
        .where(Conversation.tenant_id == tenant_id, Conversation.last_activity_at < cutoff)
        .order_by(Conversation.last_activity_at)
        .limit(limit)
    )
    return list(rows)


async def add_to_daily_stats(session: AsyncSession, conversation_ids: Sequence[str]) -> None:
    """Counts of these conversations, per tenant and day they started, added to daily_stats."""
    conversations = (
        await session.execute(
            select(
                Conversation.id, Conversation.tenant_id, Conversation.created_at,
                Conversation.verified_account_id, Conversation.queued_at, Conversation.rating,
            ).where(Conversation.id.in_(conversation_ids))
        )
    ).all()
    customer_messages = dict(
        (
            await session.execute(
                select(Message.conversation_id, func.count())
                .where(Message.conversation_id.in_(conversation_ids), Message.role == "customer")
                .group_by(Message.conversation_id)
            )
        ).all()
    )
    totals: dict[tuple[int, date], Counter] = {}
    for row in conversations:
        counts = totals.setdefault((row.tenant_id, row.created_at.date()), Counter())
        counts["conversations"] += 1
        counts["customer_messages"] += customer_messages.get(row.id, 0)
        counts["verified"] += row.verified_account_id is not None
        counts["handoffs"] += row.queued_at is not None
        if row.rating is not None:
            counts["ratings"] += 1
            counts["rating_sum"] += row.rating
    for (tenant_id, day), counts in totals.items():
        stats = await session.get(DailyStats, (tenant_id, day))
        if stats is None:
            stats = DailyStats(tenant_id=tenant_id, day=day, conversations=0, customer_messages=0,
                               verified=0, handoffs=0, ratings=0, rating_sum=0)
            session.add(stats)
        for name, value in counts.items():
            setattr(stats, name, getattr(stats, name) + value)
    await session.flush()


@dataclass(frozen=True)
class DeletedConversations:
    messages: int
    notes: int
    annotations: int


async def delete_conversations(session: AsyncSession, conversation_ids: Sequence[str]) -> DeletedConversations:
    """Deletes the conversations with their messages, the messages' annotations, and notes."""
    # Annotations explicitly (the FK also cascades): the count is reported, and a connection
    # without PRAGMA foreign_keys would otherwise leave them behind on SQLite.
    annotations = await session.execute(
        delete(Annotation).where(
            Annotation.message_id.in_(select(Message.id).where(Message.conversation_id.in_(conversation_ids)))
        )
    )
    messages = await session.execute(delete(Message).where(Message.conversation_id.in_(conversation_ids)))
    notes = await session.execute(delete(InternalNote).where(InternalNote.conversation_id.in_(conversation_ids)))
    await session.execute(delete(Conversation).where(Conversation.id.in_(conversation_ids)))
    return DeletedConversations(messages.rowcount or 0, notes.rowcount or 0, annotations.rowcount or 0)


async def _sweep_orphan_trackers(
    database: Database, tracker: TrackerStore, cutoff: datetime, batch_size: int, pause_seconds: float
) -> int:
    """Rasa conversations idle past the shortest retention that no conversation of ours owns."""
    deleted = 0
    after = ""
    while True:
        senders = await tracker.idle_senders(cutoff.timestamp(), batch_size, after)
        if not senders:
            return deleted
        after = senders[-1]
        async with database.sessionmaker() as session:
            ours = set(await session.scalars(select(Conversation.id).where(Conversation.id.in_(senders))))
        orphans = [sender for sender in senders if sender not in ours]
        if orphans:
            await tracker.delete_senders(orphans)
            deleted += len(orphans)
        await asyncio.sleep(pause_seconds)
