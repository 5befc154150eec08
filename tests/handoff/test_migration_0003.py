"""Migration 0003_agents: existing chats survive the upgrade (and the downgrade) untouched."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from bot.db import Database
from bot.db.migrate import current_revision, downgrade, upgrade

NEW_TABLES = {"agents", "agent_tenants", "agent_sessions", "internal_notes", "canned_responses"}
NEW_COLUMNS = {"assigned_agent_id", "queued_at", "assigned_at", "resolved_at", "rating", "rating_comment"}


async def _schema(url: str) -> tuple[set[str], set[str]]:
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: (
                    set(inspect(sync).get_table_names()),
                    {column["name"] for column in inspect(sync).get_columns("conversations")},
                )
            )
    finally:
        await database.dispose()


async def _execute(url: str, *statements: str) -> list[tuple[object, ...]]:
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            rows: list[tuple[object, ...]] = []
            for statement in statements:
                result = await connection.execute(text(statement))
                if result.returns_rows:
                    rows = [tuple(row) for row in result]
            return rows
    finally:
        await database.dispose()


async def test_upgrade_keeps_existing_conversations_and_messages(empty_db_url: str) -> None:
    await upgrade(empty_db_url, "0002_conversations")
    await _execute(
        empty_db_url,
        "INSERT INTO tenants (id, slug, name, trade, language, time_zone, business_hours, branding,"
        " allowed_origins, identity_secret, ticket_prefix, currency)"
        " VALUES (1, 'acme', 'Acme', 'retail', 'en', 'UTC', '{}', '{}', '[]', 's', 'ACM', 'GBP')",
        "INSERT INTO conversations (id, tenant_id, state, language, handoff_reason, last_seq)"
        " VALUES ('chat-1', 1, 'bot', 'en', 'complaint', 1)",
        "INSERT INTO messages (tenant_id, conversation_id, seq, role, text, buttons)"
        " VALUES (1, 'chat-1', 1, 'customer', 'hello', '[]')",
    )

    await upgrade(empty_db_url, "0003_agents")

    tables, columns = await _schema(empty_db_url)
    assert NEW_TABLES <= tables
    assert NEW_COLUMNS <= columns
    assert await _execute(
        empty_db_url,
        "SELECT c.state, c.handoff_reason, c.assigned_agent_id, c.rating, m.text"
        " FROM conversations c JOIN messages m ON m.conversation_id = c.id",
    ) == [("bot", "complaint", None, None, "hello")]


async def test_the_new_columns_keep_their_rules(empty_db_url: str) -> None:
    await upgrade(empty_db_url, "0003_agents")
    await _execute(
        empty_db_url,
        "INSERT INTO tenants (id, slug, name, trade, language, time_zone, business_hours, branding,"
        " allowed_origins, identity_secret, ticket_prefix, currency)"
        " VALUES (1, 'acme', 'Acme', 'retail', 'en', 'UTC', '{}', '{}', '[]', 's', 'ACM', 'GBP')",
        "INSERT INTO conversations (id, tenant_id, language) VALUES ('chat-1', 1, 'en')",
    )
    with pytest.raises(IntegrityError):
        await _execute(empty_db_url, "UPDATE conversations SET rating = 6")
    with pytest.raises(IntegrityError):  # no such agent
        await _execute(empty_db_url, "UPDATE conversations SET assigned_agent_id = 42")
    await _execute(empty_db_url, "UPDATE conversations SET rating = 5")


async def test_downgrade_to_0002_removes_handoff_data_but_keeps_the_chats(empty_db_url: str) -> None:
    await upgrade(empty_db_url, "0003_agents")
    await _execute(
        empty_db_url,
        "INSERT INTO tenants (id, slug, name, trade, language, time_zone, business_hours, branding,"
        " allowed_origins, identity_secret, ticket_prefix, currency)"
        " VALUES (1, 'acme', 'Acme', 'retail', 'en', 'UTC', '{}', '{}', '[]', 's', 'ACM', 'GBP')",
        "INSERT INTO conversations (id, tenant_id, language, state) VALUES ('chat-1', 1, 'en', 'queued')",
    )

    await downgrade(empty_db_url, "0002_conversations")

    assert await current_revision(empty_db_url) == "0002_conversations"
    tables, columns = await _schema(empty_db_url)
    assert not (NEW_TABLES & tables)
    assert not (NEW_COLUMNS & columns)
    assert await _execute(empty_db_url, "SELECT id, state FROM conversations") == [("chat-1", "queued")]
