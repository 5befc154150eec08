"""Customer account lookups and identity verification, always within one tenant."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.errors import DomainError
from bot.db.models import ACCOUNT_STATUSES, Account, Conversation, Ticket
from bot.db.tenants import TenantRef
from bot.db.types import utcnow

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


# --- Accounts from the client firm (issue #14): validation, upsert, delete, bulk load ---

ACCOUNT_FIELDS = (
    "account_number", "name", "email", "phone", "postcode", "plan",
    "amount_due", "status", "last_payment_amount", "last_payment_at",
)
REQUIRED_ACCOUNT_FIELDS = frozenset(ACCOUNT_FIELDS[:7])
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_PHONE = re.compile(r"\+?[0-9 ()\-]{6,32}")
_POSTCODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 \-]{1,15}")
_MONEY = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?")
BULK_BATCH_ROWS = 2000


class InvalidAccount(DomainError, ValueError):
    """Every problem of one account's fields: [(field, reason)]. Reasons never quote
    the value (it may be personal data and error reports get passed around)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in problems))
        self.problems = problems


@dataclass(frozen=True)
class AccountFields:
    account_number: str
    name: str
    email: str
    phone: str
    postcode: str
    plan: str
    amount_due: Decimal
    status: str
    last_payment_amount: Decimal | None
    last_payment_at: date | None

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ACCOUNT_FIELDS}


def parse_account(raw: Mapping[str, Any]) -> AccountFields:
    """Validated, normalised fields, or InvalidAccount listing every problem.

    Money must be exact: a string or Decimal with at most two decimals (a float is
    refused, it cannot say 0.10 exactly). status defaults to 'active'.
    """
    problems: list[tuple[str, str]] = []
    unknown = sorted(set(raw) - set(ACCOUNT_FIELDS))
    problems += [(name, "unknown field") for name in unknown]

    def text(name: str, limit: int) -> str:
        value = raw.get(name)
        value = "" if value is None else str(value).strip()
        if not value and name in REQUIRED_ACCOUNT_FIELDS:
            problems.append((name, "required"))
        elif len(value) > limit:
            problems.append((name, f"longer than {limit} characters"))
        return value

    number = normalize_account_number(raw.get("account_number"))
    if number is None:
        problems.append(("account_number", "must be exactly 8 digits"))
    name = text("name", 120)
    email = text("email", 254)
    if email and not _EMAIL.fullmatch(email):
        problems.append(("email", "not an e-mail address"))
    phone = text("phone", 32)
    if phone and (not _PHONE.fullmatch(phone) or sum(c.isdigit() for c in phone) < 6):
        problems.append(("phone", "not a phone number (digits, spaces, + - ( ), at least 6 digits)"))
    postcode = text("postcode", 16)
    if postcode and not _POSTCODE.fullmatch(postcode):
        problems.append(("postcode", "not a postcode (letters, digits, spaces, hyphens)"))
    plan = text("plan", 80)
    amount_due = _money(raw.get("amount_due"), "amount_due", problems, required=True)
    status = text("status", 16) or "active"
    if status not in ACCOUNT_STATUSES:
        problems.append(("status", f"must be one of {', '.join(ACCOUNT_STATUSES)}"))
    paid = _money(raw.get("last_payment_amount"), "last_payment_amount", problems, required=False)
    paid_at = _date(raw.get("last_payment_at"), "last_payment_at", problems)
    if (paid is None) != (paid_at is None) and not any(
        field.startswith("last_payment") for field, _ in problems
    ):
        problems.append(("last_payment_at", "give the last payment's amount and date together"))
    if problems:
        raise InvalidAccount(problems)
    return AccountFields(
        account_number=number or "", name=name, email=email, phone=phone, postcode=postcode,
        plan=plan, amount_due=amount_due or Decimal("0.00"), status=status,
        last_payment_amount=paid, last_payment_at=paid_at,
    )


def _money(value: Any, field: str, problems: list[tuple[str, str]], *, required: bool) -> Decimal | None:
    if isinstance(value, float) or isinstance(value, bool):
        problems.append((field, "give money as text or Decimal, not a float"))
        return None
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            problems.append((field, "required"))
        return None
    if not _MONEY.fullmatch(text):
        problems.append((field, "not an amount (e.g. 1250.00: at most 2 decimals, not negative)"))
        return None
    return Decimal(text).quantize(Decimal("0.01"))


def _date(value: Any, field: str, problems: list[tuple[str, str]]) -> date | None:
    if isinstance(value, date):
        return value
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    try:
        if len(text) != 10:  # fromisoformat also takes '20250131', which a CSV should not
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        problems.append((field, "not a date (YYYY-MM-DD)"))
        return None


async def upsert_account(
    session: AsyncSession, tenant_id: int, fields: Mapping[str, Any]
) -> tuple[Account, bool]:
    """Create or replace the tenant's account with this number (idempotent).
    Returns the account and whether it was created."""
    parsed = parse_account(fields)
    account = await session.scalar(
        select(Account).where(Account.tenant_id == tenant_id, Account.account_number == parsed.account_number)
    )
    created = account is None
    if account is None:
        account = Account(tenant_id=tenant_id, **parsed.values())
        session.add(account)
    else:
        for name, value in parsed.values().items():
            setattr(account, name, value)
    await session.flush()
    return account, created


async def delete_account(session: AsyncSession, tenant_id: int, account_number: str | int) -> bool:
    """Remove the account; tickets and conversations that named it keep their history
    but no longer point at it. False when the tenant has no such account."""
    number = normalize_account_number(account_number)
    if number is None:
        return False
    account_id = await session.scalar(
        select(Account.id).where(Account.tenant_id == tenant_id, Account.account_number == number)
    )
    if account_id is None:
        return False
    await session.execute(
        update(Ticket).where(Ticket.tenant_id == tenant_id, Ticket.account_id == account_id).values(account_id=None)
    )
    await session.execute(
        update(Conversation)
        .where(Conversation.tenant_id == tenant_id, Conversation.verified_account_id == account_id)
        .values(verified_account_id=None, verified_by=None, verified_with=None)
    )
    await session.execute(delete(Account).where(Account.id == account_id))
    return True


async def existing_account_numbers(session: AsyncSession, tenant_id: int) -> set[str]:
    return set(await session.scalars(select(Account.account_number).where(Account.tenant_id == tenant_id)))


async def bulk_upsert_accounts(session: AsyncSession, tenant_id: int, accounts: Sequence[AccountFields]) -> None:
    """Create or replace many accounts at once: the fast path for loading a whole file.
    Numbers must be unique within `accounts` (one statement cannot update a row twice).

    PostgreSQL: COPY into a temporary table, then one INSERT ... SELECT ... ON CONFLICT
    DO UPDATE (building 100,000 rows into bound parameters costs far more than COPY).
    SQLite: the same upsert as executemany, batched by SQLAlchemy.
    """
    if not accounts:
        return
    if session.get_bind().dialect.name == "postgresql":
        await _copy_upsert_postgresql(session, tenant_id, accounts)
        return
    table = Account.__table__
    statement = sqlite_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.tenant_id, table.c.account_number],
        set_={name: statement.excluded[name] for name in ACCOUNT_FIELDS if name != "account_number"},
    )
    now = utcnow()
    for start in range(0, len(accounts), BULK_BATCH_ROWS):
        rows = [
            {"tenant_id": tenant_id, "created_at": now, **fields.values()}
            for fields in accounts[start : start + BULK_BATCH_ROWS]
        ]
        await session.execute(statement, rows)


_STAGING_TABLE = "account_import_staging"
_STAGING_DDL = f"""
CREATE TEMPORARY TABLE {_STAGING_TABLE} (
    account_number varchar(8) NOT NULL, name varchar(120) NOT NULL, email varchar(254) NOT NULL,
    phone varchar(32) NOT NULL, postcode varchar(16) NOT NULL, plan varchar(80) NOT NULL,
    amount_due numeric(12, 2) NOT NULL, status varchar(16) NOT NULL,
    last_payment_amount numeric(12, 2), last_payment_at date
) ON COMMIT DROP
"""


async def _copy_upsert_postgresql(session: AsyncSession, tenant_id: int, accounts: Sequence[AccountFields]) -> None:
    from sqlalchemy import text

    connection = await session.connection()
    await connection.execute(text(_STAGING_DDL))
    raw = await connection.get_raw_connection()
    # The asyncpg connection under the session: same transaction, so all or nothing holds.
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        _STAGING_TABLE,
        records=[tuple(getattr(fields, name) for name in ACCOUNT_FIELDS) for fields in accounts],
        columns=list(ACCOUNT_FIELDS),
    )
    columns = ", ".join(ACCOUNT_FIELDS)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in ACCOUNT_FIELDS if name != "account_number")
    await connection.execute(
        text(
            f"INSERT INTO accounts (tenant_id, created_at, {columns})"
            f" SELECT :tenant_id, current_timestamp, {columns} FROM {_STAGING_TABLE}"
            f" ON CONFLICT (tenant_id, account_number) DO UPDATE SET {updates}"
        ),
        {"tenant_id": tenant_id},
    )
    await connection.execute(text(f"DROP TABLE {_STAGING_TABLE}"))
