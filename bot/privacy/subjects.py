"""Requests from data subjects: export everything we hold about a person, or erase it.

A person is named within one tenant by an account number, the e-mail on an account, or one
conversation id. What we hold: the account record, its tickets, conversations (transcript,
notes, handoff summary, rating, reviewers' annotations of its messages), Rasa's tracker of
each conversation, in both databases, and webhook events about those conversations and
tickets (copies of the same data, so erased but not exported).

Erasure deletes all but the account record (the client firm's master data, kept unless
with_account) and appends an audit entry saying what was deleted, when and by whom,
without the person's data (never the e-mail).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.accounts import normalize_account_number
from bot.db.engine import Database
from bot.db.errors import DomainError
from bot.db.models import Account, Annotation, AuditEntry, Conversation, InternalNote, Message, Tenant, Ticket
from bot.db.types import utcnow
from bot.db import audit
from bot.privacy import outbox
from bot.privacy.retention import delete_conversations
from bot.privacy.tracker import TrackerStore

SELECTORS = ("account", "email", "conversation")


class SubjectNotFound(DomainError, LookupError):
    def __init__(self, what: str) -> None:
        super().__init__(f"nothing is held for {what}")


@dataclass(frozen=True)
class Subject:
    """Whom a request is about: one of account / email / conversation, within a tenant."""

    tenant: str
    kind: str  # one of SELECTORS
    value: str

    def __post_init__(self) -> None:
        if self.kind not in SELECTORS:
            raise ValueError(f"a subject is named by one of {', '.join(SELECTORS)}")

    @property
    def audit_target(self) -> str | None:
        """What the audit log may say about whom: ids, never the e-mail."""
        return None if self.kind == "email" else self.value


@dataclass(frozen=True)
class Holdings:
    tenant_id: int
    accounts: list[Account]
    conversation_ids: list[str]
    ticket_ids: list[int]


async def find_holdings(session: AsyncSession, subject: Subject) -> Holdings:
    tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == subject.tenant))
    if tenant_id is None:
        raise SubjectNotFound(f"tenant {subject.tenant!r}")
    accounts: list[Account] = []
    if subject.kind == "account":
        number = normalize_account_number(subject.value)
        accounts = list(await session.scalars(
            select(Account).where(Account.tenant_id == tenant_id, Account.account_number == number)
        ))
    elif subject.kind == "email":
        email = subject.value.strip().lower()
        accounts = list(await session.scalars(
            select(Account).where(Account.tenant_id == tenant_id, Account.email.ilike(email))
        ))
    account_ids = [account.id for account in accounts]
    if subject.kind == "conversation":
        conversation_filter = Conversation.id == subject.value
    else:
        conversation_filter = Conversation.verified_account_id.in_(account_ids)
    conversation_ids = list(await session.scalars(
        select(Conversation.id).where(Conversation.tenant_id == tenant_id, conversation_filter)
    ))
    ticket_ids = list(await session.scalars(
        select(Ticket.id).where(
            Ticket.tenant_id == tenant_id,
            or_(Ticket.account_id.in_(account_ids), Ticket.conversation_id.in_(conversation_ids)),
        )
    ))
    if not (accounts or conversation_ids):
        raise SubjectNotFound(f"this {subject.kind} in tenant {subject.tenant!r}")
    return Holdings(tenant_id, accounts, conversation_ids, ticket_ids)


async def export_subject(
    database: Database, tracker: TrackerStore, subject: Subject, actor: audit.Actor, *, by: str
) -> dict[str, Any]:
    """Everything held about the subject as JSON-ready data; the export is audited."""
    async with database.sessionmaker.begin() as session:
        held = await find_holdings(session, subject)
        tickets = list(await session.scalars(select(Ticket).where(Ticket.id.in_(held.ticket_ids)).order_by(Ticket.id)))
        conversations = []
        for conversation_id in held.conversation_ids:
            conversations.append(await _conversation_export(session, conversation_id))
        audit_entries = await _audit_about(session, held, subject)
        await audit.record(
            session, actor, audit.SUBJECT_EXPORTED, tenant_id=held.tenant_id, target_kind=subject.kind,
            target_id=subject.audit_target, details={"by": by},
        )
    for conversation in conversations:
        conversation["rasa_tracker_events"] = [event.data for event in await tracker.events_of(conversation["id"])]
    return {
        "tenant": subject.tenant,
        "subject": {"kind": subject.kind, "value": subject.value},
        "exported_at": utcnow().isoformat(),
        "accounts": [_columns(account) for account in held.accounts],
        "tickets": [_columns(ticket) for ticket in tickets],
        "conversations": conversations,
        "access_log": audit_entries,
    }


@dataclass(frozen=True)
class Erased:
    conversations: int
    messages: int
    notes: int
    annotations: int
    tickets: int
    webhook_events: int
    webhook_deliveries: int
    tracker_events: int
    accounts: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


async def erase_subject(
    database: Database,
    tracker: TrackerStore,
    subject: Subject,
    actor: audit.Actor,
    *,
    by: str,
    with_account: bool = False,
) -> Erased:
    """Deletes what is held about the subject in both databases and audits the erasure."""
    async with database.sessionmaker.begin() as session:
        held = await find_holdings(session, subject)
        # Rasa's copy first: if we stop in between, a second run still finds the conversations.
        tracker_events = await tracker.delete_senders(held.conversation_ids)
        events, deliveries = await outbox.delete_events_about(
            session, held.tenant_id, outbox.keys_about(held.conversation_ids, held.ticket_ids)
        )
        tickets = await session.execute(delete(Ticket).where(Ticket.id.in_(held.ticket_ids)))
        deleted = await delete_conversations(session, held.conversation_ids)
        accounts = 0
        if with_account and held.accounts:
            result = await session.execute(delete(Account).where(Account.id.in_([a.id for a in held.accounts])))
            accounts = result.rowcount or 0
        erased = Erased(
            len(held.conversation_ids), deleted.messages, deleted.notes, deleted.annotations,
            tickets.rowcount or 0, events, deliveries, tracker_events, accounts,
        )
        await audit.record(
            session, actor, audit.SUBJECT_ERASED, tenant_id=held.tenant_id, target_kind=subject.kind,
            target_id=None if with_account else subject.audit_target,
            details={"by": by, "deleted": erased.as_dict()},
        )
    return erased


async def _conversation_export(session: AsyncSession, conversation_id: str) -> dict[str, Any]:
    conversation = await session.get(Conversation, conversation_id)
    data = _columns(conversation, skip=("last_seq",))
    messages = await session.scalars(
        select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq)
    )
    data["messages"] = [_columns(m, skip=("id", "tenant_id", "conversation_id", "client_id")) for m in messages]
    notes = await session.scalars(
        select(InternalNote).where(InternalNote.conversation_id == conversation_id).order_by(InternalNote.id)
    )
    data["notes"] = [_columns(n, skip=("id", "tenant_id", "conversation_id")) for n in notes]
    # Reviewers' verdicts on the person's messages; who marked them is the firm's, not the person's.
    annotations = await session.execute(
        select(Message.seq, Annotation)
        .join(Annotation, Annotation.message_id == Message.id)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.seq)
    )
    data["annotations"] = [
        {"message_seq": seq, **_columns(a, skip=("id", "tenant_id", "message_id", "marked_by_kind",
                                                  "marked_by_id", "marked_by_name"))}
        for seq, a in annotations
    ]
    return data


async def _audit_about(session: AsyncSession, held: Holdings, subject: Subject) -> list[dict[str, Any]]:
    targets: Sequence[str] = [*held.conversation_ids, *(a.account_number for a in held.accounts)]
    rows = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.tenant_id == held.tenant_id, AuditEntry.target_id.in_(targets))
        .order_by(AuditEntry.id)
    )
    return [_columns(row, skip=("tenant_id",)) for row in rows]


def _columns(row: Any, skip: Sequence[str] = ()) -> dict[str, Any]:
    """A model's column values by name; secrets such as a tenant's identity never appear here."""
    return {
        column.key: getattr(row, column.key)
        for column in row.__table__.columns
        if column.key not in skip
    }
