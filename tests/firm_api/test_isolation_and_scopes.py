"""Every operation against another tenant's key, a key without the scope, and no key at all.

Driven by the operations the API serves: a new endpoint without a sample fails here first.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.admin import use_cases as admin
from bot.db import Account, Database, TenantRef, Ticket
from bot.db.models import Conversation, Message

from .conftest import ALL_SCOPES, KeyMaker, bearer
from .samples import NORDLYS_CONVERSATION, NORDLYS_PUBLIC_CONVERSATION, ON_A_RESOURCE, OPERATIONS, SAMPLES, request_of


@pytest.fixture
async def nordlys_chat(database: Database, nordlys: TenantRef) -> str:
    async with database.sessionmaker.begin() as session:
        session.add(Conversation(id=NORDLYS_CONVERSATION, tenant_id=nordlys.id, language="en", last_seq=1,
                                 state="resolved", rating=4, rating_comment="Quick help"))
        await session.flush()
        session.add(Message(tenant_id=nordlys.id, conversation_id=NORDLYS_CONVERSATION, seq=1, role="customer",
                            text="My number is [PHONE]"))
    return NORDLYS_CONVERSATION


async def call(api: TestClient, operation: Any, headers: dict[str, str]) -> tuple[int, Any]:
    method, path, body = request_of(operation)
    response = await api.request(method, path, headers=headers, json=body)
    payload = await response.json() if response.status != 204 else None
    return response.status, payload


async def snapshot(database: Database, nordlys: TenantRef) -> tuple[Any, ...]:
    async with database.sessionmaker() as session:
        tickets = (await session.execute(select(Ticket.reference, Ticket.status, Ticket.public_reply)
                                         .where(Ticket.tenant_id == nordlys.id).order_by(Ticket.id))).all()
        accounts = (await session.execute(select(Account.account_number, Account.amount_due, Account.name)
                                          .where(Account.tenant_id == nordlys.id).order_by(Account.id))).all()
    return tuple(tickets), tuple(accounts)


def test_every_operation_has_a_sample_request() -> None:
    assert {op.operation_id for op in OPERATIONS} == set(SAMPLES)


async def test_another_tenants_key_never_reaches_nordlys_data(
    api: TestClient, issue_key: KeyMaker, database: Database, nordlys: TenantRef, nordlys_chat: str
) -> None:
    other = bearer(await issue_key("fjordnett"))
    before = await snapshot(database, nordlys)

    for operation in OPERATIONS:
        status, payload = await call(api, operation, other)
        if operation.operation_id in ON_A_RESOURCE:
            assert status == 404, operation.operation_id
            assert payload["error"]["code"] == "not_found"
        else:
            assert status in (200, 201), (operation.operation_id, payload)
            text = str(payload)
            assert "NRD-" not in text and NORDLYS_CONVERSATION not in text, operation.operation_id
            assert NORDLYS_PUBLIC_CONVERSATION not in text, operation.operation_id

    assert await snapshot(database, nordlys) == before


async def test_the_same_requests_work_with_nordlys_own_key(
    api: TestClient, issue_key: KeyMaker, nordlys_chat: str
) -> None:
    own = bearer(await issue_key("nordlys"))

    statuses = {op.operation_id: (await call(api, op, own))[0] for op in OPERATIONS}

    assert all(status in (200, 201, 204) for status in statuses.values()), statuses


@pytest.mark.parametrize("scope", ALL_SCOPES)
async def test_a_key_without_the_scope_is_refused_with_403(
    api: TestClient, issue_key: KeyMaker, nordlys_chat: str, scope: str
) -> None:
    lacking = bearer(await issue_key("nordlys", *[s for s in ALL_SCOPES if s != scope]))

    for operation in OPERATIONS:
        status, payload = await call(api, operation, lacking)
        if operation.scope == scope:
            assert status == 403, operation.operation_id
            assert payload["error"] == {"code": "missing_scope", "message": f"This API key lacks the scope {scope}."}
        else:
            assert status != 403, operation.operation_id


async def test_no_wrong_or_revoked_key_gets_anything_but_401(
    api: TestClient, issue_key: KeyMaker, database: Database, nordlys_chat: str
) -> None:
    key = await issue_key("nordlys")
    await admin.revoke_api_key(database.sessionmaker, "nordlys", key[: key.index("_", 4)])
    tampered = (await issue_key("nordlys"))[:-2] + "xx"

    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}, bearer("bpo_nope_x"),
                    bearer(key), bearer(tampered)):
        for operation in OPERATIONS:
            status, payload = await call(api, operation, headers)
            assert status == 401, (operation.operation_id, headers)
            assert payload["error"]["code"] == "unauthenticated"
