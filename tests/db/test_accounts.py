"""Account lookup and identity verification stay inside one tenant."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import TenantRef, find_account, normalize_account_number, verify_account


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10000001", "10000001"),
        (" 1000 0001 ", "10000001"),
        ("1000-0001", "10000001"),
        (10000001, "10000001"),
        ("1000001", None),  # 7 digits
        ("100000011", None),  # 9 digits
        ("1000000a", None),
        ("１０００００００", None),  # full-width digits are not account numbers
        ("", None),
        (None, None),
    ],
)
def test_account_numbers_are_normalized_to_exactly_eight_digits(raw: object, expected: str | None) -> None:
    assert normalize_account_number(raw) == expected  # type: ignore[arg-type]


async def test_demo_customer_is_found_by_a_loosely_typed_number(session: AsyncSession, nordlys: TenantRef) -> None:
    account = await find_account(session, nordlys, "1000 0001")
    assert account is not None
    assert (account.account_number, account.name) == ("10000001", "Ola Nordmann")
    assert account.tenant_id == nordlys.id


async def test_account_of_other_tenant_is_not_found(
    session: AsyncSession, nordlys: TenantRef, fjordnett: TenantRef
) -> None:
    assert await find_account(session, fjordnett, "20000001") is not None
    assert await find_account(session, nordlys, "20000001") is None


async def test_invalid_account_number_is_not_found(session: AsyncSession, nordlys: TenantRef) -> None:
    assert await find_account(session, nordlys, "12") is None
    assert await find_account(session, nordlys, "99999999") is None


@pytest.mark.parametrize("factor", ["0150", " 01 50 ", "ola.nordmann@example.no", "  Ola.Nordmann@EXAMPLE.no "])
async def test_verification_accepts_postcode_or_email_on_file(
    session: AsyncSession, nordlys: TenantRef, factor: str
) -> None:
    account = await verify_account(session, nordlys, "10000001", factor)
    assert account is not None and account.account_number == "10000001"


@pytest.mark.parametrize("factor", ["bs14dj", "BS1 4DJ", "b s 1 4 d j"])
async def test_uk_postcode_verification_ignores_spaces_and_case(
    session: AsyncSession, lighthouse: TenantRef, factor: str
) -> None:
    assert await verify_account(session, lighthouse, "30000001", factor) is not None


@pytest.mark.parametrize("factor", ["0151", "kari.hansen@example.no", "ola.nordmann", "", "   ", None])
async def test_verification_with_wrong_factor_fails(
    session: AsyncSession, nordlys: TenantRef, factor: str | None
) -> None:
    assert await verify_account(session, nordlys, "10000001", factor) is None


async def test_verification_against_other_tenant_fails_even_with_right_factor(
    session: AsyncSession, nordlys: TenantRef
) -> None:
    # Kari Hansen (5003) is a Fjordnett customer; Nordlys must not see her.
    assert await verify_account(session, nordlys, "20000001", "5003") is None
