"""A customer on the real gateway's widget WebSocket: one turn at a time."""

from __future__ import annotations

import json
import secrets
from typing import Any

import aiohttp

TURN_SECONDS = 60.0  # a turn through the real Rasa server on a busy machine


class Customer:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.conversation_id = ""

    @classmethod
    async def connect(cls, http: aiohttp.ClientSession, gateway_url: str, tenant: str) -> "Customer":
        ws = await http.ws_connect(f"{gateway_url}/api/v1/tenants/{tenant}/ws", origin=gateway_url)
        return cls(ws)

    async def start(self, language: str = "en-GB") -> None:
        await self._send(type="hello", conversation_id=None, last_seq=0, language=language)
        welcome = await self._until(lambda f: f["type"] == "welcome")
        self.conversation_id = welcome["conversation_id"]

    async def say(self, text: str, payload: str | None = None) -> str:
        """Send a message; the bot's replies to it, joined by newlines."""
        frame: dict[str, Any] = {"type": "message", "client_id": secrets.token_hex(8), "text": text}
        if payload is not None:
            frame["payload"] = payload
        await self._send(**frame)
        replies: list[str] = []
        while True:
            received = await self._next()
            if received["type"] == "message" and received.get("role") == "bot":
                replies.append(received.get("text") or "")
            elif received["type"] == "typing" and received.get("role") == "bot" and not received["on"]:
                return "\n".join(replies)

    async def close(self) -> None:
        await self.ws.close()

    async def _send(self, **frame: Any) -> None:
        await self.ws.send_str(json.dumps(frame))

    async def _next(self) -> dict[str, Any]:
        message = await self.ws.receive(timeout=TURN_SECONDS)
        if message.type is not aiohttp.WSMsgType.TEXT:
            raise AssertionError(f"expected a text frame, got {message.type!r} {message.data!r}")
        return json.loads(message.data)

    async def _until(self, predicate) -> dict[str, Any]:
        while True:
            frame = await self._next()
            if predicate(frame):
                return frame
