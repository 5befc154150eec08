"""What happens after an attempt: delivered, retry later (when), or give up (why)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.webhooks.settings import WebhookSettings

RETRYABLE_STATUSES = frozenset({408, 429})


@dataclass(frozen=True)
class Attempt:
    """The result of one POST. status is None when no response came (timeout, refused...)."""

    status: int | None
    error: str | None = None
    retry_after: float | None = None  # seconds, from a Retry-After header
    refused: bool = False  # the SSRF guard refused the destination: never retried

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        if self.refused:
            return False
        if self.status is None:
            return True  # timeouts and connection errors
        return self.status >= 500 or self.status in RETRYABLE_STATUSES


@dataclass(frozen=True)
class Decision:
    status: str  # 'delivered' | 'pending' | 'failed'
    next_attempt_at: datetime | None = None
    error: str | None = None


def decide(
    attempt: Attempt,
    *,
    attempts_so_far: int,
    first_recorded_at: datetime,
    now: datetime,
    settings: WebhookSettings,
    rng: random.Random | None = None,
) -> Decision:
    """attempts_so_far counts this attempt (1 after the first)."""
    if attempt.succeeded:
        return Decision("delivered")
    error = attempt.error or f"HTTP {attempt.status}"
    if not attempt.retryable:
        return Decision("failed", error=error)
    delay = backoff(attempts_so_far, settings, rng)
    if attempt.retry_after is not None:
        delay = max(delay, attempt.retry_after)
    next_at = now + timedelta(seconds=delay)
    if next_at > first_recorded_at + settings.retry_window:
        return Decision("failed", error=f"{error}; gave up after {settings.retry_window}")
    return Decision("pending", next_attempt_at=next_at, error=error)


def backoff(attempts_so_far: int, settings: WebhookSettings, rng: random.Random | None = None) -> float:
    """Exponential with jitter: base * 2^(n-1), capped, then a random 50-100 % of it so
    many deliveries failing together do not come back together."""
    ceiling = min(settings.backoff_max, settings.backoff_base * 2 ** max(attempts_so_far - 1, 0))
    return ceiling * (rng or random).uniform(0.5, 1.0)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - now).total_seconds(), 0.0)
