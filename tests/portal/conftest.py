"""Portal fixtures: the real gateway (with /portal) on a real database, demo firm users signed in.

Reusable by every portal area (settings, reports, review):

  portal_db            the demo database plus demo agents and demo firm users
  gateway              the gateway app (aiohttp TestClient) on it
  make_gateway(**s)    the same with settings overridden (e.g. login_rate_limit=...)
  browser()            a new signed-out PortalBrowser on the gateway
  sign_in(email, pw)   a PortalBrowser signed in (pw defaults to the demo password)
  firm_admin, firm_viewer      nordlys's demo admin / viewer, signed in
  other_firm_admin             fjordnett's demo admin, signed in
  supervisor                   the BPO's demo supervisor (sup@bpo.example), signed in

    async def test_viewer_sees_the_dashboard(firm_viewer):
        response = await firm_viewer.get("/portal/t/nordlys/")
        assert response.status == 200
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.db import Database
from bot.gateway import Settings, create_app
from bot.gateway.settings import RateLimit
from bot.handoff.demo_agents import DEMO_AGENT_PASSWORD, seed_demo_agents
from bot.portal.demo_users import DEMO_PORTAL_PASSWORD, seed_demo_portal_users
from bot.redaction import Redactor
from tests.gateway.support import RASA_TOKEN, FakeRasa

from .support import PortalBrowser

NORDLYS_ADMIN, NORDLYS_VIEWER = "admin@nordlys.example", "viewer@nordlys.example"
FJORDNETT_ADMIN = "admin@fjordnett.example"
SUPERVISOR = "sup@bpo.example"
AGENT = "kari@bpo.example"  # an agent, not a supervisor: no portal

GatewayFactory = Callable[..., Awaitable[TestClient]]


def password_of(email: str) -> str:
    return DEMO_AGENT_PASSWORD if email.endswith("@bpo.example") else DEMO_PORTAL_PASSWORD


@pytest.fixture
async def portal_db(database: Database) -> Database:
    async with database.sessionmaker.begin() as session:
        await seed_demo_agents(session)
        await seed_demo_portal_users(session)
    return database


@pytest.fixture
async def fake_rasa(aiohttp_server: Any) -> AsyncIterator[FakeRasa]:
    rasa = FakeRasa()
    server = await aiohttp_server(rasa.app())
    rasa.url = str(server.make_url("")).rstrip("/")
    yield rasa
    rasa.release()


@pytest.fixture(scope="session")
def redactor() -> Redactor:
    return Redactor()


@pytest.fixture
def settings(db_url: str, fake_rasa: FakeRasa) -> Settings:
    return Settings(
        rasa_token=RASA_TOKEN,
        database_url=db_url,
        rasa_url=fake_rasa.url,
        action_server_url=fake_rasa.url,
        login_rate_limit=RateLimit(100, 60.0),  # the rate-limit test sets its own
    )


@pytest.fixture
async def make_gateway(
    settings: Settings, redactor: Redactor, portal_db: Database, aiohttp_client: Any
) -> GatewayFactory:
    async def start(**overrides: Any) -> TestClient:
        return await aiohttp_client(create_app(dataclasses.replace(settings, **overrides), redactor=redactor))

    return start


@pytest.fixture
async def gateway(make_gateway: GatewayFactory) -> TestClient:
    return await make_gateway()


@pytest.fixture
async def browser(gateway: TestClient) -> AsyncIterator[Callable[[], PortalBrowser]]:
    opened: list[PortalBrowser] = []
    base_url = str(gateway.make_url("")).rstrip("/")

    def open_browser() -> PortalBrowser:
        new = PortalBrowser(base_url)
        opened.append(new)
        return new

    yield open_browser
    for each in opened:
        await each.close()


@pytest.fixture
def sign_in(browser: Callable[[], PortalBrowser]) -> Callable[..., Awaitable[PortalBrowser]]:
    async def signed_in(email: str, password: str | None = None) -> PortalBrowser:
        person = browser()
        response = await person.sign_in(email, password or password_of(email))
        assert response.status == 303, f"{email} could not sign in: {response.status}"
        return person

    return signed_in


@pytest.fixture
async def firm_admin(sign_in: Callable[..., Awaitable[PortalBrowser]]) -> PortalBrowser:
    return await sign_in(NORDLYS_ADMIN)


@pytest.fixture
async def firm_viewer(sign_in: Callable[..., Awaitable[PortalBrowser]]) -> PortalBrowser:
    return await sign_in(NORDLYS_VIEWER)


@pytest.fixture
async def other_firm_admin(sign_in: Callable[..., Awaitable[PortalBrowser]]) -> PortalBrowser:
    return await sign_in(FJORDNETT_ADMIN)


@pytest.fixture
async def supervisor(sign_in: Callable[..., Awaitable[PortalBrowser]]) -> PortalBrowser:
    return await sign_in(SUPERVISOR)
