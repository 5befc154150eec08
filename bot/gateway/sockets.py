"""Open widget sockets and which conversation each one shows.

Several tabs may show the same conversation: every new message goes to all of them.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.gateway.tenant_context import TenantContext


class ChatSocket:
    """One widget connection (a browser tab)."""

    def __init__(self, ws: web.WebSocketResponse, tenant: TenantContext, remote: str) -> None:
        self.ws = ws
        self.tenant = tenant
        self.remote = remote
        self.conversation_id: str | None = None
        self.language: str | None = None  # of the conversation shown

    async def send(self, frame: dict[str, Any]) -> bool:
        """Send one frame; False (not an error) when the tab has gone away meanwhile."""
        if self.ws.closed:
            return False
        try:
            await self.ws.send_json(frame)
        except (ConnectionError, RuntimeError):
            return False
        return True


class SocketRegistry:
    def __init__(self) -> None:
        self._sockets: set[ChatSocket] = set()
        self._by_conversation: dict[str, set[ChatSocket]] = {}

    def __len__(self) -> int:
        return len(self._sockets)

    def all(self) -> list[ChatSocket]:
        return list(self._sockets)

    def add(self, socket: ChatSocket) -> None:
        self._sockets.add(socket)

    def remove(self, socket: ChatSocket) -> None:
        self.release(socket)
        self._sockets.discard(socket)

    def bind(self, socket: ChatSocket, conversation_id: str) -> None:
        """The socket now shows `conversation_id` (and no longer any previous one)."""
        self.release(socket)
        socket.conversation_id = conversation_id
        self._by_conversation.setdefault(conversation_id, set()).add(socket)

    def showing(self, conversation_id: str) -> list[ChatSocket]:
        return list(self._by_conversation.get(conversation_id, ()))

    async def broadcast(self, conversation_id: str, frame: dict[str, Any]) -> None:
        for socket in self.showing(conversation_id):
            await socket.send(frame)

    def release(self, socket: ChatSocket) -> None:
        """The socket shows no conversation any more (until its next hello)."""
        if socket.conversation_id is None:
            return
        showing = self._by_conversation.get(socket.conversation_id)
        if showing is not None:
            showing.discard(socket)
            if not showing:
                del self._by_conversation[socket.conversation_id]
        socket.conversation_id = None
