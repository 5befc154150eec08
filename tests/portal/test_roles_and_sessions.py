"""Roles in the shell, session expiry, and what the pages never contain."""

from __future__ import annotations

from sqlalchemy import update

from bot.db.models import PortalSession
from bot.portal.nav import NAV


async def test_viewer_sees_the_dashboard_without_the_users_entry(firm_viewer):
    page = await (await firm_viewer.get("/portal/t/nordlys/")).text()
    assert "Nordlys Energi" in page and "Dashboard" in page
    assert "/portal/t/nordlys/users" not in page
    assert (await firm_viewer.get("/portal/t/nordlys/users")).status == 403


async def test_admin_sees_every_nav_entry(firm_admin):
    page = await (await firm_admin.get("/portal/t/nordlys/")).text()
    for entry in NAV:
        assert f'href="/portal/t/nordlys/{entry.path}"' in page


async def test_users_page_lists_the_firms_people_only(firm_admin):
    page = await (await firm_admin.get("/portal/t/nordlys/users")).text()
    assert "admin@nordlys.example" in page and "viewer@nordlys.example" in page
    assert "fjordnett" not in page and "bpo.example" not in page


async def test_an_expired_session_is_signed_out(firm_admin, portal_db):
    async with portal_db.sessionmaker.begin() as session:
        await session.execute(update(PortalSession).values(expires_at=PortalSession.created_at))
    assert (await firm_admin.get("/portal/t/nordlys/", html=False)).status == 401


async def test_pages_carry_no_inline_script_or_style(firm_admin):
    for path in ("/portal/t/nordlys/", "/portal/t/nordlys/users", "/portal/login"):
        page = await (await firm_admin.get(path)).text()
        assert "<script>" not in page and "style=" not in page and "<style" not in page


async def test_the_cookie_is_secure_behind_https(make_gateway, browser):
    from tests.portal.support import PortalBrowser

    gateway = await make_gateway(public_url="https://support.example")
    visitor = PortalBrowser(str(gateway.make_url("")).rstrip("/"))
    try:
        response = await visitor.sign_in("admin@nordlys.example", "demo-portal-password")
        assert response.status == 303
        assert response.cookies["bpo_portal_session"]["secure"]
    finally:
        await visitor.close()


async def test_an_unknown_portal_page_is_a_404_page(firm_admin):
    response = await firm_admin.get("/portal/nothing-here")
    assert response.status == 404
    assert "text/html" in response.headers["Content-Type"]
