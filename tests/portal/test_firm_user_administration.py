"""The BPO creates firm users: `python -m bot portal-user ...` and the admin REST API."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import aiohttp
import pytest
from sqlalchemy import select

from bot import cli
from bot.db.agents import create_agent
from bot.db.engine import REPO_ROOT
from bot.db.models import PortalUser
from bot.handoff.auth import hash_password
from bot.handoff.demo_agents import DEMO_AGENT_PASSWORD
from tests.console.support import AgentConsole

PASSWORD = "a long enough passphrase"
ADMIN_API = "/agent/api/admin"


@pytest.fixture
def bot_cli(db_url: str, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    async def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = await asyncio.to_thread(cli.main, [*args, "--database-url", db_url])
        out, err = capsys.readouterr()
        return code, out, err

    return run


async def test_cli_creates_a_firm_user_who_can_sign_in(bot_cli, monkeypatch, browser, portal_db):
    monkeypatch.setenv("NEW_PORTAL_PASSWORD", PASSWORD)
    code, out, err = await bot_cli(
        "portal-user", "create", "olga@nordlys.example", "--tenant", "nordlys", "--name", "Olga",
        "--role", "viewer", "--password-env", "NEW_PORTAL_PASSWORD",
    )
    assert code == 0, err
    assert PASSWORD not in out + err
    assert (await browser().sign_in("olga@nordlys.example", PASSWORD)).status == 303


async def test_cli_invites_lists_and_resets_passwords(bot_cli, monkeypatch, browser, firm_admin):
    code, out, _ = await bot_cli("portal-user", "invite", "ivar@nordlys.example", "--tenant", "nordlys")
    assert code == 0 and "/portal/invite/" in out
    link = next(word for word in out.split() if "/portal/invite/" in word)
    invitee = browser()
    accepted = await invitee.http.post(
        invitee.url("/portal/" + link.split("/portal/", 1)[1]), data={"name": "Ivar", "password": PASSWORD},
        headers={"Accept": "text/html"}, allow_redirects=False,
    )
    assert accepted.status == 303

    code, out, _ = await bot_cli("portal-user", "list", "--tenant", "nordlys")
    assert code == 0 and "ivar@nordlys.example" in out and "admin@nordlys.example" in out
    assert "fjordnett" not in out

    monkeypatch.setenv("NEW_PORTAL_PASSWORD", "another long passphrase")
    code, out, _ = await bot_cli("portal-user", "reset-password", "admin@nordlys.example", "--password-env", "NEW_PORTAL_PASSWORD")
    assert code == 0 and "1 session(s) ended" in out
    assert (await firm_admin.get("/portal/t/nordlys/", html=False)).status == 401


async def test_cli_refuses_an_unknown_tenant_and_a_weak_password(bot_cli, monkeypatch, portal_db):
    monkeypatch.setenv("NEW_PORTAL_PASSWORD", "short")
    code, _, err = await bot_cli(
        "portal-user", "create", "x@nordlys.example", "--tenant", "nordlys", "--name", "X",
        "--password-env", "NEW_PORTAL_PASSWORD",
    )
    assert code == 1 and "at least 12 characters" in err
    code, _, err = await bot_cli("portal-user", "invite", "x@y.example", "--tenant", "atlantis")
    assert code == 1 and "atlantis" in err
    async with portal_db.sessionmaker() as session:
        assert await session.scalar(select(PortalUser).where(PortalUser.email == "x@nordlys.example")) is None


def test_python_m_bot_portal_user_is_wired(db_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "portal-user", "list", "--tenant", "lighthouse"],
        cwd=REPO_ROOT, env={**os.environ, "DATABASE_URL": db_url}, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "lighthouse has no portal users" in result.stdout  # the template has no demo firm users


@pytest.fixture
async def bpo_admin(portal_db, gateway):
    async with portal_db.sessionmaker.begin() as session:
        await create_agent(
            session, email="ada@bpo.example", display_name="Ada",
            password_hash=hash_password(DEMO_AGENT_PASSWORD), role="admin",
        )
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    console = AgentConsole(http, str(gateway.make_url("")).rstrip("/"))
    assert (await console.login("ada@bpo.example", DEMO_AGENT_PASSWORD)).status == 200
    yield console
    await http.close()


async def test_admin_api_creates_lists_and_invites_firm_users(bpo_admin, browser):
    created = await bpo_admin.post(
        f"{ADMIN_API}/tenants/fjordnett/portal-users",
        {"email": "Berit@Fjordnett.example", "display_name": "Berit", "role": "admin", "password": PASSWORD},
    )
    assert created.status == 201
    body = await created.json()
    assert body["portal_user"]["email"] == "berit@fjordnett.example" and PASSWORD not in str(body)
    assert (await browser().sign_in("berit@fjordnett.example", PASSWORD)).status == 303

    listing = await (await bpo_admin.get(f"{ADMIN_API}/tenants/fjordnett/portal-users")).json()
    assert "berit@fjordnett.example" in [user["email"] for user in listing["portal_users"]]

    invited = await bpo_admin.post(f"{ADMIN_API}/tenants/fjordnett/portal-invites", {"email": "dag@fjordnett.example"})
    assert invited.status == 201 and invited.headers["Cache-Control"] == "no-store"
    assert "/portal/invite/" in (await invited.json())["link"]


async def test_admin_api_errors(bpo_admin):
    dup = await bpo_admin.post(
        f"{ADMIN_API}/tenants/nordlys/portal-users",
        {"email": "admin@nordlys.example", "display_name": "Dup", "password": PASSWORD},
    )
    assert dup.status == 409
    unknown = await bpo_admin.post(
        f"{ADMIN_API}/tenants/atlantis/portal-users", {"email": "a@b.example", "display_name": "A", "password": PASSWORD}
    )
    assert unknown.status == 404
    no_csrf = await bpo_admin.post(f"{ADMIN_API}/tenants/nordlys/portal-invites", {"email": "c@d.example"}, csrf="")
    assert no_csrf.status == 403


async def test_only_bpo_admins_reach_the_portal_user_admin_api(gateway, portal_db):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        sup = AgentConsole(http, str(gateway.make_url("")).rstrip("/"))
        assert (await sup.login("sup@bpo.example", DEMO_AGENT_PASSWORD)).status == 200
        assert (await sup.get(f"{ADMIN_API}/tenants/nordlys/portal-users")).status == 403
        response = await sup.post(f"{ADMIN_API}/tenants/nordlys/portal-invites", {"email": "e@f.example"})
        assert response.status == 403
