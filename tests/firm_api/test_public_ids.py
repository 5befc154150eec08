"""A firm correlates the API with its webhooks: both name a conversation by the same public id,
and neither ever shows the raw id (the widget's secret: whoever holds it resumes the chat)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import text

from bot.db import Database, TenantRef
from alembic.script import ScriptDirectory

from bot.db.migrate import alembic_config, downgrade, upgrade
from bot.db.public_ids import public_conversation_id
from bot.db.webhooks import add_endpoint
from tests.handoff.conftest import KARI, Desk, clock, desk  # noqa: F401 - fixtures
from tests.webhooks.feed_support import events

from .conftest import KeyMaker, bearer

API = "/api/v1/firm"


async def _every_event_wanted(database: Database, tenant: TenantRef) -> None:
    async with database.sessionmaker.begin() as session:
        await add_endpoint(session, tenant.id, "https://crm.example.com/hooks", ["*"])


class Reader:
    """Reads the API as a firm would, keeping every response body and decoded cursor it saw."""

    def __init__(self, api: TestClient, key: str) -> None:
        self.api, self.key, self.seen = api, key, []

    async def get(self, path: str) -> Any:
        response = await self.api.get(API + path, headers=bearer(self.key))
        self.seen.append(await response.text())
        assert response.status == 200, self.seen[-1]
        body = await response.json()
        if body.get("next_cursor"):  # opaque, but only base64: it must not carry the secret either
            cursor = body["next_cursor"]
            self.seen.append(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
        return body

    async def every_page(self, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = await self.get(f"{path}?limit=1" + (f"&cursor={cursor}" if cursor else ""))
            items += page["data"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items


async def test_the_api_names_each_conversation_as_its_webhooks_do_and_never_by_its_raw_id(
    api: TestClient, issue_key: KeyMaker, desk: Desk, nordlys: TenantRef  # noqa: F811
) -> None:
    await _every_event_wanted(desk.database, nordlys)
    # Nobody online: the chat is left as a ticket (ticket.created names the chat).
    left = await desk.conversation(nordlys)
    outcome = await desk.service.start_handoff(nordlys, left, reason="complaint", summary={"text": "angry"})
    # Kari online: a chat she takes, resolves and the customer rates.
    [kari] = await desk.online(KARI)
    rated = await desk.conversation(nordlys, customer_says="My bill is wrong")
    await desk.service.start_handoff(nordlys, rated, reason="customer_request", summary=None)
    await desk.service.resolve(kari, rated)
    await desk.service.rate(nordlys, rated, 5, "great")

    escalated_left, escalated_rated = await events(desk.database, "conversation.escalated")
    [ticket_created] = await events(desk.database, "ticket.created")
    [rated_event] = await events(desk.database, "conversation.rated")
    hooked_left = escalated_left.data["conversation"]["id"]
    hooked_ticket = ticket_created.data["ticket"]
    hooked_rated = rated_event.data["conversation"]["id"]
    assert escalated_rated.data["conversation"]["id"] == hooked_rated
    assert hooked_ticket["reference"] == outcome.ticket_reference

    reader = Reader(api, await issue_key("nordlys", "conversations:read", "tickets:read"))
    listed = {c["id"]: c for c in await reader.every_page("/conversations")}
    ratings = await reader.every_page("/ratings")
    ticket = await reader.get(f"/tickets/{hooked_ticket['reference']}")
    tickets = await reader.every_page("/tickets")
    transcripts = {id_: await reader.get(f"/conversations/{id_}/messages") for id_ in (hooked_left, hooked_rated)}

    assert {hooked_left, hooked_rated} <= set(listed)
    assert listed[hooked_rated]["rating"] == 5
    assert [(r["conversation_id"], r["rating"]) for r in ratings] == [(hooked_rated, 5)]
    assert ticket["conversation_id"] == hooked_ticket["conversation_id"] == hooked_left
    assert hooked_left in {t["conversation_id"] for t in tickets}
    assert transcripts[hooked_left]["conversation_id"] == hooked_left
    assert [m["text"] for m in transcripts[hooked_rated]["data"]][0] == "My bill is wrong"
    for raw in (left, rated):
        assert not any(raw in body for body in reader.seen), "a raw conversation id left the API"


async def test_a_raw_conversation_id_finds_nothing(
    api: TestClient, issue_key: KeyMaker, desk: Desk, nordlys: TenantRef  # noqa: F811
) -> None:
    raw = await desk.conversation(nordlys)
    key = await issue_key("nordlys", "conversations:read")

    by_raw = await api.get(f"{API}/conversations/{raw}/messages", headers=bearer(key))
    by_public = await api.get(f"{API}/conversations/{public_conversation_id(raw)}/messages", headers=bearer(key))

    assert by_raw.status == 400 and (await by_raw.json())["error"]["code"] == "invalid_request"
    assert by_public.status == 200


async def test_a_public_reply_through_the_api_records_ticket_updated_with_the_stored_reply(
    api: TestClient, issue_key: KeyMaker, database: Database, nordlys: TenantRef
) -> None:
    await _every_event_wanted(database, nordlys)
    key = await issue_key("nordlys", "tickets:write")

    refused = await api.post(f"{API}/tickets/NRD-1042/replies", headers=bearer(key), json={"text": "  "})
    assert refused.status == 400
    assert await events(database, "ticket.updated") == []

    replied = await api.post(
        f"{API}/tickets/NRD-1042/replies", headers=bearer(key),
        json={"text": "The engineer comes on Tuesday; questions to ola.nordmann@example.no"},
    )
    assert replied.status == 201, await replied.text()
    stored = (await replied.json())["public_reply"]

    [updated] = await events(database, "ticket.updated")
    assert updated.tenant_id == nordlys.id
    assert updated.data["changes"] == {"public_reply": stored}
    assert stored.startswith("The engineer comes on Tuesday") and "ola.nordmann@example.no" not in stored
    assert updated.data["ticket"]["reference"] == "NRD-1042"
    assert updated.data["ticket"]["updated_at"].endswith("Z")


# --- the migration ---------------------------------------------------------------------------


async def _execute(url: str, *statements: str) -> list[tuple[Any, ...]]:
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            rows: list[tuple[Any, ...]] = []
            for statement in statements:
                result = await connection.execute(text(statement))
                if result.returns_rows:
                    rows = [tuple(row) for row in result]
            return rows
    finally:
        await database.dispose()


MIGRATION = "0013_public_conversation_ids"


def _revision_before(revision: str) -> str:
    down = ScriptDirectory.from_config(alembic_config()).get_revision(revision).down_revision
    assert isinstance(down, str)
    return down


async def test_migration_0012_gives_existing_conversations_the_ids_their_webhooks_used(empty_db_url: str) -> None:
    before = _revision_before(MIGRATION)
    await upgrade(empty_db_url, before)
    await _execute(
        empty_db_url,
        "INSERT INTO tenants (id, slug, name, trade, language, time_zone, business_hours, branding,"
        " allowed_origins, identity_secret, ticket_prefix, currency)"
        " VALUES (1, 'acme', 'Acme', 'retail', 'en', 'UTC', '{}', '{}', '[]', 's', 'ACM', 'GBP')",
        "INSERT INTO conversations (id, tenant_id, language) VALUES ('chat-1', 1, 'en'), ('chat-2', 1, 'nb')",
    )

    await upgrade(empty_db_url, MIGRATION)

    assert await _execute(empty_db_url, "SELECT id, public_id FROM conversations ORDER BY id") == [
        ("chat-1", public_conversation_id("chat-1")), ("chat-2", public_conversation_id("chat-2")),
    ]
    with pytest.raises(Exception, match="(?i)unique"):
        await _execute(
            empty_db_url,
            f"INSERT INTO conversations (id, public_id, tenant_id, language)"
            f" VALUES ('chat-3', '{public_conversation_id('chat-1')}', 1, 'en')",
        )

    await downgrade(empty_db_url, before)
    assert await _execute(empty_db_url, "SELECT id FROM conversations ORDER BY id") == [("chat-1",), ("chat-2",)]


def test_the_public_id_is_the_documented_hash() -> None:
    # A published contract: firms store these ids, so the formula never changes.
    expected = "conv_" + hashlib.sha256(b"conversation:chat-1").hexdigest()[:32]
    assert public_conversation_id("chat-1") == expected
