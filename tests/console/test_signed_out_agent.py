"""A signed-out agent hears nothing more: logout, a password reset, the end of the session and
the removal of a tenant close (or narrow) the agent's open consoles at once, on every instance.

"At once" means without any frame from the console: the socket is closed (4401) or
re-subscribed by the gateway itself. Two instances share Redis as in
test_two_gateway_instances.py.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from bot.admin import cli
from bot.admin import use_cases as admin
from bot.db import Database
from bot.db.agents import create_agent, find_agent_by_email
from bot.db.tenants import tenant_ref
from bot.handoff.auth import hash_password
from bot.handoff.demo_agents import DEMO_AGENT_PASSWORD
from tests.gateway.support import ALLOWED_ORIGIN

from .conftest import KARI, SUP
from .support import AgentConsole, Widget

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
ADMIN = "ada@bpo.example"
CLOSE_GUARD_SECONDS = 30.0  # a hang guard, not a speed assertion (generous: CI runs two lanes at once)
SESSION_ENDED = 4401

Open = Callable[..., Awaitable[Any]]


@pytest.fixture
async def with_admin(desk_db: Database) -> Database:
    async with desk_db.sessionmaker.begin() as session:
        await create_agent(
            session, email=ADMIN, display_name="Ada", password_hash=hash_password(DEMO_AGENT_PASSWORD),
            role="admin",
        )
    return desk_db


@pytest.fixture
async def people() -> AsyncIterator[Open]:
    """An agent's console (socket=True opens its WebSocket) or a customer's tab on an instance."""
    closers: list[Callable[[], Awaitable[Any]]] = []

    async def open_on(instance: TestClient, who: str, *, tenant: str = "nordlys", socket: bool = True) -> Any:
        if who == "customer":
            widget = Widget(await instance.ws_connect(f"/api/v1/tenants/{tenant}/ws", origin=ALLOWED_ORIGIN))
            closers.append(widget.close)
            widget.conversation_id = (await widget.hello(language="en"))["conversation_id"]
            return widget
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        closers.append(http.close)
        agent = AgentConsole(http, str(instance.make_url("")).rstrip("/"))
        assert (await agent.login(who, DEMO_AGENT_PASSWORD)).status == 200
        if socket:
            await agent.open_socket()
            closers.insert(0, agent.close)
        return agent

    yield open_on
    for close in closers:
        await close()


@pytest.fixture
async def two_gateways(make_gateway: Callable[..., Awaitable[TestClient]]) -> tuple[TestClient, TestClient]:
    prefix = f"bpo-test-{secrets.token_hex(4)}:"  # other tests share this Redis
    return (
        await make_gateway(redis_url=REDIS_URL, redis_prefix=prefix),
        await make_gateway(redis_url=REDIS_URL, redis_prefix=prefix),
    )


async def closed_with(agent: AgentConsole) -> int:
    """The close code of the agent's socket (text frames before it are skipped), no frame sent."""
    assert agent.ws is not None
    while True:
        message = await agent.ws.receive(timeout=CLOSE_GUARD_SECONDS)
        if message.type is not aiohttp.WSMsgType.TEXT:
            assert message.type is aiohttp.WSMsgType.CLOSE, message
            return int(message.data)


async def agent_id(database: Database, email: str) -> int:
    async with database.sessionmaker() as session:
        agent = await find_agent_by_email(session, email)
        assert agent is not None
        return agent.id


async def tenant_id(database: Database, slug: str) -> int:
    async with database.sessionmaker() as session:
        ref = await tenant_ref(session, slug)
        assert ref is not None
        return ref.id


async def admin_call(ada: AgentConsole, method: str, path: str, body: dict[str, Any]) -> aiohttp.ClientResponse:
    return await ada.http.request(
        method, f"{ada.base_url}/agent/api/admin{path}", json=body, headers={"X-CSRF-Token": ada.csrf}
    )


async def escalate(customer: Widget, seen_by: AgentConsole, tenant: int) -> None:
    """The customer asks for a person; `seen_by` (serving the tenant) hears the queue change."""
    await customer.say("I want a person", str(uuid.uuid4()), payload="/request_human")
    await seen_by.wait_for(lambda f: f["type"] == "queue_changed" and f.get("tenant_id") == tenant)


# --- one instance ------------------------------------------------------------------------


async def test_a_password_reset_closes_the_agents_open_console_at_once(
    gateway: TestClient, with_admin: Database, people: Open
) -> None:
    kari = await people(gateway, KARI)
    ada = await people(gateway, ADMIN, socket=False)
    kari_id = await agent_id(with_admin, KARI)
    response = await admin_call(ada, "POST", f"/agents/{kari_id}/password", {"password": "a-brand-new-password-42"})
    assert response.status == 200
    assert await closed_with(kari) == SESSION_ENDED


async def test_removing_a_tenant_narrows_the_open_console_to_the_tenants_that_remain(
    gateway: TestClient, with_admin: Database, people: Open
) -> None:
    kari = await people(gateway, KARI)  # serves nordlys and fjordnett
    ada = await people(gateway, ADMIN, socket=False)
    nordlys, fjordnett = await tenant_id(with_admin, "nordlys"), await tenant_id(with_admin, "fjordnett")
    kari_id = await agent_id(with_admin, KARI)

    response = await admin_call(ada, "PUT", f"/agents/{kari_id}/tenants", {"tenants": ["fjordnett"]})
    assert response.status == 200
    narrowed = await kari.wait_for(lambda f: f["type"] == "queue_changed" and "tenants" in f)
    assert narrowed["tenants"] == [fjordnett]

    # A nordlys escalation (Sofie hears it) no longer reaches Kari; the fjordnett one after it does.
    sofie = await people(gateway, SUP)
    await escalate(await people(gateway, "customer", tenant="nordlys"), sofie, nordlys)
    await escalate(await people(gateway, "customer", tenant="fjordnett"), sofie, fjordnett)
    await kari.wait_for(lambda f: f["type"] == "queue_changed" and f.get("tenant_id") == fjordnett)
    assert not [f for f in kari.received if f.get("tenant_id") == nordlys]
    assert kari.ws is not None and not kari.ws.closed  # still working for fjordnett
    await kari.send(type="heartbeat", ref="h")
    await kari.next_of("heartbeat_ack", ref="h")


async def test_an_open_console_closes_when_its_session_expires_without_any_frame(
    make_gateway: Callable[..., Awaitable[TestClient]], people: Open
) -> None:
    gateway = await make_gateway(agent_session_hours=3 / 3600)  # a 3 s session: sign-in and socket fit in it under load
    kari = await people(gateway, KARI)
    assert await closed_with(kari) == SESSION_ENDED


async def test_a_password_reset_from_the_command_line_is_found_by_the_periodic_recheck(
    make_gateway: Callable[..., Awaitable[TestClient]], desk_db: Database, people: Open
) -> None:
    # The CLI without Redis cannot signal the gateway: the console's periodic re-check finds it.
    gateway = await make_gateway(agent_session_recheck_seconds=0.3)
    kari = await people(gateway, KARI)
    assert await admin.reset_password(desk_db.sessionmaker, KARI, "a-brand-new-password-42") == 1
    assert await closed_with(kari) == SESSION_ENDED


async def test_a_closed_console_of_a_signed_out_agent_cannot_reconnect(
    gateway: TestClient, people: Open
) -> None:
    kari = await people(gateway, KARI)
    assert (await kari.post("/agent/api/logout")).status == 200
    assert await closed_with(kari) == SESSION_ENDED
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await kari.open_socket()
    assert refused.value.status == 401


# --- two instances over Redis ---------------------------------------------------------------


async def test_logging_out_on_one_instance_closes_the_console_on_the_other(
    two_gateways: tuple[TestClient, TestClient], people: Open
) -> None:
    instance_a, instance_b = two_gateways
    on_b = await people(instance_b, KARI)
    on_a = await people(instance_a, KARI, socket=False)  # a second tab, logged in separately
    assert (await on_a.post("/agent/api/logout")).status == 200
    assert await closed_with(on_b) == SESSION_ENDED


async def test_a_password_reset_on_one_instance_closes_the_console_on_the_other(
    two_gateways: tuple[TestClient, TestClient], with_admin: Database, people: Open
) -> None:
    instance_a, instance_b = two_gateways
    kari = await people(instance_b, KARI)
    ada = await people(instance_a, ADMIN, socket=False)
    kari_id = await agent_id(with_admin, KARI)
    assert (await admin_call(ada, "POST", f"/agents/{kari_id}/password", {"password": "a-brand-new-password-42"})).status == 200
    assert await closed_with(kari) == SESSION_ENDED


async def test_removing_a_tenant_on_one_instance_narrows_the_console_on_the_other(
    two_gateways: tuple[TestClient, TestClient], with_admin: Database, people: Open
) -> None:
    instance_a, instance_b = two_gateways
    kari = await people(instance_b, KARI)
    ada = await people(instance_a, ADMIN, socket=False)
    nordlys, fjordnett = await tenant_id(with_admin, "nordlys"), await tenant_id(with_admin, "fjordnett")
    kari_id = await agent_id(with_admin, KARI)
    assert (await admin_call(ada, "PUT", f"/agents/{kari_id}/tenants", {"tenants": ["fjordnett"]})).status == 200
    narrowed = await kari.wait_for(lambda f: f["type"] == "queue_changed" and "tenants" in f)
    assert narrowed["tenants"] == [fjordnett]

    sofie = await people(instance_b, SUP)
    await escalate(await people(instance_a, "customer", tenant="nordlys"), sofie, nordlys)
    await escalate(await people(instance_a, "customer", tenant="fjordnett"), sofie, fjordnett)
    await kari.wait_for(lambda f: f["type"] == "queue_changed" and f.get("tenant_id") == fjordnett)
    assert not [f for f in kari.received if f.get("tenant_id") == nordlys]


async def test_removing_every_tenant_leaves_the_console_hearing_no_tenant(
    gateway: TestClient, with_admin: Database, people: Open
) -> None:
    kari = await people(gateway, KARI)
    ada = await people(gateway, ADMIN, socket=False)
    nordlys = await tenant_id(with_admin, "nordlys")
    kari_id = await agent_id(with_admin, KARI)
    assert (await admin_call(ada, "PUT", f"/agents/{kari_id}/tenants", {"tenants": []})).status == 200
    assert (await kari.wait_for(lambda f: f["type"] == "queue_changed" and "tenants" in f))["tenants"] == []
    sofie = await people(gateway, SUP)
    await escalate(await people(gateway, "customer", tenant="nordlys"), sofie, nordlys)
    await kari.send(type="heartbeat", ref="h")
    await kari.next_of("heartbeat_ack", ref="h")
    assert not [f for f in kari.received if f.get("tenant_id") == nordlys]


async def test_a_password_reset_from_the_command_line_with_redis_closes_consoles_at_once(
    make_gateway: Callable[..., Awaitable[TestClient]], db_url: str, people: Open,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prefix = f"bpo-test-{secrets.token_hex(4)}:"
    # A re-check far away: only the signal the command publishes can close the socket in time.
    gateway = await make_gateway(redis_url=REDIS_URL, redis_prefix=prefix, agent_session_recheck_seconds=600)
    kari = await people(gateway, KARI)
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("REDIS_PREFIX", prefix)
    monkeypatch.setenv("NEW_PASSWORD", "a-brand-new-password-42")
    argv = ["--database-url", db_url, KARI, "--password-env", "NEW_PASSWORD"]
    assert await asyncio.to_thread(cli.reset_password, argv) == 0
    assert await closed_with(kari) == SESSION_ENDED
