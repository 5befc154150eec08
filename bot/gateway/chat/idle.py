"""Ending conversations nobody has written in for IDLE_TIMEOUT_SECONDS, and deleting those
nobody ever wrote in (a hello and nothing more) after EMPTY_CONVERSATION_SECONDS."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from bot.db import Database
from bot.db import conversations as store
from bot.db.types import utcnow
from bot.gateway import protocol
from bot.gateway.chat.start import ENDABLE_WHEN_IDLE
from bot.gateway.sockets import SocketRegistry

log = logging.getLogger(__name__)


class IdleSweeper:
    def __init__(
        self,
        database: Database,
        sockets: SocketRegistry,
        idle_timeout_seconds: float,
        interval_seconds: float,
        *,
        empty_after_seconds: float = 900.0,
    ) -> None:
        self._db = database
        self._sockets = sockets
        self._idle = timedelta(seconds=idle_timeout_seconds)
        self._interval = interval_seconds
        self._empty_after = timedelta(seconds=empty_after_seconds)

    async def sweep_once(self, now: datetime | None = None) -> list[store.ConversationKey]:
        """End idle conversations; tabs still showing one get conversation_ended."""
        cutoff = (now or utcnow()) - self._idle
        async with self._db.sessionmaker.begin() as session:
            ended = await store.end_idle_conversations(
                session, idle_since=cutoff, states=ENDABLE_WHEN_IDLE
            )
        for key in ended:
            # Tabs on any instance: the next message must start a new conversation (hello).
            await self._sockets.end(key.conversation_id, protocol.conversation_ended("idle"))
        if ended:
            log.info("ended %d idle conversations", len(ended))
        return ended

    async def sweep_empty_once(self, now: datetime | None = None) -> list[store.ConversationKey]:
        """Delete conversations nobody wrote in; a tab still showing one starts anew when it writes."""
        cutoff = (now or utcnow()) - self._empty_after
        async with self._db.sessionmaker.begin() as session:
            deleted = await store.delete_empty_conversations(session, created_before=cutoff)
        for key in deleted:
            await self._sockets.end(key.conversation_id, protocol.conversation_ended("idle"))
        if deleted:
            log.info("deleted %d conversations nobody wrote in", len(deleted))
        return deleted

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.sweep_empty_once()
                await self.sweep_once()
            except Exception:
                log.exception("idle sweep failed; trying again in %.0f s", self._interval)
