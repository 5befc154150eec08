"""Console fixtures: the real gateway (with the console) on a real database, demo agents, a fake Rasa.

Every demo firm is open around the clock here, so a handoff never depends on
the time the tests run (business hours have their own tests in tests/handoff).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from actions.database import use_database
from bot.db import Database
from bot.db.models import Tenant
from bot.gateway import Settings, create_app
from bot.gateway.settings import RateLimit
from bot.handoff.demo_agents import DEMO_AGENT_PASSWORD, seed_demo_agents
from bot.redaction import Redactor
from tests.gateway.support import ALLOWED_ORIGIN

from .support import RASA_TOKEN, AgentConsole, ConsoleRasa, Widget

KARI, SAM, SUP = "kari@bpo.example", "sam@bpo.example", "sup@bpo.example"
ALWAYS_OPEN = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


async def open_all_day(database: Database) -> None:
    async with database.sessionmaker.begin() as session:
        for tenant in (await session.scalars(select(Tenant))).all():
            tenant.business_hours = ALWAYS_OPEN


@pytest.fixture
async def desk_db(database: Database) -> Database:
    """The demo database with the demo agents, open around the clock, auto-assignment off."""
    async with database.sessionmaker.begin() as session:
        await seed_demo_agents(session)
        for tenant in (await session.scalars(select(Tenant))).all():
            tenant.business_hours = ALWAYS_OPEN
            tenant.auto_assign = False  # agents claim from the queue (auto-assignment has its own test)
    return database


@pytest.fixture
def rasa_stand_in() -> ConsoleRasa:
    """What answers in Rasa's place (a module may override it, e.g. with ActionsRasa)."""
    return ConsoleRasa()


@pytest.fixture
def actions_use_the_database(database: Database) -> Iterator[None]:
    """Custom actions run in-process share the gateway's database, as the action server does."""
    use_database(database)
    yield
    use_database(None)


@pytest.fixture
async def fake_rasa(aiohttp_server: Any, rasa_stand_in: ConsoleRasa) -> AsyncIterator[ConsoleRasa]:
    rasa = rasa_stand_in
    server = await aiohttp_server(rasa.app())
    rasa.url = str(server.make_url("")).rstrip("/")
    yield rasa
    rasa.release()


@pytest.fixture(scope="session")
def redactor() -> Redactor:
    return Redactor()


@pytest.fixture
def settings(db_url: str, fake_rasa: ConsoleRasa) -> Settings:
    return Settings(
        rasa_token=RASA_TOKEN,
        database_url=db_url,
        rasa_url=fake_rasa.url,
        action_server_url=fake_rasa.url,
        rasa_timeout_seconds=0.5,
        retry_initial_seconds=0.05,
        retry_max_seconds=0.2,
        rate_limit_per_conversation=RateLimit(100, 60.0),
        rate_limit_per_ip=RateLimit(1000, 60.0),
        agent_disconnect_grace_seconds=0.3,
    )


@pytest.fixture
async def gateway(
    settings: Settings, redactor: Redactor, desk_db: Database, aiohttp_client: Any
) -> TestClient:
    return await aiohttp_client(create_app(settings, redactor=redactor))


@pytest.fixture
async def make_gateway(
    settings: Settings, redactor: Redactor, desk_db: Database, aiohttp_client: Any
) -> Callable[..., Awaitable[TestClient]]:
    async def start(**overrides: Any) -> TestClient:
        return await aiohttp_client(create_app(dataclasses.replace(settings, **overrides), redactor=redactor))

    return start


@pytest.fixture
async def console(gateway: TestClient) -> AsyncIterator[Callable[..., Awaitable[AgentConsole]]]:
    """Log an agent in (own cookie jar per console); `socket=True` also opens its WebSocket."""
    consoles: list[AgentConsole] = []
    sessions: list[aiohttp.ClientSession] = []

    async def open_console(email: str = KARI, *, socket: bool = True) -> AgentConsole:
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        sessions.append(http)
        agent = AgentConsole(http, str(gateway.make_url("")).rstrip("/"))
        response = await agent.login(email, DEMO_AGENT_PASSWORD)
        assert response.status == 200, await response.text()
        if socket:
            await agent.open_socket()
        consoles.append(agent)
        return agent

    yield open_console
    for agent in consoles:
        await agent.close()
    for http in sessions:
        await http.close()


@pytest.fixture
async def widget(gateway: TestClient) -> AsyncIterator[Callable[..., Awaitable[Widget]]]:
    widgets: list[Widget] = []

    async def open_widget(tenant: str = "nordlys") -> Widget:
        ws = await gateway.ws_connect(f"/api/v1/tenants/{tenant}/ws", origin=ALLOWED_ORIGIN)
        w = Widget(ws)
        widgets.append(w)
        await w.hello(language="en")
        return w

    yield open_widget
    for w in widgets:
        await w.close()
