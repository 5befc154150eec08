"""Rasa's REST channel and HTTP API, over the app's one shared ClientSession."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from yarl import URL


class RasaUnavailable(Exception):
    """Rasa could not be reached or did not answer properly; try again later."""


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
    ) -> Any:
        url = self._base / path
        path = label or path  # what errors may name: never a conversation id
        if authenticated:
            url = url.with_query(token=self._token)
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
        except aiohttp.ClientError as error:
            # The message of a ClientError may include the URL with the token: keep it out.
            raise RasaUnavailable(f"Rasa is not reachable ({type(error).__name__})") from error
        except json.JSONDecodeError as error:
            raise RasaBadResponse(f"Rasa answered /{path} with invalid JSON") from error
