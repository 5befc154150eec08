"""Console login, session cookie, CSRF, logout and expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import update
from yarl import URL

from bot.db import Database
from bot.db.models import AgentSession
from bot.db.types import utcnow
from bot.handoff.demo_agents import DEMO_AGENT_PASSWORD

from .conftest import KARI
from .support import AgentConsole


@pytest.fixture
async def anonymous(gateway: Any) -> Any:
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    yield AgentConsole(http, str(gateway.make_url("")).rstrip("/"))
    await http.close()


async def test_login_sets_an_httponly_samesite_strict_session_cookie(anonymous: AgentConsole) -> None:
    response = await anonymous.login(KARI, DEMO_AGENT_PASSWORD)
    assert response.status == 200
    cookie = response.cookies["bpo_agent_session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/agent"
    body = await response.json()
    assert cookie.value not in str(body)  # the token is only in the cookie
    assert body["agent"]["name"] == "Kari"
    assert {t["slug"] for t in body["agent"]["tenants"]} == {"nordlys", "fjordnett"}

    me = await anonymous.get("/agent/api/me")
    assert me.status == 200
    assert (await me.json())["csrf_token"] == anonymous.csrf


@pytest.mark.parametrize(
    ("email", "password"),
    [(KARI, "wrong-password-123"), ("nobody@bpo.example", DEMO_AGENT_PASSWORD), (KARI, "")],
)
async def test_wrong_credentials_are_refused_with_one_answer_and_no_cookie(
    anonymous: AgentConsole, email: str, password: str
) -> None:
    response = await anonymous.login(email, password)
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "invalid_credentials"
    assert "bpo_agent_session" not in response.cookies
    assert (await anonymous.get("/agent/api/me")).status == 401


async def test_malformed_login_body_is_a_clear_bad_request(anonymous: AgentConsole) -> None:
    response = await anonymous.http.post(f"{anonymous.base_url}/agent/api/login", data="not json")
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_request"


@pytest.mark.parametrize("csrf", ["", "forged-token"])
async def test_state_changing_requests_need_the_sessions_csrf_token(
    console: Any, csrf: str
) -> None:
    kari = await console(KARI, socket=False)
    response = await kari.post("/agent/api/logout", csrf=csrf)
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "csrf_rejected"
    assert (await kari.get("/agent/api/me")).status == 200  # still logged in


async def test_logout_ends_the_session_for_good(console: Any) -> None:
    kari = await console(KARI, socket=False)
    stolen = kari.http.cookie_jar.filter_cookies(URL(f"{kari.base_url}/agent/api/me"))["bpo_agent_session"].value

    assert (await kari.post("/agent/api/logout")).status == 200
    assert (await kari.get("/agent/api/me")).status == 401
    replay = await kari.http.get(
        f"{kari.base_url}/agent/api/me", headers={"Cookie": f"bpo_agent_session={stolen}"}
    )
    assert replay.status == 401


async def test_an_expired_session_is_refused(console: Any, desk_db: Database) -> None:
    kari = await console(KARI, socket=False)
    async with desk_db.sessionmaker.begin() as session:
        await session.execute(update(AgentSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    response = await kari.get("/agent/api/queue")
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "not_logged_in"


async def test_agent_socket_needs_a_session_and_the_consoles_own_origin(
    console: Any, anonymous: AgentConsole
) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await anonymous.open_socket()
    assert refused.value.status == 401
    kari = await console(KARI, socket=False)
    with pytest.raises(aiohttp.WSServerHandshakeError) as foreign:
        await kari.open_socket(origin="https://evil.example")
    assert foreign.value.status == 403


async def test_the_console_pages_are_served_under_a_strict_csp(anonymous: AgentConsole) -> None:
    for path in ("/agent", "/agent/login"):
        response = await anonymous.get(path)
        assert response.status == 200
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "<script>" not in await response.text()  # no inline script
