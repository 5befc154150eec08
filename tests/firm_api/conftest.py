"""The real gateway (with the public API mounted) on a real database, and API keys of demo firms.

Nothing here needs Rasa: the public API reads and writes the database only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.admin import use_cases as admin
from bot.db import Database
from bot.gateway import Settings, create_app
from bot.gateway.settings import RateLimit
from bot.redaction import Redactor

ALL_SCOPES = ("tickets:read", "tickets:write", "conversations:read", "reports:read", "accounts:write")
# Nothing listens on port 1: the gateway starts without a Rasa server.
NOWHERE = "http://127.0.0.1:1"


@pytest.fixture(scope="session")
def redactor() -> Redactor:
    return Redactor()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        rasa_token="test-token",
        database_url=db_url,
        rasa_url=NOWHERE,
        action_server_url=NOWHERE,
        firm_api_rate_limit=RateLimit(10_000, 60.0),
    )


@pytest.fixture
async def make_api(
    settings: Settings, redactor: Redactor, database: Database, aiohttp_client: Any
) -> Callable[..., Awaitable[TestClient]]:
    async def start(**overrides: Any) -> TestClient:
        return await aiohttp_client(create_app(dataclasses.replace(settings, **overrides), redactor=redactor))

    return start


@pytest.fixture
async def api(make_api: Callable[..., Awaitable[TestClient]]) -> TestClient:
    return await make_api()


KeyMaker = Callable[..., Awaitable[str]]


@pytest.fixture
def issue_key(database: Database) -> KeyMaker:
    """`await issue_key("nordlys", "tickets:read", ...)` -> a fresh key (all scopes by default)."""

    async def issue(tenant: str = "nordlys", *scopes: str, name: str = "test key") -> str:
        _row, key = await admin.create_api_key(database.sessionmaker, tenant, name, scopes or ALL_SCOPES)
        return key

    return issue


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
