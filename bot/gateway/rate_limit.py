"""Sliding-window rate limiting: in memory (one gateway process) or in Redis (shared by all).

Both allow `limit.count` hits per key within any `limit.seconds` window, and a
refused hit does not count against the window.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.gateway.settings import RateLimit

log = logging.getLogger(__name__)

OUTAGE_WARNING_INTERVAL_SECONDS = 60.0


class RateLimiter(Protocol):
    async def allow(self, key: str) -> bool:
        """Record a hit for `key`; whether it is within the limit."""
        ...


class SlidingWindowLimiter:
    """Allows `limit.count` hits per key within any `limit.seconds` window (this process only)."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._calls = 0

    async def allow(self, key: str) -> bool:
        """Record a hit for `key`; whether it is within the limit (refused hits don't count)."""
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        self._expire(hits, now)
        self._calls += 1
        if self._calls % 1024 == 0:
            self._forget_quiet_keys(now)
        if len(hits) >= self._limit.count:
            return False
        hits.append(now)
        return True

    def _expire(self, hits: deque[float], now: float) -> None:
        while hits and hits[0] <= now - self._limit.seconds:
            hits.popleft()

    def _forget_quiet_keys(self, now: float) -> None:
        # Keeps memory bounded by the keys active within one window.
        for key in list(self._hits):
            hits = self._hits[key]
            self._expire(hits, now)
            if not hits:
                del self._hits[key]


# One sorted set per key: members are hits, scores their time in milliseconds.
# Redis' own clock (TIME), so every gateway instance judges by the same one.
# Milliseconds keep scores below 2^53 and within the 14 digits Lua prints exactly.
_SLIDING_WINDOW = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window_ms = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - window_ms)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now_ms, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window_ms)
return 1
"""


class RedisSlidingWindowLimiter:
    """The same sliding window, kept in Redis so that every gateway instance shares one budget.

    `name` tells limiters apart (e.g. "ip", "conversation", "login"); the key of a budget is
    `{prefix}rate:{name}:{key}`. If Redis fails, hits are allowed (fail open: an outage of
    Redis must not lock customers out) and a warning is logged at most once a minute.
    """

    def __init__(
        self,
        redis: aioredis.Redis,
        name: str,
        limit: RateLimit,
        *,
        prefix: str = "bpo:",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = redis
        self._key_prefix = f"{prefix}rate:{name}:"
        self._count = limit.count
        self._window_ms = max(1, round(limit.seconds * 1000))
        self._script = redis.register_script(_SLIDING_WINDOW)
        self._clock = clock  # only paces the outage warning
        self._warned_at: float | None = None

    async def allow(self, key: str) -> bool:
        hit = secrets.token_hex(8)  # unique member: two hits in the same millisecond both count
        try:
            allowed = await self._script(
                keys=[self._key_prefix + key], args=[self._count, self._window_ms, hit]
            )
        except (RedisError, OSError) as error:
            self._warn_outage(error)
            return True
        return bool(allowed)

    def _warn_outage(self, error: Exception) -> None:
        now = self._clock()
        if self._warned_at is None or now - self._warned_at >= OUTAGE_WARNING_INTERVAL_SECONDS:
            self._warned_at = now
            log.warning(
                "rate limiter %s cannot reach Redis (%s: %s); allowing every hit meanwhile",
                self._key_prefix,
                type(error).__name__,
                error,
            )
