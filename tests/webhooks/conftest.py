"""A real receiving aiohttp server on loopback, and helpers to drive delivery workers."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.webhooks.settings import WebhookSettings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"

# Fast timings: tests never sleep for real backoffs.
FAST = WebhookSettings(
    allow_loopback_http=True,
    timeout=5.0,
    poll_interval=0.02,
    lease=timedelta(seconds=30),
    backoff_base=0.01,
    backoff_max=0.05,
)


@dataclass
class Arrival:
    event_id: str
    at: float
    status: int
    headers: dict[str, str]
    body: bytes
    path: str = "/hook"


@dataclass
class Receiver:
    """Answers each POST with the next scripted reply for its event id (default 200),
    remembers every arrival, and processes each event id once (deduplicating)."""

    server: TestServer | None = None
    arrivals: list[Arrival] = field(default_factory=list)
    processed: list[str] = field(default_factory=list)
    script: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    delay: float = 0.0
    on_arrival: Callable[[Arrival], Awaitable[None]] | None = None
    hits: dict[str, int] = field(default_factory=dict)

    def url(self, path: str = "/hook") -> str:
        assert self.server is not None
        return str(self.server.make_url(path))

    def reply(self, event_id: str, *replies: tuple[int, dict[str, str]]) -> None:
        self.script.setdefault(event_id, []).extend(replies)

    def ids(self) -> list[str]:
        return [a.event_id for a in self.arrivals]

    async def handle(self, request: web.Request) -> web.Response:
        self.hits[request.path] = self.hits.get(request.path, 0) + 1
        body = await request.read()
        event_id = request.headers.get("X-BPO-Event-Id", "")
        queued = self.script.get(event_id)
        status, headers = queued.pop(0) if queued else (200, {})
        arrival = Arrival(event_id, time.monotonic(), status, dict(request.headers), body, request.path)
        self.arrivals.append(arrival)
        if self.on_arrival is not None:
            await self.on_arrival(arrival)
        if self.delay:
            await asyncio.sleep(self.delay)
        if status == 200 and event_id not in self.processed:
            self.processed.append(event_id)
        return web.Response(status=status, headers=headers, text="ok")


@pytest.fixture
async def receiver() -> Any:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", rec.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    rec.server = server
    yield rec
    await server.close()


def documented_verifier() -> Callable[..., bool]:
    """The verification snippet of docs/webhooks.md, executed as written."""
    text = DOCS.read_text()
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "def verify_bpo_signature" in b]
    assert len(blocks) == 1, "docs/webhooks.md must show exactly one verify_bpo_signature recipe"
    namespace: dict[str, Any] = {}
    exec(compile(blocks[0], str(DOCS), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["verify_bpo_signature"]


async def wait_for(condition: Callable[[], bool], timeout: float = 20.0, step: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(step)
