"""Handoff fixtures: the demo database plus the demo agents, a controllable clock, the use cases.

The clock starts on Wednesday 2025-01-15 10:00 UTC, when all three demo firms
are open (Oslo 11:00, London 10:00). Agents start offline; tests bring them
online with `online(...)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.db import Database, TenantRef
from bot.db.agents import AgentScope, find_agent_by_email, load_agent_scope
from bot.db.conversations import add_customer_message, add_message, start_conversation
from bot.handoff.demo_agents import seed_demo_agents
from bot.handoff.login import AgentLogin
from bot.handoff.use_cases import HandoffService
from bot.handoff.workspace import AgentWorkspace
from bot.redaction import Redactor

OPEN_WEDNESDAY = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)
KARI, SAM, SUP = "kari@bpo.example", "sam@bpo.example", "sup@bpo.example"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Desk:
    """The handoff use cases on one database, sharing one clock."""

    database: Database
    clock: Clock
    service: HandoffService
    workspace: AgentWorkspace
    login: AgentLogin

    async def scope(self, email: str) -> AgentScope:
        async with self.database.sessionmaker() as session:
            agent = await find_agent_by_email(session, email)
            assert agent is not None, email
            scope = await load_agent_scope(session, agent.id)
        assert scope is not None
        return scope

    async def online(self, *emails: str) -> list[AgentScope]:
        scopes = [await self.scope(email) for email in emails]
        for scope in scopes:
            await self.service.set_presence(scope, "online")
        return scopes

    async def conversation(
        self, tenant: TenantRef, *, language: str = "en", customer_says: str = "I need help"
    ) -> str:
        """A chat with one customer message and one bot answer, in state 'bot'."""
        async with self.database.sessionmaker.begin() as session:
            conversation = await start_conversation(session, tenant, language=language)
            await add_customer_message(
                session, tenant, conversation.id, client_id="c1", text=customer_says
            )
            await add_message(session, tenant, conversation.id, role="bot", text="Let me get a person.")
        return conversation.id

    async def queued(self, tenant: TenantRef, *, language: str = "en") -> str:
        """A chat waiting in the queue (nobody eligible was free to take it)."""
        conversation_id = await self.conversation(tenant, language=language)
        outcome = await self.service.start_handoff(
            tenant, conversation_id, reason="customer_request", summary={"text": "wants a person"}
        )
        assert outcome.kind == "queued", outcome
        return conversation_id


@pytest.fixture(scope="session")
def redactor() -> Redactor:
    """The real redactor, built once: its spaCy pipeline takes a while to build."""
    return Redactor()


@pytest.fixture
def clock() -> Clock:
    return Clock(OPEN_WEDNESDAY)


@pytest.fixture
async def desk(database: Database, redactor: Redactor, clock: Clock) -> Desk:
    async with database.sessionmaker.begin() as session:
        await seed_demo_agents(session)
    return Desk(
        database,
        clock,
        HandoffService(database.sessionmaker, redactor, clock=clock),
        AgentWorkspace(database.sessionmaker, redactor, clock=clock),
        AgentLogin(database.sessionmaker, clock=clock),
    )
