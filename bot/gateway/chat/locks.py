"""Per-conversation asyncio locks, kept only while someone holds or awaits them."""

from __future__ import annotations

import asyncio
import weakref
from contextlib import AbstractAsyncContextManager
from typing import Protocol


class TurnLocks(Protocol):
    """What the gateway needs of conversation locks: in-process (ConversationLocks) or
    across instances (redis_locks.RedisConversationLocks)."""

    def transcript(self, conversation_id: str) -> asyncio.Lock: ...

    def turn(self, conversation_id: str) -> AbstractAsyncContextManager[object]: ...


class ConversationLocks:
    """Two locks per conversation, for two different jobs.

    transcript: short; held while a message is stored and sent to the open
      sockets, and while a reconnecting socket gets its replay, so no socket
      misses a message or sees one twice or out of order.
    turn: long (spans the Rasa call); makes the conversation's messages reach
      Rasa one at a time, in order.
    """

    def __init__(self) -> None:
        # Weak values: a lock disappears once no coroutine holds or awaits it.
        self._transcript: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._turn: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def transcript(self, conversation_id: str) -> asyncio.Lock:
        return self._get(self._transcript, conversation_id)

    def turn(self, conversation_id: str) -> asyncio.Lock:
        return self._get(self._turn, conversation_id)

    @staticmethod
    def _get(locks: weakref.WeakValueDictionary[str, asyncio.Lock], key: str) -> asyncio.Lock:
        lock = locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            locks[key] = lock
        return lock
