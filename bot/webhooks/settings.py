"""Delivery worker settings: frozen, read once from the environment, tunable in tests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class WebhookSettings:
    allow_loopback_http: bool = False  # tests only: http:// and 127.0.0.1 receivers
    timeout: float = 10.0  # seconds for one whole request
    max_response_bytes: int = 64 * 1024  # we read at most this much of a reply
    poll_interval: float = 1.0  # seconds between looks at the outbox when idle
    lease: timedelta = timedelta(seconds=60)  # longer than timeout: one claim covers one attempt
    batch_size: int = 20
    concurrency: int = 8  # requests in flight per worker
    backoff_base: float = 10.0  # seconds before the first retry, doubling per attempt
    backoff_max: float = 3600.0  # never wait longer than this between attempts
    retry_window: timedelta = timedelta(hours=24)  # give up on a delivery this long after the event
    disable_after: timedelta = timedelta(hours=24)  # disable an endpoint failing this long
    rotation_overlap: timedelta = timedelta(hours=24)  # the previous secret stays valid this long

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> WebhookSettings:
        allow = env.get("WEBHOOKS_ALLOW_LOOPBACK_HTTP", "").strip().lower() in {"1", "true", "yes"}
        poll = float(env.get("WEBHOOKS_POLL_INTERVAL", cls.poll_interval))
        if poll <= 0:
            raise ValueError("WEBHOOKS_POLL_INTERVAL must be positive")
        return cls(allow_loopback_http=allow, poll_interval=poll)
