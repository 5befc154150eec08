"""One conversation for review: its redacted transcript with each message's mark."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.conversations import ConversationNotFound
from bot.db.models import Annotation, Conversation, Message
from bot.review.annotations import AnnotationView
from bot.review.errors import MessageNotFound


@dataclass(frozen=True)
class ReviewedMessage:
    id: int  # review pages address messages (and so conversations) by it, never by conversation id
    seq: int
    role: str  # customer | bot | agent | system
    text: str  # as stored: redacted
    agent_name: str | None
    created_at: datetime
    fallback: str | None  # "nlu" | "dialogue": the assistant did not understand it
    annotation: AnnotationView | None

    @property
    def markable(self) -> bool:
        return self.role == "customer"


@dataclass(frozen=True)
class ReviewedConversation:
    id: str
    created_at: datetime
    ended_at: datetime | None
    language: str
    state: str
    handoff_reason: str | None
    rating: int | None
    rating_comment: str | None
    messages: list[ReviewedMessage]


async def conversation_of_message(session: AsyncSession, tenant_id: int, message_id: int) -> str:
    """The id of the tenant's conversation holding that message, or MessageNotFound.

    Review pages name a conversation by one of its messages: the conversation id is the
    customer's browser's key to the chat and stays out of URLs, histories and logs."""
    conversation_id = await session.scalar(
        select(Message.conversation_id).where(Message.tenant_id == tenant_id, Message.id == message_id)
    )
    if conversation_id is None:
        raise MessageNotFound()
    return conversation_id


async def read_transcript(session: AsyncSession, tenant_id: int, conversation_id: str) -> ReviewedConversation:
    """The tenant's conversation, or ConversationNotFound (also for another tenant's id)."""
    conversation = await session.scalar(
        select(Conversation).where(Conversation.tenant_id == tenant_id, Conversation.id == conversation_id)
    )
    if conversation is None:
        raise ConversationNotFound()
    rows = (
        await session.execute(
            select(Message, Annotation)
            .outerjoin(Annotation, Annotation.message_id == Message.id)
            .where(Message.tenant_id == tenant_id, Message.conversation_id == conversation_id)
            .order_by(Message.seq)
        )
    ).all()
    return ReviewedConversation(
        id=conversation.id,
        created_at=conversation.created_at,
        ended_at=conversation.ended_at,
        language=conversation.language,
        state=conversation.state,
        handoff_reason=conversation.handoff_reason,
        rating=conversation.rating,
        rating_comment=conversation.rating_comment,
        messages=[
            ReviewedMessage(
                id=message.id,
                seq=message.seq,
                role=message.role,
                text=message.text,
                agent_name=message.agent_name,
                created_at=message.created_at,
                fallback=message.fallback,
                annotation=AnnotationView.of(annotation) if annotation is not None else None,
            )
            for message, annotation in rows
        ],
    )
