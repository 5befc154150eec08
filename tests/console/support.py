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


class ActionsRasa(ConsoleRasa):
    """A fake Rasa whose turns run the real custom actions on the real database.

    Keyword rules stand in for the NLU and the dialogue policy; everything the
    customer is told (verification, balance, ticket status, handoff summary) comes
    from the action code in actions/ against the seeded records, so the console
    sees what a real conversation would have left behind.
    """

    def __init__(self) -> None:
        super().__init__()
        self.slots: dict[str, dict[str, Any]] = {}
        self.turns: dict[str, list[dict[str, Any]]] = {}

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.attempts.append(body)
        self.answered.append(body)
        return web.json_response(await self.turn(body["sender"], body["message"], body.get("metadata") or {}))

    async def turn(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        # Imported here: only these tests load the action code into the gateway's tests.
        from actions.accounts import ActionAccountInfo
        from actions.handoff import ActionHandoff
        from actions.tickets import ActionTicketStatus
        from actions.verification import ValidateVerifyForm
        from tests.actions.actions_harness import conversation, run, user

        slots = self.slots.setdefault(sender, {"tenant": metadata.get("tenant"), "language": "en"})
        turns = self.turns.setdefault(sender, [])
        lowered = text.lower()
        if "owe" in lowered:
            intent, action, candidates = "check_balance", ActionAccountInfo(), None
        elif any(char.isdigit() for char in text) and "-" not in text and not slots.get("verified"):
            slots["requested_slot"] = "account_number"
            # As the entity extractor would: the 8-digit number fills the slot; the form
            # finds the postcode in the rest of the message itself.
            number = next(word for word in text.split() if len(word) == 8 and word.isdigit())
            intent, action, candidates = "inform", ValidateVerifyForm(), {"account_number": number}
        elif "-" in text:
            slots["ticket_ref"] = text.split()[-1].strip("?")
            intent, action, candidates = "ticket_status", ActionTicketStatus(), None
        elif "person" in lowered or text == "/request_human":
            intent, action, candidates = "request_human", ActionHandoff(), None
        else:
            return [{"recipient_id": sender, "text": f"You wrote: {text}"}]
        turns.append(user(text, intent, metadata=metadata))
        outcome = await run(
            action,
            conversation(
                *turns,
                slots=slots,
                candidates=candidates,
                active_loop="verify_form" if candidates else None,
                sender_id=sender,
            ),
        )
        slots.update(outcome.slots)
        if outcome.slots.get("verified") and "check_balance" in [t["parse_data"]["intent"]["name"] for t in turns]:
            # The form is done: Rasa's rules answer the question asked before verifying.
            balance = await run(ActionAccountInfo(), conversation(*turns, slots=slots, sender_id=sender))
            outcome.messages += balance.messages
        replies = [{"recipient_id": sender, "text": text} for text in outcome.texts]
        replies += [{"recipient_id": sender, "custom": custom} for custom in outcome.custom]
        return replies
