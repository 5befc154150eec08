"""Idempotent demo seeding: upsert by natural keys; re-running changes nothing.

Tenants, accounts and FAQ answers are reference data and follow the specs.
Tickets are only inserted when missing, because the product changes them
(status) and a re-seed must not undo that. An existing tenant keeps its
identity secret and never gets its ticket counter lowered.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Account, FaqAnswer, Tenant, Ticket
from bot.db.tenants import get_tenant
from bot.db.tickets import format_reference
from bot.demo.firms import FIRMS
from bot.demo.specs import DemoCustomer, FirmSpec


@dataclass(frozen=True)
class SeedSummary:
    tenants_created: int
    demo_customers: tuple[DemoCustomer, ...]


async def seed_demo(session: AsyncSession, firms: tuple[FirmSpec, ...] = FIRMS) -> SeedSummary:
    """Write the demo firms into the session's transaction (the caller commits)."""
    created = 0
    for firm in firms:
        tenant, is_new = await _upsert_tenant(session, firm)
        created += is_new
        accounts = await _upsert_accounts(session, tenant, firm)
        await _insert_missing_tickets(session, tenant, firm, accounts)
        await _upsert_faq(session, tenant, firm)
    await session.flush()
    return SeedSummary(created, tuple(firm.demo_customer for firm in firms))


async def _upsert_tenant(session: AsyncSession, firm: FirmSpec) -> tuple[Tenant, bool]:
    tenant = await get_tenant(session, firm.slug)
    is_new = tenant is None
    if tenant is None:
        tenant = Tenant(
            slug=firm.slug,
            identity_secret=secrets.token_urlsafe(32),
            next_ticket_number=firm.next_ticket_number,
        )
        session.add(tenant)
    _set_changed(
        tenant,
        name=firm.name,
        trade=firm.trade,
        language=firm.language,
        time_zone=firm.time_zone,
        currency=firm.currency,
        ticket_prefix=firm.ticket_prefix,
        business_hours=firm.business_hours,
        branding=firm.branding,
        allowed_origins=firm.allowed_origins,
        next_ticket_number=max(tenant.next_ticket_number, firm.next_ticket_number),
    )
    await session.flush()
    return tenant, is_new


async def _upsert_accounts(
    session: AsyncSession, tenant: Tenant, firm: FirmSpec
) -> dict[str, Account]:
    existing = {
        account.account_number: account
        for account in await session.scalars(select(Account).where(Account.tenant_id == tenant.id))
    }
    for spec in firm.accounts:
        account = existing.get(spec.account_number)
        if account is None:
            account = Account(tenant_id=tenant.id, account_number=spec.account_number)
            session.add(account)
            existing[spec.account_number] = account
        _set_changed(
            account,
            name=spec.name,
            email=spec.email,
            phone=spec.phone,
            postcode=spec.postcode,
            plan=spec.plan,
            amount_due=spec.amount_due,
            status=spec.status,
            last_payment_amount=spec.last_payment_amount,
            last_payment_at=spec.last_payment_at,
            created_at=spec.created_at,
        )
    await session.flush()
    return existing


async def _insert_missing_tickets(
    session: AsyncSession, tenant: Tenant, firm: FirmSpec, accounts: dict[str, Account]
) -> None:
    references = set(
        await session.scalars(select(Ticket.reference).where(Ticket.tenant_id == tenant.id))
    )
    for spec in firm.tickets:
        reference = format_reference(firm.ticket_prefix, spec.number)
        if reference in references:
            continue
        session.add(
            Ticket(
                tenant_id=tenant.id,
                account_id=accounts[spec.account_number].id if spec.account_number else None,
                conversation_id=None,
                reference=reference,
                subject=spec.subject,
                description=spec.description,
                category=spec.category,
                priority=spec.priority,
                status=spec.status,
                created_at=spec.created_at,
                updated_at=spec.updated_at,
            )
        )
    await session.flush()


async def _upsert_faq(session: AsyncSession, tenant: Tenant, firm: FirmSpec) -> None:
    existing = {
        (row.key, row.language): row
        for row in await session.scalars(select(FaqAnswer).where(FaqAnswer.tenant_id == tenant.id))
    }
    for (key, language), answer in firm.faq.items():
        row = existing.get((key, language))
        if row is None:
            session.add(FaqAnswer(tenant_id=tenant.id, key=key, language=language, answer=answer))
        elif row.answer != answer:
            row.answer = answer
    await session.flush()


def _set_changed(obj: Any, **values: Any) -> None:
    """Assign only differing values, so an unchanged row is never UPDATEd."""
    for name, value in values.items():
        if getattr(obj, name, None) != value:
            setattr(obj, name, value)
