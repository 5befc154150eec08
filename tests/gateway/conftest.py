"""Gateway fixtures: the real app on a real (migrated, seeded) database, a fake Rasa."""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient

from bot.db import Database
from bot.gateway import Settings, create_app
from bot.gateway.settings import RateLimit
from bot.redaction import Redactor

from .support import ALLOWED_ORIGIN, RASA_TOKEN, FakeRasa, Widget

GatewayFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def fake_rasa(aiohttp_server: Any) -> AsyncIterator[FakeRasa]:
    rasa = FakeRasa()
    server = await aiohttp_server(rasa.app())
    rasa.url = str(server.make_url("")).rstrip("/")
    yield rasa
    rasa.release()  # no webhook call may hang the server's shutdown


@pytest.fixture
def settings(db_url: str, fake_rasa: FakeRasa) -> Settings:
    url = fake_rasa.url
    return Settings(
        rasa_token=RASA_TOKEN,
        database_url=db_url,
        rasa_url=url,
        action_server_url=url,
        # Short, so the unavailable path runs quickly; nothing asserts on durations.
        rasa_timeout_seconds=0.5,
        rasa_request_timeout_seconds=30.0,
        retry_initial_seconds=0.05,
        retry_max_seconds=0.2,
        rate_limit_per_conversation=RateLimit(100, 60.0),
        rate_limit_per_ip=RateLimit(1000, 60.0),
    )


@pytest.fixture(scope="session")
def redactor() -> Redactor:
    """The real redactor, built once: its spaCy pipeline takes seconds to build."""
    return Redactor()


@pytest.fixture
async def make_gateway(
    settings: Settings, redactor: Redactor, aiohttp_client: Any
) -> GatewayFactory:
    """Start the gateway app; keyword arguments override settings."""

    async def start(**overrides: Any) -> TestClient:
        app = create_app(dataclasses.replace(settings, **overrides), redactor=redactor)
        return await aiohttp_client(app)

    return start


@pytest.fixture
async def gateway(make_gateway: GatewayFactory) -> TestClient:
    return await make_gateway()


@pytest.fixture
async def connect(gateway: TestClient) -> AsyncIterator[Callable[..., Awaitable[Widget]]]:
    """Open a widget socket on `gateway` (default tenant nordlys, an allowed Origin)."""
    widgets: list[Widget] = []

    async def open_widget(
        tenant: str = "nordlys", origin: str = ALLOWED_ORIGIN, client: TestClient | None = None
    ) -> Widget:
        ws = await (client or gateway).ws_connect(f"/api/v1/tenants/{tenant}/ws", origin=origin)
        widget = Widget(ws)
        widgets.append(widget)
        return widget

    yield open_widget
    for widget in widgets:
        await widget.close()


@pytest.fixture
async def stored(database: Database) -> Callable[..., Awaitable[list[Any]]]:
    """Read a conversation's stored messages straight from the database."""
    from sqlalchemy import select

    from bot.db.models import Message

    async def messages(conversation_id: str) -> list[Message]:
        async with database.sessionmaker() as session:
            return list(
                await session.scalars(
                    select(Message)
                    .where(Message.conversation_id == conversation_id)
                    .order_by(Message.seq)
                )
            )

    return messages


# --- Redis (the limiter and lock contracts) ---------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def prefix() -> str:
    return f"test:{secrets.token_hex(6)}:"


@pytest.fixture
async def redis_client() -> AsyncIterator[Callable[..., aioredis.Redis]]:
    """Each call makes a new client, i.e. the connections of another gateway process."""
    clients: list[aioredis.Redis] = []

    def connect(url: str = REDIS_URL, **options: Any) -> aioredis.Redis:
        client = aioredis.Redis.from_url(url, **options)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        await client.aclose()
