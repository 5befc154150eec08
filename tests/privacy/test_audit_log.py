"""The audit log: entries appended in the recorded action's transaction, listed for supervisors
of the tenant only, and nobody can change them (bot/privacy/audit.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from bot.db import Database, TenantRef
from bot.db.agents import AgentScope, create_agent, load_agent_scope
from bot.db.models import AuditEntry
from bot.db import audit
from bot.privacy.audit import AuditNotVisible, list_for_supervisor


async def _scope(database: Database, role: str, tenants: list[TenantRef]) -> AgentScope:
    async with database.sessionmaker.begin() as session:
        agent = await create_agent(session, email=f"{role}-{len(tenants)}@bpo.example", display_name=role,
                                   password_hash="not-a-real-hash", role=role, tenants=tenants)
        scope = await load_agent_scope(session, agent.id)
    assert scope is not None
    return scope


async def test_a_recorded_read_is_listed_for_the_supervisor_of_that_tenant_newest_first(
    database: Database, nordlys: TenantRef
) -> None:
    agent = await _scope(database, "agent", [nordlys])
    supervisor = await _scope(database, "supervisor", [nordlys])
    async with database.sessionmaker.begin() as session:
        await audit.record(session, audit.Actor.agent(agent), audit.TRANSCRIPT_READ, tenant_id=nordlys.id,
                           target_kind="conversation", target_id="c-1")
        await audit.record(session, audit.Actor.agent(agent), audit.ACCOUNT_CARD_READ, tenant_id=nordlys.id,
                           target_kind="account", target_id="10000001")

    listed = await list_for_supervisor(database, supervisor)

    assert [(e.action, e.actor_id, e.actor_role, e.target_id) for e in listed] == [
        (audit.ACCOUNT_CARD_READ, agent.agent_id, "agent", "10000001"),
        (audit.TRANSCRIPT_READ, agent.agent_id, "agent", "c-1"),
    ]
    # and reading the log is itself on it
    [read] = await list_for_supervisor(database, supervisor, action=audit.AUDIT_READ)
    assert read.actor_id == supervisor.agent_id


async def test_an_entry_written_in_a_transaction_that_rolled_back_is_not_there(
    database: Database, nordlys: TenantRef
) -> None:
    supervisor = await _scope(database, "supervisor", [nordlys])
    with pytest.raises(RuntimeError):
        async with database.sessionmaker.begin() as session:
            await audit.record(session, audit.Actor.system(), audit.HANDOFF_TRANSITION, tenant_id=nordlys.id,
                               details={"to": "queued"})
            raise RuntimeError("the transition failed")

    assert await list_for_supervisor(database, supervisor, action=audit.HANDOFF_TRANSITION) == []


async def test_agents_cannot_list_the_audit_log(database: Database, nordlys: TenantRef) -> None:
    agent = await _scope(database, "agent", [nordlys])

    with pytest.raises(AuditNotVisible):
        await list_for_supervisor(database, agent)


async def test_a_supervisor_sees_only_the_tenants_they_serve(
    database: Database, nordlys: TenantRef, fjordnett: TenantRef
) -> None:
    supervisor = await _scope(database, "supervisor", [nordlys])
    async with database.sessionmaker.begin() as session:
        await audit.record(session, audit.Actor.system(), audit.ADMIN_CHANGE, tenant_id=fjordnett.id,
                           details={"change": "tenant.updated"})

    assert await list_for_supervisor(database, supervisor, action=audit.ADMIN_CHANGE) == []
    with pytest.raises(AuditNotVisible):
        await list_for_supervisor(database, supervisor, tenant_id=fjordnett.id)


async def test_pages_go_back_from_the_last_id_seen(database: Database, nordlys: TenantRef) -> None:
    supervisor = await _scope(database, "supervisor", [nordlys])
    async with database.sessionmaker.begin() as session:
        for number in range(5):
            await audit.record(session, audit.Actor.system(), audit.HANDOFF_TRANSITION, tenant_id=nordlys.id,
                               target_kind="conversation", target_id=f"c-{number}")

    first = await list_for_supervisor(database, supervisor, action=audit.HANDOFF_TRANSITION, limit=3)
    rest = await list_for_supervisor(database, supervisor, action=audit.HANDOFF_TRANSITION,
                                           before_id=first[-1].id)

    assert [e.target_id for e in first + rest] == ["c-4", "c-3", "c-2", "c-1", "c-0"]


@pytest.mark.parametrize("statement", [update(AuditEntry).values(target_id="x"), delete(AuditEntry)])
async def test_nobody_can_change_or_delete_an_entry(database: Database, nordlys: TenantRef, statement) -> None:
    async with database.sessionmaker.begin() as session:
        await audit.record(session, audit.Actor.system(), audit.ADMIN_CHANGE, tenant_id=nordlys.id)

    with pytest.raises(Exception, match="append-only"):
        async with database.sessionmaker.begin() as session:
            await session.execute(statement)
