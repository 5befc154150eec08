"""One simulated customer on each path, and what one turn measures.

Turn latency, precisely:
- full stack (widget WebSocket): from just before the customer's `message` frame is
  written to the socket, to the arrival of the last `message` frame with role `bot`
  of that turn. The turn's last bot message is the one followed by the gateway's
  `typing {on: false, role: bot}` (docs/widget-protocol.md: sent after the assistant's
  answer is stored and broadcast). Time to the `ack` is recorded separately.
- direct (Rasa's REST channel): from just before the POST is written to the moment
  its whole JSON body (the list of every bot message of the turn) has been read.
Both clocks are time.perf_counter() in this one process.

An error is anything a customer would notice: an `error` frame (e.g.
assistant_unavailable when Rasa takes longer than RASA_TIMEOUT_SECONDS — the answer
still comes and its latency is still recorded), a turn without a bot message, HTTP
other than 200, a dropped connection, or no answer within the turn timeout.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from benchmarks.serve.conversations import Conversation


@dataclass
class TurnSample:
    path: str  # gateway | direct
    tenant: str
    kind: str
    started: float  # perf_counter when the message was sent
    latency: float | None = None  # seconds to the turn's last bot message; None: no answer
    ack_latency: float | None = None  # gateway only: seconds to the ack
    bot_messages: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def finished(self) -> float | None:
        return None if self.latency is None else self.started + self.latency


class CustomerGone(Exception):
    """The connection failed; the customer starts a new conversation."""


class WidgetCustomer:
    """The widget's side of the protocol: hello, then messages, one turn at a time."""

    path = "gateway"

    def __init__(self, http: aiohttp.ClientSession, gateway_url: str, origin: str,
                 conversation: Conversation, turn_timeout: float) -> None:
        self._http = http
        self._url = f"{gateway_url}/api/v1/tenants/{conversation.tenant}/ws"
        self._origin = origin
        self.conversation = conversation
        self._timeout = turn_timeout
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self.conversation_id: str | None = None
        self.open_latency: float | None = None

    async def open(self) -> None:
        """Connect and say hello; done once the welcome and the greeting's replay arrived."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout):
                self._ws = await self._http.ws_connect(self._url, origin=self._origin, autoping=True)
                await self._ws.send_str(json.dumps({"type": "hello", "conversation_id": None, "last_seq": 0}))
                last_seq = None
                seen = 0
                while last_seq is None or seen < last_seq:
                    frame = await self._receive()
                    if frame["type"] == "welcome":
                        self.conversation_id = frame["conversation_id"]
                        last_seq = frame["last_seq"]
                    elif frame["type"] == "message":
                        seen = max(seen, frame["seq"])
                    elif frame["type"] == "error":
                        raise CustomerGone(f"error:{frame.get('code')}")
        except (aiohttp.ClientError, TimeoutError, ConnectionError) as error:
            raise CustomerGone(type(error).__name__) from error
        self.open_latency = time.perf_counter() - started

    async def turn(self, text: str) -> TurnSample:
        assert self._ws is not None
        client_id = uuid.uuid4().hex
        sample = TurnSample(self.path, self.conversation.tenant, self.conversation.kind, time.perf_counter())
        try:
            # One deadline for the turn: receive()'s own timeout restarts on every ping.
            async with asyncio.timeout(self._timeout):
                await self._ws.send_str(json.dumps({"type": "message", "client_id": client_id, "text": text}))
                await self._until_answered(sample, client_id)
        except TimeoutError:
            sample.errors.append("timeout")
        except (aiohttp.ClientError, ConnectionError, CustomerGone) as error:
            sample.errors.append(f"connection:{type(error).__name__}")
        return sample

    async def _until_answered(self, sample: TurnSample, client_id: str) -> None:
        last_bot_at: float | None = None
        while True:
            frame = await self._receive()
            arrived = time.perf_counter()
            kind = frame.get("type")
            if kind == "ack" and frame.get("client_id") == client_id:
                sample.ack_latency = arrived - sample.started
            elif kind == "message" and frame.get("role") == "bot":
                sample.bot_messages += 1
                last_bot_at = arrived
            elif kind == "error":
                sample.errors.append(frame.get("code", "error"))
                if frame.get("code") != "assistant_unavailable":
                    return  # refused (rate_limited, not_allowed, …): no answer will come
            elif kind == "typing" and frame.get("role") == "bot" and frame.get("on") is False:
                # Without a bot message this was a failed delivery; its retry brings the answer.
                if last_bot_at is not None:
                    sample.latency = last_bot_at - sample.started
                    return

    async def _receive(self) -> dict[str, Any]:
        assert self._ws is not None
        message = await self._ws.receive()
        if message.type is not aiohttp.WSMsgType.TEXT:
            raise CustomerGone(f"socket {message.type.name}")
        return json.loads(message.data)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()


class DirectCustomer:
    """The same conversation posted straight to Rasa's REST channel, as the gateway posts it."""

    path = "direct"

    def __init__(self, http: aiohttp.ClientSession, rasa_url: str, conversation: Conversation,
                 turn_timeout: float) -> None:
        self._http = http
        self._url = f"{rasa_url}/webhooks/rest/webhook"
        self.conversation = conversation
        self._timeout = aiohttp.ClientTimeout(total=turn_timeout)
        # The gateway's sender is the conversation id, and its metadata names it too
        # (bot/gateway/chat/delivery.py); an unverified widget customer has no account.
        self.sender = uuid.uuid4().hex
        self._metadata: dict[str, Any] = {
            "tenant": conversation.tenant,
            "verified_account": None,
            "language": conversation.language,
            "conversation_id": self.sender,
        }
        # The transcript seq the gateway would have given the message: the greeting is 1,
        # then each customer message and each bot reply takes the next number.
        self._next_seq = 2
        self.open_latency: float | None = 0.0

    async def open(self) -> None:
        """Nothing to open: Rasa starts a tracker on the first message."""

    async def turn(self, text: str) -> TurnSample:
        sample = TurnSample(self.path, self.conversation.tenant, self.conversation.kind, time.perf_counter())
        metadata = self._metadata | {"message_seq": self._next_seq}
        body = {"sender": self.sender, "message": text, "metadata": metadata}
        try:
            async with self._http.post(self._url, json=body, timeout=self._timeout) as response:
                replies = await response.json(content_type=None)
                arrived = time.perf_counter()
                if response.status != 200 or not isinstance(replies, list):
                    sample.errors.append(f"http_{response.status}")
                    return sample
        except asyncio.TimeoutError:
            sample.errors.append("timeout")
            return sample
        except (aiohttp.ClientError, ConnectionError, json.JSONDecodeError) as error:
            sample.errors.append(f"connection:{type(error).__name__}")
            return sample
        sample.bot_messages = sum(1 for reply in replies if isinstance(reply, dict) and reply.get("text"))
        self._next_seq += 1 + sample.bot_messages
        if sample.bot_messages == 0:
            sample.errors.append("no_reply")
        sample.latency = arrived - sample.started
        return sample

    async def close(self) -> None:
        """Nothing to close: the tracker stays, as a gateway conversation's does."""
