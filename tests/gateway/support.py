"""Test doubles and helpers for the gateway tests: a fake Rasa server and a scripted widget."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Tenant

RASA_TOKEN = "test-rasa-token"
ALLOWED_ORIGIN = "http://localhost:8000"  # in every demo tenant's allowed_origins
FOREIGN_ORIGIN = "https://evil.example"
RECEIVE_GUARD_SECONDS = 10.0  # a hang guard, not a speed assertion
DEMO_CUSTOMER = "10000001"  # Nordlys' first demo account


def new_client_id() -> str:
    return str(uuid.uuid4())


def unused_port() -> int:
    """A local port nothing listens on (for an unreachable Rasa or action server)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def identity_secret(database: Database, slug: str) -> str:
    """Read straight from the database: the gateway never hands it out."""
    async with database.sessionmaker() as session:
        return await session.scalar(select(Tenant.identity_secret).where(Tenant.slug == slug))


def echo_replies(body: dict[str, Any]) -> list[dict[str, Any]]:
    """What the fake assistant says: an echo, quick replies, or a handoff."""
    message = body["message"]
    if message == "/request_human":
        return [
            {"recipient_id": body["sender"], "text": "I'll get a colleague for you."},
            {
                "recipient_id": body["sender"],
                "custom": {
                    "handoff": {
                        "reason": "customer_request",
                        "summary": {"text": "Customer ola.nordmann@example.no wants a person"},
                    }
                },
            },
        ]
    if message == "show buttons":
        return [
            {
                "recipient_id": body["sender"],
                "text": "Is this about your bill?",
                "buttons": [
                    {"title": "Yes", "payload": "/affirm"},
                    {"title": "No", "payload": "/deny"},
                ],
            }
        ]
    return [{"recipient_id": body["sender"], "text": f"echo: {message}"}]


class FakeRasa:
    """Rasa's REST channel, /status and the action server's /health, scriptable per test.

    mode 'answer' replies at once; 'unavailable' answers HTTP 503; 'hold' keeps
    every webhook call waiting until `release()`.
    """

    def __init__(
        self, replies: Callable[[dict[str, Any]], list[dict[str, Any]]] = echo_replies
    ) -> None:
        self.replies = replies
        self.url = ""  # set once its test server runs
        self.mode = "answer"
        self.attempts: list[dict[str, Any]] = []  # every webhook body received
        self.answered: list[dict[str, Any]] = []  # the ones answered with replies
        self.trackers: dict[str, list[dict[str, Any]]] = {}  # what Rasa's tracker store keeps
        self.tracker_reads = 0
        self._released = asyncio.Event()

    @property
    def answered_texts(self) -> list[str]:
        return [body["message"] for body in self.answered]

    def release(self) -> None:
        self.mode = "answer"
        self._released.set()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        app.router.add_get("/status", self._status)
        app.router.add_get("/health", self._health)
        app.router.add_get("/conversations/{sender}/tracker", self._tracker)
        return app

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.attempts.append(body)
        if self.mode == "unavailable":
            return web.json_response({"error": "model not loaded"}, status=503)
        if self.mode == "hold":
            await self._released.wait()
        self.answered.append(body)
        replies = self.replies(body)
        # Like Rasa: the turn's events are saved together once it is answered.
        self.trackers.setdefault(body["sender"], []).extend(
            [
                {"event": "user", "text": body["message"], "metadata": body.get("metadata")},
                *({"event": "bot", "text": reply.get("text"), "data": reply} for reply in replies),
                {"event": "action", "name": "action_listen"},
            ]
        )
        return web.json_response(replies)

    async def _tracker(self, request: web.Request) -> web.Response:
        if request.query.get("token") != RASA_TOKEN:
            return web.json_response({"message": "unauthorized"}, status=401)
        if self.mode == "unavailable":
            return web.json_response({"error": "not ready"}, status=503)
        self.tracker_reads += 1
        sender = request.match_info["sender"]
        return web.json_response({"sender_id": sender, "events": self.trackers.get(sender, [])})

    async def _status(self, request: web.Request) -> web.Response:
        if request.query.get("token") != RASA_TOKEN:
            return web.json_response({"message": "unauthorized"}, status=401)
        if self.mode == "unavailable":
            return web.json_response({"error": "not ready"}, status=503)
        return web.json_response(
            {"model_file": "models/test.tar.gz", "num_active_training_jobs": 0}
        )

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})


class Widget:
    """A scripted widget on one WebSocket: sends frames, collects everything it receives."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.received: list[dict[str, Any]] = []
        self._unread: list[dict[str, Any]] = []

    async def send(self, **frame: Any) -> None:
        await self.ws.send_str(json.dumps(frame))

    async def send_raw(self, data: str) -> None:
        await self.ws.send_str(data)

    async def next_frame(self) -> dict[str, Any]:
        if self._unread:
            return self._unread.pop(0)
        message = await self.ws.receive(timeout=RECEIVE_GUARD_SECONDS)
        if message.type is not aiohttp.WSMsgType.TEXT:
            raise AssertionError(f"expected a text frame, got {message.type!r} {message.data!r}")
        frame = json.loads(message.data)
        self.received.append(frame)
        return frame

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Read frames until one matches; the others stay readable by later waits."""
        skipped: list[dict[str, Any]] = []
        try:
            while True:
                frame = await self.next_frame()
                if predicate(frame):
                    return frame
                skipped.append(frame)
        finally:
            self._unread[:0] = skipped

    async def next_of(self, frame_type: str, **fields: Any) -> dict[str, Any]:
        return await self.wait_for(
            lambda f: f["type"] == frame_type and all(f.get(k) == v for k, v in fields.items())
        )

    async def hello(
        self, conversation_id: str | None = None, last_seq: int = 0, **extra: Any
    ) -> dict[str, Any]:
        """Send hello; return the welcome once the replay up to its last_seq has arrived."""
        await self.send(type="hello", conversation_id=conversation_id, last_seq=last_seq, **extra)
        welcome = await self.next_of("welcome")
        start = last_seq if welcome["resumed"] else 0
        for seq in range(start + 1, welcome["last_seq"] + 1):
            await self.next_of("message", seq=seq)
        return welcome

    async def say(self, text: str, client_id: str, payload: str | None = None) -> dict[str, Any]:
        """Send a customer message; return its ack."""
        frame: dict[str, Any] = {"type": "message", "client_id": client_id, "text": text}
        if payload is not None:
            frame["payload"] = payload
        await self.send(**frame)
        return await self.next_of("ack", client_id=client_id)

    def messages(self) -> list[dict[str, Any]]:
        """Every transcript message received so far (consumed or not), in arrival order."""
        return [frame for frame in self.received if frame["type"] == "message"]

    async def close(self) -> None:
        await self.ws.close()
