"""Demo data: complete, realistic and idempotent."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import (
    Account,
    Database,
    FaqAnswer,
    Tenant,
    TenantRef,
    Ticket,
    change_ticket_status,
    get_tenant,
    open_ticket,
)
from bot.db.engine import REPO_ROOT
from bot.db.models import Base
from bot.demo import DEMO_CUSTOMERS, FIRMS, seed_demo
from bot.demo.faq_texts import FAQ_KEYS


async def _snapshot(database: Database) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, to prove a re-seed changes nothing at all."""
    async with database.sessionmaker() as session:
        snapshot = {}
        for table in Base.metadata.sorted_tables:
            rows = await session.execute(select(table).order_by(*table.primary_key.columns))
            snapshot[table.name] = [dict(row._mapping) for row in rows]
        return snapshot


async def _seed(database: Database) -> None:
    async with database.sessionmaker.begin() as session:
        await seed_demo(session)


async def test_reseeding_changes_nothing(database: Database) -> None:
    before = await _snapshot(database)
    await _seed(database)
    await _seed(database)
    assert await _snapshot(database) == before


async def test_reseeding_keeps_identity_secrets(database: Database) -> None:
    async def secrets() -> dict[str, str]:
        async with database.sessionmaker() as session:
            return {slug: secret for slug, secret in await session.execute(select(Tenant.slug, Tenant.identity_secret))}

    before = await secrets()
    await _seed(database)
    assert await secrets() == before
    assert len(set(before.values())) == len(FIRMS)
    assert all(len(secret) >= 40 for secret in before.values())


async def test_reseeding_keeps_ticket_changes_and_never_reuses_a_reference(
    database: Database, nordlys: TenantRef
) -> None:
    async with database.sessionmaker.begin() as session:
        await change_ticket_status(session, nordlys, "NRD-1042", "pending")
        await open_ticket(
            session, nordlys, account_id=None, conversation_id=None,
            subject="Before reseed", description="", category="other",
        )
    await _seed(database)
    async with database.sessionmaker.begin() as session:
        later = await open_ticket(
            session, nordlys, account_id=None, conversation_id=None,
            subject="After reseed", description="", category="other",
        )
        status = await session.scalar(select(Ticket.status).where(Ticket.reference == "NRD-1042"))
    assert later.reference == "NRD-1044"
    assert status == "pending"


async def test_seeding_an_empty_database_creates_three_firms_of_different_trades(
    session: AsyncSession,
) -> None:
    tenants = list(await session.scalars(select(Tenant).order_by(Tenant.slug)))
    assert [t.slug for t in tenants] == ["fjordnett", "lighthouse", "nordlys"]
    assert len({t.trade for t in tenants}) == 3
    by_slug = {t.slug: t for t in tenants}
    nordlys = by_slug["nordlys"]
    assert (nordlys.language, nordlys.currency, nordlys.ticket_prefix) == ("nb", "NOK", "NRD")
    assert (by_slug["lighthouse"].time_zone, by_slug["lighthouse"].currency) == ("Europe/London", "GBP")
    for tenant in tenants:
        assert tenant.allowed_origins == ["http://localhost:8000", "http://127.0.0.1:8000"]
        assert set(tenant.business_hours) == {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
        assert {"color", "title", "greeting", "avatar_url"} <= set(tenant.branding)


def _relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("firm", FIRMS, ids=lambda firm: firm.slug)
def test_brand_colour_meets_wcag_aa_against_white_text(firm: Any) -> None:
    contrast = 1.05 / (_relative_luminance(firm.branding["color"]) + 0.05)
    assert contrast >= 4.5


async def test_every_firm_answers_every_faq_key_in_english_and_in_norwegian(
    session: AsyncSession,
) -> None:
    rows = await session.execute(select(Tenant.slug, FaqAnswer.key, FaqAnswer.language).join(Tenant))
    present = {tuple(row) for row in rows}
    for slug in ("nordlys", "fjordnett", "lighthouse"):
        for key in FAQ_KEYS:
            assert (slug, key, "en") in present
            assert (slug, key, "nb") in present


async def test_each_firm_has_varied_accounts_and_tickets(session: AsyncSession) -> None:
    for firm in FIRMS:
        tenant = await get_tenant(session, firm.slug)
        assert tenant is not None
        accounts = list(await session.scalars(select(Account).where(Account.tenant_id == tenant.id)))
        assert len(accounts) == 20
        assert any(a.status == "suspended" for a in accounts)
        assert any(a.amount_due == 0 for a in accounts)
        assert any(a.last_payment_at is None for a in accounts)
        assert len({a.name for a in accounts}) == 20
        statuses = list(
            await session.scalars(select(Ticket.status).where(Ticket.tenant_id == tenant.id))
        )
        assert 3 <= len(statuses) <= 6
        assert {"open", "pending", "resolved", "closed"} <= set(statuses)
        assert len(statuses) == len(firm.tickets)


async def test_documented_demo_customers_exist_with_their_verification_details(
    session: AsyncSession,
) -> None:
    by_tenant = {customer.tenant_slug: customer for customer in DEMO_CUSTOMERS}
    assert {slug: c.account_number for slug, c in by_tenant.items()} == {
        "nordlys": "10000001",
        "fjordnett": "20000001",
        "lighthouse": "30000001",
    }
    assert (by_tenant["nordlys"].postcode, by_tenant["nordlys"].email) == (
        "0150",
        "ola.nordmann@example.no",
    )
    for customer in DEMO_CUSTOMERS:
        account = await session.scalar(
            select(Account)
            .join(Tenant)
            .where(Tenant.slug == customer.tenant_slug, Account.account_number == customer.account_number)
        )
        assert account is not None
        assert (account.postcode, account.email, account.status) == (
            customer.postcode,
            customer.email,
            "active",
        )


async def test_tenant_repr_never_shows_the_identity_secret(session: AsyncSession) -> None:
    tenant = await get_tenant(session, "nordlys")
    assert tenant is not None
    assert tenant.identity_secret not in repr(tenant)


def test_demo_data_is_the_same_in_every_process() -> None:
    program = "from bot.demo import FIRMS; print(repr([(f.accounts, f.tickets, f.faq) for f in FIRMS]))"

    def generated(hash_seed: str) -> str:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run(
            [sys.executable, "-c", program], cwd=REPO_ROOT, env=env,
            capture_output=True, text=True, check=True, timeout=60,
        )
        return result.stdout

    assert generated("1") == generated("2")


@pytest.mark.parametrize(
    ("slug", "base", "demo_ticket"),
    [
        ("nordlys", 10000000, "NRD-1042"),
        ("fjordnett", 20000000, "FJN-1218"),
        ("lighthouse", 30000000, "LHI-2304"),
    ],
)
async def test_documented_demo_accounts_have_their_documented_situation(
    session: AsyncSession, slug: str, base: int, demo_ticket: str
) -> None:
    tenant = await get_tenant(session, slug)
    assert tenant is not None
    accounts = {
        a.account_number: a
        for a in await session.scalars(select(Account).where(Account.tenant_id == tenant.id))
    }
    suspended, nothing_due, never_paid, closed = (accounts[str(base + n)] for n in (2, 3, 4, 5))
    assert suspended.status == "suspended" and suspended.amount_due > 0
    assert nothing_due.amount_due == 0
    assert never_paid.last_payment_at is None and never_paid.last_payment_amount is None
    assert closed.status == "closed"
    ticket = await session.scalar(
        select(Ticket).where(Ticket.tenant_id == tenant.id, Ticket.reference == demo_ticket)
    )
    assert ticket is not None and ticket.status == "open"
    assert ticket.account_id == accounts[str(base + 1)].id
