"""Open widget sockets, which conversation each one shows, and the frames they get.

Every frame for a conversation's tabs goes through the event bus (topic
`conversation:<id>`), whichever gateway instance produced it: the instance
holding a tab subscribes while at least one of its tabs shows the
conversation. So an agent connected to instance B reaches a customer on
instance A, and several tabs of one conversation all see every message.

Each tab sees the transcript gapless and in order, whatever order the bus
delivers in (two instances may publish seq 7 and 8 the other way round): a
message frame already sent to the tab is dropped, and one that skips ahead is
preceded by the missing messages, read from the database.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.db import Database
from bot.db import conversations as store
from bot.events.bus import EventBus, InProcessBus, Subscription, SubscriptionClosed
from bot.gateway import protocol
from bot.gateway.chat.locks import TurnLocks
from bot.gateway.tenant_context import TenantContext

log = logging.getLogger(__name__)


def conversation_topic(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


class ChatSocket:
    """One widget connection (a browser tab)."""

    def __init__(self, ws: web.WebSocketResponse, tenant: TenantContext, remote: str) -> None:
        self.ws = ws
        self.tenant = tenant
        self.remote = remote
        self.conversation_id: str | None = None
        self.language: str | None = None  # of the conversation shown
        self.last_seq = 0  # the newest message of the conversation this tab has

    async def send(self, frame: dict[str, Any]) -> bool:
        """Send one frame; False (not an error) when the tab has gone away meanwhile or
        already has this message."""
        seq = message_seq(frame)
        if seq is not None:
            if seq <= self.last_seq:
                return False
            self.last_seq = seq
        if self.ws.closed:
            return False
        try:
            await self.ws.send_json(frame)
        except (ConnectionError, RuntimeError):
            return False
        return True


def message_seq(frame: dict[str, Any]) -> int | None:
    seq = frame.get("seq") if frame.get("type") == "message" else None
    return seq if isinstance(seq, int) else None


@dataclass
class _Feed:
    """This instance's subscription to one conversation's frames, and its pump."""

    subscription: Subscription
    task: asyncio.Task[None] | None = None
    closed: bool = False
    sockets: set[ChatSocket] = field(default_factory=set)


class SocketRegistry:
    def __init__(self, bus: EventBus, database: Database, locks: TurnLocks) -> None:
        self._bus = bus
        self._db = database
        self._locks = locks
        self._sockets: set[ChatSocket] = set()
        self._feeds: dict[str, _Feed] = {}
        # With a bus shared by several instances, a tab may be open on another one.
        self.local_only = isinstance(bus, InProcessBus)

    def __len__(self) -> int:
        return len(self._sockets)

    def all(self) -> list[ChatSocket]:
        return list(self._sockets)

    def add(self, socket: ChatSocket) -> None:
        self._sockets.add(socket)

    def remove(self, socket: ChatSocket) -> None:
        self.release(socket)
        self._sockets.discard(socket)

    async def bind(self, socket: ChatSocket, conversation_id: str, *, last_seq: int) -> None:
        """The socket now shows `conversation_id` (and no longer any previous one); it has
        the messages up to `last_seq`. Returns once frames published from now on reach it.
        Call under the conversation's transcript lock, then send the replay."""
        self.release(socket)
        feed = self._feeds.get(conversation_id)
        if feed is None:
            subscription = await self._bus.subscribe([conversation_topic(conversation_id)])
            feed = self._feeds.get(conversation_id)  # another tab may have won the race
            if feed is None:
                feed = _Feed(subscription)
                feed.task = asyncio.create_task(self._pump(conversation_id, feed))
                self._feeds[conversation_id] = feed
            else:
                subscription.close()
        socket.conversation_id = conversation_id
        socket.last_seq = last_seq
        feed.sockets.add(socket)

    def showing(self, conversation_id: str) -> list[ChatSocket]:
        """This instance's tabs showing the conversation."""
        feed = self._feeds.get(conversation_id)
        return list(feed.sockets) if feed else []

    def might_show(self, conversation_id: str) -> bool:
        """False only when no tab anywhere shows it (known for sure with one instance)."""
        return not self.local_only or bool(self.showing(conversation_id))

    async def broadcast(self, conversation_id: str, frame: dict[str, Any]) -> None:
        """To every tab showing the conversation, on every instance."""
        await self._bus.publish(conversation_topic(conversation_id), {"frame": frame})

    async def end(self, conversation_id: str, frame: dict[str, Any]) -> None:
        """Send `frame` to every tab showing the conversation, which then shows nothing
        (its next message must start a new conversation with hello)."""
        await self._bus.publish(conversation_topic(conversation_id), {"frame": frame, "end": True})

    def release(self, socket: ChatSocket) -> None:
        """The socket shows no conversation any more (until its next hello)."""
        conversation_id = socket.conversation_id
        if conversation_id is None:
            return
        socket.conversation_id = None
        feed = self._feeds.get(conversation_id)
        if feed is None:
            return
        feed.sockets.discard(socket)
        if not feed.sockets:
            self._close_feed(conversation_id, feed)

    async def close(self) -> None:
        feeds = list(self._feeds.items())
        for conversation_id, feed in feeds:
            self._close_feed(conversation_id, feed)
        tasks = [feed.task for _, feed in feeds if feed.task is not None]
        await asyncio.gather(*tasks, return_exceptions=True)

    def _close_feed(self, conversation_id: str, feed: _Feed) -> None:
        feed.closed = True
        if self._feeds.get(conversation_id) is feed:
            del self._feeds[conversation_id]
        feed.subscription.close()
        # The pump ending its own feed (an `end` frame) stops by itself after that frame.
        if feed.task is not None and feed.task is not asyncio.current_task():
            feed.task.cancel()

    async def _pump(self, conversation_id: str, feed: _Feed) -> None:
        while not feed.closed:
            try:
                event = await feed.subscription.get()
            except SubscriptionClosed:
                return  # with the bus, at shutdown
            frame = event.get("frame")
            if not isinstance(frame, dict):
                continue
            try:
                # The transcript lock: a tab getting its replay gets live frames after it.
                async with self._locks.transcript(conversation_id):
                    for socket in list(feed.sockets):
                        await self._deliver(socket, conversation_id, frame)
                    if event.get("end"):
                        for socket in list(feed.sockets):
                            self.release(socket)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivering a frame to this instance's tabs failed")

    async def _deliver(self, socket: ChatSocket, conversation_id: str, frame: dict[str, Any]) -> None:
        seq = message_seq(frame)
        if seq is not None and seq > socket.last_seq + 1:
            await self._fill_gap(socket, conversation_id)
        await socket.send(frame)

    async def _fill_gap(self, socket: ChatSocket, conversation_id: str) -> None:
        """Messages published elsewhere that have not arrived here yet: from the database
        (they are committed before they are published)."""
        async with self._db.sessionmaker() as session:
            missing = await store.messages_after(
                session, socket.tenant.ref, conversation_id, socket.last_seq
            )
        for message in missing:
            await socket.send(protocol.message(message))
