"""What every rate limiter promises, checked against each one (in memory, in Redis).

Windows are real seconds (Redis judges by its own clock), sized so that a busy
machine's scheduling delays stay well inside the margins.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bot.gateway.rate_limit import RateLimiter, RedisSlidingWindowLimiter, SlidingWindowLimiter
from bot.gateway.settings import RateLimit

from .support import unused_port

MakeLimiter = Callable[[RateLimit], RateLimiter]


@pytest.fixture(params=["memory", "redis"])
def make_limiter(
    request: pytest.FixtureRequest, redis_client: Callable[..., aioredis.Redis], prefix: str
) -> MakeLimiter:
    if request.param == "memory":
        return SlidingWindowLimiter
    return lambda limit: RedisSlidingWindowLimiter(redis_client(), "test", limit, prefix=prefix)


async def hits(limiter: RateLimiter, key: str, n: int) -> list[bool]:
    return [await limiter.allow(key) for _ in range(n)]


async def sleep_until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.monotonic()))


async def test_allows_the_limit_then_refuses(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(RateLimit(3, 60.0))

    assert await hits(limiter, "203.0.113.7", 5) == [True, True, True, False, False]


async def test_every_key_has_its_own_budget(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(RateLimit(1, 60.0))

    assert await limiter.allow("conversation-a")
    assert await limiter.allow("conversation-b")
    assert not await limiter.allow("conversation-a")


async def test_the_window_slides_each_hit_leaves_it_on_its_own(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(RateLimit(2, 2.0))
    start = time.monotonic()
    assert await limiter.allow("k")  # leaves the window at start + 2.0
    await sleep_until(start + 1.0)
    assert await limiter.allow("k")  # leaves it at start + 3.0 or later
    assert not await limiter.allow("k")

    await sleep_until(start + 2.2)

    # A fixed window would have refilled both; a sliding one freed only the first hit.
    assert await hits(limiter, "k", 2) == [True, False]


async def test_refused_hits_do_not_count(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(RateLimit(2, 1.5))
    start = time.monotonic()
    assert await hits(limiter, "k", 2) == [True, True]
    await sleep_until(start + 0.75)
    assert await hits(limiter, "k", 3) == [False, False, False]

    await sleep_until(start + 1.65)

    # Had the refused hits counted, they would fill the window until start + 2.25.
    assert await hits(limiter, "k", 3) == [True, True, False]


async def test_concurrent_hits_never_exceed_the_limit(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(RateLimit(10, 60.0))

    results = await asyncio.gather(*(limiter.allow("k") for _ in range(50)))

    assert results.count(True) == 10


async def test_two_gateway_processes_share_one_budget(
    redis_client: Callable[..., aioredis.Redis], prefix: str
) -> None:
    limit = RateLimit(4, 60.0)
    first = RedisSlidingWindowLimiter(redis_client(), "ip", limit, prefix=prefix)
    second = RedisSlidingWindowLimiter(redis_client(), "ip", limit, prefix=prefix)

    assert await hits(first, "203.0.113.7", 2) == [True, True]
    assert await hits(second, "203.0.113.7", 2) == [True, True]

    assert not await first.allow("203.0.113.7")
    assert not await second.allow("203.0.113.7")


async def test_limiters_of_different_names_keep_separate_budgets(
    redis_client: Callable[..., aioredis.Redis], prefix: str
) -> None:
    client = redis_client()
    per_ip = RedisSlidingWindowLimiter(client, "ip", RateLimit(1, 60.0), prefix=prefix)
    logins = RedisSlidingWindowLimiter(client, "login", RateLimit(1, 60.0), prefix=prefix)

    assert await per_ip.allow("203.0.113.7")
    assert await logins.allow("203.0.113.7")


async def test_a_budget_key_expires_with_its_window(
    redis_client: Callable[..., aioredis.Redis], prefix: str
) -> None:
    client = redis_client()
    limiter = RedisSlidingWindowLimiter(client, "ip", RateLimit(5, 2.0), prefix=prefix)

    await limiter.allow("203.0.113.7")

    ttl = await client.pttl(f"{prefix}rate:ip:203.0.113.7")
    assert 0 < ttl <= 2000  # Redis forgets quiet keys by itself


async def test_redis_unreachable_lets_hits_through_and_warns_once(
    redis_client: Callable[..., aioredis.Redis], prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = redis_client(f"redis://127.0.0.1:{unused_port()}/0", retry=Retry(NoBackoff(), 0))
    limiter = RedisSlidingWindowLimiter(nowhere, "ip", RateLimit(1, 60.0), prefix=prefix)

    assert await hits(limiter, "203.0.113.7", 3) == [True, True, True]

    warnings = [
        r for r in caplog.records
        if r.name == "bot.gateway.rate_limit" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1
    assert "allowing every hit" in warnings[0].getMessage()
