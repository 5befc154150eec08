"""Accounts kept current by the client firm: validation, idempotent upsert, delete."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database, TenantRef, find_account, open_ticket, verify_account
from bot.db.accounts import InvalidAccount, delete_account, parse_account, upsert_account
from bot.db.models import Ticket

GOOD: dict[str, Any] = {
    "account_number": "4000 0001",
    "name": "Kari Nordmann",
    "email": "kari@example.no",
    "phone": "+47 912 34 567",
    "postcode": "0150",
    "plan": "Fiber 500",
    "amount_due": "1249.50",
    "status": "active",
    "last_payment_amount": "999.00",
    "last_payment_at": "2026-11-15",
}


def test_a_good_account_is_normalised() -> None:
    fields = parse_account(GOOD)
    assert fields.account_number == "40000001"
    assert fields.amount_due == Decimal("1249.50")
    assert fields.last_payment_at == date(2026, 11, 15)


def test_status_defaults_to_active_and_the_last_payment_is_optional() -> None:
    fields = parse_account({**GOOD, "status": "", "last_payment_amount": "", "last_payment_at": ""})
    assert fields.status == "active" and fields.last_payment_amount is None and fields.last_payment_at is None


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("account_number", "4000001", "exactly 8 digits"),
        ("email", "kari.example.no", "not an e-mail address"),
        ("phone", "call me", "not a phone number"),
        ("phone", "12 34", "not a phone number"),
        ("postcode", "#0150", "not a postcode"),
        ("plan", "", "required"),
        ("name", "x" * 121, "longer than 120"),
        ("amount_due", "12.345", "not an amount"),
        ("amount_due", "-5.00", "not an amount"),
        ("amount_due", "1e3", "not an amount"),
        ("amount_due", "NaN", "not an amount"),
        ("amount_due", 12.5, "not a float"),
        ("status", "deleted", "must be one of active, suspended, closed"),
        ("last_payment_at", "15.11.2026", "not a date"),
        ("last_payment_at", "", "amount and date together"),
    ],
)
def test_a_bad_field_is_reported_by_name_without_its_value(field: str, value: Any, reason: str) -> None:
    with pytest.raises(InvalidAccount) as raised:
        parse_account({**GOOD, field: value})
    [(reported_field, reported_reason)] = raised.value.problems
    assert reported_field == field and reason in reported_reason
    if isinstance(value, str) and len(value) > 3:
        assert value not in str(raised.value)


def test_every_problem_of_an_account_is_reported_at_once() -> None:
    with pytest.raises(InvalidAccount) as raised:
        parse_account({**GOOD, "email": "nope", "postcode": "", "colour": "red"})
    assert {field for field, _ in raised.value.problems} == {"email", "postcode", "colour"}


async def test_upsert_creates_then_updates_the_same_account(session: AsyncSession, nordlys: TenantRef) -> None:
    created_account, created = await upsert_account(session, nordlys.id, GOOD)
    again, created_again = await upsert_account(session, nordlys.id, {**GOOD, "amount_due": "0.10", "plan": "Fiber 1000"})
    await session.commit()

    assert created and not created_again and again.id == created_account.id
    found = await find_account(session, nordlys, "40000001")
    assert found is not None and found.amount_due == Decimal("0.10") and found.plan == "Fiber 1000"


async def test_the_assistant_verifies_against_the_new_figures_at_once(session: AsyncSession, nordlys: TenantRef) -> None:
    await upsert_account(session, nordlys.id, {**GOOD, "account_number": "10000001", "postcode": "9999"})
    await session.commit()

    assert await verify_account(session, nordlys, "10000001", "9999") is not None
    assert await verify_account(session, nordlys, "10000001", "0150") is None


async def test_the_same_number_in_two_tenants_is_two_accounts(
    session: AsyncSession, nordlys: TenantRef, fjordnett: TenantRef
) -> None:
    await upsert_account(session, nordlys.id, GOOD)
    await upsert_account(session, fjordnett.id, {**GOOD, "name": "Someone Else"})
    await session.commit()
    a, b = await find_account(session, nordlys, "40000001"), await find_account(session, fjordnett, "40000001")
    assert a is not None and b is not None and a.id != b.id and b.name == "Someone Else"


async def test_deleting_an_account_removes_it_but_keeps_its_tickets(database: Database, nordlys: TenantRef) -> None:
    async with database.sessionmaker.begin() as session:
        account, _ = await upsert_account(session, nordlys.id, GOOD)
        ticket = await open_ticket(
            session, nordlys, account_id=account.id, conversation_id=None,
            subject="Wrong invoice", description="Charged twice", category="billing",
        )

    async with database.sessionmaker.begin() as session:
        assert await delete_account(session, nordlys.id, "40000001") is True
        assert await delete_account(session, nordlys.id, "40000001") is False

    async with database.sessionmaker() as session:
        assert await find_account(session, nordlys, "40000001") is None
        kept = await session.scalar(select(Ticket).where(Ticket.id == ticket.id))
        assert kept is not None and kept.account_id is None


async def test_another_tenant_cannot_delete_the_account(
    session: AsyncSession, nordlys: TenantRef, fjordnett: TenantRef
) -> None:
    await upsert_account(session, nordlys.id, GOOD)
    await session.commit()
    assert await delete_account(session, fjordnett.id, "40000001") is False
    assert await find_account(session, nordlys, "40000001") is not None


async def test_deleting_a_verified_customers_account_leaves_their_chat_unverified(
    database: Database, nordlys: TenantRef
) -> None:
    from bot.db.models import Conversation

    async with database.sessionmaker.begin() as session:
        account, _ = await upsert_account(session, nordlys.id, GOOD)
        session.add(Conversation(
            id="chat-of-a-verified-customer", tenant_id=nordlys.id, language="nb",
            verified_account_id=account.id, verified_by="assistant", verified_with="account_number,postcode",
        ))

    async with database.sessionmaker.begin() as session:
        assert await delete_account(session, nordlys.id, "40000001") is True

    async with database.sessionmaker() as session:
        chat = await session.scalar(select(Conversation).where(Conversation.id == "chat-of-a-verified-customer"))
        assert chat is not None
        assert (chat.verified_account_id, chat.verified_by, chat.verified_with) == (None, None, None)
