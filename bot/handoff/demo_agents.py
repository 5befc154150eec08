"""Demo agents and canned responses for the three demo firms (idempotent).

Call seed_demo_agents(session) after bot.demo.seed_demo in the same transaction.
Every demo agent logs in to the console with DEMO_AGENT_PASSWORD:

  kari@bpo.example  agent       nordlys, fjordnett   en, nb
  sam@bpo.example   agent       lighthouse           en
  sup@bpo.example   supervisor  all three            en, nb

A re-run updates names, roles, languages and tenants but keeps a password an
operator has changed since (reset-password), and upserts canned responses by
shortcut.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.agents import (
    create_agent,
    find_agent_by_email,
    set_agent_languages,
    set_agent_tenants,
)
from bot.db.canned import put_canned_response
from bot.db.errors import TenantNotFound
from bot.db.models import Agent
from bot.db.tenants import TenantRef, tenant_ref
from bot.handoff.auth import hash_password

DEMO_AGENT_PASSWORD = "demo-agent-password"  # demo only; documented in README


@dataclass(frozen=True)
class DemoAgentSpec:
    email: str
    display_name: str
    role: str
    tenants: tuple[str, ...]
    languages: tuple[str, ...]
    max_concurrent_chats: int = 3


DEMO_AGENTS = (
    DemoAgentSpec("kari@bpo.example", "Kari", "agent", ("nordlys", "fjordnett"), ("en", "nb")),
    DemoAgentSpec("sam@bpo.example", "Sam", "agent", ("lighthouse",), ("en",)),
    DemoAgentSpec(
        "sup@bpo.example", "Sofie", "supervisor", ("nordlys", "fjordnett", "lighthouse"), ("en", "nb")
    ),
)

DEMO_CANNED: dict[str, dict[str, str]] = {
    "nordlys": {
        "hei": "Hei! Jeg har tatt over samtalen og ser på saken din nå.",
        "sjekker": "Et øyeblikk, jeg sjekker dette for deg.",
        "faktura": "Du finner alle fakturaene dine på Min side under «Fakturaer».",
        "takk": "Takk for at du kontaktet Nordlys Energi. Ha en fin dag!",
    },
    "fjordnett": {
        "hello": "Hi! I've taken over the chat and I'm looking at your case now.",
        "restart": (
            "Could you unplug your router for 30 seconds, plug it back in"
            " and tell me when the lights are steady?"
        ),
        "checking": "One moment, I'm checking that for you.",
        "bye": "Thanks for contacting Fjordnett. Have a good day!",
    },
    "lighthouse": {
        "hello": "Hello! I've taken over the chat and I'm looking at your case now.",
        "claim-docs": "Please upload photos and receipts for your claim on My Lighthouse under 'Claims'.",
        "checking": "One moment, I'm checking that for you.",
        "bye": "Thanks for contacting Lighthouse Insurance. Take care!",
    },
}


@dataclass(frozen=True)
class DemoAgentsSummary:
    agents_created: int
    agents: tuple[DemoAgentSpec, ...]
    password: str


async def seed_demo_agents(session: AsyncSession) -> DemoAgentsSummary:
    """Write the demo agents and canned responses into the session's transaction (caller commits)."""
    tenants = {slug: await _tenant(session, slug) for slug in DEMO_CANNED}
    created = 0
    for spec in DEMO_AGENTS:
        created += await _upsert_agent(session, spec, tenants)
    for slug, responses in DEMO_CANNED.items():
        for shortcut, text in responses.items():
            await put_canned_response(session, tenants[slug], shortcut, text)
    return DemoAgentsSummary(created, DEMO_AGENTS, DEMO_AGENT_PASSWORD)


async def _upsert_agent(session: AsyncSession, spec: DemoAgentSpec, tenants: dict[str, TenantRef]) -> bool:
    serves = [tenants[slug] for slug in spec.tenants]
    agent: Agent | None = await find_agent_by_email(session, spec.email)
    if agent is None:
        await create_agent(
            session,
            email=spec.email,
            display_name=spec.display_name,
            password_hash=_demo_password_hash(),
            role=spec.role,
            languages=spec.languages,
            max_concurrent_chats=spec.max_concurrent_chats,
            tenants=serves,
        )
        return True
    agent.display_name, agent.role = spec.display_name, spec.role
    agent.max_concurrent_chats = spec.max_concurrent_chats
    await session.flush()
    await set_agent_languages(session, agent.id, spec.languages)
    await set_agent_tenants(session, agent.id, serves)
    return False


@cache
def _demo_password_hash() -> str:
    # Once per process: argon2 is slow on purpose, and re-seeding must stay quick.
    return hash_password(DEMO_AGENT_PASSWORD)


async def _tenant(session: AsyncSession, slug: str) -> TenantRef:
    ref = await tenant_ref(session, slug)
    if ref is None:
        raise TenantNotFound(slug)  # run bot.demo.seed_demo first
    return ref
