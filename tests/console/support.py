"""Helpers for the console tests: a fake Rasa that also records the HTTP API calls, a scripted agent console."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from tests.gateway.support import RASA_TOKEN, FakeRasa, Widget, echo_replies

__all__ = ["AgentConsole", "ConsoleRasa", "RASA_TOKEN", "Widget"]

WELCOME_BACK = "Hi again! What else can I do for you?"
RECEIVE_GUARD_SECONDS = 10.0  # a hang guard, not a speed assertion


class ConsoleRasa(FakeRasa):
    """FakeRasa plus Rasa's HTTP API for the handoff: append tracker events, execute an action."""

    def __init__(self, replies: Callable[[dict[str, Any]], list[dict[str, Any]]] = echo_replies) -> None:
        super().__init__(replies)
        self.api_calls: list[tuple[str, str, Any]] = []  # (conversation, endpoint, body)

    def app(self) -> web.Application:
        app = super().app()
        app.router.add_post("/conversations/{cid}/tracker/events", self._events)
        app.router.add_post("/conversations/{cid}/execute", self._execute)
        return app

    def calls(self, conversation_id: str) -> list[tuple[str, Any]]:
        return [(endpoint, body) for cid, endpoint, body in self.api_calls if cid == conversation_id]

    async def _events(self, request: web.Request) -> web.Response:
        if request.query.get("token") != RASA_TOKEN:
            return web.json_response({"message": "unauthorized"}, status=401)
        self.api_calls.append((request.match_info["cid"], "events", await request.json()))
        return web.json_response({"sender_id": request.match_info["cid"], "paused": False})

    async def _execute(self, request: web.Request) -> web.Response:
        if request.query.get("token") != RASA_TOKEN:
            return web.json_response({"message": "unauthorized"}, status=401)
        body = await request.json()
        self.api_calls.append((request.match_info["cid"], "execute", body))
        return web.json_response(
            {"tracker": {}, "messages": [{"recipient_id": request.match_info["cid"], "text": WELCOME_BACK}]}
        )


class AgentConsole:
    """One agent's console: a logged-in HTTP session (cookie + CSRF) and, once opened, its WebSocket."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str) -> None:
        self.http = http
        self.base_url = base_url
        self.csrf = ""
        self.agent: dict[str, Any] = {}
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.received: list[dict[str, Any]] = []
        self._unread: list[dict[str, Any]] = []

    async def login(self, email: str, password: str) -> aiohttp.ClientResponse:
        response = await self.http.post(
            f"{self.base_url}/agent/api/login", json={"email": email, "password": password}
        )
        if response.status == 200:
            body = await response.json()
            self.csrf, self.agent = body["csrf_token"], body["agent"]
        return response

    async def get(self, path: str) -> aiohttp.ClientResponse:
        return await self.http.get(f"{self.base_url}{path}")

    async def post(self, path: str, body: dict[str, Any] | None = None, *, csrf: str | None = None) -> aiohttp.ClientResponse:
        headers = {"X-CSRF-Token": self.csrf if csrf is None else csrf}
        return await self.http.post(f"{self.base_url}{path}", json=body or {}, headers=headers)

    async def open_socket(self, origin: str | None = None) -> None:
        self.ws = await self.http.ws_connect(
            f"{self.base_url}/agent/ws", origin=origin or self.base_url
        )
        await self.next_of("ready")

    async def send(self, **frame: Any) -> None:
        assert self.ws is not None
        await self.ws.send_str(json.dumps(frame))

    async def next_frame(self) -> dict[str, Any]:
        if self._unread:
            return self._unread.pop(0)
        assert self.ws is not None
        message = await self.ws.receive(timeout=RECEIVE_GUARD_SECONDS)
        if message.type is not aiohttp.WSMsgType.TEXT:
            raise AssertionError(f"expected a text frame, got {message.type!r} {message.data!r}")
        frame = json.loads(message.data)
        self.received.append(frame)
        return frame

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
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

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
