"""`python -m bot webhooks ...`: the secret is shown once, the log and redelivery work."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from sqlalchemy import select

from bot.db import Database, TenantRef
from bot.db.engine import REPO_ROOT
from bot.db.models import WebhookDelivery, WebhookEndpoint
from bot.db.webhooks import record_event


def _webhooks(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "webhooks", "--database-url", db_url, *args],
        cwd=REPO_ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=120, check=False,
    )


async def test_add_shows_the_secret_once_and_list_never_shows_it(db_url: str, database: Database) -> None:
    added = _webhooks(db_url, "add", "--tenant", "nordlys", "https://crm.example.com/hooks", "--events",
                      "ticket.created,ticket.updated")
    assert added.returncode == 0, added.stderr
    secret = re.search(r"secret \(shown once\): (\S+)", added.stdout)
    assert secret is not None
    async with database.sessionmaker() as session:
        endpoint = (await session.scalars(select(WebhookEndpoint))).one()
    assert endpoint.secret == secret.group(1) and endpoint.events == ["ticket.created", "ticket.updated"]

    listed = _webhooks(db_url, "list", "--tenant", "nordlys")
    assert listed.returncode == 0 and "https://crm.example.com/hooks" in listed.stdout
    assert secret.group(1) not in listed.stdout
    assert "https://crm" not in _webhooks(db_url, "list", "--tenant", "fjordnett").stdout

    rotated = _webhooks(db_url, "rotate-secret", "--tenant", "nordlys", str(endpoint.id))
    assert rotated.returncode == 0 and "new secret (shown once): whsec_" in rotated.stdout
    assert "previous secret valid until" in _webhooks(db_url, "list", "--tenant", "nordlys").stdout


def test_http_and_unknown_events_are_refused_at_registration(db_url: str) -> None:
    http = _webhooks(db_url, "add", "--tenant", "nordlys", "http://crm.example.com/hooks")
    assert http.returncode == 1 and "must use https" in http.stderr
    unknown = _webhooks(db_url, "add", "--tenant", "nordlys", "https://crm.example.com/h", "--events", "ticket.eaten")
    assert unknown.returncode == 1 and "unknown event types ticket.eaten" in unknown.stderr


async def test_the_delivery_log_lists_deliveries_and_redeliver_queues_one_again(
    db_url: str, database: Database, nordlys: TenantRef
) -> None:
    assert _webhooks(db_url, "add", "--tenant", "nordlys", "https://crm.example.com/hooks").returncode == 0
    async with database.sessionmaker.begin() as session:
        event_id = await record_event(session, nordlys.id, "ticket.created", {"reference": "NOR-1001"})
    async with database.sessionmaker.begin() as session:
        delivery = (await session.scalars(select(WebhookDelivery))).one()
        delivery.status, delivery.last_status_code, delivery.attempts = "failed", 410, 1

    log = _webhooks(db_url, "deliveries", "--tenant", "nordlys", "--status", "failed")
    assert log.returncode == 0 and event_id in log.stdout and "HTTP 410" in log.stdout

    again = _webhooks(db_url, "redeliver", "--tenant", "nordlys", str(delivery.id))
    assert again.returncode == 0, again.stderr
    async with database.sessionmaker() as session:
        assert (await session.get(WebhookDelivery, delivery.id)).status == "pending"  # type: ignore[union-attr]
    other = _webhooks(db_url, "redeliver", "--tenant", "fjordnett", str(delivery.id))
    assert other.returncode == 1 and "no webhook delivery" in other.stderr
