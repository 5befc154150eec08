"""A firm admin signs in to the portal in a real browser, on a desktop and on a phone."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import BrowserContext, Page, expect

from bot.portal.demo_users import DEMO_PORTAL_PASSWORD

from .conftest import PHONE


async def _sign_in(page: Page, gateway: str, email: str) -> None:
    await page.goto(f"{gateway}/portal/t/nordlys/")
    await expect(page).to_have_url(f"{gateway}/portal/login?next=/portal/t/nordlys/")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Password").fill(DEMO_PORTAL_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{gateway}/portal/t/nordlys/")


async def test_firm_admin_signs_in_sees_the_dashboard_and_signs_out(
    page: Page, gateway: str, screenshots: Path, new_context
) -> None:  # type: ignore[no-untyped-def]
    login_page = await page.goto(f"{gateway}/portal/login")
    assert login_page is not None and "script-src 'self'" in login_page.headers["content-security-policy"]
    await page.screenshot(path=screenshots / "portal-login-desktop.png")
    await _sign_in(page, gateway, "admin@nordlys.example")
    await expect(page.get_by_role("heading", name="Nordlys Energi")).to_be_visible()
    await expect(page.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    await page.screenshot(path=screenshots / "portal-dashboard-desktop.png", full_page=True)

    await page.get_by_role("link", name="Users").click()
    await page.get_by_label("E-mail").fill("colleague@nordlys.example")
    await page.get_by_role("button", name="Create invitation link").click()
    await expect(page.get_by_label("Invitation link")).to_have_value(re.compile(r".*/portal/invite/.+"))
    await page.screenshot(path=screenshots / "portal-users-desktop.png", full_page=True)

    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(f"{gateway}/portal/login")
    await page.goto(f"{gateway}/portal/t/nordlys/")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


async def test_the_portal_is_readable_on_a_phone(new_context, gateway: str, screenshots: Path) -> None:  # type: ignore[no-untyped-def]
    phone: BrowserContext = await new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await phone.new_page()
    await page.goto(f"{gateway}/portal/login")
    await page.screenshot(path=screenshots / "portal-login-phone.png")
    await _sign_in(page, gateway, "viewer@nordlys.example")
    await expect(page.get_by_role("heading", name="Nordlys Energi")).to_be_visible()
    # Nothing wider than the screen: no sideways scrolling on a phone.
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    await expect(page.get_by_role("link", name="Users")).to_have_count(0)  # a viewer
    await page.screenshot(path=screenshots / "portal-dashboard-phone.png", full_page=True)
    await phone.close()
