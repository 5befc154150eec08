"""A topic-based event bus: one small interface, an in-process implementation.

Events are JSON-like dicts, so the Redis implementation (bot.events.redis_bus,
for several gateway instances) carries them unchanged behind the same interface.
Delivery is at-most-once and in publish order per topic; a subscriber that falls
too far behind loses its oldest events rather than slowing every publisher down
(consoles reload on reconnect).

A subscription is for a fixed set of topics: whoever needs other topics closes
it and subscribes anew.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, Protocol

log = logging.getLogger(__name__)

Event = dict[str, Any]
QUEUE_LIMIT = 1000


class SubscriptionClosed(Exception):
    """get() on a subscription that was closed (by its owner or with its bus)."""


class Subscription(Protocol):
    """Events of the subscribed topics, in order; close() to stop receiving.

    `async for` ends once the subscription is closed; get() raises SubscriptionClosed.
    close() is synchronous, so a handler that is being cancelled can still call it.
    """

    def __aiter__(self) -> AsyncIterator[Event]: ...

    async def get(self) -> Event: ...

    def close(self) -> None: ...


class EventBus(Protocol):
    async def publish(self, topic: str, event: Event) -> None: ...

    async def subscribe(self, topics: Iterable[str]) -> Subscription:
        """Returns once the subscription is live: every event published after that reaches it."""
        ...

    async def close(self) -> None:
        """Stop delivering; every open subscription ends."""
        ...


_CLOSED: Event = {}  # sentinel queued by close() to wake a waiting reader


class QueueSubscription:
    """A subscriber's own bounded queue; the buses deliver into it (shared by both buses)."""

    def __init__(
        self, topics: frozenset[str], on_close: Callable[[QueueSubscription], None]
    ) -> None:
        self.topics = topics
        self._on_close = on_close
        self._queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_LIMIT)
        self.closed = False

    def deliver(self, event: Event) -> None:
        if self.closed:
            return
        if self._queue.full():
            self._queue.get_nowait()  # drop the oldest: a stuck reader must not block publishers
            log.warning("event subscriber fell behind; dropped its oldest event")
        self._queue.put_nowait(event)

    async def get(self) -> Event:
        if self.closed:
            raise SubscriptionClosed()
        event = await self._queue.get()
        if event is _CLOSED:
            raise SubscriptionClosed()
        return event

    async def __aiter__(self) -> AsyncIterator[Event]:
        while True:
            try:
                yield await self.get()
            except SubscriptionClosed:
                return

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        # Whatever is still queued is not delivered; the sentinel wakes a waiting get().
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(_CLOSED)
        self._on_close(self)


class InProcessBus:
    """Fan-out within one process (one gateway instance)."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[QueueSubscription]] = {}

    async def publish(self, topic: str, event: Event) -> None:
        for subscription in list(self._subscribers.get(topic, ())):
            subscription.deliver(event)

    async def subscribe(self, topics: Iterable[str]) -> QueueSubscription:
        subscription = QueueSubscription(frozenset(topics), self._unsubscribe)
        for topic in subscription.topics:
            self._subscribers.setdefault(topic, set()).add(subscription)
        return subscription

    async def close(self) -> None:
        for subscribers in list(self._subscribers.values()):
            for subscription in list(subscribers):
                subscription.close()

    def subscriber_count(self, topic: str) -> int:
        return len(self._subscribers.get(topic, ()))

    def _unsubscribe(self, subscription: QueueSubscription) -> None:
        for topic in subscription.topics:
            subscribers = self._subscribers.get(topic)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscribers[topic]


def tenant_topic(tenant_id: int) -> str:
    """Everything agents of a tenant may see: queue changes, messages, typing, ownership."""
    return f"tenant:{tenant_id}"


def agent_topic(agent_id: int) -> str:
    """Events for one agent's consoles (e.g. a chat transferred to them)."""
    return f"agent:{agent_id}"
