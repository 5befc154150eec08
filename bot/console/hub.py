"""The agents' live connections: presence, the agent WebSocket protocol, the disconnect grace.

Protocol (docs/agent-console.md): one JSON object per frame.
  client → server: heartbeat | presence{status} | claim{conversation_id} |
                   message{conversation_id, text} | typing{conversation_id, on}
                   (every frame may carry `ref`, echoed in the answer)
  server → client: ready{agent} | heartbeat_ack | presence{status} | claimed{conversation_id} |
                   sent{conversation_id, seq} | error{code, message} and the events of the
                   agent's tenants: message | typing | ownership | queue_changed | rated

Each frame re-checks the session (a logout or expiry ends the socket) and works
with the scope read fresh, so a removed tenant is gone at once. Events come
only from the topics of the tenants the agent serves.

An agent whose last console closes keeps their chats for the grace period; if no
console comes back by then, they go offline and their chats return to the queue
(the customers are told, in the queue they keep their place).
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from bot.console.errors import to_gateway_error
from bot.db.agents import AgentScope
from bot.db.errors import DomainError
from bot.events.bus import EventBus, Subscription, agent_topic, tenant_topic
from bot.gateway.errors import BadJson, GatewayError, UnknownFrame
from bot.console.door import HandoffDoor
from bot.handoff.errors import SessionInvalid
from bot.handoff.login import AgentLogin

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 16 * 1024
HEARTBEAT_SECONDS = 30.0
SESSION_ENDED = 4401  # application close code: log in again
PRESENCES = ("online", "away")  # what the console may choose; offline = logging out


class AgentConnection:
    def __init__(self, ws: web.WebSocketResponse, scope: AgentScope, token: str) -> None:
        self.ws = ws
        self.scope = scope
        self.token = token

    async def send(self, frame: dict[str, Any]) -> None:
        if self.ws.closed:
            return
        try:
            await self.ws.send_json(frame)
        except (ConnectionError, RuntimeError):
            pass


class AgentHub:
    def __init__(
        self, handoff: HandoffDoor, login: AgentLogin, bus: EventBus, *, grace_seconds: float
    ) -> None:
        self._handoff = handoff
        self._login = login
        self._bus = bus
        self._grace = grace_seconds
        self._connections: dict[int, set[AgentConnection]] = {}
        self._grace_periods: set[asyncio.Task[None]] = set()
        self._closing = False  # shutting down: consoles closed by the restart keep their chats

    def connected(self, agent_id: int) -> bool:
        return bool(self._connections.get(agent_id))

    async def serve(
        self, request: web.Request, scope: AgentScope, token: str
    ) -> web.WebSocketResponse:
        """Run one console's socket until it closes (`token`: its session, re-checked per frame)."""
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS, max_msg_size=MAX_FRAME_BYTES)
        await ws.prepare(request)
        topics = [tenant_topic(t) for t in scope.tenant_ids] + [agent_topic(scope.agent_id)]
        # Live before 'ready': the console sees every event from then on.
        subscription = await self._bus.subscribe(topics)
        connection = AgentConnection(ws, scope, token)
        self._connections.setdefault(scope.agent_id, set()).add(connection)
        forward = asyncio.create_task(self._forward(connection, subscription))
        try:
            await connection.send({"type": "ready", "agent_id": scope.agent_id})
            await self._set_presence(connection, "online")
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    await self._handle(connection, message.data)
                elif message.type is WSMsgType.BINARY:
                    await self._report(connection, BadJson(), None)
        finally:
            # No await in here: the handler may be finishing because it was cancelled.
            forward.cancel()
            subscription.close()
            self._connections[scope.agent_id].discard(connection)
            if not self._connections[scope.agent_id]:
                del self._connections[scope.agent_id]
                if not self._closing:
                    task = asyncio.create_task(self._after_grace(scope.agent_id))
                    self._grace_periods.add(task)
                    task.add_done_callback(self._grace_periods.discard)
        return ws

    async def close_agent(self, agent_id: int) -> None:
        """Close every console of the agent (they logged out)."""
        for connection in list(self._connections.get(agent_id, ())):
            await connection.ws.close(code=SESSION_ENDED, message=b"logged out")

    async def close_all(self) -> None:
        self._closing = True
        for connections in list(self._connections.values()):
            for connection in list(connections):
                await connection.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server restarting")

    async def close(self) -> None:
        """Stop the grace periods still running (the app is going away)."""
        self._closing = True
        for task in list(self._grace_periods):
            task.cancel()
        await asyncio.gather(*self._grace_periods, return_exceptions=True)

    async def _forward(self, connection: AgentConnection, subscription: Subscription) -> None:
        async for event in subscription:  # ends when the subscription (or the bus) closes
            await connection.send(event)

    async def _handle(self, connection: AgentConnection, raw: str) -> None:
        ref = None
        try:
            frame = _parse(raw)
            ref = frame.get("ref") if isinstance(frame.get("ref"), (str, int)) else None
            try:
                connection.scope = (await self._login.authenticate(connection.token)).scope
            except SessionInvalid:
                await connection.send({"type": "error", "code": "not_logged_in", "message": "Please log in again."})
                await connection.ws.close(code=SESSION_ENDED, message=b"session ended")
                return
            answer = await self._dispatch(connection, frame)
            if answer is not None:
                if ref is not None:
                    answer["ref"] = ref
                await connection.send(answer)
        except GatewayError as error:
            await self._report(connection, error, ref)
        except DomainError as error:
            await self._report(connection, to_gateway_error(error), ref)
        except Exception:
            log.exception("agent frame failed")
            await self._report(connection, GatewayError(), ref)

    async def _dispatch(self, connection: AgentConnection, frame: dict[str, Any]) -> dict[str, Any] | None:
        scope = connection.scope
        handoff = self._handoff
        kind = frame.get("type")
        if kind == "heartbeat":
            await handoff.heartbeat(scope)
            return {"type": "heartbeat_ack"}
        if kind == "presence":
            status = frame.get("status")
            if status not in PRESENCES:
                raise UnknownFrame("presence.status must be 'online' or 'away'.")
            await self._set_presence(connection, status)
            return None  # _set_presence answers every console of the agent
        conversation_id = _conversation_id(frame)
        if kind == "claim":
            await handoff.claim(scope, conversation_id)
            return {"type": "claimed", "conversation_id": conversation_id}
        if kind == "message":
            text = frame.get("text")
            if not isinstance(text, str):
                raise UnknownFrame("message.text must be a string.")
            message = await handoff.agent_message(scope, conversation_id, text)
            return {"type": "sent", "conversation_id": conversation_id, "seq": message.seq}
        if kind == "typing":
            if not isinstance(frame.get("on"), bool):
                raise UnknownFrame("typing.on must be true or false.")
            await handoff.agent_typing(scope, conversation_id, frame["on"])
            return None
        raise UnknownFrame()

    async def _set_presence(self, connection: AgentConnection, status: str) -> None:
        await self._handoff.set_presence(connection.scope, status)
        for other in list(self._connections.get(connection.scope.agent_id, ())):
            await other.send({"type": "presence", "status": status})

    async def _after_grace(self, agent_id: int) -> None:
        await asyncio.sleep(self._grace)
        if self.connected(agent_id):
            return  # came back in time
        try:
            await self._handoff.disconnect(agent_id, grace=timedelta(seconds=self._grace))
        except DomainError:
            log.info("agent %s vanished before their grace period ended", agent_id)
        except Exception:
            log.exception("requeueing the chats of a disconnected agent failed")

    async def _report(self, connection: AgentConnection, error: GatewayError, ref: Any) -> None:
        frame: dict[str, Any] = {"type": "error", "code": error.code, "message": error.message}
        if ref is not None:
            frame["ref"] = ref
        await connection.send(frame)


def _parse(raw: str) -> dict[str, Any]:
    try:
        frame = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        raise BadJson() from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise BadJson()
    return frame


def _conversation_id(frame: dict[str, Any]) -> str:
    conversation_id = frame.get("conversation_id")
    if not isinstance(conversation_id, str) or not 0 < len(conversation_id) <= 64:
        raise UnknownFrame("conversation_id must be a conversation's id.")
    return conversation_id
