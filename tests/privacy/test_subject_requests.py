"""Data-subject requests: export everything held about a person, erase it from both databases,
and record the erasure without the person's data (bot/privacy/subjects.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import func, select, update

from bot.db import Database, TenantRef, find_account, open_ticket
from bot.db.models import Account, AuditEntry, Conversation, Message, Ticket
from bot.db.audit import SUBJECT_ERASED, Actor
from bot.privacy.subjects import Subject, SubjectNotFound, erase_subject, export_subject
from bot.privacy.tracker import TrackerStore

from .conftest import NewConversation


@pytest.fixture
async def ola(database: Database, nordlys: TenantRef) -> Account:
    async with database.sessionmaker() as session:
        account = await find_account(session, nordlys, "10000001")
    assert account is not None
    return account


async def _verified_conversation(
    database: Database, new_conversation: NewConversation, tenant: TenantRef, account: Account
) -> str:
    conversation_id = await new_conversation(tenant, days_ago=3, verified_account_id=account.id, handoff=True)
    async with database.sessionmaker.begin() as session:
        await open_ticket(session, tenant, subject="Billing", description="charged twice", category="billing",
                          account_id=account.id, conversation_id=conversation_id)
    return conversation_id


async def test_export_by_account_holds_the_account_tickets_transcripts_notes_and_rasa_events(
    database: Database, tracker: TrackerStore, nordlys: TenantRef, ola: Account, new_conversation: NewConversation
) -> None:
    conversation_id = await _verified_conversation(database, new_conversation, nordlys, ola)
    other = await new_conversation(nordlys, days_ago=1)

    data = await export_subject(database, tracker, Subject("nordlys", "account", "10000001"), Actor.cli(), by="dpo")

    assert [a["account_number"] for a in data["accounts"]] == ["10000001"]
    assert data["accounts"][0]["email"] == ola.email
    assert "charged twice" in [t["description"] for t in data["tickets"]]  # and the demo's tickets
    assert {t["account_id"] for t in data["tickets"]} == {ola.id}
    [conversation] = data["conversations"]
    assert conversation["id"] == conversation_id != other
    assert [m["text"] for m in conversation["messages"]] == ["my account is 10000001", "thanks"]
    assert [n["text"] for n in conversation["notes"]] == ["called back"]
    assert conversation["handoff_summary"] == {"reason": "request_human"}
    assert [e["text"] for e in conversation["rasa_tracker_events"]] == ["my account is 10000001", "thanks"]
    json.dumps(data, default=str)  # serializable as the CLI writes it


async def test_export_by_email_finds_the_same_person(
    database: Database, tracker: TrackerStore, nordlys: TenantRef, ola: Account, new_conversation: NewConversation
) -> None:
    await _verified_conversation(database, new_conversation, nordlys, ola)

    data = await export_subject(database, tracker, Subject("nordlys", "email", ola.email.upper()), Actor.cli(), by="dpo")

    assert [a["account_number"] for a in data["accounts"]] == ["10000001"]
    assert len(data["conversations"]) == 1


async def test_a_person_of_another_tenant_is_not_found(
    database: Database, tracker: TrackerStore, nordlys: TenantRef, new_conversation: NewConversation
) -> None:
    conversation_id = await new_conversation(nordlys, days_ago=1)

    with pytest.raises(SubjectNotFound):
        await export_subject(database, tracker, Subject("fjordnett", "conversation", conversation_id), Actor.cli(), by="x")


async def test_erase_deletes_from_both_databases_and_records_what_when_and_by_whom(
    database: Database, tracker: TrackerStore, nordlys: TenantRef, ola: Account, new_conversation: NewConversation
) -> None:
    conversation_id = await _verified_conversation(database, new_conversation, nordlys, ola)
    kept = await new_conversation(nordlys, days_ago=1)
    async with database.sessionmaker() as session:
        tickets = await session.scalar(select(func.count()).select_from(Ticket).where(Ticket.account_id == ola.id))

    erased = await erase_subject(database, tracker, Subject("nordlys", "email", ola.email), Actor.cli(), by="dpo")

    assert erased.as_dict() == {"conversations": 1, "messages": 2, "notes": 1, "annotations": 0, "tickets": tickets,
                                "webhook_events": 0, "webhook_deliveries": 0, "tracker_events": 2, "accounts": 0}
    async with database.sessionmaker() as session:
        assert await session.get(Conversation, conversation_id) is None
        assert await session.scalar(select(func.count()).select_from(Message).where(
            Message.conversation_id == conversation_id)) == 0
        assert await session.scalar(select(func.count()).select_from(Ticket).where(Ticket.account_id == ola.id)) == 0
        assert await session.get(Conversation, kept) is not None
        [entry] = (await session.scalars(select(AuditEntry).where(AuditEntry.action == SUBJECT_ERASED))).all()
    assert await tracker.events_of(conversation_id) == []
    assert len(await tracker.events_of(kept)) == 2
    assert (entry.tenant_id, entry.actor_kind, entry.target_kind, entry.target_id) == (nordlys.id, "cli", "email", None)
    assert entry.details == {"by": "dpo", "deleted": erased.as_dict()}
    assert ola.email not in json.dumps(entry.details)


async def test_erase_with_account_deletes_the_account_record_too(
    database: Database, tracker: TrackerStore, nordlys: TenantRef, ola: Account, new_conversation: NewConversation
) -> None:
    await _verified_conversation(database, new_conversation, nordlys, ola)

    erased = await erase_subject(database, tracker, Subject("nordlys", "account", "10000001"), Actor.cli(),
                                 by="dpo", with_account=True)

    assert erased.accounts == 1
    async with database.sessionmaker() as session:
        assert await session.get(Account, ola.id) is None
    with pytest.raises(SubjectNotFound):
        await erase_subject(database, tracker, Subject("nordlys", "account", "10000001"), Actor.cli(), by="dpo")


async def test_the_erasure_record_cannot_be_changed_or_deleted(
    database: Database, tracker: TrackerStore, nordlys: TenantRef, new_conversation: NewConversation
) -> None:
    conversation_id = await new_conversation(nordlys, days_ago=1)
    await erase_subject(database, tracker, Subject("nordlys", "conversation", conversation_id), Actor.cli(), by="dpo")

    for statement in (update(AuditEntry).values(action="nothing"), AuditEntry.__table__.delete()):
        with pytest.raises(Exception, match="append-only"):
            async with database.sessionmaker.begin() as session:
                await session.execute(statement)


def test_python_m_bot_subject_export_and_erase(db_url: str, tmp_path) -> None:
    def bot(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot", "subject", *args, "--database-url", db_url],
                              capture_output=True, text=True, timeout=120, check=False)

    output = tmp_path / "export.json"
    exported = bot("export", "--tenant", "nordlys", "--account", "10000001", "--by", "dpo", "--output", str(output))
    assert exported.returncode == 0, exported.stderr
    assert json.loads(output.read_text())["accounts"][0]["account_number"] == "10000001"

    erased = bot("erase", "--tenant", "nordlys", "--account", "10000001", "--by", "dpo", "--with-account")
    assert erased.returncode == 0, erased.stderr
    assert "1 accounts" in erased.stdout

    again = bot("export", "--tenant", "nordlys", "--account", "10000001", "--by", "dpo")
    assert again.returncode == 1 and "nothing is held" in again.stderr
