"""Signing in and out of the portal: firm users and BPO supervisors, cookies, CSRF, rate limit."""

from __future__ import annotations

from bot.portal.session_auth import COOKIE

from .conftest import AGENT, NORDLYS_ADMIN, SUPERVISOR, password_of
from .support import HTML


async def test_signed_out_visitor_is_sent_to_sign_in(browser):
    visitor = browser()
    response = await visitor.get("/portal/t/nordlys/", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/portal/login?next=/portal/t/nordlys/"


async def test_signed_out_script_gets_401_json(browser):
    response = await browser().get("/portal/t/nordlys/", html=False)
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "not_logged_in"


async def test_firm_admin_signs_in_and_lands_on_their_firms_dashboard(browser):
    admin = browser()
    response = await admin.sign_in(NORDLYS_ADMIN, password_of(NORDLYS_ADMIN))
    assert response.status == 303
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/portal"
    landing = await admin.get("/portal/")
    assert str(landing.url).endswith("/portal/t/nordlys/")
    page = await landing.text()
    assert "Nordlys Energi" in page and admin.csrf
    assert "script-src 'self'" in landing.headers["Content-Security-Policy"]
    assert landing.headers["Cache-Control"] == "no-store"


async def test_wrong_password_is_refused_with_the_same_answer_as_an_unknown_email(browser):
    visitor = browser()
    wrong = await visitor.sign_in(NORDLYS_ADMIN, "not-the-password")
    unknown = await visitor.sign_in("nobody@nordlys.example", "not-the-password")
    assert wrong.status == unknown.status == 401
    assert "E-mail or password is wrong." in await wrong.text()
    assert COOKIE not in wrong.cookies


async def test_an_agent_who_is_not_a_supervisor_cannot_sign_in(browser):
    response = await browser().sign_in(AGENT, password_of(AGENT))
    assert response.status == 401


async def test_supervisor_signs_in_with_console_credentials_and_chooses_any_firm(supervisor):
    landing = await supervisor.get("/portal/")
    page = await landing.text()
    for name in ("Nordlys Energi", "Fjordnett Broadband", "Lighthouse Insurance"):
        assert name in page
    for slug in ("nordlys", "fjordnett", "lighthouse"):
        assert (await supervisor.get(f"/portal/t/{slug}/")).status == 200


async def test_sign_out_ends_the_session(firm_admin):
    response = await firm_admin.post("/portal/logout")
    assert response.status == 303 and response.headers["Location"] == "/portal/login"
    again = await firm_admin.get("/portal/t/nordlys/", html=False)
    assert again.status == 401


async def test_sign_out_without_csrf_token_is_refused_and_the_session_lives_on(firm_admin):
    response = await firm_admin.post("/portal/logout", csrf="")
    assert response.status == 403
    assert (await firm_admin.get("/portal/t/nordlys/")).status == 200


async def test_sign_in_form_posted_from_another_site_is_refused(browser):
    visitor = browser()
    response = await visitor.http.post(
        visitor.url("/portal/login"),
        data={"email": NORDLYS_ADMIN, "password": password_of(NORDLYS_ADMIN)},
        headers={**HTML, "Origin": "https://evil.example"},
        allow_redirects=False,
    )
    assert response.status == 403


async def test_next_never_leads_off_the_portal(browser):
    visitor = browser()
    response = await visitor.http.post(
        visitor.url("/portal/login"),
        data={"email": NORDLYS_ADMIN, "password": password_of(NORDLYS_ADMIN), "next": "//evil.example/"},
        headers=HTML,
        allow_redirects=False,
    )
    assert response.status == 303 and response.headers["Location"] == "/portal/"


async def test_sign_in_attempts_are_rate_limited_per_address(make_gateway, browser):
    from bot.gateway.settings import RateLimit
    from tests.portal.support import PortalBrowser

    gateway = await make_gateway(login_rate_limit=RateLimit(3, 60.0))
    visitor = PortalBrowser(str(gateway.make_url("")).rstrip("/"))
    try:
        statuses = [(await visitor.sign_in(NORDLYS_ADMIN, "wrong-password!")).status for _ in range(3)]
        assert statuses == [401, 401, 401]
        limited = await visitor.sign_in(NORDLYS_ADMIN, password_of(NORDLYS_ADMIN))
        assert limited.status == 429
    finally:
        await visitor.close()


async def test_supervisor_session_ends_when_demoted(supervisor, portal_db):
    from sqlalchemy import update

    from bot.db.models import Agent

    async with portal_db.sessionmaker.begin() as session:
        await session.execute(update(Agent).where(Agent.email == SUPERVISOR).values(role="agent"))
    response = await supervisor.get("/portal/t/nordlys/", html=False)
    assert response.status == 401
