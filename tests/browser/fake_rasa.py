"""A scripted stand-in for Rasa's REST channel, for browser tests that run without the real stack.

It answers the webhook like Rasa's REST channel does (a list of replies with
text and buttons) from a fixed script, records what it was sent, and can be
made unreachable (503) or held mid-turn, so tests can watch the widget
during a turn and through an outage. The real Rasa + action server variant
of these tests replaces only this fixture.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

ACCOUNT_QUESTION = "I can check that for you. What is your account number?"
VERIFY_QUESTION = "Thanks. To make sure it is you: what is the postcode or email address on the account?"
VERIFIED = "Thank you, you are verified."
AMOUNT_DUE = "Your amount due is 1,249.50 NOK, due on 30 November."
ANYTHING_ELSE = "Is there anything else I can help you with?"
GOODBYE = "Thank you for contacting us. Have a nice day!"
WHAT_ELSE = "Of course. What else can I help you with?"
GREETING_REPLY = "Hello! How can I help you today?"


def echo(text: str) -> str:
    """The reply to anything the script does not know: shows exactly what arrived."""
    return f"You wrote: {text}"


@dataclass(frozen=True)
class Received:
    sender: str  # the conversation id
    message: str  # the original text, or a quick reply's payload
    metadata: dict[str, Any]


def script(message: str) -> list[dict[str, Any]]:
    text = message.strip()
    lowered = text.lower()
    if lowered in {"hi", "hello", "hei"}:
        return [{"text": GREETING_REPLY}]
    if any(word in lowered for word in ("owe", "balance", "amount due")):
        return [{"text": ACCOUNT_QUESTION}]
    if re.fullmatch(r"\d{8}", text):
        return [{"text": VERIFY_QUESTION}]
    if lowered in {"0150", "ola.nordmann@example.no"}:
        return [
            {"text": VERIFIED},
            {"text": AMOUNT_DUE},
            {
                "text": ANYTHING_ELSE,
                "buttons": [
                    {"title": "Yes, please", "payload": "/affirm"},
                    {"title": "No, thanks", "payload": "/deny"},
                ],
            },
        ]
    if text == "/deny":
        return [{"text": GOODBYE}]
    if text == "/affirm":
        return [{"text": WHAT_ELSE}]
    return [{"text": echo(text)}]


class FakeRasa:
    def __init__(self) -> None:
        self.received: list[Received] = []  # answered webhook calls, in order
        self._trackers: dict[str, list[dict[str, Any]]] = {}
        self.down = False  # answer 503, as a Rasa that is restarting does
        self._release: asyncio.Event | None = None
        self.turn_started = asyncio.Event()
        self.url = ""  # set by the fixture once it listens

    def hold(self) -> None:
        """Hold every turn until release(): the widget shows a turn in progress."""
        self._release = asyncio.Event()
        self.turn_started.clear()

    def release(self) -> None:
        if self._release is not None:
            self._release.set()
        self._release = None

    def messages(self) -> list[str]:
        return [received.message for received in self.received]

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        app.router.add_get("/status", self._status)
        app.router.add_get("/", self._status)
        app.router.add_get("/conversations/{sender}/tracker", self._tracker)
        return app

    async def _webhook(self, request: web.Request) -> web.Response:
        if self.down:
            return web.json_response({"message": "Rasa is restarting"}, status=503)
        body = await request.json()
        self.turn_started.set()
        if self._release is not None:
            await self._release.wait()
        self.received.append(Received(body["sender"], body["message"], body.get("metadata") or {}))
        replies = script(body["message"])
        self._trackers.setdefault(body["sender"], []).extend(
            [
                {"event": "user", "text": body["message"], "metadata": body.get("metadata")},
                *({"event": "bot", "text": reply.get("text"), "data": reply} for reply in replies),
                {"event": "action", "name": "action_listen"},
            ]
        )
        return web.json_response([{"recipient_id": body["sender"], **reply} for reply in replies])

    async def _tracker(self, request: web.Request) -> web.Response:
        """The turns answered so far, as Rasa's tracker store keeps them (the gateway looks a
        message up here before sending it again after a crash)."""
        if self.down:
            return web.json_response({"message": "Rasa is restarting"}, status=503)
        sender = request.match_info["sender"]
        return web.json_response({"sender_id": sender, "events": self._trackers.get(sender, [])})

    async def _status(self, request: web.Request) -> web.Response:
        if self.down:
            return web.json_response({"message": "Rasa is restarting"}, status=503)
        return web.json_response({"model_file": "fake.tar.gz", "num_active_training_jobs": 0})
