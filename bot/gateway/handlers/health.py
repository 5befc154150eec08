"""Liveness, readiness and metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import text

from bot.gateway.keys import DATABASE, HTTP, METRICS, RASA, SETTINGS
from bot.gateway.rasa_client import RasaUnavailable

CHECK_TIMEOUT_SECONDS = 2.0


class NotReady(Exception):
    """A dependency answered, but not as healthy."""


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """200 when Rasa, the action server and the database answer; 503 naming the ones that don't."""
    names = ("rasa", "action_server", "database")
    results = await asyncio.gather(
        _check(_rasa(request)), _check(_action_server(request)), _check(_database(request))
    )
    checks = dict(zip(names, results, strict=True))
    ready = all(result == "ok" for result in results)
    return web.json_response(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


async def metrics(request: web.Request) -> web.Response:
    body, content_type = request.app[METRICS].render()
    return web.Response(body=body, headers={"Content-Type": content_type})


async def _check(probe: Coroutine[Any, Any, None]) -> str:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return "error: no answer in time"
    except (NotReady, RasaUnavailable) as error:  # our own messages: no URL, token or password
        return f"error: {error}"
    except Exception as error:
        return f"error: {type(error).__name__}"
    return "ok"


async def _rasa(request: web.Request) -> None:
    await request.app[RASA].status(timeout=CHECK_TIMEOUT_SECONDS)


async def _action_server(request: web.Request) -> None:
    """Ready when at least one action server is (Rasa servers fail over between them)."""
    timeout = aiohttp.ClientTimeout(total=CHECK_TIMEOUT_SECONDS)
    failure: Exception | None = None
    for base in request.app[SETTINGS].action_servers:
        try:
            async with request.app[HTTP].get(f"{base}/health", timeout=timeout) as response:
                if response.status == 200:
                    return
                failure = NotReady(f"HTTP {response.status}")
        except aiohttp.ClientError as error:
            failure = error
    assert failure is not None
    raise failure


async def _database(request: web.Request) -> None:
    async with request.app[DATABASE].engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
