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


async def test_sign_ins_that_ended_over_a_week_ago_go_and_live_ones_stay(
    database: Database, tracker: TrackerStore, nordlys: TenantRef
) -> None:
    from bot.db.agent_sessions import create_agent_session
    from bot.db.agents import create_agent
    from bot.db.models import AgentSession, PortalInvite, PortalSession
    from bot.db.portal_users import create_invite, create_portal_session, create_portal_user

    now = utcnow()
    async with database.sessionmaker.begin() as session:
        agent_id = (await create_agent(session, email="sweep-agent@bpo.example", display_name="Agent",
                                       password_hash="x", tenants=[nordlys])).id
        user_id = (await create_portal_user(session, tenant_id=nordlys.id, email="sweep-user@nordlys.example",
                                            display_name="User", role="viewer", password_hash="x")).id
        for name, expired_ago in (("old", timedelta(days=8)), ("recent", timedelta(days=6)), ("live", -timedelta(hours=1))):
            expires = now - expired_ago
            await create_agent_session(session, agent_id, token_hash=f"agent-{name}".ljust(64, "0"),
                                       csrf_token="c", created_at=expires - timedelta(hours=12), expires_at=expires)
            await create_portal_session(session, user_id=user_id, token_hash=f"portal-{name}".ljust(64, "0"),
                                        csrf_token="c", created_at=expires - timedelta(hours=12), expires_at=expires)
        for name, expires, accepted in (
            ("expired-long-ago", now - timedelta(days=8), None),
            ("used-long-ago", now + timedelta(days=1), now - timedelta(days=9)),
            ("expired-lately", now - timedelta(days=2), None),
            ("pending", now + timedelta(days=3), None),
        ):
            invite = await create_invite(session, tenant_id=nordlys.id, email=f"{name}@invitee.example", role="viewer",
                                         token_hash=name.ljust(64, "0"), created_at=now - timedelta(days=10),
                                         expires_at=expires)
            invite.accepted_at = accepted

    result = await sweep(database, tracker, pause_seconds=0)

    assert (result.sessions, result.invites) == (2, 2)
    async with database.sessionmaker() as session:
        agent_hashes = set(await session.scalars(select(AgentSession.token_hash).where(AgentSession.token_hash.like("agent-%"))))
        portal_hashes = set(await session.scalars(select(PortalSession.token_hash).where(PortalSession.token_hash.like("portal-%"))))
        invites = set(await session.scalars(select(PortalInvite.email).where(PortalInvite.email.like("%@invitee.example"))))
    assert {h.rstrip("0") for h in agent_hashes} == {"agent-recent", "agent-live"}
    assert {h.rstrip("0") for h in portal_hashes} == {"portal-recent", "portal-live"}
    assert invites == {"expired-lately@invitee.example", "pending@invitee.example"}
