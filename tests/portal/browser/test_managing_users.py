"""A firm admin changes a colleague's role and removes them, in a real browser (no script: the
removal is confirmed by opening "Remove…", which works under the portal's strict CSP)."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from .test_portal_sign_in import _sign_in


async def test_an_admin_makes_the_viewer_admin_then_removes_them(page: Page, gateway: str, screenshots: Path) -> None:
    await _sign_in(page, gateway, "admin@nordlys.example")
    await page.get_by_role("link", name="Users").click()
    viewer_row = page.get_by_role("row").filter(has_text="viewer@nordlys.example")
    await expect(page.get_by_role("row").filter(has_text="admin@nordlys.example")).to_contain_text("(you)")

    await viewer_row.get_by_role("combobox").select_option("admin")
    await viewer_row.get_by_role("button", name="Change role").click()
    await expect(page.get_by_role("status")).to_contain_text("is now admin")
    await page.screenshot(path=screenshots / "portal-users-manage-desktop.png", full_page=True)

    viewer_row = page.get_by_role("row").filter(has_text="viewer@nordlys.example")
    await viewer_row.get_by_text("Remove…").click()
    await viewer_row.get_by_role("button", name="Remove").click()
    await expect(page.get_by_role("status")).to_contain_text("was removed and signed out")
    await expect(page.get_by_role("row").filter(has_text="viewer@nordlys.example")).to_have_count(0)
