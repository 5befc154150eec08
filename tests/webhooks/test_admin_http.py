"""The webhooks admin API (/agent/api/admin/tenants/{slug}/webhooks): the CLI's use cases over
HTTP, admins only, the admin API's error shape, one tenant's endpoints never reachable
through another's path."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select, update

from bot.db import Database
from bot.db.audit import ADMIN_CHANGE, WEBHOOK_DISABLED
from bot.db.models import AuditEntry, WebhookDelivery, WebhookEndpoint
from bot.db.tenants import tenant_ref
from bot.db.types import utcnow
from bot.db.webhooks import record_event
from tests.console.support import AgentConsole
from tests.webhooks.conftest import FAST, Receiver, documented_verifier, wait_for
from tests.webhooks.gateway_fixtures import (  # noqa: F401 - fixtures
    KARI,
    SUP,
    WEBHOOKS,
    ada,
    console,
    desk_db,
    fake_rasa,
    gateway,
    rasa_stand_in,
    redactor,
    settings,
)

NORDLYS = WEBHOOKS.format(tenant="nordlys")
FJORDNETT = WEBHOOKS.format(tenant="fjordnett")


async def call(
    agent: AgentConsole, method: str, path: str, body: Any = None, *, csrf: str | None = None
) -> aiohttp.ClientResponse:
    headers = {"X-CSRF-Token": agent.csrf if csrf is None else csrf}
    return await agent.http.request(method, f"{agent.base_url}{path}", json=body, headers=headers)


async def ok(response: aiohttp.ClientResponse, status: int = 200) -> dict[str, Any]:
    assert response.status == status, await response.text()
    return await response.json()


async def error_of(response: aiohttp.ClientResponse, status: int) -> dict[str, str]:
    assert response.status == status, await response.text()
    body = await response.json()
    assert set(body) == {"error"} and set(body["error"]) >= {"code", "message"}, body
    return body["error"]


async def add(ada: AgentConsole, url: str, events: list[str] | None = None, path: str = NORDLYS) -> dict[str, Any]:
    body: dict[str, Any] = {"url": url}
    if events is not None:
        body["events"] = events
    response = await call(ada, "POST", path, body)
    assert response.headers.get("Cache-Control") == "no-store", "the answer carries a secret"
    return await ok(response, 201)


async def test_an_admin_registers_an_endpoint_whose_secret_is_shown_once_and_lists_it_without(
    ada: AgentConsole, desk_db: Database
) -> None:
    created = await add(ada, "https://crm.example.com/hooks", ["ticket.created", "ticket.updated"])
    secret, endpoint = created["secret"], created["endpoint"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert endpoint["events"] == ["ticket.created", "ticket.updated"] and endpoint["enabled"] is True

    listed = await ok(await call(ada, "GET", NORDLYS))
    assert [e["id"] for e in listed["endpoints"]] == [endpoint["id"]]
    assert "message.created" in listed["event_types"]
    one = await ok(await call(ada, "GET", f"{NORDLYS}/{endpoint['id']}"))
    assert secret not in json.dumps(listed) and secret not in json.dumps(one)
    assert one["endpoint"] == listed["endpoints"][0]

    async with desk_db.sessionmaker() as session:
        audit = (await session.scalars(select(AuditEntry).where(AuditEntry.action == ADMIN_CHANGE))).all()
    assert [(a.target_kind, a.details["change"]) for a in audit] == [("webhook_endpoint", "webhook.added")]
    assert secret not in json.dumps([a.details for a in audit])


async def test_events_default_to_all_but_message_created_and_can_be_changed(ada: AgentConsole) -> None:
    endpoint = (await add(ada, "https://crm.example.com/hooks"))["endpoint"]
    assert endpoint["events"] == ["*"]
    changed = await ok(await call(ada, "PATCH", f"{NORDLYS}/{endpoint['id']}", {"events": ["message.created", "*"]}))
    assert changed["endpoint"]["events"] == ["*", "message.created"]


async def test_rotating_the_secret_keeps_the_old_one_signing_through_the_overlap(
    ada: AgentConsole, receiver: Receiver, desk_db: Database
) -> None:
    created = await add(ada, receiver.url(), ["ticket.created"])
    endpoint_id, old = created["endpoint"]["id"], created["secret"]
    rotated = await ok(await call(ada, "POST", f"{NORDLYS}/{endpoint_id}/secret", {"overlap_hours": 2}))
    new = rotated["secret"]
    assert new != old and rotated["endpoint"]["previous_secret_valid_until"] is not None

    async with desk_db.sessionmaker.begin() as session:
        nordlys = await tenant_ref(session, "nordlys")
        await record_event(session, nordlys.id, "ticket.created", {"ticket": {"reference": "NRD-1"}})
    await wait_for(lambda: len(receiver.arrivals) == 1)  # the gateway's own worker sent it
    [arrival] = receiver.arrivals
    verify = documented_verifier()
    assert verify(old, arrival.headers["X-BPO-Signature"], arrival.body)
    assert verify(new, arrival.headers["X-BPO-Signature"], arrival.body)


async def test_disable_and_enable_and_remove(ada: AgentConsole, desk_db: Database) -> None:
    endpoint_id = (await add(ada, "https://crm.example.com/hooks"))["endpoint"]["id"]
    disabled = await ok(await call(ada, "PATCH", f"{NORDLYS}/{endpoint_id}", {"enabled": False}))
    assert disabled["endpoint"]["enabled"] is False and disabled["endpoint"]["disabled_for_failing"] is False
    enabled = await ok(await call(ada, "PATCH", f"{NORDLYS}/{endpoint_id}", {"enabled": True}))
    assert enabled["endpoint"]["enabled"] is True and enabled["endpoint"]["disabled_reason"] is None

    assert (await ok(await call(ada, "DELETE", f"{NORDLYS}/{endpoint_id}"))) == {"removed": endpoint_id}
    assert (await ok(await call(ada, "GET", NORDLYS)))["endpoints"] == []
    await error_of(await call(ada, "GET", f"{NORDLYS}/{endpoint_id}"), 404)


async def test_an_endpoint_failing_for_24_hours_is_disabled_and_the_admin_api_says_so(
    ada: AgentConsole, receiver: Receiver, desk_db: Database
) -> None:
    endpoint_id = (await add(ada, receiver.url(), ["ticket.created"]))["endpoint"]["id"]
    async with desk_db.sessionmaker.begin() as session:
        # It has failed since yesterday; the next failure crosses the 24 hours.
        await session.execute(
            update(WebhookEndpoint).values(failing_since=utcnow() - FAST.disable_after - timedelta(minutes=1))
        )
        nordlys = await tenant_ref(session, "nordlys")
        event_id = await record_event(session, nordlys.id, "ticket.created", {"ticket": {}})
    receiver.reply(event_id, (500, {}))

    await wait_for(lambda: len(receiver.arrivals) == 1)

    async def disabled() -> dict[str, Any]:
        return (await ok(await call(ada, "GET", f"{NORDLYS}/{endpoint_id}")))["endpoint"]

    for _ in range(200):
        endpoint = await disabled()
        if not endpoint["enabled"]:
            break
        await asyncio.sleep(0.05)
    assert endpoint["enabled"] is False and endpoint["disabled_for_failing"] is True
    assert "enable the endpoint" in endpoint["notice"]
    async with desk_db.sessionmaker() as session:
        told = (await session.scalars(select(AuditEntry).where(AuditEntry.action == WEBHOOK_DISABLED))).all()
    assert [(t.tenant_id, t.target_id, t.actor_kind) for t in told] == [(nordlys.id, str(endpoint_id), "system")]

    log = (await ok(await call(ada, "GET", f"{NORDLYS}/deliveries?endpoint={endpoint_id}")))["deliveries"]
    [waiting] = [d for d in log if d["event_id"] == event_id]
    assert (waiting["status"], waiting["last_status_code"], waiting["attempts"]) == ("pending", 500, 1)

    # Once fixed and enabled again, what waited is sent.
    await ok(await call(ada, "PATCH", f"{NORDLYS}/{endpoint_id}", {"enabled": True}))
    await wait_for(lambda: [a.status for a in receiver.arrivals] == [500, 200])


async def test_the_delivery_log_filters_and_a_manual_redelivery_sends_again(
    ada: AgentConsole, receiver: Receiver, desk_db: Database
) -> None:
    endpoint_id = (await add(ada, receiver.url(), ["ticket.created"]))["endpoint"]["id"]
    async with desk_db.sessionmaker.begin() as session:
        nordlys = await tenant_ref(session, "nordlys")
        event_id = await record_event(session, nordlys.id, "ticket.created", {"ticket": {}})
    receiver.reply(event_id, (410, {}))  # gone: final, no retry
    await wait_for(lambda: len(receiver.arrivals) == 1)

    async def failed() -> list[dict[str, Any]]:
        return (await ok(await call(ada, "GET", f"{NORDLYS}/deliveries?status=failed")))["deliveries"]

    for _ in range(200):
        if await failed():
            break
        await asyncio.sleep(0.05)
    [delivery] = await failed()
    assert (delivery["endpoint_id"], delivery["event_id"], delivery["event_type"]) == (endpoint_id, event_id, "ticket.created")
    assert (delivery["last_status_code"], delivery["attempts"]) == (410, 1)
    assert (await ok(await call(ada, "GET", f"{NORDLYS}/deliveries?status=delivered")))["deliveries"] == []
    by_event = await ok(await call(ada, "GET", f"{NORDLYS}/deliveries?event={event_id}&limit=5"))
    assert [d["id"] for d in by_event["deliveries"]] == [delivery["id"]]

    await ok(await call(ada, "POST", f"{NORDLYS}/deliveries/{delivery['id']}/redeliver"), 202)
    await wait_for(lambda: [a.status for a in receiver.arrivals] == [410, 200])
    assert receiver.processed == [event_id]


async def test_one_tenants_endpoints_and_deliveries_are_not_found_through_another_tenants_path(
    ada: AgentConsole, desk_db: Database
) -> None:
    theirs = (await add(ada, "https://fjord.example.com/hooks", ["*"], path=FJORDNETT))["endpoint"]["id"]
    async with desk_db.sessionmaker.begin() as session:
        fjordnett = await tenant_ref(session, "fjordnett")
        await record_event(session, fjordnett.id, "ticket.created", {"ticket": {}})
        delivery_id = await session.scalar(select(WebhookDelivery.id))

    assert (await ok(await call(ada, "GET", NORDLYS)))["endpoints"] == []
    assert (await ok(await call(ada, "GET", f"{NORDLYS}/deliveries")))["deliveries"] == []
    for method, path, body in [
        ("GET", f"{NORDLYS}/{theirs}", None),
        ("PATCH", f"{NORDLYS}/{theirs}", {"enabled": False}),
        ("POST", f"{NORDLYS}/{theirs}/secret", {}),
        ("DELETE", f"{NORDLYS}/{theirs}", None),
        ("GET", f"{NORDLYS}/deliveries?endpoint={theirs}", None),
        ("POST", f"{NORDLYS}/deliveries/{delivery_id}/redeliver", None),
        ("GET", WEBHOOKS.format(tenant="nosuchfirm"), None),
    ]:
        assert (await error_of(await call(ada, method, path, body), 404))["code"] == "not_found", (method, path)
    async with desk_db.sessionmaker() as session:
        endpoint = await session.get(WebhookEndpoint, theirs)
    assert endpoint is not None and endpoint.enabled, "untouched"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"url": "http://crm.example.com/hooks"}, "https"),
        ({"url": "https://10.0.0.7/hooks"}, "private"),
        ({"url": "https://169.254.169.254/latest"}, "link-local"),
        ({"url": "https://user:pw@crm.example.com/"}, "credentials"),
        ({"url": "https://crm.example.com/", "events": ["ticket.deleted"]}, "unknown event types"),
        ({"url": "https://crm.example.com/", "events": []}, "at least one"),
        ({"url": "https://crm.example.com/", "events": "ticket.created"}, "list of strings"),
        ({"events": ["*"]}, "url"),
        ({"url": 42}, "url"),
    ],
)
async def test_bad_registrations_get_a_clear_bad_request_and_store_nothing(
    ada: AgentConsole, desk_db: Database, body: dict[str, Any], says: str
) -> None:
    error = await error_of(await call(ada, "POST", NORDLYS, body), 400)
    assert error["code"] == "bad_request" and says in error["message"], error
    async with desk_db.sessionmaker() as session:
        assert (await session.scalars(select(WebhookEndpoint))).all() == []


async def test_other_bad_input_gets_a_clear_bad_request(ada: AgentConsole) -> None:
    endpoint_id = (await add(ada, "https://crm.example.com/hooks"))["endpoint"]["id"]
    for method, path, body in [
        ("GET", f"{NORDLYS}/abc", None),
        ("PATCH", f"{NORDLYS}/{endpoint_id}", {}),
        ("PATCH", f"{NORDLYS}/{endpoint_id}", {"url": "https://elsewhere.example.com"}),
        ("PATCH", f"{NORDLYS}/{endpoint_id}", {"enabled": "yes"}),
        ("PATCH", f"{NORDLYS}/{endpoint_id}", ["events"]),
        ("POST", f"{NORDLYS}/{endpoint_id}/secret", {"overlap_hours": -1}),
        ("POST", f"{NORDLYS}/{endpoint_id}/secret", {"overlap_hours": "24"}),
        ("GET", f"{NORDLYS}/deliveries?status=lost", None),
        ("GET", f"{NORDLYS}/deliveries?limit=0", None),
        ("GET", f"{NORDLYS}/deliveries?endpoint=x", None),
        ("POST", f"{NORDLYS}/deliveries/x/redeliver", None),
    ]:
        error = await error_of(await call(ada, method, path, body), 400)
        assert error["code"] in ("bad_request", "bad_json"), (method, path, error)
    unchanged = (await ok(await call(ada, "GET", f"{NORDLYS}/{endpoint_id}")))["endpoint"]
    assert unchanged["url"] == "https://crm.example.com/hooks" and unchanged["enabled"] is True


async def test_agents_and_supervisors_may_not_and_writes_need_the_csrf_token(
    ada: AgentConsole, console: Any, desk_db: Database
) -> None:
    endpoint_id = (await add(ada, "https://crm.example.com/hooks"))["endpoint"]["id"]
    kari, sup = await console(KARI, socket=False), await console(SUP, socket=False)
    for agent in (kari, sup):
        assert (await error_of(await call(agent, "GET", NORDLYS), 403))["code"] == "forbidden"
        await error_of(await call(agent, "POST", NORDLYS, {"url": "https://x.example.com/"}), 403)
        await error_of(await call(agent, "GET", f"{NORDLYS}/deliveries"), 403)
    await error_of(await call(ada, "PATCH", f"{NORDLYS}/{endpoint_id}", {"enabled": False}, csrf="wrong"), 403)
    await error_of(await call(ada, "POST", NORDLYS, {"url": "https://y.example.com/"}, csrf=""), 403)
    async with desk_db.sessionmaker() as session:
        endpoints = (await session.scalars(select(WebhookEndpoint))).all()
    assert [(e.id, e.enabled) for e in endpoints] == [(endpoint_id, True)]
