"""Admin REST endpoints (/agent/api/admin): the admin CLI's use cases, for role 'admin' only."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.db import Database
from bot.db.agents import agent_tenant_ids, create_agent, find_agent_by_email
from bot.db.canned import canned_responses
from bot.db.faq_admin import list_faq_answers
from bot.db.models import Tenant
from bot.db.tenants import tenant_ref
from bot.gateway.identity import sign_user_id
from bot.handoff.auth import hash_password
from bot.handoff.demo_agents import DEMO_AGENT_PASSWORD
from tests.gateway.support import ALLOWED_ORIGIN, DEMO_CUSTOMER, identity_secret

from .conftest import KARI, SAM, SUP
from .support import AgentConsole, Widget

ADMIN = "ada@bpo.example"
ADMIN_API = "/agent/api/admin"
NEW_PASSWORD = "a-brand-new-password-42"

Console = Callable[..., Awaitable[AgentConsole]]

# Every admin endpoint with a body an admin could send successfully.
ADMIN_ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/tenants", {"slug": "acme", "name": "Acme", "trade": "retail", "language": "en",
                          "time_zone": "Europe/London", "currency": "GBP", "ticket_prefix": "ACM"}),
    ("POST", "/tenants/nordlys/identity-secret", None),
    ("POST", "/agents", {"email": "new@bpo.example", "display_name": "New", "password": NEW_PASSWORD}),
    ("PUT", "/agents/{sam}/tenants", {"tenants": ["nordlys"]}),
    ("PUT", "/agents/{sam}/languages", {"languages": ["nb"]}),
    ("POST", "/agents/{sam}/password", {"password": NEW_PASSWORD}),
    ("GET", "/tenants/nordlys/canned", None),
    ("POST", "/tenants/nordlys/canned", {"shortcut": "new", "text": "A new answer."}),
    ("DELETE", "/tenants/nordlys/canned/takk", None),
    ("GET", "/tenants/nordlys/faq", None),
    ("PUT", "/tenants/nordlys/faq/opening_hours/en", {"answer": "Always open."}),
    ("GET", "/tenants/nordlys/api-keys", None),
    ("POST", "/tenants/nordlys/api-keys", {"name": "CRM sync", "scopes": ["tickets:read"]}),
]
WRITES = [endpoint for endpoint in ADMIN_ENDPOINTS if endpoint[0] != "GET"]


@pytest.fixture
async def admin_db(desk_db: Database) -> Database:
    """The console database plus one admin (same demo password), who serves no tenant."""
    async with desk_db.sessionmaker.begin() as session:
        await create_agent(
            session, email=ADMIN, display_name="Ada", password_hash=hash_password(DEMO_AGENT_PASSWORD),
            role="admin",
        )
    return desk_db


@pytest.fixture
async def ada(admin_db: Database, console: Console) -> AgentConsole:
    return await console(ADMIN, socket=False)


async def call(
    agent: AgentConsole, method: str, path: str, body: dict[str, Any] | None = None, *, csrf: str | None = None
) -> aiohttp.ClientResponse:
    headers = {"X-CSRF-Token": agent.csrf if csrf is None else csrf}
    return await agent.http.request(
        method, f"{agent.base_url}{ADMIN_API}{path}", json=body, headers=headers
    )


async def agent_id(database: Database, email: str) -> int:
    async with database.sessionmaker() as session:
        agent = await find_agent_by_email(session, email)
        assert agent is not None
        return agent.id


async def login_status(gateway: TestClient, email: str, password: str) -> int:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        fresh = AgentConsole(http, str(gateway.make_url("")).rstrip("/"))
        return (await fresh.login(email, password)).status


async def error_of(response: aiohttp.ClientResponse) -> dict[str, str]:
    return (await response.json())["error"]


# --- tenants and identity secrets -------------------------------------------------------


async def test_admin_creates_a_tenant_whose_identity_secret_is_in_that_answer_only(
    ada: AgentConsole, admin_db: Database
) -> None:
    response = await call(ada, *ADMIN_ENDPOINTS[0][:2], ADMIN_ENDPOINTS[0][2])
    body = await response.json()

    assert response.status == 201
    assert response.headers["Cache-Control"] == "no-store"
    assert body["tenant"]["slug"] == "acme" and body["tenant"]["ticket_prefix"] == "ACM"
    assert body["identity_secret"] == await identity_secret(admin_db, "acme")
    listing = await call(ada, "GET", "/tenants/acme/canned")
    assert listing.status == 200 and await listing.json() == {"canned": []}
    assert body["identity_secret"] not in await listing.text()


async def test_rotating_the_identity_secret_makes_old_signatures_fail_and_new_ones_verify(
    ada: AgentConsole, admin_db: Database, gateway: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    # Our own loggers at every level (the database driver's DEBUG output echoes SQL parameters
    # and is never enabled in production).
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="bot")
    old_secret = await identity_secret(admin_db, "nordlys")

    response = await call(ada, "POST", "/tenants/nordlys/identity-secret")
    new_secret = (await response.json())["identity_secret"]

    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert new_secret != old_secret
    assert new_secret == await identity_secret(admin_db, "nordlys")
    assert await _hello_verified(gateway, sign_user_id(old_secret, DEMO_CUSTOMER)) is False
    assert await _hello_verified(gateway, sign_user_id(new_secret, DEMO_CUSTOMER)) is True
    # Shown once: no other answer and no log line carries it.
    for method, path in [("GET", "/tenants/nordlys/canned"), ("GET", "/tenants/nordlys/faq")]:
        assert new_secret not in await (await call(ada, method, path)).text()
    for path in ["/agent/api/me", "/agent/api/queue"]:
        assert new_secret not in await (await ada.get(path)).text()
    widget_config = await gateway.get("/api/v1/tenants/nordlys/widget", headers={"Origin": ALLOWED_ORIGIN})
    assert widget_config.status == 200
    assert new_secret not in await widget_config.text()
    assert new_secret not in caplog.text


async def _hello_verified(gateway: TestClient, user_hash: str) -> bool:
    ws = await gateway.ws_connect("/api/v1/tenants/nordlys/ws", origin=ALLOWED_ORIGIN)
    widget = Widget(ws)
    try:
        welcome = await widget.hello(language="en", user_id=DEMO_CUSTOMER, user_hash=user_hash)
        return bool(welcome["verified"])
    finally:
        await widget.close()


async def test_a_duplicate_tenant_is_a_conflict_and_an_unknown_one_not_found(ada: AgentConsole) -> None:
    method, path, body = ADMIN_ENDPOINTS[0]
    duplicate = await call(ada, method, path, {**body, "slug": "nordlys"})
    unknown = await call(ada, "POST", "/tenants/nowhere/identity-secret")

    assert duplicate.status == 409
    assert "slug already exists" in (await error_of(duplicate))["message"]
    assert unknown.status == 404
    assert "nowhere" in (await error_of(unknown))["message"]


# --- agents -----------------------------------------------------------------------------------


async def test_admin_creates_an_agent_who_can_log_in_and_the_password_is_never_echoed(
    ada: AgentConsole, gateway: TestClient, console: Console
) -> None:
    response = await call(
        ada, "POST", "/agents",
        {"email": "Nils@BPO.example", "display_name": "Nils", "password": NEW_PASSWORD,
         "role": "supervisor", "tenants": ["fjordnett"], "languages": ["nb", "en"], "max_concurrent_chats": 4},
    )
    text = await response.text()

    assert response.status == 201
    assert NEW_PASSWORD not in text
    agent = (await response.json())["agent"]
    assert agent["email"] == "nils@bpo.example"
    assert (agent["role"], agent["tenants"], agent["languages"]) == ("supervisor", ["fjordnett"], ["nb", "en"])
    assert await login_status(gateway, "nils@bpo.example", NEW_PASSWORD) == 200


async def test_setting_an_agents_tenants_and_languages_changes_their_scope(
    ada: AgentConsole, admin_db: Database, console: Console
) -> None:
    sam_id = await agent_id(admin_db, SAM)
    tenants = await call(ada, "PUT", f"/agents/{sam_id}/tenants", {"tenants": ["nordlys", "fjordnett"]})
    languages = await call(ada, "PUT", f"/agents/{sam_id}/languages", {"languages": ["nb", "en", "nb"]})

    assert tenants.status == 200
    assert (await tenants.json())["tenants"] == ["nordlys", "fjordnett"]
    assert languages.status == 200
    assert (await languages.json())["languages"] == ["nb", "en"]
    sam = await console(SAM, socket=False)
    assert {t["slug"] for t in sam.agent["tenants"]} == {"nordlys", "fjordnett"}
    assert sam.agent["languages"] == ["nb", "en"]


async def test_resetting_a_password_ends_the_agents_sessions_and_only_the_new_one_works(
    ada: AgentConsole, admin_db: Database, gateway: TestClient, console: Console
) -> None:
    sam = await console(SAM, socket=False)
    response = await call(ada, "POST", f"/agents/{await agent_id(admin_db, SAM)}/password", {"password": NEW_PASSWORD})

    assert response.status == 200
    assert NEW_PASSWORD not in await response.text()
    assert (await response.json())["sessions_ended"] == 1
    assert (await sam.get("/agent/api/me")).status == 401
    assert await login_status(gateway, SAM, DEMO_AGENT_PASSWORD) == 401
    assert await login_status(gateway, SAM, NEW_PASSWORD) == 200


async def test_an_unknown_agent_is_not_found_and_a_duplicate_email_a_conflict(ada: AgentConsole) -> None:
    missing = await call(ada, "PUT", "/agents/999999/languages", {"languages": ["en"]})
    duplicate = await call(ada, "POST", "/agents", {"email": KARI, "display_name": "K", "password": NEW_PASSWORD})

    assert missing.status == 404
    assert duplicate.status == 409
    assert "already exists" in (await error_of(duplicate))["message"]


# --- canned responses and FAQ answers -------------------------------------------------------


async def test_admin_adds_replaces_lists_and_removes_canned_responses(ada: AgentConsole) -> None:
    added = await call(ada, "POST", "/tenants/nordlys/canned", {"shortcut": "/Vent", "text": "Vent litt."})
    replaced = await call(ada, "POST", "/tenants/nordlys/canned", {"shortcut": "vent", "text": "Et øyeblikk."})
    listing = await (await call(ada, "GET", "/tenants/nordlys/canned")).json()
    removed = await call(ada, "DELETE", "/tenants/nordlys/canned/vent")
    removed_again = await call(ada, "DELETE", "/tenants/nordlys/canned/vent")
    after = await (await call(ada, "GET", "/tenants/nordlys/canned")).json()

    assert (added.status, (await added.json())["canned"]["shortcut"]) == (201, "vent")
    assert replaced.status == 200
    assert {"shortcut": "vent", "text": "Et øyeblikk."} in listing["canned"]
    assert removed.status == 200
    assert removed_again.status == 404
    assert "vent" not in {item["shortcut"] for item in after["canned"]}
    assert "takk" in {item["shortcut"] for item in after["canned"]}  # the others stay


async def test_canned_responses_of_one_tenant_do_not_touch_another(ada: AgentConsole) -> None:
    await call(ada, "POST", "/tenants/nordlys/canned", {"shortcut": "only-here", "text": "Nordlys only."})
    fjordnett = await (await call(ada, "GET", "/tenants/fjordnett/canned")).json()

    assert "only-here" not in {item["shortcut"] for item in fjordnett["canned"]}


async def test_admin_sets_and_lists_faq_answers_per_language(ada: AgentConsole) -> None:
    added = await call(ada, "PUT", "/tenants/nordlys/faq/parking/en", {"answer": "Weekdays 8-16."})
    replaced = await call(ada, "PUT", "/tenants/nordlys/faq/parking/en", {"answer": "Weekdays 8-17."})
    await call(ada, "PUT", "/tenants/nordlys/faq/parking/nb", {"answer": "Hverdager 8-17."})
    english = await (await call(ada, "GET", "/tenants/nordlys/faq?language=en")).json()
    everything = await (await call(ada, "GET", "/tenants/nordlys/faq")).json()

    assert (added.status, replaced.status) == (201, 200)
    assert {"key": "parking", "language": "en", "answer": "Weekdays 8-17."} in english["faq"]
    assert all(item["language"] == "en" for item in english["faq"])
    assert {"key": "parking", "language": "nb", "answer": "Hverdager 8-17."} in everything["faq"]


# --- who may call them ------------------------------------------------------------------------


@pytest.mark.parametrize("email", [KARI, SUP])
@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ENDPOINTS)
async def test_agents_and_supervisors_are_forbidden_every_admin_endpoint(
    admin_db: Database, console: Console, email: str, method: str, path: str, body: dict[str, Any] | None
) -> None:
    someone = await console(email, socket=False)
    secret_before = await identity_secret(admin_db, "nordlys")
    response = await call(someone, method, path.format(sam=await agent_id(admin_db, SAM)), body)

    assert response.status == 403
    assert (await error_of(response))["code"] == "forbidden"
    assert await identity_secret(admin_db, "nordlys") == secret_before
    assert await nothing_was_written(admin_db)


async def nothing_was_written(database: Database) -> bool:
    """None of the admin writes in ADMIN_ENDPOINTS took effect (the secret is checked apart)."""
    async with database.sessionmaker() as session:
        acme = await session.scalar(select(Tenant.id).where(Tenant.slug == "acme"))
        newcomer = await find_agent_by_email(session, "new@bpo.example")
        sam = await find_agent_by_email(session, SAM)
        assert sam is not None
        sam_tenants = await agent_tenant_ids(session, sam.id)
        lighthouse = await tenant_ref(session, "lighthouse")
        nordlys = await tenant_ref(session, "nordlys")
        assert lighthouse is not None and nordlys is not None
        shortcuts = {item.shortcut for item in await canned_responses(session, nordlys)}
        faq = {(a.key, a.language): a.answer for a in await list_faq_answers(session, nordlys)}
    return (
        acme is None
        and newcomer is None
        and sam.languages == ["en"]
        and sam_tenants == {lighthouse.id}
        and "takk" in shortcuts
        and "new" not in shortcuts
        and faq.get(("opening_hours", "en")) != "Always open."
    )


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ENDPOINTS)
async def test_admin_endpoints_need_a_session(
    admin_db: Database, gateway: TestClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    response = await gateway.request(method, ADMIN_API + path.format(sam=1), json=body)

    assert response.status == 401
    assert (await error_of(response))["code"] == "not_logged_in"


@pytest.mark.parametrize("csrf", ["", "forged-token"])
@pytest.mark.parametrize(("method", "path", "body"), WRITES)
async def test_admin_writes_without_the_csrf_token_are_rejected_and_change_nothing(
    ada: AgentConsole, admin_db: Database, gateway: TestClient,
    method: str, path: str, body: dict[str, Any] | None, csrf: str,
) -> None:
    secret_before = await identity_secret(admin_db, "nordlys")
    canned_before = await (await call(ada, "GET", "/tenants/nordlys/canned")).json()
    response = await call(ada, method, path.format(sam=await agent_id(admin_db, SAM)), body, csrf=csrf)

    assert response.status == 403
    assert (await error_of(response))["code"] == "csrf_rejected"
    assert await identity_secret(admin_db, "nordlys") == secret_before
    assert await (await call(ada, "GET", "/tenants/nordlys/canned")).json() == canned_before
    assert await nothing_was_written(admin_db)
    assert await login_status(gateway, SAM, DEMO_AGENT_PASSWORD) == 200


# --- bad input --------------------------------------------------------------------------------

TENANT = ADMIN_ENDPOINTS[0][2]
BAD_INPUT = [
    ("POST", "/tenants", {**TENANT, "slug": "Not A Slug"}, "slug"),
    ("POST", "/tenants", {**TENANT, "currency": "EUR"}, "currency"),
    ("POST", "/tenants", {k: v for k, v in TENANT.items() if k != "name"}, "'name'"),
    ("POST", "/tenants", {**TENANT, "time_zone": "Mars/Olympus"}, "time zone"),
    ("POST", "/tenants", {**TENANT, "business_hours": {"mon": [["8 am", "16:00"]]}}, "mon"),
    ("POST", "/tenants", {**TENANT, "allowed_origins": "https://acme.example"}, "'allowed_origins'"),
    ("POST", "/tenants", {**TENANT, "allowed_origins": ["not an origin"]}, "allowed_origins"),
    ("POST", "/agents", {"email": "x@bpo.example", "display_name": "X", "password": "short"}, "password"),
    ("POST", "/agents", {"email": "not-an-email", "display_name": "X", "password": NEW_PASSWORD}, "email"),
    ("POST", "/agents", {"email": "x@bpo.example", "display_name": "X", "password": NEW_PASSWORD,
                         "role": "boss"}, "role"),
    ("POST", "/agents", {"email": "x@bpo.example", "display_name": "X", "password": NEW_PASSWORD,
                         "tenants": ["nowhere"]}, "nowhere"),
    ("POST", "/agents", {"email": "x@bpo.example", "display_name": "X", "password": NEW_PASSWORD,
                         "max_concurrent_chats": 0}, "max_concurrent_chats"),
    ("PUT", "/agents/{sam}/tenants", {"tenants": "nordlys"}, "'tenants'"),
    ("PUT", "/agents/{sam}/tenants", {"tenants": ["nowhere"]}, "nowhere"),
    ("PUT", "/agents/{sam}/languages", {"languages": []}, "at least one"),
    ("PUT", "/agents/{sam}/languages", {"languages": ["de"]}, "languages"),
    ("PUT", "/agents/abc/languages", {"languages": ["en"]}, "agent id"),
    ("POST", "/agents/{sam}/password", {}, "'password'"),
    ("POST", "/agents/{sam}/password", {"password": "            "}, "password"),
    ("POST", "/tenants/nordlys/canned", {"shortcut": "has space", "text": "x"}, "shortcut"),
    ("POST", "/tenants/nordlys/canned", {"shortcut": "ok", "text": "   "}, "text"),
    ("PUT", "/tenants/nordlys/faq/opening_hours/de", {"answer": "x"}, "language"),
    ("PUT", "/tenants/nordlys/faq/Opening-Hours!/en", {"answer": "x"}, "key"),
    ("PUT", "/tenants/nordlys/faq/opening_hours/en", {"answer": ""}, "answer"),
    ("GET", "/tenants/nordlys/faq?language=de", None, "language"),
]


@pytest.mark.parametrize(("method", "path", "body", "mentions"), BAD_INPUT)
async def test_bad_input_gets_a_clear_bad_request_and_changes_nothing(
    ada: AgentConsole, admin_db: Database, gateway: TestClient,
    method: str, path: str, body: dict[str, Any] | None, mentions: str,
) -> None:
    sam_id = await agent_id(admin_db, SAM)
    response = await call(ada, method, path.format(sam=sam_id), body)
    error = await error_of(response)

    assert response.status == 400
    assert error["code"] == "bad_request"
    assert mentions.lower() in error["message"].lower()
    assert NEW_PASSWORD not in error["message"]
    assert await nothing_was_written(admin_db)
    assert await login_status(gateway, SAM, DEMO_AGENT_PASSWORD) == 200


async def test_a_body_that_is_not_a_json_object_is_a_bad_request(ada: AgentConsole) -> None:
    response = await ada.http.post(
        f"{ada.base_url}{ADMIN_API}/tenants/nordlys/canned", data="not json",
        headers={"X-CSRF-Token": ada.csrf},
    )

    assert response.status == 400
    assert "JSON object" in (await error_of(response))["message"]


# --- API keys of the public REST API ------------------------------------------------------------


async def test_admin_issues_an_api_key_shown_once_that_works_until_revoked(
    ada: AgentConsole, gateway: TestClient
) -> None:
    created = await call(ada, "POST", "/tenants/nordlys/api-keys",
                         {"name": "CRM sync", "scopes": ["tickets:read"]})
    answer = await created.json()
    key, prefix = answer["key"], answer["api_key"]["prefix"]
    used = await gateway.get("/api/v1/firm/tickets", headers={"Authorization": f"Bearer {key}"})
    listing = await (await call(ada, "GET", "/tenants/nordlys/api-keys")).json()
    revoked = await call(ada, "DELETE", f"/tenants/nordlys/api-keys/{prefix}")
    after = await gateway.get("/api/v1/firm/tickets", headers={"Authorization": f"Bearer {key}"})
    other_tenant = await call(ada, "DELETE", f"/tenants/fjordnett/api-keys/{prefix}")

    assert created.status == 201 and created.headers["Cache-Control"] == "no-store"
    assert key.startswith(prefix + "_")
    assert used.status == 200
    [listed] = listing["api_keys"]
    assert listed["prefix"] == prefix and listed["scopes"] == ["tickets:read"]
    assert listed["last_used_at"] is not None and listed["revoked_at"] is None
    assert key not in str(listing)  # never shown again
    assert revoked.status == 200 and (await revoked.json())["api_key"]["revoked_at"] is not None
    assert after.status == 401
    assert other_tenant.status == 404


async def test_an_api_key_with_an_unknown_scope_is_a_bad_request(ada: AgentConsole) -> None:
    response = await call(ada, "POST", "/tenants/nordlys/api-keys", {"name": "x", "scopes": ["tickets:delete"]})

    assert response.status == 400
    assert "tickets:delete" in (await error_of(response))["message"]
