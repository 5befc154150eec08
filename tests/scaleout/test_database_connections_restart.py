"""PostgreSQL drops every connection of the gateways (a failover, a restart, an admin
terminating backends) in the middle of a conversation: the gateways reconnect by
themselves and no message is lost."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_ADMIN_URL
from tests.gateway.support import FakeRasa

from .conftest import ON_POSTGRESQL, Gateways, conversation_of
from .test_gateway_instance_dies import transcript

pytestmark = ON_POSTGRESQL


def cid() -> str:
    return str(uuid.uuid4())


async def terminate_connections(db_url: str) -> int:
    """pg_terminate_backend for every connection to the test's database; how many."""
    database = make_url(db_url).database
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        rows = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await admin.close()
    return len(rows)


async def test_gateways_recover_from_terminated_connections_without_losing_a_message(
    db_url: str, two_gateways: Gateways, fake_rasa: FakeRasa, open_tab: Any
) -> None:
    url_a, url_b = two_gateways.urls
    tab = await open_tab(url_a)
    conversation_id = conversation_of(tab)
    other_tab = await open_tab(url_b, conversation_id=conversation_id, last_seq=1)

    sent = []
    terminated = 0
    for round_number in range(4):
        text = f"message {round_number}"
        sent.append(text)
        if round_number == 2:
            # Connections dropped while Rasa works on a turn, too.
            fake_rasa.mode = "hold"
            await tab.send(type="message", client_id=cid(), text=text)
            await tab.wait_for(lambda f: f["type"] == "ack")
            terminated += await terminate_connections(db_url)
            fake_rasa.release()
        else:
            terminated += await terminate_connections(db_url)
            await tab.send(type="message", client_id=cid(), text=text)
        reply = f"echo: {text}"
        await tab.wait_for(lambda f, reply=reply: f["type"] == "message" and f["text"] == reply)
        await other_tab.wait_for(lambda f, reply=reply: f["type"] == "message" and f["text"] == reply)
    assert terminated > 0  # the gateways really had connections to lose

    stored = await transcript(db_url, conversation_id)
    assert [text for _, role, text in stored if role == "customer"] == sent
    assert [text for _, role, text in stored if role == "bot"][1:] == [f"echo: {t}" for t in sent]
    assert fake_rasa.answered_texts == sent
