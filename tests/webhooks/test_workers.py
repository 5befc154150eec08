"""Several workers share one outbox: leases, concurrency and a worker killed mid-delivery."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.db import Database, TenantRef
from bot.db.engine import REPO_ROOT
from bot.db.models import WebhookDelivery
from bot.db.types import utcnow
from bot.db.webhooks import add_endpoint, claim_due_deliveries, finish_attempt, record_event
from bot.webhooks.worker import DeliveryWorker
from tests.webhooks.conftest import FAST, Arrival, Receiver, wait_for


async def _setup(database: Database, tenant: TenantRef, url: str, count: int, keys: int = 0) -> list[str]:
    async with database.sessionmaker.begin() as session:
        await add_endpoint(session, tenant.id, url, ["*"])
        return [
            await record_event(
                session, tenant.id, "ticket.updated", {"n": n}, f"conversation:{n % keys}" if keys else None
            )
            for n in range(count)
        ]


async def _statuses(database: Database) -> Counter[str]:
    async with database.sessionmaker() as session:
        rows = await session.execute(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status))
        return Counter(dict(rows.all()))


async def test_a_live_lease_keeps_other_workers_off_until_it_expires(
    database: Database, nordlys: TenantRef
) -> None:
    await _setup(database, nordlys, "https://hooks.example.com/x", 3)
    now = utcnow()
    lease = timedelta(seconds=30)

    async with database.sessionmaker.begin() as session:
        first = await claim_due_deliveries(session, token="a" * 32, now=now, lease=lease, limit=10)
    async with database.sessionmaker.begin() as session:
        during = await claim_due_deliveries(session, token="b" * 32, now=now + lease / 2, lease=lease, limit=10)
    async with database.sessionmaker.begin() as session:
        after = await claim_due_deliveries(session, token="b" * 32, now=now + lease, lease=lease, limit=10)
        late = await finish_attempt(
            session, first[0].id, token="a" * 32, now=now + lease, status="delivered",
            next_attempt_at=None, error=None, status_code=200,
        )

    assert len(first) == 3 and during == []
    assert sorted(d.id for d in after) == sorted(d.id for d in first)
    assert late is False, "a worker whose lease was taken over stores nothing"


async def test_two_workers_together_send_every_delivery_exactly_once(
    database: Database, db_url: str, nordlys: TenantRef, receiver: Receiver
) -> None:
    event_ids = await _setup(database, nordlys, receiver.url(), 40, keys=8)
    receiver.delay = 0.01
    other = Database(db_url)  # a second process's engine and pool
    stop = asyncio.Event()
    try:
        async with DeliveryWorker(database.sessionmaker, FAST) as one, DeliveryWorker(other.sessionmaker, FAST) as two:
            tasks = [asyncio.create_task(one.run(stop)), asyncio.create_task(two.run(stop))]
            try:
                await wait_for(lambda: len(receiver.arrivals) >= len(event_ids), timeout=60)
                await asyncio.sleep(0.2)  # anything sent twice would arrive now
            finally:
                stop.set()
                await asyncio.gather(*tasks)
    finally:
        await other.dispose()

    assert Counter(receiver.ids()) == Counter(event_ids)
    assert await _statuses(database) == Counter(delivered=40)


def _start_worker(db_url: str, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "bot", "webhooks", "--database-url", db_url, "work",
        "--poll-interval", "0.05", "--lease-seconds", "2", "--timeout", "5", "--backoff-base", "0.05",
        "--allow-loopback-http",
    ]
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT)


async def test_a_worker_killed_mid_delivery_loses_nothing_and_the_receiver_processes_each_event_once(
    database: Database, db_url: str, nordlys: TenantRef, receiver: Receiver, tmp_path: Path
) -> None:
    event_ids = await _setup(database, nordlys, receiver.url(), 20, keys=4)
    in_flight = asyncio.Event()

    async def hold_the_fifth(arrival: Arrival) -> None:
        if len(receiver.arrivals) == 5:
            in_flight.set()
            await asyncio.sleep(3)  # the worker is killed while it waits for this answer

    receiver.on_arrival = hold_the_fifth
    log = tmp_path / "worker.log"
    first = _start_worker(db_url, log)
    try:
        await asyncio.wait_for(in_flight.wait(), timeout=60)
        os.kill(first.pid, signal.SIGKILL)
        assert first.wait(timeout=10) == -signal.SIGKILL
        killed_after = len(receiver.arrivals)
        receiver.on_arrival = None

        second = _start_worker(db_url, log)
        try:
            await wait_for(lambda: set(receiver.processed) == set(event_ids), timeout=60)
            statuses = None
            for _ in range(100):
                statuses = await _statuses(database)
                if statuses == Counter(delivered=20):
                    break
                await asyncio.sleep(0.05)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=20)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()

    assert statuses == Counter(delivered=20), log.read_text()
    assert sorted(receiver.processed) == sorted(event_ids), "every event processed exactly once"
    arrivals = Counter(receiver.ids())
    assert set(arrivals) == set(event_ids)
    assert max(arrivals.values()) >= 2, "the delivery cut off by the kill was sent again"
    assert killed_after < 20
