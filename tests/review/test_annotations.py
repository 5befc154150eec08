"""Marking customer messages (bot/review/annotations.py) on a real database, both backends."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db import Database, TenantRef
from bot.db.models import Annotation, AuditEntry, Message
from bot.redaction import Redactor
from bot.review.annotations import (
    ANNOTATION_REMOVED,
    ANNOTATION_SET,
    Annotator,
    AnnotationView,
    Mark,
    choice_of,
    mark_message,
    parse_mark,
    remove_annotation,
)
from bot.review.catalog import IntentCatalog
from bot.review.errors import AnnotationNotFound, InvalidAnnotation, MessageNotFound
from bot.review.transcript import read_transcript

import pytest

from .support import Turn, seed_conversation

ANNE = Annotator("portal_user", 7, "Anne Admin", "admin")
SUPERVISOR = Annotator("agent", 3, "Siri Supervisor", "supervisor")
CUSTOMER_SEQ = 2  # the first customer message of a seeded conversation (1 is the greeting)


async def mark(database: Database, tenant: TenantRef, conversation_id: str, seq: int, the_mark: Mark,
               redactor: Redactor, annotator: Annotator = ANNE) -> AnnotationView:
    async with database.sessionmaker() as session:
        found = await session.scalar(
            select(Message.id).where(Message.conversation_id == conversation_id, Message.seq == seq)
        )
    async with database.sessionmaker.begin() as session:
        return await mark_message(session, tenant.id, found if found is not None else -1, the_mark, annotator,
                                  redact=lambda text: redactor.redact(text).text)


async def annotations_in(database: Database) -> list[Annotation]:
    async with database.sessionmaker() as session:
        return list(await session.scalars(select(Annotation).order_by(Annotation.id)))


def test_a_form_becomes_a_mark_of_an_intent_or_faq_topic_of_the_assistant(catalog: IntentCatalog) -> None:
    assert parse_mark({"choice": "intent:check_balance"}, catalog) == Mark("intent", "check_balance", None)
    assert parse_mark({"choice": "intent:faq/opening_hours", "note": " weekend  hours "}, catalog) == Mark(
        "intent", "faq/opening_hours", "weekend hours"
    )
    the_mark = parse_mark({"choice": "new_answer", "note": "crypto payments"}, catalog)
    assert the_mark == Mark("new_answer", None, "crypto payments")
    assert choice_of(the_mark) == "new_answer" and choice_of(Mark("intent", "greet", None)) == "intent:greet"


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"choice": "intent:order_pizza"}, "choice"),
        ({"choice": "intent:faq"}, "choice"),  # the retrieval intent itself: choose a topic
        ({"choice": "intent:nlu_fallback"}, "choice"),
        ({"choice": "intent:"}, "choice"),
        ({}, "choice"),
        ({"choice": "delete everything"}, "choice"),
        ({"choice": "new_answer", "note": "x" * 1001}, "note"),
    ],
)
def test_a_bad_mark_names_the_field(form: dict[str, str], field: str, catalog: IntentCatalog) -> None:
    with pytest.raises(InvalidAnnotation) as error:
        parse_mark(form, catalog)
    assert error.value.field == field


async def test_marking_a_customer_message_records_what_who_and_when(
    database: Database, nordlys: TenantRef, redactor: Redactor
) -> None:
    conversation_id = await seed_conversation(database, nordlys, Turn("hvor mye skal jeg betale", fallback="nlu"))

    view = await mark(database, nordlys, conversation_id, CUSTOMER_SEQ, Mark("intent", "check_balance", None), redactor)

    [row] = await annotations_in(database)
    assert (row.tenant_id, row.kind, row.intent, row.note) == (nordlys.id, "intent", "check_balance", None)
    assert (row.marked_by_kind, row.marked_by_id, row.marked_by_name) == ("portal_user", 7, "Anne Admin")
    assert row.created_at == row.updated_at == view.updated_at
    async with database.sessionmaker() as session:
        transcript = await read_transcript(session, nordlys.id, conversation_id)
        audit = (await session.scalars(select(AuditEntry).where(AuditEntry.action == ANNOTATION_SET))).one()
    [customer] = [message for message in transcript.messages if message.markable]
    assert customer.annotation == view and customer.fallback == "nlu"
    assert (audit.actor_kind, audit.actor_id, audit.tenant_id, audit.details["intent"]) == (
        "portal_user", 7, nordlys.id, "check_balance")


async def test_marking_again_edits_the_one_mark_and_records_the_new_author(
    database: Database, nordlys: TenantRef, redactor: Redactor
) -> None:
    conversation_id = await seed_conversation(database, nordlys, "can I pay with bitcoin")
    first = await mark(database, nordlys, conversation_id, CUSTOMER_SEQ, Mark("intent", "faq/payment_methods", None), redactor)

    second = await mark(database, nordlys, conversation_id, CUSTOMER_SEQ,
                        Mark("new_answer", None, "we take no crypto: say so"), redactor, SUPERVISOR)

    [row] = await annotations_in(database)
    assert row.id == first.id == second.id
    assert (row.kind, row.intent, row.note) == ("new_answer", None, "we take no crypto: say so")
    assert (row.marked_by_kind, row.marked_by_id, row.marked_by_name) == ("agent", 3, "Siri Supervisor")
    assert row.created_at == first.created_at and row.updated_at >= first.updated_at


async def test_a_note_is_redacted_before_it_is_stored(database: Database, nordlys: TenantRef, redactor: Redactor) -> None:
    conversation_id = await seed_conversation(database, nordlys, "call me")

    await mark(database, nordlys, conversation_id, CUSTOMER_SEQ,
               Mark("new_answer", None, "customer is ola.nordmann@example.no, phone 912 34 567"), redactor)

    [row] = await annotations_in(database)
    assert "ola.nordmann" not in (row.note or "") and "912" not in (row.note or "")
    assert "[email]" in (row.note or "")


async def test_only_customer_messages_of_the_own_tenant_can_be_marked(
    database: Database, nordlys: TenantRef, fjordnett: TenantRef, redactor: Redactor
) -> None:
    ours = await seed_conversation(database, nordlys, "hello")
    theirs = await seed_conversation(database, fjordnett, "hello")
    intent = Mark("intent", "greet", None)

    for tenant, conversation_id, seq in (
        (nordlys, theirs, CUSTOMER_SEQ),  # another tenant's conversation
        (nordlys, ours, 1),  # the bot's greeting
        (nordlys, ours, 99),  # no such message
        (nordlys, "no-such-conversation", CUSTOMER_SEQ),
    ):
        with pytest.raises(MessageNotFound):
            await mark(database, tenant, conversation_id, seq, intent, redactor)
    assert await annotations_in(database) == []


async def test_a_mark_is_removed_only_within_its_tenant(
    database: Database, nordlys: TenantRef, fjordnett: TenantRef, redactor: Redactor
) -> None:
    conversation_id = await seed_conversation(database, nordlys, "hello")
    view = await mark(database, nordlys, conversation_id, CUSTOMER_SEQ, Mark("intent", "greet", None), redactor)

    async with database.sessionmaker.begin() as session:
        with pytest.raises(AnnotationNotFound):
            await remove_annotation(session, fjordnett.id, view.id, ANNE)
    assert len(await annotations_in(database)) == 1

    async with database.sessionmaker.begin() as session:
        assert await remove_annotation(session, nordlys.id, view.id, ANNE) == view.message_id
    assert await annotations_in(database) == []
    async with database.sessionmaker() as session:
        assert await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == ANNOTATION_REMOVED)
        ) == 1


async def test_marks_go_with_their_messages(database: Database, nordlys: TenantRef, redactor: Redactor) -> None:
    """The retention sweep and erasure delete messages; the marks (which hold no text) follow."""
    conversation_id = await seed_conversation(database, nordlys, "hello")
    await mark(database, nordlys, conversation_id, CUSTOMER_SEQ, Mark("intent", "greet", None), redactor)

    async with database.sessionmaker.begin() as session:
        await session.execute(Message.__table__.delete().where(Message.conversation_id == conversation_id))

    assert await annotations_in(database) == []
