"""Marking customer messages (data functions: they take a session and never commit).

A mark says what a customer message should have been understood as (kind "intent": an
intent of the catalog, "faq/<topic>" for an FAQ) or that nothing fits yet (kind
"new_answer", with a note of what is missing). One mark per message: marking again edits
it, and whoever wrote last is recorded. Every change is also in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import audit
from bot.db.audit import Actor
from bot.db.models import Annotation, Message
from bot.db.types import utcnow
from bot.review.catalog import IntentCatalog
from bot.review.errors import AnnotationNotFound, InvalidAnnotation, MessageNotFound

NOTE_MAX_CHARS = 1000
NEW_ANSWER_CHOICE = "new_answer"  # the form's value for "we need a new answer for this"
ANNOTATION_SET = "annotation.set"  # audit actions; details hold the kind and intent, never text
ANNOTATION_REMOVED = "annotation.removed"


@dataclass(frozen=True)
class Mark:
    kind: str  # "intent" | "new_answer"
    intent: str | None  # with kind "intent": "check_balance", "faq/opening_hours", ...
    note: str | None


@dataclass(frozen=True)
class Annotator:
    """Who marks: a firm's portal user, or a BPO supervisor (an agent)."""

    kind: str  # "portal_user" | "agent"
    id: int | None
    name: str
    role: str

    @property
    def actor(self) -> Actor:
        return Actor(self.kind, self.id, self.role)


@dataclass(frozen=True)
class AnnotationView:
    id: int
    message_id: int
    kind: str
    intent: str | None
    note: str | None
    marked_by_name: str
    marked_by_kind: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Annotation) -> AnnotationView:
        return cls(row.id, row.message_id, row.kind, row.intent, row.note, row.marked_by_name,
                   row.marked_by_kind, row.created_at, row.updated_at)


def parse_mark(form: Mapping[str, str], catalog: IntentCatalog) -> Mark:
    """The mark a form asks for, or InvalidAnnotation naming the field that is wrong.

    `choice` is "intent:<name>" (an intent or "faq/<topic>" of the catalog) or "new_answer";
    `note` is free text (optional)."""
    choice = form.get("choice", "").strip()
    note = " ".join(form.get("note", "").split()) or None
    if note is not None and len(note) > NOTE_MAX_CHARS:
        raise InvalidAnnotation("note", f"at most {NOTE_MAX_CHARS} characters")
    if choice == NEW_ANSWER_CHOICE:
        return Mark("new_answer", None, note)
    kind, _, intent = choice.partition(":")
    if kind != "intent" or not intent:
        raise InvalidAnnotation("choice", "choose what the message should have been understood as, or a new answer")
    if intent not in catalog:
        raise InvalidAnnotation("choice", "is not an intent or FAQ topic of the assistant")
    return Mark("intent", intent, note)


def choice_of(mark: Mark | AnnotationView) -> str:
    """The form value that gives this mark back (to preselect it when editing)."""
    return NEW_ANSWER_CHOICE if mark.kind == "new_answer" else f"intent:{mark.intent}"


async def customer_message(session: AsyncSession, tenant_id: int, message_id: int) -> Message:
    """The tenant's customer message with that id, or MessageNotFound (also for another
    tenant's message, or a message of the bot, an agent or the system)."""
    message = await session.scalar(
        select(Message).where(Message.tenant_id == tenant_id, Message.id == message_id, Message.role == "customer")
    )
    if message is None:
        raise MessageNotFound()
    return message


async def mark_message(
    session: AsyncSession,
    tenant_id: int,
    message_id: int,
    mark: Mark,
    annotator: Annotator,
    *,
    redact: Callable[[str], str],
) -> AnnotationView:
    """Create or replace the mark of a customer message. The note is redacted first: a
    reviewer may quote personal data from elsewhere."""
    message = await customer_message(session, tenant_id, message_id)
    note = redact(mark.note) if mark.note else None
    annotation = await session.scalar(select(Annotation).where(Annotation.message_id == message.id))
    now = utcnow()
    if annotation is None:
        annotation = Annotation(tenant_id=tenant_id, message_id=message.id, created_at=now)
        session.add(annotation)
    annotation.kind = mark.kind
    annotation.intent = mark.intent
    annotation.note = note
    annotation.marked_by_kind = annotator.kind
    annotation.marked_by_id = annotator.id
    annotation.marked_by_name = annotator.name[:120]
    annotation.updated_at = now
    await session.flush()
    await audit.record(
        session, annotator.actor, ANNOTATION_SET, tenant_id=tenant_id, target_kind="conversation",
        target_id=message.conversation_id, details={"seq": message.seq, "kind": mark.kind, "intent": mark.intent},
    )
    return AnnotationView.of(annotation)


async def remove_annotation(
    session: AsyncSession, tenant_id: int, annotation_id: int, annotator: Annotator
) -> int:
    """Delete the tenant's annotation; returns its message's id (AnnotationNotFound for an
    id of another tenant, exactly like one that does not exist)."""
    row = (
        await session.execute(
            select(Annotation, Message.conversation_id, Message.seq)
            .join(Message, Message.id == Annotation.message_id)
            .where(Annotation.id == annotation_id, Annotation.tenant_id == tenant_id)
        )
    ).one_or_none()
    if row is None:
        raise AnnotationNotFound()
    annotation, conversation_id, seq = row
    await session.delete(annotation)
    await session.flush()
    await audit.record(
        session, annotator.actor, ANNOTATION_REMOVED, tenant_id=tenant_id, target_kind="conversation",
        target_id=conversation_id, details={"seq": seq, "kind": annotation.kind, "intent": annotation.intent},
    )
    return annotation.message_id
