"""Conversations, transcripts (the stored, redacted copy) and ratings through the public API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient

from bot.db import Database, TenantRef
from bot.db.models import Conversation, Message
from bot.db.public_ids import public_conversation_id
from bot.db.types import utcnow

from .conftest import KeyMaker, bearer


@pytest.fixture
async def chats(database: Database, nordlys: TenantRef) -> list[str]:
    """Five nordlys chats a minute apart (newest last); the odd ones rated; one transcript.
    Their raw ids, which the API never shows (see public())."""
    start = utcnow() - timedelta(hours=1)
    ids = [f"conv-{i}" for i in range(5)]
    async with database.sessionmaker.begin() as session:
        for i, conversation_id in enumerate(ids):
            session.add(Conversation(
                id=conversation_id, tenant_id=nordlys.id, language="nb" if i % 2 else "en",
                state="resolved" if i % 2 else "bot", created_at=start + timedelta(minutes=i),
                last_activity_at=start + timedelta(minutes=i), rating=4 if i % 2 else None,
                rating_comment="Rask hjelp" if i % 2 else None, resolved_at=start if i % 2 else None,
                last_seq=3 if i == 0 else 0,
            ))
        await session.flush()
        for seq, (role, text) in enumerate(
            [("customer", "My card is [CARD]"), ("bot", "I can't take card numbers here."), ("agent", "Hi!")], 1
        ):
            session.add(Message(tenant_id=nordlys.id, conversation_id="conv-0", seq=seq, role=role, text=text,
                                agent_name="Kari" if role == "agent" else None))
    return ids


def public(raw_id: str) -> str:
    """What the API and the webhooks call a conversation."""
    return public_conversation_id(raw_id)


async def test_conversations_are_listed_newest_first_across_pages(
    api: TestClient, issue_key: KeyMaker, chats: list[str]
) -> None:
    key = await issue_key("nordlys", "conversations:read")

    first = await (await api.get("/api/v1/firm/conversations?limit=3", headers=bearer(key))).json()
    second = await (await api.get(
        f"/api/v1/firm/conversations?limit=3&cursor={first['next_cursor']}", headers=bearer(key))).json()
    resolved = await (await api.get("/api/v1/firm/conversations?state=resolved", headers=bearer(key))).json()

    assert [c["id"] for c in first["data"] + second["data"]] == [public(c) for c in reversed(chats)]
    assert second["next_cursor"] is None
    assert [c["id"] for c in resolved["data"]] == [public("conv-3"), public("conv-1")]


async def test_the_transcript_is_the_stored_redacted_copy_in_order(
    api: TestClient, issue_key: KeyMaker, chats: list[str]
) -> None:
    key = await issue_key("nordlys", "conversations:read")

    path = f"/api/v1/firm/conversations/{public('conv-0')}/messages"
    page = await (await api.get(f"{path}?limit=2", headers=bearer(key))).json()
    rest = await (await api.get(f"{path}?cursor={page['next_cursor']}", headers=bearer(key))).json()
    missing = await api.get(f"/api/v1/firm/conversations/{public('conv-404')}/messages", headers=bearer(key))

    assert [(m["seq"], m["role"], m["text"]) for m in page["data"] + rest["data"]] == [
        (1, "customer", "My card is [CARD]"), (2, "bot", "I can't take card numbers here."), (3, "agent", "Hi!")]
    assert rest["data"][0]["agent_name"] == "Kari" and rest["next_cursor"] is None
    assert page["conversation_id"] == public("conv-0")
    assert missing.status == 404


async def test_ratings_list_only_rated_conversations(api: TestClient, issue_key: KeyMaker, chats: list[str]) -> None:
    key = await issue_key("nordlys", "conversations:read")

    ratings = await (await api.get("/api/v1/firm/ratings", headers=bearer(key))).json()

    assert [(r["conversation_id"], r["rating"], r["comment"]) for r in ratings["data"]] == [
        (public("conv-3"), 4, "Rask hjelp"), (public("conv-1"), 4, "Rask hjelp")]


async def test_another_tenant_sees_none_of_them(api: TestClient, issue_key: KeyMaker, chats: list[str]) -> None:
    key = await issue_key("fjordnett", "conversations:read")

    listed = await (await api.get("/api/v1/firm/conversations", headers=bearer(key))).json()
    transcript = await api.get(f"/api/v1/firm/conversations/{public('conv-0')}/messages", headers=bearer(key))

    assert not {public(c) for c in chats} & {c["id"] for c in listed["data"]}
    assert transcript.status == 404
