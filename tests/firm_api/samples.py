"""A valid request for every operation, aimed at nordlys's data (the isolation and scope matrices)."""

from __future__ import annotations

from typing import Any

from bot.db.public_ids import public_conversation_id
from bot.firm_api.app import ALL_OPERATIONS, MOUNT
from bot.firm_api.operations import Operation

NORDLYS_CONVERSATION = "conv-nordlys-api-1"  # the raw id (the widget's secret)
NORDLYS_PUBLIC_CONVERSATION = public_conversation_id(NORDLYS_CONVERSATION)  # what the API names it
ACCOUNT = {
    "name": "Kari Nordmann", "email": "kari@example.no", "phone": "+47 912 34 567", "postcode": "0150",
    "plan": "Fastpris", "amount_due": "310.00",
}
SAMPLES: dict[str, tuple[dict[str, str], Any]] = {
    "listTickets": ({}, None),
    "createTicket": ({}, {"subject": "Probe", "category": "other"}),
    "getTicket": ({"reference": "NRD-1042"}, None),
    "updateTicket": ({"reference": "NRD-1042"}, {"status": "pending"}),
    "replyToTicket": ({"reference": "NRD-1042"}, {"text": "Probe reply"}),
    "listConversations": ({}, None),
    "getTranscript": ({"conversation_id": NORDLYS_PUBLIC_CONVERSATION}, None),
    "listRatings": ({}, None),
    "putAccount": ({"account_number": "10000001"}, ACCOUNT),
    "putAccountsBatch": ({}, {"accounts": [{**ACCOUNT, "account_number": "10000001"}]}),
    "deleteAccount": ({"account_number": "10000004"}, None),  # not one the PUTs above create
    "getReport": ({}, None),
}
# Required query parameters, where an operation has some.
QUERIES = {"getReport": "from=2026-11-02&to=2026-11-08"}
# Operations aimed at one existing resource of nordlys: another tenant's key gets 404 for them.
ON_A_RESOURCE = {"getTicket", "updateTicket", "replyToTicket", "getTranscript", "deleteAccount"}


def request_of(operation: Operation) -> tuple[str, str, Any]:
    params, body = SAMPLES[operation.operation_id]
    path = MOUNT + operation.path
    for name, value in params.items():
        path = path.replace(f"{{{name}}}", value)
    if operation.operation_id in QUERIES:
        path += "?" + QUERIES[operation.operation_id]
    return operation.method, path, body


OPERATIONS = ALL_OPERATIONS
