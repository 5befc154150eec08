"""Demo agents: the documented people, tenants and languages; seeding twice changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db import TenantRef
from bot.db.models import Agent, AgentTenant, CannedResponse
from bot.admin import use_cases as admin
from bot.handoff.demo_agents import DEMO_AGENT_PASSWORD, seed_demo_agents

from .conftest import KARI, SAM, SUP, Desk


async def _counts(desk: Desk) -> tuple[int, int, int]:
    async with desk.database.sessionmaker() as session:
        return (
            await session.scalar(select(func.count()).select_from(Agent)) or 0,
            await session.scalar(select(func.count()).select_from(AgentTenant)) or 0,
            await session.scalar(select(func.count()).select_from(CannedResponse)) or 0,
        )


async def test_demo_agents_serve_the_documented_tenants_in_their_languages(
    desk: Desk, nordlys: TenantRef, fjordnett: TenantRef, lighthouse: TenantRef
) -> None:
    kari, sam, sup = [await desk.scope(email) for email in (KARI, SAM, SUP)]

    assert (kari.role, kari.tenant_ids, kari.languages) == ("agent", {nordlys.id, fjordnett.id}, ("en", "nb"))
    assert (sam.role, sam.tenant_ids, sam.languages) == ("agent", {lighthouse.id}, ("en",))
    assert (sup.role, sup.tenant_ids) == ("supervisor", {nordlys.id, fjordnett.id, lighthouse.id})


async def test_every_demo_agent_logs_in_with_the_documented_password(desk: Desk) -> None:
    for email in (KARI, SAM, SUP):
        assert (await desk.login.login(email, DEMO_AGENT_PASSWORD)).scope.agent_id > 0


async def test_each_demo_firm_has_canned_responses(
    desk: Desk, nordlys: TenantRef, fjordnett: TenantRef, lighthouse: TenantRef
) -> None:
    sup = await desk.scope(SUP)
    for tenant in (nordlys, fjordnett, lighthouse):
        assert len(await desk.workspace.canned_responses(sup, tenant.id)) >= 3


async def test_seeding_again_changes_nothing_and_keeps_a_reset_password(desk: Desk) -> None:
    before = await _counts(desk)
    await admin.reset_password(desk.database.sessionmaker, SAM, "sam's own passphrase")

    async with desk.database.sessionmaker.begin() as session:
        summary = await seed_demo_agents(session)

    assert summary.agents_created == 0
    assert await _counts(desk) == before
    await desk.login.login(SAM, "sam's own passphrase")
