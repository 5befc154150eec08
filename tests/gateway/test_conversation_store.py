"""bot.db.conversations on a real database: numbering, idempotency and tenant isolation."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.db import Database, TenantRef
from bot.db import conversations as store
from bot.db.models import Account, Conversation
from bot.db.types import utcnow


async def new_conversation(database: Database, tenant: TenantRef) -> str:
    async with database.sessionmaker.begin() as session:
        return (await store.start_conversation(session, tenant, language="en")).id


async def test_conversation_ids_are_long_random_and_distinct(
    database: Database, nordlys: TenantRef
) -> None:
    ids = {await new_conversation(database, nordlys) for _ in range(5)}
    assert len(ids) == 5
    assert all(len(conversation_id) == 32 for conversation_id in ids)


async def test_concurrent_writers_get_gapless_distinct_sequence_numbers(
    database: Database, nordlys: TenantRef
) -> None:
    conversation_id = await new_conversation(database, nordlys)

    async def write(n: int) -> int:
        async with database.sessionmaker.begin() as session:
            if n % 2:
                message = await store.add_message(
                    session, nordlys, conversation_id, role="bot", text=f"b{n}"
                )
            else:
                message, _ = await store.add_customer_message(
                    session, nordlys, conversation_id, client_id=f"c{n}", text=f"c{n}"
                )
            return message.seq

    seqs = await asyncio.gather(*(write(n) for n in range(12)))

    assert sorted(seqs) == list(range(1, 13))
    async with database.sessionmaker() as session:
        stored = await store.messages_after(session, nordlys, conversation_id, 0)
    assert [message.seq for message in stored] == list(range(1, 13))


async def test_a_known_client_id_returns_the_stored_message_without_a_new_number(
    database: Database, nordlys: TenantRef
) -> None:
    conversation_id = await new_conversation(database, nordlys)
    async with database.sessionmaker.begin() as session:
        first, first_duplicate = await store.add_customer_message(
            session, nordlys, conversation_id, client_id="same", text="hello"
        )
    async with database.sessionmaker.begin() as session:
        again, again_duplicate = await store.add_customer_message(
            session, nordlys, conversation_id, client_id="same", text="hello"
        )
        follow_up = await store.add_message(
            session, nordlys, conversation_id, role="bot", text="hi"
        )

    assert (first_duplicate, again_duplicate) == (False, True)
    assert again.seq == first.seq == 1
    assert follow_up.seq == 2, "the duplicate used up no number"


async def test_a_batch_of_messages_gets_consecutive_numbers_in_order(
    database: Database, nordlys: TenantRef
) -> None:
    async with database.sessionmaker.begin() as session:
        conversation = await store.start_conversation(session, nordlys, language="en")
        greeting = await store.add_message(
            session, nordlys, conversation.id, role="bot", text="hi"
        )
        batch = await store.add_messages(
            session,
            nordlys,
            conversation.id,
            [
                store.MessageDraft("bot", "one"),
                store.MessageDraft("bot", "two", [{"title": "Yes", "payload": "/affirm"}]),
                store.MessageDraft("system", "three"),
            ],
        )
        # The conversation this session holds shows the new counter, as after any UPDATE.
        counter_in_session = conversation.last_seq
        follow_up = await store.add_message(
            session, nordlys, conversation.id, role="bot", text="four"
        )

    assert greeting.seq == 1
    assert [(message.seq, message.text) for message in batch] == [
        (2, "one"),
        (3, "two"),
        (4, "three"),
    ]
    assert batch[1].buttons == [{"title": "Yes", "payload": "/affirm"}]
    assert counter_in_session == 4
    assert follow_up.seq == 5
    async with database.sessionmaker() as session:
        stored = await store.messages_after(session, nordlys, conversation.id, 0)
    assert [message.seq for message in stored] == [1, 2, 3, 4, 5]


async def test_a_customer_message_check_finds_the_state_and_an_earlier_copy_of_the_client_id(
    database: Database, nordlys: TenantRef
) -> None:
    conversation_id = await new_conversation(database, nordlys)
    async with database.sessionmaker.begin() as session:
        stored = await store.insert_customer_message(
            session, nordlys, conversation_id, client_id="sent", text="yes", payload="/affirm"
        )
    async with database.sessionmaker() as session:
        known = await store.customer_message_check(session, nordlys, conversation_id, "sent")
        new = await store.customer_message_check(session, nordlys, conversation_id, "other")
        unknown = await store.customer_message_check(session, nordlys, "no-such-id", "sent")

    assert known == store.CustomerMessageCheck("bot", False, stored.seq, "/affirm")
    assert new == store.CustomerMessageCheck("bot", False, None, None)
    assert unknown is None


async def test_another_tenant_cannot_read_or_write_the_conversation(
    database: Database, nordlys: TenantRef, fjordnett: TenantRef
) -> None:
    conversation_id = await new_conversation(database, nordlys)
    async with database.sessionmaker() as session:
        assert await store.get_conversation(session, fjordnett, conversation_id) is None
        assert await store.bot_context(session, fjordnett, conversation_id) is None
        assert await store.bot_backlog(session, fjordnett, conversation_id) == (None, [])
        assert await store.customer_message_check(session, fjordnett, conversation_id, "c") is None
    with pytest.raises(store.ConversationNotFound):
        async with database.sessionmaker.begin() as session:
            await store.add_message(session, fjordnett, conversation_id, role="bot", text="sneaky")
    async with database.sessionmaker() as session:
        assert await store.messages_after(session, nordlys, conversation_id, 0) == []


async def test_a_conversation_cannot_be_verified_as_another_tenants_account(
    database: Database, nordlys: TenantRef, fjordnett: TenantRef
) -> None:
    conversation_id = await new_conversation(database, nordlys)
    async with database.sessionmaker() as session:
        foreign_account = await session.scalar(
            select(Account.id).where(Account.tenant_id == fjordnett.id)
        )
    with pytest.raises(IntegrityError):
        async with database.sessionmaker.begin() as session:
            await store.set_verified_account(session, nordlys, conversation_id, foreign_account, by="site")


async def test_undelivered_customer_messages_come_oldest_first_until_marked(
    database: Database, nordlys: TenantRef
) -> None:
    conversation_id = await new_conversation(database, nordlys)
    async with database.sessionmaker.begin() as session:
        for n in range(3):
            await store.add_customer_message(
                session, nordlys, conversation_id, client_id=f"c{n}", text=f"m{n}"
            )
        await store.mark_delivered_to_bot(session, nordlys, conversation_id, 1)
    async with database.sessionmaker() as session:
        pending = await store.undelivered_customer_messages(session, nordlys, conversation_id)
        waiting = await store.conversations_awaiting_bot(session)

    assert [message.text for message in pending] == ["m1", "m2"]
    assert [(key.tenant.slug, key.conversation_id) for key in waiting] == [
        ("nordlys", conversation_id)
    ]


async def test_the_bot_backlog_is_the_bot_context_and_the_unanswered_messages_oldest_first(
    database: Database, nordlys: TenantRef
) -> None:
    conversation_id = await new_conversation(database, nordlys)
    async with database.sessionmaker() as session:
        empty = await store.bot_backlog(session, nordlys, conversation_id)
    async with database.sessionmaker.begin() as session:
        for n in range(3):
            await store.add_customer_message(
                session, nordlys, conversation_id, client_id=f"c{n}", text=f"m{n}"
            )
        await store.add_message(session, nordlys, conversation_id, role="bot", text="answer")
        await store.mark_delivered_to_bot(session, nordlys, conversation_id, 1)
    async with database.sessionmaker() as session:
        context, pending = await store.bot_backlog(session, nordlys, conversation_id)
        expected_context = await store.bot_context(session, nordlys, conversation_id)

    assert empty == (expected_context, [])
    assert context == expected_context == store.BotContext("en", None, "bot", False)
    assert pending == [
        store.PendingMessage(seq=2, text="m1", payload=None),
        store.PendingMessage(seq=3, text="m2", payload=None),
    ]


async def test_idle_sweep_ends_only_quiet_open_conversations_in_the_given_states(
    database: Database, nordlys: TenantRef, fjordnett: TenantRef
) -> None:
    quiet = await new_conversation(database, nordlys)
    quiet_other_tenant = await new_conversation(database, fjordnett)
    busy = await new_conversation(database, nordlys)
    async with database.sessionmaker.begin() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id.in_([quiet, quiet_other_tenant]))
            .values(last_activity_at=utcnow() - timedelta(hours=1))
        )

    cutoff = utcnow() - timedelta(minutes=30)
    async with database.sessionmaker.begin() as session:
        not_endable = await store.end_idle_conversations(
            session, idle_since=cutoff, states=("queued",)
        )
    async with database.sessionmaker.begin() as session:
        ended = await store.end_idle_conversations(session, idle_since=cutoff, states=("bot",))
    async with database.sessionmaker.begin() as session:
        ended_again = await store.end_idle_conversations(
            session, idle_since=cutoff, states=("bot",)
        )

    assert not_endable == []
    assert {key.conversation_id: key.tenant.slug for key in ended} == {
        quiet: "nordlys",
        quiet_other_tenant: "fjordnett",
    }
    assert ended_again == []
    async with database.sessionmaker() as session:
        assert (await store.get_conversation(session, nordlys, busy)).ended_at is None
