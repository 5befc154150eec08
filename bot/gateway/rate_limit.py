"""Sliding-window rate limiting in memory (per gateway process)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from bot.gateway.settings import RateLimit


class SlidingWindowLimiter:
    """Allows `limit.count` hits per key within any `limit.seconds` window."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._calls = 0

    def allow(self, key: str) -> bool:
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
