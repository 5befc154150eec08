"""Every administrative change, and an agent's ticket changes, are in the audit log: who (the
admin's agent id, or the command line), what, which tenant; never a password or a secret.
Nobody can change or delete an entry through the product."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.admin import cli
from bot.db import Database
from bot.db import audit
from bot.db.models import AuditEntry
from bot.db.tenants import tenant_ref

from .conftest import KARI, SUP
from .support import AgentConsole
from .test_admin_api import ADMIN, NEW_PASSWORD, WRITES, Console, admin_db, ada, agent_id, call  # noqa: F401
from .test_console_workspace import queued_chat

CHANGES = {  # admin endpoint -> the change its entry names
    ("POST", "/tenants"): "tenant.created",
    ("POST", "/tenants/nordlys/identity-secret"): "identity_secret.rotated",
    ("POST", "/agents"): "agent.created",
    ("PUT", "/agents/{sam}/tenants"): "agent.tenants_set",
    ("PUT", "/agents/{sam}/languages"): "agent.languages_set",
    ("POST", "/agents/{sam}/password"): "agent.password_reset",
    ("POST", "/tenants/nordlys/canned"): "canned.added",
    ("DELETE", "/tenants/nordlys/canned/takk"): "canned.removed",
    ("PUT", "/tenants/nordlys/faq/opening_hours/en"): "faq.replaced",
    ("POST", "/tenants/nordlys/api-keys"): "api_key.created",
}


async def admin_changes(database: Database) -> list[AuditEntry]:
    async with database.sessionmaker() as session:
        return list(await session.scalars(
            select(AuditEntry).where(AuditEntry.action == audit.ADMIN_CHANGE).order_by(AuditEntry.id)
        ))


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=[f"{m} {p}" for m, p, _ in WRITES])
async def test_each_admin_change_through_the_api_is_recorded_with_the_admin_and_no_secret(
    ada: AgentConsole, admin_db: Database, method: str, path: str, body: dict[str, Any] | None
) -> None:
    sam = await agent_id(admin_db, "sam@bpo.example")
    response = await call(ada, method, path.format(sam=sam), body)
    assert response.status in (200, 201), await response.text()
    answer = await response.json()

    entries = await admin_changes(admin_db)
    assert entries, "no audit entry"
    assert {entry.details["change"] for entry in entries} == {CHANGES[(method, path)]}
    assert {(entry.actor_kind, entry.actor_id, entry.actor_role) for entry in entries} == {
        ("agent", await agent_id(admin_db, ADMIN), "admin")
    }
    if path == "/agents":  # an agent serving nobody yet: one entry without a tenant
        assert [entry.tenant_id for entry in entries] == [None]
    else:
        assert all(entry.tenant_id is not None for entry in entries)  # each firm sees its own
    recorded = json.dumps([entry.details for entry in entries]) + " ".join(str(e.target_id) for e in entries)
    assert NEW_PASSWORD not in recorded
    if "identity_secret" in answer:
        assert answer["identity_secret"] not in recorded


async def test_a_tenant_change_of_an_agent_is_recorded_for_the_tenants_gained_and_lost(
    ada: AgentConsole, admin_db: Database
) -> None:
    kari = await agent_id(admin_db, KARI)  # serves nordlys and fjordnett
    response = await call(ada, "PUT", f"/agents/{kari}/tenants", {"tenants": ["lighthouse"]})
    assert response.status == 200
    async with admin_db.sessionmaker() as session:
        slugs = {(await tenant_ref(session, slug)).id: slug for slug in ("nordlys", "fjordnett", "lighthouse")}  # type: ignore[union-attr]
    entries = await admin_changes(admin_db)
    assert sorted(slugs[entry.tenant_id] for entry in entries) == ["fjordnett", "lighthouse", "nordlys"]
    assert {entry.target_id for entry in entries} == {str(kari)}


async def test_a_change_from_the_command_line_is_recorded_as_the_command_line(
    desk_db: Database, db_url: str
) -> None:
    status = await asyncio.to_thread(cli.set_agent_languages, ["--database-url", db_url, KARI, "nb"])
    assert status == 0
    entries = await admin_changes(desk_db)
    assert {(entry.actor_kind, entry.actor_id) for entry in entries} == {("cli", None)}
    assert {entry.details["change"] for entry in entries} == {"agent.languages_set"}
    assert entries[0].details["languages"] == ["nb"]


async def test_an_agent_opening_and_moving_a_ticket_is_recorded(
    widget: Any, console: Console, desk_db: Database
) -> None:
    kari = await console(KARI)
    conversation_id, _ = await queued_chat(widget)
    base = f"/agent/api/conversations/{conversation_id}"
    created = await kari.post(f"{base}/tickets", {"subject": "Bill", "description": "Disputes the bill.",
                                                  "category": "billing"})
    reference = (await created.json())["ticket"]["reference"]
    assert (await kari.post(f"{base}/tickets/{reference}/status", {"status": "pending"})).status == 200

    async with desk_db.sessionmaker() as session:
        rows = list(await session.scalars(
            select(AuditEntry).where(AuditEntry.target_kind == "ticket").order_by(AuditEntry.id)
        ))
    assert [(row.action, row.target_id, row.actor_id) for row in rows] == [
        (audit.TICKET_OPENED, reference, kari.agent["id"]),
        (audit.TICKET_STATUS_CHANGED, reference, kari.agent["id"]),
    ]
    assert rows[1].details == {"conversation": conversation_id, "to": "pending"}


async def test_a_supervisor_lists_the_admin_changes_of_their_tenants(
    ada: AgentConsole, admin_db: Database, console: Console
) -> None:
    assert (await call(ada, "POST", "/tenants/nordlys/canned", {"shortcut": "new", "text": "Hi."})).status == 201
    sofie = await console(SUP, socket=False)
    listed = await (await sofie.get(f"/agent/api/audit?action={audit.ADMIN_CHANGE}")).json()
    assert [(e["details"]["change"], e["target_id"]) for e in listed["entries"]] == [("canned.added", "new")]


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "POST"])
async def test_nobody_can_change_or_delete_audit_entries_through_the_product(
    ada: AgentConsole, admin_db: Database, method: str
) -> None:
    assert (await call(ada, "POST", "/tenants/nordlys/canned", {"shortcut": "new", "text": "Hi."})).status == 201
    async with admin_db.sessionmaker() as session:
        before = list(await session.execute(select(AuditEntry.id, AuditEntry.action, AuditEntry.details)))
        entry_id = before[0].id
    for path in ("/agent/api/audit", f"/agent/api/audit/{entry_id}", f"/agent/api/admin/audit/{entry_id}"):
        response = await ada.http.request(method, f"{ada.base_url}{path}", json={"action": "x"},
                                          headers={"X-CSRF-Token": ada.csrf})
        assert response.status in (404, 405), (path, response.status)
    async with admin_db.sessionmaker() as session:
        after = list(await session.execute(select(AuditEntry.id, AuditEntry.action, AuditEntry.details)))
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == len(before)
    assert after == before
