"""Personal data in the tables added after the privacy rules: the webhook outbox (events and
deliveries) and reviewers' annotations go with what they are about, in the retention sweep and
in erasure, and a person's export holds the annotations of their messages
(bot/privacy/outbox.py, retention.py, subjects.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from bot.db import Database, TenantRef, find_account, open_ticket
from bot.db.audit import Actor
from bot.db.models import Account, Annotation, Message, Ticket, WebhookDelivery, WebhookEvent
from bot.db.types import utcnow
from bot.db.webhook_feed import conversation_ordering_key
from bot.db.webhooks import add_endpoint, record_event
from bot.privacy.retention import sweep
from bot.privacy.subjects import Subject, erase_subject, export_subject
from bot.privacy.tracker import TrackerStore

from .conftest import NewConversation


@pytest.fixture
async def endpoint(database: Database, nordlys: TenantRef) -> int:
    async with database.sessionmaker.begin() as session:
        added, _secret = await add_endpoint(session, nordlys.id, "https://hooks.example.com/in", ["*"])
        return added.id


async def _event(database: Database, tenant: TenantRef, key: str, *, days_ago: float = 0,
                 delivered: bool = False) -> str:
    """A ticket.created event (any type does) with the given ordering key, recorded days_ago."""
    async with database.sessionmaker.begin() as session:
        event_id = await record_event(session, tenant.id, "ticket.created", {"ticket": {"description": "x"}},
                                      key, now=utcnow() - timedelta(days=days_ago))
        assert event_id is not None
        if delivered:
            await session.execute(update(WebhookDelivery).where(WebhookDelivery.event_id == event_id)
                                  .values(status="delivered", delivered_at=utcnow()))
        return event_id


async def _annotate(database: Database, tenant: TenantRef, conversation_id: str, note: str) -> int:
    """A reviewer's new_answer mark on the conversation's first message."""
    async with database.sessionmaker.begin() as session:
        message_id = await session.scalar(select(Message.id).where(
            Message.conversation_id == conversation_id, Message.seq == 1))
        annotation = Annotation(tenant_id=tenant.id, message_id=message_id, kind="new_answer", note=note,
                                marked_by_kind="agent", marked_by_id=None, marked_by_name="Reviewer")
        session.add(annotation)
        await session.flush()
        return annotation.id


async def _events_left(database: Database, *event_ids: str) -> set[str]:
    async with database.sessionmaker() as session:
        return set(await session.scalars(select(WebhookEvent.id).where(WebhookEvent.id.in_(event_ids))))


async def _deliveries_of(database: Database, *event_ids: str) -> int:
    async with database.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(WebhookDelivery)
                                    .where(WebhookDelivery.event_id.in_(event_ids)))


async def _annotations_left(database: Database, *annotation_ids: int) -> set[int]:
    async with database.sessionmaker() as session:
        return set(await session.scalars(select(Annotation.id).where(Annotation.id.in_(annotation_ids))))


# --- the retention sweep -------------------------------------------------------------------------


async def test_the_sweep_deletes_webhook_events_about_swept_conversations_even_recent_or_pending_ones(
    database: Database, tracker: TrackerStore, nordlys: TenantRef, endpoint: int,
    new_conversation: NewConversation,
) -> None:
    old = await new_conversation(nordlys, days_ago=91)
    recent = await new_conversation(nordlys, days_ago=89)
    # Recorded now (e.g. a late rating): the conversation it is about decides, not its age.
    about_old = await _event(database, nordlys, conversation_ordering_key(old))
    about_old_delivered = await _event(database, nordlys, conversation_ordering_key(old), delivered=True)
    about_recent = await _event(database, nordlys, conversation_ordering_key(recent))

    result = await sweep(database, tracker, pause_seconds=0)

    assert await _events_left(database, about_old, about_old_delivered, about_recent) == {about_recent}
    assert await _deliveries_of(database, about_old, about_old_delivered) == 0
    assert await _deliveries_of(database, about_recent) == 1
    assert (result.webhook_events, result.webhook_deliveries) == (2, 2)


async def test_the_sweep_deletes_webhook_events_older_than_the_retention_period_whatever_their_status(
    database: Database, tracker: TrackerStore, nordlys: TenantRef, fjordnett: TenantRef, endpoint: int,
) -> None:
    async with database.sessionmaker.begin() as session:
        await add_endpoint(session, fjordnett.id, "https://hooks.example.com/fj", ["*"])
    old_pending = await _event(database, nordlys, "ticket:1", days_ago=91)
    old_delivered = await _event(database, nordlys, "ticket:2", days_ago=91, delivered=True)
    young = await _event(database, nordlys, "ticket:3", days_ago=89)
    other_tenant = await _event(database, fjordnett, "ticket:4", days_ago=91)  # fjordnett keeps 90 days too
    async with database.sessionmaker.begin() as session:
        await session.execute(update(WebhookEvent).where(WebhookEvent.id == other_tenant)
                              .values(occurred_at=utcnow() - timedelta(days=60)))

    result = await sweep(database, tracker, pause_seconds=0)

    assert await _events_left(database, old_pending, old_delivered, young, other_tenant) == {young, other_tenant}
    assert await _deliveries_of(database, old_pending, old_delivered) == 0
    assert (result.webhook_events, result.webhook_deliveries) == (2, 2)


async def test_the_sweep_deletes_annotations_with_their_messages(
    database: Database, tracker: TrackerStore, nordlys: TenantRef, new_conversation: NewConversation
) -> None:
    old = await new_conversation(nordlys, days_ago=91)
    recent = await new_conversation(nordlys, days_ago=1)
    old_mark = await _annotate(database, nordlys, old, "customer asked about a refund")
    recent_mark = await _annotate(database, nordlys, recent, "kept")

    result = await sweep(database, tracker, pause_seconds=0)

    assert result.annotations == 1
    assert await _annotations_left(database, old_mark, recent_mark) == {recent_mark}


async def test_deleting_a_message_cascades_to_its_annotation_on_every_backend(
    database: Database, nordlys: TenantRef, new_conversation: NewConversation
) -> None:
    """The FK's ON DELETE CASCADE holds on SQLite too (the engine turns PRAGMA foreign_keys on)."""
    conversation_id = await new_conversation(nordlys, days_ago=1)
    mark = await _annotate(database, nordlys, conversation_id, "note")

    async with database.sessionmaker.begin() as session:
        await session.execute(delete(Message).where(Message.conversation_id == conversation_id))

    assert await _annotations_left(database, mark) == set()


# --- data-subject requests -----------------------------------------------------------------------


@pytest.fixture
async def ola(database: Database, nordlys: TenantRef) -> Account:
    async with database.sessionmaker() as session:
        account = await find_account(session, nordlys, "10000001")
    assert account is not None
    return account


async def test_the_export_holds_the_annotations_of_the_persons_messages_without_the_reviewer(
    database: Database, tracker: TrackerStore, nordlys: TenantRef, ola: Account, new_conversation: NewConversation
) -> None:
    conversation_id = await new_conversation(nordlys, days_ago=2, verified_account_id=ola.id)
    await _annotate(database, nordlys, conversation_id, "wanted to move the payment date")
    someone_else = await new_conversation(nordlys, days_ago=2)
    await _annotate(database, nordlys, someone_else, "not hers")

    data = await export_subject(database, tracker, Subject("nordlys", "account", "10000001"), Actor.cli(), by="dpo")

    [conversation] = data["conversations"]
    [annotation] = conversation["annotations"]
    assert (annotation["message_seq"], annotation["kind"], annotation["note"]) == (
        1, "new_answer", "wanted to move the payment date")
    assert "marked_by_name" not in annotation


async def test_erasure_deletes_webhook_events_and_annotations_about_the_persons_conversations_and_tickets(
    database: Database, tracker: TrackerStore, nordlys: TenantRef, ola: Account, endpoint: int,
    new_conversation: NewConversation,
) -> None:
    conversation_id = await new_conversation(nordlys, days_ago=2, verified_account_id=ola.id)
    mark = await _annotate(database, nordlys, conversation_id, "hers")
    async with database.sessionmaker.begin() as session:
        ticket = await open_ticket(  # records ticket.created for the endpoint
            session, nordlys, subject="Billing", description="charged twice",
            category="billing", account_id=ola.id, conversation_id=conversation_id,
        )
        ticket_id = ticket.id
    about_chat = await _event(database, nordlys, conversation_ordering_key(conversation_id), delivered=True)
    about_ticket = await _event(database, nordlys, f"ticket:{ticket_id}")
    other_chat = await new_conversation(nordlys, days_ago=2)
    other_mark = await _annotate(database, nordlys, other_chat, "someone else")
    about_other = await _event(database, nordlys, conversation_ordering_key(other_chat))

    erased = await erase_subject(database, tracker, Subject("nordlys", "account", "10000001"), Actor.cli(), by="dpo")

    assert await _events_left(database, about_chat, about_ticket, about_other) == {about_other}
    assert await _deliveries_of(database, about_chat, about_ticket) == 0
    assert await _annotations_left(database, mark, other_mark) == {other_mark}
    assert erased.annotations == 1
    # The two above and the ticket.created open_ticket recorded.
    assert (erased.webhook_events, erased.webhook_deliveries) == (3, 3)
    async with database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket).where(Ticket.id == ticket_id)) == 0
