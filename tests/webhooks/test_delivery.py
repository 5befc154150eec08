"""The delivery worker against a real receiving server, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select, update

from bot.db import Database, TenantRef
from bot.db.models import WebhookDelivery, WebhookEndpoint
from bot.db.types import utcnow
from bot.db.webhooks import add_endpoint, list_deliveries, record_event, redeliver, rotate_secret
from bot.webhooks.worker import DeliveryWorker
from tests.webhooks.conftest import FAST, Receiver, documented_verifier


async def _endpoint(database: Database, tenant: TenantRef, url: str, events: tuple[str, ...] = ("*",)) -> tuple[int, str]:
    async with database.sessionmaker.begin() as session:
        endpoint, secret = await add_endpoint(session, tenant.id, url, events)
    return endpoint.id, secret


async def _record(database: Database, tenant: TenantRef, type_: str, data: dict, key: str | None = None) -> str:
    async with database.sessionmaker.begin() as session:
        return await record_event(session, tenant.id, type_, data, key)


async def _deliveries(database: Database) -> dict[str, WebhookDelivery]:
    async with database.sessionmaker() as session:
        return {d.event_id: d for d in await session.scalars(select(WebhookDelivery))}


async def _passes(worker: DeliveryWorker, count: int) -> None:
    for _ in range(count):
        await worker.run_once()


async def _drain(worker: DeliveryWorker, database: Database, timeout: float = 20.0) -> None:
    """Run passes until nothing is pending (retries are due within milliseconds)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = await _deliveries(database)
        if all(d.status != "pending" for d in rows.values()):
            return
        assert time.monotonic() < deadline, "deliveries still pending"
        await worker.run_once()


async def test_a_delivery_is_signed_so_the_documented_recipe_verifies_it(
    database: Database, nordlys: TenantRef, receiver: Receiver
) -> None:
    _, secret = await _endpoint(database, nordlys, receiver.url())
    event_id = await _record(database, nordlys, "ticket.created", {"reference": "NOR-1001"})

    async with DeliveryWorker(database.sessionmaker, FAST) as worker:
        await worker.run_once()

    [arrival] = receiver.arrivals
    verify = documented_verifier()
    header = arrival.headers["X-BPO-Signature"]
    assert verify(secret, header, arrival.body)
    assert not verify("whsec_wrong", header, arrival.body)
    assert not verify(secret, header, arrival.body + b" ")
    sent_at = int(header.split(",")[0].removeprefix("t="))
    assert not verify(secret, header, arrival.body, now=sent_at + 301), "older than 5 minutes is a replay"
    payload = json.loads(arrival.body)
    assert set(payload) == {"id", "type", "tenant", "created_at", "data"}
    assert payload["id"] == event_id and payload["type"] == "ticket.created"
    assert payload["tenant"] == "nordlys" and payload["data"] == {"reference": "NOR-1001"}


async def test_during_a_rotation_both_secrets_verify_and_after_the_overlap_only_the_new(
    database: Database, nordlys: TenantRef, receiver: Receiver
) -> None:
    endpoint_id, old = await _endpoint(database, nordlys, receiver.url())
    async with database.sessionmaker.begin() as session:
        new = await rotate_secret(session, nordlys.id, endpoint_id, overlap=timedelta(hours=1))
    verify = documented_verifier()

    await _record(database, nordlys, "ticket.created", {"n": 1})
    async with DeliveryWorker(database.sessionmaker, FAST) as worker:
        await worker.run_once()
        async with database.sessionmaker.begin() as session:
            await session.execute(
                update(WebhookEndpoint).values(previous_secret_expires_at=utcnow() - timedelta(seconds=1))
            )
        await _record(database, nordlys, "ticket.created", {"n": 2})
        await worker.run_once()

    during, after = receiver.arrivals
    assert during.headers["X-BPO-Signature"].count("v1=") == 2
    assert verify(old, during.headers["X-BPO-Signature"], during.body)
    assert verify(new, during.headers["X-BPO-Signature"], during.body)
    assert after.headers["X-BPO-Signature"].count("v1=") == 1
    assert verify(new, after.headers["X-BPO-Signature"], after.body)
    assert not verify(old, after.headers["X-BPO-Signature"], after.body)


async def test_events_of_one_conversation_arrive_in_order_even_when_the_first_is_retried(
    database: Database, nordlys: TenantRef, receiver: Receiver
) -> None:
    await _endpoint(database, nordlys, receiver.url())
    a = [
        await _record(database, nordlys, kind, {"i": i}, "conversation:A")
        for i, kind in enumerate(["conversation.started", "conversation.escalated",
                                  "conversation.assigned", "conversation.resolved"])
    ]
    b = await _record(database, nordlys, "conversation.started", {}, "conversation:B")
    receiver.reply(a[0], (500, {}), (503, {}))

    async with DeliveryWorker(database.sessionmaker, FAST) as worker:
        await _drain(worker, database)

    first_success = {}
    for position, arrival in enumerate(receiver.arrivals):
        if arrival.status == 200:
            first_success.setdefault(arrival.event_id, position)
    assert [e for e in receiver.ids() if e in a] == [a[0], a[0], a[0], a[1], a[2], a[3]]
    # The other conversation was not held up by A's retries.
    assert first_success[b] < first_success[a[0]]
    rows = await _deliveries(database)
    assert rows[a[0]].status == "delivered" and rows[a[0]].attempts == 3
    assert rows[a[0]].last_status_code == 200 and rows[a[0]].delivered_at is not None


async def test_410_is_final_and_is_not_retried(database: Database, nordlys: TenantRef, receiver: Receiver) -> None:
    await _endpoint(database, nordlys, receiver.url())
    event_id = await _record(database, nordlys, "ticket.created", {})
    receiver.reply(event_id, (410, {}))

    async with DeliveryWorker(database.sessionmaker, FAST) as worker:
        await _passes(worker, 5)

    assert receiver.ids() == [event_id]
    row = (await _deliveries(database))[event_id]
    assert (row.status, row.attempts, row.last_status_code) == ("failed", 1, 410)


async def test_a_later_event_of_the_conversation_goes_out_once_the_earlier_finally_failed(
    database: Database, nordlys: TenantRef, receiver: Receiver
) -> None:
    await _endpoint(database, nordlys, receiver.url())
    first = await _record(database, nordlys, "conversation.started", {}, "conversation:C")
    second = await _record(database, nordlys, "conversation.resolved", {}, "conversation:C")
    receiver.reply(first, (400, {}))

    async with DeliveryWorker(database.sessionmaker, FAST) as worker:
        await _drain(worker, database)

    assert receiver.ids() == [first, second]


async def test_retry_after_of_a_429_is_honoured(database: Database, nordlys: TenantRef, receiver: Receiver) -> None:
    await _endpoint(database, nordlys, receiver.url())
    event_id = await _record(database, nordlys, "ticket.updated", {})
    receiver.reply(event_id, (429, {"Retry-After": "120"}))

    before = utcnow()
    async with DeliveryWorker(database.sessionmaker, FAST) as worker:
        await _passes(worker, 3)

    assert receiver.ids() == [event_id], "nothing is sent again before Retry-After"
    row = (await _deliveries(database))[event_id]
    assert row.status == "pending" and row.last_status_code == 429
    assert row.next_attempt_at >= before + timedelta(seconds=119)


async def test_a_delivery_still_failing_after_24_hours_is_given_up(
    database: Database, nordlys: TenantRef, receiver: Receiver
) -> None:
    await _endpoint(database, nordlys, receiver.url())
    event_id = await _record(database, nordlys, "ticket.created", {})
    async with database.sessionmaker.begin() as session:
        await session.execute(update(WebhookDelivery).values(created_at=utcnow() - timedelta(hours=24)))
    receiver.reply(event_id, (500, {}))

    async with DeliveryWorker(database.sessionmaker, FAST) as worker:
        await _passes(worker, 2)

    row = (await _deliveries(database))[event_id]
    assert row.status == "failed" and "gave up" in (row.last_error or "")


async def test_an_endpoint_failing_for_24_hours_is_disabled_with_its_reason(
    database: Database, nordlys: TenantRef, receiver: Receiver
) -> None:
    endpoint_id, _ = await _endpoint(database, nordlys, receiver.url())
    event_id = await _record(database, nordlys, "ticket.created", {})
    async with database.sessionmaker.begin() as session:
        await session.execute(update(WebhookEndpoint).values(failing_since=utcnow() - timedelta(hours=25)))
    receiver.reply(event_id, (502, {}))

    async with DeliveryWorker(database.sessionmaker, FAST) as worker:
        await worker.run_once()
    async with database.sessionmaker() as session:
        endpoint = await session.get(WebhookEndpoint, endpoint_id)
    assert endpoint is not None and not endpoint.enabled
    assert "failed for 1 day" in (endpoint.disabled_reason or "")

    later = await _record(database, nordlys, "ticket.updated", {})
    assert later not in await _deliveries(database), "a disabled endpoint gets no new deliveries"


async def test_a_success_clears_the_failing_streak(database: Database, nordlys: TenantRef, receiver: Receiver) -> None:
    endpoint_id, _ = await _endpoint(database, nordlys, receiver.url())
    event_id = await _record(database, nordlys, "ticket.created", {})
    receiver.reply(event_id, (500, {}))

    async with DeliveryWorker(database.sessionmaker, FAST) as worker:
        await worker.run_once()
        async with database.sessionmaker() as session:
            assert (await session.get(WebhookEndpoint, endpoint_id)).failing_since is not None  # type: ignore[union-attr]
        await _drain(worker, database)
    async with database.sessionmaker() as session:
        endpoint = await session.get(WebhookEndpoint, endpoint_id)
    assert endpoint is not None and endpoint.enabled and endpoint.failing_since is None


async def test_message_created_goes_only_to_endpoints_that_asked_for_it(
    database: Database, nordlys: TenantRef, receiver: Receiver
) -> None:
    await _endpoint(database, nordlys, receiver.url("/all"), ("*",))
    await _endpoint(database, nordlys, receiver.url("/messages"), ("message.created",))
    await _record(database, nordlys, "message.created", {"text": "[redacted]"})
    await _record(database, nordlys, "ticket.created", {})

    async with DeliveryWorker(database.sessionmaker, FAST) as worker:
        await _drain(worker, database)

    assert receiver.hits == {"/messages": 1, "/all": 1}
    assert sorted(json.loads(a.body)["type"] for a in receiver.arrivals) == ["message.created", "ticket.created"]


async def test_events_of_another_tenant_never_reach_this_tenants_endpoint(
    database: Database, nordlys: TenantRef, fjordnett: TenantRef, receiver: Receiver
) -> None:
    await _endpoint(database, nordlys, receiver.url())
    await _record(database, fjordnett, "ticket.created", {})

    async with DeliveryWorker(database.sessionmaker, FAST) as worker:
        await _passes(worker, 2)

    assert receiver.arrivals == []


async def test_the_log_shows_attempts_and_a_redelivery_sends_again(
    database: Database, nordlys: TenantRef, fjordnett: TenantRef, receiver: Receiver
) -> None:
    await _endpoint(database, nordlys, receiver.url())
    event_id = await _record(database, nordlys, "ticket.created", {})
    receiver.reply(event_id, (404, {}))

    async with DeliveryWorker(database.sessionmaker, FAST) as worker:
        await worker.run_once()
        async with database.sessionmaker() as session:
            [record] = await list_deliveries(session, nordlys.id, status="failed")
            assert await list_deliveries(session, fjordnett.id) == []
        assert (record.event_id, record.attempts, record.last_status_code) == (event_id, 1, 404)

        async with database.sessionmaker.begin() as session:
            await redeliver(session, nordlys.id, record.id)
        await worker.run_once()

    assert receiver.ids() == [event_id, event_id]
    row = (await _deliveries(database))[event_id]
    assert (row.status, row.attempts) == ("delivered", 2)


async def test_an_unreachable_receiver_is_retried_as_a_connection_error(
    database: Database, nordlys: TenantRef, receiver: Receiver
) -> None:
    url = receiver.url()
    await receiver.server.close()  # type: ignore[union-attr]
    await _endpoint(database, nordlys, url)
    event_id = await _record(database, nordlys, "ticket.created", {})

    async with DeliveryWorker(database.sessionmaker, replace(FAST, backoff_base=60)) as worker:
        await worker.run_once()

    row = (await _deliveries(database))[event_id]
    assert row.status == "pending" and row.attempts == 1 and row.last_status_code is None
    assert "Connect" in (row.last_error or "")


async def test_an_event_recorded_in_a_rolled_back_transaction_never_exists(
    database: Database, nordlys: TenantRef
) -> None:
    await _endpoint(database, nordlys, "https://crm.example.com/hooks")
    async with database.sessionmaker() as session:
        async with session.begin():
            await record_event(session, nordlys.id, "ticket.created", {})
            await session.rollback()

    assert await _deliveries(database) == {}
