"""The console tests' running gateway (real database, demo agents, a stand-in for Rasa),
with a fast webhook worker allowed to post to loopback, and an admin to register endpoints."""

from __future__ import annotations

from typing import Any

import pytest

from bot.db import Database
from bot.db.agents import create_agent
from bot.gateway import Settings
from bot.gateway.settings import RateLimit
from bot.handoff.auth import hash_password
from bot.handoff.demo_agents import DEMO_AGENT_PASSWORD
from tests.console.conftest import (  # noqa: F401 - fixtures re-exported to the webhook tests
    KARI,
    SUP,
    actions_use_the_database,
    console,
    desk_db,
    fake_rasa,
    gateway,
    rasa_stand_in,
    redactor,
    widget,
)
from tests.console.support import RASA_TOKEN, AgentConsole, ConsoleRasa
from tests.webhooks.conftest import FAST, Receiver

ADMIN = "ada@bpo.example"
WEBHOOKS = "/agent/api/admin/tenants/{tenant}/webhooks"


@pytest.fixture
def settings(db_url: str, fake_rasa: ConsoleRasa) -> Settings:
    """The console tests' gateway, with a fast webhook worker allowed to post to loopback."""
    return Settings(
        rasa_token=RASA_TOKEN, database_url=db_url, rasa_url=fake_rasa.url, action_server_url=fake_rasa.url,
        rasa_timeout_seconds=0.5, retry_initial_seconds=0.05, retry_max_seconds=0.2,
        rate_limit_per_conversation=RateLimit(100, 60.0), rate_limit_per_ip=RateLimit(1000, 60.0),
        agent_disconnect_grace_seconds=0.3, webhooks=FAST,
    )


@pytest.fixture
async def ada(desk_db: Database, console: Any) -> AgentConsole:  # noqa: F811
    async with desk_db.sessionmaker.begin() as session:
        await create_agent(
            session, email=ADMIN, display_name="Ada", password_hash=hash_password(DEMO_AGENT_PASSWORD), role="admin"
        )
    return await console(ADMIN, socket=False)


async def register(ada: AgentConsole, receiver: Receiver, path: str, events_: list[str]) -> str:
    """Through the admin API, as an operator would; returns the secret (shown once)."""
    url = WEBHOOKS.format(tenant="nordlys")
    response = await ada.post(url, {"url": receiver.url(path), "events": events_})
    assert response.status == 201, await response.text()
    return (await response.json())["secret"]
