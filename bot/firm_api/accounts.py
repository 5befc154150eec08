"""Account endpoints: the firm keeps the accounts the assistant answers from current."""

from __future__ import annotations

from typing import Any

from bot.db import accounts as account_data
from bot.db import audit
from bot.db.accounts import InvalidAccount, parse_account
from bot.firm_api import schema as s
from bot.firm_api.common import errors
from bot.firm_api.errors import InvalidAccounts, ResourceNotFound
from bot.firm_api.operations import Call, Operation, Param, Reply, Response
from bot.firm_api.views import ACCOUNT_NUMBER, account_view

TAG = "Accounts"
MAX_BATCH = 1_000
NUMBER_PARAM = (Param("account_number", ACCOUNT_NUMBER, "The account's number: 8 digits", required=True),)


def _bad_account(error: InvalidAccount, index: int | None = None, number: str | None = None) -> list[dict[str, Any]]:
    return [
        {"index": index if index is not None else 0, "account_number": number, "field": field, "reason": reason}
        for field, reason in error.problems
    ]


async def put_account(call: Call) -> Reply:
    """Create or replace (idempotent): the assistant answers from the new figures at once."""
    number = call.path["account_number"]
    try:
        fields = parse_account({"account_number": number, **call.body})
    except InvalidAccount as error:
        raise InvalidAccounts("The account is not valid; nothing was changed.", details=_bad_account(error, 0, number)) from None
    async with call.deps.database.sessionmaker.begin() as session:
        account, created = await account_data.upsert_account(session, call.tenant.id, fields.values())
        view = account_view(account)
    return Reply(201 if created else 200, view)


async def put_accounts_batch(call: Call) -> Reply:
    """All or nothing: one bad row and nothing changes; the answer lists every problem."""
    rows = call.body["accounts"]
    parsed, problems, seen = [], [], {}
    for index, raw in enumerate(rows):
        number = raw.get("account_number")
        try:
            fields = parse_account(raw)
        except InvalidAccount as error:
            problems += _bad_account(error, index, number if isinstance(number, str) else None)
            continue
        if fields.account_number in seen:
            problems.append({
                "index": index, "account_number": fields.account_number, "field": "account_number",
                "reason": f"the same account as row {seen[fields.account_number]}",
            })
            continue
        seen[fields.account_number] = index
        parsed.append(fields)
    if problems:
        raise InvalidAccounts(details=problems)
    async with call.deps.database.sessionmaker.begin() as session:
        existing = await account_data.existing_account_numbers(session, call.tenant.id)
        await account_data.bulk_upsert_accounts(session, call.tenant.id, parsed)
    created = sum(1 for fields in parsed if fields.account_number not in existing)
    return Reply(200, {"created": created, "updated": len(parsed) - created})


async def delete_account(call: Call) -> Reply:
    """Gone from the assistant's answers and the console's account card; tickets keep their history."""
    async with call.deps.database.sessionmaker.begin() as session:
        if not await account_data.delete_account(session, call.tenant.id, call.path["account_number"]):
            raise ResourceNotFound("No such account.")
        await audit.record(
            session, audit.Actor.api_key(call.caller.key_id), audit.ACCOUNT_DELETED,
            tenant_id=call.tenant.id, target_kind="account", target_id=call.path["account_number"],
        )
    return Reply(204)


INVALID = Response(422, "The account data is not valid; `details` lists each row, field and reason", s.ref("Error"))

OPERATIONS = (
    Operation(
        "PUT", "/v1/firm/accounts/{account_number}", "putAccount", "Create or replace an account", TAG,
        "accounts:write", put_account,
        description="Idempotent. Money as text with at most two decimals (\"1250.00\").",
        path_params=NUMBER_PARAM,
        body=s.ref("AccountInput"),
        responses=(
            Response(200, "Replaced", s.ref("Account")),
            Response(201, "Created", s.ref("Account")),
            *errors(INVALID, body=True),
        ),
    ),
    Operation(
        "POST", "/v1/firm/accounts/batch", "putAccountsBatch", "Create or replace up to 1,000 accounts", TAG,
        "accounts:write", put_accounts_batch,
        description="All or nothing: if any row is not valid nothing changes, and the answer lists every problem.",
        body=s.obj(
            {"accounts": s.array(s.ref("AccountInBatch"), min_items=1, max_items=MAX_BATCH)},
            required=("accounts",),
        ),
        responses=(
            Response(
                200, "Every account stored",
                s.obj({"created": s.integer(minimum=0), "updated": s.integer(minimum=0)}, required=("created", "updated")),
            ),
            *errors(INVALID, body=True),
        ),
    ),
    Operation(
        "DELETE", "/v1/firm/accounts/{account_number}", "deleteAccount", "Delete an account", TAG,
        "accounts:write", delete_account,
        description="The assistant no longer finds it; tickets and conversations keep their history without it.",
        path_params=NUMBER_PARAM,
        responses=(Response(204, "Deleted"), *errors()),
    ),
)
