"""The review list: a tenant's conversations, newest first, filtered, one page at a time.

Pages are cut by a cursor (the last row's start time and id), not an offset, so a page
costs the same on the thousandth page and rows arriving meanwhile shift nothing.
Conversations without a customer message (a greeting nobody answered) are left out:
there is nothing to review in them.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import SQLITE_UNICODE_LOWER
from bot.db.models import Annotation, Conversation, Message, Tenant
from bot.review.errors import InvalidFilter
from bot.review.filters import LOW_RATING_AT_MOST, ReviewFilter

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
EXCERPT_CHARS = 160


@dataclass(frozen=True)
class ConversationSummary:
    id: str
    created_at: datetime
    language: str
    state: str
    handoff_reason: str | None
    rating: int | None
    customer_messages: int
    not_understood: int
    annotations: int
    excerpt: str  # the first customer message, or the first one matching the search
    excerpt_message_id: int  # the page of the conversation opens at this message


@dataclass(frozen=True)
class ConversationPage:
    conversations: list[ConversationSummary]
    next_cursor: str | None  # give as `after` for the next page; None on the last page


async def search_conversations(
    session: AsyncSession,
    tenant_id: int,
    review_filter: ReviewFilter,
    *,
    after: str | None = None,
    limit: int = PAGE_SIZE,
) -> ConversationPage:
    """One page of the tenant's conversations matching the filter, newest first."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    time_zone = await session.scalar(select(Tenant.time_zone).where(Tenant.id == tenant_id)) or "UTC"
    lower = _lower_function(session)
    pattern = _contains_pattern(review_filter.text) if review_filter.text else None

    def messages_of_conversation(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
        return and_(
            Message.tenant_id == tenant_id, Message.conversation_id == Conversation.id, *conditions
        )

    is_customer = Message.role == "customer"
    matches = lower(Message.text).like(pattern, escape="\\") if pattern is not None else None
    conditions: list[ColumnElement[bool]] = [
        Conversation.tenant_id == tenant_id,
        exists().where(messages_of_conversation(is_customer)),
    ]
    if review_filter.handed_off:
        conditions.append(Conversation.handoff_reason.is_not(None))
    if review_filter.low_rating:
        conditions.append(Conversation.rating <= LOW_RATING_AT_MOST)
    if review_filter.language:
        conditions.append(Conversation.language == review_filter.language)
    if (started_from := review_filter.started_from(time_zone)) is not None:
        conditions.append(Conversation.created_at >= started_from)
    if (started_before := review_filter.started_before(time_zone)) is not None:
        conditions.append(Conversation.created_at < started_before)
    if review_filter.not_understood:
        conditions.append(exists().where(messages_of_conversation(is_customer, Message.fallback.is_not(None))))
    if review_filter.annotated:
        conditions.append(
            exists().where(
                messages_of_conversation(Annotation.tenant_id == tenant_id, Annotation.message_id == Message.id)
            )
        )
    if matches is not None:
        conditions.append(exists().where(messages_of_conversation(matches)))
    if after is not None:
        created_at, conversation_id = decode_cursor(after)
        conditions.append(
            or_(
                Conversation.created_at < created_at,
                and_(Conversation.created_at == created_at, Conversation.id < conversation_id),
            )
        )

    def count(*extra: ColumnElement[bool]) -> ColumnElement[int]:
        query = select(func.count()).select_from(Message).where(messages_of_conversation(*extra))
        return query.scalar_subquery()

    # The message a row shows and links to: the first one matching the search, else the first
    # one not understood or marked (when that is what is asked for), else the first customer message.
    excerpt_conditions = [is_customer]
    if matches is not None:
        excerpt_conditions = [matches]
    elif review_filter.not_understood:
        excerpt_conditions = [is_customer, Message.fallback.is_not(None)]
    elif review_filter.annotated:
        excerpt_conditions = [
            exists().where(Annotation.tenant_id == tenant_id, Annotation.message_id == Message.id)
        ]
    def first_message(column: ColumnElement[Any]) -> ColumnElement[Any]:
        return (
            select(column)
            .where(messages_of_conversation(*excerpt_conditions))
            .order_by(Message.seq)
            .limit(1)
            .scalar_subquery()
        )

    annotations = (
        select(func.count())
        .select_from(Annotation)
        .join(Message, Message.id == Annotation.message_id)
        .where(Annotation.tenant_id == tenant_id, messages_of_conversation())
        .scalar_subquery()
    )
    query = (
        select(
            Conversation.id,
            Conversation.created_at,
            Conversation.language,
            Conversation.state,
            Conversation.handoff_reason,
            Conversation.rating,
            count(is_customer).label("customer_messages"),
            count(is_customer, Message.fallback.is_not(None)).label("not_understood"),
            annotations.label("annotations"),
            first_message(Message.text).label("excerpt"),
            first_message(Message.id).label("excerpt_message_id"),
        )
        .where(*conditions)
        .order_by(Conversation.created_at.desc(), Conversation.id.desc())
        .limit(limit + 1)
    )
    rows = (await session.execute(query)).all()
    summaries = [
        ConversationSummary(
            id=row.id,
            created_at=row.created_at,
            language=row.language,
            state=row.state,
            handoff_reason=row.handoff_reason,
            rating=row.rating,
            customer_messages=row.customer_messages,
            not_understood=row.not_understood,
            annotations=row.annotations,
            excerpt=_shorten(row.excerpt or ""),
            excerpt_message_id=row.excerpt_message_id,
        )
        for row in rows[:limit]
    ]
    next_cursor = encode_cursor(summaries[-1]) if len(rows) > limit else None
    return ConversationPage(summaries, next_cursor)


def encode_cursor(last: ConversationSummary) -> str:
    raw = f"{last.created_at.isoformat()}|{last.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, conversation_id = raw.partition("|")
        created_at = datetime.fromisoformat(stamp)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidFilter("after", "is not a page cursor of this list") from None
    if created_at.tzinfo is None or not conversation_id:
        raise InvalidFilter("after", "is not a page cursor of this list")
    return created_at, conversation_id


def _lower_function(session: AsyncSession):  # type: ignore[no-untyped-def]
    """lower() that folds all of Unicode: PostgreSQL's own, a registered one on SQLite."""
    if session.get_bind().dialect.name == "sqlite":
        return getattr(func, SQLITE_UNICODE_LOWER)
    return func.lower


def _contains_pattern(text: str) -> str:
    """A LIKE pattern for `text` anywhere, with LIKE's own wildcards taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
