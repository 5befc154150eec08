"""Real processes of the scaled-out system on this machine's PostgreSQL and Redis.

Every test here runs on PostgreSQL only (SQLite is the one-machine default), with its
own fresh database and its own Redis key prefix, and kills processes for real (SIGKILL).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.stack.services import StackConfig, gateway_service
from bot.stack.supervisor import Supervisor
from tests.gateway.support import ALLOWED_ORIGIN, RASA_TOKEN, FakeRasa

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
RECEIVE_GUARD_SECONDS = 30.0  # a hang guard, not a speed assertion

# For each test module's pytestmark (a conftest's own pytestmark applies to nothing).
ON_POSTGRESQL = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


def free_port_block(size: int) -> int:
    """A base port p with p .. p+size-1 all free right now."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + size > 65535:
            continue
        sockets = []
        try:
            for port in range(base, base + size):
                taken = socket.socket()
                sockets.append(taken)
                taken.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for taken in sockets:
                taken.close()
    raise RuntimeError("no block of free ports")


def scaled_config(
    db_url: str, log_dir: Path, *, rasa_port: int, action_port: int, rasa_servers: int = 1,
    gateways: int = 2, rasa_token: str = RASA_TOKEN,
) -> StackConfig:
    return StackConfig(
        database_url=db_url,
        rasa_token=rasa_token,
        rasa_port=rasa_port,
        action_port=action_port,
        gateway_port=free_port_block(gateways),
        log_dir=log_dir,
        rasa_servers=rasa_servers,
        gateways=gateways,
        redis_url=REDIS_URL,
    )


def instance_env(prefix: str) -> dict[str, str]:
    """Per test: its own Redis namespace, and a short turn-lock lease (a dead instance's
    conversations are taken over after it)."""
    return {
        "REDIS_PREFIX": prefix,
        "TURN_LOCK_LEASE_SECONDS": "2",
    }


@pytest.fixture
def redis_prefix() -> str:
    return f"bpo-test-{secrets.token_hex(4)}:"


@pytest.fixture
async def supervisor(tmp_path: Path) -> AsyncIterator[Supervisor]:
    supervisor = Supervisor(tmp_path / "logs")
    yield supervisor
    await supervisor.stop_all(grace=5.0)


@pytest.fixture
async def fake_rasa(aiohttp_server: Any) -> AsyncIterator[FakeRasa]:
    rasa = FakeRasa()
    server = await aiohttp_server(rasa.app())
    rasa.url = str(server.make_url("")).rstrip("/")
    yield rasa
    rasa.release()


@dataclass
class Tab:
    """A customer's browser tab on one gateway instance (the widget protocol, by hand)."""

    ws: aiohttp.ClientWebSocketResponse
    received: list[dict[str, Any]]

    async def send(self, **frame: Any) -> None:
        await self.ws.send_str(json.dumps(frame))

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        for frame in self.received:
            if predicate(frame) and not frame.get("_seen"):
                frame["_seen"] = True
                return frame
        while True:
            message = await self.ws.receive(timeout=RECEIVE_GUARD_SECONDS)
            if message.type is not aiohttp.WSMsgType.TEXT:
                raise ConnectionError(f"socket closed: {message.type!r}")
            frame = json.loads(message.data)
            self.received.append(frame)
            if predicate(frame):
                frame["_seen"] = True
                return frame

    def message_seqs(self) -> list[int]:
        return [frame["seq"] for frame in self.received if frame["type"] == "message"]


@pytest.fixture
async def open_tab() -> AsyncIterator[Callable[..., Any]]:
    sessions: list[aiohttp.ClientSession] = []

    async def open_on(base_url: str, conversation_id: str | None = None, last_seq: int = 0) -> Tab:
        http = aiohttp.ClientSession()
        sessions.append(http)
        ws = await http.ws_connect(f"{base_url}/api/v1/tenants/nordlys/ws", origin=ALLOWED_ORIGIN)
        tab = Tab(ws, [])
        await tab.send(type="hello", conversation_id=conversation_id, last_seq=last_seq, language="en")
        await tab.wait_for(lambda f: f["type"] == "welcome")
        return tab

    yield open_on
    for http in sessions:
        await http.close()


def gateway_specs(cfg: StackConfig, env: dict[str, str]) -> list[Any]:
    specs = []
    for index in range(cfg.gateways):
        spec = gateway_service(cfg, index)
        specs.append(type(spec)(spec.name, spec.argv, spec.env | env, spec.health_url, 60.0))
    return specs


@dataclass
class Gateways:
    """Two gateway processes (gateway-1 = A, gateway-2 = B) in front of the fake Rasa."""

    cfg: StackConfig
    supervisor: Supervisor

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.cfg.gateway_ports]


@pytest.fixture
async def two_gateways(
    db_url: str, tmp_path: Path, fake_rasa: FakeRasa, supervisor: Supervisor, redis_prefix: str
) -> Gateways:
    rasa_port = int(fake_rasa.url.rsplit(":", 1)[1])
    cfg = scaled_config(db_url, tmp_path / "logs", rasa_port=rasa_port, action_port=rasa_port)
    await supervisor.start_all([gateway_specs(cfg, instance_env(redis_prefix))])
    return Gateways(cfg, supervisor)


def conversation_of(tab: Tab) -> str:
    return next(frame for frame in tab.received if frame["type"] == "welcome")["conversation_id"]
