"""The event bus across gateway instances: Redis pub/sub behind the EventBus interface.

Same contract as InProcessBus: order per topic, at-most-once, a slow local
subscriber loses its oldest events. Events travel as JSON.

How it works, per process:
- One pub/sub connection, owned by one task (the pump): it sends every SUBSCRIBE
  and UNSUBSCRIBE and reads every message, so commands and reads never interleave
  on the connection. Local subscribers only change the wanted set and wake it.
- Channels are reference-counted by the local subscriptions: SUBSCRIBE when the
  first local subscriber of a topic appears, UNSUBSCRIBE when the last one closes.
- subscribe() returns once Redis has confirmed every channel, so an event
  published after it returns (by any instance) is never missed.
- A broken connection is logged once; the pump reconnects with backoff and
  resubscribes every live topic, and the Subscription objects carry on (what was
  published meanwhile is lost: at-most-once, consoles reload). A connection that
  stays silent is PINGed, so a half-open TCP connection is noticed too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Iterable
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from bot.events.bus import Event, QueueSubscription

log = logging.getLogger(__name__)

RECONNECT_INITIAL_SECONDS = 0.1
RECONNECT_MAX_SECONDS = 5.0
KEEPALIVE_SECONDS = 30.0
PUBLISH_WARNING_INTERVAL_SECONDS = 60.0


class RedisBus:
    """Fan-out between every process connected to the same Redis (and within each).

    `redis` serves publish(); the pub/sub connection is a dedicated one with the same
    connection settings. `prefix` namespaces the channels (channel = prefix + topic).
    """

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        prefix: str = "bpo:",
        keepalive_seconds: float = KEEPALIVE_SECONDS,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._keepalive = keepalive_seconds
        self._listener = _dedicated_listener(redis)
        # Local side: channel -> the subscriptions that want it.
        self._local: dict[str, set[QueueSubscription]] = {}
        # Channels that gained their first or lost their last local subscriber since the pump
        # last looked (it only looks at these: thousands of conversations may be subscribed).
        self._dirty: set[str] = set()
        # Server side, for the current connection only:
        self._sent: set[str] = set()  # SUBSCRIBE sent and not UNSUBSCRIBEd since
        self._unconfirmed: dict[str, int] = {}  # SUBSCRIBEs still awaiting Redis' confirmation
        self._live: set[str] = set()  # confirmed: events published from now on arrive
        self._live_waiters: dict[str, set[asyncio.Future[None]]] = {}  # woken when it goes live
        self._wanted_changed = asyncio.Event()
        self._pump_task: asyncio.Task[None] | None = None
        self._failures = 0
        self._publish_warned_at: float | None = None
        self._closed = False

    # --- the EventBus interface -----------------------------------------------------------

    async def publish(self, topic: str, event: Event) -> None:
        data = json.dumps(event, separators=(",", ":"))
        try:
            await self._redis.publish(self._prefix + topic, data)
        except (RedisError, OSError) as error:
            # At-most-once, like a full subscriber queue: the caller's work (already
            # stored) must not fail because the consoles could not be told live.
            self._warn_publish_failed(error)

    async def subscribe(self, topics: Iterable[str]) -> QueueSubscription:
        if self._closed:
            raise RuntimeError("the event bus is closed")
        subscription = QueueSubscription(frozenset(topics), self._release)
        channels = [self._prefix + topic for topic in subscription.topics]
        for channel in channels:
            subscriptions = self._local.setdefault(channel, set())
            if not subscriptions:
                self._dirty.add(channel)
            subscriptions.add(subscription)
        self._start_pump()
        self._wanted_changed.set()
        try:
            await self._until_live(channels)
        except BaseException:
            subscription.close()  # cancelled while waiting: give the channels back
            raise
        if self._closed:
            subscription.close()
        return subscription

    async def close(self) -> None:
        self._closed = True
        for subscriptions in list(self._local.values()):
            for subscription in list(subscriptions):
                subscription.close()
        if self._pump_task is not None:
            self._pump_task.cancel()
            # Python 3.11's wait_for can lose a cancellation that coincides with a failing
            # send (redis-py sends through it); the pump then sees _closed once woken.
            self._wanted_changed.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump_task
            self._pump_task = None
        for channel in list(self._live_waiters):
            self._wake_waiters(channel)  # anyone still waiting in subscribe()
        await self._listener.aclose(close_connection_pool=True)

    # --- local subscriptions --------------------------------------------------------------

    def _release(self, subscription: QueueSubscription) -> None:
        for topic in subscription.topics:
            channel = self._prefix + topic
            subscriptions = self._local.get(channel)
            if subscriptions is not None:
                subscriptions.discard(subscription)
                if not subscriptions:
                    del self._local[channel]
                    self._dirty.add(channel)
        self._wanted_changed.set()  # the pump UNSUBSCRIBEs channels nobody wants any more

    def _is_live(self, channel: str) -> bool:
        return channel in self._live and not self._unconfirmed.get(channel)

    async def _until_live(self, channels: list[str]) -> None:
        loop = asyncio.get_running_loop()
        while not self._closed:
            waiting = [channel for channel in channels if not self._is_live(channel)]
            if not waiting:
                return
            woken = loop.create_future()
            for channel in waiting:
                self._live_waiters.setdefault(channel, set()).add(woken)
            try:
                await woken
            finally:
                for channel in waiting:
                    waiters = self._live_waiters.get(channel)
                    if waiters is not None:
                        waiters.discard(woken)
                        if not waiters:
                            del self._live_waiters[channel]

    def _wake_waiters(self, channel: str) -> None:
        for woken in self._live_waiters.pop(channel, ()):
            if not woken.done():
                woken.set_result(None)

    def _dispatch(self, channel: str, data: Any) -> None:
        subscriptions = self._local.get(channel)
        if not subscriptions:
            return  # the last local subscriber left; its UNSUBSCRIBE is on the way
        try:
            event = json.loads(data)
        except (TypeError, ValueError):
            event = None
        if not isinstance(event, dict):
            log.warning("dropped a malformed event on %s", channel)
            return
        for subscription in list(subscriptions):
            subscription.deliver(event)

    # --- the pump: the only user of the pub/sub connection ----------------------------------

    def _start_pump(self) -> None:
        if self._pump_task is None or self._pump_task.done():
            self._pump_task = asyncio.create_task(self._run(), name="redis-event-bus")

    async def _run(self) -> None:
        while not self._closed:
            pubsub = self._listener.pubsub()
            self._forget_connection_state()
            try:
                await self._pump(pubsub)
            except (RedisError, OSError) as error:
                self._failures += 1
                if self._failures == 1:
                    log.warning(
                        "event bus lost its Redis connection (%s: %s); reconnecting,"
                        " events published meanwhile are lost",
                        type(error).__name__,
                        error,
                    )
            except Exception:
                self._failures += 1
                log.exception("event bus pump failed; restarting it")
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            if self._closed:
                return  # close() cancelled us, but a failing send may have eaten the cancellation
            await asyncio.sleep(_backoff(self._failures))

    async def _pump(self, pubsub: PubSub) -> None:
        pinged = False
        while not self._closed:
            self._wanted_changed.clear()
            await self._send_changes(pubsub)
            if not self._sent:
                await self._wanted_changed.wait()  # nothing to listen to until someone subscribes
                continue
            read = asyncio.ensure_future(pubsub.get_message(timeout=None))
            woken = asyncio.ensure_future(self._wanted_changed.wait())
            try:
                await asyncio.wait(
                    {read, woken}, timeout=self._keepalive, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                # Cancelling a read is safe: redis-py's parser keeps partial data for the next.
                for task in (read, woken):
                    task.cancel()
                await asyncio.gather(read, woken, return_exceptions=True)
            if read.cancelled():
                if woken.cancelled():  # neither a message nor a change for a whole keepalive period
                    if pinged:
                        raise ConnectionError("Redis did not answer a PING in time")
                    await pubsub.ping()
                    pinged = True
                continue
            message = read.result()  # raises what the read raised
            pinged = False
            if message is not None:
                self._handle(message)

    async def _send_changes(self, pubsub: PubSub) -> None:
        changed, self._dirty = self._dirty, set()
        added = sorted(c for c in changed if c in self._local and c not in self._sent)
        removed = sorted(c for c in changed if c not in self._local and c in self._sent)
        if added:
            self._sent.update(added)
            for channel in added:
                self._unconfirmed[channel] = self._unconfirmed.get(channel, 0) + 1
            await pubsub.subscribe(*added)
        if removed:
            # Not live from the moment we leave: a subscriber arriving before the
            # confirmation must wait for the SUBSCRIBE that follows.
            self._sent.difference_update(removed)
            self._live.difference_update(removed)
            await pubsub.unsubscribe(*removed)

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        channel = _text(message["channel"]) if message.get("channel") is not None else ""
        if kind == "message":
            self._dispatch(channel, message["data"])
        elif kind == "subscribe":
            remaining = self._unconfirmed.get(channel, 0) - 1
            if remaining > 0:
                self._unconfirmed[channel] = remaining
            else:
                self._unconfirmed.pop(channel, None)
            self._live.add(channel)
            if self._failures:
                log.info("event bus reconnected to Redis")
                self._failures = 0
            if self._is_live(channel):
                self._wake_waiters(channel)
        elif kind == "unsubscribe":
            self._live.discard(channel)

    def _forget_connection_state(self) -> None:
        """A new connection has no subscriptions yet: everything wanted is sent again."""
        self._sent.clear()
        self._unconfirmed.clear()
        self._live.clear()
        self._dirty.update(self._local)

    def _warn_publish_failed(self, error: Exception) -> None:
        now = time.monotonic()
        last = self._publish_warned_at
        if last is None or now - last >= PUBLISH_WARNING_INTERVAL_SECONDS:
            self._publish_warned_at = now
            log.warning(
                "event bus could not publish to Redis (%s: %s); events are being dropped",
                type(error).__name__,
                error,
            )


def _dedicated_listener(redis: aioredis.Redis) -> aioredis.Redis:
    """A client of its own for the pub/sub connection, with the same settings but no retries.

    The client's own retries would reconnect and resubscribe silently; the pump does that
    itself, from its own bookkeeping, and says so once in the log.
    """
    pool = redis.connection_pool
    settings = {**pool.connection_kwargs, "retry": Retry(NoBackoff(), 0)}
    return aioredis.Redis(
        connection_pool=aioredis.ConnectionPool(connection_class=pool.connection_class, **settings)
    )


def _backoff(failures: int) -> float:
    if failures == 0:
        return 0.0
    ceiling = min(RECONNECT_MAX_SECONDS, RECONNECT_INITIAL_SECONDS * 2 ** (failures - 1))
    return random.uniform(ceiling / 2, ceiling)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
