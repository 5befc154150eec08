"""What the public API gets from the gateway at startup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.db import Database
from bot.gateway.chat.transcript import TextRedactor


class KeyLimiter(Protocol):
    async def allow(self, key: str) -> bool: ...


@dataclass(frozen=True)
class FirmApiDeps:
    database: Database
    # Per API key (bot.gateway.rate_limit: Redis when configured); window_seconds feeds Retry-After.
    limiter: KeyLimiter
    window_seconds: float
    # Ticket texts from a firm may carry personal data: stored redacted, like every transcript.
    redactor: TextRedactor
