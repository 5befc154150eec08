"""Customer account lookups and identity verification, always within one tenant."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Account
from bot.db.tenants import TenantRef

_ACCOUNT_NUMBER = re.compile(r"[0-9]{8}")
_SEPARATORS = re.compile(r"[\s\-]+")


def normalize_account_number(raw: str | int | None) -> str | None:
    """'1000 0001' / '1000-0001' -> '10000001'; anything but exactly 8 digits -> None."""
    if raw is None:
        return None
    candidate = _SEPARATORS.sub("", str(raw))
    return candidate if _ACCOUNT_NUMBER.fullmatch(candidate) else None


async def find_account(
    session: AsyncSession, tenant: TenantRef, account_number: str | int | None
) -> Account | None:
    number = normalize_account_number(account_number)
    if number is None:
        return None
    return await session.scalar(
        select(Account).where(Account.tenant_id == tenant.id, Account.account_number == number)
    )


async def verify_account(
    session: AsyncSession, tenant: TenantRef, account_number: str | int | None, factor: str | None
) -> Account | None:
    """The account when `factor` matches its postcode or email on file, else None.

    Postcodes compare without spaces and case ('sw1a 2aa' == 'SW1A2AA'); emails
    compare trimmed and case-insensitively.
    """
    if not factor or not factor.strip():
        return None
    account = await find_account(session, tenant, account_number)
    if account is None:
        return None
    if _postcode_key(factor) == _postcode_key(account.postcode):
        return account
    if _email_key(factor) == _email_key(account.email):
        return account
    return None


def _postcode_key(value: str) -> str:
    return re.sub(r"\s+", "", value).upper()


def _email_key(value: str) -> str:
    return value.strip().casefold()
