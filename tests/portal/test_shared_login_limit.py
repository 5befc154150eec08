"""With REDIS_URL, portal sign-in attempts are counted in Redis: every gateway instance shares them."""

from __future__ import annotations

import os
import secrets

import redis.asyncio as aioredis

from bot.gateway.settings import RateLimit

from .conftest import NORDLYS_ADMIN, password_of
from .support import PortalBrowser

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


async def test_two_gateways_share_the_portal_sign_in_limit(make_gateway):
    prefix = f"test-portal-{secrets.token_hex(4)}:"  # our own keys, removed afterwards
    shared = {"redis_url": REDIS_URL, "redis_prefix": prefix, "login_rate_limit": RateLimit(2, 60.0)}
    first, second = await make_gateway(**shared), await make_gateway(**shared)
    on_first = PortalBrowser(str(first.make_url("")).rstrip("/"))
    on_second = PortalBrowser(str(second.make_url("")).rstrip("/"))
    try:
        assert (await on_first.sign_in(NORDLYS_ADMIN, "wrong password here")).status == 401
        assert (await on_second.sign_in(NORDLYS_ADMIN, "wrong password here")).status == 401
        limited = await on_first.sign_in(NORDLYS_ADMIN, password_of(NORDLYS_ADMIN))
        assert limited.status == 429
        # The console's limit is its own: portal attempts do not lock agents out.
        console = await on_second.http.post(
            on_second.url("/agent/api/login"), json={"email": "kari@bpo.example", "password": "demo-agent-password"}
        )
        assert console.status == 200
    finally:
        await on_first.close()
        await on_second.close()
        redis = aioredis.Redis.from_url(REDIS_URL)
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
