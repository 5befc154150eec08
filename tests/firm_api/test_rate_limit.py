"""Each API key has its own budget of calls: over it, 429 with Retry-After."""

from __future__ import annotations

import os
import secrets
from collections.abc import Awaitable, Callable

from aiohttp.test_utils import TestClient

from bot.gateway.settings import RateLimit

from .conftest import KeyMaker, bearer

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


async def over_the_limit(make_api: Callable[..., Awaitable[TestClient]], issue_key: KeyMaker, **shared: object) -> None:
    api = await make_api(firm_api_rate_limit=RateLimit(3, 30.0), **shared)
    key, other = await issue_key("nordlys", "tickets:read"), await issue_key("nordlys", "tickets:read")

    statuses = [(await api.get("/api/v1/firm/tickets", headers=bearer(key))).status for _ in range(3)]
    refused = await api.get("/api/v1/firm/tickets", headers=bearer(key))
    others = await api.get("/api/v1/firm/tickets", headers=bearer(other))

    assert statuses == [200, 200, 200]
    assert refused.status == 429
    assert refused.headers["Retry-After"] == "30"
    assert (await refused.json())["error"]["code"] == "rate_limited"
    assert others.status == 200  # a budget per key


async def test_a_key_over_its_budget_gets_429_with_retry_after(make_api, issue_key: KeyMaker) -> None:
    await over_the_limit(make_api, issue_key)


async def test_the_budget_is_shared_through_redis_when_configured(make_api, issue_key: KeyMaker) -> None:
    await over_the_limit(make_api, issue_key, redis_url=REDIS_URL,
                         redis_prefix=f"bpo-test-{secrets.token_hex(4)}:")
