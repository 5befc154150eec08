"""Seeded conversations for the review tests: each one written straight into the database with
exactly the facts a test names (start time, language, handoff, rating, fallbacks)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.db import Database, TenantRef
from bot.db.models import Conversation, Message
from bot.db.types import utcnow


@dataclass(frozen=True)
class Turn:
    """A customer message and (optionally) the bot's answer; fallback marks it not understood."""

    customer: str
    bot: str | None = "ok"
    fallback: str | None = None


async def seed_conversation(
    database: Database,
    tenant: TenantRef,
    *turns: Turn | str,
    started: datetime | None = None,
    language: str = "en",
    handoff_reason: str | None = None,
    rating: int | None = None,
    greeting: str = "Hi! How can I help?",
) -> str:
    """A conversation (greeting, then the turns) started at `started` (default now)."""
    started = started or utcnow()
    conversation_id = secrets.token_urlsafe(24)
    lines: list[tuple[str, str, str | None]] = [("bot", greeting, None)]
    for turn in turns:
        turn = Turn(turn) if isinstance(turn, str) else turn
        lines.append(("customer", turn.customer, turn.fallback))
        if turn.bot is not None:
            lines.append(("bot", turn.bot, None))
    async with database.sessionmaker.begin() as session:
        session.add(
            Conversation(
                id=conversation_id, tenant_id=tenant.id, language=language, created_at=started,
                last_activity_at=started, last_seq=len(lines), handoff_reason=handoff_reason,
                rating=rating, state="resolved" if handoff_reason else "bot",
                queued_at=started if handoff_reason else None,
            )
        )
        await session.flush()
        for seq, (role, text, fallback) in enumerate(lines, 1):
            session.add(
                Message(
                    tenant_id=tenant.id, conversation_id=conversation_id, seq=seq, role=role, text=text,
                    fallback=fallback, created_at=started + timedelta(seconds=seq),
                )
            )
    return conversation_id


def customer_seqs(turns: int) -> list[int]:
    """The seqs of the customer messages of a conversation seeded with `turns` answered turns."""
    return [2 + 2 * index for index in range(turns)]


async def message_id(database: Database, conversation_id: str, seq: int) -> int:
    """The id of a seeded message (review pages and marks address messages by id)."""
    from sqlalchemy import select

    async with database.sessionmaker() as session:
        found = await session.scalar(
            select(Message.id).where(Message.conversation_id == conversation_id, Message.seq == seq)
        )
    assert found is not None, f"no message {seq} in the conversation"
    return found


async def seed_marked_message(database: Database, slug: str) -> dict[str, int]:
    """A conversation of tenant `slug` whose customer message a reviewer marked: the ids the
    review pages take ({"message_id", "annotation_id"})."""
    from bot.db import tenant_ref
    from bot.review.annotations import Annotator, Mark, mark_message

    async with database.sessionmaker() as session:
        tenant = await tenant_ref(session, slug)
    assert tenant is not None
    conversation_id = await seed_conversation(database, tenant, Turn("flibber the wotsit", fallback="nlu"))
    marked = await message_id(database, conversation_id, 2)
    async with database.sessionmaker.begin() as session:
        view = await mark_message(session, tenant.id, marked, Mark("intent", "greet", None),
                                  Annotator("agent", None, "seed", "supervisor"), redact=lambda text: text)
    return {"message_id": marked, "annotation_id": view.id}
