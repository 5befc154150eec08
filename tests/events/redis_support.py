"""Where the tests' Redis is, and the type of the client factory fixture."""

from __future__ import annotations

import os
from collections.abc import Callable

import redis.asyncio as aioredis

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

RedisFactory = Callable[..., aioredis.Redis]
