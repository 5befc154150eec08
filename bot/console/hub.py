"""The agents' live connections: presence, the agent WebSocket protocol, the disconnect grace.

Protocol (docs/agent-console.md): one JSON object per frame.
  client → server: heartbeat | presence{status} | claim{conversation_id} |
                   message{conversation_id, text} | typing{conversation_id, on}
                   (every frame may carry `ref`, echoed in the answer)
  server → client: ready{agent} | heartbeat_ack | presence{status} | claimed{conversation_id} |
                   sent{conversation_id, seq} | error{code, message} and the events of the
                   agent's tenants: message | typing | ownership | queue_changed | rated

A socket never outlives its session or hears a tenant the agent no longer serves:
- every frame re-checks the session and works with the scope read fresh;
- a watch per socket re-checks at the session's expiry, every `recheck_seconds`
  (changes made where no event is published, e.g. the admin CLI without Redis), and
  at once when an access signal arrives on the agent's topic (bot.events.agent_access:
  logout, password reset, tenants changed; published to every gateway instance);
- a session that ended closes the socket (4401); a changed set of tenants re-subscribes
  the socket to the tenants that remain and tells the console to reload its queue.
Events come only from the topics of the tenants the agent serves.

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
from bot.events import agent_access
from bot.events.bus import EventBus, Subscription, agent_topic, tenant_topic
from bot.gateway.errors import BadJson, GatewayError, UnknownFrame
from bot.console.door import HandoffDoor
from bot.handoff.errors import SessionInvalid
from bot.db.types import utcnow
from bot.handoff.login import AgentLogin, AuthenticatedAgent
from bot.text_input import clean_text

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 16 * 1024
HEARTBEAT_SECONDS = 30.0
SESSION_ENDED = 4401  # application close code: log in again
PRESENCES = ("online", "away")  # what the console may choose; offline = logging out
DEFAULT_RECHECK_SECONDS = 15.0


def _topics(scope: AgentScope) -> list[str]:
    return [tenant_topic(t) for t in scope.tenant_ids] + [agent_topic(scope.agent_id)]


class AgentConnection:
    def __init__(self, ws: web.WebSocketResponse, agent: AuthenticatedAgent, token: str) -> None:
        self.ws = ws
        self.scope = agent.scope
        self.expires_at = agent.expires_at
        self.token = token
        self.recheck = asyncio.Event()  # set by an access signal: re-check now
        self.subscription: Subscription | None = None
        self.forward: asyncio.Task[None] | None = None
        self.checking = asyncio.Lock()  # the watch and a frame may re-check at the same time

    def expired(self) -> bool:
        return utcnow() >= self.expires_at

    async def send(self, frame: dict[str, Any]) -> None:
        if self.ws.closed:
            return
        try:
            await self.ws.send_json(frame)
        except (ConnectionError, RuntimeError):
            pass


class AgentHub:
    def __init__(
        self,
        handoff: HandoffDoor,
        login: AgentLogin,
        bus: EventBus,
        *,
        grace_seconds: float,
        recheck_seconds: float = DEFAULT_RECHECK_SECONDS,
    ) -> None:
        self._handoff = handoff
        self._login = login
        self._bus = bus
        self._grace = grace_seconds
        self._recheck = recheck_seconds
        self._connections: dict[int, set[AgentConnection]] = {}
        self._grace_periods: set[asyncio.Task[None]] = set()
        self._closing = False  # shutting down: consoles closed by the restart keep their chats

    def connected(self, agent_id: int) -> bool:
        return bool(self._connections.get(agent_id))

    async def serve(
        self, request: web.Request, agent: AuthenticatedAgent, token: str
    ) -> web.WebSocketResponse:
        """Run one console's socket until it closes (`token`: its session, re-checked)."""
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS, max_msg_size=MAX_FRAME_BYTES)
        await ws.prepare(request)
        scope = agent.scope
        connection = AgentConnection(ws, agent, token)
        # Live before 'ready': the console sees every event from then on.
        await self._subscribe(connection)
        self._connections.setdefault(scope.agent_id, set()).add(connection)
        watch = asyncio.create_task(self._watch(connection))
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
            watch.cancel()
            self._unsubscribe(connection)
            self._connections[scope.agent_id].discard(connection)
            if not self._connections[scope.agent_id]:
                del self._connections[scope.agent_id]
                if not self._closing:
                    task = asyncio.create_task(self._after_grace(scope.agent_id))
                    self._grace_periods.add(task)
                    task.add_done_callback(self._grace_periods.discard)
        return ws

    async def signed_out(self, agent_id: int) -> None:
        """The agent logged out: close their consoles here now, and on every other instance."""
        await self._close_agent(agent_id)
        await agent_access.publish_signed_out(self._bus, agent_id)

    async def access_changed(self, agent_id: int) -> None:
        """Sessions ended or tenants changed: every console of the agent re-checks at once."""
        await agent_access.publish_access_changed(self._bus, agent_id)

    async def _close_agent(self, agent_id: int) -> None:
        for connection in list(self._connections.get(agent_id, ())):
            await _end_session(connection, b"logged out")

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

    async def _subscribe(self, connection: AgentConnection) -> None:
        connection.subscription = await self._bus.subscribe(_topics(connection.scope))
        connection.forward = asyncio.create_task(self._forward(connection, connection.subscription))

    def _unsubscribe(self, connection: AgentConnection) -> None:
        if connection.forward is not None:
            connection.forward.cancel()
        if connection.subscription is not None:
            connection.subscription.close()

    async def _forward(self, connection: AgentConnection, subscription: Subscription) -> None:
        async for event in subscription:  # ends when the subscription (or the bus) closes
            if agent_access.is_signal(event):
                if event["type"] == agent_access.SIGNED_OUT:
                    await _end_session(connection, b"logged out")
                    return
                connection.recheck.set()
                continue
            if connection.expired():
                connection.recheck.set()  # the watch closes it; nothing more is delivered
                return
            await connection.send(event)

    async def _watch(self, connection: AgentConnection) -> None:
        """Re-check the session at its expiry, periodically, and when a signal asks to."""
        while not connection.ws.closed:
            until_expiry = (connection.expires_at - utcnow()).total_seconds()
            try:
                await asyncio.wait_for(connection.recheck.wait(), max(0.0, min(until_expiry, self._recheck)))
            except (TimeoutError, asyncio.TimeoutError):
                pass
            connection.recheck.clear()
            try:
                if not await self._recheck_session(connection):
                    return
            except Exception as error:  # the database away for a moment: the next round checks
                log.warning("re-checking a console's session failed (%s)", type(error).__name__)
                if connection.expired():
                    await _end_session(connection, b"session ended")
                    return

    async def _recheck_session(self, connection: AgentConnection) -> bool:
        """Read the session and scope fresh: False (and the socket closed) when the session ended;
        a changed set of tenants re-subscribes the socket to the tenants that remain."""
        async with connection.checking:
            return await self._recheck_session_now(connection)

    async def _recheck_session_now(self, connection: AgentConnection) -> bool:
        try:
            agent = await self._login.authenticate(connection.token)
        except SessionInvalid:
            await _end_session(connection, b"session ended")
            return False
        before = connection.scope.tenant_ids
        connection.scope, connection.expires_at = agent.scope, agent.expires_at
        if set(agent.scope.tenant_ids) != set(before):
            self._unsubscribe(connection)
            await self._subscribe(connection)
            await connection.send({"type": "queue_changed", "tenants": sorted(agent.scope.tenant_ids)})
        return True

    async def _handle(self, connection: AgentConnection, raw: str) -> None:
        ref = None
        try:
            frame = _parse(raw)
            ref = frame.get("ref") if isinstance(frame.get("ref"), (str, int)) else None
            if not await self._recheck_session(connection):
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
            message = await handoff.agent_message(scope, conversation_id, clean_text(text))
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


async def _end_session(connection: AgentConnection, reason: bytes) -> None:
    """Tell the console to log in again and close the socket (4401)."""
    if connection.ws.closed:
        return
    await connection.send({"type": "error", "code": "not_logged_in", "message": "Please log in again."})
    await connection.ws.close(code=SESSION_ENDED, message=reason)


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
