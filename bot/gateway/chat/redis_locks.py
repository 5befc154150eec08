"""Conversation locks when several gateway instances serve the same conversations.

transcript(id) stays the local asyncio lock: it orders this process's own sockets.
turn(id) must hold across instances (a conversation's messages reach Rasa one at a
time, whichever instance received them), so it is a Redis lock with a lease:

- first the local asyncio lock of the conversation, so that one waiter per process
  polls Redis rather than one per queued message;
- then `SET {prefix}turn:{id} <token> NX PX <lease>`, retried with a short backoff;
- while the turn runs, the lease is renewed every lease/3, so a long turn keeps it;
- on exit the key is deleted only if it still holds our token (compared in Lua),
  never another instance's lock taken after ours expired;
- if the holder dies, nobody renews: the lease runs out and another instance gets it.

If Redis is unreachable a turn waits for it (logged at most once a minute) rather
than running unlocked: delivery stays ordered and resumes when Redis is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.gateway.chat.locks import ConversationLocks

log = logging.getLogger(__name__)

POLL_INITIAL_SECONDS = 0.005
POLL_MAX_SECONDS = 0.1
OUTAGE_WARNING_INTERVAL_SECONDS = 60.0

# Both only touch the key while it still holds the caller's token.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisConversationLocks:
    """ConversationLocks whose turn lock holds across gateway instances (see module doc)."""

    def __init__(
        self, redis: aioredis.Redis, *, lease_seconds: float = 30.0, prefix: str = "bpo:"
    ) -> None:
        self._redis = redis
        self._local = ConversationLocks()
        self._lease_seconds = lease_seconds
        self._lease_ms = max(1, round(lease_seconds * 1000))
        self._key_prefix = f"{prefix}turn:"
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)
        self._background: set[asyncio.Task[Any]] = set()
        self._warned_at: float | None = None

    def transcript(self, conversation_id: str) -> asyncio.Lock:
        return self._local.transcript(conversation_id)

    def turn(self, conversation_id: str) -> contextlib.AbstractAsyncContextManager[None]:
        return self._turn(conversation_id)

    @contextlib.asynccontextmanager
    async def _turn(self, conversation_id: str) -> AsyncIterator[None]:
        async with self._local.turn(conversation_id):
            key = self._key_prefix + conversation_id
            token = secrets.token_hex(16)
            await self._acquire(key, token)
            renewal = self._spawn(self._keep_renewed(key, token))
            try:
                yield
            finally:
                # No await on the renewal: the turn may be ending because it was cancelled.
                # A renewal still in flight cannot revive the key (it compares the token).
                renewal.cancel()
                # Shielded: a cancelled turn still gives the lock back at once.
                await asyncio.shield(self._spawn(self._give_back(key, token)))

    async def _acquire(self, key: str, token: str) -> None:
        delay = POLL_INITIAL_SECONDS
        while True:
            try:
                if await self._redis.set(key, token, nx=True, px=self._lease_ms):
                    return
            except (RedisError, OSError) as error:
                self._warn("cannot reach Redis; turns wait for it", error)
            await asyncio.sleep(random.uniform(delay / 2, delay))
            delay = min(POLL_MAX_SECONDS, delay * 2)

    async def _keep_renewed(self, key: str, token: str) -> None:
        while True:
            await asyncio.sleep(self._lease_seconds / 3)
            try:
                still_ours = await self._renew(keys=[key], args=[token, self._lease_ms])
            except (RedisError, OSError) as error:
                self._warn("cannot renew a turn's lease; retrying", error)
                continue  # the lease has two more periods before it runs out
            if not still_ours:
                log.warning(
                    "a turn outlived its lock's lease (the process stalled or Redis was"
                    " unreachable); another instance may run this conversation's turns"
                )
                return

    async def _give_back(self, key: str, token: str) -> None:
        try:
            await self._release(keys=[key], args=[token])
        except (RedisError, OSError) as error:
            self._warn("cannot release a turn lock; its lease will run out", error)

    def _spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coroutine)
        self._background.add(task)  # a reference, so the task is not collected mid-way
        task.add_done_callback(self._background.discard)
        return task

    def _warn(self, what: str, error: Exception) -> None:
        now = time.monotonic()
        if self._warned_at is None or now - self._warned_at >= OUTAGE_WARNING_INTERVAL_SECONDS:
            self._warned_at = now
            log.warning("turn locks: %s (%s: %s)", what, type(error).__name__, error)
