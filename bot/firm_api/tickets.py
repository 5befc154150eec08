"""Ticket endpoints: list, get, create, change status, add the public reply."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import audit
from bot.db import tickets as ticket_data
from bot.db.accounts import find_account
from bot.db.errors import IllegalTicketTransition, InvalidTicketData, TicketNotFound
from bot.db.firm_listings import ticket_page, ticket_with_account
from bot.db.models import TICKET_CATEGORIES, TICKET_PRIORITIES, TICKET_STATUSES
from bot.firm_api import cursor
from bot.firm_api import schema as s
from bot.firm_api.common import DEFAULT_LIMIT, PAGE_PARAMS, errors
from bot.firm_api.errors import InvalidRequest, ResourceNotFound, TransitionNotAllowed
from bot.firm_api.operations import Call, Operation, Param, Reply, Response
from bot.firm_api.views import ACCOUNT_NUMBER, REFERENCE, ticket_view

BASE = "/v1/firm/tickets"
TAG = "Tickets"
REFERENCE_PARAM = (Param("reference", REFERENCE, "The ticket's reference, e.g. NRD-1042", required=True),)


async def list_tickets(call: Call) -> Reply:
    query = call.query
    limit = query.get("limit", DEFAULT_LIMIT)
    before = None
    if "cursor" in query:
        position = cursor.decode("tickets", query["cursor"])
        if len(position) != 1 or not isinstance(position[0], int):
            raise InvalidRequest("query.cursor: not a cursor of this list")
        before = position[0]
    since = s.parse_datetime(query["since"]) if "since" in query else None
    async with call.deps.database.sessionmaker() as session:
        rows = await ticket_page(
            session, call.tenant.id, limit=limit + 1, before_id=before,
            status=query.get("status"), category=query.get("category"), updated_since=since,
        )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = cursor.encode("tickets", [rows[-1].ticket.id]) if more else None
    return Reply(200, {"data": [ticket_view(row) for row in rows], "next_cursor": next_cursor})


async def get_ticket(call: Call) -> Reply:
    async with call.deps.database.sessionmaker() as session:
        ticket = await ticket_data.get_ticket(session, call.tenant, call.path["reference"])
        if ticket is None:
            raise ResourceNotFound("No such ticket.")
        row = await ticket_with_account(session, call.tenant.id, ticket.id)
    assert row is not None
    return Reply(200, ticket_view(row))


async def create_ticket(call: Call) -> Reply:
    body = call.body
    redact = call.deps.redactor.redact
    async with call.deps.database.sessionmaker.begin() as session:
        account_id = None
        if body.get("account_number") is not None:
            account = await find_account(session, call.tenant, body["account_number"])
            if account is None:
                raise InvalidRequest("body.account_number: no such account")
            account_id = account.id
        try:
            ticket = await ticket_data.open_ticket(
                session, call.tenant, account_id=account_id, conversation_id=None,
                subject=redact(body["subject"]).text, description=redact(body.get("description", "")).text,
                category=body["category"], priority=body.get("priority", "normal"),
            )
        except InvalidTicketData as error:
            raise InvalidRequest(f"body.{error.field}: {error.problem}") from None
        await _audit(call, session, audit.TICKET_OPENED, ticket.reference)
        row = await ticket_with_account(session, call.tenant.id, ticket.id)
    assert row is not None
    return Reply(201, ticket_view(row))


async def update_ticket(call: Call) -> Reply:
    reference = call.path["reference"]
    async with call.deps.database.sessionmaker.begin() as session:
        try:
            ticket = await ticket_data.change_ticket_status(session, call.tenant, reference, call.body["status"])
        except TicketNotFound:
            raise ResourceNotFound("No such ticket.") from None
        except IllegalTicketTransition as error:
            allowed = sorted(ticket_data.TICKET_TRANSITIONS[error.current]) or ["nothing (closed is final)"]
            raise TransitionNotAllowed(
                f"A {error.current} ticket can move to {', '.join(allowed)}, not {error.requested}."
            ) from None
        await _audit(call, session, audit.TICKET_STATUS_CHANGED, ticket.reference, {"to": ticket.status})
        row = await ticket_with_account(session, call.tenant.id, ticket.id)
    assert row is not None
    return Reply(200, ticket_view(row))


async def reply_to_ticket(call: Call) -> Reply:
    text = call.deps.redactor.redact(call.body["text"]).text
    async with call.deps.database.sessionmaker.begin() as session:
        try:
            ticket = await ticket_data.add_public_reply(session, call.tenant, call.path["reference"], text)
        except TicketNotFound:
            raise ResourceNotFound("No such ticket.") from None
        except InvalidTicketData as error:
            raise InvalidRequest(f"body.text: {error.problem}") from None
        await _audit(call, session, audit.TICKET_REPLIED, ticket.reference)
        row = await ticket_with_account(session, call.tenant.id, ticket.id)
    assert row is not None
    return Reply(201, ticket_view(row))


async def _audit(call: Call, session: AsyncSession, action: str, reference: str, details: dict[str, str] | None = None) -> None:
    await audit.record(
        session, audit.Actor.api_key(call.caller.key_id), action, tenant_id=call.tenant.id,
        target_kind="ticket", target_id=reference, details=details,
    )


TICKET = s.ref("Ticket")
NOT_BLANK = "\\S"  # at least one character that is not white space

OPERATIONS = (
    Operation(
        "GET", BASE, "listTickets", "List tickets", TAG, "tickets:read", list_tickets,
        description="Newest first. Filters combine; `since` keeps tickets updated at or after it.",
        query=(
            Param("status", s.string(enum=TICKET_STATUSES), "Only tickets with this status"),
            Param("category", s.string(enum=TICKET_CATEGORIES), "Only tickets of this category"),
            Param("since", s.string(fmt="date-time"), "Only tickets updated at or after this time (RFC 3339)"),
            *PAGE_PARAMS,
        ),
        responses=(Response(200, "A page of tickets", s.ref("TicketPage")), *errors()),
    ),
    Operation(
        "POST", BASE, "createTicket", "Open a ticket", TAG, "tickets:write", create_ticket,
        description="Gets the tenant's next reference. Texts are stored with personal data redacted.",
        body=s.obj(
            {
                "subject": s.string(min_length=1, max_length=ticket_data.SUBJECT_MAX_CHARS, pattern=NOT_BLANK),
                "description": s.string(max_length=ticket_data.DESCRIPTION_MAX_CHARS),
                "category": s.string(enum=TICKET_CATEGORIES),
                "priority": s.string(enum=TICKET_PRIORITIES, description="default normal"),
                "account_number": {**ACCOUNT_NUMBER, "type": ["string", "null"]},
            },
            required=("subject", "category"),
        ),
        responses=(Response(201, "The new ticket", TICKET), *errors(body=True)),
    ),
    Operation(
        "GET", f"{BASE}/{{reference}}", "getTicket", "Get a ticket", TAG, "tickets:read", get_ticket,
        path_params=REFERENCE_PARAM,
        responses=(Response(200, "The ticket", TICKET), *errors()),
    ),
    Operation(
        "PATCH", f"{BASE}/{{reference}}", "updateTicket", "Change a ticket's status", TAG, "tickets:write",
        update_ticket,
        description=(
            "open → pending or resolved; pending → open or resolved; resolved → open or closed; "
            "closed is final. Another move answers 409."
        ),
        path_params=REFERENCE_PARAM,
        body=s.obj({"status": s.string(enum=TICKET_STATUSES)}, required=("status",)),
        responses=(
            Response(200, "The updated ticket", TICKET),
            *errors(Response(409, "That status change is not allowed", s.ref("Error")), body=True),
        ),
    ),
    Operation(
        "POST", f"{BASE}/{{reference}}/replies", "replyToTicket", "Add the public reply", TAG,
        "tickets:write", reply_to_ticket,
        description=(
            "The customer hears this reply the next time they ask the assistant for the ticket's "
            "status (the latest reply replaces the one before). Personal data is redacted."
        ),
        path_params=REFERENCE_PARAM,
        body=s.obj(
            {"text": s.string(min_length=1, max_length=ticket_data.PUBLIC_REPLY_MAX_CHARS, pattern=NOT_BLANK)},
            required=("text",),
        ),
        responses=(Response(201, "The ticket with its reply", TICKET), *errors(body=True)),
    ),
)
