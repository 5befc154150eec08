"""Tickets: per-tenant sequential references, tenant isolation, lifecycle."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import (
    Account,
    AccountNotFound,
    Database,
    IllegalTicketTransition,
    InvalidTicketData,
    TenantRef,
    Ticket,
    TicketNotFound,
    change_ticket_status,
    find_account,
    get_ticket,
    list_tickets,
    normalize_reference,
    open_ticket,
)


async def _open(session: AsyncSession, tenant: TenantRef, **overrides: object) -> Ticket:
    fields: dict[str, object] = {
        "account_id": None,
        "conversation_id": "conv-1",
        "subject": "Invoice question",
        "description": "Why is my bill higher?",
        "category": "billing",
    }
    fields.update(overrides)
    return await open_ticket(session, tenant, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("NRD-1042", "NRD-1042"),
        ("nrd-1042", "NRD-1042"),
        (" nrd 1042 ", "NRD-1042"),
        ("NRD1042", "NRD-1042"),
        ("#NRD-1042", "NRD-1042"),
        ("NRD\u20131042", "NRD-1042"),
        ("NRD-", None),
        ("1042", None),
        ("NRDX-1042", None),
        ("", None),
        (None, None),
    ],
)
def test_references_are_normalized(raw: str | None, expected: str | None) -> None:
    assert normalize_reference(raw) == expected


async def test_demo_ticket_nrd_1042_is_open_and_belongs_to_the_demo_customer(
    session: AsyncSession, nordlys: TenantRef
) -> None:
    ticket = await get_ticket(session, nordlys, "nrd-1042")
    account = await find_account(session, nordlys, "10000001")
    assert ticket is not None and account is not None
    assert (ticket.status, ticket.account_id) == ("open", account.id)


async def test_references_are_sequential_per_tenant(
    session: AsyncSession, nordlys: TenantRef, fjordnett: TenantRef
) -> None:
    first = await _open(session, nordlys)
    second = await _open(session, nordlys)
    other = await _open(session, fjordnett, category="technical")
    await session.commit()

    assert first.reference == "NRD-1043"  # right after the demo tickets
    assert second.reference == "NRD-1044"
    assert other.reference == "FJN-1219"  # Fjordnett's own counter, untouched by Nordlys


async def test_new_ticket_is_open_with_given_fields(session: AsyncSession, nordlys: TenantRef) -> None:
    account = await find_account(session, nordlys, "10000001")
    assert account is not None
    ticket = await _open(session, nordlys, account_id=account.id, priority="high", subject="  Meter  ")
    await session.commit()

    found = await get_ticket(session, nordlys, ticket.reference)
    assert found is not None
    assert (found.status, found.priority, found.subject, found.account_id, found.conversation_id) == (
        "open",
        "high",
        "Meter",
        account.id,
        "conv-1",
    )
    assert found.created_at.tzinfo is not None


async def test_concurrent_tickets_never_share_a_reference(database: Database, nordlys: TenantRef) -> None:
    async def open_one(index: int) -> str:
        # Like a real use case: read first (tenant, account), then open the ticket.
        async with database.sessionmaker.begin() as session:
            account = await find_account(session, nordlys, f"100000{index + 1:02d}")
            assert account is not None
            ticket = await _open(session, nordlys, account_id=account.id, subject=f"Concurrent {index}")
            return ticket.reference

    references = await asyncio.gather(*(open_one(i) for i in range(12)))

    assert len(set(references)) == 12
    numbers = sorted(int(reference.split("-")[1]) for reference in references)
    assert numbers == list(range(1043, 1055))


async def test_rolled_back_ticket_does_not_exist(database: Database, nordlys: TenantRef) -> None:
    async with database.sessionmaker() as session:
        ticket = await _open(session, nordlys)
        reference = ticket.reference
        await session.rollback()
    async with database.sessionmaker() as session:
        assert await get_ticket(session, nordlys, reference) is None


async def test_ticket_of_other_tenant_is_not_found(
    session: AsyncSession, nordlys: TenantRef, fjordnett: TenantRef
) -> None:
    assert await get_ticket(session, nordlys, "NRD-1042") is not None
    assert await get_ticket(session, fjordnett, "NRD-1042") is None
    assert await get_ticket(session, fjordnett, "FJN-1042") is None


async def test_status_of_other_tenants_ticket_cannot_be_changed(
    session: AsyncSession, fjordnett: TenantRef
) -> None:
    with pytest.raises(TicketNotFound):
        await change_ticket_status(session, fjordnett, "NRD-1042", "pending")


async def test_ticket_list_holds_only_the_accounts_tickets_newest_first(
    session: AsyncSession, nordlys: TenantRef, fjordnett: TenantRef
) -> None:
    account = await find_account(session, nordlys, "10000001")
    assert account is not None
    newer = await _open(session, nordlys, account_id=account.id)
    await session.commit()

    tickets = await list_tickets(session, nordlys, account_id=account.id)
    assert [ticket.reference for ticket in tickets] == [newer.reference, "NRD-1042"]
    # The same account id seen through another tenant yields nothing.
    assert await list_tickets(session, fjordnett, account_id=account.id) == []


async def test_ticket_for_another_tenants_account_is_refused(
    session: AsyncSession, nordlys: TenantRef, fjordnett: TenantRef
) -> None:
    foreign = await find_account(session, fjordnett, "20000001")
    assert foreign is not None
    with pytest.raises(AccountNotFound):
        await _open(session, nordlys, account_id=foreign.id)


async def test_database_rejects_a_ticket_pointing_at_another_tenants_account(
    session: AsyncSession, nordlys: TenantRef, fjordnett: TenantRef
) -> None:
    foreign_id = await session.scalar(
        select(Account.id).where(Account.tenant_id == fjordnett.id, Account.account_number == "20000001")
    )
    session.add(
        Ticket(
            tenant_id=nordlys.id,
            account_id=foreign_id,
            reference="NRD-9999",
            subject="Sneaky",
            description="",
            category="other",
        )
    )
    with pytest.raises(IntegrityError):
        await session.flush()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"description": "x" * 10_001}, "description"),
        ({"category": "refund"}, "category"),
        ({"priority": "critical"}, "priority"),
        ({"conversation_id": "c" * 65}, "conversation_id"),
    ],
)
async def test_invalid_ticket_data_is_refused_with_the_field_named(
    session: AsyncSession, nordlys: TenantRef, overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidTicketData) as raised:
        await _open(session, nordlys, **overrides)
    assert raised.value.field == field


async def test_refused_ticket_uses_no_reference(session: AsyncSession, nordlys: TenantRef) -> None:
    with pytest.raises(InvalidTicketData):
        await _open(session, nordlys, category="refund")
    assert (await _open(session, nordlys)).reference == "NRD-1043"


@pytest.mark.parametrize(
    "path",
    [
        ["pending", "resolved", "closed"],
        ["pending", "open", "resolved", "open", "pending", "resolved", "closed"],
        ["resolved", "closed"],
    ],
)
async def test_legal_status_changes_are_applied(
    session: AsyncSession, nordlys: TenantRef, path: list[str]
) -> None:
    ticket = await _open(session, nordlys)
    for status in path:
        changed = await change_ticket_status(session, nordlys, ticket.reference.lower(), status)
        assert changed.status == status
    await session.commit()
    reread = await get_ticket(session, nordlys, ticket.reference)
    assert reread is not None and reread.status == path[-1]


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], "closed"),  # an open ticket must be resolved first
        ([], "open"),  # no change is not a transition
        (["pending"], "closed"),
        (["resolved", "closed"], "open"),  # closed is final
        (["resolved", "closed"], "resolved"),
        ([], "archived"),  # not a status at all
    ],
)
async def test_illegal_status_changes_are_refused_and_change_nothing(
    session: AsyncSession, nordlys: TenantRef, path: list[str], illegal: str
) -> None:
    ticket = await _open(session, nordlys)
    for status in path:
        await change_ticket_status(session, nordlys, ticket.reference, status)
    before = ticket.status

    with pytest.raises(IllegalTicketTransition) as raised:
        await change_ticket_status(session, nordlys, ticket.reference, illegal)

    assert (raised.value.current, raised.value.requested) == (before, illegal)
    reread = await get_ticket(session, nordlys, ticket.reference)
    assert reread is not None and reread.status == before


async def test_status_change_of_unknown_ticket_is_not_found(session: AsyncSession, nordlys: TenantRef) -> None:
    with pytest.raises(TicketNotFound):
        await change_ticket_status(session, nordlys, "NRD-5", "pending")
    with pytest.raises(TicketNotFound):
        await change_ticket_status(session, nordlys, "not a reference", "pending")


async def test_status_change_moves_updated_at(session: AsyncSession, nordlys: TenantRef) -> None:
    ticket = await get_ticket(session, nordlys, "NRD-1042")
    assert ticket is not None
    created = ticket.updated_at
    changed = await change_ticket_status(session, nordlys, "NRD-1042", "pending")
    assert changed.updated_at > created
