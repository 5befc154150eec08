"""A firm admin edits an FAQ answer and the brand colour in a real browser, the widget preview following.

The real gateway (with the portal) on a free port, Debian's Chromium (tests/browser/conftest.py's
setup), the page's strict CSP in force: any CSP violation or uncaught error fails the test.
Screenshots (desktop and phone) go to artifacts/screenshots/settings-*.png.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from sqlalchemy import func, select

from bot.db import Database, faq_answer, tenant_ref
from bot.db.models import Conversation
from bot.gateway.app import create_app
from bot.gateway.settings import Settings
from bot.portal.demo_users import DEMO_PORTAL_PASSWORD
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, SCREENSHOTS
from tests.gateway.support import RASA_TOKEN

pytestmark = pytest.mark.browser

ADMIN = "admin@nordlys.example"
SETTINGS_URL = "/portal/t/nordlys/settings"
WIDGET = "[data-bpo-chat='nordlys']"  # the widget's host element; locators pierce its open shadow root
expect.set_options(timeout=15_000)


@pytest.fixture
async def live_gateway(db_url: str, portal_db: Database, fake_rasa: Any) -> AsyncIterator[str]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    settings = Settings(rasa_token=RASA_TOKEN, database_url=db_url, public_url=base_url,
                        rasa_url=fake_rasa.url, action_server_url=fake_rasa.url)
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    await web.SockSite(runner, listener).start()
    yield base_url
    await runner.cleanup()


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-browser")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def signed_in(chromium: Browser, live_gateway: str) -> AsyncIterator[Callable[..., Awaitable[Page]]]:
    """A page of a new browser context (desktop unless told), signed in as nordlys's admin.
    The preview widget must neither break the CSP nor open a socket (it shows, it never chats)."""
    errors: list[str] = []
    contexts: list[BrowserContext] = []

    async def open_page(viewport: dict[str, int] = DESKTOP) -> Page:
        context = await chromium.new_context(viewport=viewport, base_url=live_gateway)
        contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
        page.on("console", lambda message: errors.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.on("websocket", lambda socket: errors.append(f"the preview opened a socket: {socket.url}"))
        await page.goto("/portal/login")
        await page.get_by_label("E-mail").fill(ADMIN)
        await page.get_by_label("Password").fill(DEMO_PORTAL_PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("link", name="Settings")).to_be_visible()
        return page

    yield open_page
    for context in contexts:
        await context.close()
    assert errors == [], "a page reported uncaught exceptions, CSP violations or a socket"


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


async def conversations(database: Database) -> int:
    async with database.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Conversation)) or 0


async def header_colour(page: Page) -> str:
    return await page.locator(f"{WIDGET} .head").evaluate("element => getComputedStyle(element).backgroundColor")


async def test_admin_edits_an_faq_answer_and_the_brand_colour_with_the_widget_preview_following(
    signed_in: Callable[..., Awaitable[Page]], portal_db: Database, screenshots: Path
) -> None:
    page = await signed_in()
    conversations_before = await conversations(portal_db)

    # FAQ: type, preview (the widget shows the draft), publish.
    await page.get_by_role("link", name="FAQ answers").first.click()
    await page.get_by_role("link", name="opening hours, English").click()
    answer = "We are open 07:00-18:00 on weekdays. Chat with us any time: https://nordlys.example/chat"
    await page.get_by_label("Answer in English").fill(answer)
    await page.get_by_role("button", name="Preview").click()
    await expect(page.get_by_text("Preview only: not published yet")).to_be_visible()
    bot_bubbles = page.locator(f"{WIDGET} .row.bot .bubble")
    await expect(bot_bubbles.last).to_contain_text("We are open 07:00-18:00 on weekdays.")
    await expect(page.locator(f"{WIDGET} .row.customer .bubble")).to_contain_text("opening hours")
    async with portal_db.sessionmaker() as session:
        nordlys = await tenant_ref(session, "nordlys")
        assert nordlys is not None
        assert await faq_answer(session, nordlys, "opening_hours", "en") != answer  # a preview publishes nothing
    await page.screenshot(path=str(screenshots / "settings-faq-preview-desktop.png"), full_page=True)

    await page.get_by_role("button", name="Publish").click()
    await expect(page.get_by_text("Published. The assistant gives this answer")).to_be_visible()
    await expect(bot_bubbles.last).to_contain_text("We are open 07:00-18:00 on weekdays.")
    async with portal_db.sessionmaker() as session:
        assert await faq_answer(session, nordlys, "opening_hours", "en") == answer

    # Branding: a colour no text is readable on is refused next to its field; a good one previews, then saves.
    await page.goto(f"{SETTINGS_URL}/branding")
    assert await header_colour(page) == "rgb(15, 95, 99)"  # #0F5F63, the published colour
    await page.get_by_label("Brand colour").fill("#777777")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#e-color")).to_contain_text("hard to read")
    await expect(page.get_by_label("Brand colour")).to_have_value("#777777")  # nothing lost
    await page.get_by_label("Brand colour").fill("#7a1f5c")
    await page.get_by_role("button", name="Preview").click()
    await expect(page.locator(f"{WIDGET} .head")).to_be_visible()
    assert await header_colour(page) == "rgb(122, 31, 92)"
    await page.screenshot(path=str(screenshots / "settings-branding-preview-desktop.png"), full_page=True)
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("Saved. Your website's widget uses it")).to_be_visible()
    assert await header_colour(page) == "rgb(122, 31, 92)"

    # The change record shows both, with before and after.
    await page.get_by_role("link", name="Changes").click()
    await expect(page.get_by_text("FAQ answer published")).to_be_visible()
    await expect(page.get_by_text("Branding changed")).to_be_visible()
    await expect(page.locator(".diff .after").first).to_contain_text("#7a1f5c")
    await page.screenshot(path=str(screenshots / "settings-changes-desktop.png"), full_page=True)

    # A phone: the same pages, one column, the widget preview below the form.
    phone = await signed_in(PHONE)
    await phone.goto(f"{SETTINGS_URL}/faq/opening_hours/en")
    await expect(phone.locator(f"{WIDGET} .row.bot .bubble").last).to_contain_text("We are open 07:00-18:00")
    await phone.screenshot(path=str(screenshots / "settings-faq-phone.png"), full_page=True)
    await phone.goto(f"{SETTINGS_URL}/branding")
    assert await header_colour(phone) == "rgb(122, 31, 92)"
    await phone.screenshot(path=str(screenshots / "settings-branding-phone.png"), full_page=True)
    await phone.goto(SETTINGS_URL)
    await phone.screenshot(path=str(screenshots / "settings-overview-phone.png"), full_page=True)
    assert await conversations(portal_db) == conversations_before  # previews start no conversation
