"""Privacy fixtures: Rasa's tracker store beside the test's database, conversations of any age."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

import pytest

from bot.db import Database, TenantRef
from bot.db.models import Conversation, InternalNote, Message
from bot.db.types import utcnow
from bot.privacy.tracker import EVENTS, TrackerStore


@pytest.fixture
async def tracker(db_url: str) -> AsyncIterator[TrackerStore]:
    """The store Rasa would use for db_url, with its `events` table created as Rasa does."""
    store = TrackerStore.beside(db_url)
    async with store.database.engine.begin() as connection:
        await connection.run_sync(EVENTS.metadata.create_all)
    yield store
    await store.dispose()


NewConversation = Callable[..., Awaitable[str]]


@pytest.fixture
def new_conversation(database: Database, tracker: TrackerStore) -> NewConversation:
    """A conversation last active `days_ago`, with messages, a note, a summary and Rasa events."""

    async def create(
        tenant: TenantRef,
        days_ago: float,
        *,
        texts: tuple[str, ...] = ("my account is 10000001", "thanks"),
        verified_account_id: int | None = None,
        rating: int | None = None,
        handoff: bool = False,
    ) -> str:
        at = utcnow() - timedelta(days=days_ago)
        conversation_id = secrets.token_urlsafe(24)
        async with database.sessionmaker.begin() as session:
            session.add(
                Conversation(
                    id=conversation_id, tenant_id=tenant.id, language="en", created_at=at,
                    last_activity_at=at, last_seq=len(texts), verified_account_id=verified_account_id,
                    verified_by="site" if verified_account_id is not None else None,
                    rating=rating, queued_at=at if handoff else None,
                    handoff_summary={"reason": "request_human"} if handoff else None,
                    state="resolved" if handoff else "bot",
                )
            )
            await session.flush()
            for seq, text in enumerate(texts, 1):
                session.add(Message(tenant_id=tenant.id, conversation_id=conversation_id, seq=seq,
                                    role="customer" if seq % 2 else "bot", text=text, created_at=at))
            session.add(InternalNote(tenant_id=tenant.id, conversation_id=conversation_id,
                                     text="called back", created_at=at))
        await add_tracker_events(tracker, conversation_id, at, texts)
        return conversation_id

    return create


async def add_tracker_events(tracker: TrackerStore, sender_id: str, at: datetime, texts: tuple[str, ...]) -> None:
    async with tracker.database.engine.begin() as connection:
        for number, text in enumerate(texts):
            event = {"event": "user", "timestamp": at.timestamp() + number, "text": text}
            await connection.execute(
                EVENTS.insert().values(sender_id=sender_id, type_name="user", timestamp=event["timestamp"],
                                       data=json.dumps(event))
            )
