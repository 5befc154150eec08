"""Whatever path text takes into the database (widget, console, admin, CLI), NUL and lone
surrogates are stored alike on SQLite and PostgreSQL; money is exact on both."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import TenantRef
from bot.db.models import Account


async def _first_account(session: AsyncSession, tenant: TenantRef) -> Account:
    return (await session.scalars(
        select(Account).where(Account.tenant_id == tenant.id).order_by(Account.id).limit(1)
    )).one()


async def test_text_with_nul_and_a_lone_surrogate_is_stored_without_them(
    session: AsyncSession, nordlys: TenantRef
) -> None:
    account = await _first_account(session, nordlys)
    account.name = "Kari\u0000 Nord\ud800mann"
    await session.flush()
    # Core statements go through the same column type.
    await session.execute(update(Account).where(Account.id == account.id)
                          .values(plan="Fast\u0000pris"))
    await session.commit()
    session.expunge_all()

    stored = await session.get(Account, account.id)
    assert stored is not None
    assert (stored.name, stored.plan) == ("Kari Nordmann", "Fastpris")
    # A lookup with such a character is an ordinary miss-or-hit, not a driver error.
    found = await session.scalar(select(Account.id).where(Account.name == "Kari Nordmann\u0000"))
    assert found == account.id


async def test_amounts_round_trip_exactly(session: AsyncSession, nordlys: TenantRef) -> None:
    account = await _first_account(session, nordlys)
    account.amount_due = Decimal("1249.45")
    account.last_payment_amount = Decimal("9999999999.99")  # the largest NUMERIC(12, 2)
    await session.commit()
    session.expunge_all()

    stored = await session.get(Account, account.id)
    assert stored is not None
    assert stored.amount_due == Decimal("1249.45") and str(stored.amount_due) == "1249.45"
    assert stored.last_payment_amount == Decimal("9999999999.99")


async def test_a_sum_of_many_amounts_is_exact(session: AsyncSession, nordlys: TenantRef) -> None:
    await session.execute(update(Account).where(Account.tenant_id == nordlys.id)
                          .values(amount_due=Decimal("0.10")))
    count = await session.scalar(select(func.count()).where(Account.tenant_id == nordlys.id))
    total = await session.scalar(select(func.sum(Account.amount_due))
                                 .where(Account.tenant_id == nordlys.id))
    assert total == Decimal("0.10") * count


@pytest.mark.parametrize(("given", "stored"), [
    (Decimal("0.005"), Decimal("0.01")), (Decimal("-0.005"), Decimal("-0.01")),
    (Decimal("2.344"), Decimal("2.34")), ("17.5", Decimal("17.50")), (3, Decimal("3.00")),
])
async def test_amounts_are_rounded_to_cents_half_away_from_zero_on_every_backend(
    session: AsyncSession, nordlys: TenantRef, given: object, stored: Decimal
) -> None:
    account = await _first_account(session, nordlys)
    account.amount_due = given  # type: ignore[assignment]
    await session.commit()
    session.expunge_all()
    assert (await session.get(Account, account.id)).amount_due == stored  # type: ignore[union-attr]


async def test_a_float_amount_is_refused(session: AsyncSession, nordlys: TenantRef) -> None:
    account = await _first_account(session, nordlys)
    account.amount_due = 0.1  # type: ignore[assignment]
    with pytest.raises(Exception, match="not a float"):
        await session.flush()


async def test_on_sqlite_an_amount_is_stored_as_whole_cents(
    backend: str, session: AsyncSession, nordlys: TenantRef
) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL's numeric is exact by itself")
    account = await _first_account(session, nordlys)
    account.amount_due = Decimal("1249.45")
    await session.commit()
    raw = (await session.execute(text("SELECT amount_due, typeof(amount_due) FROM accounts "
                                      "WHERE id = :id"), {"id": account.id})).one()
    assert tuple(raw) == (124945, "integer")
