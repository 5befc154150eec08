"""The SSRF guard: only https to public addresses (loopback http only when allowed)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from bot.db import Database, TenantRef
from bot.db.models import WebhookDelivery
from bot.db.webhooks import add_endpoint, record_event
from bot.webhooks.guard import DestinationRefused, check_url, refusal_reason
from bot.webhooks.worker import DeliveryWorker
from tests.webhooks.conftest import FAST, Receiver


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fd00::1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1%eth0", "a link-local address"),
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("0.0.0.0", "a private address"),
        ("100.64.0.1", "not a public address"),
        ("224.0.0.1", "not a public address"),
        ("93.184.216.34", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_only_public_addresses_are_acceptable(address: str, reason: str | None) -> None:
    assert refusal_reason(address, allow_loopback=False) == reason


def test_loopback_is_acceptable_only_when_allowed() -> None:
    assert refusal_reason("127.0.0.1", allow_loopback=True) is None
    assert refusal_reason("10.0.0.1", allow_loopback=True) == "a private address"


@pytest.mark.parametrize(
    ("url", "allow"),
    [
        ("http://example.com/hook", False),
        ("http://example.com/hook", True),  # http only to loopback, even in tests
        ("http://127.0.0.1:9/hook", False),
        ("ftp://example.com/hook", False),
        ("https://user:pw@example.com/hook", False),
        ("https:///hook", False),
    ],
)
def test_urls_other_than_https_are_refused(url: str, allow: bool) -> None:
    with pytest.raises(DestinationRefused):
        check_url(url, allow_loopback_http=allow)


def test_https_and_allowed_loopback_http_pass() -> None:
    check_url("https://crm.example.com/hooks", allow_loopback_http=False)
    check_url("http://127.0.0.1:8080/hooks", allow_loopback_http=True)
    check_url("http://localhost:8080/hooks", allow_loopback_http=True)


async def _refused_delivery(database: Database, tenant: TenantRef, url: str, worker_settings=FAST) -> WebhookDelivery:
    async with database.sessionmaker.begin() as session:
        await add_endpoint(session, tenant.id, url, ["*"])
        await record_event(session, tenant.id, "ticket.created", {})
    async with DeliveryWorker(database.sessionmaker, worker_settings) as worker:
        await worker.run_once()
        await worker.run_once()
    async with database.sessionmaker() as session:
        return (await session.scalars(select(WebhookDelivery))).one()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://10.0.0.1/hook", "private address"),
        ("https://169.254.169.254/latest/meta-data", "link-local address"),
        ("https://[fe80::1]/hook", "link-local address"),
    ],
)
async def test_a_private_or_link_local_endpoint_is_refused_and_not_retried(
    database: Database, nordlys: TenantRef, url: str, reason: str
) -> None:
    delivery = await _refused_delivery(database, nordlys, url)
    assert delivery.status == "failed" and delivery.attempts == 1
    assert delivery.last_error is not None and delivery.last_error.startswith("refused:")
    assert reason in delivery.last_error


async def test_a_name_resolving_to_loopback_is_refused_when_loopback_is_not_allowed(
    database: Database, nordlys: TenantRef, receiver: Receiver
) -> None:
    port = receiver.url().split(":")[2].split("/")[0]
    delivery = await _refused_delivery(
        database, nordlys, f"https://localhost:{port}/hook", replace(FAST, allow_loopback_http=False)
    )
    assert delivery.status == "failed" and "loopback address" in (delivery.last_error or "")
    assert receiver.arrivals == []


async def test_a_redirect_is_not_followed_and_is_final(
    database: Database, nordlys: TenantRef, receiver: Receiver
) -> None:
    target = receiver.url("/elsewhere")
    async with database.sessionmaker.begin() as session:
        await add_endpoint(session, nordlys.id, receiver.url("/hook"), ["*"])
        event_id = await record_event(session, nordlys.id, "ticket.created", {})
    receiver.reply(event_id, (302, {"Location": target}))

    async with DeliveryWorker(database.sessionmaker, FAST) as worker:
        await worker.run_once()
        await worker.run_once()

    assert receiver.hits == {"/hook": 1}
    async with database.sessionmaker() as session:
        delivery = (await session.scalars(select(WebhookDelivery))).one()
    assert delivery.status == "failed" and delivery.last_status_code == 302
    assert "redirects are not followed" in (delivery.last_error or "")
