"""Typed SQLAlchemy models. Every tenant-owned row carries tenant_id.

Cross-tenant references are impossible by construction: a ticket points at an
account through the composite key (tenant_id, account_id), so the database
rejects a ticket of one tenant that names another tenant's account.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    and_,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, foreign, mapped_column, relationship

from bot.db.public_ids import PUBLIC_ID_LENGTH, public_conversation_id
from bot.db.types import Money, UTCDateTime, make_text_storable, utcnow
from bot.nlu.language import LANGUAGES  # the languages the assistant tells apart: ("en", "nb")

# Deterministic constraint names: Alembic batch mode on SQLite needs named
# constraints, and the same names on both backends keep migrations portable.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CURRENCIES = ("NOK", "GBP")
ACCOUNT_STATUSES = ("active", "suspended", "closed")
TICKET_CATEGORIES = ("billing", "technical", "account", "claim", "other")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_STATUSES = ("open", "pending", "resolved", "closed")
FIRST_TICKET_NUMBER = 1001
DEFAULT_RETENTION_DAYS = 90
MONEY = Money()  # exact on SQLite too (bot/db/types.py)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)  # maps the class: its __table__ exists from here
        # Text from any path (widget, console, admin) is stored alike on SQLite and PostgreSQL.
        make_text_storable(cls.__table__)  # type: ignore[attr-defined]


class Tenant(Base):
    """A client firm. Its identity_secret signs customer identities and is never shown."""

    __tablename__ = "tenants"
    __table_args__ = (
        CheckConstraint(_one_of("language", LANGUAGES), name="language"),
        CheckConstraint(_one_of("currency", CURRENCIES), name="currency"),
        CheckConstraint("next_ticket_number > 0", name="next_ticket_number_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    trade: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(5))
    time_zone: Mapped[str] = mapped_column(String(64))
    business_hours: Mapped[dict[str, Any]] = mapped_column(JSON)
    branding: Mapped[dict[str, Any]] = mapped_column(JSON)
    allowed_origins: Mapped[list[str]] = mapped_column(JSON)
    identity_secret: Mapped[str] = mapped_column(String(128))
    ticket_prefix: Mapped[str] = mapped_column(String(3), unique=True)
    next_ticket_number: Mapped[int] = mapped_column(
        Integer, default=FIRST_TICKET_NUMBER, server_default=text(str(FIRST_TICKET_NUMBER))
    )
    currency: Mapped[str] = mapped_column(String(3))
    auto_assign: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )
    # Days a conversation (transcript, tracker, notes, summary) is kept after its last activity.
    retention_days: Mapped[int] = mapped_column(
        Integer, CheckConstraint("retention_days > 0", name="retention_days_positive"),
        default=DEFAULT_RETENTION_DAYS, server_default=text(str(DEFAULT_RETENTION_DAYS)),
    )

    def __repr__(self) -> str:
        # Deliberately without identity_secret: reprs end up in logs and tracebacks.
        return f"Tenant(id={self.id!r}, slug={self.slug!r}, name={self.name!r})"


class Account(Base):
    """A tenant's customer account; account_number is 8 digits, unique per tenant."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "account_number"),
        # Target of the composite foreign key from tickets.
        UniqueConstraint("tenant_id", "id"),
        CheckConstraint(_one_of("status", ACCOUNT_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    account_number: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(32))
    postcode: Mapped[str] = mapped_column(String(16))
    plan: Mapped[str] = mapped_column(String(80))
    amount_due: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), server_default="0")
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    last_payment_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    last_payment_at: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )

    tenant: Mapped[Tenant] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"Account(id={self.id!r}, tenant_id={self.tenant_id!r}, number={self.account_number!r})"


class Ticket(Base):
    """A support case. reference is '<tenant prefix>-<number>', unique per tenant."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "reference"),
        ForeignKeyConstraint(["tenant_id", "account_id"], ["accounts.tenant_id", "accounts.id"]),
        Index(None, "tenant_id", "account_id", "created_at"),
        Index(None, "tenant_id", "conversation_id"),
        CheckConstraint(_one_of("category", TICKET_CATEGORIES), name="category"),
        CheckConstraint(_one_of("priority", TICKET_PRIORITIES), name="priority"),
        CheckConstraint(_one_of("status", TICKET_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(Integer)
    conversation_id: Mapped[str | None] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16), default="normal", server_default="normal")
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, server_default=func.current_timestamp()
    )
    # The firm's latest reply for the customer (public API, migration 0009_api_keys): what the
    # assistant says on the customer's next status question. Stored redacted.
    public_reply: Mapped[str | None] = mapped_column(Text)
    public_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A ticket left because nobody could take the chat (migration 0011_reports): why,
    # "outside_hours" or "no_agent_available"; None for every other ticket.
    closed_reason: Mapped[str | None] = mapped_column(String(32))

    tenant: Mapped[Tenant] = relationship(lazy="raise")
    # viewonly: tenant_id is shared with the tenant relationship, so only the
    # explicit ids are written; the composite join keeps the lookup tenant-bound.
    account: Mapped[Account | None] = relationship(
        primaryjoin=lambda: and_(
            foreign(Ticket.tenant_id) == Account.tenant_id,
            foreign(Ticket.account_id) == Account.id,
        ),
        viewonly=True,
        lazy="raise",
    )

    def __repr__(self) -> str:
        return f"Ticket(id={self.id!r}, tenant_id={self.tenant_id!r}, reference={self.reference!r})"


class FaqAnswer(Base):
    """A tenant's own answer to a retrieval intent's response key, per language."""

    __tablename__ = "faq_answers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key", "language"),
        CheckConstraint(_one_of("language", LANGUAGES), name="language"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(5))
    answer: Mapped[str] = mapped_column(Text)

    tenant: Mapped[Tenant] = relationship(lazy="raise")


__all__ = [
    "ACCOUNT_STATUSES",
    "CURRENCIES",
    "FIRST_TICKET_NUMBER",
    "LANGUAGES",
    "TICKET_CATEGORIES",
    "TICKET_PRIORITIES",
    "TICKET_STATUSES",
    "Account",
    "Base",
    "FaqAnswer",
    "Tenant",
    "Ticket",
]


# --- Conversations (website chat) ------------------------------------------------
# Owned by the gateway; appended here so every model shares one metadata.

CONVERSATION_STATES = ("bot", "queued", "assigned", "resolved")
MESSAGE_ROLES = ("customer", "bot", "agent", "system")
# Who verified the customer: the firm's site (signed identity) or the assistant (verify_form).
VERIFIERS = ("site", "assistant")
# Why the assistant did not understand a customer message (actions/fallback.py marks the turn).
FALLBACK_KINDS = ("nlu", "dialogue")


def _public_id_of_inserted_row(context: Any) -> str:
    return public_conversation_id(context.get_current_parameters()["id"])


class Conversation(Base):
    """One chat of a customer with a tenant's assistant (and later a human agent).

    The id is an unguessable random string: the widget keeps it and it is all a
    browser needs to resume, so it must never be enumerable. last_seq is the
    counter behind messages.seq (allocated with UPDATE ... RETURNING).
    """

    __tablename__ = "conversations"
    __table_args__ = (
        # Target of the composite foreign key from messages.
        UniqueConstraint("tenant_id", "id"),
        ForeignKeyConstraint(
            ["tenant_id", "verified_account_id"], ["accounts.tenant_id", "accounts.id"]
        ),
        Index(None, "ended_at", "last_activity_at"),
        CheckConstraint(_one_of("state", CONVERSATION_STATES), name="state"),
        CheckConstraint(_one_of("language", LANGUAGES), name="language"),
        CheckConstraint("last_seq >= 0", name="last_seq_not_negative"),
        CheckConstraint(_one_of("verified_by", VERIFIERS), name="verified_by"),
        CheckConstraint(
            "(verified_account_id IS NULL) = (verified_by IS NULL)", name="verified_by_with_account"
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # What firms see instead of the id (bot.db.public_ids, migration 0012): filled on insert
    # from the id; bulk loads that bypass SQLAlchemy's defaults (COPY) must set it themselves.
    public_id: Mapped[str] = mapped_column(
        String(PUBLIC_ID_LENGTH), index=True, unique=True, default=_public_id_of_inserted_row
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default="bot", server_default="bot")
    verified_account_id: Mapped[int | None] = mapped_column(Integer)
    # How (migration 0004_verification): VERIFIERS, and for the assistant the names of the
    # facts that matched ("account_number+postcode"), never their values.
    verified_by: Mapped[str | None] = mapped_column(String(16))
    verified_with: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(5))
    handoff_reason: Mapped[str | None] = mapped_column(String(200))
    handoff_summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_seq: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )
    last_activity_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Human handoff (bot.handoff, migration 0003_agents): who owns it and when it moved.
    assigned_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[int | None] = mapped_column(
        Integer, CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range")
    )
    rating_comment: Mapped[str | None] = mapped_column(Text)
    # Reports (migration 0011_reports): a customer message was understood as a request
    # (bot/reports/requests.py); set in the same UPDATE that numbers the bot's answer.
    made_request: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    tenant: Mapped[Tenant] = relationship(lazy="raise")

    def __repr__(self) -> str:
        # The id is a bearer secret for the browser: show only a prefix.
        return f"Conversation(id={self.id[:6]!r}..., tenant_id={self.tenant_id!r}, state={self.state!r})"


class Message(Base):
    """One transcript line. text and payload are stored redacted.

    seq numbers a conversation's messages 1, 2, 3 ... without gaps; client_id
    (made by the widget) makes customer messages idempotent.
    """

    __tablename__ = "messages"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "conversation_id"],
            ["conversations.tenant_id", "conversations.id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("conversation_id", "seq"),
        UniqueConstraint("conversation_id", "client_id"),
        Index(None, "conversation_id", "delivered_to_bot"),
        CheckConstraint(_one_of("role", MESSAGE_ROLES), name="role"),
        CheckConstraint("seq > 0", name="seq_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    # Quick-reply buttons of bot messages: [{"title": ..., "payload": ...}].
    buttons: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # The quick reply's payload a customer chose (e.g. '/affirm'), resent if Rasa was down.
    payload: Mapped[str | None] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(String(64))
    agent_name: Mapped[str | None] = mapped_column(String(120))
    # Customer messages start False and become True once Rasa has answered them;
    # other roles need no delivery and are stored True.
    delivered_to_bot: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Customer messages the assistant did not understand (migration 0010_annotations): "nlu"
    # (its NLU fell back) or "dialogue" (the dialogue could not follow); None otherwise.
    fallback: Mapped[str | None] = mapped_column(
        String(16), CheckConstraint(_one_of("fallback", FALLBACK_KINDS), name="fallback")
    )
    # A customer message's understanding (migration 0011_reports): the intent Rasa predicted,
    # "faq/<key>" for an FAQ topic; None when not known (not yet answered, or an older turn).
    intent: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )

    def __repr__(self) -> str:
        # Never the text: reprs end up in logs.
        return f"Message(conversation_id={self.conversation_id[:6]!r}..., seq={self.seq!r}, role={self.role!r})"


__all__ += ["CONVERSATION_STATES", "FALLBACK_KINDS", "MESSAGE_ROLES", "Conversation", "Message"]


# --- Human handoff: agents, their sessions, internal notes, canned responses -----
# Owned by bot.handoff (migration 0003_agents); the Conversation columns they
# drive (assigned_agent_id, queued_at, ...) are declared on Conversation above.

AGENT_ROLES = ("agent", "supervisor", "admin")
AGENT_PRESENCES = ("online", "away", "offline")
DEFAULT_MAX_CONCURRENT_CHATS = 3


class Agent(Base):
    """A person of the BPO provider who takes over chats; serves tenants via agent_tenants.

    Not tenant-owned on purpose: one agent may serve several client firms.
    email is stored lower-cased; password_hash is argon2.
    """

    __tablename__ = "agents"
    __table_args__ = (
        CheckConstraint(_one_of("role", AGENT_ROLES), name="role"),
        CheckConstraint(_one_of("presence", AGENT_PRESENCES), name="presence"),
        CheckConstraint("max_concurrent_chats > 0", name="max_concurrent_chats_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="agent", server_default="agent")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_concurrent_chats: Mapped[int] = mapped_column(
        Integer,
        default=DEFAULT_MAX_CONCURRENT_CHATS,
        server_default=text(str(DEFAULT_MAX_CONCURRENT_CHATS)),
    )
    presence: Mapped[str] = mapped_column(String(16), default="offline", server_default="offline")
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Routing's tie-break: among equally busy agents the one idle longest gets the chat.
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )

    def __repr__(self) -> str:
        # Neither the e-mail (personal data) nor the hash: reprs end up in logs.
        return f"Agent(id={self.id!r}, role={self.role!r}, presence={self.presence!r})"


class AgentTenant(Base):
    """Which tenants an agent serves: the only source of an agent's tenant scope."""

    __tablename__ = "agent_tenants"
    __table_args__ = (Index(None, "tenant_id"),)

    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )


class AgentSession(Base):
    """A console login. Only a hash of the bearer token is stored, never the token."""

    __tablename__ = "agent_sessions"
    __table_args__ = (Index(None, "agent_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    def __repr__(self) -> str:
        return f"AgentSession(id={self.id!r}, agent_id={self.agent_id!r}, revoked={self.revoked!r})"


class InternalNote(Base):
    """An agent's note on a conversation: for agents only, never shown to the customer."""

    __tablename__ = "internal_notes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "conversation_id"],
            ["conversations.tenant_id", "conversations.id"],
            ondelete="CASCADE",
        ),
        Index(None, "conversation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(String(64))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )

    def __repr__(self) -> str:
        return f"InternalNote(id={self.id!r}, tenant_id={self.tenant_id!r}, agent_id={self.agent_id!r})"


class CannedResponse(Base):
    """A tenant's prepared answer an agent inserts by its shortcut (e.g. 'greeting')."""

    __tablename__ = "canned_responses"
    __table_args__ = (UniqueConstraint("tenant_id", "shortcut"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    shortcut: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )


# The queue (a tenant's queued chats, oldest first) and an agent's open chats.
Index(
    "ix_conversations_tenant_id_state_queued_at",
    Conversation.tenant_id,
    Conversation.state,
    Conversation.queued_at,
)
Index("ix_conversations_assigned_agent_id_state", Conversation.assigned_agent_id, Conversation.state)
# Reports (migration 0011_reports; the first index since 0010_annotations): a tenant's conversations by start, its customers' messages
# by intent, agents' first words per conversation, and the tickets left when nobody could come.
Index("ix_conversations_tenant_id_created_at", Conversation.tenant_id, Conversation.created_at)
Index(
    "ix_messages_tenant_id_role_created_at_intent",
    Message.tenant_id, Message.role, Message.created_at, Message.intent, Message.conversation_id,
)
Index(
    "ix_messages_tenant_id_role_conversation_id_intent_created_at",
    Message.tenant_id, Message.role, Message.conversation_id, Message.intent, Message.created_at,
)
Index(
    "ix_tickets_tenant_id_closed_reason_created_at",
    Ticket.tenant_id, Ticket.closed_reason, Ticket.created_at,
)

__all__ += [
    "AGENT_PRESENCES",
    "AGENT_ROLES",
    "DEFAULT_MAX_CONCURRENT_CHATS",
    "Agent",
    "AgentSession",
    "AgentTenant",
    "CannedResponse",
    "InternalNote",
]


# --- Personal data: audit log and the aggregates that outlive transcripts --------------
# Owned by bot.privacy (migration 0006_privacy).

class AuditEntry(Base):
    """Who did what, when, in which tenant. Append-only: the product has no way to change or
    delete a row (triggers refuse it). Holds ids, never personal data.

    tenant_id has no foreign key on purpose: the log outlives a deleted tenant.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "tenant_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=func.current_timestamp())
    tenant_id: Mapped[int | None] = mapped_column(Integer)
    # "agent" (with agent_id and role), "customer", "system" or "cli"
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))  # "transcript.read", "handoff.claimed", ...
    target_kind: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"AuditEntry(id={self.id!r}, action={self.action!r}, tenant_id={self.tenant_id!r})"


class DailyStats(Base):
    """What reports need from conversations the retention sweep deleted: counts per tenant
    and day (of the conversation's start), no personal data."""

    __tablename__ = "daily_stats"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    conversations: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    customer_messages: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    verified: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    handoffs: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    ratings: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    rating_sum: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


__all__ += ["DEFAULT_RETENTION_DAYS", "AuditEntry", "DailyStats"]
# --- Outbound webhooks (bot.webhooks, migration 0007_webhooks) --------------------
# A transactional outbox: record_event writes the event and one delivery per
# subscribed endpoint in the caller's transaction; the delivery worker sends them.

WEBHOOK_EVENT_TYPES = (
    "conversation.started",
    "conversation.escalated",
    "conversation.assigned",
    "conversation.resolved",
    "conversation.rated",
    "ticket.created",
    "ticket.updated",
    "message.created",
)
WEBHOOK_DELIVERY_STATUSES = ("pending", "delivered", "failed")


class WebhookEndpoint(Base):
    """A tenant's receiving URL. Up to two secrets sign at once: after a rotation the
    previous one stays valid until previous_secret_expires_at, so receivers can switch."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(128))
    previous_secret: Mapped[str | None] = mapped_column(String(128))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    # Start of the current run of failed attempts; None while deliveries succeed.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )

    def __repr__(self) -> str:
        # Never the secrets.
        return f"WebhookEndpoint(id={self.id!r}, tenant_id={self.tenant_id!r}, enabled={self.enabled!r})"


class WebhookEvent(Base):
    """One fact to report. id is unguessable ('evt_...'): receivers deduplicate by it."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        CheckConstraint(_one_of("type", WEBHOOK_EVENT_TYPES), name="type"),
        # The retention sweep and erasure find a tenant's events by age and by what they are about.
        Index(None, "tenant_id", "occurred_at"),
        Index(None, "tenant_id", "ordering_key"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Events with the same key (e.g. 'conversation:<id>') reach an endpoint in order.
    ordering_key: Mapped[str | None] = mapped_column(String(100))


class WebhookDelivery(Base):
    """One event for one endpoint. ids grow in recording order, which is the order
    deliveries with the same ordering_key are sent in."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "endpoint_id"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "endpoint_id", "ordering_key", "status"),
        CheckConstraint(_one_of("status", WEBHOOK_DELIVERY_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    ordering_key: Mapped[str | None] = mapped_column(String(100))  # copied from the event
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The lease: a worker owns the delivery until claimed_until; claim_token proves which one.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )


__all__ += [
    "WEBHOOK_DELIVERY_STATUSES",
    "WEBHOOK_EVENT_TYPES",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]


# --- Conversation review (bot.review, migration 0010_annotations) -------------------
# A reviewer of the client firm (or a BPO supervisor) says what a customer message should
# have been understood as; `python -m bot export-annotations` turns them into NLU data.

ANNOTATION_KINDS = ("intent", "new_answer")
ANNOTATOR_KINDS = ("portal_user", "agent")


class Annotation(Base):
    """One reviewer's verdict on one customer message: kind "intent" with `intent` (an intent
    of the domain, or "faq/<topic>" for a retrieval intent) or kind "new_answer" (nothing
    fits: `note` says what is missing). At most one per message; editing replaces it.

    Deleted with its message (retention sweep, erasure): it holds no copy of the text.
    Who marked it is the last writer: kind and id of the portal user or supervisor agent,
    with their display name then (the account may be gone later).
    """

    __tablename__ = "annotations"
    __table_args__ = (
        UniqueConstraint("message_id"),
        Index(None, "tenant_id", "updated_at"),
        CheckConstraint(_one_of("kind", ANNOTATION_KINDS), name="kind"),
        CheckConstraint(_one_of("marked_by_kind", ANNOTATOR_KINDS), name="marked_by_kind"),
        CheckConstraint("(kind = 'intent') = (intent IS NOT NULL)", name="intent_with_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    intent: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    marked_by_kind: Mapped[str] = mapped_column(String(16))
    marked_by_id: Mapped[int | None] = mapped_column(Integer)
    marked_by_name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )

    def __repr__(self) -> str:
        return f"Annotation(id={self.id!r}, tenant_id={self.tenant_id!r}, kind={self.kind!r})"


# Review lists a tenant's conversations newest first: ix_conversations_tenant_id_created_at (above).

__all__ += ["ANNOTATION_KINDS", "ANNOTATOR_KINDS", "Annotation"]

# --- The client firm's portal (bot.portal, migration 0008_portal_users) ------------
# Firm users are bound to one tenant; BPO supervisors reach the portal with their agent
# account instead (a portal session then names the agent, never a firm user).

PORTAL_ROLES = ("admin", "viewer")


class PortalUser(Base):
    """A person of a client firm who signs in to /portal. email is stored lower-cased and is
    unique across firms (it is the login name); password_hash is argon2."""

    __tablename__ = "portal_users"
    __table_args__ = (CheckConstraint(_one_of("role", PORTAL_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )

    def __repr__(self) -> str:
        return f"PortalUser(id={self.id!r}, tenant_id={self.tenant_id!r}, role={self.role!r})"


class PortalSession(Base):
    """A portal sign-in, of a firm user or of a BPO supervisor (exactly one of the two).
    Only a hash of the bearer token is stored."""

    __tablename__ = "portal_sessions"
    __table_args__ = (
        CheckConstraint(
            "(user_id IS NULL AND agent_id IS NOT NULL) OR (user_id IS NOT NULL AND agent_id IS NULL)",
            name="one_principal",
        ),
        Index(None, "user_id"),
        Index(None, "agent_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    def __repr__(self) -> str:
        return f"PortalSession(id={self.id!r}, user_id={self.user_id!r}, agent_id={self.agent_id!r})"


class PortalInvite(Base):
    """An invitation to a firm's portal: single use (accepted_at), expiring, and only the hash
    of its token is stored. Whoever holds the link sets their own password."""

    __tablename__ = "portal_invites"
    __table_args__ = (CheckConstraint(_one_of("role", PORTAL_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_users.id", ondelete="SET NULL")
    )
    invited_by_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"PortalInvite(id={self.id!r}, tenant_id={self.tenant_id!r}, role={self.role!r})"


__all__ += ["PORTAL_ROLES", "PortalInvite", "PortalSession", "PortalUser"]
# --- The public REST API (bot.firm_api, migration 0009_api_keys) ------------------------

API_KEY_SCOPES = ("tickets:read", "tickets:write", "conversations:read", "reports:read", "accounts:write")


class ApiKey(Base):
    """A firm's key to /api/v1/firm. Only a SHA-256 of the key is stored (the key has 256 random
    bits, so a slow hash adds nothing); `prefix` is its first characters, shown to tell keys
    apart and used to find the row before the constant-time comparison of the hash."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        # Never the hash.
        return f"ApiKey(id={self.id!r}, tenant_id={self.tenant_id!r}, prefix={self.prefix!r})"


__all__ += ["API_KEY_SCOPES", "ApiKey"]
