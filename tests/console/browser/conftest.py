"""Two-browser fixtures: the real gateway (with the console) on a free port, Debian's Chromium.

Reuses the widget browser tests' Chromium setup (tests/browser/conftest.py); the
gateway here also has the demo agents, every firm open around the clock, and a
fake Rasa that escalates when the customer asks for a person and records the
HTTP API calls of a hand-back.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Page
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Tenant
from bot.gateway.app import create_app
from bot.gateway.settings import Settings
from bot.handoff.demo_agents import seed_demo_agents
from tests.browser.conftest import (  # noqa: F401 - fixtures shared with the widget's browser tests
    SCREENSHOTS,
    browser,
    context,
    new_context,
    page,
    page_errors,
)
from tests.browser.widget_page import WidgetPage
from tests.console.conftest import ALWAYS_OPEN
from tests.console.support import RASA_TOKEN, ConsoleRasa

PERSON_WORDS = ("person", "human", "agent")


def replies(body: dict[str, Any]) -> list[dict[str, Any]]:
    text = body["message"]
    if any(word in text.lower() for word in PERSON_WORDS) or text == "/request_human":
        return [
            {"recipient_id": body["sender"], "text": "I'll get a colleague for you."},
            {
                "recipient_id": body["sender"],
                "custom": {"handoff": {"reason": "customer_request", "summary": {"text": "The customer's bill looks too high and they want a person."}}},
            },
        ]
    return [{"recipient_id": body["sender"], "text": f"You wrote: {text}"}]


@pytest.fixture
def rasa_stand_in() -> ConsoleRasa:
    return ConsoleRasa(replies)


@pytest.fixture
async def fake_rasa(rasa_stand_in: ConsoleRasa) -> AsyncIterator[ConsoleRasa]:
    rasa = rasa_stand_in
    runner = web.AppRunner(rasa.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    rasa.url = f"http://{host}:{port}"
    yield rasa
    rasa.release()
    await runner.cleanup()


@pytest.fixture
async def gateway(db_url: str, database: Database, fake_rasa: ConsoleRasa) -> AsyncIterator[str]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    async with database.sessionmaker.begin() as session:
        await seed_demo_agents(session)
        for tenant in (await session.scalars(select(Tenant))).all():
            tenant.allowed_origins = [*tenant.allowed_origins, base_url]
            tenant.business_hours = ALWAYS_OPEN
            tenant.auto_assign = False
    settings = Settings(
        rasa_token=RASA_TOKEN,
        database_url=db_url,
        public_url=base_url,
        rasa_url=fake_rasa.url,
        action_server_url=fake_rasa.url,
        rasa_timeout_seconds=20.0,
        agent_disconnect_grace_seconds=1.0,
    )
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.SockSite(runner, listener)
    await site.start()
    yield base_url
    await runner.cleanup()


@pytest.fixture
def widget_for(gateway: str) -> Callable[[Page, str], WidgetPage]:
    return lambda page, tenant: WidgetPage(page, gateway, tenant)


@pytest.fixture
def screenshots() -> Any:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
