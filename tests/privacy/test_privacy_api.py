"""The console's personal-data endpoints: supervisors list the audit log, admins export and
erase what is held about a person (bot/privacy/http.py), on the real gateway app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from bot.db import Database, TenantRef
from bot.db import audit
from bot.db.agents import create_agent
from bot.handoff.auth import hash_password
from bot.handoff.demo_agents import DEMO_AGENT_PASSWORD
from tests.console.conftest import (  # noqa: F401  (the console's fixtures: gateway, logins)
    KARI,
    SUP,
    console,
    desk_db,
    fake_rasa,
    rasa_stand_in,
    gateway,
    redactor,
    settings,
)
from tests.console.support import AgentConsole

from .conftest import NewConversation

ADMIN = "ada@bpo.example"
SUBJECTS = "/agent/api/admin/tenants/nordlys/subjects"
Console = Callable[..., Awaitable[AgentConsole]]


@pytest.fixture
async def admin_db(desk_db: Database) -> Database:  # noqa: F811
    async with desk_db.sessionmaker.begin() as session:
        await create_agent(session, email=ADMIN, display_name="Ada",
                           password_hash=hash_password(DEMO_AGENT_PASSWORD), role="admin")
    return desk_db


async def _post(agent: AgentConsole, path: str, body: dict[str, Any]) -> aiohttp.ClientResponse:
    return await agent.post(path, body)


async def test_a_supervisor_lists_the_audit_log_of_their_tenants(
    console: Console, desk_db: Database, nordlys: TenantRef  # noqa: F811
) -> None:
    async with desk_db.sessionmaker.begin() as session:
        await audit.record(session, audit.Actor.system(), audit.HANDOFF_TRANSITION, tenant_id=nordlys.id,
                           target_kind="conversation", target_id="c-1", details={"to": "queued"})
    supervisor = await console(SUP, socket=False)

    response = await supervisor.get(f"/agent/api/audit?tenant_id={nordlys.id}&action=handoff.transition")

    assert response.status == 200, await response.text()
    [entry] = (await response.json())["entries"]
    assert (entry["action"], entry["target_id"], entry["details"]) == ("handoff.transition", "c-1", {"to": "queued"})


async def test_an_agent_may_not_list_the_audit_log(console: Console) -> None:  # noqa: F811
    kari = await console(KARI, socket=False)

    response = await kari.get("/agent/api/audit")

    assert response.status == 403


async def test_an_admin_exports_and_erases_a_person(
    console: Console, admin_db: Database, nordlys: TenantRef, new_conversation: NewConversation  # noqa: F811
) -> None:
    conversation_id = await new_conversation(nordlys, days_ago=1)
    ada = await console(ADMIN, socket=False)

    exported = await _post(ada, f"{SUBJECTS}/export", {"conversation": conversation_id})
    assert exported.status == 200, await exported.text()
    [conversation] = (await exported.json())["conversations"]
    assert [m["text"] for m in conversation["messages"]] == ["my account is 10000001", "thanks"]

    erased = await _post(ada, f"{SUBJECTS}/erase", {"conversation": conversation_id})
    assert erased.status == 200, await erased.text()
    assert (await erased.json())["erased"]["conversations"] == 1

    again = await _post(ada, f"{SUBJECTS}/export", {"conversation": conversation_id})
    assert again.status == 404


async def test_subject_requests_are_for_admins_only_and_name_one_person(
    console: Console, admin_db: Database  # noqa: F811
) -> None:
    supervisor = await console(SUP, socket=False)
    ada = await console(ADMIN, socket=False)

    assert (await _post(supervisor, f"{SUBJECTS}/export", {"account": "10000001"})).status == 403
    assert (await _post(ada, f"{SUBJECTS}/export", {"account": "10000001", "email": "x@example.no"})).status == 400
    assert (await ada.post(f"{SUBJECTS}/erase", {"account": "10000001"}, csrf="wrong")).status == 403
