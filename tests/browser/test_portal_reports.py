"""A firm admin's dashboard and reports in a real browser, on a desktop and a phone, with the
demo history `seed-demo` writes: real numbers, charts that fit the screen, a CSV download,
no script errors or CSP violations (the page_errors fixture)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from bot.db import Database
from bot.demo.firms import FIRMS
from bot.handoff.demo_agents import seed_demo_agents
from bot.portal.demo_users import DEMO_PORTAL_PASSWORD, seed_demo_portal_users
from bot.reports.history import seed_demo_history

from .conftest import DESKTOP, PHONE


@pytest.fixture
async def demo_history(database: Database) -> None:
    async with database.sessionmaker.begin() as session:
        await seed_demo_agents(session)
        await seed_demo_portal_users(session)
        await seed_demo_history(session, [firm.slug for firm in FIRMS])


async def _sign_in(page: Page, gateway: str) -> None:
    await page.goto(f"{gateway}/portal/login")
    await page.get_by_label("E-mail").fill("admin@nordlys.example")
    await page.get_by_label("Password").fill(DEMO_PORTAL_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()


async def test_dashboard_shows_last_weeks_numbers_on_desktop_and_phone(
    demo_history: None,
    gateway: str,
    new_context: Callable[..., Awaitable[BrowserContext]],
    screenshots: Path,
    tmp_path: Path,
) -> None:
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = await new_context(viewport=viewport, accept_downloads=True)
        page = await context.new_page()
        await _sign_in(page, gateway)
        await expect(page.get_by_role("heading", name="Last week")).to_be_visible()
        headline = page.get_by_label("Headline numbers")
        conversations = headline.locator(".figure").first.locator(".value")
        await expect(conversations).to_have_text(re.compile(r"^\d+$"))
        assert int(await conversations.inner_text()) > 30  # about 12 chats a day
        await expect(headline).to_contain_text("%")
        chart = page.get_by_role("img", name="Conversations per day, by outcome")
        await expect(chart).to_be_visible()
        box = await chart.bounding_box()
        assert box is not None and box["width"] <= viewport["width"]  # fits the screen
        await page.screenshot(path=screenshots / f"portal-dashboard-{name}.png", full_page=True)

        await page.get_by_role("link", name="All reports").click()
        await expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
        await expect(page.get_by_role("img", name="Handoffs by reason")).to_be_visible()
        async with page.expect_download() as download_info:
            await page.locator("#conversations-h").locator("..").get_by_role("link", name="Download CSV").click()
        download = await download_info.value
        saved = tmp_path / f"{name}.csv"
        await download.save_as(saved)
        lines = saved.read_text(encoding="utf-8-sig").splitlines()
        assert lines[0].startswith("day,conversations,") and len(lines) == 8  # header + 7 days
        await page.screenshot(path=screenshots / f"portal-reports-{name}.png", full_page=True)
        await context.close()
