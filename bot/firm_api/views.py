"""What the API answers: each view function next to the schema that describes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.db.firm_listings import ConversationRow, TicketRow
from bot.db.models import (
    ACCOUNT_STATUSES,
    CONVERSATION_STATES,
    LANGUAGES,
    MESSAGE_ROLES,
    TICKET_CATEGORIES,
    TICKET_PRIORITIES,
    TICKET_STATUSES,
    Account,
    Message,
)
from bot.db.public_ids import public_conversation_id
from bot.firm_api import schema as s

TIME = s.string(fmt="date-time")
MAYBE_TIME = s.string(fmt="date-time", nullable=True)
REFERENCE = s.string(
    min_length=1, max_length=20, description="The ticket's reference, e.g. NRD-1042", example="NRD-1042"
)
ACCOUNT_NUMBER = s.string(pattern="^[0-9]{8}$", description="8 digits", example="10000001")
# Never the raw conversation id: that one resumes the customer's chat (bot.db.public_ids).
CONVERSATION_ID_PATTERN = "^conv_[0-9a-f]{32}$"
CONVERSATION_ID_MEANING = "The conversation's public id, the same as webhooks' conversation.id"
CONVERSATION_ID_EXAMPLE = "conv_5f0c8a1e9b7d4c3a2e1f0b9a8c7d6e5f"


def conversation_id(*, nullable: bool = False, description: str = CONVERSATION_ID_MEANING) -> s.Schema:
    return s.string(
        pattern=CONVERSATION_ID_PATTERN, nullable=nullable, description=description, example=CONVERSATION_ID_EXAMPLE
    )


CURSOR = s.string(min_length=1, max_length=200, description="next_cursor of the previous page")
LIMIT = s.integer(minimum=1, maximum=100, description="Items per page (default 25)")


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def page_of(item: str) -> s.Schema:
    return s.obj(
        {"data": s.array(s.ref(item)), "next_cursor": s.string(nullable=True, description="null on the last page")},
        required=("data", "next_cursor"),
    )


TICKET = s.obj(
    {
        "reference": s.string(example="NRD-1042"),
        "status": s.string(enum=TICKET_STATUSES),
        "category": s.string(enum=TICKET_CATEGORIES),
        "priority": s.string(enum=TICKET_PRIORITIES),
        "subject": s.string(),
        "description": s.string(description="Stored redacted"),
        "account_number": s.string(nullable=True),
        "conversation_id": conversation_id(
            nullable=True, description="The chat that opened it, if any (its public id, as in webhooks)"
        ),
        "public_reply": s.string(nullable=True, description="The latest reply the customer is told"),
        "public_reply_at": MAYBE_TIME,
        "created_at": TIME,
        "updated_at": TIME,
    },
    required=(
        "reference", "status", "category", "priority", "subject", "description", "account_number",
        "conversation_id", "public_reply", "public_reply_at", "created_at", "updated_at",
    ),
)


def ticket_view(row: TicketRow) -> dict[str, Any]:
    ticket = row.ticket
    return {
        "reference": ticket.reference,
        "status": ticket.status,
        "category": ticket.category,
        "priority": ticket.priority,
        "subject": ticket.subject,
        "description": ticket.description,
        "account_number": row.account_number,
        "conversation_id": (
            None if ticket.conversation_id is None else public_conversation_id(ticket.conversation_id)
        ),
        "public_reply": ticket.public_reply,
        "public_reply_at": _time(ticket.public_reply_at),
        "created_at": _time(ticket.created_at),
        "updated_at": _time(ticket.updated_at),
    }


CONVERSATION = s.obj(
    {
        "id": conversation_id(),
        "state": s.string(enum=CONVERSATION_STATES),
        "language": s.string(enum=LANGUAGES),
        "verified_account_number": s.string(nullable=True),
        "verified_by": s.string(nullable=True, enum=("site", "assistant")),
        "handoff_reason": s.string(nullable=True),
        "rating": s.integer(minimum=1, maximum=5, nullable=True),
        "created_at": TIME,
        "last_activity_at": TIME,
        "resolved_at": MAYBE_TIME,
        "ended_at": MAYBE_TIME,
    },
    required=(
        "id", "state", "language", "verified_account_number", "verified_by", "handoff_reason",
        "rating", "created_at", "last_activity_at", "resolved_at", "ended_at",
    ),
)


def conversation_view(row: ConversationRow) -> dict[str, Any]:
    c = row.conversation
    return {
        "id": c.public_id,
        "state": c.state,
        "language": c.language,
        "verified_account_number": row.account_number,
        "verified_by": c.verified_by,
        "handoff_reason": c.handoff_reason,
        "rating": c.rating,
        "created_at": _time(c.created_at),
        "last_activity_at": _time(c.last_activity_at),
        "resolved_at": _time(c.resolved_at),
        "ended_at": _time(c.ended_at),
    }


RATING = s.obj(
    {
        "conversation_id": conversation_id(),
        "rating": s.integer(minimum=1, maximum=5),
        "comment": s.string(nullable=True),
        "conversation_started_at": TIME,
        "resolved_at": MAYBE_TIME,
    },
    required=("conversation_id", "rating", "comment", "conversation_started_at", "resolved_at"),
)


def rating_view(row: ConversationRow) -> dict[str, Any]:
    c = row.conversation
    return {
        "conversation_id": c.public_id,
        "rating": c.rating,
        "comment": c.rating_comment,
        "conversation_started_at": _time(c.created_at),
        "resolved_at": _time(c.resolved_at),
    }


MESSAGE = s.obj(
    {
        "seq": s.integer(minimum=1),
        "role": s.string(enum=MESSAGE_ROLES),
        "text": s.string(description="As stored: personal data replaced by placeholders"),
        "agent_name": s.string(nullable=True),
        "created_at": TIME,
    },
    required=("seq", "role", "text", "agent_name", "created_at"),
)


def message_view(message: Message) -> dict[str, Any]:
    return {
        "seq": message.seq,
        "role": message.role,
        "text": message.text,
        "agent_name": message.agent_name,
        "created_at": _time(message.created_at),
    }


TRANSCRIPT = s.obj(
    {
        "conversation_id": conversation_id(),
        "data": s.array(s.ref("Message")),
        "next_cursor": s.string(nullable=True, description="null on the last page"),
    },
    required=("conversation_id", "data", "next_cursor"),
)

MONEY = s.string(pattern="^[0-9]{1,10}(\\.[0-9]{1,2})?$", example="1250.00")
# What a firm sends for one account (bot.db.accounts.parse_account checks the rest).
ACCOUNT_FIELDS = {
    "name": s.string(min_length=1, max_length=120),
    "email": s.string(min_length=3, max_length=254, example="ola.nordmann@example.no"),
    "phone": s.string(min_length=6, max_length=32, example="+47 912 34 567"),
    "postcode": s.string(min_length=2, max_length=16, example="0150"),
    "plan": s.string(min_length=1, max_length=80),
    "amount_due": MONEY,
    "status": s.string(enum=ACCOUNT_STATUSES, description="default active"),
    "last_payment_amount": s.string(
        pattern="^[0-9]{1,10}(\\.[0-9]{1,2})?$", nullable=True, description="with last_payment_at"
    ),
    "last_payment_at": s.string(fmt="date", nullable=True, description="with last_payment_amount"),
}
ACCOUNT_REQUIRED = ("name", "email", "phone", "postcode", "plan", "amount_due")
ACCOUNT_INPUT = s.obj(ACCOUNT_FIELDS, required=ACCOUNT_REQUIRED)
ACCOUNT_IN_BATCH = s.obj(
    {"account_number": ACCOUNT_NUMBER, **ACCOUNT_FIELDS}, required=("account_number", *ACCOUNT_REQUIRED)
)
ACCOUNT = s.obj(
    {
        "account_number": s.string(),
        **{name: {k: v for k, v in schema.items() if k not in ("minLength", "pattern", "examples")}
           for name, schema in ACCOUNT_FIELDS.items()},
    },
    required=("account_number", *ACCOUNT_FIELDS),
)


def account_view(account: Account) -> dict[str, Any]:
    return {
        "account_number": account.account_number,
        "name": account.name,
        "email": account.email,
        "phone": account.phone,
        "postcode": account.postcode,
        "plan": account.plan,
        "amount_due": f"{account.amount_due:.2f}",
        "status": account.status,
        "last_payment_amount": None if account.last_payment_amount is None else f"{account.last_payment_amount:.2f}",
        "last_payment_at": account.last_payment_at.isoformat() if account.last_payment_at else None,
    }


ROW_ERROR = s.obj(
    {
        "index": s.integer(minimum=0, description="0-based position in the batch"),
        "account_number": s.string(nullable=True),
        "field": s.string(),
        "reason": s.string(),
    },
    required=("index", "account_number", "field", "reason"),
)
ERROR = s.obj(
    {
        "error": s.obj(
            {
                "code": s.string(),
                "message": s.string(),
                "details": s.array(s.ref("RowError")),
            },
            required=("code", "message"),
        )
    },
    required=("error",),
)

COMPONENTS: dict[str, s.Schema] = {
    "Error": ERROR,
    "RowError": ROW_ERROR,
    "Ticket": TICKET,
    "TicketPage": page_of("Ticket"),
    "Conversation": CONVERSATION,
    "ConversationPage": page_of("Conversation"),
    "Rating": RATING,
    "RatingPage": page_of("Rating"),
    "Message": MESSAGE,
    "Transcript": TRANSCRIPT,
    "Account": ACCOUNT,
    "AccountInput": ACCOUNT_INPUT,
    "AccountInBatch": ACCOUNT_IN_BATCH,
}
