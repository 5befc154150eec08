"""Event bus fixtures: both implementations, and Redis clients that stand for processes.

Redis at $REDIS_URL (default redis://127.0.0.1:6379/0), shared with other test runs:
every test gets its own channel prefix, and nothing is ever flushed.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.events import EventBus, InProcessBus
from bot.events.redis_bus import RedisBus

from .redis_support import REDIS_URL, RedisFactory


@pytest.fixture
def prefix() -> str:
    return f"test:{secrets.token_hex(6)}:"


@pytest.fixture
async def redis_client() -> AsyncIterator[RedisFactory]:
    """Each call makes a new client, i.e. the connections of another gateway process."""
    clients: list[aioredis.Redis] = []

    def connect(url: str = REDIS_URL, **options: Any) -> aioredis.Redis:
        client = aioredis.Redis.from_url(url, **options)
        clients.append(client)
        return client

    try:
        await connect().ping()
    except aioredis.ConnectionError as error:
        pytest.fail(f"Redis at {REDIS_URL} is unreachable ({error}); start it or set REDIS_URL")
    yield connect
    for client in clients:
        await client.aclose()


@pytest.fixture(params=["in-process", "redis"])
async def bus(
    request: pytest.FixtureRequest, redis_client: RedisFactory, prefix: str
) -> AsyncIterator[EventBus]:
    """The same contract, once per implementation."""
    implementation: EventBus
    if request.param == "in-process":
        implementation = InProcessBus()
    else:
        implementation = RedisBus(redis_client(), prefix=prefix)
    yield implementation
    await implementation.close()
