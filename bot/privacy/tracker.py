"""Rasa's tracker store (`events` table) seen from our side: read and delete by conversation.

Rasa writes it (bot/engine/tracker_store.py); its sender_id is our conversation id. Where it
lives is decided in one place, bot/stack/services.tracker_store_env: a SQLite file beside
ours on the embedded default, our own PostgreSQL database otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, delete, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.engine import Database, to_async_url

# Rasa 3.6's SQLTrackerStore.SQLEvent, as a Core table (not on our models' metadata: Rasa owns it).
EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def tracker_database_url(database_url: str) -> str:
    """Async URL of the database holding Rasa's `events` table for our database at database_url."""
    from bot.stack.services import tracker_store_env

    raw = tracker_store_env(to_async_url(database_url))["TRACKER_URL"]
    if make_url(raw).get_backend_name() == "postgresql":
        return to_async_url(database_url)  # the same database, through our async driver
    return to_async_url(raw)


@dataclass(frozen=True)
class TrackerEvent:
    id: int
    type_name: str
    timestamp: float | None
    data: dict[str, Any]


class TrackerStore:
    """Reads and deletes Rasa's events; a store Rasa has not created yet is empty."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @classmethod
    def beside(cls, database_url: str) -> TrackerStore:
        return cls(Database(tracker_database_url(database_url)))

    async def dispose(self) -> None:
        await self.database.dispose()

    async def events_of(self, sender_id: str) -> list[TrackerEvent]:
        async with self.database.engine.connect() as connection:
            if not await _exists(connection):
                return []
            rows = await connection.execute(
                select(EVENTS.c.id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
                .where(EVENTS.c.sender_id == sender_id)
                .order_by(EVENTS.c.id)
            )
            return [TrackerEvent(r.id, r.type_name, r.timestamp, json.loads(r.data or "{}")) for r in rows]

    async def delete_senders(self, sender_ids: Sequence[str]) -> int:
        """Deletes every event of these conversations; returns how many."""
        if not sender_ids:
            return 0
        async with self.database.engine.begin() as connection:
            if not await _exists(connection):
                return 0
            result = await connection.execute(delete(EVENTS).where(EVENTS.c.sender_id.in_(sender_ids)))
            return result.rowcount or 0

    async def idle_senders(self, before_timestamp: float, limit: int, after: str = "") -> list[str]:
        """Conversations whose latest event is older than before_timestamp (Unix time), in
        sender_id order from after (exclusive): page through them by the last one returned."""
        async with self.database.engine.connect() as connection:
            if not await _exists(connection):
                return []
            rows = await connection.execute(
                select(EVENTS.c.sender_id)
                .where(EVENTS.c.sender_id > after)
                .group_by(EVENTS.c.sender_id)
                .having(func.max(EVENTS.c.timestamp) < before_timestamp)
                .order_by(EVENTS.c.sender_id)
                .limit(limit)
            )
            return list(rows.scalars())


async def _exists(connection: AsyncConnection) -> bool:
    return await connection.run_sync(lambda sync: inspect(sync).has_table(EVENTS.name))
