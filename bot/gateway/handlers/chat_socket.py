"""GET /api/v1/tenants/{slug}/ws: the widget's WebSocket (docs/widget-protocol.md)."""

from __future__ import annotations

import asyncio
import logging
import random

from aiohttp import WSMsgType, web

from bot.db.engine import is_sqlite_busy, is_transient
from bot.db.errors import DomainError
from bot.gateway import protocol
from bot.gateway.cors import require_allowed_origin
from bot.gateway.errors import (
    BadJson,
    GatewayError,
    HelloRequired,
    NotAllowedNow,
    RateLimited,
)
from bot.gateway.keys import (
    CONVERSATION_LIMITER,
    CUSTOMER_WROTE,
    DATABASE,
    DELIVERY,
    HANDOFF,
    IP_LIMITER,
    METRICS,
    SETTINGS,
    SOCKETS,
    START,
)
from bot.gateway.protocol import (
    ClientFrame,
    CustomerText,
    Hello,
    Ping,
    Typing,
    parse_client_frame,
)
from bot.gateway.chat.transcript import ConversationClosed
from bot.gateway.sockets import ChatSocket
from bot.gateway.tenant_context import load_tenant

log = logging.getLogger(__name__)

# Generous for MAX_MESSAGE_CHARS of JSON-escaped text; bigger frames close the socket (1009).
MAX_FRAME_BYTES = 64 * 1024
HEARTBEAT_SECONDS = 30.0


async def chat_socket(request: web.Request) -> web.WebSocketResponse:
    app = request.app
    async with app[DATABASE].sessionmaker() as session:
        tenant = await load_tenant(session, request.match_info["slug"])
    require_allowed_origin(request, tenant, required=True)  # HTTP 403 before the upgrade

    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS, max_msg_size=MAX_FRAME_BYTES)
    await ws.prepare(request)
    socket = ChatSocket(ws, tenant, remote=request.remote or "unknown")
    app[SOCKETS].add(socket)
    app[METRICS].open_sockets.inc()
    frames = FrameHandler(app)
    try:
        async for message in ws:
            if message.type is WSMsgType.TEXT:
                await frames.handle(socket, message.data)
            elif message.type is WSMsgType.BINARY:
                await frames.report(socket, BadJson())
    finally:
        app[SOCKETS].remove(socket)
        app[METRICS].open_sockets.dec()
    return ws


class FrameHandler:
    """One client frame at a time: parse, dispatch, and turn every failure into an error frame."""

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._settings = app[SETTINGS]

    async def handle(self, socket: ChatSocket, raw: str) -> None:
        try:
            frame = parse_client_frame(raw, self._settings.max_message_chars)
            try:
                await self._dispatch(socket, frame)
            except Exception as error:
                if not is_transient(error):
                    raise
                # Once more: every frame is idempotent (client ids), and the failed
                # transaction was rolled back. A lost connection is replaced by the pool; a
                # busy SQLite (a burst of new conversations) needs a moment, jittered so the
                # writers that collided do not collide again.
                if is_sqlite_busy(error):
                    log.info("database busy during a frame; trying it again")
                    await asyncio.sleep(random.uniform(0.05, 0.25))
                else:
                    log.warning("database connection lost during a frame; trying it again")
                await self._dispatch(socket, frame)
        except GatewayError as error:
            await self.report(socket, error)
        except ConversationClosed:
            self._app[SOCKETS].release(socket)
            await socket.send(protocol.conversation_ended("idle"))
        except DomainError as error:
            # e.g. rating a chat that is not resolved: a clear answer, the socket stays open.
            log.info("ws frame refused on tenant %s: %s", socket.tenant.slug, type(error).__name__)
            await self.report(socket, NotAllowedNow(str(error)))
        except Exception:
            log.exception("frame of tenant %s failed", socket.tenant.slug)
            await self.report(socket, GatewayError())

    async def _dispatch(self, socket: ChatSocket, frame: ClientFrame) -> None:
        if isinstance(frame, Hello):
            opening = await self._app[START].handle_hello(socket, frame)
            if opening.resumed:
                # Messages a dead instance left unanswered are answered here.
                self._app[DELIVERY].take_over(socket.tenant.ref, opening.conversation.id)
        elif socket.conversation_id is None:
            raise HelloRequired()
        elif isinstance(frame, Ping):
            await socket.send(protocol.pong())
        elif isinstance(frame, CustomerText):
            await self._customer_text(socket, socket.conversation_id, frame)
        elif isinstance(frame, Typing):
            # Shown to the agent's console; the bot does not care.
            await self._app[HANDOFF].customer_typing(
                socket.tenant.ref, socket.conversation_id, frame.on
            )

    async def report(self, socket: ChatSocket, error: GatewayError) -> None:
        """Error frame to this socket only; logged by code and tenant, never with the text."""
        log.info("ws error %s (tenant %s)", error.code, socket.tenant.slug)
        self._app[METRICS].errors.labels(error.code).inc()
        await socket.send(protocol.error(error.code, error.message, error.client_id))

    async def _customer_text(
        self, socket: ChatSocket, conversation_id: str, frame: CustomerText
    ) -> None:
        per_ip, per_conversation = self._app[IP_LIMITER], self._app[CONVERSATION_LIMITER]
        allowed = await per_ip.allow(socket.remote) and await per_conversation.allow(conversation_id)
        if not allowed:
            raise RateLimited(client_id=frame.client_id)
        await self._app[CUSTOMER_WROTE](socket, conversation_id, frame)
