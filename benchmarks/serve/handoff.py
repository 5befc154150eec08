"""Handoff latency: a customer asks for a person, an agent's console hears of it, the
agent writes, the customer reads it.

The demo agents log in like the console does (docs/agent-console.md: POST login ->
session cookie + CSRF token, then the /agent/ws socket with the gateway's own Origin).
Each escalation is measured with no other load on the system:

- escalation -> console: from just before the customer's "I want to talk to a person"
  is written to the widget socket, to the arrival of the `ownership` event for that
  conversation on the agent's console socket. It includes the assistant's turn (Rasa
  recognises the request, the action server runs action_handoff); the part after the
  assistant answered is reported too: from the arrival of the bot's last message of that
  turn at the widget to the console event.
- agent message -> widget: from just before the console's `message` frame is written to
  the arrival of the `message` frame with role `agent` and that text at the widget.

The measurement puts the demo tenants' business hours around the clock for its duration
(outside business hours an escalation becomes a ticket and no agent is asked) and puts
the previous hours back afterwards.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp

from bot.handoff.demo_agents import DEMO_AGENT_PASSWORD

from benchmarks.serve.machine import load_average
from benchmarks.serve.stack import ALWAYS_OPEN, BenchStack
from benchmarks.serve.stats import latency_summary

# Which demo agent serves which demo tenant (bot/handoff/demo_agents.py).
AGENT_OF_TENANT = {
    "nordlys": "kari@bpo.example",
    "lighthouse": "sam@bpo.example",
    "fjordnett": "kari@bpo.example",
}
ESCALATION = "I want to talk to a person"
HEARTBEAT_SECONDS = 15.0  # the console's is 20 s; the presence sweep must never see us as gone
WAIT_SECONDS = 30.0


class FrameLog:
    """Every frame a socket receives, with its arrival time; waiters scan from a cursor."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.frames: list[tuple[float, dict[str, Any]]] = []
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                arrived = time.perf_counter()
                async with self._changed:
                    self.frames.append((arrived, json.loads(message.data)))
                    self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool], since: int = 0,
                       timeout: float = WAIT_SECONDS) -> tuple[float, dict[str, Any]]:
        """The first frame at index >= since matching predicate: (arrival time, frame)."""
        async def scan() -> tuple[float, dict[str, Any]]:
            index = since
            async with self._changed:
                while True:
                    while index < len(self.frames):
                        arrived, frame = self.frames[index]
                        if predicate(frame):
                            return arrived, frame
                        index += 1
                    await self._changed.wait()

        return await asyncio.wait_for(scan(), timeout)

    async def send(self, frame: dict[str, Any]) -> float:
        sent = time.perf_counter()
        await self.ws.send_str(json.dumps(frame))
        return sent

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)


class AgentConsole:
    def __init__(self, stack: BenchStack, email: str) -> None:
        self._stack = stack
        self.email = email
        # unsafe=True: aiohttp's cookie jar ignores cookies of IP hosts (127.0.0.1) otherwise.
        self._http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""
        self.agent_id: int | None = None
        self.log: FrameLog | None = None
        self._heartbeat: asyncio.Task[None] | None = None

    async def open(self) -> None:
        base = self._stack.gateway_url
        async with self._http.post(f"{base}/agent/api/login",
                                   json={"email": self.email, "password": DEMO_AGENT_PASSWORD}) as response:
            if response.status != 200:
                raise RuntimeError(f"login of {self.email} failed: HTTP {response.status}")
            body = await response.json()
        self.csrf = body["csrf_token"]
        self.agent_id = body["agent"]["id"]
        ws = await self._http.ws_connect(f"{base}/agent/ws", origin=self._stack.origin)
        self.log = FrameLog(ws)
        await self.log.wait_for(lambda f: f["type"] == "ready")
        self._heartbeat = asyncio.create_task(self._beat())

    async def _beat(self) -> None:
        assert self.log is not None
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            await self.log.send({"type": "heartbeat"})

    async def resolve(self, conversation_id: str) -> None:
        url = f"{self._stack.gateway_url}/agent/api/conversations/{conversation_id}/resolve"
        async with self._http.post(url, headers={"X-CSRF-Token": self.csrf}) as response:
            if response.status != 200:
                raise RuntimeError(f"resolve failed: HTTP {response.status} {await response.text()}")

    async def close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if self.log is not None:
            await self.log.close()
        await self._http.close()


async def _open_widget(http: aiohttp.ClientSession, stack: BenchStack, tenant: str) -> tuple[FrameLog, str]:
    ws = await http.ws_connect(f"{stack.gateway_url}/api/v1/tenants/{tenant}/ws", origin=stack.origin)
    widget = FrameLog(ws)
    await widget.send({"type": "hello", "conversation_id": None, "last_seq": 0})
    _, welcome = await widget.wait_for(lambda f: f["type"] == "welcome")
    return widget, welcome["conversation_id"]


async def _one_escalation(http: aiohttp.ClientSession, stack: BenchStack, console: AgentConsole,
                          tenant: str, agent_messages: int) -> dict[str, Any]:
    assert console.log is not None
    widget, conversation_id = await _open_widget(http, stack, tenant)
    try:
        console_cursor = len(console.log.frames)
        widget_cursor = len(widget.frames)
        sent = await widget.send({"type": "message", "client_id": uuid.uuid4().hex, "text": ESCALATION})
        seen, event = await console.log.wait_for(
            lambda f: f["type"] == "ownership" and f["conversation_id"] == conversation_id,
            since=console_cursor)
        # The gateway broadcasts the assistant's answer, then starts the handoff, then ends
        # the turn with `typing off` (bot/gateway/chat/delivery.py).
        await widget.wait_for(lambda f: f["type"] == "typing" and f["role"] == "bot"
                              and f["on"] is False, since=widget_cursor)
        answered = [at for at, f in widget.frames[widget_cursor:]
                    if f["type"] == "message" and f["role"] == "bot"]
        result: dict[str, Any] = {
            "to_console": seen - sent,
            "after_assistant": seen - answered[-1] if answered else None,
            "state": event["state"],
            "agent_messages": [],
        }
        if event["state"] == "queued":
            cursor = len(console.log.frames)
            await console.log.send({"type": "claim", "conversation_id": conversation_id, "ref": "claim"})
            await console.log.wait_for(lambda f: f.get("ref") == "claim", since=cursor)
        elif event["state"] != "assigned" or event.get("agent_id") != console.agent_id:
            result["unexpected"] = f"state {event['state']}"
            return result
        for number in range(agent_messages):
            text = f"Message {number + 1} from your agent ({uuid.uuid4().hex[:6]})"
            cursor = len(widget.frames)
            written = await console.log.send({"type": "message", "conversation_id": conversation_id,
                                              "text": text, "ref": f"m{number}"})
            arrived, _ = await widget.wait_for(
                lambda f, sent_text=text: f["type"] == "message" and f["role"] == "agent"
                and f["text"] == sent_text,
                since=cursor)
            result["agent_messages"].append(arrived - written)
        await console.resolve(conversation_id)
        return result
    finally:
        await widget.close()


async def measure_handoffs(stack: BenchStack, escalations: int, agent_messages: int) -> dict[str, Any]:
    tenants = list(AGENT_OF_TENANT)
    previous_hours = await stack.set_business_hours({slug: ALWAYS_OPEN for slug in tenants})
    consoles = {email: AgentConsole(stack, email) for email in set(AGENT_OF_TENANT.values())}
    to_console: list[float] = []
    after_assistant: list[float] = []
    to_widget: list[float] = []
    states: dict[str, int] = {}
    errors: list[str] = []
    try:
        for console in consoles.values():
            await console.open()
        async with aiohttp.ClientSession() as http:
            for index in range(escalations):
                tenant = tenants[index % len(tenants)]
                try:
                    one = await _one_escalation(http, stack, consoles[AGENT_OF_TENANT[tenant]],
                                                tenant, agent_messages)
                except (asyncio.TimeoutError, aiohttp.ClientError, RuntimeError) as error:
                    errors.append(f"{type(error).__name__}: {error}"[:200])
                    continue
                to_console.append(one["to_console"])
                if one["after_assistant"] is not None:
                    after_assistant.append(one["after_assistant"])
                to_widget += one["agent_messages"]
                states[one["state"]] = states.get(one["state"], 0) + 1
                if "unexpected" in one:
                    errors.append(one["unexpected"])
    finally:
        for console in consoles.values():
            await console.close()
        await stack.set_business_hours(previous_hours)
    return {
        "escalations": escalations,
        "escalation_to_console": latency_summary(to_console),
        "assistant_answer_to_console": latency_summary(after_assistant),
        "agent_message_to_widget": latency_summary(to_widget),
        "console_event_states": states,
        "errors": len(errors),
        "error_details": errors[:10],
        "load_average_after": load_average(),
    }
