"""What the console needs of the live handoff: one door, one method per agent move.

The gateway's LiveHandoff is this door; the console sees only this shape, so it
can be read and tested without the gateway's internals.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from bot.db.agents import AgentScope
from bot.db.models import Message
from bot.handoff.results import Outcome, OwnershipChange


class HandoffDoor(Protocol):
    async def claim(self, scope: AgentScope, conversation_id: str) -> OwnershipChange: ...

    async def transfer(self, scope: AgentScope, conversation_id: str, to_agent_id: int) -> Outcome: ...

    async def resolve(self, scope: AgentScope, conversation_id: str) -> Outcome: ...

    async def hand_back(self, scope: AgentScope, conversation_id: str) -> Outcome: ...

    async def set_presence(self, scope: AgentScope, presence: str) -> None: ...

    async def heartbeat(self, scope: AgentScope) -> None: ...

    async def disconnect(self, agent_id: int, *, grace: timedelta) -> None: ...

    async def agent_message(self, scope: AgentScope, conversation_id: str, text: str) -> Message: ...

    async def agent_typing(self, scope: AgentScope, conversation_id: str, on: bool) -> bool: ...


class LoginLimiter(Protocol):
    """Login attempts per client address (the gateway's shared rate limiter)."""

    async def allow(self, key: str) -> bool: ...
