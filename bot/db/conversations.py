"""Conversations and their transcript messages, always within one tenant.

Messages are numbered per conversation (seq 1, 2, 3 ... without gaps) from the
conversation's last_seq counter, taken with one UPDATE ... RETURNING (for all of
a turn's messages at once): the row lock (PostgreSQL) or the write lock (SQLite)
serialises concurrent writers. Callers store text that is already redacted;
nothing here sees the original. Every stored message is also a message.created
webhook event for the endpoints that asked for it (bot.db.webhook_feed), in the
same transaction.

The functions on a customer turn's path (customer_message_check,
insert_customer_message, add_messages, bot_backlog) read only the columns they
need, in as few statements as they can: each one is a database round trip.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, String, and_, bindparam, cast, delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.db.errors import DomainError
from bot.db.models import (
    LANGUAGES,
    MESSAGE_ROLES,
    VERIFIERS,
    Account,
    Conversation,
    Message,
    Tenant,
    WebhookEndpoint,
)
from bot.db.tenants import TenantRef
from bot.db.types import utcnow
from bot.db.webhook_feed import MESSAGE_CREATED, messages_created

CLIENT_ID_MAX_CHARS = 64
HANDOFF_REASON_MAX_CHARS = 200


class ConversationNotFound(DomainError, LookupError):
    """No conversation with that id for this tenant (or it was never there)."""

    def __init__(self) -> None:
        # The id is a bearer secret of the customer's browser: not in the message.
        super().__init__("no such conversation for this tenant")


class DuplicateClientId(DomainError):
    """Another writer stored a message with the same client_id first.

    The session is unusable afterwards: roll back and look the message up again.
    """

    def __init__(self) -> None:
        super().__init__("a message with this client_id is already stored")


@dataclass(frozen=True)
class ConversationKey:
    """A conversation found by a cross-tenant sweep (idle end, redelivery)."""

    tenant: TenantRef
    conversation_id: str


@dataclass(frozen=True)
class BotContext:
    """What the assistant is told about a conversation with each message."""

    language: str
    verified_account_number: str | None
    state: str
    ended: bool


@dataclass(frozen=True)
class CustomerMessageCheck:
    """What storing a customer message must know first (customer_message_check)."""

    state: str  # who owns the conversation: bot, queued, assigned, resolved
    ended: bool
    stored_seq: int | None  # seq of the message already stored under the client_id, if any
    stored_payload: str | None  # its payload
    empty: bool = False  # nothing stored yet: the greeting the tab shows is stored with this message


@dataclass(frozen=True)
class MessageDraft:
    """A bot, agent or system message to append (text already redacted)."""

    role: str
    text: str
    buttons: Sequence[dict[str, str]] = ()
    agent_name: str | None = None


@dataclass(frozen=True)
class PendingMessage:
    """A customer message Rasa has not answered yet: just what is sent to Rasa again."""

    seq: int
    text: str
    payload: str | None


# --- The statements of every customer turn, built once ---------------------------------
# Building a statement and its cache key costs more CPU than SQLite takes to run it
# (0.2-0.4 ms each); these run several times per turn, so they are module constants
# with bound parameters (tenant, conversation, ...), filled in from a TenantRef by the
# functions below. The UPDATEs skip the ORM's in-session synchronisation (it cannot
# evaluate unbound parameters); _reserve_seqs does it by hand.

_CUSTOMER_MESSAGE_CHECK = (
    select(
        Conversation.state, Conversation.ended_at, Conversation.last_seq, Message.seq, Message.payload
    )
    .outerjoin(
        Message,
        and_(
            Message.tenant_id == Conversation.tenant_id,
            Message.conversation_id == Conversation.id,
            Message.client_id == bindparam("client_id"),
        ),
    )
    .where(
        Conversation.tenant_id == bindparam("tenant"),
        Conversation.id == bindparam("conversation"),
    )
)

# What Rasa is told about the conversation (BotContext), by tenant and id.
_BOT_CONTEXT = (
    select(
        Conversation.language,
        Conversation.state,
        Conversation.ended_at,
        Account.account_number,
    )
    .outerjoin(
        Account,
        and_(
            Account.tenant_id == Conversation.tenant_id,
            Account.id == Conversation.verified_account_id,
        ),
    )
    .where(
        Conversation.tenant_id == bindparam("tenant"),
        Conversation.id == bindparam("conversation"),
    )
)

# The same, with the undelivered customer messages (one row each, or one NULL row).
_BOT_BACKLOG = (
    _BOT_CONTEXT.add_columns(Message.seq, Message.text, Message.payload)
    .outerjoin(
        Message,
        and_(
            Message.tenant_id == Conversation.tenant_id,
            Message.conversation_id == Conversation.id,
            Message.role == "customer",
            Message.delivered_to_bot.is_(False),
        ),
    )
    .order_by(Message.seq)
)

# Whether an enabled endpoint of the conversation's tenant names message.created: read in
# the seq UPDATE itself, so a tenant without such a subscriber pays no round trip for the
# webhook feed on a customer's turn. A hint only (a match is checked again by record_event);
# it never misses a subscriber, as the stored events list holds the name in quotes.
_MESSAGES_WANTED = (
    exists()
    .where(
        WebhookEndpoint.tenant_id == Conversation.tenant_id,
        WebhookEndpoint.enabled.is_(True),
        cast(WebhookEndpoint.events, String).like(f'%"{MESSAGE_CREATED}"%'),
    )
    .correlate(Conversation)
)

# Also the conversation's activity clock: every new message counts; and, for the reports,
# whether the customer made a request (a bot turn answering one sets it, nothing clears it).
_RESERVE_SEQS = (
    update(Conversation)
    .where(
        Conversation.tenant_id == bindparam("tenant"),
        Conversation.id == bindparam("conversation"),
    )
    .values(
        last_seq=Conversation.last_seq + bindparam("count", type_=Conversation.last_seq.type),
        last_activity_at=bindparam("now", type_=Conversation.last_activity_at.type),
        made_request=or_(Conversation.made_request, bindparam("request", type_=Conversation.made_request.type)),
    )
    .returning(Conversation.last_seq, _MESSAGES_WANTED.label("messages_wanted"))
    .execution_options(synchronize_session=False)
)

_MARK_DELIVERED = (
    update(Message)
    .where(
        Message.tenant_id == bindparam("tenant"),
        Message.conversation_id == bindparam("conversation"),
        Message.seq == bindparam("answered_seq"),
    )
    .values(delivered_to_bot=True, intent=bindparam("intent", type_=Message.intent.type))
    .execution_options(synchronize_session=False)
)


def new_conversation_id() -> str:
    """32 URL-safe characters from 192 random bits: not guessable, not enumerable."""
    return secrets.token_urlsafe(24)


async def start_conversation(
    session: AsyncSession,
    tenant: TenantRef,
    *,
    language: str,
    verified_account_id: int | None = None,
) -> Conversation:
    """A new conversation; `verified_account_id` is a customer the firm's site signed in."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    now = utcnow()
    conversation = Conversation(
        id=new_conversation_id(),
        tenant_id=tenant.id,
        state="bot",
        language=language,
        verified_account_id=verified_account_id,
        verified_by=None if verified_account_id is None else "site",
        last_seq=0,
        created_at=now,
        last_activity_at=now,
    )
    session.add(conversation)
    await session.flush()
    return conversation


async def get_conversation(
    session: AsyncSession, tenant: TenantRef, conversation_id: str | None
) -> Conversation | None:
    if not conversation_id or len(conversation_id) > 64:
        return None
    return await session.scalar(
        select(Conversation).where(
            Conversation.tenant_id == tenant.id, Conversation.id == conversation_id
        )
    )


def _bot_context(row: Row[Any]) -> BotContext:
    return BotContext(row.language, row.account_number, row.state, row.ended_at is not None)


async def bot_context(
    session: AsyncSession, tenant: TenantRef, conversation_id: str
) -> BotContext | None:
    row = (
        await session.execute(_BOT_CONTEXT, {"tenant": tenant.id, "conversation": conversation_id})
    ).one_or_none()
    return None if row is None else _bot_context(row)


async def bot_backlog(
    session: AsyncSession, tenant: TenantRef, conversation_id: str
) -> tuple[BotContext | None, list[PendingMessage]]:
    """bot_context and the undelivered customer messages (oldest first), in one query:
    what a drain reads before each round of Rasa calls."""
    rows = (
        await session.execute(
            _BOT_BACKLOG, {"tenant": tenant.id, "conversation": conversation_id}
        )
    ).all()
    if not rows:
        return None, []
    context = _bot_context(rows[0])
    # Without pending messages the outer join gives one row with NULL message columns.
    pending = [
        PendingMessage(row.seq, row.text, row.payload) for row in rows if row.seq is not None
    ]
    return context, pending


async def add_message(
    session: AsyncSession,
    tenant: TenantRef,
    conversation_id: str,
    *,
    role: str,
    text: str,
    buttons: Sequence[dict[str, str]] = (),
    agent_name: str | None = None,
) -> Message:
    """Append a bot, agent or system message (already redacted) as the next seq."""
    [message] = await add_messages(
        session, tenant, conversation_id, [MessageDraft(role, text, buttons, agent_name)]
    )
    return message


async def add_messages(
    session: AsyncSession,
    tenant: TenantRef,
    conversation_id: str,
    drafts: Sequence[MessageDraft],
    *,
    answers_request: bool = False,
) -> list[Message]:
    """Append bot, agent or system messages (already redacted) as the next seqs, in order.

    One UPDATE reserves the seqs of all of them and one flush inserts them, however
    many there are (a bot turn often has several replies). `answers_request`: the bot's
    turn answers a message understood as a request (conversations.made_request, reports).
    """
    if any(draft.role not in MESSAGE_ROLES or draft.role == "customer" for draft in drafts):
        raise ValueError("add_message is for bot, agent and system messages")
    if not drafts:
        return []
    seqs, wanted = await _reserve_seqs(session, tenant, conversation_id, len(drafts), request=answers_request)
    messages = [
        Message(
            tenant_id=tenant.id,
            conversation_id=conversation_id,
            seq=seq,
            role=draft.role,
            text=draft.text,
            buttons=[dict(button) for button in draft.buttons],
            agent_name=draft.agent_name,
            delivered_to_bot=True,
        )
        for seq, draft in zip(seqs, drafts, strict=True)
    ]
    session.add_all(messages)
    await session.flush()
    if wanted:
        await messages_created(session, tenant.id, conversation_id, messages)
    return messages


async def find_customer_message(
    session: AsyncSession, tenant: TenantRef, conversation_id: str, client_id: str
) -> Message | None:
    return await session.scalar(
        select(Message).where(
            Message.tenant_id == tenant.id,
            Message.conversation_id == conversation_id,
            Message.client_id == client_id,
        )
    )


async def customer_message_check(
    session: AsyncSession, tenant: TenantRef, conversation_id: str | None, client_id: str
) -> CustomerMessageCheck | None:
    """The conversation's state and the message already stored under client_id (if any),
    in one query; None when the tenant has no such conversation."""
    if not conversation_id or len(conversation_id) > 64:
        return None
    row = (
        await session.execute(
            _CUSTOMER_MESSAGE_CHECK,
            {"tenant": tenant.id, "conversation": conversation_id, "client_id": client_id},
        )
    ).one_or_none()  # (conversation_id, client_id) is unique: at most one row
    if row is None:
        return None
    return CustomerMessageCheck(
        row.state, row.ended_at is not None, row.seq, row.payload, empty=row.last_seq == 0
    )


async def add_customer_message(
    session: AsyncSession,
    tenant: TenantRef,
    conversation_id: str,
    *,
    client_id: str,
    text: str,
    payload: str | None = None,
) -> tuple[Message, bool]:
    """Store a customer message (already redacted) unless its client_id is known.

    Returns (message, duplicate). A retry of a stored message returns the stored
    row with duplicate=True and allocates nothing. When a concurrent writer wins
    the race for the same client_id, raises DuplicateClientId: roll back and call
    again, and the second call answers duplicate=True.
    """
    _check_client_id(client_id)
    existing = await find_customer_message(session, tenant, conversation_id, client_id)
    if existing is not None:
        return existing, True
    message = await insert_customer_message(
        session, tenant, conversation_id, client_id=client_id, text=text, payload=payload
    )
    return message, False


async def insert_customer_message(
    session: AsyncSession,
    tenant: TenantRef,
    conversation_id: str,
    *,
    client_id: str,
    text: str,
    payload: str | None = None,
) -> Message:
    """Store a customer message (already redacted) whose client_id the caller has just
    looked for in this transaction (customer_message_check) and not found.

    When a concurrent writer stored the same client_id meanwhile, raises
    DuplicateClientId: roll back and look again.
    """
    _check_client_id(client_id)
    [seq], wanted = await _reserve_seqs(session, tenant, conversation_id, 1)
    message = Message(
        tenant_id=tenant.id,
        conversation_id=conversation_id,
        seq=seq,
        role="customer",
        text=text,
        buttons=[],
        payload=payload,
        client_id=client_id,
        delivered_to_bot=False,
    )
    session.add(message)
    try:
        await session.flush()
    except IntegrityError as error:
        raise DuplicateClientId() from error
    if wanted:
        await messages_created(session, tenant.id, conversation_id, [message])
    return message


def _check_client_id(client_id: str) -> None:
    if not client_id or len(client_id) > CLIENT_ID_MAX_CHARS:
        raise ValueError(f"client_id must be 1..{CLIENT_ID_MAX_CHARS} characters")


async def offered_payloads(
    session: AsyncSession, tenant: TenantRef, conversation_id: str
) -> set[str]:
    """Every quick-reply payload the conversation's bot, agent or system messages offered."""
    rows = await session.scalars(
        select(Message.buttons).where(
            Message.tenant_id == tenant.id,
            Message.conversation_id == conversation_id,
            Message.role != "customer",
        )
    )
    return {
        str(button["payload"])
        for buttons in rows
        for button in buttons or []
        if isinstance(button, dict) and button.get("payload")
    }


async def messages_after(
    session: AsyncSession, tenant: TenantRef, conversation_id: str, after_seq: int = 0
) -> list[Message]:
    """The conversation's messages with seq > after_seq, in order."""
    return list(
        await session.scalars(
            select(Message)
            .where(
                Message.tenant_id == tenant.id,
                Message.conversation_id == conversation_id,
                Message.seq > after_seq,
            )
            .order_by(Message.seq)
        )
    )


async def undelivered_customer_messages(
    session: AsyncSession, tenant: TenantRef, conversation_id: str
) -> list[Message]:
    """Customer messages Rasa has not answered yet, oldest first."""
    return list(
        await session.scalars(
            select(Message)
            .where(
                Message.tenant_id == tenant.id,
                Message.conversation_id == conversation_id,
                Message.role == "customer",
                Message.delivered_to_bot.is_(False),
            )
            .order_by(Message.seq)
        )
    )


async def mark_delivered_to_bot(
    session: AsyncSession, tenant: TenantRef, conversation_id: str, seq: int, *, intent: str | None = None
) -> None:
    """Rasa has answered message `seq` (or it was never Rasa's to answer), having understood
    it as `intent` (for reports; None when not known), in the same statement.

    A Message object of it already loaded in this session keeps its old
    delivered_to_bot (no caller reads it again)."""
    await session.execute(
        _MARK_DELIVERED,
        {"tenant": tenant.id, "conversation": conversation_id, "answered_seq": seq, "intent": intent},
    )


async def mark_fallback(
    session: AsyncSession, tenant: TenantRef, conversation_id: str, seq: int, kind: str
) -> None:
    """The assistant did not understand customer message `seq` (kind: FALLBACK_KINDS)."""
    await session.execute(
        update(Message)
        .where(
            Message.tenant_id == tenant.id,
            Message.conversation_id == conversation_id,
            Message.seq == seq,
            Message.role == "customer",
        )
        .values(fallback=kind)
        .execution_options(synchronize_session=False)
    )


async def set_verified_account(
    session: AsyncSession,
    tenant: TenantRef,
    conversation_id: str,
    account_id: int,
    *,
    by: str,
    facts: Sequence[str] = (),
) -> None:
    """Bind the conversation to an account of the same tenant (the composite FK enforces it).

    `by` is who verified (VERIFIERS); `facts` the names of what matched
    (("account_number", "postcode")), never their values.
    """
    if by not in VERIFIERS:
        raise ValueError(f"by must be one of {', '.join(VERIFIERS)}")
    updated = await session.scalar(
        update(Conversation)
        .where(Conversation.tenant_id == tenant.id, Conversation.id == conversation_id)
        .values(
            verified_account_id=account_id,
            verified_by=by,
            verified_with="+".join(facts) or None,
        )
        .returning(Conversation.id)
    )
    if updated is None:
        raise ConversationNotFound()


async def end_conversation(
    session: AsyncSession, tenant: TenantRef, conversation_id: str, *, at: datetime | None = None
) -> bool:
    """End the conversation; False when it had already ended."""
    ended = await session.scalar(
        update(Conversation)
        .where(
            Conversation.tenant_id == tenant.id,
            Conversation.id == conversation_id,
            Conversation.ended_at.is_(None),
        )
        .values(ended_at=at or utcnow())
        .returning(Conversation.id)
    )
    return ended is not None


async def end_idle_conversations(
    session: AsyncSession, *, idle_since: datetime, states: Iterable[str]
) -> list[ConversationKey]:
    """End, across all tenants, open conversations in `states` quiet since before idle_since.

    A maintenance sweep, hence not tenant-scoped; it returns each ended
    conversation with its tenant so callers stay tenant-bound afterwards.
    """
    candidates = and_(
        Conversation.ended_at.is_(None),
        Conversation.last_activity_at < idle_since,
        Conversation.state.in_(list(states)),
    )
    rows = (
        await session.execute(
            update(Conversation)
            .where(candidates)
            .values(ended_at=utcnow())
            .returning(Conversation.id, Conversation.tenant_id)
        )
    ).all()
    return await _with_tenants(session, [(row.tenant_id, row.id) for row in rows])


async def delete_empty_conversations(
    session: AsyncSession, *, created_before: datetime
) -> list[ConversationKey]:
    """Delete, across tenants, conversations nobody wrote in (nothing stored: a hello that
    never wrote) started before the cutoff; returns them so their tabs can be told."""
    rows = (
        await session.execute(
            delete(Conversation)
            .where(
                Conversation.last_seq == 0,
                Conversation.state == "bot",
                Conversation.created_at < created_before,
            )
            .returning(Conversation.id, Conversation.tenant_id)
        )
    ).all()
    return await _with_tenants(session, [(row.tenant_id, row.id) for row in rows])


async def conversations_awaiting_bot(
    session: AsyncSession, *, sent_before: datetime | None = None
) -> list[ConversationKey]:
    """Open conversations with the bot, across tenants, with messages Rasa has not answered
    (only those waiting since before `sent_before`, when given)."""
    conditions = [
        Message.conversation_id == Conversation.id,
        Message.role == "customer",
        Message.delivered_to_bot.is_(False),
    ]
    if sent_before is not None:
        conditions.append(Message.created_at < sent_before)
    undelivered = exists().where(*conditions)
    rows = (
        await session.execute(
            select(Conversation.tenant_id, Conversation.id).where(
                Conversation.ended_at.is_(None), Conversation.state == "bot", undelivered
            )
        )
    ).all()
    return await _with_tenants(session, [(row.tenant_id, row.id) for row in rows])


async def _reserve_seqs(
    session: AsyncSession, tenant: TenantRef, conversation_id: str, count: int, *, request: bool = False
) -> tuple[range, bool]:
    """The next `count` seqs of the conversation, taken with one UPDATE ... RETURNING, and
    whether an endpoint may want message.created (_MESSAGES_WANTED)."""
    now = utcnow()
    row = (
        await session.execute(
            _RESERVE_SEQS,
            {"tenant": tenant.id, "conversation": conversation_id, "count": count, "now": now, "request": request},
        )
    ).one_or_none()
    if row is None:
        raise ConversationNotFound()
    last = row.last_seq
    # The Conversation this session holds (e.g. one just started) shows the new counter.
    # Its primary key is the id alone, and the UPDATE matched it within the tenant.
    loaded = session.identity_map.get(session.identity_key(Conversation, conversation_id))
    if loaded is not None:
        set_committed_value(loaded, "last_seq", int(last))
        set_committed_value(loaded, "last_activity_at", now)
    return range(int(last) - count + 1, int(last) + 1), bool(row.messages_wanted)


async def _with_tenants(
    session: AsyncSession, pairs: list[tuple[int, str]]
) -> list[ConversationKey]:
    if not pairs:
        return []
    tenant_ids = {tenant_id for tenant_id, _ in pairs}
    tenants = {
        row.id: TenantRef(id=row.id, slug=row.slug, ticket_prefix=row.ticket_prefix)
        for row in await session.execute(
            select(Tenant.id, Tenant.slug, Tenant.ticket_prefix).where(Tenant.id.in_(tenant_ids))
        )
    }
    return [
        ConversationKey(tenants[tenant_id], conversation_id) for tenant_id, conversation_id in pairs
    ]
