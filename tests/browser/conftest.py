"""Real-browser fixtures: the real gateway on a free port, a scripted Rasa, Debian's Chromium.

The gateway runs for real (create_app + AppRunner) against the test's own
migrated and seeded database (both backends). Until the real Rasa stack fixture
exists, RASA_URL points at FakeRasa (fake_rasa.py); a variant on the real stack
overrides `rasa_endpoints`. Chromium is Debian's
(/usr/bin/chromium, installed by scripts/install-browser): Playwright's own
browser download cannot work here.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Tenant
from bot.gateway.app import create_app
from bot.gateway.settings import Settings

from .fake_rasa import FakeRasa
from .widget_page import WidgetPage

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

# Two shared CPU cores: give slow steps room; expectations still wait only as long as needed.
expect.set_options(timeout=15_000)


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    rasa = FakeRasa()
    runner = web.AppRunner(rasa.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    rasa.url = f"http://{host}:{port}"
    yield rasa
    rasa.release()
    await runner.cleanup()


async def allow_origin(database: Database, origin: str) -> None:
    """The gateway runs on a random port: every demo tenant must accept pages from it."""
    async with database.sessionmaker.begin() as session:
        for tenant in (await session.scalars(select(Tenant))).all():
            tenant.allowed_origins = [*tenant.allowed_origins, origin]


@pytest.fixture
def rasa_endpoints(fake_rasa: FakeRasa) -> tuple[str, str]:
    """(RASA_URL, ACTION_SERVER_URL) the gateway talks to; override for the real Rasa stack."""
    return fake_rasa.url, fake_rasa.url


@pytest.fixture
async def gateway(db_url: str, database: Database, rasa_endpoints: tuple[str, str]) -> AsyncIterator[str]:
    """Base URL of a running gateway; its pages are served from the same origin."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))  # bound now, so the URL is known before the app exists
    base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    await allow_origin(database, base_url)
    settings = Settings(
        rasa_token="browser-test-token",
        database_url=db_url,
        public_url=base_url,
        rasa_url=rasa_endpoints[0],
        action_server_url=rasa_endpoints[1],
        # A held turn (FakeRasa.hold) must not run into the "assistant unavailable" path.
        rasa_timeout_seconds=20.0,
        rasa_request_timeout_seconds=30.0,
        retry_initial_seconds=0.2,
        retry_max_seconds=1.0,
        idle_sweep_seconds=0.5,  # idle conversations (30 min by default) end within a test's patience
    )
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.SockSite(runner, listener)
    await site.start()
    yield base_url
    await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-browser")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


PageErrors = list[str]


@pytest.fixture
def page_errors() -> PageErrors:
    """Uncaught exceptions and CSP violations of every page of the test; must stay empty."""
    return []


@pytest.fixture
def new_context(browser: Browser, page_errors: PageErrors) -> Iterator[Callable[..., Awaitable[BrowserContext]]]:
    """Makes browser contexts (desktop by default) whose pages report errors to page_errors."""

    async def make(**options: object) -> BrowserContext:
        options.setdefault("viewport", DESKTOP)
        context = await browser.new_context(**options)

        def watch(page: Page) -> None:
            # Printed, so pytest shows the browser's side of a failing test.
            page.on("console", lambda message: print(f"[{page.url}] console.{message.type}: {message.text}"))
            page.on("pageerror", lambda error: page_errors.append(f"uncaught: {error}"))
            page.on(
                "console",
                lambda message: page_errors.append(f"console: {message.text}")
                if "Content Security Policy" in message.text
                else None,
            )

        context.on("page", watch)
        return context

    yield make
    assert page_errors == [], "a page reported uncaught exceptions or CSP violations"


@pytest.fixture
async def context(new_context: Callable[..., Awaitable[BrowserContext]]) -> AsyncIterator[BrowserContext]:
    context = await new_context()
    yield context
    await context.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


@pytest.fixture
def widget_for(gateway: str) -> Callable[[Page, str], WidgetPage]:
    return lambda page, tenant: WidgetPage(page, gateway, tenant)


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
