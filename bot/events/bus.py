"""A topic-based event bus: one small interface, an in-process implementation.

Events are JSON-like dicts, so a Redis implementation (scale-out) can carry them
unchanged behind the same interface. Delivery is at-most-once and in publish
order per subscriber; a subscriber that falls too far behind loses its oldest
events rather than slowing every publisher down (consoles reload on reconnect).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any, Protocol

log = logging.getLogger(__name__)

Event = dict[str, Any]
QUEUE_LIMIT = 1000


class Subscription(Protocol):
    """Events of the subscribed topics, in order; close() to stop receiving."""

    def __aiter__(self) -> AsyncIterator[Event]: ...

    async def get(self) -> Event: ...

    def close(self) -> None: ...


class EventBus(Protocol):
    async def publish(self, topic: str, event: Event) -> None: ...

    def subscribe(self, topics: Iterable[str]) -> Subscription: ...


class _LocalSubscription:
    def __init__(self, bus: InProcessBus, topics: frozenset[str]) -> None:
        self._bus = bus
        self.topics = topics
        self._queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_LIMIT)
        self.closed = False

    def deliver(self, event: Event) -> None:
        if self._queue.full():
            self._queue.get_nowait()  # drop the oldest: a stuck reader must not block publishers
            log.warning("event subscriber fell behind; dropped its oldest event")
        self._queue.put_nowait(event)

    async def get(self) -> Event:
        return await self._queue.get()

    async def __aiter__(self) -> AsyncIterator[Event]:
        while not self.closed:
            yield await self._queue.get()

    def close(self) -> None:
        self.closed = True
        self._bus._unsubscribe(self)


class InProcessBus:
    """Fan-out within one process (one gateway instance)."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[_LocalSubscription]] = {}

    async def publish(self, topic: str, event: Event) -> None:
        for subscription in list(self._subscribers.get(topic, ())):
            subscription.deliver(event)

    def subscribe(self, topics: Iterable[str]) -> _LocalSubscription:
        subscription = _LocalSubscription(self, frozenset(topics))
        for topic in subscription.topics:
            self._subscribers.setdefault(topic, set()).add(subscription)
        return subscription

    def subscriber_count(self, topic: str) -> int:
        return len(self._subscribers.get(topic, ()))

    def _unsubscribe(self, subscription: _LocalSubscription) -> None:
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
