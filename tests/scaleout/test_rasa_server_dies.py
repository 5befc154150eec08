"""Two real Rasa servers (each with its action server) sharing the tracker store on
PostgreSQL and the lock store on Redis, behind one gateway. The server a conversation
is on is killed between two turns of a form: the next turn goes to the other server,
which carries on with the same tracker (it asks for the postcode, not the account again).
"""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.gateway.rasa_client import RasaClient, RasaServers
from bot.stack.services import system_services
from bot.stack.supervisor import Supervisor

from .conftest import ON_POSTGRESQL, free_port_block, instance_env, scaled_config

pytestmark = [pytest.mark.e2e, ON_POSTGRESQL]


def cid() -> str:
    return str(uuid.uuid4())


def preferred_server(conversation_id: str, servers: int) -> int:
    """Which Rasa server the gateway sends this conversation to first (same hashing)."""
    dummy = [RasaClient(None, f"http://127.0.0.1:{i + 1}", "", 1.0) for i in range(servers)]  # type: ignore[arg-type]
    return RasaServers(dummy).order_for(conversation_id)[0]


def bot_text(frame: dict[str, Any]) -> str:
    return frame["text"] if frame["type"] == "message" and frame["role"] == "bot" else ""


async def test_next_turn_goes_to_the_other_rasa_server_with_the_same_tracker(
    db_url: str, tmp_path: Path, trained_model: Path, supervisor: Supervisor, open_tab: Any,
    redis_prefix: str,
) -> None:
    cfg = scaled_config(
        db_url, tmp_path / "logs", rasa_port=free_port_block(2), action_port=free_port_block(2),
        rasa_servers=2, gateways=1, rasa_token=secrets.token_urlsafe(16),
    )
    tiers = system_services(cfg)
    gateway = tiers[2][0]
    # A generous answer deadline: the surviving server's first turn may be slow on a busy
    # machine, and this test is about where the turn goes, not about speed.
    env = gateway.env | instance_env(redis_prefix) | {"RASA_TIMEOUT_SECONDS": "20"}
    tiers[2] = [type(gateway)(gateway.name, gateway.argv, env, gateway.health_url, 60.0)]
    await supervisor.start_all(tiers)
    assert tiers[1][0].env["LOCK_STORE_TYPE"] == "redis"

    tab = await open_tab(f"http://127.0.0.1:{cfg.gateway_port}")
    conversation_id = next(f for f in tab.received if f["type"] == "welcome")["conversation_id"]
    await tab.send(type="message", client_id=cid(), text="how much do I owe?")
    await tab.wait_for(lambda f: "account number" in bot_text(f))

    await supervisor.kill(f"rasa-{preferred_server(conversation_id, 2) + 1}")

    await tab.send(type="message", client_id=cid(), text="my account is 10000001")
    await tab.wait_for(lambda f: "postcode or email" in bot_text(f))
    await tab.send(type="message", client_id=cid(), text="0150")
    verified = await tab.wait_for(lambda f: "verified" in bot_text(f))
    assert verified
    assert not any(f["type"] == "error" for f in tab.received), tab.received

    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{cfg.gateway_port}/readyz") as response:
            assert response.status == 200  # one Rasa server left is enough to be ready
