"""The delivery worker: claims due deliveries, sends them, records the outcome.

One per gateway process (see bot.webhooks.context); any number of them share one
database safely: a claim is a lease, and an outcome is stored only by the lease's
holder. A worker killed mid-delivery leaves its claims to expire; another worker
then sends them again, so receivers must deduplicate by event id (docs/webhooks.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from datetime import datetime

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import audit
from bot.db.engine import is_transient
from bot.db.types import utcnow
from bot.db.webhooks import (
    ClaimedDelivery,
    claim_due_deliveries,
    finish_attempt,
    note_endpoint_health,
    tenant_of_endpoint,
)
from bot.webhooks.policy import Attempt, Decision, decide
from bot.webhooks.sender import new_client_session, post_event
from bot.webhooks.settings import WebhookSettings

log = logging.getLogger(__name__)

OUTCOME_STORE_RETRIES = (0.05, 0.2, 1.0, None)  # pauses between tries; None: give up


class DeliveryWorker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: WebhookSettings,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._settings = settings
        self._clock = clock
        self._token = secrets.token_hex(16)  # this worker's claims
        self._client: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> DeliveryWorker:
        self._client = new_client_session(self._settings)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def run_once(self) -> int:
        """Claim one batch and send it; the number of deliveries attempted."""
        assert self._client is not None, "use `async with DeliveryWorker(...)`"
        async with self._sessionmaker.begin() as session:
            claimed = await claim_due_deliveries(
                session, token=self._token, now=self._clock(), lease=self._settings.lease,
                limit=self._settings.batch_size,
            )
        # A batch holds at most one delivery per (endpoint, ordering key), so
        # sending them concurrently keeps every conversation's order.
        limit = asyncio.Semaphore(self._settings.concurrency)

        async def one(delivery: ClaimedDelivery) -> None:
            async with limit:
                await self._deliver(delivery)

        outcomes = await asyncio.gather(*(one(d) for d in claimed), return_exceptions=True)
        for delivery, outcome in zip(claimed, outcomes, strict=True):
            if isinstance(outcome, Exception):
                # Its lease expires and another pass sends it again.
                log.error("webhook delivery %s: outcome not stored (%s)", delivery.id, type(outcome).__name__)
        return len(claimed)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set: send whatever is due, then wait a poll interval when idle."""
        while not stop.is_set():
            try:
                busy = await self.run_once()
            except Exception as error:  # the loop must survive a database outage
                if not is_transient(error):
                    log.exception("webhook delivery pass failed")
                busy = 0
            if not busy:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._settings.poll_interval)

    async def _deliver(self, delivery: ClaimedDelivery) -> None:
        assert self._client is not None
        attempt = await post_event(
            self._client, delivery.url, delivery.payload(), delivery.secrets, self._settings,
            now=self._clock(),
        )
        now = self._clock()
        decision = decide(
            attempt, attempts_so_far=delivery.attempts + 1, first_recorded_at=delivery.created_at,
            now=now, settings=self._settings,
        )
        for pause in OUTCOME_STORE_RETRIES:
            try:
                stored, disabled = await self._store(delivery, attempt, decision, now)
                break
            except Exception as error:
                # The request was sent: losing its outcome means sending it again after
                # the lease, so a busy or briefly lost database gets a few more tries.
                if pause is None or not is_transient(error):
                    raise
                await asyncio.sleep(pause)
        if not stored:
            log.warning("webhook delivery %s: lease lost before the outcome was stored", delivery.id)
            return
        if decision.status != "delivered":
            log.info(
                "webhook delivery %s (%s) attempt %s: %s -> %s",
                delivery.id, delivery.event_type, delivery.attempts + 1, decision.error, decision.status,
            )
        if disabled:
            log.warning("webhook endpoint %s disabled after failing for %s", delivery.endpoint_id,
                        self._settings.disable_after)

    async def _store(
        self, delivery: ClaimedDelivery, attempt: Attempt, decision: Decision, now: datetime
    ) -> tuple[bool, bool]:
        async with self._sessionmaker.begin() as session:
            stored = await finish_attempt(
                session, delivery.id, token=self._token, now=now, status=decision.status,
                next_attempt_at=decision.next_attempt_at, error=decision.error,
                status_code=attempt.status,
            )
            if not stored:
                return False, False
            disabled = await note_endpoint_health(
                session, delivery.endpoint_id, succeeded=attempt.succeeded, now=now,
                disable_after=self._settings.disable_after,
            )
            if disabled:
                # The firm's owners are told where they look: the audit log their supervisors
                # read, and the endpoint's state in the admin API / `webhooks list`.
                await audit.record(
                    session, audit.Actor.system(), audit.WEBHOOK_DISABLED,
                    tenant_id=await tenant_of_endpoint(session, delivery.endpoint_id),
                    target_kind="webhook_endpoint", target_id=str(delivery.endpoint_id),
                    details={"failing_for": str(self._settings.disable_after)},
                )
        return True, disabled
