"""Property-based tests of every operation in the OpenAPI document, against the live gateway.

Schemathesis generates valid and invalid requests from the document the gateway serves and
checks each answer: never a 5xx, status, headers and body as documented. Bounded: a fixed
number of examples per operation and mode, so the whole run stays well under three minutes.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from bot.admin import use_cases as admin
from bot.db import Database
from bot.firm_api.app import ALL_OPERATIONS
from bot.gateway import Settings, create_app
from bot.gateway.settings import RateLimit
from bot.redaction import Redactor

from .conftest import ALL_SCOPES, NOWHERE

EXAMPLES_PER_MODE = 20
# Every built-in check runs except "schema-valid data must be accepted": some valid-looking
# input is refused on purpose after the schema passed (a cursor this API did not issue, an
# e-mail address without a domain, a ticket move the lifecycle forbids), with a 4xx.
EXCLUDED_CHECKS = [positive_data_acceptance]


@dataclass
class LiveApi:
    base_url: str
    key: str
    document: dict[str, Any]


class ServerThread:
    """The gateway on a free port, served from its own event loop in a thread (the property
    tests drive it synchronously over real HTTP)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout=60)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def live_api(db_url: str, redactor: Redactor) -> Iterator[LiveApi]:
    server = ServerThread()
    config = Settings(
        rasa_token="test-token", database_url=db_url, rasa_url=NOWHERE, action_server_url=NOWHERE,
        firm_api_rate_limit=RateLimit(100_000, 60.0),
    )
    runner = web.AppRunner(create_app(config, redactor=redactor))

    async def start() -> tuple[int, str]:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        database = Database(db_url)
        try:
            _row, key = await admin.create_api_key(database.sessionmaker, "nordlys", "schemathesis", ALL_SCOPES)
        finally:
            await database.dispose()
        return port, key

    port, key = server.run(start())
    base_url = f"http://127.0.0.1:{port}"
    try:
        document = requests.get(f"{base_url}/api/v1/openapi.json", timeout=10).json()
        yield LiveApi(base_url, key, document)
    finally:
        server.run(runner.cleanup())
        server.stop()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize("operation_id", [op.operation_id for op in ALL_OPERATIONS])
def test_every_operation_answers_as_documented(live_api: LiveApi, operation_id: str, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_dict(live_api.document)
    [operation] = [
        result.ok() for result in schema.get_all_operations()
        if result.ok().definition.raw.get("operationId") == operation_id
    ]
    http = requests.Session()
    headers = {"Authorization": f"Bearer {live_api.key}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES_PER_MODE, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        case.call_and_validate(
            base_url=live_api.base_url, session=http, headers=headers, excluded_checks=EXCLUDED_CHECKS
        )

    check()
