"""Rasa's REST channel and HTTP API, over the app's one shared ClientSession.

`RasaClient` talks to one Rasa server; `RasaServers` spreads conversations over
several (all sharing one tracker store and lock store) and moves a conversation
to the next server when its own cannot be reached.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
from yarl import URL

log = logging.getLogger(__name__)
T = TypeVar("T")


class RasaUnavailable(Exception):
    """Rasa could not be reached or did not answer properly; try again later."""


class RasaUnreachable(RasaUnavailable):
    """No connection could be made: the request certainly never reached Rasa."""


class RasaTimeout(RasaUnavailable):
    """Rasa took longer than the request timeout."""


class RasaBadResponse(RasaUnavailable):
    """Rasa answered, but not with what its REST channel promises."""


@dataclass(frozen=True)
class Button:
    title: str
    payload: str

    def as_dict(self) -> dict[str, str]:
        return {"title": self.title, "payload": self.payload}


@dataclass(frozen=True)
class BotReply:
    """One element of the REST channel's answer list."""

    text: str | None = None
    buttons: tuple[Button, ...] = ()
    image: str | None = None
    custom: dict[str, Any] | None = field(default=None)

    @classmethod
    def parse(cls, raw: Any) -> BotReply:
        if not isinstance(raw, dict):
            raise RasaBadResponse("a reply is not a JSON object")
        text = raw.get("text")
        image = raw.get("image")
        custom = raw.get("custom")
        buttons = tuple(
            Button(str(button.get("title", "")), str(button.get("payload", "")))
            for button in raw.get("buttons") or []
            if isinstance(button, dict)
        )
        return cls(
            text=text if isinstance(text, str) else None,
            buttons=buttons,
            image=image if isinstance(image, str) else None,
            custom=custom if isinstance(custom, dict) else None,
        )


class RasaClient:
    def __init__(
        self, http: aiohttp.ClientSession, base_url: str, token: str, request_timeout: float
    ) -> None:
        self._http = http
        self._base = URL(base_url)
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)

    def __repr__(self) -> str:
        return f"RasaClient({str(self._base)!r})"  # never the token

    async def send_message(
        self, sender: str, message: str, metadata: dict[str, Any]
    ) -> list[BotReply]:
        """POST to the REST channel; the bot's replies in order."""
        body = {"sender": sender, "message": message, "metadata": metadata}
        raw = await self._request("POST", "webhooks/rest/webhook", json_body=body)
        if not isinstance(raw, list):
            raise RasaBadResponse("the REST channel did not answer with a list")
        return [BotReply.parse(item) for item in raw]

    async def resume(self, conversation_id: str) -> None:
        """Resume a tracker paused by the handoff (ConversationResumed), through the HTTP API."""
        await self.append_events(conversation_id, [{"event": "resume"}])

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        await self._request(
            "POST",
            f"conversations/{conversation_id}/tracker/events",
            json_body=events,
            authenticated=True,
            label="conversations/…/tracker/events",
        )

    async def execute_response(self, conversation_id: str, action: str) -> list[BotReply]:
        """Run one action (e.g. the greeting response) without letting the policies predict
        further, then listen again; its replies in order.

        Not trigger_intent: after a handoff the dialogue history still ends in the
        escalation, and a predicted turn would escalate again.
        """
        raw = await self._request(
            "POST",
            f"conversations/{conversation_id}/execute",
            json_body={"name": action},
            authenticated=True,
            label="conversations/…/execute",
        )
        messages = raw.get("messages") if isinstance(raw, dict) else None
        if not isinstance(messages, list):
            raise RasaBadResponse("execute did not answer with messages")
        await self.append_events(conversation_id, [{"event": "action", "name": "action_listen"}])
        return [BotReply.parse(item) for item in messages]

    async def tracker_events(self, conversation_id: str) -> list[dict[str, Any]]:
        """Every event of the conversation's tracker (for finding out whether a turn that
        may have reached Rasa before a crash was already answered)."""
        raw = await self._request(
            "GET",
            f"conversations/{conversation_id}/tracker",
            authenticated=True,
            params={"include_events": "ALL"},
            label="conversations/…/tracker",
        )
        events = raw.get("events") if isinstance(raw, dict) else None
        if not isinstance(events, list):
            raise RasaBadResponse("the tracker came without its events")
        return [event for event in events if isinstance(event, dict)]

    async def status(self, timeout: float | None = None) -> dict[str, Any]:
        """GET /status (needs the token); raises RasaUnavailable when Rasa is not ready."""
        raw = await self._request("GET", "status", authenticated=True, timeout=timeout)
        if not isinstance(raw, dict):
            raise RasaBadResponse("/status did not answer with an object")
        return raw

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        authenticated: bool = False,
        timeout: float | None = None,
        label: str | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        url = self._base / path
        path = label or path  # what errors may name: never a conversation id
        query = dict(params or {})
        if authenticated:
            query["token"] = self._token
        if query:
            url = url.with_query(query)
        request_timeout = aiohttp.ClientTimeout(total=timeout) if timeout else self._timeout
        try:
            async with self._http.request(
                method, url, json=json_body, timeout=request_timeout
            ) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {response.status} to /{path}")
                return await response.json(content_type=None)
        except TimeoutError as error:
            raise RasaTimeout(f"Rasa did not answer /{path} in time") from error
        except aiohttp.ClientConnectorError as error:
            raise RasaUnreachable(f"Rasa is not reachable ({type(error).__name__})") from error
        except aiohttp.ClientError as error:
            # The message of a ClientError may include the URL with the token: keep it out.
            raise RasaUnavailable(f"Rasa is not reachable ({type(error).__name__})") from error
        except json.JSONDecodeError as error:
            raise RasaBadResponse(f"Rasa answered /{path} with invalid JSON") from error


class RasaServers:
    """Several Rasa servers behind one client, with RasaClient's methods.

    Each conversation has a preferred server (rendezvous hashing on its id: stable,
    and adding a server moves only its share), so its turns usually meet a warm
    cache. Correctness does not depend on it: the tracker store and the lock store
    are shared. A server that cannot be connected to is skipped for a short while
    and the call goes to the conversation's next server; errors after a request
    may have reached Rasa (timeouts, broken answers) are raised, not retried,
    because a turn must not run twice.
    """

    def __init__(
        self,
        clients: Sequence[RasaClient],
        *,
        cooldown_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not clients:
            raise ValueError("at least one Rasa server is needed")
        self.clients = tuple(clients)
        self._cooldown = cooldown_seconds
        self._clock = clock
        self._down_until: dict[int, float] = {}

    def __repr__(self) -> str:
        return f"RasaServers({list(self.clients)!r})"

    def order_for(self, conversation_id: str) -> list[int]:
        """Server indexes in this conversation's order of preference, reachable ones first."""
        def weight(index: int) -> bytes:
            return hashlib.blake2b(f"{index}:{conversation_id}".encode(), digest_size=8).digest()

        ranked = sorted(range(len(self.clients)), key=weight, reverse=True)
        now = self._clock()
        return sorted(ranked, key=lambda index: self._down_until.get(index, 0.0) > now)

    async def send_message(
        self, sender: str, message: str, metadata: dict[str, Any]
    ) -> list[BotReply]:
        return await self._call(sender, lambda client: client.send_message(sender, message, metadata))

    async def resume(self, conversation_id: str) -> None:
        await self._call(conversation_id, lambda client: client.resume(conversation_id))

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        await self._call(conversation_id, lambda client: client.append_events(conversation_id, events))

    async def execute_response(self, conversation_id: str, action: str) -> list[BotReply]:
        return await self._call(
            conversation_id, lambda client: client.execute_response(conversation_id, action)
        )

    async def tracker_events(self, conversation_id: str) -> list[dict[str, Any]]:
        return await self._call(conversation_id, lambda client: client.tracker_events(conversation_id))

    async def status(self, timeout: float | None = None) -> dict[str, Any]:
        """Ready when at least one server is; raises with the last server's reason otherwise."""
        error: RasaUnavailable | None = None
        for client in self.clients:
            try:
                return await client.status(timeout=timeout)
            except RasaUnavailable as failed:
                error = failed
        assert error is not None
        raise error

    async def _call(self, conversation_id: str, call: Callable[[RasaClient], Awaitable[T]]) -> T:
        unreachable: RasaUnreachable | None = None
        for index in self.order_for(conversation_id):
            try:
                result = await call(self.clients[index])
            except RasaUnreachable as error:
                if len(self.clients) > 1:
                    log.warning("Rasa server %d unreachable; trying the next one", index + 1)
                self._down_until[index] = self._clock() + self._cooldown
                unreachable = error
                continue
            self._down_until.pop(index, None)
            return result
        assert unreachable is not None
        raise unreachable
