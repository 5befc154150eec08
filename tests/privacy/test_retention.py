"""The retention sweep deletes what is past its tenant's retention period, everywhere, and keeps
the figures reports need (bot/privacy/retention.py)."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from sqlalchemy import func, select, update

from bot.db import Database, TenantRef
from bot.db.models import Conversation, DailyStats, InternalNote, Message, Tenant
from bot.db.types import utcnow
from bot.privacy.retention import sweep
from bot.privacy.tracker import TrackerStore

from .conftest import NewConversation, add_tracker_events


async def _count(database: Database, model, conversation_id: str) -> int:
    async with database.sessionmaker() as session:
        column = model.id if model is Conversation else model.conversation_id
        return await session.scalar(select(func.count()).select_from(model).where(column == conversation_id))


async def _set_retention(database: Database, tenant: TenantRef, days: int) -> None:
    async with database.sessionmaker.begin() as session:
        await session.execute(update(Tenant).where(Tenant.id == tenant.id).values(retention_days=days))


async def test_tenants_keep_conversations_90_days_by_default(database: Database, nordlys: TenantRef) -> None:
    async with database.sessionmaker() as session:
        assert await session.scalar(select(Tenant.retention_days).where(Tenant.id == nordlys.id)) == 90


async def test_a_conversation_past_retention_goes_with_its_messages_notes_summary_and_tracker(
    database: Database, tracker: TrackerStore, nordlys: TenantRef, new_conversation: NewConversation
) -> None:
    old = await new_conversation(nordlys, days_ago=91, handoff=True)
    recent = await new_conversation(nordlys, days_ago=89)

    result = await sweep(database, tracker, pause_seconds=0)

    assert (result.conversations, result.messages, result.notes, result.tracker_events) == (1, 2, 1, 2)
    for model, kept in ((Conversation, 1), (Message, 2), (InternalNote, 1)):
        assert await _count(database, model, old) == 0
        assert await _count(database, model, recent) == kept
    assert await tracker.events_of(old) == []
    assert len(await tracker.events_of(recent)) == 2


async def test_each_tenant_has_its_own_retention_period(
    database: Database, tracker: TrackerStore, nordlys: TenantRef, fjordnett: TenantRef,
    new_conversation: NewConversation,
) -> None:
    await _set_retention(database, nordlys, 30)
    nordlys_chat = await new_conversation(nordlys, days_ago=45)
    fjordnett_chat = await new_conversation(fjordnett, days_ago=45)

    result = await sweep(database, tracker, pause_seconds=0)

    assert dict(result.per_tenant) == {"nordlys": 1}
    assert await _count(database, Conversation, nordlys_chat) == 0
    assert await _count(database, Conversation, fjordnett_chat) == 1


async def test_deleted_conversations_leave_their_figures_in_daily_stats(
    database: Database, tracker: TrackerStore, nordlys: TenantRef, new_conversation: NewConversation
) -> None:
    await new_conversation(nordlys, days_ago=100, texts=("a", "b", "c"), rating=4, handoff=True,
                           verified_account_id=None)
    await new_conversation(nordlys, days_ago=100, texts=("a",), rating=2)

    await sweep(database, tracker, pause_seconds=0)
    await new_conversation(nordlys, days_ago=100, texts=("a",))
    await sweep(database, tracker, pause_seconds=0)  # adds to the same day's row

    async with database.sessionmaker() as session:
        [stats] = (await session.scalars(select(DailyStats).where(DailyStats.tenant_id == nordlys.id))).all()
    assert stats.day == (utcnow() - timedelta(days=100)).date()
    assert (stats.conversations, stats.customer_messages, stats.handoffs, stats.ratings, stats.rating_sum) == (
        3, 4, 1, 2, 6
    )


async def test_a_sweep_works_in_batches_until_nothing_is_left(
    database: Database, tracker: TrackerStore, nordlys: TenantRef, new_conversation: NewConversation
) -> None:
    for _ in range(5):
        await new_conversation(nordlys, days_ago=120)

    result = await sweep(database, tracker, batch_size=2, pause_seconds=0)

    assert result.conversations == 5
    async with database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 0


async def test_an_old_rasa_conversation_no_conversation_of_ours_owns_is_deleted(
    database: Database, tracker: TrackerStore, nordlys: TenantRef, new_conversation: NewConversation
) -> None:
    await add_tracker_events(tracker, "shell-old", utcnow() - timedelta(days=91), ("hi",))
    await add_tracker_events(tracker, "shell-new", utcnow() - timedelta(days=1), ("hi",))
    kept = await new_conversation(nordlys, days_ago=10)

    result = await sweep(database, tracker, pause_seconds=0)

    assert result.orphan_trackers == 1
    assert await tracker.events_of("shell-old") == []
    assert len(await tracker.events_of("shell-new")) == 1
    assert len(await tracker.events_of(kept)) == 2


def test_python_m_bot_sweep_reports_what_it_deleted(db_url: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bot", "sweep", "--database-url", db_url],
        capture_output=True, text=True, timeout=120, check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert "deleted 0 conversations" in completed.stdout


async def test_the_timer_sweeps_on_its_own_until_cancelled(
    db_url: str, database: Database, nordlys: TenantRef, new_conversation: NewConversation
) -> None:
    import asyncio

    from bot.privacy.timer import sweep_periodically

    old = await new_conversation(nordlys, days_ago=95)
    task = asyncio.create_task(sweep_periodically(db_url, first_seconds=0, every_seconds=0.05))
    try:
        for _ in range(200):
            if await _count(database, Conversation, old) == 0:
                break
            await asyncio.sleep(0.05)
        assert await _count(database, Conversation, old) == 0
        assert not task.done()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
