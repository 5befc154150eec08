"""Portal browser fixtures: the real gateway on a free port with the demo firm users, and
Debian's Chromium (the widget browser tests' setup, tests/browser/conftest.py).

`browser` here is Playwright's Browser (it replaces tests/portal's scripted PortalBrowser).
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.db import Database
from bot.gateway.app import create_app
from bot.gateway.settings import Settings
from tests.browser.conftest import (  # noqa: F401 - fixtures shared with the widget's browser tests
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    browser,
    context,
    new_context,
    page,
    page_errors,
)
from tests.gateway.support import RASA_TOKEN


@pytest.fixture
async def gateway(db_url: str, portal_db: Database, fake_rasa) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    settings = Settings(
        rasa_token=RASA_TOKEN,
        database_url=db_url,
        public_url=base_url,
        rasa_url=fake_rasa.url,
        action_server_url=fake_rasa.url,
    )
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.SockSite(runner, listener)
    await site.start()
    yield base_url
    await runner.cleanup()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
